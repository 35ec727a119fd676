/* make_onnx_cases DIR: write every case of onnx_cases.c as DIR/NAME.onnx
 * with its input DIR/NAME.in.f32 (float32, the model's NCHW layout), for
 * tests/onnx_oracle.sh to run through ONNX Runtime. */
#include <stdio.h>
#include <stdlib.h>

#include "onnx_cases.h"

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "make_onnx_cases: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_onnx_cases DIR\n");
        return 2;
    }
    char path[4096];
    for (int k = 0; k < N_ONNX_CASES; k++) {
        const onnx_case *c = &ONNX_CASES[k];
        size_t len, n = (size_t)(c->in[0] * c->in[1] * c->in[2] * c->in[3]);
        uint8_t *buf = onnx_case_build(c, &len);
        float *x = malloc(n * sizeof(float));
        if (!x)
            return 1;
        onnx_case_input(c, x, n);
        snprintf(path, sizeof path, "%s/%s.onnx", argv[1], c->name);
        int bad = write_file(path, buf, len);
        snprintf(path, sizeof path, "%s/%s.in.f32", argv[1], c->name);
        bad |= write_file(path, x, n * sizeof(float));
        free(buf);
        free(x);
        if (bad)
            return 1;
    }
    printf("%d cases\n", N_ONNX_CASES);
    return 0;
}
