/* cli_model_info.c - `segstream --model-info MODEL`: what a model file holds
 * (inputs, outputs, op histogram, parameters, multiply-adds, normalisation,
 * classes) and whether segstream runs it, naming every op it does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nn.h"
#include "seg_file.h"
#include "seg_model.h"
#include "seg_sha256.h"

int cli_model_info_main(int argc, char **argv)
{
    /* --model-info MODEL [--labels FILE] [--input-size WxH], in any order
     * after the command */
    const char *path = NULL, *labels = NULL;
    seg_model_opts mo = {0};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--labels") == 0 && i + 1 < argc)
            labels = argv[++i];
        else if (strncmp(argv[i], "--labels=", 9) == 0)
            labels = argv[i] + 9;
        else if (strcmp(argv[i], "--input-size") == 0 && i + 1 < argc) {
            if (cli_input_size(argv[++i], &mo.input_w, &mo.input_h))
                return EXIT_USAGE;
        }
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            path = NULL, i = argc; /* anything else: usage */
    }
    if (!path) {
        fprintf(stderr, "usage: segstream --model-info MODEL [--labels FILE] [--input-size WxH]\n");
        return EXIT_USAGE;
    }
    char err[SEG_MSG_SIZE];
    uint8_t *buf;
    size_t len;
    int st = seg_file_read(path, "model", NN_MAX_MODEL_BYTES, &buf, &len, err, sizeof err);
    if (st) {
        fprintf(stderr, "segstream: %s\n", err);
        return EXIT_MODEL;
    }
    nn_model_info info;
    if ((st = nn_model_inspect(buf, len, &info, err, sizeof err))) {
        fprintf(stderr, "segstream: model '%s': %s\n", path, err);
        free(buf);
        return EXIT_MODEL;
    }
    char sha[65];
    seg_sha256_hex(buf, len, sha);
    free(buf);
    printf("model:       %s\n", path);
    printf("sha256:      %s\n", sha);
    printf("description: %s\n", info.description[0] ? info.description : "-");
    if (info.is_onnx) {
        /* The file's own names, dims and layout. */
        printf("format:      ONNX, opset %d\n", info.opset);
        printf("input:       %s (%d input%s)\n", info.input_desc, info.n_inputs,
               info.n_inputs == 1 ? "" : "s");
        printf("outputs:     %d\n", info.n_outputs);
        for (int k = 0; k < info.n_outputs && k < NN_MAX_OUTPUTS; k++)
            printf("  %d %s\n", k, info.output_desc[k]);
    } else {
        printf("input:       [%d,%d,%d,%d] %s (%d input%s)\n", info.input.n, info.input.h,
               info.input.w, info.input.c, info.input_type, info.n_inputs,
               info.n_inputs == 1 ? "" : "s");
        printf("output:      [%d,%d,%d,%d] %s (%d output%s)\n", info.output.n, info.output.h,
               info.output.w, info.output.c, info.output_type, info.n_outputs,
               info.n_outputs == 1 ? "" : "s");
    }
    printf("%s%d\noperators:   %d\nparameters:  %llu\n",
           info.is_onnx ? "initializers: " : "tensors:     ", info.n_tensors, info.n_operators,
           (unsigned long long)info.params);
    printf("ops:\n");
    int unsupported = 0;
    for (int k = 0; k < info.n_op_kinds; k++) {
        printf("  %-32s %5d%s\n", info.ops[k].name, info.ops[k].count,
               info.ops[k].supported ? "" : "   NOT SUPPORTED");
        unsupported += !info.ops[k].supported;
    }
    seg_model sm;
    mo.labels_path = labels;
    st = seg_model_open_ex(&sm, path, &mo, err, sizeof err);
    if (st && labels && st != SEG_ERR_BAD_MODEL && st != SEG_ERR_UNSUPPORTED) {
        fprintf(stderr, "segstream: %s\n", err);
        return EXIT_USAGE;
    }
    if (st) {
        printf("supported:   no: %s\n", err);
        if (unsupported)
            printf("             unsupported ops: %d kind%s (listed above)\n", unsupported,
                   unsupported == 1 ? "" : "s");
        return EXIT_MODEL;
    }
    printf("multiply-adds per inference: %.1f M (after segstream's graph rewrites)\n",
           (double)nn_model_macs(sm.nn) / 1e6);
    printf("known model: %s\n", sm.known_name ? sm.known_name : "no");
    if (nn_model_output_count(sm.nn) > 1 || sm.matting) {
        printf("mask from:   output '%s'", sm.output_name);
        if (sm.matting)
            printf(" (a matting alpha, used as it is)");
        if (sm.fgr >= 0)
            printf("; colour from output '%s'", nn_model_output_name(sm.nn, sm.fgr));
        printf(" (--model-output picks another)\n");
    }
    for (int k = 0; k < nn_model_state_count(sm.nn); k++)
        printf("state:       output '%s' -> input '%s' on the next frame%s\n",
               nn_model_state_name(sm.nn, k, 0), nn_model_state_name(sm.nn, k, 1),
               k ? "" : " (one worker, frames in order)");
    printf("normalisation: (x - [%g,%g,%g]) / [%g,%g,%g] from %s\n", (double)sm.mean[0],
           (double)sm.mean[1], (double)sm.mean[2], (double)sm.std[0], (double)sm.std[1],
           (double)sm.std[2], sm.norm_source);
    if (sm.n_classes > 2) {
        printf("output: %d classes (argmax), foreground:", sm.n_classes);
        for (int c = 0; c < sm.n_classes; c++)
            if (sm.fg[c])
                printf(" %s", sm.labels[c][0] ? sm.labels[c] : "?");
        printf("\n");
        /* The names --classes takes (from --labels, the model's metadata or
         * the known-model table), numbered as --classes also takes them. */
        printf("classes:");
        int named = 0;
        for (int c = 0; c < sm.n_classes; c++) {
            printf("%s %d %s", c ? "," : "", c, sm.labels[c][0] ? sm.labels[c] : "(no name)");
            named += sm.labels[c][0] != 0;
        }
        printf("\n");
        if (!named)
            printf("             (no names known: give them with --labels FILE, one a line)\n");
    } else if (sm.n_classes == 2) {
        printf("output: 2 channels, foreground = softmax channel 1\n");
        printf("classes: 0 %s, 1 %s\n", sm.labels[0][0] ? sm.labels[0] : "background",
               sm.labels[1][0] ? sm.labels[1] : "foreground");
    } else {
        printf("output: foreground probability%s\n",
               sm.squash == 1 ? "" : " (sigmoid applied by segstream)");
        printf("classes: one: the foreground (%s); --classes does not apply\n",
               sm.labels[0][0] ? sm.labels[0] : "person, for the selfie and portrait models");
    }
    if (sm.in.c != 3) {
        printf("supported:   no: the engine runs it, but segstream feeds RGB pictures and "
               "this input has %d channels\n", sm.in.c);
        seg_model_close(&sm);
        return EXIT_MODEL;
    }
    printf("supported:   yes\n");
    seg_model_close(&sm);
    return EXIT_OK;
}
