/* test_pipeline_util.h - what the pipeline tests share: a tiny model and
 * the fixture (scratch directory, clip, job). The shell, process, ffprobe,
 * clock and UDP helpers they use are test_proc.h's, included here. */
#ifndef TEST_PIPELINE_UTIL_H
#define TEST_PIPELINE_UTIL_H

#include "test_proc.h"

/**
 * Write a 16x16 RGB -> 16x16x1 model to @p path: a 1x1 convolution that
 * weighs the red channel (foreground = red) and a LOGISTIC. It runs in
 * microseconds, so test timing is the pipeline's and the delay hook's.
 * @return 0 on success.
 */
int tp_write_tiny_model(const char *path);

/** The same at @p side x @p side, weighing channel @p channel (0 red, 1
 *  green, 2 blue): another input size and another foreground, for tests
 *  that switch models. @return 0 on success. */
int tp_write_colour_model(const char *path, int side, int channel);

#include "seg.h"

/** What both pipeline test programs start from: a scratch directory with
 *  the tiny model and a 160x120 H.264 clip of testsrc2 (its saturated red
 *  areas are the tiny model's "people"), io's log on stderr. */
typedef struct tp_fixture {
    char dir[256], model[300], clip[300];
} tp_fixture;

/** Make the fixture with a clip of @p frames frames; 0 on success. */
int tp_fixture_setup(tp_fixture *f, int frames);
void tp_fixture_teardown(tp_fixture *f);
/** A quiet, overwriting, 1-worker 1-thread job on the fixture's model. */
seg_config tp_job(const tp_fixture *f, const char *input, const char *output);

#endif
