/* test_pipeline_util.h - what the pipeline tests share: a scratch
 * directory, a tiny model, shell commands, background processes, ffprobe
 * frame counts and free loopback ports. */
#ifndef TEST_PIPELINE_UTIL_H
#define TEST_PIPELINE_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/** Make a mkdtemp directory into dir[size] ("/tmp/segpipe.XXXXXX"). 0 on success. */
int tp_make_dir(char *dir, size_t size);
/** rm -rf it. */
void tp_remove_dir(const char *dir);

/**
 * Write a 16x16 RGB -> 16x16x1 model to @p path: a 1x1 convolution that
 * weighs the red channel (foreground = red) and a LOGISTIC. It runs in
 * microseconds, so test timing is the pipeline's and the delay hook's.
 * @return 0 on success.
 */
int tp_write_tiny_model(const char *path);

/** Run a shell command (printf-style); its exit status, -1 if it did not exit. */
int tp_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Start `sh -c CMD` in the background (posix_spawn: safe next to running
 *  threads); its pid, or -1. */
pid_t tp_spawn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Wait up to @p timeout_s for @p pid; kill it (SIGKILL) if it is still
 *  running then. Its exit status, or -1 when killed or not a normal exit. */
int tp_wait(pid_t pid, double timeout_s);

/** Decoded video frames in a media file (ffprobe -count_frames), -1 on failure. */
long tp_video_frames(const char *path);

/** A UDP port on 127.0.0.1 nobody is bound to right now, 0 on failure. */
int tp_free_udp_port(void);
/** Wait up to @p timeout_s until some socket is bound to UDP @p port
 *  (/proc/net/udp). 1 when it is, 0 on timeout. */
int tp_wait_udp_bound(int port, double timeout_s);

/** Monotonic seconds. */
double tp_now(void);

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
