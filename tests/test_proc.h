/* test_proc.h - what the tests that drive other programs share: shell
 * commands, background processes waited on with a deadline, ffprobe
 * queries, a monotonic clock, free loopback UDP ports, scratch directories
 * and whole small files.
 *
 * No project code and no cmocka: every test can link it (the static library
 * seg_test_proc, tests/CMakeLists.txt), built with the preset's flags and
 * sanitizers like the test itself. Nothing here asserts; the tests do.
 * tp_spawn uses posix_spawn, not fork, on purpose: it is safe next to
 * running threads (test_pipeline* run under ThreadSanitizer).
 * Commands are formatted into 4 KiB; a longer one is cut. */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* ---- time ------------------------------------------------------------------ */

/** Monotonic seconds (CLOCK_MONOTONIC). */
double tp_now(void);

/* ---- shell commands and processes -------------------------------------------- */

/** Run a shell command (printf-style, through system()); its exit status,
 *  -1 if it did not exit normally. */
int tp_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Start `sh -c CMD` (printf-style) in the background with posix_spawn; its
 *  pid, or -1. Reap it with tp_wait or tp_wait_status. */
pid_t tp_spawn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Wait up to @p timeout_s for @p pid, polling every 20 ms; if it is still
 *  running then, kill it (SIGKILL) and reap it. 0 with its raw wait status
 *  in *status (WIFEXITED and friends); -1 on timeout or when waitpid fails. */
int tp_wait_status(pid_t pid, double timeout_s, int *status);

/** tp_wait_status, as an exit status: 0-255, or -1 when it timed out, was
 *  ended by a signal or could not be waited for. */
int tp_wait(pid_t pid, double timeout_s);

/* ---- ffprobe ------------------------------------------------------------------- */

/** Run `ffprobe -v error ARGS` (ARGS printf-style; its stderr is the test's)
 *  and put the first line it prints, without the line end, into
 *  line[size] ("" if none). The rest of its output is read and dropped
 *  (closing the pipe early could kill ffprobe with SIGPIPE: MPEG-TS prints
 *  a line per program too). ffprobe's exit status, -1 if it could not be
 *  run or did not exit normally. */
int tp_probe(char *line, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Decoded frames of the first video stream of a media file (ffprobe
 *  -count_frames, stream=nb_read_frames); -1 when ffprobe fails or prints
 *  no number. */
long tp_video_frames(const char *path);

/** Width and height of the first video stream into *w, *h (set whenever
 *  ffprobe prints "W,H"). 0 on success, -1 when ffprobe fails or prints
 *  no size. */
int tp_video_size(const char *path, int *w, int *h);

/* ---- loopback ports --------------------------------------------------------- */

/** A UDP port on 127.0.0.1 nobody is bound to right now, 0 on failure. */
int tp_free_udp_port(void);

/** Wait up to @p timeout_s until some socket is bound to UDP @p port
 *  (/proc/net/udp). 1 when it is, 0 on timeout. */
int tp_wait_udp_bound(int port, double timeout_s);

/** A TCP port on 127.0.0.1 nobody listens on right now, 0 on failure. */
int tp_free_tcp_port(void);

/** Wait up to @p timeout_s until some socket listens on TCP @p port
 *  (/proc/net/tcp; without connecting, which would use up a one-connection
 *  server). 1 when it does, 0 on timeout. */
int tp_wait_tcp_listening(int port, double timeout_s);

/* ---- scratch directories and files ---------------------------------------- */

/** Make a fresh directory /tmp/NAME.XXXXXX (mkdtemp) into dir[size].
 *  0 on success, -1 (dir then unusable) on failure. */
int tp_make_dir(char *dir, size_t size, const char *name);

/** rm -rf @p dir; nothing when it is NULL or "". */
void tp_remove_dir(const char *dir);

/** Write @p len bytes to @p path (created or truncated). 0 on success. */
int tp_write_file(const char *path, const void *data, size_t len);

/** Read at most size - 1 bytes of @p path into buf, NUL-terminated; the
 *  bytes read (0 with buf "" when it cannot be opened). */
size_t tp_read_file(const char *path, char *buf, size_t size);

#endif
