/* nn_graph.c - turn the parsed graph into a plan and run it.
 *
 * Prepare (once): fuse standalone activations into their producers, compute
 * every tensor's lifetime, place the activations in one arena (greedy by
 * size, the TFLite "ArenaPlanner" idea: bigger tensors first, each at the
 * lowest offset that no live-overlapping tensor uses), pack weights.
 * Run (per frame): one switch per node, no allocation. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "seg_clock.h"
#include "seg_file.h"
#include "nn_omp.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

static const char *const OP_NAMES[] = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D",
    "MEAN", "RESIZE_BILINEAR", "BINARY", "ACTIVATION", "CONCATENATION", "COPY", "MULADD",
    "FULLY_CONNECTED", "SOFTMAX", "ARG_MAX", "PAD", "RESIZE_NEAREST_NEIGHBOR", "DEPTH_TO_SPACE", "TRANSPOSE", "SLICE", "INSTANCE_NORM",
};
_Static_assert(sizeof(OP_NAMES) / sizeof(OP_NAMES[0]) == NN_OP_COUNT, "name every nn_op");

const char *nn_op_name(nn_op op)
{
    return (op >= 0 && op < NN_OP_COUNT) ? OP_NAMES[op] : "?";
}

/* ==== fusion ============================================================ */

static int fusable_producer(const nn_node *n)
{
    switch (n->op) {
    case NN_OP_CONV_2D: case NN_OP_DEPTHWISE_CONV_2D: case NN_OP_TRANSPOSE_CONV:
    case NN_OP_AVERAGE_POOL_2D: case NN_OP_MAX_POOL_2D: case NN_OP_BINARY:
    case NN_OP_CONCATENATION: case NN_OP_FULLY_CONNECTED: case NN_OP_INSTANCE_NORM:
        return n->act == NN_ACT_NONE;
    default:
        return 0;
    }
}

/* How many node inputs (residual inputs too) read each tensor; calloc'd,
 * NULL when out of memory. */
static int *count_readers(const nn_model *m)
{
    int *readers = calloc((size_t)m->n_tensors, sizeof(int));
    if (!readers)
        return NULL;
    for (int k = 0; k < m->n_nodes; k++) {
        for (int i = 0; i < m->nodes[k].n_in; i++)
            if (m->nodes[k].in[i] >= 0)
                readers[m->nodes[k].in[i]]++;
        if (m->nodes[k].res >= 0)
            readers[m->nodes[k].res]++;
    }
    return readers;
}

/* Fold "X -> act" into X when X's output feeds only that activation. */
static int fuse_activations(nn_model *m)
{
    int *readers = count_readers(m);
    if (!readers)
        return SEG_ERR_NOMEM;
    int w = 0;
    for (int k = 0; k < m->n_nodes; k++) {
        nn_node *n = &m->nodes[k];
        if (n->op == NN_OP_ACTIVATION && w > 0) {
            int t = n->in[0];
            nn_node *prod = NULL;
            /* The producer is the most recent kept node writing t. */
            for (int j = w - 1; j >= 0; j--)
                if (m->nodes[j].out == t) {
                    prod = &m->nodes[j];
                    break;
                }
            if (prod && fusable_producer(prod) && readers[t] == 1 && !m->tensors[t].is_output) {
                prod->act = n->act;
                prod->out = n->out;
                continue; /* drop the activation node */
            }
        }
        m->nodes[w++] = *n;
    }
    m->n_nodes = w;
    free(readers);
    return SEG_OK;
}

/* ==== memory plan ======================================================= */

static size_t tensor_bytes(const nn_tensor *t)
{
    return ((t->elems * sizeof(float)) + 63u) & ~(size_t)63u;
}


typedef struct sort_item {
    int idx;
    size_t bytes;
} sort_item;

static int cmp_items(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->idx - y->idx;
}

/* Point every activation at its planned offset in m->arena (zeroed). */
static void bind_arena(nn_model *m)
{
    memset(m->arena, 0, m->arena_bytes);
    for (int i = 0; i < m->n_tensors; i++) {
        nn_tensor *t = &m->tensors[i];
        if (t->first_def >= -1 && !t->is_const)
            t->data = (float *)(void *)(m->arena + t->arena_offset);
    }
}

static int plan_arena(nn_model *m, char *err, size_t errlen)
{
    for (int i = 0; i < m->n_tensors; i++) {
        nn_tensor *t = &m->tensors[i];
        t->first_def = -2; /* -2 = not an activation */
        t->last_use = -1;
    }
    m->tensors[m->input].first_def = -1;
    m->tensors[m->input].last_use = -1;
    for (int k = 0; k < m->n_state; k++) {
        m->tensors[m->state_in[k]].first_def = -1;
        m->tensors[m->state_in[k]].last_use = -1;
    }
    for (int k = 0; k < m->n_nodes; k++) {
        nn_node *n = &m->nodes[k];
        m->tensors[n->out].first_def = k;
        if (m->tensors[n->out].last_use < k)
            m->tensors[n->out].last_use = k;
        for (int i = 0; i < n->n_in; i++) {
            int t = n->in[i];
            if (t >= 0 && !m->tensors[t].is_const)
                m->tensors[t].last_use = k;
        }
        if (n->res >= 0 && !m->tensors[n->res].is_const)
            m->tensors[n->res].last_use = k;
    }
    for (int k = 0; k < m->n_outputs; k++)
        m->tensors[m->outputs[k]].last_use = INT_MAX;
    for (int k = 0; k < m->n_state; k++)
        m->tensors[m->state_out[k]].last_use = INT_MAX;

    sort_item *items = malloc(sizeof(sort_item) * (size_t)m->n_tensors);
    int *placed = malloc(sizeof(int) * (size_t)m->n_tensors);
    if (!items || !placed) {
        free(items);
        free(placed);
        SET_ERR("out of memory planning the arena");
        return SEG_ERR_NOMEM;
    }
    int ni = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].first_def >= -1 && !m->tensors[i].is_const)
            items[ni++] = (sort_item){i, tensor_bytes(&m->tensors[i])};
    qsort(items, (size_t)ni, sizeof(sort_item), cmp_items);
    size_t total = 0;
    int np = 0;
    for (int a = 0; a < ni; a++) {
        nn_tensor *t = &m->tensors[items[a].idx];
        size_t size = items[a].bytes, off = 0;
        /* Walk the placed tensors that are live at the same time, in offset
         * order, and take the first gap that fits. np is small (hundreds). */
        for (;;) {
            int moved = 0;
            for (int b = 0; b < np; b++) {
                nn_tensor *u = &m->tensors[placed[b]];
                if (u->last_use < t->first_def || t->last_use < u->first_def)
                    continue; /* lifetimes do not overlap */
                size_t ub = tensor_bytes(u);
                if (off < u->arena_offset + ub && u->arena_offset < off + size) {
                    off = u->arena_offset + ub;
                    moved = 1;
                }
            }
            if (!moved)
                break;
        }
        t->arena_offset = off;
        placed[np++] = items[a].idx;
        if (off + size > total)
            total = off + size;
        if (total > NN_MAX_ARENA_BYTES) {
            free(items);
            free(placed);
            SET_ERR("model exceeds limits: activations need more than %zu bytes",
                    NN_MAX_ARENA_BYTES);
            return SEG_ERR_LIMIT;
        }
    }
    free(items);
    free(placed);
    m->arena_bytes = total + 64; /* slack: vector loads may read past a tensor */
    m->arena = aligned_alloc(64, (m->arena_bytes + 63u) & ~(size_t)63u);
    if (!m->arena) {
        SET_ERR("out of memory for %zu bytes of activations", m->arena_bytes);
        return SEG_ERR_NOMEM;
    }
    bind_arena(m);
    return SEG_OK;
}

static int pack_weights(nn_model *m, char *err, size_t errlen)
{
    size_t scratch = 0;
    /* SEG_WINOGRAD=0: every conv direct (to compare the two) */
    const char *env = getenv("SEG_WINOGRAD");
    int wino_on = !(env && strcmp(env, "0") == 0);
    for (int k = 0; k < m->n_nodes; k++) {
        nn_node *n = &m->nodes[k];
        const float *bias = n->n_in > 2 && n->in[2] >= 0 ? m->tensors[n->in[2]].data : NULL;
        size_t size;
        if (n->op == NN_OP_FULLY_CONNECTED) {
            const nn_tensor *w = &m->tensors[n->in[1]];
            size = nn_pack_size(w->shape[2], w->shape[3]);
            n->packed = aligned_alloc(64, ((size * sizeof(float)) + 63u) & ~(size_t)63u);
            if (!n->packed)
                goto oom;
            nn_pack_conv(w->data, bias, w->shape[2], w->shape[3], n->packed);
        } else if (n->op == NN_OP_CONV_2D && wino_on &&
                   nn_wino_worth(&n->win, m->tensors[n->in[1]].shape[3],
                                 m->tensors[n->in[1]].shape[0], m->tensors[n->out].shape[1],
                                 m->tensors[n->out].shape[2])) {
            const nn_tensor *w = &m->tensors[n->in[1]];
            int oc = w->shape[0], ic = w->shape[3];
            size = nn_wino_pack_size(oc, ic);
            n->packed = aligned_alloc(64, ((size * sizeof(float)) + 63u) & ~(size_t)63u);
            if (!n->packed)
                goto oom;
            nn_wino_pack(w->data, bias, oc, ic, n->packed);
            n->wino = 1;
            size_t need = nn_wino_scratch_size(ic, oc);
            scratch = need > scratch ? need : scratch;
        } else if (n->op == NN_OP_CONV_2D) {
            const nn_tensor *w = &m->tensors[n->in[1]];
            int kk = w->shape[1] * w->shape[2] * w->shape[3];
            size = nn_pack_size(w->shape[0], kk);
            n->packed = aligned_alloc(64, ((size * sizeof(float)) + 63u) & ~(size_t)63u);
            if (!n->packed)
                goto oom;
            nn_pack_conv(w->data, bias, w->shape[0], kk, n->packed);
            size_t need = nn_conv_scratch_size(w->shape[1], w->shape[2], w->shape[3]);
            scratch = need > scratch ? need : scratch;
        } else if (n->op == NN_OP_TRANSPOSE_CONV) {
            const nn_tensor *w = &m->tensors[n->in[1]];
            size = nn_pack_tconv_size(w->shape[0], w->shape[1], w->shape[2], w->shape[3]);
            n->packed = aligned_alloc(64, ((size * sizeof(float)) + 63u) & ~(size_t)63u);
            if (!n->packed)
                goto oom;
            nn_pack_tconv(w->data, bias, w->shape[0], w->shape[1], w->shape[2], w->shape[3],
                          n->packed);
        }
    }
    m->scratch_per_thread = (scratch + 15u) & ~(size_t)15u;
    m->scratch = aligned_alloc(64, (m->scratch_per_thread + 16u) * sizeof(float));
    if (!m->scratch)
        goto oom;
    m->scratch_threads = 1;
    return SEG_OK;
oom:
    SET_ERR("out of memory packing weights");
    return SEG_ERR_NOMEM;
}

/* Fold "conv -> ADD(conv, skip)" into the conv's epilogue when the conv's
 * output feeds only that ADD and the skip exists before the conv runs. */
static int fuse_residual_adds(nn_model *m)
{
    int *readers = count_readers(m);
    int *producer = malloc(sizeof(int) * (size_t)m->n_tensors);
    if (!readers || !producer) {
        free(readers);
        free(producer);
        return SEG_ERR_NOMEM;
    }
    for (int t = 0; t < m->n_tensors; t++)
        producer[t] = -1;
    int w = 0;
    for (int k = 0; k < m->n_nodes; k++) {
        nn_node *n = &m->nodes[k];
        if (n->op == NN_OP_BINARY && n->binop == NN_BIN_ADD) {
            for (int side = 0; side < 2; side++) {
                int t = n->in[side], skip = n->in[1 - side];
                int pk = producer[t];
                if (pk < 0)
                    continue;
                nn_node *c = &m->nodes[pk];
                const nn_tensor *ts = &m->tensors[skip], *tt = &m->tensors[t];
                int skip_ready = ts->is_const || skip == m->input ||
                                 (producer[skip] >= 0 && producer[skip] < pk);
                int same = memcmp(ts->shape, tt->shape, sizeof ts->shape) == 0 &&
                           memcmp(tt->shape, m->tensors[n->out].shape, sizeof tt->shape) == 0;
                if (readers[t] != 1 || m->tensors[t].is_output || !skip_ready || skip == t || !same)
                    continue;
                if (c->op == NN_OP_BINARY && c->binop == NN_BIN_MUL && c->act == NN_ACT_NONE) {
                    /* x * s + skip with s per channel: one pass instead of two. */
                    const nn_tensor *x0 = &m->tensors[c->in[0]], *x1 = &m->tensors[c->in[1]];
                    int full = memcmp(x0->shape, tt->shape, sizeof tt->shape) == 0 ? 0 : 1;
                    const nn_tensor *sv = full ? x0 : x1;
                    if (memcmp(m->tensors[c->in[full]].shape, tt->shape, sizeof tt->shape) != 0 ||
                        sv->shape[0] != 1 || sv->shape[1] != 1 || sv->shape[2] != 1 ||
                        sv->shape[3] != tt->shape[3])
                        continue;
                    int xa = c->in[full], xs = c->in[1 - full];
                    c->op = NN_OP_MULADD;
                    c->tfl_name = "MUL+ADD";
                    c->n_in = 3;
                    c->in[0] = xa;
                    c->in[1] = xs;
                    c->in[2] = skip;
                    c->act = n->act;
                    c->out = n->out;
                    producer[n->out] = pk;
                    n = NULL;
                    break;
                }
                if ((c->op == NN_OP_CONV_2D ||
                     (c->op == NN_OP_DEPTHWISE_CONV_2D && c->mult == 1)) && c->res < 0) {
                    c->res = skip;
                    c->tfl_name = c->op == NN_OP_CONV_2D ? "CONV_2D+ADD" : "DEPTHWISE_CONV_2D+ADD";
                    c->act2 = n->act;
                    c->out = n->out;
                    producer[n->out] = pk;
                    n = NULL;
                    break;
                }
            }
            if (!n)
                continue;
        }
        m->nodes[w] = *n;
        producer[m->nodes[w].out] = w;
        w++;
    }
    m->n_nodes = w;
    free(readers);
    free(producer);
    return SEG_OK;
}

/* RESIZE_BILINEAR -> 1x1 CONV_2D (no activation) becomes 1x1 CONV_2D at the
 * low resolution -> RESIZE_BILINEAR. Both are linear and the bilinear
 * weights of an output pixel sum to 1, so conv(resize(x)) = resize(conv(x))
 * exactly in real arithmetic (the bias passes through); the conv then runs
 * on 4x fewer pixels and the resize moves the narrower tensor. A residual
 * add fused into the conv moves to the resize's epilogue. Decoders of
 * U-Net-like segmentation models (MediaPipe's among them) have this at
 * every upsampling step. */
static int swap_resize_conv(nn_model *m)
{
    int *readers = count_readers(m);
    if (!readers)
        return SEG_ERR_NOMEM;
    int n_new = 0;
    for (int k = 0; k < m->n_nodes; k++)
        n_new += m->nodes[k].op == NN_OP_RESIZE_BILINEAR;
    if (n_new == 0) {
        free(readers);
        return SEG_OK;
    }
    nn_tensor *grown = realloc(m->tensors, sizeof(nn_tensor) * (size_t)(m->n_tensors + n_new));
    if (!grown) {
        free(readers);
        return SEG_ERR_NOMEM;
    }
    m->tensors = grown;
    for (int k = 0; k < m->n_nodes; k++) {
        nn_node *r = &m->nodes[k];
        if (r->op != NN_OP_RESIZE_BILINEAR || r->res >= 0)
            continue;
        int t = r->out;
        if (readers[t] != 1 || m->tensors[t].is_output)
            continue;
        int c = -1;
        for (int j = k + 1; j < m->n_nodes && c < 0; j++)
            if (m->nodes[j].n_in > 0 && m->nodes[j].in[0] == t)
                c = j;
        if (c < 0)
            continue;
        nn_node *cv = &m->nodes[c];
        const nn_window *g = &cv->win;
        if (cv->op != NN_OP_CONV_2D || cv->act != NN_ACT_NONE || g->kh != 1 || g->kw != 1 ||
            g->stride_h != 1 || g->stride_w != 1 || g->pad_top || g->pad_left)
            continue;
        /* The low-resolution conv output: a new tensor. */
        const nn_tensor *x = &m->tensors[r->in[0]];
        nn_tensor *u = &m->tensors[m->n_tensors];
        memset(u, 0, sizeof *u);
        u->shape[0] = 1;
        u->shape[1] = x->shape[1];
        u->shape[2] = x->shape[2];
        u->shape[3] = m->tensors[cv->out].shape[3];
        u->rank = 4;
        u->elems = (size_t)u->shape[1] * u->shape[2] * u->shape[3];
        snprintf(u->name, sizeof u->name, "%.50s/lowres", m->tensors[cv->out].name);
        int ui = m->n_tensors++;
        nn_node conv = *cv, rs = *r;
        conv.in[0] = r->in[0];
        conv.out = ui;
        conv.res = -1;
        conv.act2 = NN_ACT_NONE;
        conv.macs = cv->macs / ((uint64_t)m->tensors[t].shape[1] * m->tensors[t].shape[2]) *
                    ((uint64_t)x->shape[1] * x->shape[2]);
        conv.tfl_name = "CONV_2D (before resize)";
        rs.in[0] = ui;
        rs.out = cv->out;
        rs.res = cv->res;
        rs.act2 = cv->act2;
        rs.macs = (uint64_t)u->elems / ((uint64_t)x->shape[1] * x->shape[2]) *
                  m->tensors[cv->out].shape[1] * m->tensors[cv->out].shape[2] * 4;
        rs.tfl_name = rs.res >= 0 ? "RESIZE_BILINEAR+ADD (after conv)" : "RESIZE_BILINEAR (after conv)";
        /* Both run where the conv was: the nodes in between never read t,
         * and a residual is ready by then. */
        memmove(&m->nodes[k], &m->nodes[k + 1], sizeof(nn_node) * (size_t)(c - k - 1));
        m->nodes[c - 1] = conv;
        m->nodes[c] = rs;
        k--; /* the node now at k has not been looked at */
    }
    free(readers);
    return SEG_OK;
}

/* ==== the kernels' contract ============================================ */

/* Each kernel trusts its node: the sizes it reads and writes come from the
 * tensors' shapes. The loaders check the file; this checks what they built,
 * for both formats, so that a loader's mistake becomes a refused model
 * instead of a read or write outside a tensor. NULL: the node is sound. */
static int tensor_ok(const nn_model *m, int t)
{
    return t >= 0 && t < m->n_tensors;
}

static int same_except(const int a[4], const int b[4], int axis)
{
    for (int d = 0; d < 4; d++)
        if (d != axis && a[d] != b[d])
            return 0;
    return 1;
}

static const char *window_fault(const nn_window *g)
{
    if (g->kh < 1 || g->kw < 1 || g->stride_h < 1 || g->stride_w < 1 || g->dil_h < 1 ||
        g->dil_w < 1 || g->pad_top < 0 || g->pad_left < 0)
        return "window sizes out of range";
    return NULL;
}

/* A convolution's constant weights, [w0][kh][kw][w3], bias of oc, window. */
static const char *conv_fault(const nn_node *n, const nn_tensor *w, const nn_tensor *b, int w0,
                              int w3, int oc)
{
    if (!w || !w->is_const || !w->data)
        return "no constant weights";
    if (w->shape[0] != w0 || w->shape[1] != n->win.kh || w->shape[2] != n->win.kw ||
        w->shape[3] != w3)
        return "weights do not match the window or the channels";
    if (b && b->elems != (size_t)oc)
        return "bias length differs from the output channels";
    return window_fault(&n->win);
}

static const char *node_fault(const nn_model *m, const nn_node *n)
{
    if (n->op < 0 || n->op >= NN_OP_COUNT)
        return "unknown op";
    if (n->n_in < 1 || n->n_in > NN_MAX_NODE_INPUTS || !tensor_ok(m, n->in[0]) ||
        !tensor_ok(m, n->out))
        return "missing input or output";
    for (int i = 1; i < n->n_in; i++)
        if (n->in[i] != -1 && !tensor_ok(m, n->in[i]))
            return "input index out of range";
    const nn_tensor *x = &m->tensors[n->in[0]], *y = &m->tensors[n->out];
    const nn_tensor *w = n->n_in > 1 && n->in[1] >= 0 ? &m->tensors[n->in[1]] : NULL;
    const nn_tensor *b = n->n_in > 2 && n->in[2] >= 0 ? &m->tensors[n->in[2]] : NULL;
    const int *xs = x->shape, *ys = y->shape;
    switch (n->op) {
    case NN_OP_CONV_2D:
    case NN_OP_TRANSPOSE_CONV: /* weights [oc][kh][kw][ic] */
        return conv_fault(n, w, b, ys[3], xs[3], ys[3]);
    case NN_OP_DEPTHWISE_CONV_2D: /* weights [1][kh][kw][ic x mult] */
        if (n->mult < 1 || (int64_t)xs[3] * n->mult != ys[3])
            return "output channels are not input channels x multiplier";
        return conv_fault(n, w, b, 1, ys[3], ys[3]);
    case NN_OP_AVERAGE_POOL_2D:
    case NN_OP_MAX_POOL_2D:
        if (xs[3] != ys[3])
            return "pooling changes the channels";
        return window_fault(&n->win);
    case NN_OP_RESIZE_BILINEAR:
    case NN_OP_RESIZE_NEAREST:
        return xs[3] != ys[3] ? "resize changes the channels" : NULL;
    case NN_OP_MEAN: {
        size_t kept = 1;
        for (int d = 0; d < 4; d++)
            kept *= n->reduce[d] ? 1u : (size_t)xs[d];
        if (n->reduce_op < NN_REDUCE_MEAN || n->reduce_op > NN_REDUCE_MIN)
            return "unknown reduction";
        return kept != y->elems ? "output size differs from the kept axes" : NULL;
    }
    case NN_OP_BINARY:
        if (!w)
            return "second operand missing";
        for (int d = 0; d < 4; d++) {
            int o = xs[d] == 1 ? w->shape[d] : xs[d];
            if ((w->shape[d] != 1 && w->shape[d] != o) || ys[d] != o)
                return "operand shapes do not broadcast to the output";
        }
        return NULL;
    case NN_OP_ACTIVATION:
    case NN_OP_COPY:
    case NN_OP_SOFTMAX:
        return x->elems != y->elems ? "output size differs from the input" : NULL;
    case NN_OP_ARG_MAX:
        return xs[3] < 1 || y->elems != x->elems / (size_t)xs[3]
                   ? "output size differs from the input's rows" : NULL;
    case NN_OP_CONCATENATION: {
        if (n->axis < 0 || n->axis > 3)
            return "axis out of range";
        int64_t sum = 0;
        for (int i = 0; i < n->n_in; i++) {
            if (!tensor_ok(m, n->in[i]))
                return "input missing";
            const int *s = m->tensors[n->in[i]].shape;
            if (!same_except(s, ys, n->axis))
                return "inputs differ from the output off the axis";
            sum += s[n->axis];
        }
        return sum != ys[n->axis] ? "inputs do not add up to the output along the axis" : NULL;
    }
    case NN_OP_MULADD:
        return "fused op in a loaded graph";
    case NN_OP_FULLY_CONNECTED: {
        if (!w || !w->is_const || !w->data)
            return "no constant weights";
        int out_f = w->shape[2], in_f = w->shape[3];
        if (w->elems != (size_t)out_f * (size_t)in_f || in_f < 1 || x->elems % (size_t)in_f)
            return "weights do not match the input";
        if (y->elems != x->elems / (size_t)in_f * (size_t)out_f)
            return "output size differs from rows x outputs";
        return b && b->elems != (size_t)out_f ? "bias length differs from the outputs" : NULL;
    }
    case NN_OP_PAD:
        for (int d = 0; d < 4; d++) {
            if (n->pads[d][0] < 0 || n->pads[d][1] < 0 ||
                (int64_t)xs[d] + n->pads[d][0] + n->pads[d][1] != ys[d])
                return "output differs from the padded input";
            if (n->pad_mode == NN_PAD_REFLECT && (n->pads[d][0] >= xs[d] || n->pads[d][1] >= xs[d]))
                return "reflected pads as wide as the input";
            if (n->pad_mode == NN_PAD_EDGE && (n->pads[d][0] || n->pads[d][1]) && xs[d] < 1)
                return "edge pads of an empty input";
        }
        return n->pad_mode < NN_PAD_CONSTANT || n->pad_mode > NN_PAD_EDGE ? "unknown pad mode"
                                                                           : NULL;
    case NN_OP_INSTANCE_NORM:
        if (!w || !w->is_const || !w->data || !b || !b->is_const || !b->data ||
            w->elems != (size_t)xs[3] || b->elems != (size_t)xs[3])
            return "scale or bias differs from the channels";
        for (int d = 0; d < 4; d++)
            if (xs[d] != ys[d])
                return "output differs from the input";
        return !(n->eps >= 0.0f) ? "a negative epsilon" : NULL;
    case NN_OP_SLICE:
        for (int d = 0; d < 4; d++)
            if (n->step[d] < 1 || n->begin[d] < 0 || ys[d] < 1 ||
                (int64_t)n->begin[d] + (int64_t)(ys[d] - 1) * n->step[d] >= xs[d])
                return "slice outside the input";
        return NULL;
    case NN_OP_DEPTH_TO_SPACE: {
        int64_t bb = (int64_t)n->block * n->block;
        if (n->block < 1 || xs[3] % bb || ys[0] != xs[0] || ys[1] != (int64_t)xs[1] * n->block ||
            ys[2] != (int64_t)xs[2] * n->block || ys[3] != xs[3] / bb)
            return "output differs from the rearranged input";
        return NULL;
    }
    case NN_OP_TRANSPOSE: {
        size_t e = 1;
        int seen = 0;
        for (int d = 0; d < 4; d++) {
            if (n->vshape[d] < 1 || n->perm[d] < 0 || n->perm[d] > 3)
                return "permutation out of range";
            e *= (size_t)n->vshape[d];
            seen |= 1 << n->perm[d];
        }
        return seen != 15 || e != x->elems || y->elems != x->elems ? "not a permutation of the input"
                                                                   : NULL;
    }
    default:
        return "unknown op";
    }
}

static int shape_fault(const nn_tensor *t)
{
    size_t e = 1;
    for (int d = 0; d < 4; d++) {
        if (t->shape[d] < 1)
            return 1;
        e *= (size_t)t->shape[d];
    }
    return e != t->elems;
}

static int check_graph(const nn_model *m, char *err, size_t errlen)
{
    const char *why = NULL;
    int k;
    for (k = 0; k < m->n_nodes && !why; k++) {
        const nn_node *n = &m->nodes[k];
        why = node_fault(m, n);
        for (int i = 0; i < n->n_in && !why; i++)
            if (n->in[i] >= 0 && shape_fault(&m->tensors[n->in[i]]))
                why = "an input's shape does not add up";
        if (!why && shape_fault(&m->tensors[n->out]))
            why = "the output's shape does not add up";
    }
    for (int i = 0; i < m->n_state && !why; i++) {
        int a = m->state_in[i], b = m->state_out[i];
        if (!tensor_ok(m, a) || !tensor_ok(m, b) || m->tensors[a].is_const ||
            shape_fault(&m->tensors[a]) || shape_fault(&m->tensors[b]) ||
            m->tensors[a].elems != m->tensors[b].elems) {
            SET_ERR("model refused: state pair %d ('%.60s' -> '%.60s') is inconsistent (a "
                    "loader bug; please report it with the model)", i,
                    tensor_ok(m, b) ? m->tensors[b].name : "?",
                    tensor_ok(m, a) ? m->tensors[a].name : "?");
            return SEG_ERR_BAD_MODEL;
        }
        for (int j = 0; j < m->n_nodes; j++)
            if (m->nodes[j].out == a) {
                SET_ERR("model refused: state input '%.60s' is written by node %d (a loader "
                        "bug; please report it with the model)", m->tensors[a].name, j);
                return SEG_ERR_BAD_MODEL;
            }
    }
    if (why) {
        const nn_node *n = &m->nodes[k - 1];
        SET_ERR("model refused: node %d (%s '%s'): %s (a loader bug; please report it with "
                "the model)", k - 1, nn_op_name(n->op), n->tfl_name ? n->tfl_name : "?", why);
        return SEG_ERR_BAD_MODEL;
    }
    return SEG_OK;
}

/* This instance's saved state: one block per pair, zeros. */
static size_t state_floats(const nn_model *m)
{
    size_t n = 0;
    for (int k = 0; k < m->n_state; k++)
        n += m->tensors[m->state_in[k]].elems;
    return n;
}

static int alloc_state(nn_model *m)
{
    m->state = NULL;
    if (m->n_state == 0)
        return SEG_OK;
    m->state = calloc(state_floats(m), sizeof(float));
    return m->state ? SEG_OK : SEG_ERR_NOMEM;
}

int nn_graph_prepare(nn_model *m, char *err, size_t errlen)
{
    int st = check_graph(m, err, errlen);
    if (st)
        return st;
    for (int k = 0; k < m->n_nodes; k++) {
        m->nodes[k].res = -1;
        m->nodes[k].act2 = NN_ACT_NONE;
    }
    st = fuse_activations(m);
    if (!st)
        st = fuse_residual_adds(m);
    if (!st)
        st = swap_resize_conv(m);
    if (st) {
        SET_ERR("out of memory fusing the graph");
        return st;
    }
    if ((st = plan_arena(m, err, errlen)))
        return st;
    if ((st = alloc_state(m))) {
        SET_ERR("out of memory for the model's state");
        return st;
    }
    return pack_weights(m, err, errlen);
}

/* ==== execution ========================================================= */

static const float *tdata(const nn_model *m, int t)
{
    return t >= 0 ? m->tensors[t].data : NULL;
}

static void concat(const nn_model *m, const nn_node *n, int ith, int nth)
{
    const nn_tensor *o = &m->tensors[n->out];
    /* outer = product of dims before the axis; each input contributes
     * rows of (its axis extent x tail) floats to every outer index. */
    size_t outer = 1;
    for (int d = 0; d < n->axis; d++)
        outer *= (size_t)o->shape[d];
    size_t tail = 1;
    for (int d = n->axis + 1; d < 4; d++)
        tail *= (size_t)o->shape[d];
    size_t orow = (size_t)o->shape[n->axis] * tail;
    long lo, hi;
    nn_split((long)outer, ith, nth, 1, &lo, &hi);
    size_t at = 0;
    for (int i = 0; i < n->n_in; i++) {
        const nn_tensor *x = &m->tensors[n->in[i]];
        size_t xrow = (size_t)x->shape[n->axis] * tail;
        for (long r = lo; r < hi; r++)
            memcpy(o->data + (size_t)r * orow + at, x->data + (size_t)r * xrow,
                   xrow * sizeof(float));
        at += xrow;
    }
    if (hi > lo)
        nn_isa_current()->act(n->act, o->data + (size_t)lo * orow, (size_t)(hi - lo) * orow);
}

/* This thread's share of one node. */
static void run_node(nn_model *m, const nn_node *n, int ith, int nth)
{
    const nn_tensor *x = &m->tensors[n->in[0]];
    nn_tensor *y = &m->tensors[n->out];
    switch (n->op) {
    case NN_OP_CONV_2D:
        if (n->wino) {
            nn_wino_args wa = {
                .in = x->data, .ih = x->shape[1], .iw = x->shape[2], .ic = x->shape[3],
                .packed = n->packed, .oc = y->shape[3], .out = y->data, .oh = y->shape[1],
                .ow = y->shape[2], .pad_top = n->win.pad_top, .pad_left = n->win.pad_left,
                .dil = n->win.dil_h, .act = n->act,
                .res = n->res >= 0 ? m->tensors[n->res].data : NULL, .act2 = n->act2,
                .scratch = m->scratch + (size_t)ith * m->scratch_per_thread,
            };
            nn_conv_wino(&wa, ith, nth);
            break;
        }
        if (nn_conv_dot_takes(&n->win, x->shape[3], y->shape[3])) {
            nn_dot_args da = {
                .in = x->data, .ih = x->shape[1], .iw = x->shape[2], .ic = x->shape[3],
                .w = tdata(m, n->in[1]), .bias = n->n_in > 2 ? tdata(m, n->in[2]) : NULL,
                .oc = y->shape[3], .out = y->data, .oh = y->shape[1], .ow = y->shape[2],
                .g = n->win, .act = n->act, .res = n->res >= 0 ? m->tensors[n->res].data : NULL,
                .act2 = n->act2,
            };
            nn_conv_dot(&da, ith, nth);
            break;
        }
        nn_conv(x->data, x->shape[1], x->shape[2], x->shape[3], n->packed, y->shape[3], y->data,
                y->shape[1], y->shape[2], &n->win, n->act,
                n->res >= 0 ? m->tensors[n->res].data : NULL, n->act2,
                m->scratch + (size_t)ith * m->scratch_per_thread, ith, nth);
        break;
    case NN_OP_DEPTHWISE_CONV_2D: {
        nn_dw_args a = {
            .in = x->data, .ih = x->shape[1], .iw = x->shape[2], .c = x->shape[3],
            .mult = n->mult, .w = tdata(m, n->in[1]),
            .bias = n->n_in > 2 ? tdata(m, n->in[2]) : NULL, .out = y->data,
            .oh = y->shape[1], .ow = y->shape[2], .g = n->win, .act = n->act,
            .res = n->res >= 0 ? m->tensors[n->res].data : NULL, .act2 = n->act2,
        };
        nn_depthwise(&a, ith, nth);
        break;
    }
    case NN_OP_TRANSPOSE_CONV:
        nn_transpose_conv(x->data, x->shape[1], x->shape[2], x->shape[3], tdata(m, n->in[1]),
                          n->packed, tdata(m, n->in[2]), y->shape[3], y->data, y->shape[1],
                          y->shape[2], &n->win, n->act, ith, nth);
        break;
    case NN_OP_AVERAGE_POOL_2D:
        nn_avgpool(x->data, x->shape[1], x->shape[2], x->shape[3], y->data, y->shape[1],
                   y->shape[2], &n->win, n->act, ith, nth);
        break;
    case NN_OP_MAX_POOL_2D:
        nn_maxpool(x->data, x->shape[1], x->shape[2], x->shape[3], y->data, y->shape[1],
                   y->shape[2], &n->win, n->act, ith, nth);
        break;
    case NN_OP_FULLY_CONNECTED: {
        /* Rows of the input against the packed weights: a 1x1 conv. */
        const nn_tensor *w = &m->tensors[n->in[1]];
        int in_f = w->shape[3], out_f = w->shape[2];
        int rows = (int)(x->elems / (size_t)in_f);
        nn_window g1 = {1, 1, 1, 1, 1, 1, 0, 0};
        nn_conv(x->data, 1, rows, in_f, n->packed, out_f, y->data, 1, rows, &g1, n->act, NULL,
                NN_ACT_NONE, m->scratch + (size_t)ith * m->scratch_per_thread, ith, nth);
        break;
    }
    case NN_OP_SOFTMAX: {
        int cols = x->shape[3];
        nn_softmax(x->data, (long)(x->elems / (size_t)cols), cols, n->beta, y->data, ith, nth);
        break;
    }
    case NN_OP_ARG_MAX: {
        int cols = x->shape[3];
        nn_argmax(x->data, (long)(x->elems / (size_t)cols), cols, y->data, ith, nth);
        break;
    }
    case NN_OP_PAD:
        nn_pad(x->data, x->shape, n->pads, n->pad_value, n->pad_mode, y->data, ith, nth);
        break;
    case NN_OP_SLICE:
        nn_slice(x->data, x->shape, n->begin, n->step, y->data, y->shape, ith, nth);
        break;
    case NN_OP_INSTANCE_NORM:
        nn_instance_norm(x->data, x->shape[0], (long)x->shape[1] * x->shape[2], x->shape[3],
                         tdata(m, n->in[1]), tdata(m, n->in[2]), n->eps, n->act, y->data, ith,
                         nth);
        break;
    case NN_OP_RESIZE_NEAREST:
        nn_resize_nearest(x->data, x->shape[1], x->shape[2], x->shape[3], y->data, y->shape[1],
                          y->shape[2], n->align_corners, n->half_pixel, ith, nth);
        break;
    case NN_OP_MEAN:
        if (n->reduce_op == NN_REDUCE_MEAN && n->reduce[1] && n->reduce[2] && !n->reduce[0] &&
            !n->reduce[3]) {
            /* Spatial mean == a global average pool. */
            nn_window g = {x->shape[1], x->shape[2], 1, 1, 1, 1, 0, 0};
            nn_avgpool(x->data, x->shape[1], x->shape[2], x->shape[3], y->data, 1, 1, &g,
                       NN_ACT_NONE, ith, nth);
        } else {
            nn_reduce(x->data, x->shape, n->reduce, n->reduce_op, y->data, ith, nth);
        }
        break;
    case NN_OP_RESIZE_BILINEAR:
        nn_resize_bilinear(x->data, x->shape[1], x->shape[2], x->shape[3], y->data,
                           y->shape[1], y->shape[2], n->align_corners, n->half_pixel,
                           n->res >= 0 ? m->tensors[n->res].data : NULL, n->act2, ith, nth);
        break;
    case NN_OP_BINARY: {
        const nn_tensor *b = &m->tensors[n->in[1]];
        int os[4];
        for (int d = 0; d < 4; d++)
            os[d] = x->shape[d] == 1 ? b->shape[d] : x->shape[d];
        nn_binary(n->binop, x->data, x->shape, b->data, b->shape, y->data, os, n->act, ith,
                  nth);
        break;
    }
    case NN_OP_ACTIVATION:
        nn_activation(n->act, x->data, y->data, y->elems, ith, nth);
        break;
    case NN_OP_CONCATENATION:
        concat(m, n, ith, nth);
        break;
    case NN_OP_MULADD:
        nn_muladd(x->data, tdata(m, n->in[1]), tdata(m, n->in[2]), y->data,
                  (long)(y->elems / (size_t)y->shape[3]), y->shape[3], n->act, ith, nth);
        break;
    case NN_OP_DEPTH_TO_SPACE:
        nn_depth_to_space(x->data, x->shape[1], x->shape[2], x->shape[3], n->block, y->data, ith,
                          nth);
        break;
    case NN_OP_TRANSPOSE:
        nn_transpose4(x->data, n->vshape, n->perm, y->data, ith, nth);
        break;
    case NN_OP_COPY: {
        long lo, hi;
        nn_split((long)y->elems, ith, nth, 64, &lo, &hi);
        if (hi > lo)
            memcpy(y->data + lo, x->data + lo, (size_t)(hi - lo) * sizeof(float));
        break;
    }
    default:
        break;
    }
}

static int run_serial(nn_model *m)
{
    for (int k = 0; k < m->n_nodes; k++) {
        if (m->cancel && atomic_load_explicit(m->cancel, memory_order_relaxed))
            return SEG_ERR_INTERRUPTED;
        if (m->profiling) {
            uint64_t t0 = seg_clock_ns();
            run_node(m, &m->nodes[k], 0, 1);
            m->nodes[k].time_ns += seg_clock_ns() - t0;
        } else {
            run_node(m, &m->nodes[k], 0, 1);
        }
    }
    return SEG_OK;
}

static int run_graph(nn_model *m)
{
    if (m->threads <= 1)
        return run_serial(m);
#ifdef _OPENMP
    /* One parallel region for the whole graph, a barrier between nodes
     * (ggml's scheme): no fork/join per op. Thread 0 publishes the cancel
     * flag before each barrier into a slot that alternates by node parity,
     * so every thread reads the same value after the barrier and a fast
     * thread 0 cannot overwrite it before a slow one has read it. */
    volatile int stop[2] = {0, 0};
    int nth_req = m->threads;
#pragma omp parallel num_threads(nth_req)
    {
        int ith = omp_get_thread_num(), nth = omp_get_num_threads();
        uint64_t t0 = 0;
        for (int k = 0; k < m->n_nodes; k++) {
            if (ith == 0 && m->profiling)
                t0 = seg_clock_ns();
            run_node(m, &m->nodes[k], ith, nth);
            if (ith == 0)
                stop[k & 1] = m->cancel && atomic_load_explicit(m->cancel, memory_order_relaxed);
#pragma omp barrier
            if (ith == 0 && m->profiling)
                m->nodes[k].time_ns += seg_clock_ns() - t0;
            if (stop[k & 1])
                break;
        }
    }
    return (stop[0] || stop[1]) ? SEG_ERR_INTERRUPTED : SEG_OK;
#else
    return run_serial(m);
#endif
}

/* State: copied into the state inputs before a run, out of the state
 * outputs after it (the arena reuses both slots within a run). */
int nn_model_run(nn_model *m)
{
    size_t at = 0;
    for (int k = 0; k < m->n_state; k++) {
        nn_tensor *t = &m->tensors[m->state_in[k]];
        memcpy(t->data, m->state + at, t->elems * sizeof(float));
        at += t->elems;
    }
    int st = run_graph(m);
    if (st) {
        nn_model_state_reset(m);
        return st;
    }
    at = 0;
    for (int k = 0; k < m->n_state; k++) {
        const nn_tensor *t = &m->tensors[m->state_out[k]];
        memcpy(m->state + at, t->data, t->elems * sizeof(float));
        at += t->elems;
    }
    return SEG_OK;
}

int nn_model_state_count(const nn_model *m)
{
    return m ? m->n_state : 0;
}

const char *nn_model_state_name(const nn_model *m, int k, int input)
{
    if (!m || k < 0 || k >= m->n_state)
        return "";
    return m->tensors[input ? m->state_in[k] : m->state_out[k]].name;
}

void nn_model_state_reset(nn_model *m)
{
    if (m && m->state)
        memset(m->state, 0, state_floats(m) * sizeof(float));
}

/* ==== public API ======================================================== */

int nn_model_load(nn_model **out, const void *buf, size_t len, char *err, size_t errlen)
{
    return nn_model_load_opts(out, buf, len, NULL, err, errlen);
}

int nn_model_load_opts(nn_model **out, const void *buf, size_t len, const nn_load_opts *opts,
                       char *err, size_t errlen)
{
    const uint16_t probe = 1;
    int st;
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    if (*(const uint8_t *)&probe != 1) {
        SET_ERR("big-endian hosts are not supported");
        return SEG_ERR_UNSUPPORTED;
    }
    if (!buf || len == 0) {
        SET_ERR("the model file is empty");
        return SEG_ERR_BAD_MODEL;
    }
    if (len > NN_MAX_MODEL_BYTES) {
        SET_ERR("the model file is larger than %zu bytes", NN_MAX_MODEL_BYTES);
        return SEG_ERR_LIMIT;
    }
    nn_model *m = calloc(1, sizeof(*m));
    if (!m) {
        SET_ERR("out of memory");
        return SEG_ERR_NOMEM;
    }
    m->threads = 1;
    if (!(m->shared_refs = malloc(sizeof *m->shared_refs))) {
        free(m);
        SET_ERR("out of memory");
        return SEG_ERR_NOMEM;
    }
    atomic_init(m->shared_refs, 1);
    if (len >= 8 && memcmp((const uint8_t *)buf + 4, "TFL3", 4) == 0) {
        if (opts && (opts->n_inputs || opts->n_state)) {
            SET_ERR("input values (--input) and state (--state) are for ONNX models; this is "
                    "a TFLite model");
            st = SEG_ERR_INVALID;
        } else {
            st = nn_tflite_parse(m, buf, len, err, errlen);
        }
    } else if (nn_onnx_probe(buf, len))
        st = nn_onnx_parse(m, buf, len, opts, err, errlen);
    else {
        SET_ERR("not a TensorFlow Lite model (no TFL3 identifier) or an ONNX model");
        st = SEG_ERR_BAD_MODEL;
    }
    if (st)
        goto fail;
    if ((st = nn_graph_prepare(m, err, errlen)))
        goto fail;
    *out = m;
    return SEG_OK;
fail:
    nn_model_free(&m);
    return st;
}

int nn_model_load_file(nn_model **out, const char *path, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len;
    if (!out || !path) {
        SET_ERR("no model given");
        return SEG_ERR_INVALID;
    }
    *out = NULL;
    int st = seg_file_read(path, "model", NN_MAX_MODEL_BYTES, &buf, &len, err, errlen);
    if (st)
        return st;
    if (len == 0) {
        free(buf);
        SET_ERR("model '%s' is empty", path);
        return SEG_ERR_BAD_MODEL;
    }
    char inner[256];
    st = nn_model_load(out, buf, len, inner, sizeof inner);
    if (st)
        SET_ERR("model '%s': %s", path, inner);
    free(buf);
    return st;
}

int nn_model_clone(nn_model **out, const nn_model *src, char *err, size_t errlen)
{
    if (!out || !src) {
        SET_ERR("no model to clone");
        return SEG_ERR_INVALID;
    }
    *out = NULL;
    nn_model *m = calloc(1, sizeof *m);
    if (!m) {
        SET_ERR("out of memory");
        return SEG_ERR_NOMEM;
    }
    /* The graph as planned: the same tensors and nodes, pointing at the same
     * constants and packed weights; only the activations move to an arena of
     * the clone's own, at the same offsets. */
    *m = *src;
    m->tensors = malloc(sizeof(nn_tensor) * (size_t)src->n_tensors);
    m->nodes = malloc(sizeof(nn_node) * (size_t)(src->n_nodes ? src->n_nodes : 1));
    m->arena = aligned_alloc(64, (src->arena_bytes + 63u) & ~(size_t)63u);
    m->scratch = aligned_alloc(64, (src->scratch_per_thread + 16u) * sizeof(float));
    m->scratch_threads = 1;
    m->threads = 1;
    m->profiling = 0;
    m->cancel = NULL;
    m->state = src->n_state ? calloc(state_floats(src), sizeof(float)) : NULL; /* its own */
    if (!m->tensors || !m->nodes || !m->arena || !m->scratch || (src->n_state && !m->state)) {
        free(m->tensors);
        free(m->nodes);
        free(m->arena);
        free(m->scratch);
        free(m->state);
        free(m);
        SET_ERR("out of memory for a copy of the model's activations (%zu bytes)",
                src->arena_bytes);
        return SEG_ERR_NOMEM;
    }
    atomic_fetch_add_explicit(m->shared_refs, 1, memory_order_relaxed);
    memcpy(m->tensors, src->tensors, sizeof(nn_tensor) * (size_t)src->n_tensors);
    memcpy(m->nodes, src->nodes, sizeof(nn_node) * (size_t)src->n_nodes);
    for (int k = 0; k < m->n_nodes; k++)
        m->nodes[k].time_ns = 0;
    bind_arena(m);
    nn_model_set_threads(m, src->threads);
    *out = m;
    return SEG_OK;
}

void nn_model_free(nn_model **pm)
{
    if (!pm || !*pm)
        return;
    nn_model *m = *pm;
    /* acq_rel: every other user's reads of the weights happen before the
     * last one frees them. */
    if (!m->shared_refs ||
        atomic_fetch_sub_explicit(m->shared_refs, 1, memory_order_acq_rel) == 1) {
        for (int k = 0; k < m->n_nodes; k++)
            free(m->nodes[k].packed);
        free(m->weights);
        free(m->shared_refs);
    }
    free(m->nodes);
    free(m->scratch);
    free(m->tensors);
    free(m->arena);
    free(m->state);
    free(m);
    *pm = NULL;
}

static nn_shape shape_of(const nn_tensor *t)
{
    return (nn_shape){t->shape[0], t->shape[1], t->shape[2], t->shape[3]};
}

/* Output tensor t's shape as an image: a label map from ARG_MAX over the
 * channels has lost that axis ([1,H,W], held right-aligned as {1,1,H,W}),
 * but its data are H rows of W labels, one per pixel: {1,H,W,1}. (A float
 * [1,H,W] is read so by seg_model; a detector's [1,N,K] stays as it is.) */
static nn_shape output_shape(const nn_model *m, int t)
{
    const nn_tensor *x = &m->tensors[t];
    if (t == m->output && m->output_is_index && x->rank == 3)
        return (nn_shape){x->shape[1], x->shape[2], x->shape[3], 1};
    return shape_of(x);
}

/* The dims of tensor t as the file declares them; its rank (0 if unknown). */
static int declared_dims(const nn_tensor *x, int dims[4])
{
    int rank = x->rank >= 1 && x->rank <= 4 ? x->rank : 0;
    for (int d = 0; d < rank; d++)
        dims[d] = x->shape[4 - rank + d];
    return rank;
}

nn_shape nn_model_input_shape(const nn_model *m) { return shape_of(&m->tensors[m->input]); }
nn_shape nn_model_output_shape(const nn_model *m) { return output_shape(m, m->output); }
int nn_model_input_dims(const nn_model *m, int dims[4])
{
    return declared_dims(&m->tensors[m->input], dims);
}
int nn_model_output_dims(const nn_model *m, int dims[4])
{
    return declared_dims(&m->tensors[m->output], dims);
}
float *nn_model_input(nn_model *m) { return m->tensors[m->input].data; }
const float *nn_model_output(const nn_model *m) { return m->tensors[m->output].data; }

size_t nn_model_instance_bytes(const nn_model *m, int threads)
{
    if (!m)
        return 0;
    size_t t = threads > 0 ? (size_t)threads : 1;
    /* As allocated: the arena rounded to 64, the scratch with its 16 spare. */
    return ((m->arena_bytes + 63u) & ~(size_t)63u) +
           (m->scratch_per_thread * t + 16u) * sizeof(float) + state_floats(m) * sizeof(float);
}

void nn_model_set_threads(nn_model *m, int threads)
{
#ifdef _OPENMP
    if (threads < 1)
        threads = omp_get_num_procs();
#else
    threads = 1;
#endif
    if (threads > m->scratch_threads) {
        /* The only allocation outside load: done here, never in a run. */
        float *s = aligned_alloc(64, (m->scratch_per_thread * (size_t)threads + 16u) *
                                         sizeof(float));
        if (!s)
            threads = m->scratch_threads; /* keep what we can run */
        else {
            free(m->scratch);
            m->scratch = s;
            m->scratch_threads = threads;
        }
    }
    m->threads = threads;
}

void nn_model_set_cancel_flag(nn_model *m, const atomic_int *flag) { m->cancel = flag; }
int nn_model_node_count(const nn_model *m) { return m->n_nodes; }

const char *nn_model_node_op_name(const nn_model *m, int node)
{
    return (node >= 0 && node < m->n_nodes) ? m->nodes[node].tfl_name : "?";
}

const char *nn_model_node_name(const nn_model *m, int node)
{
    return (node >= 0 && node < m->n_nodes) ? m->tensors[m->nodes[node].out].name : "?";
}

uint64_t nn_model_node_macs(const nn_model *m, int node)
{
    return (node >= 0 && node < m->n_nodes) ? m->nodes[node].macs : 0;
}

uint64_t nn_model_macs(const nn_model *m)
{
    uint64_t s = 0;
    for (int k = 0; k < m->n_nodes; k++)
        s += m->nodes[k].macs;
    return s;
}

void nn_model_set_profiling(nn_model *m, int on) { m->profiling = on; }

uint64_t nn_model_node_time_ns(const nn_model *m, int node)
{
    return (node >= 0 && node < m->n_nodes) ? m->nodes[node].time_ns : 0;
}

void nn_model_reset_profile(nn_model *m)
{
    for (int k = 0; k < m->n_nodes; k++)
        m->nodes[k].time_ns = 0;
}

const char *nn_model_description(const nn_model *m) { return m->description; }
int nn_model_output_is_index(const nn_model *m) { return m->output_is_index; }

int nn_model_output_squash(const nn_model *m)
{
    for (int k = m->n_nodes - 1; k >= 0; k--) {
        const nn_node *n = &m->nodes[k];
        if (n->out != m->output)
            continue;
        if (n->op == NN_OP_SOFTMAX)
            return 2;
        nn_act last = n->res >= 0 ? n->act2 : n->act;
        return last == NN_ACT_LOGISTIC ? 1 : 0;
    }
    return 0;
}

int nn_model_input_nchw(const nn_model *m) { return m->tensors[m->input].nchw; }

int nn_model_output_nchw(const nn_model *m, int k)
{
    return (k >= 0 && k < m->n_outputs) ? m->tensors[m->outputs[k]].nchw : 0;
}

int nn_model_onnx_opset(const nn_model *m) { return m->onnx_opset; }

int nn_model_metadata_norm(const nn_model *m, float mean[3], float std[3])
{
    if (!m->has_norm)
        return 0;
    memcpy(mean, m->norm_mean, sizeof m->norm_mean);
    memcpy(std, m->norm_std, sizeof m->norm_std);
    return 1;
}

/* ==== several outputs =================================================== */

int nn_model_output_count(const nn_model *m) { return m->n_outputs; }

int nn_model_select_output(nn_model *m, int k)
{
    if (!m || k < 0 || k >= m->n_outputs)
        return SEG_ERR_INVALID;
    if (m->outputs[k] == m->output)
        return SEG_OK;
    m->output = m->outputs[k];
    m->output_is_index = 0;
    for (int j = m->n_nodes - 1; j >= 0; j--)
        if (m->nodes[j].out == m->output) {
            m->output_is_index = m->nodes[j].op == NN_OP_ARG_MAX;
            break;
        }
    return SEG_OK;
}

nn_shape nn_model_output_shape_k(const nn_model *m, int k)
{
    if (k < 0 || k >= m->n_outputs)
        return (nn_shape){0, 0, 0, 0};
    return output_shape(m, m->outputs[k]);
}

const float *nn_model_output_k(const nn_model *m, int k)
{
    return (k >= 0 && k < m->n_outputs) ? m->tensors[m->outputs[k]].data : NULL;
}

const char *nn_model_output_name(const nn_model *m, int k)
{
    return (k >= 0 && k < m->n_outputs) ? m->tensors[m->outputs[k]].name : "";
}
