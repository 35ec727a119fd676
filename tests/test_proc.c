/* test_proc.c - see test_proc.h. */
#include "test_proc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Format the variadic arguments after @p fmt into the char array @p buf
 * (inside a printf-style function). */
#define TP_FORMAT(buf, fmt)                          \
    do {                                             \
        va_list ap_;                                 \
        va_start(ap_, fmt);                          \
        vsnprintf(buf, sizeof buf, fmt, ap_);        \
        va_end(ap_);                                 \
    } while (0)

/* ==== time ================================================================ */

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

/* ==== shell commands and processes ======================================= */

int tp_sh(const char *fmt, ...)
{
    char cmd[4096];
    TP_FORMAT(cmd, fmt);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t tp_spawn(const char *fmt, ...)
{
    char cmd[4096];
    TP_FORMAT(cmd, fmt);
    char *argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
        return -1;
    return pid;
}

int tp_wait_status(pid_t pid, double timeout_s, int *status)
{
    int st;
    double end = tp_now() + timeout_s;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            *status = st;
            return 0;
        }
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

int tp_wait(pid_t pid, double timeout_s)
{
    int st;
    if (tp_wait_status(pid, timeout_s, &st) != 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ==== ffprobe ============================================================= */

int tp_probe(char *line, size_t size, const char *fmt, ...)
{
    char args[3072], cmd[4096];
    TP_FORMAT(args, fmt);
    snprintf(cmd, sizeof cmd, "ffprobe -v error %s", args);
    line[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(line, (int)size, p))
        line[0] = '\0';
    char rest[256];
    while (fgets(rest, sizeof rest, p)) {
    }
    int st = pclose(p);
    line[strcspn(line, "\r\n")] = '\0';
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long tp_video_frames(const char *path)
{
    char out[128];
    if (tp_probe(out, sizeof out,
                 "-count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
                 "-of csv=p=0 '%s'", path) != 0 ||
        out[0] < '0' || out[0] > '9')
        return -1;
    return atol(out);
}

int tp_video_size(const char *path, int *w, int *h)
{
    char out[128];
    int st = tp_probe(out, sizeof out,
                      "-select_streams v:0 -show_entries stream=width,height -of csv=p=0 '%s'",
                      path);
    int parsed = sscanf(out, "%d,%d", w, h) == 2;
    return st == 0 && parsed ? 0 : -1;
}

/* ==== loopback ports ====================================================== */

/* A port on 127.0.0.1 the kernel picks for a socket of @p type. */
static int free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
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

int tp_free_udp_port(void)
{
    return free_port(SOCK_DGRAM);
}

int tp_free_tcp_port(void)
{
    return free_port(SOCK_STREAM);
}

/* /proc/net/{udp,tcp}: "  sl  local_address rem_address   st ...",
 * addresses as HEXIP:HEXPORT, st the state in hex. A socket on @p port (in
 * state @p st, or any state for NULL). */
static int socket_on(const char *table, int port, const char *st)
{
    FILE *f = fopen(table, "r");
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
            if (!colon || strncmp(colon, want, strlen(want)) != 0)
                continue;
            /* then the remote address, then the state */
            const char *rem = colon + strlen(want);
            const char *state = strchr(rem, ' ');
            while (state && *state == ' ')
                state++;
            found = !st || (state && strncmp(state, st, strlen(st)) == 0);
        }
    }
    fclose(f);
    return found;
}

static int wait_socket(const char *table, int port, const char *st, double timeout_s)
{
    double end = tp_now() + timeout_s;
    while (!socket_on(table, port, st)) {
        if (tp_now() > end)
            return 0;
        sleep_s(0.02);
    }
    return 1;
}

int tp_wait_udp_bound(int port, double timeout_s)
{
    return wait_socket("/proc/net/udp", port, NULL, timeout_s);
}

int tp_wait_tcp_listening(int port, double timeout_s)
{
    return wait_socket("/proc/net/tcp", port, "0A", timeout_s); /* TCP_LISTEN */
}

/* ==== scratch directories and files ====================================== */

int tp_make_dir(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/%s.XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

void tp_remove_dir(const char *dir)
{
    if (dir && dir[0])
        tp_sh("rm -rf '%s'", dir);
}

int tp_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

size_t tp_read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        buf[0] = '\0';
        return 0;
    }
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}
