/* seg_report.c - the --bench report, as text or as one JSON object. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seg.h"

/* "model name" from /proc/cpuinfo ("unknown" elsewhere). */
static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *v = strchr(line, ':');
        if (!v)
            break;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        snprintf(buf, n, "%.*s", (int)strcspn(v, "\r\n"), v);
        break;
    }
    fclose(f);
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static double fps_of(const seg_stats *st)
{
    return st->seconds > 0 ? (double)st->frames / st->seconds : 0.0;
}

void seg_report_text(FILE *f, const seg_config *cfg, const seg_stats *st)
{
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    fprintf(f, "bench: %s (%dx%d) -> %s, %s mode, frames in %s\n", cfg->input, st->in_w,
            st->in_h, cfg->output ? cfg->output : "null sink", st->live ? "live" : "exact",
            st->frame_format ? st->frame_format : "?");
    fprintf(f, "bench: model %s (input %dx%d%s); %d inference worker%s x %d thread%s; "
               "decoder %d, encoder %d thread%s\n",
            cfg->model, st->model_w, st->model_h,
            st->find_people ? ", people found first" : ", whole frame", st->workers, st->workers == 1 ? "" : "s",
            st->threads, st->threads == 1 ? "" : "s", st->decoder_threads, st->encoder_threads,
            st->encoder_threads == 1 ? "" : "s");
    fprintf(f, "bench: cpu %s, %d cores\n", cpu, cores());
    fprintf(f, "bench: %lld frames in %.2f s = %.1f fps; decoded %lld, dropped %lld "
               "(decoder %lld, inference %lld, renderer %lld)\n",
            (long long)st->frames, st->seconds, fps_of(st), (long long)st->decoded,
            (long long)st->dropped, (long long)st->dropped_decoder, (long long)st->dropped_infer,
            (long long)st->dropped_render);
    fprintf(f, "bench: %-10s %8s %8s %8s %8s %8s\n", "ms", "p50", "p95", "p99", "mean", "max");
    for (int i = 0; i < SEG_STAGE_COUNT; i++) {
        const seg_pctl *p = &st->stage[i];
        fprintf(f, "bench: %-10s %8.2f %8.2f %8.2f %8.2f %8.2f\n", seg_stage_name((seg_stage)i),
                p->p50, p->p95, p->p99, p->mean, p->max);
    }
    const seg_pctl *l = &st->latency;
    fprintf(f, "bench: %-10s %8.2f %8.2f %8.2f %8.2f %8.2f  (decoded -> composited)\n",
            "latency", l->p50, l->p95, l->p99, l->mean, l->max);
    const seg_pctl *lw = &st->latency_window, *lv = &st->latency_vcam;
    if (lw->n)
        fprintf(f, "bench: %-10s %8.2f %8.2f %8.2f %8.2f %8.2f  (decoded -> shown in the window)\n",
                "window", lw->p50, lw->p95, lw->p99, lw->mean, lw->max);
    if (lv->n)
        fprintf(f, "bench: %-10s %8.2f %8.2f %8.2f %8.2f %8.2f  (decoded -> written to the "
                "virtual camera)\n", "camera", lv->p50, lv->p95, lv->p99, lv->mean, lv->max);
    fprintf(f, "bench: CPU %.2f s in all, %.2f ms a frame written\n", st->cpu_seconds,
            st->frames > 0 ? st->cpu_seconds * 1e3 / (double)st->frames : 0.0);
    const seg_ring_stat *rings[3] = {&st->frames_ring, &st->results_ring, &st->encode_ring};
    const char *names[3] = {"frames", "results", "encode"};
    fprintf(f, "bench: rings (depth after each push):");
    for (int i = 0; i < 3; i++)
        fprintf(f, "%s %s %d x %d slots, mean %.2f, max %d", i ? ";" : "", names[i],
                rings[i]->count, rings[i]->capacity, rings[i]->mean, rings[i]->max);
    fprintf(f, "\n");
    fprintf(f, "bench: output %dx%d; audio packets copied %lld, dropped %lld; classes seen %d\n",
            st->out_w, st->out_h, (long long)st->audio_packets, (long long)st->audio_dropped,
            st->classes_seen);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_pctl(FILE *f, const seg_pctl *p)
{
    fprintf(f, "{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"mean\":%.3f,\"max\":%.3f,\"n\":%lld}",
            p->p50, p->p95, p->p99, p->mean, p->max, (long long)p->n);
}

static void json_ring(FILE *f, const seg_ring_stat *r)
{
    fprintf(f, "{\"rings\":%d,\"capacity\":%d,\"mean\":%.3f,\"max\":%d}", r->count, r->capacity,
            r->mean, r->max);
}

void seg_report_json(FILE *f, const seg_config *cfg, const seg_stats *st)
{
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    fprintf(f, "{\"fps\":%.3f,\"frames\":%lld,\"dropped\":%lld,\"decoded\":%lld,"
               "\"seconds\":%.3f,\"mode\":\"%s\",",
            fps_of(st), (long long)st->frames, (long long)st->dropped, (long long)st->decoded,
            st->seconds, st->live ? "live" : "exact");
    fprintf(f, "\"dropped_by\":{\"decoder\":%lld,\"inference\":%lld,\"renderer\":%lld},",
            (long long)st->dropped_decoder, (long long)st->dropped_infer,
            (long long)st->dropped_render);
    fprintf(f, "\"stages\":{");
    for (int i = 0; i < SEG_STAGE_COUNT; i++) {
        fprintf(f, "%s\"%s\":", i ? "," : "", seg_stage_name((seg_stage)i));
        json_pctl(f, &st->stage[i]);
    }
    fprintf(f, "},\"latency_ms\":");
    json_pctl(f, &st->latency);
    fprintf(f, ",\"latency_window_ms\":");
    json_pctl(f, &st->latency_window);
    fprintf(f, ",\"latency_vcam_ms\":");
    json_pctl(f, &st->latency_vcam);
    fprintf(f, ",\"cpu_seconds\":%.3f", st->cpu_seconds);
    fprintf(f, ",\"rings\":{\"frames\":");
    json_ring(f, &st->frames_ring);
    fprintf(f, ",\"results\":");
    json_ring(f, &st->results_ring);
    fprintf(f, ",\"encode\":");
    json_ring(f, &st->encode_ring);
    fprintf(f, "},\"cpu\":");
    json_str(f, cpu);
    fprintf(f, ",\"cores\":%d,\"workers\":%d,\"threads\":%d,\"decoder_threads\":%d,"
               "\"encoder_threads\":%d,\"model\":",
            cores(), st->workers, st->threads, st->decoder_threads, st->encoder_threads);
    json_str(f, cfg->model);
    fprintf(f, ",\"find\":\"%s\"", st->find_people ? "pose" : "none");
    fprintf(f, ",\"model_input\":\"%dx%d\",\"resolution\":\"%dx%d\",\"output_resolution\":"
               "\"%dx%d\",\"audio_packets\":%lld,\"audio_dropped\":%lld,\"classes_seen\":%d,"
               "\"frame_format\":",
            st->model_w, st->model_h, st->in_w, st->in_h, st->out_w, st->out_h,
            (long long)st->audio_packets, (long long)st->audio_dropped, st->classes_seen);
    json_str(f, st->frame_format ? st->frame_format : "?");
    fprintf(f, ",\"input\":");
    json_str(f, cfg->input);
    fprintf(f, ",\"output\":");
    if (cfg->output)
        json_str(f, cfg->output);
    else
        fprintf(f, "null");
    if (st->has_eval) {
        char buf[1024];
        if (disp_score_format_json(&st->eval, buf, sizeof buf) > 0)
            fprintf(f, ",\"eval\":%s", buf);
    }
    fprintf(f, "}\n");
}
