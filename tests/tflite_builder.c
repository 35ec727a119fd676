#include "tflite_builder.h"

#include <stdlib.h>
#include <string.h>

typedef struct fbw {
    uint8_t *buf;
    size_t len, cap;
    int oom;
} fbw;

static size_t reserve(fbw *w, size_t n, size_t align)
{
    size_t pos = (w->len + align - 1) & ~(align - 1);
    if (pos + n > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap < pos + n)
            cap *= 2;
        uint8_t *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = 1;
            return 0;
        }
        memset(b + w->cap, 0, cap - w->cap);
        w->buf = b;
        w->cap = cap;
    }
    w->len = pos + n;
    return pos;
}

static void put(fbw *w, size_t pos, const void *v, size_t n)
{
    if (!w->oom)
        memcpy(w->buf + pos, v, n);
}

/* A table with nf fields of 8 bytes each, its vtable right before it. */
static size_t table(fbw *w, int nf)
{
    size_t vtlen = 4 + 2 * (size_t)nf;
    size_t vt = reserve(w, vtlen, 4);
    size_t t = reserve(w, 4 + 8 * (size_t)nf, 8);
    if (w->oom)
        return 0;
    uint16_t h[2] = {(uint16_t)vtlen, (uint16_t)(4 + 8 * nf)};
    put(w, vt, h, 4);
    int32_t soff = (int32_t)(t - vt);
    put(w, t, &soff, 4);
    return t;
}

/* Mark field id present at slot id and return its position. */
static size_t field(fbw *w, size_t t, int id)
{
    if (w->oom)
        return 0;
    int32_t soff;
    memcpy(&soff, w->buf + t, 4);
    size_t vt = t - (size_t)soff;
    uint16_t off = (uint16_t)(4 + 8 * id);
    put(w, vt + 4 + 2 * (size_t)id, &off, 2);
    return t + off;
}

static void scalar(fbw *w, size_t t, int id, int64_t v, int size)
{
    size_t p = field(w, t, id);
    put(w, p, &v, (size_t)size); /* little-endian host */
}

static void link_to(fbw *w, size_t from, size_t target)
{
    uint32_t rel = (uint32_t)(target - from);
    put(w, from, &rel, 4);
}

static void ref(fbw *w, size_t t, int id, size_t target)
{
    link_to(w, field(w, t, id), target);
}

static size_t vec(fbw *w, const void *data, uint32_t n, size_t elem)
{
    size_t p = reserve(w, 4 + n * elem, elem > 4 ? elem : 4);
    put(w, p, &n, 4);
    if (n && data)
        put(w, p + 4, data, n * elem);
    return p;
}

static size_t str(fbw *w, const char *s)
{
    size_t n = strlen(s);
    size_t p = vec(w, s, (uint32_t)n, 1);
    reserve(w, 1, 1); /* NUL */
    return p;
}

/* A vector of n table references; fill slots with link_to(). */
static size_t refvec(fbw *w, uint32_t n)
{
    return vec(w, NULL, n, 4);
}

/* The metadata flatbuffer: ModelMetadata{subgraph_metadata:[{input_tensor_
 * metadata:[{process_units:[{options_type 1, options NormalizationOptions}]}]}]}. */
static int build_metadata(const float mean[3], const float stdv[3], uint8_t **out, size_t *len)
{
    fbw w = {0};
    size_t root = reserve(&w, 8, 4);
    put(&w, 4, "M001", 4);
    size_t mm = table(&w, 8);
    link_to(&w, root, mm);
    ref(&w, mm, 0, str(&w, "tflite_builder metadata"));
    size_t sgv = refvec(&w, 1);
    ref(&w, mm, 3, sgv);
    size_t sgm = table(&w, 3);
    link_to(&w, sgv + 4, sgm);
    size_t tv = refvec(&w, 1);
    ref(&w, sgm, 2, tv);
    size_t tm = table(&w, 5);
    link_to(&w, tv + 4, tm);
    ref(&w, tm, 0, str(&w, "image"));
    size_t puv = refvec(&w, 1);
    ref(&w, tm, 4, puv);
    size_t pu = table(&w, 2);
    link_to(&w, puv + 4, pu);
    scalar(&w, pu, 0, 1, 1);
    size_t no = table(&w, 2);
    ref(&w, pu, 1, no);
    ref(&w, no, 0, vec(&w, mean, 3, 4));
    ref(&w, no, 1, vec(&w, stdv, 3, 4));
    if (w.oom) {
        free(w.buf);
        return -1;
    }
    *out = w.buf;
    *len = w.len;
    return 0;
}

static int build(const tb_tensor *tensors, int nt, const tb_op *ops, int nops, int input,
                 const int *outputs, int n_outputs, const tb_sparsity *const *sparse,
                 const uint8_t *meta, size_t meta_len, uint8_t **out, size_t *outlen);

int tb_build(const tb_tensor *tensors, int nt, const tb_op *ops, int nops, int input,
             int output, uint8_t **out, size_t *outlen)
{
    return build(tensors, nt, ops, nops, input, &output, 1, NULL, NULL, 0, out, outlen);
}

int tb_build_outputs(const tb_tensor *tensors, int nt, const tb_op *ops, int nops, int input,
                     const int *outputs, int n_outputs, const tb_sparsity *const *sparse,
                     uint8_t **out, size_t *outlen)
{
    return build(tensors, nt, ops, nops, input, outputs, n_outputs, sparse, NULL, 0, out,
                 outlen);
}

int tb_build_meta(const tb_tensor *tensors, int nt, const tb_op *ops, int nops, int input,
                  int output, const float mean[3], const float stdv[3], uint8_t **out,
                  size_t *outlen)
{
    uint8_t *meta = NULL;
    size_t ml = 0;
    if (mean && build_metadata(mean, stdv, &meta, &ml))
        return -1;
    int st = build(tensors, nt, ops, nops, input, &output, 1, NULL, meta, ml, out, outlen);
    free(meta);
    return st;
}

/* SparsityParameters {traversal_order, block_map, dim_metadata}; each
 * DimensionMetadata {format, dense_size, segments (type, table), indices
 * (type, table)}, the tables being {values: [int32|uint16|uint8]}. */
static size_t sparsity(fbw *w, const tb_sparsity *sp)
{
    static const size_t elem[4] = {0, 4, 2, 1};
    size_t t = table(w, 3);
    ref(w, t, 0, vec(w, sp->traversal, (uint32_t)sp->n_levels, 4));
    if (sp->n_blocks)
        ref(w, t, 1, vec(w, sp->block_map, (uint32_t)sp->n_blocks, 4));
    size_t dv = refvec(w, (uint32_t)sp->n_levels);
    ref(w, t, 2, dv);
    for (int i = 0; i < sp->n_levels; i++) {
        const tb_dim *d = &sp->dim[i];
        size_t dm = table(w, 6);
        link_to(w, dv + 4 + 4 * (size_t)i, dm);
        scalar(w, dm, 0, d->sparse, 1);
        scalar(w, dm, 1, d->dense_size, 4);
        if (!d->sparse)
            continue;
        int vt = d->vec_type >= 1 && d->vec_type <= 3 ? d->vec_type : 1;
        scalar(w, dm, 2, vt, 1);
        size_t sv = table(w, 1);
        ref(w, dm, 3, sv);
        ref(w, sv, 0, vec(w, d->segments, (uint32_t)d->n_segments, elem[vt]));
        scalar(w, dm, 4, vt, 1);
        size_t iv = table(w, 1);
        ref(w, dm, 5, iv);
        ref(w, iv, 0, vec(w, d->indices, (uint32_t)d->n_indices, elem[vt]));
    }
    return t;
}

static int build(const tb_tensor *tensors, int nt, const tb_op *ops, int nops, int input,
                 const int *outputs, int n_outputs, const tb_sparsity *const *sparse,
                 const uint8_t *meta, size_t meta_len, uint8_t **out, size_t *outlen)
{
    fbw w = {0};
    size_t root = reserve(&w, 8, 4);
    put(&w, 4, "TFL3", 4);
    size_t model = table(&w, 8);
    link_to(&w, root, model);
    scalar(&w, model, 0, 3, 4);
    ref(&w, model, 3, str(&w, "tflite_builder"));

    /* operator codes: one per op, in op order */
    size_t codes = refvec(&w, (uint32_t)nops);
    ref(&w, model, 1, codes);
    for (int i = 0; i < nops; i++) {
        size_t oc = table(&w, 4);
        link_to(&w, codes + 4 + 4 * (size_t)i, oc);
        int b = ops[i].builtin;
        scalar(&w, oc, 0, b < 127 ? b : 127, 1);
        scalar(&w, oc, 3, b, 4);
        scalar(&w, oc, 2, 1, 4);
        if (ops[i].custom)
            ref(&w, oc, 1, str(&w, ops[i].custom));
    }
    /* buffers: 0 is the empty sentinel, then one per tensor with data */
    uint32_t nbuf = 1 + (meta != NULL);
    for (int i = 0; i < nt; i++)
        nbuf += tensors[i].data != NULL;
    size_t bufs = refvec(&w, nbuf);
    ref(&w, model, 4, bufs);
    int *bufidx = calloc((size_t)nt + 1, sizeof(int));
    if (!bufidx)
        return -1;
    {
        size_t b0 = table(&w, 1);
        link_to(&w, bufs + 4, b0);
        uint32_t k = 1;
        for (int i = 0; i < nt; i++) {
            if (!tensors[i].data)
                continue;
            size_t b = table(&w, 1);
            link_to(&w, bufs + 4 + 4 * (size_t)k, b);
            ref(&w, b, 0, vec(&w, tensors[i].data, (uint32_t)tensors[i].data_len, 1));
            bufidx[i] = (int)k++;
        }
        if (meta) {
            size_t b = table(&w, 1);
            link_to(&w, bufs + 4 + 4 * (size_t)k, b);
            ref(&w, b, 0, vec(&w, meta, (uint32_t)meta_len, 1));
            size_t mdv = refvec(&w, 1);
            ref(&w, model, 6, mdv);
            size_t md = table(&w, 2);
            link_to(&w, mdv + 4, md);
            ref(&w, md, 0, str(&w, "TFLITE_METADATA"));
            scalar(&w, md, 1, k, 4);
        }
    }
    size_t sgs = refvec(&w, 1);
    ref(&w, model, 2, sgs);
    size_t sg = table(&w, 5);
    link_to(&w, sgs + 4, sg);
    size_t tv = refvec(&w, (uint32_t)nt);
    ref(&w, sg, 0, tv);
    for (int i = 0; i < nt; i++) {
        const tb_tensor *T = &tensors[i];
        const tb_sparsity *sp = sparse ? sparse[i] : NULL;
        size_t t = table(&w, sp ? 7 : 4);
        link_to(&w, tv + 4 + 4 * (size_t)i, t);
        if (sp)
            ref(&w, t, 6, sparsity(&w, sp));
        int32_t shp[4];
        for (int d = 0; d < T->rank && d < 4; d++)
            shp[d] = T->shape[d];
        ref(&w, t, 0, vec(&w, shp, (uint32_t)T->rank, 4));
        scalar(&w, t, 1, T->type, 1);
        scalar(&w, t, 2, bufidx[i], 4);
        ref(&w, t, 3, str(&w, T->name ? T->name : "t"));
    }
    int32_t io[1] = {input};
    ref(&w, sg, 1, vec(&w, io, 1, 4));
    ref(&w, sg, 2, vec(&w, outputs, (uint32_t)n_outputs, 4));
    size_t ov = refvec(&w, (uint32_t)nops);
    ref(&w, sg, 3, ov);
    for (int i = 0; i < nops; i++) {
        const tb_op *O = &ops[i];
        size_t o = table(&w, 6);
        link_to(&w, ov + 4 + 4 * (size_t)i, o);
        scalar(&w, o, 0, i, 4);
        ref(&w, o, 1, vec(&w, O->in, (uint32_t)O->n_in, 4));
        int32_t oo[1] = {O->out};
        ref(&w, o, 2, vec(&w, oo, 1, 4));
        if (O->options_type) {
            scalar(&w, o, 3, O->options_type, 1);
            size_t opt = table(&w, 8);
            ref(&w, o, 4, opt);
            for (int k = 0; k < O->n_opts; k++)
                scalar(&w, opt, O->opts[k].id, O->opts[k].value, O->opts[k].size);
        }
        if (O->custom_options)
            ref(&w, o, 5, vec(&w, O->custom_options, (uint32_t)O->custom_len, 1));
    }
    free(bufidx);
    if (w.oom) {
        free(w.buf);
        return -1;
    }
    *out = w.buf;
    *outlen = w.len;
    return 0;
}
