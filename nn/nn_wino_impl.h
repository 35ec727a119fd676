/* nn_wino_impl.h - the body of the Winograd F(4x4, 3x3) convolution, shared
 * by the portable kernels (nn_kernels.c) and each SIMD build (nn_simd.c),
 * which include it after defining:
 *   WINO_NAME  the function's name
 *   WINO_GEMM  the GEMM of that instruction set (nn_gemm_args, r0, r1)
 *   WINO_ACT   its in-place activation (nn_act, float *, size_t)
 * The transforms are plain loops over channels (NHWC keeps a pixel's
 * channels contiguous), written so the compiler vectorises them with the
 * including file's instruction set; the 36 products per tile block are that
 * ISA's register-blocked GEMM.
 *
 * Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016):
 * Y = A^T [ (G g G^T) (.) (B^T d B) ] A, with the interpolation points
 * 0, +-1, +-2 and infinity. Each 6x6 input tile d gives a 4x4 output tile;
 * the 3x3 kernel g was transformed at load (nn_wino_pack). A dilated
 * convolution is d*d dense ones on the phases of the grid, so a tile's
 * pixels are dil apart. */
#include <string.h>

#define WINO_CAT2(a, b) a##b
#define WINO_CAT(a, b) WINO_CAT2(a, b)
#define WINO_BT WINO_CAT(WINO_NAME, _bt)
#define WINO_AT WINO_CAT(WINO_NAME, _at)

/* dst[k*ds + c] = (B^T src)_k of the 6 values src[k*ss + c], k = 0..5. */
static void WINO_BT(const float *restrict src, size_t ss, float *restrict dst, size_t ds, int n)
{
    /* The six destination rows never overlap (ds >= n): vectorise. */
#pragma GCC ivdep
    for (int c = 0; c < n; c++) {
        float d0 = src[c], d1 = src[ss + c], d2 = src[2 * ss + c];
        float d3 = src[3 * ss + c], d4 = src[4 * ss + c], d5 = src[5 * ss + c];
        dst[c] = 4.0f * d0 - 5.0f * d2 + d4;
        dst[ds + c] = -4.0f * (d1 + d2) + d3 + d4;
        dst[2 * ds + c] = 4.0f * (d1 - d2) - d3 + d4;
        dst[3 * ds + c] = 2.0f * (d3 - d1) - d2 + d4;
        dst[4 * ds + c] = 2.0f * (d1 - d3) - d2 + d4;
        dst[5 * ds + c] = 4.0f * d1 - 5.0f * d3 + d5;
    }
}

/* dst[k*ds + c] = (A^T src)_k + add[c] for k = 0..3 (add may be NULL). */
static void WINO_AT(const float *restrict src, size_t ss, float *restrict dst, size_t ds,
                    const float *restrict add, int n)
{
#pragma GCC ivdep
    for (int c = 0; c < n; c++) {
        float m0 = src[c], m1 = src[ss + c], m2 = src[2 * ss + c];
        float m3 = src[3 * ss + c], m4 = src[4 * ss + c], m5 = src[5 * ss + c];
        float b = add ? add[c] : 0.0f;
        float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
        dst[c] = m0 + s12 + s34 + b;
        dst[ds + c] = d12 + 2.0f * d34 + b;
        dst[2 * ds + c] = s12 + 4.0f * s34 + b;
        dst[3 * ds + c] = d12 + 8.0f * d34 + m5 + b;
    }
}

/* Tiles [t0, t1) of one convolution, NN_WINO_TILES at a time. */
static void WINO_NAME(const nn_wino_args *a, long t0, long t1)
{
    const int ic = a->ic, oc = a->oc, dil = a->dil;
    const int T = NN_WINO_TILES;
    int gh, gw, ty, tx;
    nn_wino_grid(a->oh, a->ow, dil, &gh, &gw, &ty, &tx);
    (void)gh;
    (void)gw;
    const size_t psize = nn_pack_size(oc, ic);
    const int npan = (oc + NN_PW - 1) / NN_PW;
    const float *bias = a->packed + 36 * psize;
    float *vbuf = a->scratch;                        /* [36][T][ic] */
    float *mbuf = vbuf + (size_t)36 * T * ic;        /* [36][T][oc] */
    float *tmp = mbuf + (size_t)36 * T * oc;         /* [6][6][max(ic, oc)] */
    int cmax = ic > oc ? ic : oc;
    float *patch = tmp + (size_t)36 * cmax;          /* [6][6][ic] */
    float *ybuf = patch + (size_t)36 * ic;           /* [4][4][oc] */
    const size_t irs = (size_t)dil * a->iw * ic, ics = (size_t)dil * ic;

    for (long b0 = t0; b0 < t1; b0 += T) {
        int nt = (int)(t1 - b0 < T ? t1 - b0 : T);
        /* input transform */
        for (int j = 0; j < nt; j++) {
            long t = b0 + j;
            int phase = (int)(t / ((long)ty * tx)), rest = (int)(t % ((long)ty * tx));
            int py = phase / dil, px = phase % dil;
            int y0 = py + dil * 4 * (rest / tx) - a->pad_top;
            int x0 = px + dil * 4 * (rest % tx) - a->pad_left;
            const float *src;
            size_t rs, cs;
            if (y0 >= 0 && x0 >= 0 && y0 + 5 * dil < a->ih && x0 + 5 * dil < a->iw) {
                src = a->in + ((size_t)y0 * a->iw + x0) * ic;
                rs = irs;
                cs = ics;
            } else {
                for (int r = 0; r < 6; r++)
                    for (int c = 0; c < 6; c++) {
                        int y = y0 + r * dil, x = x0 + c * dil;
                        float *p = patch + (size_t)(r * 6 + c) * ic;
                        if (y < 0 || y >= a->ih || x < 0 || x >= a->iw)
                            memset(p, 0, (size_t)ic * sizeof(float));
                        else
                            memcpy(p, a->in + ((size_t)y * a->iw + x) * ic,
                                   (size_t)ic * sizeof(float));
                    }
                src = patch;
                rs = (size_t)6 * ic;
                cs = (size_t)ic;
            }
            /* columns: tmp[i][x] = B^T along y */
            for (int x = 0; x < 6; x++)
                WINO_BT(src + x * cs, rs, tmp + (size_t)x * ic, (size_t)6 * ic, ic);
            /* rows: V[i*6 + k][j] = B^T along x of tmp[i][.] */
            for (int i = 0; i < 6; i++)
                WINO_BT(tmp + (size_t)i * 6 * ic, (size_t)ic,
                        vbuf + ((size_t)i * 6 * T + j) * ic, (size_t)T * ic, ic);
        }
        /* the 36 products: M[p] = V[p] (nt x ic) x U[p] (ic x oc) */
        for (int p = 0; p < 36; p++) {
            const float *bp = a->packed + (size_t)p * psize;
            nn_gemm_args g = {
                .n = oc, .k = ic, .a = vbuf + (size_t)p * T * ic, .lda = (size_t)ic,
                .b = bp, .bias = bp + (size_t)npan * NN_PW * ic,
                .c = mbuf + (size_t)p * T * oc, .ldc = (size_t)oc, .act = NN_ACT_NONE,
                .act2 = NN_ACT_NONE,
            };
            WINO_GEMM(&g, 0, nt);
        }
        /* output transform, bias, activation, residual */
        for (int j = 0; j < nt; j++) {
            long t = b0 + j;
            int phase = (int)(t / ((long)ty * tx)), rest = (int)(t % ((long)ty * tx));
            int py = phase / dil, px = phase % dil;
            int oy0 = py + dil * 4 * (rest / tx), ox0 = px + dil * 4 * (rest % tx);
            const float *m = mbuf + (size_t)j * oc;
            /* columns: tmp[r][x] = A^T along y of M[k*6 + x] */
            for (int x = 0; x < 6; x++)
                WINO_AT(m + (size_t)x * T * oc, (size_t)6 * T * oc, tmp + (size_t)x * oc,
                        (size_t)6 * oc, NULL, oc);
            for (int r = 0; r < 4; r++)
                WINO_AT(tmp + (size_t)r * 6 * oc, (size_t)oc, ybuf + (size_t)r * 4 * oc,
                        (size_t)oc, bias, oc);
            for (int r = 0; r < 4; r++) {
                int y = oy0 + r * dil;
                if (y >= a->oh)
                    break;
                for (int c = 0; c < 4; c++) {
                    int x = ox0 + c * dil;
                    if (x >= a->ow)
                        break;
                    size_t at = ((size_t)y * a->ow + x) * oc;
                    float *v = ybuf + (size_t)(r * 4 + c) * oc;
                    WINO_ACT(a->act, v, (size_t)oc);
                    if (a->res) { /* read before the store: res may be out */
                        const float *rp = a->res + at;
                        for (int k = 0; k < oc; k++)
                            v[k] += rp[k];
                        WINO_ACT(a->act2, v, (size_t)oc);
                    }
                    memcpy(a->out + at, v, (size_t)oc * sizeof(float));
                }
            }
        }
    }
}

#undef WINO_BT
#undef WINO_AT
#undef WINO_CAT
#undef WINO_CAT2
