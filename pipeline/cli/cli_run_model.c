/* cli_run_model.c - `segstream --run-model MODEL IN.f32 OUT.f32 [-t N] [-y]
 * [--output NAME]`: one raw little-endian float32 tensor (already
 * normalised, exactly the model input's size) through the engine, the raw
 * output tensor out. TFLite tensors are NHWC; ONNX tensors are in the
 * model's own declared layout (NCHW stays NCHW). For comparing the engine
 * with any other runtime. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "nn.h"
#include "seg.h"
#include "seg_file.h"
#include "seg_model.h"

#define USAGE "usage: segstream --run-model MODEL IN.f32 OUT.f32 [-t N] [-y] [--output NAME] " \
              "[--input NAME=V[,V...]] [--state OUT=IN] [--input-size WxH]\n"

/* [N][H][W][C] <-> [N][C][H][W] (to_nchw picks the direction). */
static void swap_layout(const float *src, float *dst, nn_shape s, int to_nchw)
{
    for (int n = 0; n < s.n; n++)
        for (int y = 0; y < s.h; y++)
            for (int x = 0; x < s.w; x++)
                for (int c = 0; c < s.c; c++) {
                    size_t nhwc = (((size_t)n * s.h + y) * s.w + x) * s.c + c;
                    size_t nchw = (((size_t)n * s.c + c) * s.h + y) * s.w + x;
                    if (to_nchw)
                        dst[nchw] = src[nhwc];
                    else
                        dst[nhwc] = src[nchw];
                }
}

/* Write @p n bytes to @p path, refusing to replace a file unless @p overwrite. */
static int write_file(const char *path, const void *data, size_t n, int overwrite)
{
    /* "x" refuses to replace an existing file unless -y was given. */
    FILE *f = fopen(path, overwrite ? "wb" : "wbx");
    if (!f) {
        int e = errno;
        fprintf(stderr, "segstream: cannot write '%s': %s%s\n", path, strerror(e),
                e == EEXIST ? " (use -y to overwrite)" : "");
        return EXIT_OUTPUT;
    }
    int ok = fwrite(data, 1, n, f) == n && fflush(f) == 0;
    int e = errno;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "segstream: cannot write '%s': %s\n", path, strerror(ok ? errno : e));
        return EXIT_OUTPUT;
    }
    return EXIT_OK;
}

int cli_run_model_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"run-model", no_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},
        {"overwrite", no_argument, NULL, 'y'},
        {"output", required_argument, NULL, 'o'},
        {"input", required_argument, NULL, 'i'},
        {"state", required_argument, NULL, 's'},
        {"input-size", required_argument, NULL, 'z'},
        {NULL, 0, NULL, 0},
    };
    static const cli_number numbers[] = {{'t', "threads", 0, 256}, {0, NULL, 0, 0}};
    int c, rc, threads = 0, overwrite = 0;
    const char *out_name = NULL;
    nn_load_opts lo;
    char names[NN_MAX_INPUT_VALUES][64];
    float vals[NN_MAX_INPUT_VALUES][SEG_MAX_INPUT_FLOATS];
    const char *state[NN_MAX_STATE];
    char state_names[NN_MAX_STATE][2][64];
    int n_state = 0;
    memset(&lo, 0, sizeof lo);
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:y", opts, NULL)) != -1) {
        switch (c) {
        case 'r': break;
        case 't':
            if ((rc = cli_number_parse(cli_number_find(numbers, c), optarg, &v)))
                return rc;
            threads = (int)v;
            break;
        case 'y': overwrite = 1; break;
        case 'o': out_name = optarg; break;
        case 'i': {
            nn_input_value *iv = &lo.inputs[lo.n_inputs];
            if (lo.n_inputs == NN_MAX_INPUT_VALUES ||
                seg_model_parse_input_value(optarg, names[lo.n_inputs], sizeof names[0],
                                            vals[lo.n_inputs], &iv->n)) {
                fprintf(stderr, "segstream: --input wants NAME=VALUE[,VALUE...] (at most %d "
                        "inputs of %d values), got '%s'\n", NN_MAX_INPUT_VALUES,
                        SEG_MAX_INPUT_FLOATS, optarg);
                return EXIT_USAGE;
            }
            iv->name = names[lo.n_inputs];
            iv->values = vals[lo.n_inputs];
            lo.n_inputs++;
            break;
        }
        case 'z':
            if (cli_input_size(optarg, &lo.input_w, &lo.input_h))
                return EXIT_USAGE;
            break;
        case 's':
            if (n_state == NN_MAX_STATE) {
                fprintf(stderr, "segstream: at most %d --state pairs\n", NN_MAX_STATE);
                return EXIT_USAGE;
            }
            state[n_state++] = optarg;
            break;
        default: fputs(USAGE, stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind != 3) {
        fprintf(stderr, "segstream: --run-model wants MODEL IN.f32 OUT.f32\n");
        return EXIT_USAGE;
    }
    {
        char msg[256];
        if (seg_model_parse_state(state, n_state, &lo, state_names, msg, sizeof msg)) {
            fprintf(stderr, "segstream: %s\n", msg);
            return EXIT_USAGE;
        }
    }
    const char *model_path = argv[optind], *in_path = argv[optind + 1],
               *out_path = argv[optind + 2];
    /* -y replaces an output, never what the run reads. */
    if (cli_same_file(out_path, model_path) || cli_same_file(out_path, in_path)) {
        fprintf(stderr, "segstream: OUTPUT '%s' is the %s file, which the run reads\n",
                out_path, cli_same_file(out_path, model_path) ? "model" : "input");
        return EXIT_OUTPUT;
    }
    char err[SEG_MSG_SIZE];
    nn_model *m = NULL;
    uint8_t *in = NULL;
    size_t len;
    {
        uint8_t *mbuf = NULL;
        size_t mlen;
        int lst = seg_file_read(model_path, "model", NN_MAX_MODEL_BYTES, &mbuf, &mlen, err,
                                sizeof err);
        if (!lst) {
            char inner[SEG_MSG_SIZE - 128];
            lst = nn_model_load_opts(&m, mbuf, mlen, &lo, inner, sizeof inner);
            if (lst)
                snprintf(err, sizeof err, "model '%s': %s", model_path, inner);
            free(mbuf);
        }
        if (lst) {
            fprintf(stderr, "segstream: %s\n", err);
            return lst == SEG_ERR_INVALID ? EXIT_USAGE : EXIT_MODEL;
        }
        nn_shape is = nn_model_input_shape(m);
        cli_input_size_unused(lo.input_w, lo.input_h, is.w, is.h);
    }
    nn_model_set_threads(m, threads);
    int k_out = 0;
    if (out_name) {
        k_out = -1;
        for (int k = 0; k < nn_model_output_count(m) && k_out < 0; k++)
            if (strcmp(nn_model_output_name(m, k), out_name) == 0)
                k_out = k;
        if (k_out < 0) {
            fprintf(stderr, "segstream: model '%s' has no output '%s'; its outputs:", model_path,
                    out_name);
            for (int k = 0; k < nn_model_output_count(m); k++)
                fprintf(stderr, "%s '%s'", k ? "," : "", nn_model_output_name(m, k));
            fprintf(stderr, "\n");
            nn_model_free(&m);
            return EXIT_USAGE;
        }
    }
    nn_shape s = nn_model_input_shape(m);
    size_t n = (size_t)s.n * s.h * s.w * s.c * sizeof(float);
    int st = seg_file_read(in_path, "input", n, &in, &len, err, sizeof err);
    rc = EXIT_INPUT;
    if (st == SEG_ERR_NOMEM || st == SEG_ERR_LIMIT || (st == SEG_OK && len != n))
        fprintf(stderr, "segstream: '%s' is not the model input: [%d,%d,%d,%d] float32 is "
                "%zu bytes%s%s\n", in_path, s.n, nn_model_input_nchw(m) ? s.c : s.h,
                nn_model_input_nchw(m) ? s.h : s.w, nn_model_input_nchw(m) ? s.w : s.c, n,
                st ? "; " : "", st ? err : "");
    else if (st)
        fprintf(stderr, "segstream: %s\n", err);
    else
        rc = EXIT_OK;
    if (rc == EXIT_OK) {
        if (nn_model_input_nchw(m))
            swap_layout((const float *)(const void *)in, nn_model_input(m), s, 0);
        else
            memcpy(nn_model_input(m), in, n);
        if ((st = nn_model_run(m))) {
            fprintf(stderr, "segstream: inference failed: %s\n", seg_status_str(st));
            rc = EXIT_RUNTIME;
        } else {
            nn_shape o = nn_model_output_shape_k(m, k_out);
            size_t on = (size_t)o.n * o.h * o.w * o.c;
            const float *y = nn_model_output_k(m, k_out);
            float *tmp = NULL;
            if (y && nn_model_output_nchw(m, k_out)) {
                if (!(tmp = malloc(on * sizeof(float)))) {
                    fprintf(stderr, "segstream: out of memory\n");
                    rc = EXIT_RUNTIME;
                } else {
                    swap_layout(y, tmp, o, 1);
                    y = tmp;
                }
            }
            if (!y && rc == EXIT_OK) {
                fprintf(stderr, "segstream: output %d is not a float tensor\n", k_out);
                rc = EXIT_RUNTIME;
            }
            if (rc == EXIT_OK)
                rc = write_file(out_path, y, on * sizeof(float), overwrite);
            free(tmp);
        }
    }
    free(in);
    nn_model_free(&m);
    return rc;
}
