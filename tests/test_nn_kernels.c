/* test_nn_kernels.c - every runtime kernel against its plain reference, on
 * random shapes (odd widths, channel counts off the vector width, every
 * stride and padding the models use), and small hand-computed cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_kernels.h"

static uint32_t rng_state = 12345u;
static float frand(void) /* uniform in [-1, 1) */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}
static int irand(int lo, int hi) /* inclusive */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (int)((rng_state >> 8) % (uint32_t)(hi - lo + 1));
}
static float *rand_buf(size_t n)
{
    float *p = malloc(n * sizeof(float) + 64);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

/* Max abs difference, failing with the position when over tol. */
static void assert_close(const float *a, const float *b, size_t n, float tol)
{
    float worst = 0.0f;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= worst)) { /* also catches NaN */
            worst = d;
            at = i;
        }
    }
    if (!(worst <= tol))
        fail_msg("max abs diff %g at %zu (%g vs %g), tolerance %g", (double)worst, at,
                 (double)a[at], (double)b[at], (double)tol);
}

/* The instruction sets this CPU runs; each test repeats on every one. */
static const char *const ISAS[] = {"portable", "avx2", "avx512"};
#define N_ISAS 3

/* Each runtime kernel computes a share (ith of nth); running every share in
 * turn checks the split covers the output exactly once. */
#define FOR_SHARES(NTH, CALL)                                                 \
    do {                                                                      \
        for (int ith = 0; ith < (NTH); ith++) {                               \
            int nth = (NTH);                                                  \
            CALL;                                                             \
        }                                                                     \
    } while (0)

static const nn_act ACTS[] = {NN_ACT_NONE, NN_ACT_RELU, NN_ACT_RELU6, NN_ACT_HARD_SWISH,
                              NN_ACT_LOGISTIC, NN_ACT_RELU_N1_TO_1, NN_ACT_TANH};

/* ---- hand-computed cases ---------------------------------------------- */

static void test_same_padding_puts_extra_pixel_at_end(void **state)
{
    (void)state;
    int pad;
    /* in 4, k 3, stride 2: out 2, total pad 1 -> 0 before, 1 after. */
    assert_int_equal(nn_conv_out_size(4, 3, 2, 1, 1, &pad), 2);
    assert_int_equal(pad, 0);
    /* in 5, k 3, stride 2: out 3, total 2 -> 1 before. */
    assert_int_equal(nn_conv_out_size(5, 3, 2, 1, 1, &pad), 3);
    assert_int_equal(pad, 1);
    /* VALID: (in - k) / s + 1 */
    assert_int_equal(nn_conv_out_size(7, 3, 2, 1, 0, &pad), 3);
    assert_int_equal(pad, 0);
    /* dilation 2 on k 3 acts like k 5 */
    assert_int_equal(nn_conv_out_size(9, 3, 1, 2, 0, &pad), 5);

    /* 1-channel 4x4 input 1..16, 3x3 all-ones kernel, stride 2, SAME: no
     * padding before, so out[0][0] sums rows/cols 0..2; the one padding
     * pixel is after, so out[1][1] sums rows/cols 2..3 only. */
    float in[16], w[9], out[4], ref[4];
    for (int i = 0; i < 16; i++)
        in[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    nn_window g = {3, 3, 2, 2, 1, 1, 0, 0};
    nn_ref_conv2d(in, 4, 4, 1, w, NULL, 1, ref, 2, 2, &g, NN_ACT_NONE);
    assert_float_equal(ref[0], 1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11, 0);
    /* out[1][1]: rows 2..3 (4 is padding), cols 2..3 */
    assert_float_equal(ref[3], 11 + 12 + 15 + 16, 0);
    float packed[16 * 10], scratch[NN_IM2COL_ROWS * 9];
    nn_pack_conv(w, NULL, 1, 9, packed);
    for (int i = 0; i < N_ISAS; i++) {
        if (nn_isa_select(ISAS[i]) != 0)
            continue;
        nn_conv(in, 4, 4, 1, packed, 1, out, 2, 2, &g, NN_ACT_NONE, NULL, NN_ACT_NONE, scratch, 0, 1);
        assert_close(out, ref, 4, 0.0f);
    }
}

static void test_transpose_conv_hand_case(void **state)
{
    (void)state;
    /* 2x2 input, 1 channel, kernel 2x2 stride 2 (MediaPipe's decoder head):
     * each input pixel paints its own 2x2 block scaled by the kernel. */
    float in[4] = {1, 2, 3, 4};
    float w[4] = {1, 10, 100, 1000};
    float bias[1] = {0.5f};
    float ref[16], out[16];
    nn_window g = {2, 2, 2, 2, 1, 1, 0, 0};
    nn_ref_transpose_conv(in, 2, 2, 1, w, bias, 1, ref, 4, 4, &g, NN_ACT_NONE);
    const float want[16] = {1.5f, 10.5f, 2.5f, 20.5f, 100.5f, 1000.5f, 200.5f, 2000.5f,
                            3.5f, 30.5f, 4.5f, 40.5f, 300.5f, 3000.5f, 400.5f, 4000.5f};
    assert_close(ref, want, 16, 0.0f);
    float packed[256];
    assert_true(nn_pack_tconv_size(1, 2, 2, 1) <= 256);
    nn_pack_tconv(w, bias, 1, 2, 2, 1, packed);
    for (int i = 0; i < N_ISAS; i++) {
        if (nn_isa_select(ISAS[i]) != 0)
            continue;
        memset(out, 0, sizeof out);
        nn_transpose_conv(in, 2, 2, 1, w, packed, bias, 1, out, 4, 4, &g, NN_ACT_NONE, 0, 1);
        assert_close(out, want, 16, 0.0f);
        nn_transpose_conv(in, 2, 2, 1, w, NULL, bias, 1, out, 4, 4, &g, NN_ACT_NONE, 0, 1);
        assert_close(out, want, 16, 0.0f);
    }
    /* Overlapping windows (k3 s2, pad 1): out[1] gets in[0]*w[2] + in[1]*w[0]. */
    float in1[2] = {1, 2}, w1[3] = {1, 2, 3}, o1[3], r1[3];
    nn_window g1 = {1, 3, 1, 2, 1, 1, 0, 1};
    nn_ref_transpose_conv(in1, 1, 2, 1, w1, NULL, 1, r1, 1, 3, &g1, NN_ACT_NONE);
    assert_float_equal(r1[0], 1 * 2, 0);
    assert_float_equal(r1[1], 1 * 3 + 2 * 1, 0);
    assert_float_equal(r1[2], 2 * 2, 0);
    nn_transpose_conv(in1, 1, 2, 1, w1, NULL, NULL, 1, o1, 1, 3, &g1, NN_ACT_NONE, 0, 1);
    assert_close(o1, r1, 3, 0.0f);
}

static void test_resize_half_pixel_hand_case(void **state)
{
    (void)state;
    /* 1x2 -> 1x4 with half-pixel centres: src x = (d + .5) * .5 - .5 =
     * -.25, .25, .75, 1.25 -> clamp, .25, .75, clamp. */
    float in[2] = {0.0f, 4.0f}, out[4], ref[4];
    nn_ref_resize_bilinear(in, 1, 2, 1, ref, 1, 4, 0, 1);
    const float want[4] = {0.0f, 1.0f, 3.0f, 4.0f};
    assert_close(ref, want, 4, 1e-6f);
    nn_resize_bilinear(in, 1, 2, 1, out, 1, 4, 0, 1, NULL, NN_ACT_NONE, 0, 1);
    assert_close(out, want, 4, 1e-6f);
    /* align_corners: 1x2 -> 1x3 = 0, 2, 4 */
    float ac[3];
    nn_ref_resize_bilinear(in, 1, 2, 1, ac, 1, 3, 1, 0);
    assert_float_equal(ac[1], 2.0f, 1e-6f);
    assert_float_equal(ac[2], 4.0f, 1e-6f);
    /* neither: src = d * 2/4: 0, .5, 1, 1.5 -> 0, 2, 4, 4 */
    nn_ref_resize_bilinear(in, 1, 2, 1, ref, 1, 4, 0, 0);
    const float want2[4] = {0.0f, 2.0f, 4.0f, 4.0f};
    assert_close(ref, want2, 4, 1e-6f);
}

static void test_avgpool_counts_only_real_taps_at_borders(void **state)
{
    (void)state;
    /* 3x3 input 1..9, 3x3 window, stride 1, SAME (pad 1 each side): the
     * corner averages 4 real taps, the edge 6, the centre 9. */
    float in[9], out[9], ref[9];
    for (int i = 0; i < 9; i++)
        in[i] = (float)(i + 1);
    nn_window g = {3, 3, 1, 1, 1, 1, 1, 1};
    nn_ref_avgpool(in, 3, 3, 1, ref, 3, 3, &g, NN_ACT_NONE);
    assert_float_equal(ref[0], (1 + 2 + 4 + 5) / 4.0f, 1e-6f);
    assert_float_equal(ref[1], (1 + 2 + 3 + 4 + 5 + 6) / 6.0f, 1e-6f);
    assert_float_equal(ref[4], 45.0f / 9.0f, 1e-6f);
    nn_avgpool(in, 3, 3, 1, out, 3, 3, &g, NN_ACT_NONE, 0, 1);
    assert_close(out, ref, 9, 1e-6f);
}

static void test_activations_hand_values(void **state)
{
    (void)state;
    assert_float_equal(nn_ref_act(NN_ACT_HARD_SWISH, -4.0f), 0.0f, 0);
    assert_float_equal(nn_ref_act(NN_ACT_HARD_SWISH, 1.0f), 1.0f * 4.0f / 6.0f, 1e-7f);
    assert_float_equal(nn_ref_act(NN_ACT_HARD_SWISH, 5.0f), 5.0f, 0);
    assert_float_equal(nn_ref_act(NN_ACT_LOGISTIC, 0.0f), 0.5f, 0);
    assert_float_equal(nn_ref_act(NN_ACT_RELU6, 7.0f), 6.0f, 0);
    assert_float_equal(nn_ref_act(NN_ACT_RELU, -1.0f), 0.0f, 0);
    assert_float_equal(nn_ref_act(NN_ACT_RELU_N1_TO_1, -3.0f), -1.0f, 0);
    /* Every ISA's activations on values from -100 to 100 (exp's clamps),
     * compared with libm: relative 1e-6 is a few ulp. */
    enum { N = 2001 };
    static float x[N], y[N], z[N];
    for (int isa = 0; isa < N_ISAS; isa++) {
        if (nn_isa_select(ISAS[isa]) != 0)
            continue;
        for (int a = 0; a < (int)(sizeof ACTS / sizeof ACTS[0]); a++) {
            for (int i = 0; i < N; i++)
                x[i] = y[i] = (float)(i - N / 2) * 0.1f;
            FOR_SHARES(3, nn_activation(ACTS[a], x, z, N, ith, nth));
            for (int i = 0; i < N; i++) {
                float want = nn_ref_act(ACTS[a], y[i]);
                float tol = 1e-6f * (fabsf(want) > 1.0f ? fabsf(want) : 1.0f) + 1e-30f;
                if (!(fabsf(z[i] - want) <= tol))
                    fail_msg("%s %s(%g) = %g, want %g", ISAS[isa], nn_act_name(ACTS[a]),
                             (double)y[i], (double)z[i], (double)want);
            }
        }
    }
}

/* ---- random shapes against the reference ------------------------------ */

static void test_conv2d_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 90; trial++) {
        int k = (int[]){1, 1, 3, 3, 5, 2}[trial % 6];
        int s = irand(1, 2), d = (trial % 7 == 0 && s == 1) ? 2 : 1, same = irand(0, 1);
        int ih = irand(k, 19), iw = irand(k, 23), ic = irand(1, 37), oc = irand(1, 41);
        if (trial % 9 == 0)
            oc = 16 * irand(1, 3); /* whole panels */
        int dw = trial % 2 ? d : 1; /* dilated rows only: the direct path */
        nn_window g = {k, k, s, s, d, dw, 0, 0};
        int oh = nn_conv_out_size(ih, k, s, d, same, &g.pad_top);
        int ow = nn_conv_out_size(iw, k, s, dw, same, &g.pad_left);
        if (oh < 1 || ow < 1)
            continue;
        size_t on = (size_t)oh * ow * oc;
        float *in = rand_buf((size_t)ih * iw * ic), *w = rand_buf((size_t)oc * k * k * ic);
        float *b = rand_buf((size_t)oc), *packed = rand_buf(nn_pack_size(oc, k * k * ic));
        float *ref = rand_buf(on), *out = rand_buf(on), *res = rand_buf(on);
        float *scratch = rand_buf(3 * nn_conv_scratch_size(k, k, ic));
        nn_act act = ACTS[trial % 7], act2 = trial % 4 == 1 ? NN_ACT_RELU : NN_ACT_NONE;
        int with_bias = trial % 5 != 0, with_res = trial % 3 == 0;
        nn_pack_conv(w, with_bias ? b : NULL, oc, k * k * ic, packed);
        nn_ref_conv2d(in, ih, iw, ic, w, with_bias ? b : NULL, oc, ref, oh, ow, &g, act);
        if (with_res)
            for (size_t i = 0; i < on; i++)
                ref[i] = nn_ref_act(act2, ref[i] + res[i]);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            for (size_t i = 0; i < on; i++)
                out[i] = NAN;
            int nt = 1 + trial % 3;
            FOR_SHARES(nt, nn_conv(in, ih, iw, ic, packed, oc, out, oh, ow, &g, act,
                                   with_res ? res : NULL, act2,
                                   scratch + (size_t)ith * nn_conv_scratch_size(k, k, ic), ith, nth));
            assert_close(out, ref, on, 1e-4f);
        }
        free(in); free(w); free(b); free(packed); free(ref); free(out); free(res); free(scratch);
    }
}

/* Winograd F(4x4, 3x3) against the direct reference: dense and dilated,
 * SAME and VALID, sizes that leave partial tiles, channel counts off the
 * panel width, activations and a residual (once the output itself, as the
 * arena may place it), one to three threads, every ISA. Its rounding grows
 * with the depth of the sum: 2.8e-4 at 64 channels (sums of about 8). */
static void test_winograd_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 80; trial++) {
        int d = trial % 5 == 0 ? irand(2, 3) : 1, same = trial % 4 != 0;
        int ih = irand(3, 29), iw = irand(3, 31), ic = irand(1, 40), oc = irand(1, 43);
        if (trial % 8 == 0)
            ic = 64, oc = 32;
        nn_window g = {3, 3, 1, 1, d, d, 0, 0};
        int oh = nn_conv_out_size(ih, 3, 1, d, same, &g.pad_top);
        int ow = nn_conv_out_size(iw, 3, 1, d, same, &g.pad_left);
        if (oh < 1 || ow < 1)
            continue;
        size_t on = (size_t)oh * ow * oc;
        float *in = rand_buf((size_t)ih * iw * ic), *w = rand_buf((size_t)oc * 9 * ic);
        float *b = rand_buf((size_t)oc), *packed = rand_buf(nn_wino_pack_size(oc, ic));
        float *ref = rand_buf(on), *out = rand_buf(on + 64), *res = rand_buf(on);
        size_t per = nn_wino_scratch_size(ic, oc);
        float *scratch = rand_buf(3 * per);
        nn_act act = ACTS[trial % 7], act2 = trial % 4 == 1 ? NN_ACT_RELU : NN_ACT_NONE;
        int with_bias = trial % 5 != 1, with_res = trial % 3 == 0, res_is_out = trial % 6 == 3;
        nn_wino_pack(w, with_bias ? b : NULL, oc, ic, packed);
        nn_ref_conv2d(in, ih, iw, ic, w, with_bias ? b : NULL, oc, ref, oh, ow, &g, act);
        if (with_res)
            for (size_t i = 0; i < on; i++)
                ref[i] = nn_ref_act(act2, ref[i] + res[i]);
        float tol = 2e-6f * (float)(9 * ic) + 1e-5f; /* 4x the worst seen */
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            for (size_t i = 0; i < on + 64; i++)
                out[i] = i < on ? NAN : 12345.0f;
            if (res_is_out)
                memcpy(out, res, on * sizeof(float));
            nn_wino_args a = {
                .in = in, .ih = ih, .iw = iw, .ic = ic, .packed = packed, .oc = oc, .out = out,
                .oh = oh, .ow = ow, .pad_top = g.pad_top, .pad_left = g.pad_left, .dil = d,
                .act = act, .res = with_res ? (res_is_out ? out : res) : NULL, .act2 = act2,
            };
            int nt = 1 + trial % 3;
            FOR_SHARES(nt, do {
                nn_wino_args t = a;
                t.scratch = scratch + (size_t)ith * per;
                nn_conv_wino(&t, ith, nth);
            } while (0));
            assert_close(out, ref, on, tol);
            for (size_t i = on; i < on + 64; i++)
                assert_true(out[i] == 12345.0f);
        }
        free(in); free(w); free(b); free(packed); free(ref); free(out); free(res); free(scratch);
    }
}

/* The transformed weights are G g G^T: a kernel with a single 1 at its
 * centre is the identity, so the output is the input plus the bias, exactly
 * up to the transforms' rounding. */
static void test_winograd_identity_kernel(void **state)
{
    (void)state;
    enum { H = 13, W = 10, C = 5 };
    float in[H * W * C], w[C * 9 * C] = {0}, b[C], out[H * W * C];
    for (int i = 0; i < H * W * C; i++)
        in[i] = (float)(i % 17) - 8.0f;
    for (int o = 0; o < C; o++) {
        w[((size_t)o * 9 + 4) * C + o] = 1.0f;
        b[o] = 0.25f * (float)o;
    }
    float *packed = rand_buf(nn_wino_pack_size(C, C));
    float *scratch = rand_buf(nn_wino_scratch_size(C, C));
    nn_wino_pack(w, b, C, C, packed);
    for (int isa = 0; isa < N_ISAS; isa++) {
        if (nn_isa_select(ISAS[isa]) != 0)
            continue;
        nn_wino_args a = {
            .in = in, .ih = H, .iw = W, .ic = C, .packed = packed, .oc = C, .out = out,
            .oh = H, .ow = W, .pad_top = 1, .pad_left = 1, .dil = 1, .act = NN_ACT_NONE,
            .act2 = NN_ACT_NONE, .scratch = scratch,
        };
        nn_conv_wino(&a, 0, 1);
        for (int i = 0; i < H * W * C; i++)
            assert_true(fabsf(out[i] - (in[i] + 0.25f * (float)(i % C))) <= 1e-5f);
    }
    free(packed);
    free(scratch);
}

/* The narrow conv (1-4 output channels as dot products) against the
 * reference: kernels 1-5 wide, strides 1-2, dilated rows, SAME and VALID,
 * kernels wider than the input, residual, every ISA that has it. */
static void test_conv_dot_matches_reference(void **state)
{
    (void)state;
    int ran = 0;
    for (int trial = 0; trial < 80; trial++) {
        int k = (int[]){3, 1, 5, 2, 3}[trial % 5], s = irand(1, 2), dh = trial % 6 == 0 ? 2 : 1;
        int same = irand(0, 1), oc = irand(1, NN_DOT_MAX_OC);
        int ih = irand(1, 17), iw = irand(1, 19), ic = irand(8, 70);
        nn_window g = {k, k, s, s, dh, 1, 0, 0};
        int oh = nn_conv_out_size(ih, k, s, dh, same, &g.pad_top);
        int ow = nn_conv_out_size(iw, k, s, 1, same, &g.pad_left);
        if (oh < 1 || ow < 1)
            continue;
        size_t on = (size_t)oh * ow * oc;
        float *in = rand_buf((size_t)ih * iw * ic), *w = rand_buf((size_t)oc * k * k * ic);
        float *b = rand_buf((size_t)oc), *ref = rand_buf(on), *out = rand_buf(on + 16);
        float *res = rand_buf(on);
        nn_act act = ACTS[trial % 7], act2 = trial % 4 == 1 ? NN_ACT_RELU6 : NN_ACT_NONE;
        int with_bias = trial % 5 != 2, with_res = trial % 3 == 0;
        nn_ref_conv2d(in, ih, iw, ic, w, with_bias ? b : NULL, oc, ref, oh, ow, &g, act);
        if (with_res)
            for (size_t i = 0; i < on; i++)
                ref[i] = nn_ref_act(act2, ref[i] + res[i]);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0 || !nn_conv_dot_takes(&g, ic, oc))
                continue;
            for (size_t i = 0; i < on + 16; i++)
                out[i] = i < on ? NAN : 12345.0f;
            nn_dot_args a = {
                .in = in, .ih = ih, .iw = iw, .ic = ic, .w = w, .bias = with_bias ? b : NULL,
                .oc = oc, .out = out, .oh = oh, .ow = ow, .g = g, .act = act,
                .res = with_res ? res : NULL, .act2 = act2,
            };
            FOR_SHARES(1 + trial % 3, nn_conv_dot(&a, ith, nth));
            assert_close(out, ref, on, 1e-4f);
            for (size_t i = on; i < on + 16; i++)
                assert_true(out[i] == 12345.0f);
            ran++;
        }
        free(in); free(w); free(b); free(ref); free(out); free(res);
    }
#if defined(__x86_64__)
    if (nn_isa_supported("avx2"))
        assert_true(ran > 0);
#endif
}

/* Reflect and edge padding by hand (ONNX Pad's modes), then the kernel
 * against the reference on random shapes and pads, 1-3 threads; Slice
 * likewise. */
static void test_pad_modes_and_slice(void **state)
{
    (void)state;
    const float row[3] = {1, 2, 3};
    int s1[4] = {1, 1, 1, 3}, p1[4][2] = {{0, 0}, {0, 0}, {0, 0}, {2, 2}};
    float got[7];
    static const float reflect[7] = {3, 2, 1, 2, 3, 2, 1}, edge[7] = {1, 1, 1, 2, 3, 3, 3};
    nn_pad(row, s1, (const int(*)[2])p1, 0.0f, NN_PAD_REFLECT, got, 0, 1);
    assert_memory_equal(got, reflect, sizeof reflect);
    nn_pad(row, s1, (const int(*)[2])p1, 0.0f, NN_PAD_EDGE, got, 0, 1);
    assert_memory_equal(got, edge, sizeof edge);
    for (int trial = 0; trial < 60; trial++) {
        int s[4] = {irand(1, 2), irand(1, 9), irand(1, 9), irand(1, 7)}, p[4][2], os[4];
        int mode = trial % 3;
        for (int d = 0; d < 4; d++)
            for (int e = 0; e < 2; e++) {
                int most = mode == NN_PAD_REFLECT ? s[d] - 1 : 3;
                p[d][e] = d == 0 ? 0 : irand(0, most < 3 ? most : 3);
            }
        for (int d = 0; d < 4; d++)
            os[d] = s[d] + p[d][0] + p[d][1];
        size_t in_n = (size_t)s[0] * s[1] * s[2] * s[3], on = (size_t)os[0] * os[1] * os[2] * os[3];
        float *in = rand_buf(in_n), *ref = rand_buf(on), *out = rand_buf(on);
        nn_ref_pad(in, s, (const int(*)[2])p, 0.25f, mode, ref);
        FOR_SHARES(1 + trial % 3, nn_pad(in, s, (const int(*)[2])p, 0.25f, mode, out, ith, nth));
        assert_memory_equal(out, ref, on * sizeof(float));
        /* a slice of the padded tensor back to the input's shape where it
         * was copied whole: the input again */
        int begin[4], step[4] = {1, 1, 1, 1};
        for (int d = 0; d < 4; d++)
            begin[d] = p[d][0];
        FOR_SHARES(1 + trial % 2, nn_slice(out, os, begin, step, ref, s, ith, nth));
        assert_memory_equal(ref, in, in_n * sizeof(float));
        /* strided slices against the reference */
        int ss[4], b2[4], st2[4];
        for (int d = 0; d < 4; d++) {
            st2[d] = irand(1, 3);
            b2[d] = irand(0, os[d] - 1);
            ss[d] = 1 + (os[d] - 1 - b2[d]) / st2[d];
            ss[d] = irand(1, ss[d]);
        }
        size_t sn = (size_t)ss[0] * ss[1] * ss[2] * ss[3];
        float *want = rand_buf(sn), *sl = rand_buf(sn);
        nn_ref_slice(out, os, b2, st2, want, ss);
        FOR_SHARES(1 + trial % 3, nn_slice(out, os, b2, st2, sl, ss, ith, nth));
        assert_memory_equal(sl, want, sn * sizeof(float));
        free(in); free(ref); free(out); free(want); free(sl);
    }
}

/* Instance normalisation against the reference: channel counts across
 * the 64-channel blocks, 1-3 threads (each a channel range), a batch of 2,
 * an activation after. */
static void test_instance_norm_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 24; trial++) {
        int n = 1 + trial % 2, c = (int[]){1, 5, 64, 70, 130, 9}[trial % 6];
        long hw = irand(1, 40);
        size_t len = (size_t)n * hw * c;
        float *in = rand_buf(len), *sc = rand_buf((size_t)c), *bi = rand_buf((size_t)c);
        float *ref = rand_buf(len), *out = rand_buf(len);
        for (size_t i = 0; i < len; i++)
            in[i] = 3.0f * in[i] + 5.0f; /* an offset the mean must remove */
        nn_act act = trial % 3 == 0 ? NN_ACT_RELU : NN_ACT_NONE;
        nn_ref_instance_norm(in, n, hw, c, sc, bi, 1e-3f, ref);
        for (size_t i = 0; i < len; i++)
            ref[i] = nn_ref_act(act, ref[i]);
        FOR_SHARES(1 + trial % 3,
                   nn_instance_norm(in, n, hw, c, sc, bi, 1e-3f, act, out, ith, nth));
        assert_close(out, ref, len, 2e-5f);
        free(in); free(sc); free(bi); free(ref); free(out);
    }
}

/* Kernels wider (and taller) than the input, SAME padding: no output pixel
 * has its window inside the input, so the whole row goes through im2col and
 * nothing is written past the output (a canary after it). A crafted model
 * can ask for this; the direct path once ran past the row here. */
static void test_conv2d_kernel_wider_than_input(void **state)
{
    (void)state;
    static const int shapes[][4] = {{1, 3, 1, 9}, {2, 3, 7, 9}, {4, 2, 1, 15}, {3, 5, 3, 12}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int ih = shapes[t][0], iw = shapes[t][1], kh = shapes[t][2], kw = shapes[t][3];
        int ic = 3, oc = 5;
        nn_window g = {kh, kw, 1, 1, 1, 1, 0, 0};
        int oh = nn_conv_out_size(ih, kh, 1, 1, 1, &g.pad_top);
        int ow = nn_conv_out_size(iw, kw, 1, 1, 1, &g.pad_left);
        size_t on = (size_t)oh * ow * oc, kn = (size_t)kh * kw * ic;
        float *in = rand_buf((size_t)ih * iw * ic), *w = rand_buf((size_t)oc * kn);
        float *b = rand_buf((size_t)oc), *packed = rand_buf(nn_pack_size(oc, (int)kn));
        float *ref = rand_buf(on), *out = rand_buf(on + 64);
        float *scratch = rand_buf(nn_conv_scratch_size(kh, kw, ic));
        nn_pack_conv(w, b, oc, (int)kn, packed);
        nn_ref_conv2d(in, ih, iw, ic, w, b, oc, ref, oh, ow, &g, NN_ACT_NONE);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            for (size_t i = 0; i < on + 64; i++)
                out[i] = i < on ? NAN : 12345.0f;
            nn_conv(in, ih, iw, ic, packed, oc, out, oh, ow, &g, NN_ACT_NONE, NULL, NN_ACT_NONE,
                    scratch, 0, 1);
            assert_close(out, ref, on, 1e-4f);
            for (size_t i = on; i < on + 64; i++)
                assert_true(out[i] == 12345.0f);
        }
        free(in); free(w); free(b); free(packed); free(ref); free(out); free(scratch);
    }
}

static void test_depthwise_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 60; trial++) {
        int k = (int[]){3, 5, 3, 1}[trial % 4];
        int s = irand(1, 2), d = (trial % 5 == 0 && s == 1) ? irand(2, 4) : 1;
        int same = trial % 3 != 0, mult = trial % 6 == 0 ? 2 : 1;
        int ih = irand(1, 21), iw = irand(1, 27), ic = irand(1, 40);
        nn_window g = {k, k, s, s, d, d, 0, 0};
        int oh = nn_conv_out_size(ih, k, s, d, same, &g.pad_top);
        int ow = nn_conv_out_size(iw, k, s, d, same, &g.pad_left);
        if (oh < 1 || ow < 1)
            continue;
        int oc = ic * mult;
        float *in = rand_buf((size_t)ih * iw * ic), *w = rand_buf((size_t)k * k * oc);
        float *b = rand_buf((size_t)oc);
        float *ref = rand_buf((size_t)oh * ow * oc), *out = rand_buf((size_t)oh * ow * oc);
        nn_act act = ACTS[trial % 7];
        nn_ref_depthwise(in, ih, iw, ic, mult, w, b, ref, oh, ow, &g, act);
        float *res = rand_buf((size_t)oh * ow * oc);
        nn_dw_args da = {in, ih, iw, ic, mult, w, trial % 7 ? b : NULL, out, oh, ow, g, act,
                         trial % 2 ? res : NULL, trial % 4 == 1 ? NN_ACT_RELU6 : NN_ACT_NONE};
        if (!da.bias)
            nn_ref_depthwise(in, ih, iw, ic, mult, w, NULL, ref, oh, ow, &g, act);
        if (da.res)
            for (size_t i = 0; i < (size_t)oh * ow * oc; i++)
                ref[i] = nn_ref_act(da.act2, ref[i] + res[i]);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            FOR_SHARES(1 + trial % 3, nn_depthwise(&da, ith, nth));
            assert_close(out, ref, (size_t)oh * ow * oc, 1e-5f);
        }
        free(res);
        free(in); free(w); free(b); free(ref); free(out);
    }
}

static void test_transpose_conv_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 40; trial++) {
        int k = irand(1, 4), s = irand(1, 3);
        int ih = irand(1, 12), iw = irand(1, 13), ic = irand(1, 20), oc = irand(1, 5);
        int pt = irand(0, k - 1), pl = irand(0, k - 1);
        if (trial % 2 == 0) { /* the non-overlapping fast path */
            s = k;
            pt = pl = 0;
        }
        if (trial % 4 == 0) { /* the MediaPipe head: 16 -> 1 channel, 2x2 stride 2 */
            ic = 16;
            oc = 1;
            iw = irand(1, 40);
        }
        int oh = s * (ih - 1) + k - pt * 2, ow = s * (iw - 1) + k - pl * 2;
        if (trial % 2 == 0) {
            oh = ih * k;
            ow = iw * k;
        }
        if (oh < 1 || ow < 1)
            continue;
        nn_window g = {k, k, s, s, 1, 1, pt, pl};
        float *in = rand_buf((size_t)ih * iw * ic), *w = rand_buf((size_t)oc * k * k * ic);
        float *b = rand_buf((size_t)oc);
        float *ref = rand_buf((size_t)oh * ow * oc), *out = rand_buf((size_t)oh * ow * oc);
        nn_act act = ACTS[trial % 7];
        nn_ref_transpose_conv(in, ih, iw, ic, w, b, oc, ref, oh, ow, &g, act);
        float *packed = rand_buf(nn_pack_tconv_size(oc, k, k, ic));
        nn_pack_tconv(w, b, oc, k, k, ic, packed);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            FOR_SHARES(1 + trial % 3, nn_transpose_conv(in, ih, iw, ic, w, packed, b, oc, out,
                                                        oh, ow, &g, act, ith, nth));
            assert_close(out, ref, (size_t)oh * ow * oc, 1e-4f);
        }
        free(in); free(w); free(b); free(ref); free(out); free(packed);
    }
}

static void test_pool_and_resize_match_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 40; trial++) {
        int ih = irand(1, 33), iw = irand(1, 33), c = irand(1, 35);
        int global = trial % 3 == 0;
        int k = global ? 0 : irand(1, 3), s = global ? 1 : irand(1, 2), same = irand(0, 1);
        nn_window g = {global ? ih : k, global ? iw : k, s, s, 1, 1, 0, 0};
        if (global)
            same = 0;
        int oh = nn_conv_out_size(ih, g.kh, s, 1, same, &g.pad_top);
        int ow = nn_conv_out_size(iw, g.kw, s, 1, same, &g.pad_left);
        float *in = rand_buf((size_t)ih * iw * c);
        if (oh >= 1 && ow >= 1) {
            float *ref = rand_buf((size_t)oh * ow * c), *out = rand_buf((size_t)oh * ow * c);
            nn_ref_avgpool(in, ih, iw, c, ref, oh, ow, &g, NN_ACT_NONE);
            FOR_SHARES(1 + trial % 3, nn_avgpool(in, ih, iw, c, out, oh, ow, &g, NN_ACT_NONE, ith, nth));
            assert_close(out, ref, (size_t)oh * ow * c, 1e-5f);
            free(ref); free(out);
        }
        int rh = irand(1, 40), rw = irand(1, 40);
        int align = trial % 3 == 1, half = trial % 3 == 2;
        float *ref = rand_buf((size_t)rh * rw * c), *out = rand_buf((size_t)rh * rw * c);
        nn_ref_resize_bilinear(in, ih, iw, c, ref, rh, rw, align, half);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            FOR_SHARES(1 + trial % 3, nn_resize_bilinear(in, ih, iw, c, out, rh, rw, align, half,
                                                         NULL, NN_ACT_NONE, ith, nth));
            assert_close(out, ref, (size_t)rh * rw * c, 1e-5f);
            /* with a residual and an activation after it */
            float *res = rand_buf((size_t)rh * rw * c), *ref2 = rand_buf((size_t)rh * rw * c);
            for (size_t i = 0; i < (size_t)rh * rw * c; i++)
                ref2[i] = nn_ref_act(NN_ACT_RELU6, ref[i] + res[i]);
            FOR_SHARES(2, nn_resize_bilinear(in, ih, iw, c, out, rh, rw, align, half, res,
                                             NN_ACT_RELU6, ith, nth));
            assert_close(out, ref2, (size_t)rh * rw * c, 1e-5f);
            free(res);
            free(ref2);
        }
        free(ref); free(out); free(in);
    }
}

static void test_binary_broadcast_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 60; trial++) {
        int h = irand(1, 9), w = irand(1, 9), c = irand(1, 19);
        int as[4] = {1, h, w, c}, bs[4] = {1, h, w, c}, os[4] = {1, h, w, c};
        switch (trial % 4) {
        case 1: bs[1] = bs[2] = 1; break;           /* per-channel (squeeze-excite) */
        case 2: as[1] = as[2] = 1; break;           /* the other way round */
        case 3: bs[2] = 1; bs[3] = 1; break;        /* general broadcast */
        default: break;
        }
        size_t an = (size_t)as[1] * as[2] * as[3], bn = (size_t)bs[1] * bs[2] * bs[3];
        size_t on = (size_t)h * w * c;
        float *a = rand_buf(an), *b = rand_buf(bn), *ref = rand_buf(on), *out = rand_buf(on);
        nn_binop op = (nn_binop)(trial % NN_BIN_COUNT);
        if (op == NN_BIN_DIV)
            for (size_t i = 0; i < bn; i++)
                b[i] = b[i] >= 0 ? b[i] + 0.5f : b[i] - 0.5f;
        nn_act act = ACTS[trial % 3];
        nn_ref_binary(op, a, as, b, bs, ref, os, act);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            FOR_SHARES(1 + trial % 3, nn_binary(op, a, as, b, bs, out, os, act, ith, nth));
            assert_close(out, ref, on, 1e-6f);
        }
        free(a); free(b); free(ref); free(out);
    }
}

static void test_muladd_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 20; trial++) {
        int h = irand(1, 9), w = irand(1, 9), c = irand(1, 40);
        int fs[4] = {1, h, w, c}, vs[4] = {1, 1, 1, c};
        size_t n = (size_t)h * w * c;
        float *a = rand_buf(n), *sc = rand_buf((size_t)c), *cc = rand_buf(n);
        float *ref = rand_buf(n), *out = rand_buf(n);
        nn_act act = ACTS[trial % 7];
        nn_ref_binary(NN_BIN_MUL, a, fs, sc, vs, ref, fs, NN_ACT_NONE);
        nn_ref_binary(NN_BIN_ADD, ref, fs, cc, fs, ref, fs, act);
        for (int isa = 0; isa < N_ISAS; isa++) {
            if (nn_isa_select(ISAS[isa]) != 0)
                continue;
            FOR_SHARES(1 + trial % 3, nn_muladd(a, sc, cc, out, (long)h * w, c, act, ith, nth));
            assert_close(out, ref, n, 1e-5f);
        }
        free(a); free(sc); free(cc); free(ref); free(out);
    }
}

static void test_mean_reference_hand_case(void **state)
{
    (void)state;
    float in[2 * 3 * 2], out[2];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i;
    int s[4] = {1, 2, 3, 2}, r[4] = {0, 1, 1, 0};
    nn_ref_mean(in, s, r, out);
    /* channel 0: 0,2,4,6,8,10 -> 5; channel 1: 1..11 odd -> 6 */
    assert_float_equal(out[0], 5.0f, 1e-6f);
    assert_float_equal(out[1], 6.0f, 1e-6f);
}

/* Reductions: sum, max and min by hand, then the kernel against the
 * reference over channels alone (the threaded path) and mixed axes. */
static void test_reduce_matches_reference(void **state)
{
    (void)state;
    float in[2 * 3 * 2], out[6];
    for (int i = 0; i < 12; i++)
        in[i] = (float)((i * 7) % 12) - 5.0f; /* -5 2, -3 4, -1 6, 1 -4, 3 -2, 5 0 */
    int s[4] = {1, 2, 3, 2}, rc[4] = {0, 0, 0, 1}, rs[4] = {0, 1, 1, 0};
    nn_reduce(in, s, rc, NN_REDUCE_MAX, out, 0, 1);
    static const float max_c[6] = {2, 4, 6, 1, 3, 5};
    assert_memory_equal(out, max_c, sizeof max_c);
    nn_reduce(in, s, rs, NN_REDUCE_MIN, out, 0, 1);
    assert_true(out[0] == -5.0f && out[1] == -4.0f);
    nn_reduce(in, s, rs, NN_REDUCE_SUM, out, 0, 1);
    assert_true(out[0] == -5 - 3 - 1 + 1 + 3 + 5 && out[1] == 2 + 4 + 6 - 4 - 2 + 0);
    for (int trial = 0; trial < 40; trial++) {
        int sh[4] = {1, irand(1, 9), irand(1, 11), irand(1, 40)}, r[4] = {0, 0, 0, 1};
        if (trial % 4 == 3)
            r[1] = 1, r[3] = trial % 8 == 3;
        if (!r[1] && !r[3])
            r[3] = 1;
        int op = trial % 4;
        size_t n = (size_t)sh[1] * sh[2] * sh[3], on = 1;
        for (int d = 0; d < 4; d++)
            on *= r[d] ? 1u : (size_t)sh[d];
        float *a = rand_buf(n), *ref = rand_buf(on), *got = rand_buf(on);
        nn_ref_reduce(a, sh, r, op, ref);
        FOR_SHARES(1 + trial % 3, nn_reduce(a, sh, r, op, got, ith, nth));
        assert_close(got, ref, on, 1e-5f);
        free(a); free(ref); free(got);
    }
}

static void test_depth_to_space_hand_case(void **state)
{
    (void)state;
    /* 1x2 pixels of 8 channels, block 2 -> 2x4 pixels of 2 channels: output
     * pixel (y, x) takes channels ((y%2)*2 + x%2)*2 .. +1 of input (0, x/2). */
    float in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = (float)i;
    nn_ref_depth_to_space(in, 1, 2, 8, 2, out);
    static const float want[16] = {0, 1, 2, 3, 8, 9, 10, 11,      /* row 0 */
                                   4, 5, 6, 7, 12, 13, 14, 15};   /* row 1 */
    for (int i = 0; i < 16; i++)
        assert_float_equal(out[i], want[i], 0.0f);
    float out2[16];
    memset(out2, 0, sizeof out2);
    FOR_SHARES(3, nn_depth_to_space(in, 1, 2, 8, 2, out2, ith, nth));
    assert_memory_equal(out, out2, sizeof out);
}

static void test_depth_to_space_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 12; trial++) {
        int b = irand(1, 4), ih = irand(1, 9), iw = irand(1, 9), oc = irand(1, 7);
        int ic = oc * b * b;
        size_t n = (size_t)ih * iw * ic;
        float *in = rand_buf(n), *ref = rand_buf(n), *out = rand_buf(n);
        nn_ref_depth_to_space(in, ih, iw, ic, b, ref);
        FOR_SHARES(1 + trial % 3, nn_depth_to_space(in, ih, iw, ic, b, out, ith, nth));
        assert_memory_equal(ref, out, n * sizeof(float));
        free(in); free(ref); free(out);
    }
}

/* A 3x4 CSR matrix [[1,0,2,0],[0,0,0,0],[0,3,0,4]]: values 1,2,3,4 land at
 * flat positions 0, 2, 9, 11. */
static nn_sparsity csr_3x4(const int32_t *seg, const int32_t *idx)
{
    nn_sparsity sp;
    memset(&sp, 0, sizeof sp);
    sp.rank = 2;
    sp.shape[0] = 3;
    sp.shape[1] = 4;
    sp.n_levels = 2;
    sp.traversal[0] = 0;
    sp.traversal[1] = 1;
    sp.dim[0].dense_size = 3;
    sp.dim[1] = (nn_sparse_dim){1, 0, seg, idx, 4, 4, 4, 4};
    return sp;
}

static void test_sparse_positions_hand_cases(void **state)
{
    (void)state;
    const char *why;
    size_t pos[8];
    static const int32_t seg[4] = {0, 2, 2, 4}, idx[4] = {0, 2, 1, 3};
    nn_sparsity sp = csr_3x4(seg, idx);
    assert_int_equal(nn_sparse_positions(&sp, 4, pos, &why), 0);
    assert_int_equal(pos[0], 0);
    assert_int_equal(pos[1], 2);
    assert_int_equal(pos[2], 9);
    assert_int_equal(pos[3], 11);

    /* A 4x4 matrix in 2x2 blocks (TFLite's block-sparse example layout):
     * block rows dense, block columns CSR, then the block's 2x2 dense. Block
     * (0,1) and block (1,0) are stored, as uint8 arrays. */
    static const uint8_t bseg[3] = {0, 1, 2}, bidx[2] = {1, 0};
    nn_sparsity b;
    memset(&b, 0, sizeof b);
    b.rank = 2;
    b.shape[0] = b.shape[1] = 4;
    b.n_levels = 4;
    b.n_blocks = 2;
    for (int i = 0; i < 4; i++)
        b.traversal[i] = i;
    b.block_map[0] = 0;
    b.block_map[1] = 1;
    b.dim[0].dense_size = 2;
    b.dim[1] = (nn_sparse_dim){1, 0, bseg, bidx, 1, 1, 3, 2};
    b.dim[2].dense_size = 2;
    b.dim[3].dense_size = 2;
    assert_int_equal(nn_sparse_positions(&b, 8, pos, &why), 0);
    static const size_t want[8] = {2, 3, 6, 7, 8, 9, 12, 13};
    for (int i = 0; i < 8; i++)
        assert_int_equal(pos[i], want[i]);

    /* Traversal order 1,0: the same matrix stored column-major (CSC):
     * columns 0..3 dense, rows CSR. Column 1 holds row 2 (value 3), ... */
    static const int32_t cseg[5] = {0, 1, 2, 3, 4}, cidx[4] = {0, 2, 0, 2};
    nn_sparsity c = csr_3x4(cseg, cidx);
    c.traversal[0] = 1;
    c.traversal[1] = 0;
    c.dim[0].dense_size = 4;
    c.dim[1].n_segments = 5;
    assert_int_equal(nn_sparse_positions(&c, 4, pos, &why), 0);
    assert_int_equal(pos[0], 0);  /* (0,0) */
    assert_int_equal(pos[1], 9);  /* (2,1) */
    assert_int_equal(pos[2], 2);  /* (0,2) */
    assert_int_equal(pos[3], 11); /* (2,3) */
}

/* Every field a hostile file controls, bent one at a time: refused, never
 * out of bounds (the test runs under ASan in the asan preset). */
static void test_sparse_positions_refuse_bad_indices(void **state)
{
    (void)state;
    const char *why;
    size_t pos[8];
    static const int32_t seg[4] = {0, 2, 2, 4}, idx[4] = {0, 2, 1, 3};
    static const int32_t idx_far[4] = {0, 4, 1, 3}, idx_neg[4] = {0, -1, 1, 3};
    static const int32_t seg_down[4] = {0, 2, 1, 4}, seg_past[4] = {0, 2, 2, 5};
    static const int32_t seg_neg[4] = {-1, 2, 2, 4};
    struct { const char *what; nn_sparsity sp; size_t n; } bad[16];
    int nb = 0;
    bad[nb].what = "index past the row"; bad[nb].sp = csr_3x4(seg, idx_far); bad[nb++].n = 4;
    bad[nb].what = "negative index"; bad[nb].sp = csr_3x4(seg, idx_neg); bad[nb++].n = 4;
    bad[nb].what = "segments going down"; bad[nb].sp = csr_3x4(seg_down, idx); bad[nb++].n = 4;
    bad[nb].what = "segment past indices"; bad[nb].sp = csr_3x4(seg_past, idx); bad[nb++].n = 4;
    bad[nb].what = "negative segment"; bad[nb].sp = csr_3x4(seg_neg, idx); bad[nb++].n = 4;
    bad[nb].what = "too few segments"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.dim[1].n_segments = 3; bad[nb++].n = 4;
    bad[nb].what = "more stored values"; bad[nb].sp = csr_3x4(seg, idx); bad[nb++].n = 5;
    bad[nb].what = "fewer stored values"; bad[nb].sp = csr_3x4(seg, idx); bad[nb++].n = 3;
    bad[nb].what = "dense size off"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.dim[0].dense_size = 4; bad[nb++].n = 4;
    bad[nb].what = "traversal repeats"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.traversal[1] = 0; bad[nb++].n = 4;
    bad[nb].what = "traversal out of range"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.traversal[1] = 7; bad[nb++].n = 4;
    bad[nb].what = "levels != rank + blocks"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.n_levels = 3; bad[nb++].n = 4;
    bad[nb].what = "index width 3"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.dim[1].idx_bytes = 3; bad[nb++].n = 4;
    bad[nb].what = "no index array"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.dim[1].indices = NULL; bad[nb++].n = 4;
    bad[nb].what = "block size not dividing"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.n_levels = 3; bad[nb].sp.n_blocks = 1; bad[nb].sp.traversal[2] = 2;
    bad[nb].sp.block_map[0] = 1; bad[nb].sp.dim[2].dense_size = 3; bad[nb++].n = 4;
    bad[nb].what = "block of a missing dim"; bad[nb].sp = csr_3x4(seg, idx);
    bad[nb].sp.n_levels = 3; bad[nb].sp.n_blocks = 1; bad[nb].sp.traversal[2] = 2;
    bad[nb].sp.block_map[0] = 2; bad[nb].sp.dim[2].dense_size = 2; bad[nb++].n = 4;
    for (int i = 0; i < nb; i++) {
        why = NULL;
        if (nn_sparse_positions(&bad[i].sp, bad[i].n, pos, &why) != -1)
            fail_msg("%s: accepted", bad[i].what);
        assert_non_null(why);
        printf("# %s: %s\n", bad[i].what, why);
    }
}

static void test_isa_selection(void **state)
{
    (void)state;
    assert_int_equal(nn_isa_select("portable"), 0);
    assert_string_equal(nn_isa_current()->name, "portable");
    assert_int_not_equal(nn_isa_select("no-such-isa"), 0);
    for (int i = 0; i < N_ISAS; i++)
        printf("# %s: %s\n", ISAS[i], nn_isa_supported(ISAS[i]) ? "tested" : "not on this CPU");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_selection),
        cmocka_unit_test(test_same_padding_puts_extra_pixel_at_end),
        cmocka_unit_test(test_transpose_conv_hand_case),
        cmocka_unit_test(test_resize_half_pixel_hand_case),
        cmocka_unit_test(test_avgpool_counts_only_real_taps_at_borders),
        cmocka_unit_test(test_activations_hand_values),
        cmocka_unit_test(test_conv2d_matches_reference),
        cmocka_unit_test(test_conv2d_kernel_wider_than_input),
        cmocka_unit_test(test_winograd_matches_reference),
        cmocka_unit_test(test_winograd_identity_kernel),
        cmocka_unit_test(test_conv_dot_matches_reference),
        cmocka_unit_test(test_pad_modes_and_slice),
        cmocka_unit_test(test_instance_norm_matches_reference),
        cmocka_unit_test(test_reduce_matches_reference),
        cmocka_unit_test(test_depthwise_matches_reference),
        cmocka_unit_test(test_transpose_conv_matches_reference),
        cmocka_unit_test(test_pool_and_resize_match_reference),
        cmocka_unit_test(test_binary_broadcast_matches_reference),
        cmocka_unit_test(test_muladd_matches_reference),
        cmocka_unit_test(test_mean_reference_hand_case),
        cmocka_unit_test(test_depth_to_space_hand_case),
        cmocka_unit_test(test_depth_to_space_matches_reference),
        cmocka_unit_test(test_sparse_positions_hand_cases),
        cmocka_unit_test(test_sparse_positions_refuse_bad_indices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
