/* fuzz.h - the libFuzzer entry point every harness in tests/fuzz defines.
 *
 * Built two ways (tests/fuzz_tests.cmake):
 *   - with clang and -fsanitize=fuzzer (SEG_BUILD_FUZZERS=ON, preset "fuzz"):
 *     libFuzzer's main calls it with mutated inputs;
 *   - with any compiler and fuzz_replay_main.c: a plain main replays every
 *     file of the committed corpus once, as a ctest (also under ASan+UBSan).
 *
 * A harness returns 0 for every input, good or bad: a bad input is one the
 * code under test must refuse with an error, never a crash, a leak, a hang
 * or a huge allocation. A harness aborts (HARNESS_CHECK) only when the code
 * breaks its documented contract. */
#ifndef SEG_FUZZ_H
#define SEG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Abort with a message when a documented contract is broken. */
#define HARNESS_CHECK(cond)                                                          \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

#endif
