/* test_pipeline_util.c - see test_pipeline_util.h. */
#include "test_pipeline_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "tflite_builder.h"

extern char **environ;

double tp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

int tp_make_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/segpipe.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

void tp_remove_dir(const char *dir)
{
    if (dir && dir[0])
        tp_sh("rm -rf '%s'", dir);
}

int tp_write_tiny_model(const char *path)
{
    static const float w[3] = {8.0f, 0.0f, 0.0f}; /* red */
    static const float b[1] = {-4.0f};            /* > half red -> foreground */
    tb_tensor all[5] = {
        {"input", TB_FLOAT32, 4, {1, 16, 16, 3}, NULL, 0},
        {"w", TB_FLOAT32, 4, {1, 1, 1, 3}, w, sizeof w},
        {"b", TB_FLOAT32, 1, {1, 0, 0, 0}, b, sizeof b},
        {"conv", TB_FLOAT32, 4, {1, 16, 16, 1}, NULL, 0},
        {"out", TB_FLOAT32, 4, {1, 16, 16, 1}, NULL, 0},
    };
    tb_op ops[2] = {
        /* CONV_2D, Conv2DOptions: padding SAME, stride 1x1 */
        {.builtin = 3, .n_in = 3, .in = {0, 1, 2}, .out = 3, .options_type = 1, .n_opts = 3,
         .opts = {{0, 1, 0}, {1, 4, 1}, {2, 4, 1}}},
        {.builtin = 14 /* LOGISTIC */, .n_in = 1, .in = {3}, .out = 4},
    };
    uint8_t *buf = NULL;
    size_t len = 0;
    if (tb_build(all, 5, ops, 2, 0, 4, &buf, &len))
        return -1;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(buf);
    return ok ? 0 : -1;
}

int tp_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t tp_spawn(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char *argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
        return -1;
    return pid;
}

int tp_wait(pid_t pid, double timeout_s)
{
    int st;
    double end = tp_now() + timeout_s;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r < 0)
            return -1;
        if (tp_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        sleep_s(0.02);
    }
}

long tp_video_frames(const char *path)
{
    char cmd[1024], out[128] = "";
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
             "stream=nb_read_frames -of csv=p=0 '%s'", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(out, sizeof out, p))
        out[0] = '\0';
    /* Read to the end: MPEG-TS prints the count twice (program, stream),
     * and closing early would kill ffprobe with SIGPIPE. */
    char rest[256];
    while (fgets(rest, sizeof rest, p)) {
    }
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || out[0] < '0' || out[0] > '9')
        return -1;
    return atol(out);
}

int tp_free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* /proc/net/udp: "  sl  local_address rem_address ...", addresses as
 * HEXIP:HEXPORT. */
static int udp_bound(int port)
{
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f)
        return 0;
    char line[512], want[16];
    snprintf(want, sizeof want, ":%04X ", port);
    int found = 0;
    if (fgets(line, sizeof line, f)) { /* header */
        while (!found && fgets(line, sizeof line, f)) {
            const char *local = strchr(line, ':'); /* after "sl" */
            if (!local)
                continue;
            local++;
            while (*local == ' ')
                local++;
            const char *colon = strchr(local, ':');
            found = colon && strncmp(colon, want, strlen(want)) == 0;
        }
    }
    fclose(f);
    return found;
}

int tp_wait_udp_bound(int port, double timeout_s)
{
    double end = tp_now() + timeout_s;
    while (!udp_bound(port)) {
        if (tp_now() > end)
            return 0;
        sleep_s(0.02);
    }
    return 1;
}

/* ==== the shared fixture ================================================ */

static void log_line(void *user, io_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, "# io %s: %s%s", level == IO_LOG_ERROR ? "error" : "warning", msg,
            msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

int tp_fixture_setup(tp_fixture *f, int frames)
{
    if (tp_make_dir(f->dir, sizeof f->dir))
        return -1;
    snprintf(f->model, sizeof f->model, "%s/tiny.tflite", f->dir);
    snprintf(f->clip, sizeof f->clip, "%s/clip.mkv", f->dir);
    if (tp_write_tiny_model(f->model))
        return -1;
    if (tp_sh("ffmpeg -v error -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v %d "
              "-c:v libx264 -preset ultrafast -pix_fmt yuv420p %s",
              frames, f->clip)) {
        fprintf(stderr, "# needs the ffmpeg command line\n");
        return -1;
    }
    io_set_log_callback(log_line, NULL, IO_LOG_WARNING);
    return 0;
}

void tp_fixture_teardown(tp_fixture *f)
{
    tp_remove_dir(f->dir);
}

seg_config tp_job(const tp_fixture *f, const char *input, const char *output)
{
    seg_config c = seg_config_default();
    c.input = input;
    c.output = output;
    c.model = f->model;
    c.quiet = 1;
    c.overwrite = 1;
    c.workers = 1;
    c.threads = 1;
    return c;
}
