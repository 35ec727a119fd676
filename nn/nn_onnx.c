/* nn_onnx.c - ONNX reader: lowers an ONNX graph into the engine's own graph.
 *
 * The file is parsed by protobuf-c with code generated from onnx/onnx.proto
 * (ONNX 1.12.0). Before protobuf-c sees the bytes, a walk over the wire
 * format, led by the generated descriptors, checks the nesting depth, the
 * number of messages and the length of every string; protobuf-c then
 * allocates through a counting allocator with a cap, so a hostile file can
 * neither recurse without bound nor allocate without bound.
 *
 * Lowering, at the input's fixed size:
 *  - Every value is a constant (initializers, Constant, and everything the
 *    shape arithmetic of exporters computes from them or from Shape: folded
 *    here, so it costs nothing per frame) or an activation (an engine
 *    tensor).
 *  - A rank-4 activation is [N,C,H,W] in the file and NHWC in the engine
 *    (nn_tensor.nchw): weights are transposed at load (Conv OIHW -> OHWI,
 *    depthwise -> [1][KH][KW][C*M], ConvTranspose IOHW -> OHWI), constants
 *    broadcast against activations are permuted the same way, and axes are
 *    mapped (ONNX axis 1 = the engine's last). Values of other ranks keep
 *    the file's order. A Transpose becomes a node only when it moves data in
 *    the engine's layout: the NHWC input of tf2onnx exports followed by
 *    Transpose(0,3,1,2) is read as NHWC directly and the Transpose vanishes.
 *  - BatchNormalization after a Conv whose output only it reads is folded
 *    into the Conv's weights and bias.
 *  - Every op maps to the engine's existing kernels; an op that does not is
 *    an error naming the op and the node.
 * External data is refused. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "onnx.pb-c.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

/* ==== limits checked on the wire, before protobuf-c allocates =========== */

#define ONNX_MAX_DEPTH 16               /* message nesting (a model needs ~7) */
#define ONNX_MAX_MESSAGES 4000000       /* messages in the file */
#define ONNX_MAX_STRING ((size_t)1 << 20) /* one string field */
#define ONNX_MAX_RANK 8
#define ONNX_MAX_VALUES 400000          /* named values (initializers, node outputs) */

typedef struct wire_scan {
    const uint8_t *buf;
    long messages;
    const char *why;
} wire_scan;

static int varint(const uint8_t *p, size_t len, size_t *at, uint64_t *v)
{
    uint64_t r = 0;
    for (int s = 0; s < 64; s += 7) {
        if (*at >= len)
            return -1;
        uint8_t b = p[(*at)++];
        r |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d, uint64_t num)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].id == num)
            return &d->fields[i];
    return NULL;
}

/* Walk one message's fields; recurse into the sub-messages the schema names. */
static int scan_message(wire_scan *s, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                        size_t len, int depth)
{
    if (depth > ONNX_MAX_DEPTH) {
        s->why = "messages nested too deeply";
        return -1;
    }
    if (++s->messages > ONNX_MAX_MESSAGES) {
        s->why = "too many messages";
        return -1;
    }
    size_t at = 0;
    while (at < len) {
        uint64_t tag, v;
        if (varint(p, len, &at, &tag)) {
            s->why = "a truncated field tag";
            return -1;
        }
        uint64_t num = tag >> 3;
        int wt = (int)(tag & 7);
        if (num == 0) {
            s->why = "a field numbered 0";
            return -1;
        }
        switch (wt) {
        case 0:
            if (varint(p, len, &at, &v)) {
                s->why = "a truncated varint";
                return -1;
            }
            break;
        case 1:
        case 5: {
            size_t w = wt == 1 ? 8 : 4;
            if (len - at < w) {
                s->why = "a truncated fixed-size field";
                return -1;
            }
            at += w;
            break;
        }
        case 2: {
            if (varint(p, len, &at, &v) || v > len - at) {
                s->why = "a length past the end of its message";
                return -1;
            }
            const ProtobufCFieldDescriptor *f = field_of(d, num);
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (scan_message(s, f->descriptor, p + at, (size_t)v, depth + 1))
                    return -1;
            } else if (f && f->type == PROTOBUF_C_TYPE_STRING && v > ONNX_MAX_STRING) {
                s->why = "a string longer than 1 MiB";
                return -1;
            }
            at += (size_t)v;
            break;
        }
        default:
            s->why = "an unknown wire type";
            return -1;
        }
    }
    return 0;
}

/* protobuf-c allocates through this: bytes in use are capped. */
typedef struct capped_alloc {
    size_t used, cap;
    int refused;
} capped_alloc;

static void *capped_malloc(void *ud, size_t size)
{
    capped_alloc *a = ud;
    if (size > a->cap - a->used || size > SIZE_MAX - 16) {
        a->refused = 1;
        return NULL;
    }
    size_t *p = malloc(size + 16);
    if (!p)
        return NULL;
    p[0] = size;
    a->used += size;
    return (char *)p + 16;
}

static void capped_free(void *ud, void *ptr)
{
    capped_alloc *a = ud;
    if (!ptr)
        return;
    size_t *p = (size_t *)(void *)((char *)ptr - 16);
    a->used -= p[0];
    free(p);
}

int nn_onnx_probe(const uint8_t *buf, size_t len)
{
    /* ModelProto starts with ir_version (field 1, varint): tag 0x08. */
    return len >= 2 && buf[0] == 0x08;
}

/* Unpack with the checks above; the model is freed with onnx_unpacked_free. */
typedef struct unpacked {
    Onnx__ModelProto *model;
    capped_alloc ca;
    ProtobufCAllocator alloc;
} unpacked;

static int onnx_unpack(unpacked *u, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    wire_scan s = {buf, 0, NULL};
    if (!nn_onnx_probe(buf, len)) {
        SET_ERR("not an ONNX model (no ir_version at the start)");
        return SEG_ERR_BAD_MODEL;
    }
    if (scan_message(&s, &onnx__model_proto__descriptor, buf, len, 0)) {
        SET_ERR("malformed ONNX model: %s", s.why);
        return strstr(s.why, "too") ? SEG_ERR_LIMIT : SEG_ERR_BAD_MODEL;
    }
    /* protobuf-c's structures take a few times the wire size at most: a
     * message of n bytes holds at most n fields. */
    u->ca.cap = len * 4 + ((size_t)s.messages + 64) * 512;
    u->alloc.alloc = capped_malloc;
    u->alloc.free = capped_free;
    u->alloc.allocator_data = &u->ca;
    u->model = onnx__model_proto__unpack(&u->alloc, len, buf);
    if (!u->model) {
        if (u->ca.refused)
            SET_ERR("ONNX model exceeds limits: parsing it needs more than %zu bytes", u->ca.cap);
        else
            SET_ERR("malformed ONNX model: protobuf-c cannot parse it");
        return u->ca.refused ? SEG_ERR_LIMIT : SEG_ERR_BAD_MODEL;
    }
    return SEG_OK;
}

static void onnx_unpacked_free(unpacked *u)
{
    if (u->model)
        onnx__model_proto__free_unpacked(u->model, &u->alloc);
    u->model = NULL;
}

/* ==== ops =============================================================== */

/* Every op the reader lowers; the names double as the nodes' op names. */
static const char *const ONNX_OPS[] = {
    "Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Clip",
    "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Add", "Sub", "Mul", "Div", "MatMul", "Gemm",
    "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum",
    "ReduceMax", "ReduceMin", "Resize",
    "Upsample", "Concat", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Expand",
    "Slice", "Pad", "Softmax", "ArgMax", "Shape", "Gather", "Cast", "Constant",
    "ConstantOfShape", "Range", "Identity", "Dropout", "Max", "Min", "Split",
    "InstanceNormalization",
};
#define N_ONNX_OPS ((int)(sizeof ONNX_OPS / sizeof ONNX_OPS[0]))

static const char *known_op(const char *op_type)
{
    for (int k = 0; k < N_ONNX_OPS; k++)
        if (strcmp(ONNX_OPS[k], op_type) == 0)
            return ONNX_OPS[k];
    return NULL;
}

/* ==== values ============================================================ */

enum { V_NONE = 0, V_CONST, V_ACT };
enum { DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_UINT16 = 4, DT_INT16 = 5, DT_INT32 = 6,
       DT_INT64 = 7, DT_BOOL = 9, DT_FLOAT16 = 10, DT_DOUBLE = 11, DT_UINT32 = 12,
       DT_UINT64 = 13 };

typedef struct oval {
    const char *name;   /* in the unpacked model */
    int kind;
    int rank;
    int64_t dims[ONNX_MAX_RANK];
    /* V_CONST */
    size_t n;
    int is_int;         /* i (int64) holds it, else f */
    float *f;
    int64_t *i;
    /* V_ACT */
    int t;              /* engine tensor */
    int nchw;           /* rank 4 held as NHWC */
    int readers;        /* node inputs and graph outputs naming it */
} oval;

typedef struct ox {
    nn_model *m;
    char *err;
    size_t errlen;
    int opset;
    oval *v;
    int nv;
    int *slot;          /* open addressing: value index + 1, 0 = empty */
    size_t nslot;
    int cap_t, cap_n;
    const Onnx__NodeProto *node;
    int node_index;
    const char *op;     /* static name of the current op */
    size_t const_bytes; /* constants held while loading */
    const nn_load_opts *opts; /* input values given by the caller, or NULL */
    int n_state;               /* state pairs: value indices of each input and the */
    int state_in[NN_MAX_STATE];/* name of its output */
    const char *state_out[NN_MAX_STATE];
    size_t const_elems, const_budget; /* constant elements made so far, and the cap:
                                         4 per byte of the file plus 1 M, so a small
                                         file cannot fold (Range, Expand,
                                         ConstantOfShape) for long */
} ox;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int find_value(const ox *x, const char *name)
{
    if (!name || !x->nslot)
        return -1;
    for (size_t k = hash_str(name) & (x->nslot - 1);; k = (k + 1) & (x->nslot - 1)) {
        int s = x->slot[k];
        if (!s)
            return -1;
        if (strcmp(x->v[s - 1].name, name) == 0)
            return s - 1;
    }
}

/* Register a name (no-op if present); -1 when the table is full. */
static int add_value(ox *x, const char *name, int cap)
{
    int have = find_value(x, name);
    if (have >= 0)
        return have;
    if (x->nv >= cap)
        return -1;
    size_t k = hash_str(name) & (x->nslot - 1);
    while (x->slot[k])
        k = (k + 1) & (x->nslot - 1);
    x->slot[k] = x->nv + 1;
    memset(&x->v[x->nv], 0, sizeof(oval));
    x->v[x->nv].name = name;
    x->v[x->nv].t = -1;
    return x->nv++;
}

static void free_const(ox *x, oval *v)
{
    size_t bytes = v->n * (v->is_int ? sizeof(int64_t) : sizeof(float));
    x->const_bytes -= bytes < x->const_bytes ? bytes : x->const_bytes;
    free(v->f);
    free(v->i);
    v->f = NULL;
    v->i = NULL;
}

/* ==== errors ============================================================ */

static int bad(ox *x, const char *what)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    SET_ERR("malformed ONNX model: %s node '%.60s': %s", x->node ? x->node->op_type : "?",
            x->node && x->node->name ? x->node->name : "", what);
    return SEG_ERR_BAD_MODEL;
}

static int unsup(ox *x, const char *what)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    SET_ERR("unsupported: %s node '%.60s': %s", x->node ? x->node->op_type : "?",
            x->node && x->node->name ? x->node->name : "", what);
    return SEG_ERR_UNSUPPORTED;
}

static int oom(ox *x)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    SET_ERR("out of memory loading the ONNX model");
    return SEG_ERR_NOMEM;
}

/* ==== shapes ============================================================ */

static int dims_elems(const int64_t *dims, int rank, size_t *n)
{
    size_t e = 1;
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 0 || dims[d] > (int64_t)NN_MAX_TENSOR_ELEMS)
            return -1;
        if (dims[d] && e > NN_MAX_TENSOR_ELEMS / (size_t)dims[d])
            return -1;
        e *= (size_t)dims[d];
    }
    *n = e;
    return 0;
}

/* The engine's 4-D shape of an activation. */
static void eng_shape(const oval *v, int s[4])
{
    if (v->rank == 4 && v->nchw) {
        s[0] = (int)v->dims[0]; s[1] = (int)v->dims[2]; s[2] = (int)v->dims[3];
        s[3] = (int)v->dims[1];
        return;
    }
    for (int d = 0; d < 4; d++)
        s[d] = d < 4 - v->rank ? 1 : (int)v->dims[d - (4 - v->rank)];
}

/* The engine axis of ONNX axis a of v. */
static int eng_axis(const oval *v, int a)
{
    static const int nchw_axis[4] = {0, 3, 1, 2};
    return v->rank == 4 && v->nchw ? nchw_axis[a] : 4 - v->rank + a;
}

/* Whether the engine's memory holds v in the file's row-major order. */
static int onnx_ordered(const oval *v)
{
    return !(v->rank == 4 && v->nchw) || v->dims[1] == 1 || v->dims[2] * v->dims[3] == 1;
}

/* ==== engine tensors and nodes ========================================== */

static int new_tensor(ox *x, const int s[4], int rank, const char *name, int nchw)
{
    nn_model *m = x->m;
    char *err = x->err;
    size_t errlen = x->errlen;
    size_t e = 1;
    for (int d = 0; d < 4; d++) {
        if (s[d] < 1) {
            bad(x, "an empty or negative dimension");
            return -1;
        }
        if (e > NN_MAX_TENSOR_ELEMS / (size_t)s[d]) {
            SET_ERR("ONNX model exceeds limits: tensor '%.60s' has more than %zu elements",
                    name, NN_MAX_TENSOR_ELEMS);
            return -2;
        }
        e *= (size_t)s[d];
    }
    if (m->n_tensors >= NN_MAX_TENSORS) {
        SET_ERR("ONNX model exceeds limits: more than %d tensors", NN_MAX_TENSORS);
        return -2;
    }
    if (m->n_tensors == x->cap_t) {
        int cap = x->cap_t ? x->cap_t * 2 : 256;
        nn_tensor *t = realloc(m->tensors, sizeof(nn_tensor) * (size_t)cap);
        if (!t) {
            oom(x);
            return -3;
        }
        m->tensors = t;
        x->cap_t = cap;
    }
    nn_tensor *T = &m->tensors[m->n_tensors];
    memset(T, 0, sizeof *T);
    memcpy(T->shape, s, sizeof T->shape);
    T->rank = rank;
    T->elems = e;
    T->nchw = nchw;
    T->first_def = -1;
    T->last_use = -1;
    snprintf(T->name, sizeof T->name, "%s", name ? name : "");
    for (char *c = T->name; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    return m->n_tensors++;
}

static int tensor_status(ox *x, int t)
{
    (void)x;
    return t == -2 ? SEG_ERR_LIMIT : t == -3 ? SEG_ERR_NOMEM : SEG_ERR_BAD_MODEL;
}

/* A constant engine tensor owning @p data (malloc'd; moved into the weight
 * arena at the end). Frees data on failure. */
static int new_const_tensor(ox *x, const int s[4], int rank, const char *name, float *data)
{
    int t = new_tensor(x, s, rank, name, 0);
    if (t < 0) {
        free(data);
        return t;
    }
    x->m->tensors[t].is_const = 1;
    x->m->tensors[t].data = data;
    return t;
}

static nn_node *new_node(ox *x, nn_op op, int out)
{
    nn_model *m = x->m;
    if (m->n_nodes >= NN_MAX_OPS) {
        char *err = x->err;
        size_t errlen = x->errlen;
        SET_ERR("ONNX model exceeds limits: more than %d nodes", NN_MAX_OPS);
        return NULL;
    }
    if (m->n_nodes == x->cap_n) {
        int cap = x->cap_n ? x->cap_n * 2 : 256;
        nn_node *n = realloc(m->nodes, sizeof(nn_node) * (size_t)cap);
        if (!n) {
            oom(x);
            return NULL;
        }
        m->nodes = n;
        x->cap_n = cap;
    }
    nn_node *n = &m->nodes[m->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->tfl_name = x->op ? x->op : "?";
    n->out = out;
    for (int i = 0; i < NN_MAX_NODE_INPUTS; i++)
        n->in[i] = -1;
    m->tensors[out].first_def = m->n_nodes - 1;
    return n;
}

#define NODE_OR_FAIL(n, expr)                                                                      \
    do {                                                                                           \
        if (!((n) = (expr)))                                                                       \
            return x->m->n_nodes >= NN_MAX_OPS ? SEG_ERR_LIMIT : SEG_ERR_NOMEM;                    \
    } while (0)

/* ==== attributes ======================================================== */

static const Onnx__AttributeProto *attr(const ox *x, const char *name)
{
    for (size_t k = 0; k < x->node->n_attribute; k++)
        if (x->node->attribute[k]->name && strcmp(x->node->attribute[k]->name, name) == 0)
            return x->node->attribute[k];
    return NULL;
}

static int64_t attr_i(const ox *x, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(x, name);
    return a && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ? a->i : def;
}

static float attr_f(const ox *x, const char *name, float def)
{
    const Onnx__AttributeProto *a = attr(x, name);
    return a && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT ? a->f : def;
}

/* Integer list: count (0 when absent), -1 when longer than max. */
static int attr_ints(const ox *x, const char *name, int64_t *dst, int max)
{
    const Onnx__AttributeProto *a = attr(x, name);
    if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
        return 0;
    if (a->n_ints > (size_t)max)
        return -1;
    for (size_t k = 0; k < a->n_ints; k++)
        dst[k] = a->ints[k];
    return (int)a->n_ints;
}

/* String attribute into buf ("" / def when absent). */
static const char *attr_s(const ox *x, const char *name, const char *def, char *buf, size_t len)
{
    const Onnx__AttributeProto *a = attr(x, name);
    if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
        return def;
    size_t n = a->s.len < len - 1 ? a->s.len : len - 1;
    if (n) /* an empty string may have no data pointer */
        memcpy(buf, a->s.data, n);
    buf[n] = '\0';
    return buf;
}

/* ==== constants ========================================================= */

static int const_alloc(ox *x, oval *v, int is_int)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    size_t n;
    if (dims_elems(v->dims, v->rank, &n)) {
        SET_ERR("ONNX model exceeds limits: constant '%.60s' has more than %zu elements",
                v->name, NN_MAX_TENSOR_ELEMS);
        return SEG_ERR_LIMIT;
    }
    size_t bytes = n * (is_int ? sizeof(int64_t) : sizeof(float));
    if (n > x->const_budget - x->const_elems) {
        SET_ERR("ONNX model exceeds limits: its constants (initializers and folded values) "
                "exceed %zu elements, 4 per byte of the file", x->const_budget);
        return SEG_ERR_LIMIT;
    }
    x->const_elems += n;
    if (bytes > NN_MAX_MODEL_BYTES * 2 - x->const_bytes) {
        SET_ERR("ONNX model exceeds limits: more than %zu bytes of constants",
                NN_MAX_MODEL_BYTES * 2);
        return SEG_ERR_LIMIT;
    }
    v->kind = V_CONST;
    v->n = n;
    v->is_int = is_int;
    if (is_int)
        v->i = malloc(n ? bytes : 8);
    else
        v->f = malloc(n ? bytes : 4);
    if (!v->i && !v->f)
        return oom(x);
    x->const_bytes += bytes;
    return SEG_OK;
}


/* A TensorProto into v (a constant). */
static int load_tensor_proto(ox *x, oval *v, const Onnx__TensorProto *tp)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    if (tp->has_data_location &&
        tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        SET_ERR("unsupported: tensor '%.60s' keeps its data in an external file (save the model "
                "with its weights inside)", v->name);
        return SEG_ERR_UNSUPPORTED;
    }
    if (tp->n_external_data || tp->segment) {
        SET_ERR("unsupported: tensor '%.60s' is external or segmented", v->name);
        return SEG_ERR_UNSUPPORTED;
    }
    if (tp->n_dims > ONNX_MAX_RANK) {
        SET_ERR("unsupported: tensor '%.60s' has rank %zu (at most %d)", v->name, tp->n_dims,
                ONNX_MAX_RANK);
        return SEG_ERR_UNSUPPORTED;
    }
    v->rank = (int)tp->n_dims;
    for (int d = 0; d < v->rank; d++)
        v->dims[d] = tp->dims[d];
    int dt = tp->data_type, esize, is_int;
    switch (dt) {
    case DT_FLOAT: esize = 4; is_int = 0; break;
    case DT_DOUBLE: esize = 8; is_int = 0; break;
    case DT_FLOAT16: esize = 2; is_int = 0; break;
    case DT_INT64: case DT_UINT64: esize = 8; is_int = 1; break;
    case DT_INT32: case DT_UINT32: esize = 4; is_int = 1; break;
    case DT_INT16: case DT_UINT16: esize = 2; is_int = 1; break;
    case DT_INT8: case DT_UINT8: case DT_BOOL: esize = 1; is_int = 1; break;
    default:
        SET_ERR("unsupported: tensor '%.60s' has data type %d", v->name, dt);
        return SEG_ERR_UNSUPPORTED;
    }
    int st = const_alloc(x, v, is_int);
    if (st)
        return st;
    size_t n = v->n;
    if (tp->has_raw_data) {
        if (tp->raw_data.len != n * (size_t)esize) {
            SET_ERR("malformed ONNX model: tensor '%.60s' has %zu bytes of data, its shape "
                    "needs %zu", v->name, tp->raw_data.len, n * (size_t)esize);
            return SEG_ERR_BAD_MODEL;
        }
        const uint8_t *p = tp->raw_data.data;
        for (size_t k = 0; k < n; k++, p += esize) {
            switch (dt) {
            case DT_FLOAT: memcpy(&v->f[k], p, 4); break;
            case DT_DOUBLE: { double d; memcpy(&d, p, 8); v->f[k] = (float)d; break; }
            case DT_FLOAT16: { uint16_t h; memcpy(&h, p, 2); v->f[k] = nn_half_to_float(h); break; }
            case DT_INT64: case DT_UINT64: memcpy(&v->i[k], p, 8); break;
            case DT_INT32: { int32_t a; memcpy(&a, p, 4); v->i[k] = a; break; }
            case DT_UINT32: { uint32_t a; memcpy(&a, p, 4); v->i[k] = a; break; }
            case DT_INT16: { int16_t a; memcpy(&a, p, 2); v->i[k] = a; break; }
            case DT_UINT16: { uint16_t a; memcpy(&a, p, 2); v->i[k] = a; break; }
            case DT_INT8: v->i[k] = (int8_t)*p; break;
            default: v->i[k] = *p; break;
            }
        }
        return SEG_OK;
    }
    /* Typed fields: float_data (FLOAT), double_data (DOUBLE), int64_data
     * (INT64), int32_data (INT32, INT16, INT8, UINT8, UINT16, BOOL, FLOAT16
     * bits), uint64_data (UINT32, UINT64). */
    size_t have;
    switch (dt) {
    case DT_FLOAT: have = tp->n_float_data; break;
    case DT_DOUBLE: have = tp->n_double_data; break;
    case DT_INT64: have = tp->n_int64_data; break;
    case DT_UINT32: case DT_UINT64: have = tp->n_uint64_data; break;
    default: have = tp->n_int32_data; break;
    }
    if (have != n) {
        SET_ERR("malformed ONNX model: tensor '%.60s' has %zu values, its shape needs %zu",
                v->name, have, n);
        return SEG_ERR_BAD_MODEL;
    }
    for (size_t k = 0; k < n; k++) {
        switch (dt) {
        case DT_FLOAT: v->f[k] = tp->float_data[k]; break;
        case DT_DOUBLE: v->f[k] = (float)tp->double_data[k]; break;
        case DT_FLOAT16: v->f[k] = nn_half_to_float((uint16_t)tp->int32_data[k]); break;
        case DT_INT64: v->i[k] = tp->int64_data[k]; break;
        case DT_UINT32: case DT_UINT64: v->i[k] = (int64_t)tp->uint64_data[k]; break;
        default: v->i[k] = tp->int32_data[k]; break;
        }
    }
    return SEG_OK;
}

static float cval_f(const oval *v, size_t k) { return v->is_int ? (float)v->i[k] : v->f[k]; }
static int64_t cval_i(const oval *v, size_t k)
{
    if (v->is_int)
        return v->i[k];
    float f = v->f[k]; /* saturate: a float out of int64's range is not UB here */
    if (!(f > -9.0e18f && f < 9.0e18f))
        return f > 0.0f ? INT64_MAX : f < 0.0f ? INT64_MIN : 0;
    return (int64_t)f;
}

/* ==== node inputs and outputs =========================================== */

/* The value of node input k, or NULL when absent ("" or past the end). */
static oval *in_val(ox *x, size_t k)
{
    if (k >= x->node->n_input || !x->node->input[k] || !x->node->input[k][0])
        return NULL;
    int i = find_value(x, x->node->input[k]);
    return i >= 0 ? &x->v[i] : NULL;
}

static oval *out_val(ox *x, size_t k)
{
    if (k >= x->node->n_output || !x->node->output[k] || !x->node->output[k][0])
        return NULL;
    int i = find_value(x, x->node->output[k]);
    return i >= 0 ? &x->v[i] : NULL;
}

static int need_const(ox *x, const oval *v, const char *role)
{
    char buf[96];
    if (!v) {
        snprintf(buf, sizeof buf, "no %s", role);
        return bad(x, buf);
    }
    if (v->kind != V_CONST) {
        snprintf(buf, sizeof buf, "the %s must be a constant", role);
        return unsup(x, buf);
    }
    return SEG_OK;
}

static int need_act(ox *x, const oval *v, const char *role)
{
    char buf[96];
    if (!v) {
        snprintf(buf, sizeof buf, "no %s", role);
        return bad(x, buf);
    }
    if (v->kind != V_ACT) {
        snprintf(buf, sizeof buf, "the %s is a constant here (not foldable)", role);
        return unsup(x, buf);
    }
    return SEG_OK;
}

/* Make output value o an activation of ONNX dims (rank r) with a new tensor. */
static int def_act(ox *x, oval *o, const int64_t *dims, int rank, int nchw)
{
    if (!o)
        return bad(x, "no output");
    if (o->kind != V_NONE)
        return bad(x, "an output is written twice");
    if (rank > 4 || rank < 0) {
        return unsup(x, "an activation of rank above 4");
    }
    o->kind = V_ACT;
    o->rank = rank;
    memmove(o->dims, dims, sizeof(int64_t) * (size_t)rank);
    o->nchw = rank == 4 && nchw;
    int s[4];
    for (int d = 0; d < rank; d++)
        if (dims[d] < 1 || dims[d] > (int64_t)NN_MAX_TENSOR_ELEMS)
            return bad(x, "an output dimension is empty or too large");
    eng_shape(o, s);
    o->t = new_tensor(x, s, rank, o->name, o->nchw);
    return o->t < 0 ? tensor_status(x, o->t) : SEG_OK;
}

/* Output o is activation v under another name (no node). */
static int alias_act(ox *x, oval *o, const oval *v)
{
    if (!o)
        return bad(x, "no output");
    if (o->kind != V_NONE)
        return bad(x, "an output is written twice");
    int readers = o->readers;
    const char *name = o->name;
    *o = *v;
    o->name = name;
    o->readers = readers;
    o->f = NULL;
    o->i = NULL;
    if (v->kind == V_CONST) { /* copy the data: each value owns its own */
        int st = const_alloc(x, o, v->is_int);
        if (st)
            return st;
        if (v->is_int)
            memcpy(o->i, v->i, v->n * sizeof(int64_t));
        else
            memcpy(o->f, v->f, v->n * sizeof(float));
    }
    return SEG_OK;
}

/* ==== layout changes ==================================================== */

/* A tensor holding activation v in the file's row-major order, with engine
 * shape = v's dims padded (a TRANSPOSE node when v's memory is NHWC). */
static int onnx_order_tensor(ox *x, const oval *v, int *t)
{
    if (onnx_ordered(v)) {
        *t = v->t;
        return SEG_OK;
    }
    int s[4] = {(int)v->dims[0], (int)v->dims[1], (int)v->dims[2], (int)v->dims[3]};
    char name[80];
    snprintf(name, sizeof name, "%.60s/nchw", v->name);
    int o = new_tensor(x, s, 4, name, 0);
    if (o < 0)
        return tensor_status(x, o);
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_TRANSPOSE, o));
    n->tfl_name = "Transpose (layout)";
    n->n_in = 1;
    n->in[0] = v->t;
    eng_shape(v, n->vshape);
    static const int to_nchw[4] = {0, 3, 1, 2};
    memcpy(n->perm, to_nchw, sizeof n->perm);
    *t = o;
    return SEG_OK;
}

/* Define output o (ONNX dims, rank) from tensor src holding that data in
 * row-major order: rank 4 becomes NHWC (a TRANSPOSE, or a copy when the
 * order is the same), other ranks a copy. */
static int def_from_onnx_order(ox *x, oval *o, int src, const int64_t *dims, int rank)
{
    int st = def_act(x, o, dims, rank, 1);
    if (st)
        return st;
    nn_node *n;
    if (onnx_ordered(o)) {
        NODE_OR_FAIL(n, new_node(x, NN_OP_COPY, o->t));
    } else {
        NODE_OR_FAIL(n, new_node(x, NN_OP_TRANSPOSE, o->t));
        n->tfl_name = "Transpose (layout)";
        for (int d = 0; d < 4; d++)
            n->vshape[d] = (int)dims[d];
        static const int to_nhwc[4] = {0, 2, 3, 1};
        memcpy(n->perm, to_nhwc, sizeof n->perm);
    }
    n->n_in = 1;
    n->in[0] = src;
    return SEG_OK;
}

/* v as an NCHW-held activation (rank-4 values read as NHWC at the input are
 * converted once; the result is cached in *v). */
static int as_nchw(ox *x, oval *v)
{
    if (v->rank != 4)
        return unsup(x, "the input must have rank 4 (N,C,H,W)");
    if (v->nchw)
        return SEG_OK;
    oval tmp = *v;
    tmp.kind = V_NONE;
    int st = def_from_onnx_order(x, &tmp, v->t, v->dims, 4);
    if (st)
        return st;
    v->t = tmp.t;
    v->nchw = 1;
    return SEG_OK;
}

/* A constant broadcast against an activation of rank ra (layout nchw):
 * an engine tensor with the constant's data in that layout. */
static int const_operand(ox *x, const oval *c, int ra, int nchw, int *t)
{
    int64_t d4[4] = {1, 1, 1, 1};
    int rc = c->rank;
    int skip = 0;
    while (rc - skip > ra) { /* leading 1s beyond the activation's rank */
        if (c->dims[skip] != 1)
            return unsup(x, "a constant of higher rank than the activation it combines with");
        skip++;
    }
    int r = rc - skip;
    for (int d = 0; d < r; d++)
        d4[4 - r + d] = c->dims[skip + d];
    int ra4 = ra < 1 ? 1 : ra;
    (void)ra4;
    oval tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.rank = ra > 0 ? ra : 1;
    for (int d = 0; d < tmp.rank; d++)
        tmp.dims[d] = d4[4 - tmp.rank + d];
    if (r > tmp.rank)
        return unsup(x, "a constant of higher rank than the activation");
    tmp.nchw = nchw && tmp.rank == 4;
    int s[4];
    eng_shape(&tmp, s);
    float *data = malloc(sizeof(float) * (c->n ? c->n : 1));
    if (!data)
        return oom(x);
    if (tmp.nchw) {
        size_t C = (size_t)d4[1], H = (size_t)d4[2], W = (size_t)d4[3];
        for (size_t n0 = 0; n0 < (size_t)d4[0]; n0++)
            for (size_t ch = 0; ch < C; ch++)
                for (size_t y = 0; y < H; y++)
                    for (size_t xx = 0; xx < W; xx++)
                        data[((n0 * H + y) * W + xx) * C + ch] =
                            cval_f(c, ((n0 * C + ch) * H + y) * W + xx);
    } else {
        for (size_t k = 0; k < c->n; k++)
            data[k] = cval_f(c, k);
    }
    *t = new_const_tensor(x, s, tmp.rank, c->name, data);
    return *t < 0 ? tensor_status(x, *t) : SEG_OK;
}

/* ==== constant folding ================================================== */

/* Numpy broadcast of two shapes into out (rank = max). */
static int broadcast(const oval *a, const oval *b, int64_t *out, int *rank)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int d = 0; d < r; d++) {
        int64_t x = d < r - a->rank ? 1 : a->dims[d - (r - a->rank)];
        int64_t y = d < r - b->rank ? 1 : b->dims[d - (r - b->rank)];
        if (x != y && x != 1 && y != 1)
            return -1;
        out[d] = x == 1 ? y : x;
    }
    *rank = r;
    return 0;
}

/* Offset in v of output index idx (rank r), broadcasting. */
static size_t bcast_offset(const oval *v, const int64_t *idx, int r)
{
    size_t off = 0;
    for (int d = 0; d < v->rank; d++) {
        int64_t i = idx[d + r - v->rank];
        off = off * (size_t)v->dims[d] + (size_t)(v->dims[d] == 1 ? 0 : i);
    }
    return off;
}

static void nd_next(int r, const int64_t *dims, int64_t *idx)
{
    for (int d = r - 1; d >= 0; d--) {
        if (++idx[d] < dims[d])
            return;
        idx[d] = 0;
    }
}

typedef enum cop { C_ADD, C_SUB, C_MUL, C_DIV, C_MAX, C_MIN } cop;

static int fold_binary(ox *x, cop op, oval *a, oval *b, oval *o)
{
    int64_t dims[ONNX_MAX_RANK];
    int r;
    if (broadcast(a, b, dims, &r))
        return bad(x, "shapes do not broadcast");
    o->rank = r;
    memcpy(o->dims, dims, sizeof dims);
    int is_int = a->is_int && b->is_int;
    int st = const_alloc(x, o, is_int);
    if (st)
        return st;
    int64_t idx[ONNX_MAX_RANK] = {0};
    for (size_t k = 0; k < o->n; k++, nd_next(r, dims, idx)) {
        size_t ia = bcast_offset(a, idx, r), ib = bcast_offset(b, idx, r);
        if (is_int) {
            int64_t p = a->i[ia], q = b->i[ib], v;
            switch (op) {
            case C_ADD: v = (int64_t)((uint64_t)p + (uint64_t)q); break;
            case C_SUB: v = (int64_t)((uint64_t)p - (uint64_t)q); break;
            case C_MUL: v = (int64_t)((uint64_t)p * (uint64_t)q); break;
            case C_DIV:
                if (q == 0 || (q == -1 && p == INT64_MIN))
                    return bad(x, "integer division by zero");
                v = p / q;
                break;
            case C_MAX: v = p > q ? p : q; break;
            default: v = p < q ? p : q; break;
            }
            o->i[k] = v;
        } else {
            float p = cval_f(a, ia), q = cval_f(b, ib), v;
            switch (op) {
            case C_ADD: v = p + q; break;
            case C_SUB: v = p - q; break;
            case C_MUL: v = p * q; break;
            case C_DIV: v = p / q; break;
            case C_MAX: v = p > q ? p : q; break;
            default: v = p < q ? p : q; break;
            }
            o->f[k] = v;
        }
    }
    return SEG_OK;
}

/* Axes from an attribute (older opsets) or a constant input (newer). */
static int get_axes(ox *x, const char *attr_name, size_t input, int64_t *axes, int *n)
{
    oval *a = in_val(x, input);
    if (a) {
        if (a->kind != V_CONST || a->n > ONNX_MAX_RANK)
            return unsup(x, "the axes must be a small constant");
        for (size_t k = 0; k < a->n; k++)
            axes[k] = cval_i(a, k);
        *n = (int)a->n;
        return SEG_OK;
    }
    *n = attr_ints(x, attr_name, axes, ONNX_MAX_RANK);
    if (*n < 0)
        return bad(x, "too many axes");
    return SEG_OK;
}

static int norm_axis(int64_t a, int rank, int *out)
{
    if (a < 0)
        a += rank;
    if (a < 0 || a >= rank)
        return -1;
    *out = (int)a;
    return 0;
}

/* Target shape of a Reshape (0 = keep, -1 = infer). */
static int reshape_dims(ox *x, const oval *in, const oval *shape, int64_t *dims, int *rank)
{
    if (shape->n > ONNX_MAX_RANK)
        return unsup(x, "a target rank above 8");
    int allowzero = (int)attr_i(x, "allowzero", 0);
    size_t n_in;
    if (dims_elems(in->dims, in->rank, &n_in))
        return bad(x, "input too large");
    int infer = -1;
    size_t known = 1;
    for (size_t k = 0; k < shape->n; k++) {
        int64_t d = cval_i(shape, k);
        if (d == 0 && !allowzero) {
            if (k >= (size_t)in->rank)
                return bad(x, "0 in the shape past the input's rank");
            d = in->dims[k];
        }
        if (d == -1) {
            if (infer >= 0)
                return bad(x, "two -1 in the shape");
            infer = (int)k;
            d = 1;
        } else if (d < 0 || d > (int64_t)NN_MAX_TENSOR_ELEMS) {
            return bad(x, "a dimension out of range in the shape");
        }
        dims[k] = d;
        if (d && known > NN_MAX_TENSOR_ELEMS / (size_t)d)
            return bad(x, "shape too large");
        known *= (size_t)d;
    }
    if (infer >= 0) {
        if (known == 0 || n_in % known)
            return bad(x, "the shape does not divide the input");
        dims[infer] = (int64_t)(n_in / known);
    } else if (known != n_in) {
        return bad(x, "the shape's size differs from the input's");
    }
    *rank = (int)shape->n;
    return SEG_OK;
}

/* Copy element src_k of a into element dst_k of o (same int-ness). */
static void cput(oval *o, size_t dk, const oval *a, size_t sk)
{
    if (o->is_int)
        o->i[dk] = cval_i(a, sk);
    else
        o->f[dk] = cval_f(a, sk);
}

/* Row-major strides of v. */
static void strides_of(const oval *v, size_t *st)
{
    size_t s = 1;
    for (int d = v->rank - 1; d >= 0; d--) {
        st[d] = s;
        s *= (size_t)v->dims[d];
    }
}

/* Slice parameters for every axis of a value of rank r. */
typedef struct slice_spec {
    int64_t start[ONNX_MAX_RANK], step[ONNX_MAX_RANK], len[ONNX_MAX_RANK];
} slice_spec;

static int slice_params(ox *x, const oval *in, slice_spec *sp)
{
    int64_t starts[ONNX_MAX_RANK], ends[ONNX_MAX_RANK], axes[ONNX_MAX_RANK],
        steps[ONNX_MAX_RANK];
    int ns, ne, na = 0, nst = 0;
    if (x->opset < 10) {
        ns = attr_ints(x, "starts", starts, ONNX_MAX_RANK);
        ne = attr_ints(x, "ends", ends, ONNX_MAX_RANK);
        na = attr_ints(x, "axes", axes, ONNX_MAX_RANK);
    } else {
        oval *s = in_val(x, 1), *e = in_val(x, 2), *a = in_val(x, 3), *p = in_val(x, 4);
        int st;
        if ((st = need_const(x, s, "starts")) || (st = need_const(x, e, "ends")))
            return st;
        if ((a && a->kind != V_CONST) || (p && p->kind != V_CONST))
            return unsup(x, "axes and steps must be constants");
        if (s->n > ONNX_MAX_RANK || e->n != s->n || (a && a->n != s->n) || (p && p->n != s->n))
            return bad(x, "starts, ends, axes and steps differ in length");
        ns = ne = (int)s->n;
        for (int k = 0; k < ns; k++) {
            starts[k] = cval_i(s, (size_t)k);
            ends[k] = cval_i(e, (size_t)k);
            if (a)
                axes[k] = cval_i(a, (size_t)k);
            if (p)
                steps[k] = cval_i(p, (size_t)k);
        }
        na = a ? ns : 0;
        nst = p ? ns : 0;
    }
    if (ns < 0 || ne != ns || (na && na != ns) || (nst && nst != ns))
        return bad(x, "starts, ends, axes and steps differ in length");
    for (int d = 0; d < in->rank; d++) {
        sp->start[d] = 0;
        sp->step[d] = 1;
        sp->len[d] = in->dims[d];
    }
    int seen[ONNX_MAX_RANK] = {0};
    for (int k = 0; k < ns; k++) {
        int ax;
        if (norm_axis(na ? axes[k] : k, in->rank, &ax) || seen[ax]++)
            return bad(x, "an axis out of range or repeated");
        int64_t dim = in->dims[ax], step = nst ? steps[k] : 1, s = starts[k], e = ends[k];
        if (step == 0)
            return bad(x, "a step of 0");
        /* Dims are below 2^28: a larger step takes one element, and the
         * arithmetic below cannot overflow. */
        if (step > ((int64_t)1 << 40))
            step = (int64_t)1 << 40;
        if (step < -((int64_t)1 << 40))
            step = -((int64_t)1 << 40);
        if (s < 0)
            s += dim;
        if (e < 0 && e > INT64_MIN / 2)
            e += dim;
        if (step > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        }
        int64_t len = step > 0 ? (e > s ? (e - s + step - 1) / step : 0)
                               : (s > e ? (s - e + (-step) - 1) / (-step) : 0);
        sp->start[ax] = s;
        sp->step[ax] = step;
        sp->len[ax] = len;
    }
    return SEG_OK;
}

static int fold_slice(ox *x, oval *in, oval *o)
{
    slice_spec sp;
    int st = slice_params(x, in, &sp);
    if (st)
        return st;
    o->rank = in->rank;
    memcpy(o->dims, sp.len, sizeof sp.len);
    if ((st = const_alloc(x, o, in->is_int)))
        return st;
    size_t ist[ONNX_MAX_RANK];
    strides_of(in, ist);
    int64_t idx[ONNX_MAX_RANK] = {0};
    for (size_t k = 0; k < o->n; k++, nd_next(o->rank, o->dims, idx)) {
        size_t off = 0;
        for (int d = 0; d < in->rank; d++)
            off += (size_t)(sp.start[d] + idx[d] * sp.step[d]) * ist[d];
        cput(o, k, in, off);
    }
    return SEG_OK;
}

static int fold_gather(ox *x, oval *data, oval *ind, oval *o)
{
    int ax;
    if (!data || !ind)
        return bad(x, "Gather takes data and indices");
    if (norm_axis(attr_i(x, "axis", 0), data->rank, &ax))
        return bad(x, "axis out of range");
    if (data->rank - 1 + ind->rank > ONNX_MAX_RANK)
        return unsup(x, "result rank above 8");
    o->rank = 0;
    for (int d = 0; d < ax; d++)
        o->dims[o->rank++] = data->dims[d];
    for (int d = 0; d < ind->rank; d++)
        o->dims[o->rank++] = ind->dims[d];
    for (int d = ax + 1; d < data->rank; d++)
        o->dims[o->rank++] = data->dims[d];
    int st = const_alloc(x, o, data->is_int);
    if (st)
        return st;
    size_t outer = 1, inner = 1, dim = (size_t)data->dims[ax];
    for (int d = 0; d < ax; d++)
        outer *= (size_t)data->dims[d];
    for (int d = ax + 1; d < data->rank; d++)
        inner *= (size_t)data->dims[d];
    size_t k = 0;
    for (size_t a = 0; a < outer; a++)
        for (size_t j = 0; j < ind->n; j++) {
            int64_t i = cval_i(ind, j);
            if (i < 0)
                i += (int64_t)dim;
            if (i < 0 || (size_t)i >= dim)
                return bad(x, "an index out of range");
            for (size_t b = 0; b < inner; b++)
                cput(o, k++, data, (a * dim + (size_t)i) * inner + b);
        }
    return SEG_OK;
}

static int fold_concat(ox *x, oval *o)
{
    oval *first = in_val(x, 0);
    if (!first)
        return bad(x, "no inputs");
    int ax, is_int = 1;
    if (norm_axis(attr_i(x, "axis", 0), first->rank, &ax))
        return bad(x, "axis out of range");
    o->rank = first->rank;
    memcpy(o->dims, first->dims, sizeof o->dims);
    o->dims[ax] = 0;
    for (size_t k = 0; k < x->node->n_input; k++) {
        oval *v = in_val(x, k);
        if (!v || v->rank != first->rank)
            return bad(x, "inputs of different ranks");
        for (int d = 0; d < v->rank; d++)
            if (d != ax && v->dims[d] != first->dims[d])
                return bad(x, "inputs differ outside the axis");
        o->dims[ax] += v->dims[ax];
        is_int &= v->is_int;
    }
    int st = const_alloc(x, o, is_int);
    if (st)
        return st;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < ax; d++)
        outer *= (size_t)first->dims[d];
    for (int d = ax + 1; d < first->rank; d++)
        inner *= (size_t)first->dims[d];
    size_t k = 0;
    for (size_t a = 0; a < outer; a++)
        for (size_t j = 0; j < x->node->n_input; j++) {
            oval *v = in_val(x, j);
            size_t row = (size_t)v->dims[ax] * inner;
            for (size_t b = 0; b < row; b++)
                cput(o, k++, v, a * row + b);
        }
    return SEG_OK;
}

static int fold_transpose(ox *x, oval *in, const int *perm, oval *o)
{
    o->rank = in->rank;
    for (int d = 0; d < in->rank; d++)
        o->dims[d] = in->dims[perm[d]];
    int st = const_alloc(x, o, in->is_int);
    if (st)
        return st;
    size_t ist[ONNX_MAX_RANK];
    strides_of(in, ist);
    int64_t idx[ONNX_MAX_RANK] = {0};
    for (size_t k = 0; k < o->n; k++, nd_next(o->rank, o->dims, idx)) {
        size_t off = 0;
        for (int d = 0; d < o->rank; d++)
            off += (size_t)idx[d] * ist[perm[d]];
        cput(o, k, in, off);
    }
    return SEG_OK;
}

/* Permutation attribute (default: reverse). */
static int get_perm(ox *x, int rank, int *perm)
{
    int64_t p[ONNX_MAX_RANK];
    int n = attr_ints(x, "perm", p, ONNX_MAX_RANK);
    if (n == 0) {
        for (int d = 0; d < rank; d++)
            perm[d] = rank - 1 - d;
        return SEG_OK;
    }
    if (n != rank)
        return bad(x, "perm's length differs from the rank");
    int seen[ONNX_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++) {
        if (p[d] < 0 || p[d] >= rank || seen[p[d]]++)
            return bad(x, "perm is not a permutation");
        perm[d] = (int)p[d];
    }
    return SEG_OK;
}

/* Shape arithmetic and other all-constant nodes. */
static int fold_node(ox *x, const char *op)
{
    oval *o = out_val(x, 0), *a = in_val(x, 0), *b = in_val(x, 1);
    int st;
    if (!o)
        return bad(x, "no output");
    if (o->kind != V_NONE)
        return bad(x, "an output is written twice");
    if (!strcmp(op, "Concat"))
        return fold_concat(x, o);
    /* Every other folded op reads its first input; a node may leave it
     * empty ("") and name only later ones. */
    if (!a)
        return bad(x, "no first input");
    if (!strcmp(op, "Identity") || !strcmp(op, "Dropout"))
        return alias_act(x, o, a);
    if (!strcmp(op, "Cast")) {
        int64_t to = attr_i(x, "to", DT_FLOAT);
        int to_int = !(to == DT_FLOAT || to == DT_DOUBLE || to == DT_FLOAT16);
        o->rank = a->rank;
        memcpy(o->dims, a->dims, sizeof o->dims);
        if ((st = const_alloc(x, o, to_int)))
            return st;
        for (size_t k = 0; k < a->n; k++) {
            if (to_int)
                o->i[k] = to == DT_BOOL ? cval_f(a, k) != 0.0f : cval_i(a, k);
            else
                o->f[k] = cval_f(a, k);
        }
        return SEG_OK;
    }
    if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div") ||
        !strcmp(op, "Max") || !strcmp(op, "Min")) {
        cop c = op[0] == 'A' ? C_ADD : op[0] == 'S' ? C_SUB : op[0] == 'D' ? C_DIV
              : !strcmp(op, "Mul") ? C_MUL : !strcmp(op, "Max") ? C_MAX : C_MIN;
        if (!b || x->node->n_input != 2)
            return unsup(x, "other than two inputs");
        return fold_binary(x, c, a, b, o);
    }
    if (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze")) {
        int64_t axes[ONNX_MAX_RANK];
        int na, sq = op[0] == 'S';
        if ((st = get_axes(x, "axes", 1, axes, &na)))
            return st;
        o->rank = 0;
        if (sq) {
            int drop[ONNX_MAX_RANK] = {0};
            for (int k = 0; k < na; k++) {
                int ax;
                if (norm_axis(axes[k], a->rank, &ax) || a->dims[ax] != 1)
                    return bad(x, "squeezing an axis that is not 1");
                drop[ax] = 1;
            }
            for (int d = 0; d < a->rank; d++)
                if (na ? !drop[d] : a->dims[d] != 1)
                    o->dims[o->rank++] = a->dims[d];
        } else {
            int r = a->rank + na, put[ONNX_MAX_RANK + 8] = {0};
            if (r > ONNX_MAX_RANK)
                return unsup(x, "rank above 8");
            for (int k = 0; k < na; k++) {
                int ax;
                if (norm_axis(axes[k], r, &ax) || put[ax]++)
                    return bad(x, "an axis out of range or repeated");
            }
            for (int d = 0, j = 0; d < r; d++)
                o->dims[o->rank++] = put[d] ? 1 : a->dims[j++];
        }
        if ((st = const_alloc(x, o, a->is_int)))
            return st;
        for (size_t k = 0; k < a->n; k++)
            cput(o, k, a, k);
        return SEG_OK;
    }
    if (!strcmp(op, "Reshape") || !strcmp(op, "Flatten")) {
        if (op[0] == 'R') {
            if ((st = need_const(x, b, "shape")))
                return st;
            if ((st = reshape_dims(x, a, b, o->dims, &o->rank)))
                return st;
        } else {
            int ax;
            int64_t axis = attr_i(x, "axis", 1);
            if (axis < 0)
                axis += a->rank;
            if (axis < 0 || axis > a->rank)
                return bad(x, "axis out of range");
            ax = (int)axis;
            o->rank = 2;
            o->dims[0] = o->dims[1] = 1;
            for (int d = 0; d < a->rank; d++)
                o->dims[d < ax ? 0 : 1] *= a->dims[d];
        }
        if ((st = const_alloc(x, o, a->is_int)))
            return st;
        for (size_t k = 0; k < a->n; k++)
            cput(o, k, a, k);
        return SEG_OK;
    }
    if (!strcmp(op, "Gather"))
        return b ? fold_gather(x, a, b, o) : bad(x, "needs indices");
    if (!strcmp(op, "Slice"))
        return fold_slice(x, a, o);
    if (!strcmp(op, "Transpose")) {
        int perm[ONNX_MAX_RANK];
        if ((st = get_perm(x, a->rank, perm)))
            return st;
        return fold_transpose(x, a, perm, o);
    }
    if (!strcmp(op, "Expand")) {
        if ((st = need_const(x, b, "shape")))
            return st;
        oval shp;
        memset(&shp, 0, sizeof shp);
        if (b->n > ONNX_MAX_RANK)
            return unsup(x, "rank above 8");
        shp.rank = (int)b->n;
        for (size_t k = 0; k < b->n; k++)
            shp.dims[k] = cval_i(b, k);
        int64_t dims[ONNX_MAX_RANK];
        int r;
        if (broadcast(a, &shp, dims, &r))
            return bad(x, "shape does not broadcast");
        o->rank = r;
        memcpy(o->dims, dims, sizeof dims);
        if ((st = const_alloc(x, o, a->is_int)))
            return st;
        int64_t idx[ONNX_MAX_RANK] = {0};
        for (size_t k = 0; k < o->n; k++, nd_next(r, dims, idx))
            cput(o, k, a, bcast_offset(a, idx, r));
        return SEG_OK;
    }
    return unsup(x, "this op on constants only (not folded)");
}

/* Constant, ConstantOfShape, Range, Shape: constants from attributes or
 * from the (fixed) shape of a value. */
static int source_node(ox *x, const char *op)
{
    oval *o = out_val(x, 0), *a = in_val(x, 0);
    int st;
    if (!o)
        return bad(x, "no output");
    if (o->kind != V_NONE)
        return bad(x, "an output is written twice");
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *t;
        if ((t = attr(x, "value")) && t->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR &&
            t->t)
            return load_tensor_proto(x, o, t->t);
        if ((t = attr(x, "value_float")) || (t = attr(x, "value_int"))) {
            o->rank = 0;
            int is_int = t->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
            if ((st = const_alloc(x, o, is_int)))
                return st;
            if (is_int)
                o->i[0] = t->i;
            else
                o->f[0] = t->f;
            return SEG_OK;
        }
        if ((t = attr(x, "value_floats")) || (t = attr(x, "value_ints"))) {
            int is_int = t->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
            o->rank = 1;
            o->dims[0] = (int64_t)(is_int ? t->n_ints : t->n_floats);
            if ((st = const_alloc(x, o, is_int)))
                return st;
            for (size_t k = 0; k < o->n; k++) {
                if (is_int)
                    o->i[k] = t->ints[k];
                else
                    o->f[k] = t->floats[k];
            }
            return SEG_OK;
        }
        return unsup(x, "a Constant without a tensor, float(s) or int(s) value");
    }
    if (!strcmp(op, "Shape")) {
        if (!a)
            return bad(x, "no input");
        int64_t s = attr_i(x, "start", 0), e = attr_i(x, "end", a->rank);
        if (s < 0)
            s += a->rank;
        if (e < 0)
            e += a->rank;
        s = s < 0 ? 0 : s > a->rank ? a->rank : s;
        e = e < 0 ? 0 : e > a->rank ? a->rank : e;
        o->rank = 1;
        o->dims[0] = e > s ? e - s : 0;
        if ((st = const_alloc(x, o, 1)))
            return st;
        for (int64_t k = s; k < e; k++)
            o->i[k - s] = a->dims[k];
        return SEG_OK;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        if ((st = need_const(x, a, "shape")))
            return st;
        if (a->n > ONNX_MAX_RANK)
            return unsup(x, "rank above 8");
        o->rank = (int)a->n;
        for (size_t k = 0; k < a->n; k++)
            o->dims[k] = cval_i(a, k);
        oval val;
        memset(&val, 0, sizeof val);
        val.name = o->name;
        const Onnx__AttributeProto *t = attr(x, "value");
        int is_int = 0;
        float fv = 0.0f;
        int64_t iv = 0;
        if (t && t->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR && t->t) {
            if ((st = load_tensor_proto(x, &val, t->t))) {
                free_const(x, &val); /* val is not in the value table */
                return st;
            }
            if (val.n != 1) {
                free_const(x, &val);
                return bad(x, "value must hold one element");
            }
            is_int = val.is_int;
            fv = cval_f(&val, 0);
            iv = cval_i(&val, 0);
            free_const(x, &val);
        }
        if ((st = const_alloc(x, o, is_int)))
            return st;
        for (size_t k = 0; k < o->n; k++) {
            if (is_int)
                o->i[k] = iv;
            else
                o->f[k] = fv;
        }
        return SEG_OK;
    }
    if (!strcmp(op, "Range")) {
        oval *l = in_val(x, 1), *d = in_val(x, 2);
        if ((st = need_const(x, a, "start")) || (st = need_const(x, l, "limit")) ||
            (st = need_const(x, d, "delta")))
            return st;
        if (a->n != 1 || l->n != 1 || d->n != 1)
            return bad(x, "start, limit and delta must be scalars");
        int is_int = a->is_int && l->is_int && d->is_int;
        double s0 = is_int ? (double)a->i[0] : (double)cval_f(a, 0),
               l0 = is_int ? (double)l->i[0] : (double)cval_f(l, 0),
               d0 = is_int ? (double)d->i[0] : (double)cval_f(d, 0);
        if (d0 == 0.0 || !isfinite(s0) || !isfinite(l0))
            return bad(x, "delta 0 or a non-finite bound");
        double cnt = ceil((l0 - s0) / d0);
        if (cnt > (double)NN_MAX_TENSOR_ELEMS)
            return bad(x, "range too long");
        o->rank = 1;
        o->dims[0] = cnt > 0 ? (int64_t)cnt : 0;
        if ((st = const_alloc(x, o, is_int)))
            return st;
        for (size_t k = 0; k < o->n; k++) {
            if (is_int)
                o->i[k] = a->i[0] + (int64_t)k * d->i[0];
            else
                o->f[k] = (float)(s0 + (double)k * d0);
        }
        return SEG_OK;
    }
    return unsup(x, "internal: not a source op");
}

/* ==== activation ops ==================================================== */

/* Spatial attributes of Conv/ConvTranspose/pools for a 2-D window. */
typedef struct win2 {
    int64_t k[2], s[2], d[2], pads[4]; /* pads: top, left, bottom, right */
    int auto_pad;                      /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
} win2;

static int get_window(ox *x, win2 *w, const int64_t *kdefault)
{
    int64_t v[8];
    int n;
    for (int i = 0; i < 2; i++) {
        w->k[i] = kdefault ? kdefault[i] : 1;
        w->s[i] = w->d[i] = 1;
    }
    memset(w->pads, 0, sizeof w->pads);
    if ((n = attr_ints(x, "kernel_shape", v, 8)) != 0) {
        if (n != 2)
            return unsup(x, "only 2-D windows (kernel_shape of 2)");
        w->k[0] = v[0];
        w->k[1] = v[1];
    }
    if ((n = attr_ints(x, "strides", v, 8)) != 0) {
        if (n != 2)
            return bad(x, "strides must have 2 values");
        w->s[0] = v[0];
        w->s[1] = v[1];
    }
    if ((n = attr_ints(x, "dilations", v, 8)) != 0) {
        if (n != 2)
            return bad(x, "dilations must have 2 values");
        w->d[0] = v[0];
        w->d[1] = v[1];
    }
    if ((n = attr_ints(x, "pads", v, 8)) != 0) {
        if (n != 4)
            return bad(x, "pads must have 4 values");
        memcpy(w->pads, v, sizeof w->pads);
    }
    char buf[32];
    const char *ap = attr_s(x, "auto_pad", "NOTSET", buf, sizeof buf);
    w->auto_pad = !strcmp(ap, "SAME_UPPER") ? 1 : !strcmp(ap, "SAME_LOWER") ? 2
                : !strcmp(ap, "VALID") ? 3 : !strcmp(ap, "NOTSET") ? 0 : -1;
    if (w->auto_pad < 0)
        return bad(x, "unknown auto_pad");
    for (int i = 0; i < 2; i++)
        if (w->k[i] < 1 || w->k[i] > 4096 || w->s[i] < 1 || w->s[i] > 4096 || w->d[i] < 1 ||
            w->d[i] > 4096 || w->pads[i] < 0 || w->pads[i + 2] < 0 || w->pads[i] > 65536 ||
            w->pads[i + 2] > 65536)
            return bad(x, "kernel, stride, dilation or pads out of range");
    return SEG_OK;
}

/* Output size of a window op along one axis (conv rules, or pool's with
 * ceil_mode); fills the pads for auto_pad. -1 when empty. */
static int64_t win_out(win2 *w, int i, int64_t in, int ceil_mode)
{
    int64_t ek = (w->k[i] - 1) * w->d[i] + 1;
    if (w->auto_pad == 1 || w->auto_pad == 2) {
        int64_t out = (in + w->s[i] - 1) / w->s[i];
        int64_t total = (out - 1) * w->s[i] + ek - in;
        total = total < 0 ? 0 : total;
        w->pads[i] = w->auto_pad == 1 ? total / 2 : total - total / 2;
        w->pads[i + 2] = total - w->pads[i];
        return out;
    }
    if (w->auto_pad == 3)
        w->pads[i] = w->pads[i + 2] = 0;
    int64_t span = in + w->pads[i] + w->pads[i + 2] - ek;
    if (span < 0)
        return -1;
    int64_t out = (ceil_mode ? (span + w->s[i] - 1) / w->s[i] : span / w->s[i]) + 1;
    /* The last window must start inside the input or its leading pad. */
    if (ceil_mode && (out - 1) * w->s[i] >= in + w->pads[i])
        out--;
    return out;
}

static nn_window to_window(const win2 *w)
{
    nn_window g = {(int)w->k[0], (int)w->k[1], (int)w->s[0], (int)w->s[1],
                   (int)w->d[0], (int)w->d[1], (int)w->pads[0], (int)w->pads[1]};
    return g;
}

static int build_conv(ox *x)
{
    oval *in = in_val(x, 0), *W = in_val(x, 1), *B = in_val(x, 2), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")) || (st = need_const(x, W, "weights")))
        return st;
    if (B && (st = need_const(x, B, "bias")))
        return st;
    if ((st = as_nchw(x, in)))
        return st;
    if (W->rank != 4 || W->is_int)
        return unsup(x, "only 2-D convolutions with float weights");
    int64_t N = in->dims[0], C = in->dims[1], H = in->dims[2], Wd = in->dims[3];
    int64_t M = W->dims[0], CG = W->dims[1], kd[2] = {W->dims[2], W->dims[3]};
    int64_t group = attr_i(x, "group", 1);
    if (N != 1)
        return unsup(x, "batch sizes other than 1");
    if (group < 1 || C % group || CG * group != C || M % group || M < 1)
        return bad(x, "weights, group and input channels do not agree");
    if (B && B->n != (size_t)M)
        return bad(x, "bias length differs from the output channels");
    win2 w;
    if ((st = get_window(x, &w, kd)))
        return st;
    if (w.k[0] != kd[0] || w.k[1] != kd[1])
        return bad(x, "kernel_shape differs from the weights");
    int64_t oh = win_out(&w, 0, H, 0), ow = win_out(&w, 1, Wd, 0);
    if (oh < 1 || ow < 1 || oh > NN_MAX_DIM || ow > NN_MAX_DIM)
        return bad(x, "output size out of range");
    if (w.pads[0] > w.k[0] * w.d[0] || w.pads[1] > w.k[1] * w.d[1])
        return unsup(x, "padding wider than the kernel");
    int64_t od[4] = {1, M, oh, ow};
    if ((st = def_act(x, o, od, 4, 1)))
        return st;
    int kh = (int)kd[0], kw = (int)kd[1];
    int depthwise = group == C && CG == 1 && group > 1;
    size_t kk = (size_t)kh * kw;
    float *wd, *bd = NULL;
    int ws[4];
    if (depthwise) {
        /* [1][KH][KW][C*mult], output channel c*mult + m: ONNX's order. */
        wd = malloc(sizeof(float) * (size_t)M * kk);
        if (!wd)
            return oom(x);
        for (int64_t oc = 0; oc < M; oc++)
            for (size_t p = 0; p < kk; p++)
                wd[p * (size_t)M + (size_t)oc] = W->f[(size_t)oc * kk + p];
        ws[0] = 1; ws[1] = kh; ws[2] = kw; ws[3] = (int)M;
    } else {
        /* OHWI; a grouped conv becomes a dense one with zero blocks. */
        size_t ic = (size_t)C;
        if ((size_t)M * kk > NN_MAX_TENSOR_ELEMS / ic) {
            char *err = x->err;
            size_t errlen = x->errlen;
            SET_ERR("ONNX model exceeds limits: conv '%.60s' needs more than %zu weights as a "
                    "dense convolution", o->name, NN_MAX_TENSOR_ELEMS);
            return SEG_ERR_LIMIT;
        }
        wd = calloc((size_t)M * kk * ic, sizeof(float));
        if (!wd)
            return oom(x);
        int64_t mg = M / group;
        for (int64_t oc = 0; oc < M; oc++) {
            int64_t g = oc / mg;
            for (int64_t ci = 0; ci < CG; ci++)
                for (size_t p = 0; p < kk; p++)
                    wd[((size_t)oc * kk + p) * ic + (size_t)(g * CG + ci)] =
                        W->f[((size_t)oc * (size_t)CG + (size_t)ci) * kk + p];
        }
        ws[0] = (int)M; ws[1] = kh; ws[2] = kw; ws[3] = (int)C;
    }
    int wt = new_const_tensor(x, ws, 4, W->name, wd);
    if (wt < 0)
        return tensor_status(x, wt);
    int bt = -1;
    /* Always a bias tensor: BatchNormalization folding writes into it. */
    bd = malloc(sizeof(float) * (size_t)M);
    if (!bd)
        return oom(x);
    for (int64_t k = 0; k < M; k++)
        bd[k] = B ? cval_f(B, (size_t)k) : 0.0f;
    int bs[4] = {1, 1, 1, (int)M};
    bt = new_const_tensor(x, bs, 1, B ? B->name : "bias", bd);
    if (bt < 0)
        return tensor_status(x, bt);
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, depthwise ? NN_OP_DEPTHWISE_CONV_2D : NN_OP_CONV_2D, o->t));
    n->n_in = 3;
    n->in[0] = in->t;
    n->in[1] = wt;
    n->in[2] = bt;
    n->win = to_window(&w);
    n->mult = depthwise ? (int)(M / C) : 1;
    n->macs = (uint64_t)oh * ow * M * kk * (depthwise ? 1 : (uint64_t)C);
    return SEG_OK;
}

static int build_conv_transpose(ox *x)
{
    oval *in = in_val(x, 0), *W = in_val(x, 1), *B = in_val(x, 2), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")) || (st = need_const(x, W, "weights")))
        return st;
    if (B && (st = need_const(x, B, "bias")))
        return st;
    if ((st = as_nchw(x, in)))
        return st;
    if (W->rank != 4 || W->is_int)
        return unsup(x, "only 2-D transposed convolutions with float weights");
    int64_t C = in->dims[1], H = in->dims[2], Wd = in->dims[3];
    int64_t M = W->dims[1], kd[2] = {W->dims[2], W->dims[3]};
    if (in->dims[0] != 1)
        return unsup(x, "batch sizes other than 1");
    if (attr_i(x, "group", 1) != 1)
        return unsup(x, "grouped transposed convolution");
    if (W->dims[0] != C || M < 1)
        return bad(x, "weights do not match the input channels");
    if (B && B->n != (size_t)M)
        return bad(x, "bias length differs from the output channels");
    win2 w;
    if ((st = get_window(x, &w, kd)))
        return st;
    if (w.k[0] != kd[0] || w.k[1] != kd[1])
        return bad(x, "kernel_shape differs from the weights");
    if (w.d[0] != 1 || w.d[1] != 1)
        return unsup(x, "dilated transposed convolution");
    int64_t opad[2] = {0, 0}, oshape[2];
    int nop = attr_ints(x, "output_padding", opad, 2), nos = attr_ints(x, "output_shape", oshape, 2);
    if (nop < 0 || nos < 0 || (nop && nop != 2) || (nos && nos != 2))
        return bad(x, "output_padding or output_shape need 2 values");
    if (nos && (oshape[0] < 1 || oshape[1] < 1 || oshape[0] > NN_MAX_DIM ||
                oshape[1] > NN_MAX_DIM))
        return bad(x, "output_shape out of range");
    int64_t out[2], insz[2] = {H, Wd};
    for (int i = 0; i < 2; i++) {
        if (opad[i] < 0 || opad[i] >= (w.s[i] > w.d[i] ? w.s[i] : w.d[i]))
            return bad(x, "output_padding out of range");
        int64_t full = w.s[i] * (insz[i] - 1) + opad[i] + (w.k[i] - 1) * w.d[i] + 1;
        if (nos || w.auto_pad == 1 || w.auto_pad == 2) {
            int64_t target = nos ? oshape[i] : insz[i] * w.s[i];
            int64_t total = full - target;
            if (total < 0)
                return unsup(x, "output_shape larger than the full output");
            /* ONNX: SAME_UPPER puts the odd pixel at the end, otherwise at
             * the start. */
            w.pads[i] = w.auto_pad == 1 ? total / 2 : total - total / 2;
            w.pads[i + 2] = total - w.pads[i];
        } else if (w.auto_pad == 3) {
            w.pads[i] = w.pads[i + 2] = 0;
        }
        out[i] = full - w.pads[i] - w.pads[i + 2];
        if (out[i] < 1 || out[i] > NN_MAX_DIM)
            return bad(x, "output size out of range");
    }
    int64_t od[4] = {1, M, out[0], out[1]};
    if ((st = def_act(x, o, od, 4, 1)))
        return st;
    int kh = (int)kd[0], kw = (int)kd[1];
    size_t kk = (size_t)kh * kw;
    float *wd = malloc(sizeof(float) * (size_t)M * kk * (size_t)C);
    float *bd = malloc(sizeof(float) * (size_t)M);
    if (!wd || !bd) {
        free(wd);
        free(bd);
        return oom(x);
    }
    /* IOHW -> OHWI */
    for (int64_t oc = 0; oc < M; oc++)
        for (size_t p = 0; p < kk; p++)
            for (int64_t ic = 0; ic < C; ic++)
                wd[((size_t)oc * kk + p) * (size_t)C + (size_t)ic] =
                    W->f[((size_t)ic * (size_t)M + (size_t)oc) * kk + p];
    for (int64_t k = 0; k < M; k++)
        bd[k] = B ? cval_f(B, (size_t)k) : 0.0f;
    int ws[4] = {(int)M, kh, kw, (int)C}, bs[4] = {1, 1, 1, (int)M};
    int wt = new_const_tensor(x, ws, 4, W->name, wd);
    if (wt < 0) {
        free(bd);
        return tensor_status(x, wt);
    }
    int bt = new_const_tensor(x, bs, 1, "bias", bd);
    if (bt < 0)
        return tensor_status(x, bt);
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_TRANSPOSE_CONV, o->t));
    n->n_in = 3;
    n->in[0] = in->t;
    n->in[1] = wt;
    n->in[2] = bt;
    n->win = to_window(&w);
    n->win.dil_h = n->win.dil_w = 1;
    n->macs = (uint64_t)H * Wd * M * kk * (uint64_t)C;
    return SEG_OK;
}

/* A new tensor shaped like value v (for intermediate results). */
static int tmp_like(ox *x, const oval *v, const char *suffix)
{
    int s[4];
    char name[80];
    eng_shape(v, s);
    snprintf(name, sizeof name, "%.60s/%s", v->name, suffix);
    return new_tensor(x, s, v->rank, name, v->rank == 4 && v->nchw);
}

static int scalar_tensor(ox *x, float value, const char *name)
{
    float *d = malloc(sizeof(float));
    if (!d)
        return -3;
    d[0] = value;
    int s[4] = {1, 1, 1, 1};
    return new_const_tensor(x, s, 1, name, d);
}

static int emit_bin(ox *x, nn_binop op, int ta, int tb, int out)
{
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_BINARY, out));
    n->n_in = 2;
    n->in[0] = ta;
    n->in[1] = tb;
    n->binop = op;
    const nn_tensor *a = &x->m->tensors[ta], *b = &x->m->tensors[tb];
    for (int d = 0; d < 4; d++)
        if (a->shape[d] != b->shape[d] && a->shape[d] != 1 && b->shape[d] != 1)
            return bad(x, "shapes do not broadcast");
    return SEG_OK;
}

static int emit_act(ox *x, nn_act act, int tin, int tout)
{
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_ACTIVATION, tout));
    n->n_in = 1;
    n->in[0] = tin;
    n->act = act;
    return SEG_OK;
}

/* Binary op on values (one at least an activation). */
static int build_binary(ox *x, nn_binop op, oval *a, oval *b, oval *o)
{
    int st, ta, tb;
    if (!a || !b)
        return bad(x, "needs two inputs");
    oval *act = a->kind == V_ACT ? a : b, *other = act == a ? b : a;
    if (other->kind == V_ACT) {
        if (a->rank != b->rank && (a->rank == 4 || b->rank == 4))
            return unsup(x, "a rank-4 activation combined with one of another rank");
        if (a->rank == 4 && (a->nchw != b->nchw) && ((st = as_nchw(x, a)) || (st = as_nchw(x, b))))
            return st;
    } else if (other->rank > act->rank) {
        return unsup(x, "a constant of higher rank than the activation it combines with");
    }
    int64_t dims[ONNX_MAX_RANK];
    int r;
    if (broadcast(a, b, dims, &r))
        return bad(x, "shapes do not broadcast");
    if ((st = def_act(x, o, dims, r, act->nchw)))
        return st;
    if (a->kind == V_ACT) {
        ta = a->t;
    } else if ((st = const_operand(x, a, act->rank, act->nchw, &ta))) {
        return st;
    }
    if (b->kind == V_ACT) {
        tb = b->t;
    } else if ((st = const_operand(x, b, act->rank, act->nchw, &tb))) {
        return st;
    }
    return emit_bin(x, op, ta, tb, o->t);
}

/* Same-shape elementwise chain helper: the output value of an activation
 * op, with the layout of its input. */
static int def_like(ox *x, oval *o, const oval *in)
{
    return def_act(x, o, in->dims, in->rank, in->nchw);
}

static int build_unary(ox *x, const char *op)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")))
        return st;
    if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Tanh") ||
        !strcmp(op, "HardSwish")) {
        nn_act a = op[0] == 'R' ? NN_ACT_RELU : op[0] == 'S' ? NN_ACT_LOGISTIC
                 : op[0] == 'T' ? NN_ACT_TANH : NN_ACT_HARD_SWISH;
        if ((st = def_like(x, o, in)))
            return st;
        return emit_act(x, a, in->t, o->t);
    }
    if (!strcmp(op, "LeakyRelu")) {
        int t = scalar_tensor(x, attr_f(x, "alpha", 0.01f), "alpha");
        if (t < 0)
            return tensor_status(x, t);
        if ((st = def_like(x, o, in)))
            return st;
        return emit_bin(x, NN_BIN_PRELU, in->t, t, o->t);
    }
    if (!strcmp(op, "PRelu")) {
        oval *slope = in_val(x, 1);
        if ((st = need_const(x, slope, "slope")))
            return st;
        return build_binary(x, NN_BIN_PRELU, in, slope, o);
    }
    if (!strcmp(op, "Clip")) {
        float lo = -INFINITY, hi = INFINITY;
        if (x->opset < 11) {
            lo = attr_f(x, "min", -INFINITY);
            hi = attr_f(x, "max", INFINITY);
        } else {
            oval *mn = in_val(x, 1), *mx = in_val(x, 2);
            if ((mn && (mn->kind != V_CONST || mn->n != 1)) ||
                (mx && (mx->kind != V_CONST || mx->n != 1)))
                return unsup(x, "min and max must be constant scalars");
            if (mn)
                lo = cval_f(mn, 0);
            if (mx)
                hi = cval_f(mx, 0);
        }
        if ((st = def_like(x, o, in)))
            return st;
        if (lo == 0.0f && hi == 6.0f)
            return emit_act(x, NN_ACT_RELU6, in->t, o->t);
        if (lo == 0.0f && hi == INFINITY)
            return emit_act(x, NN_ACT_RELU, in->t, o->t);
        if (lo == -1.0f && hi == 1.0f)
            return emit_act(x, NN_ACT_RELU_N1_TO_1, in->t, o->t);
        int src = in->t;
        if (lo > -INFINITY) {
            int t = scalar_tensor(x, lo, "min");
            if (t < 0)
                return tensor_status(x, t);
            int dst = hi < INFINITY ? tmp_like(x, o, "clipmin") : o->t;
            if (dst < 0)
                return tensor_status(x, dst);
            if ((st = emit_bin(x, NN_BIN_MAX, src, t, dst)))
                return st;
            src = dst;
        }
        if (hi < INFINITY) {
            int t = scalar_tensor(x, hi, "max");
            if (t < 0)
                return tensor_status(x, t);
            return emit_bin(x, NN_BIN_MIN, src, t, o->t);
        }
        if (src == in->t) { /* no bounds: a copy */
            nn_node *n;
            NODE_OR_FAIL(n, new_node(x, NN_OP_COPY, o->t));
            n->n_in = 1;
            n->in[0] = in->t;
        }
        return SEG_OK;
    }
    if (!strcmp(op, "HardSigmoid")) {
        /* max(0, min(1, alpha * x + beta)) */
        float al = attr_f(x, "alpha", 0.2f), be = attr_f(x, "beta", 0.5f);
        if ((st = def_like(x, o, in)))
            return st;
        int ta = scalar_tensor(x, al, "alpha"), tb = scalar_tensor(x, be, "beta"),
            t0 = scalar_tensor(x, 0.0f, "zero"), t1 = scalar_tensor(x, 1.0f, "one");
        int u = tmp_like(x, o, "ax"), w = tmp_like(x, o, "axb"), z = tmp_like(x, o, "max0");
        if (ta < 0 || tb < 0 || t0 < 0 || t1 < 0 || u < 0 || w < 0 || z < 0)
            return SEG_ERR_NOMEM;
        if ((st = emit_bin(x, NN_BIN_MUL, in->t, ta, u)) ||
            (st = emit_bin(x, NN_BIN_ADD, u, tb, w)) || (st = emit_bin(x, NN_BIN_MAX, w, t0, z)))
            return st;
        return emit_bin(x, NN_BIN_MIN, z, t1, o->t);
    }
    return unsup(x, "internal: not a unary op");
}

/* BatchNormalization: folded into the Conv before it when that Conv's output
 * is read only here, else y = x * s + b per channel. */
static int build_batchnorm(ox *x)
{
    oval *in = in_val(x, 0), *sc = in_val(x, 1), *bi = in_val(x, 2), *mean = in_val(x, 3),
         *var = in_val(x, 4), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")) || (st = need_const(x, sc, "scale")) ||
        (st = need_const(x, bi, "bias")) || (st = need_const(x, mean, "mean")) ||
        (st = need_const(x, var, "variance")))
        return st;
    if (in->rank < 2)
        return bad(x, "input rank below 2");
    int64_t C = in->dims[1];
    if (sc->n != (size_t)C || bi->n != (size_t)C || mean->n != (size_t)C || var->n != (size_t)C)
        return bad(x, "parameters differ in length from the channels");
    float eps = attr_f(x, "epsilon", 1e-5f);
    float *s = malloc(sizeof(float) * (size_t)C), *b = malloc(sizeof(float) * (size_t)C);
    if (!s || !b) {
        free(s);
        free(b);
        return oom(x);
    }
    for (int64_t c = 0; c < C; c++) {
        s[c] = cval_f(sc, (size_t)c) / sqrtf(cval_f(var, (size_t)c) + eps);
        b[c] = cval_f(bi, (size_t)c) - cval_f(mean, (size_t)c) * s[c];
    }
    nn_model *m = x->m;
    int pk = in->kind == V_ACT ? m->tensors[in->t].first_def : -1;
    nn_node *p = pk >= 0 ? &m->nodes[pk] : NULL;
    if (p && pk == m->n_nodes - 1 && p->out == in->t && in->readers == 1 &&
        !m->tensors[in->t].is_output &&
        (p->op == NN_OP_CONV_2D || p->op == NN_OP_DEPTHWISE_CONV_2D ||
         p->op == NN_OP_TRANSPOSE_CONV) && p->act == NN_ACT_NONE) {
        nn_tensor *w = &m->tensors[p->in[1]], *bt = &m->tensors[p->in[2]];
        size_t per = w->elems / (size_t)C;
        for (size_t k = 0; k < w->elems; k++) {
            /* Output channel: the first dim (OHWI), the last for depthwise. */
            size_t oc = p->op == NN_OP_DEPTHWISE_CONV_2D ? k % (size_t)C : k / per;
            w->data[k] *= s[oc];
        }
        for (int64_t c = 0; c < C; c++)
            bt->data[c] = bt->data[c] * s[c] + b[c];
        free(s);
        free(b);
        p->tfl_name = p->op == NN_OP_CONV_2D ? "Conv+BatchNormalization"
                    : p->op == NN_OP_DEPTHWISE_CONV_2D ? "Conv (depthwise)+BatchNormalization"
                    : "ConvTranspose+BatchNormalization";
        return alias_act(x, o, in);
    }
    /* Standalone: two broadcast constants shaped [C,1,...]. */
    oval cs, cb;
    memset(&cs, 0, sizeof cs);
    cs.name = "bn_scale";
    cs.kind = V_CONST;
    cs.rank = in->rank - 1;
    for (int d = 0; d < cs.rank; d++)
        cs.dims[d] = d == 0 ? C : 1;
    cs.n = (size_t)C;
    cs.f = s;
    cb = cs;
    cb.name = "bn_bias";
    cb.f = b;
    int ts, tbb;
    st = const_operand(x, &cs, in->rank, in->nchw, &ts);
    if (!st)
        st = const_operand(x, &cb, in->rank, in->nchw, &tbb);
    free(s);
    free(b);
    if (st)
        return st;
    if ((st = def_like(x, o, in)))
        return st;
    int u = tmp_like(x, o, "bn_mul");
    if (u < 0)
        return tensor_status(x, u);
    if ((st = emit_bin(x, NN_BIN_MUL, in->t, ts, u)))
        return st;
    return emit_bin(x, NN_BIN_ADD, u, tbb, o->t);
}

/* MatMul with constant weights, and Gemm: a fully connected layer. */
static int build_matmul(ox *x, int gemm)
{
    oval *a = in_val(x, 0), *b = in_val(x, 1), *c = in_val(x, 2), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, a, "input")) || (st = need_const(x, b, "weights")))
        return st;
    if (c && (st = need_const(x, c, "bias")))
        return st;
    if (b->rank != 2)
        return unsup(x, "weights of rank other than 2");
    int transb = gemm ? (int)attr_i(x, "transB", 0) : 0;
    float alpha = gemm ? attr_f(x, "alpha", 1.0f) : 1.0f, beta = gemm ? attr_f(x, "beta", 1.0f) : 1.0f;
    if (gemm && (attr_i(x, "transA", 0) || a->rank != 2))
        return unsup(x, "Gemm with a transposed or non-2-D input");
    int64_t K = transb ? b->dims[1] : b->dims[0], N = transb ? b->dims[0] : b->dims[1];
    if (a->rank < 1 || a->dims[a->rank - 1] != K || N < 1 || K < 1 || N > NN_MAX_DIM * 16)
        return bad(x, "input depth differs from the weights'");
    if (c && c->n != 1 && c->n != (size_t)N)
        return unsup(x, "a bias that is not per output");
    int64_t od[4];
    memcpy(od, a->dims, sizeof(int64_t) * (size_t)a->rank);
    od[a->rank - 1] = N;
    int src;
    if ((st = onnx_order_tensor(x, a, &src)))
        return st;
    float *wd = malloc(sizeof(float) * (size_t)(N * K)), *bd = malloc(sizeof(float) * (size_t)N);
    if (!wd || !bd) {
        free(wd);
        free(bd);
        return oom(x);
    }
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < K; k++)
            wd[n * K + k] = alpha * b->f[transb ? n * K + k : k * N + n];
        bd[n] = c ? beta * cval_f(c, c->n == 1 ? 0 : (size_t)n) : 0.0f;
    }
    int ws[4] = {1, 1, (int)N, (int)K}, bs[4] = {1, 1, 1, (int)N};
    int wt = new_const_tensor(x, ws, 2, b->name, wd);
    if (wt < 0) {
        free(bd);
        return tensor_status(x, wt);
    }
    int bt = new_const_tensor(x, bs, 1, "bias", bd);
    if (bt < 0)
        return tensor_status(x, bt);
    /* The product in row-major order, then into the output's layout. */
    int direct = a->rank != 4;
    int dst;
    if (direct) {
        if ((st = def_act(x, o, od, a->rank, 0)))
            return st;
        dst = o->t;
    } else {
        int s[4] = {(int)od[0], (int)od[1], (int)od[2], (int)od[3]};
        if ((dst = new_tensor(x, s, 4, "matmul", 0)) < 0)
            return tensor_status(x, dst);
    }
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_FULLY_CONNECTED, dst));
    n->n_in = 3;
    n->in[0] = src;
    n->in[1] = wt;
    n->in[2] = bt;
    n->macs = (uint64_t)(x->m->tensors[src].elems / (size_t)K) * (uint64_t)N * (uint64_t)K;
    if (!direct)
        return def_from_onnx_order(x, o, dst, od, 4);
    return SEG_OK;
}

static int build_pool(ox *x, const char *op)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")) || (st = as_nchw(x, in)))
        return st;
    if (in->dims[0] != 1)
        return unsup(x, "batch sizes other than 1");
    int is_max = strstr(op, "Max") != NULL, global = !strncmp(op, "Global", 6);
    win2 w;
    int64_t H = in->dims[2], W = in->dims[3], gk[2] = {H, W};
    if ((st = get_window(x, &w, global ? gk : NULL)))
        return st;
    if (global) {
        w.k[0] = H;
        w.k[1] = W;
        w.s[0] = w.s[1] = w.d[0] = w.d[1] = 1;
        memset(w.pads, 0, sizeof w.pads);
        w.auto_pad = 0;
    } else {
        if (!attr(x, "kernel_shape"))
            return bad(x, "no kernel_shape");
        if (w.d[0] != 1 || w.d[1] != 1)
            return unsup(x, "dilated pooling");
        if (is_max && attr_i(x, "storage_order", 0) != 0)
            return unsup(x, "storage_order 1");
        if (is_max && x->node->n_output > 1 && out_val(x, 1))
            return unsup(x, "the Indices output");
    }
    int ceil_mode = (int)attr_i(x, "ceil_mode", 0);
    int64_t oh = win_out(&w, 0, H, ceil_mode), ow = win_out(&w, 1, W, ceil_mode);
    if (oh < 1 || ow < 1 || oh > NN_MAX_DIM || ow > NN_MAX_DIM)
        return bad(x, "output size out of range");
    int64_t od[4] = {1, in->dims[1], oh, ow};
    if ((st = def_act(x, o, od, 4, 1)))
        return st;
    int src = in->t;
    if (!is_max && attr_i(x, "count_include_pad", 0) && (w.pads[0] || w.pads[1] || w.pads[2] ||
                                                          w.pads[3])) {
        /* Padding that counts: pad with zeros first, then pool without. */
        int s[4] = {1, (int)(H + w.pads[0] + w.pads[2]), (int)(W + w.pads[1] + w.pads[3]),
                    (int)in->dims[1]};
        char name[80];
        snprintf(name, sizeof name, "%.60s/padded", in->name);
        if ((src = new_tensor(x, s, 4, name, 1)) < 0)
            return tensor_status(x, src);
        nn_node *p;
        NODE_OR_FAIL(p, new_node(x, NN_OP_PAD, src));
        p->n_in = 1;
        p->in[0] = in->t;
        p->pads[1][0] = (int)w.pads[0];
        p->pads[1][1] = (int)w.pads[2];
        p->pads[2][0] = (int)w.pads[1];
        p->pads[2][1] = (int)w.pads[3];
        memset(w.pads, 0, sizeof w.pads);
    }
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, is_max ? NN_OP_MAX_POOL_2D : NN_OP_AVERAGE_POOL_2D, o->t));
    n->n_in = 1;
    n->in[0] = src;
    n->win = to_window(&w);
    return SEG_OK;
}

static int build_reduce(ox *x, int op)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st, na;
    int64_t axes[ONNX_MAX_RANK];
    if ((st = need_act(x, in, "input")))
        return st;
    if ((st = get_axes(x, "axes", 1, axes, &na)))
        return st;
    int keep = (int)attr_i(x, "keepdims", 1), red[ONNX_MAX_RANK] = {0};
    if (na == 0) {
        if (attr_i(x, "noop_with_empty_axes", 0))
            return unsup(x, "noop_with_empty_axes");
        for (int d = 0; d < in->rank; d++)
            red[d] = 1;
    }
    for (int k = 0; k < na; k++) {
        int ax;
        if (norm_axis(axes[k], in->rank, &ax))
            return bad(x, "axis out of range");
        red[ax] = 1;
    }
    int64_t od[ONNX_MAX_RANK];
    int r = 0, reduce[4] = {0, 0, 0, 0};
    for (int d = 0; d < in->rank; d++) {
        if (red[d])
            reduce[eng_axis(in, d)] = 1;
        if (!red[d] || keep)
            od[r++] = red[d] ? 1 : in->dims[d];
    }
    if (!keep && in->rank == 4 && in->nchw) {
        /* The kept non-1 dims must be in the same order in NHWC as in the file. */
        int last = -1;
        static const int order[4] = {0, 3, 1, 2}; /* engine position of ONNX dim d */
        for (int d = 0; d < 4; d++)
            if (!red[d] && in->dims[d] != 1) {
                if (order[d] < last)
                    return unsup(x, "keepdims 0 keeping channels and space");
                last = order[d];
            }
    }
    if ((st = def_act(x, o, od, r, keep && in->nchw)))
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_MEAN, o->t));
    n->n_in = 1;
    n->in[0] = in->t;
    n->reduce_op = op;
    memcpy(n->reduce, reduce, sizeof reduce);
    return SEG_OK;
}

/* The engine's nearest source index (nn_resize_nearest) and bilinear source
 * coordinate (nn_resize_bilinear), to match ONNX's modes against. */
static int eng_nearest(int o, int in, int out, int align, int half)
{
    float scale = (align && out > 1) ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float off = half ? 0.5f : 0.0f;
    int v = align ? (int)roundf(((float)o + off) * scale) : (int)floorf(((float)o + off) * scale);
    v = v < in - 1 ? v : in - 1;
    return v < 0 ? 0 : v;
}

static float eng_linear(int o, int in, int out, int align, int half)
{
    float scale = nn_resize_scale(in, out, align);
    float s = half ? ((float)o + 0.5f) * scale - 0.5f : (float)o * scale;
    return s < 0.0f ? 0.0f : s > (float)(in - 1) ? (float)(in - 1) : s;
}

/* ONNX's source coordinate for output index o. */
static double onnx_coord(const char *ct, int o, int in, int out, double scale)
{
    if (!strcmp(ct, "half_pixel"))
        return ((double)o + 0.5) / scale - 0.5;
    if (!strcmp(ct, "pytorch_half_pixel"))
        return out > 1 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
    if (!strcmp(ct, "align_corners"))
        return out > 1 ? (double)o * (in - 1) / (double)(out - 1) : 0.0;
    return (double)o / scale; /* asymmetric */
}

static int onnx_nearest(const char *nm, double c, int in)
{
    double f = floor(c);
    int v;
    if (!strcmp(nm, "floor"))
        v = (int)f;
    else if (!strcmp(nm, "ceil"))
        v = (int)ceil(c);
    else if (!strcmp(nm, "round_prefer_ceil"))
        v = (int)(c - f >= 0.5 ? f + 1 : f);
    else /* round_prefer_floor */
        v = (int)(c - f > 0.5 ? f + 1 : f);
    return v < 0 ? 0 : v > in - 1 ? in - 1 : v;
}

static int build_resize(ox *x, int upsample)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0), *scales = NULL, *sizes = NULL;
    int st;
    if ((st = need_act(x, in, "input")) || (st = as_nchw(x, in)))
        return st;
    char mbuf[32], cbuf[32], nbuf[32];
    const char *mode = attr_s(x, "mode", "nearest", mbuf, sizeof mbuf);
    const char *ct = upsample || x->opset < 11 ? "asymmetric"
                   : attr_s(x, "coordinate_transformation_mode", "half_pixel", cbuf, sizeof cbuf);
    const char *nm = upsample || x->opset < 11 ? "floor"
                   : attr_s(x, "nearest_mode", "round_prefer_floor", nbuf, sizeof nbuf);
    double sc[4] = {1, 1, 1, 1};
    int64_t od[4];
    memcpy(od, in->dims, sizeof od);
    if (upsample && x->opset < 9) {
        const Onnx__AttributeProto *a = attr(x, "scales");
        if (!a || a->n_floats != 4)
            return bad(x, "scales must have 4 values");
        for (int d = 0; d < 4; d++)
            sc[d] = (double)a->floats[d];
    } else {
        scales = in_val(x, upsample || x->opset < 11 ? 1 : 2);
        sizes = upsample || x->opset < 11 ? NULL : in_val(x, 3);
        if (scales && scales->kind == V_CONST && scales->n == 0)
            scales = NULL;
        if (sizes && sizes->kind == V_CONST && sizes->n == 0)
            sizes = NULL;
        if ((scales && scales->kind != V_CONST) || (sizes && sizes->kind != V_CONST))
            return unsup(x, "scales and sizes must be constants");
        if (attr(x, "axes"))
            return unsup(x, "the axes attribute");
        if (sizes) {
            if (sizes->n != 4)
                return bad(x, "sizes must have 4 values");
            for (int d = 0; d < 4; d++) {
                od[d] = cval_i(sizes, (size_t)d);
                sc[d] = (double)od[d] / (double)in->dims[d];
            }
        } else if (scales) {
            if (scales->n != 4)
                return bad(x, "scales must have 4 values");
            for (int d = 0; d < 4; d++)
                sc[d] = (double)cval_f(scales, (size_t)d);
        } else {
            return bad(x, "neither scales nor sizes");
        }
    }
    if (!sizes)
        for (int d = 0; d < 4; d++) {
            if (!(sc[d] > 0.0) || sc[d] * (double)in->dims[d] > NN_MAX_DIM)
                return bad(x, "scale out of range");
            od[d] = (int64_t)floor((double)in->dims[d] * sc[d]);
        }
    if (od[0] != in->dims[0] || od[1] != in->dims[1])
        return unsup(x, "resizing the batch or the channels");
    if (od[2] < 1 || od[3] < 1 || od[2] > NN_MAX_DIM || od[3] > NN_MAX_DIM)
        return bad(x, "output size out of range");
    int linear = !strcmp(mode, "linear") || !strcmp(mode, "bilinear");
    if (!linear && strcmp(mode, "nearest"))
        return unsup(x, "mode other than nearest and linear");
    if (attr_i(x, "exclude_outside", 0) || attr_i(x, "antialias", 0))
        return unsup(x, "exclude_outside or antialias");
    /* Find the engine mode that reads the same source pixels (nearest) or
     * coordinates (linear) for every output row and column. */
    static const int modes[3][2] = {{0, 1}, {1, 0}, {0, 0}};
    int found = -1;
    for (int k = 0; k < 3 && found < 0; k++) {
        int ok = 1;
        for (int ax = 0; ax < 2 && ok; ax++) {
            int isz = (int)in->dims[2 + ax], osz = (int)od[2 + ax];
            for (int i = 0; i < osz && ok; i++) {
                double c = onnx_coord(ct, i, isz, osz, sc[2 + ax]);
                if (linear) {
                    double cc = c < 0 ? 0 : c > isz - 1 ? isz - 1 : c;
                    ok = fabs(cc - (double)eng_linear(i, isz, osz, modes[k][0], modes[k][1])) <
                         1e-4;
                } else {
                    ok = onnx_nearest(nm, c, isz) ==
                         eng_nearest(i, isz, osz, modes[k][0], modes[k][1]);
                }
            }
        }
        if (ok)
            found = k;
    }
    if (found < 0) {
        char why[256];
        snprintf(why, sizeof why, "%s with coordinate_transformation_mode %s%s%s at these sizes",
                 mode, ct, linear ? "" : " and nearest_mode ", linear ? "" : nm);
        return unsup(x, why);
    }
    if ((st = def_act(x, o, od, 4, 1)))
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, linear ? NN_OP_RESIZE_BILINEAR : NN_OP_RESIZE_NEAREST, o->t));
    n->n_in = 1;
    n->in[0] = in->t;
    n->align_corners = modes[found][0];
    n->half_pixel = modes[found][1];
    if (linear)
        n->macs = (uint64_t)od[2] * od[3] * od[1] * 4;
    return SEG_OK;
}

static int build_concat(ox *x)
{
    oval *o = out_val(x, 0), *first = NULL;
    int st;
    size_t n_in = x->node->n_input;
    if (n_in < 1 || n_in > NN_MAX_NODE_INPUTS)
        return unsup(x, "more than 8 inputs");
    for (size_t k = 0; k < n_in; k++) {
        oval *v = in_val(x, k);
        if (!v)
            return bad(x, "an absent input");
        if (v->kind == V_ACT && !first)
            first = v;
    }
    int rank = first->rank, nchw = 0;
    for (size_t k = 0; k < n_in; k++) {
        oval *v = in_val(x, k);
        if (v->rank != rank)
            return bad(x, "inputs of different ranks");
        nchw |= v->kind == V_ACT && v->nchw;
    }
    for (size_t k = 0; nchw && k < n_in; k++) {
        oval *v = in_val(x, k);
        if (v->kind == V_ACT && (st = as_nchw(x, v)))
            return st;
    }
    int ax;
    if (norm_axis(attr_i(x, "axis", 0), rank, &ax))
        return bad(x, "axis out of range");
    int64_t od[4];
    memcpy(od, first->dims, sizeof(int64_t) * (size_t)rank);
    od[ax] = 0;
    int tin[NN_MAX_NODE_INPUTS];
    for (size_t k = 0; k < n_in; k++) {
        oval *v = in_val(x, k);
        for (int d = 0; d < rank; d++)
            if (d != ax && v->dims[d] != first->dims[d])
                return bad(x, "inputs differ outside the axis");
        od[ax] += v->dims[ax];
        if (v->kind == V_ACT)
            tin[k] = v->t;
        else if ((st = const_operand(x, v, rank, nchw, &tin[k])))
            return st;
    }
    if ((st = def_act(x, o, od, rank, nchw)))
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_CONCATENATION, o->t));
    n->n_in = (int)n_in;
    memcpy(n->in, tin, sizeof(int) * n_in);
    n->axis = eng_axis(o, ax);
    return SEG_OK;
}

/* Reshape, Flatten, Squeeze, Unsqueeze of an activation: the same data in
 * row-major order under new dims. */
static int build_reshape(ox *x, const char *op)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st, r = 0;
    int64_t od[ONNX_MAX_RANK];
    if ((st = need_act(x, in, "input")))
        return st;
    if (!strcmp(op, "Reshape")) {
        oval *shape = in_val(x, 1);
        if ((st = need_const(x, shape, "shape")) || (st = reshape_dims(x, in, shape, od, &r)))
            return st;
    } else if (!strcmp(op, "Flatten")) {
        int64_t axis = attr_i(x, "axis", 1);
        if (axis < 0)
            axis += in->rank;
        if (axis < 0 || axis > in->rank)
            return bad(x, "axis out of range");
        r = 2;
        od[0] = od[1] = 1;
        for (int d = 0; d < in->rank; d++)
            od[d < axis ? 0 : 1] *= in->dims[d];
    } else {
        int64_t axes[ONNX_MAX_RANK];
        int na;
        if ((st = get_axes(x, "axes", 1, axes, &na)))
            return st;
        if (op[0] == 'S') {
            int drop[ONNX_MAX_RANK] = {0};
            for (int k = 0; k < na; k++) {
                int ax;
                if (norm_axis(axes[k], in->rank, &ax) || in->dims[ax] != 1)
                    return bad(x, "squeezing an axis that is not 1");
                drop[ax] = 1;
            }
            for (int d = 0; d < in->rank; d++)
                if (na ? !drop[d] : in->dims[d] != 1)
                    od[r++] = in->dims[d];
        } else {
            int rr = in->rank + na, put[ONNX_MAX_RANK + 8] = {0};
            if (rr > 4)
                return unsup(x, "a result of rank above 4");
            for (int k = 0; k < na; k++) {
                int ax;
                if (norm_axis(axes[k], rr, &ax) || put[ax]++)
                    return bad(x, "an axis out of range or repeated");
            }
            for (int d = 0, j = 0; d < rr; d++)
                od[r++] = put[d] ? 1 : in->dims[j++];
        }
    }
    if (r > 4)
        return unsup(x, "a result of rank above 4");
    if (!onnx_ordered(in)) {
        /* NHWC-held input: one transpose straight into a row-major output. */
        oval probe = *o;
        probe.rank = r;
        memcpy(probe.dims, od, sizeof(int64_t) * (size_t)r);
        probe.nchw = r == 4;
        if (onnx_ordered(&probe)) {
            if ((st = def_act(x, o, od, r, 1)))
                return st;
            nn_node *n;
            NODE_OR_FAIL(n, new_node(x, NN_OP_TRANSPOSE, o->t));
            n->tfl_name = "Transpose (layout)";
            n->n_in = 1;
            n->in[0] = in->t;
            eng_shape(in, n->vshape);
            static const int to_nchw[4] = {0, 3, 1, 2};
            memcpy(n->perm, to_nchw, sizeof n->perm);
            return SEG_OK;
        }
    }
    int src;
    if ((st = onnx_order_tensor(x, in, &src)))
        return st;
    return def_from_onnx_order(x, o, src, od, r);
}

/* Engine position -> ONNX dim for a value of rank r (padded to 4). */
static void eng_to_onnx(int rank, int nchw, int *map)
{
    static const int q[4] = {0, 2, 3, 1};
    for (int i = 0; i < 4; i++)
        map[i] = rank == 4 && nchw ? q[i] : i - (4 - rank); /* < 0: padding */
}

static int build_transpose(ox *x)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st, perm[ONNX_MAX_RANK];
    if ((st = need_act(x, in, "input")) || (st = get_perm(x, in->rank, perm)))
        return st;
    int r = in->rank;
    int64_t od[4];
    for (int d = 0; d < r; d++)
        od[d] = in->dims[perm[d]];
    /* P[i]: the engine input position feeding engine output position i. */
    int inmap[4], inv[4] = {0, 1, 2, 3};
    eng_to_onnx(r, in->nchw, inmap);
    for (int i = 0; i < 4; i++)
        if (inmap[i] >= 0)
            inv[inmap[i]] = i;
    int best = -1, P[2][4], moves[2];
    for (int layout = 0; layout < 2; layout++) { /* 0: NCHW-held output, 1: row-major */
        int outmap[4];
        eng_to_onnx(r, layout == 0, outmap);
        moves[layout] = 0;
        int last = -1;
        for (int i = 0; i < 4; i++) {
            P[layout][i] = outmap[i] < 0 ? i : inv[perm[outmap[i]]];
            if (outmap[i] >= 0 && in->dims[perm[outmap[i]]] != 1) {
                if (P[layout][i] < last)
                    moves[layout] = 1;
                last = P[layout][i];
            }
        }
        if (r != 4 && layout == 0)
            moves[0] = 1; /* only rank 4 can be NCHW-held */
        if (!moves[layout] && best < 0)
            best = layout;
    }
    if (best >= 0) {
        /* The data does not move: same tensor when the engine shapes agree. */
        oval tmp = *in;
        tmp.rank = r;
        memcpy(tmp.dims, od, sizeof od);
        tmp.nchw = best == 0;
        int s[4];
        eng_shape(&tmp, s);
        if (!memcmp(s, x->m->tensors[in->t].shape, sizeof s)) {
            tmp.kind = V_ACT;
            return alias_act(x, o, &tmp);
        }
        if ((st = def_act(x, o, od, r, best == 0)))
            return st;
        nn_node *n;
        NODE_OR_FAIL(n, new_node(x, NN_OP_COPY, o->t));
        n->n_in = 1;
        n->in[0] = in->t;
        return SEG_OK;
    }
    if ((st = def_act(x, o, od, r, 1)))
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_TRANSPOSE, o->t));
    n->n_in = 1;
    n->in[0] = in->t;
    memcpy(n->vshape, x->m->tensors[in->t].shape, sizeof n->vshape);
    memcpy(n->perm, P[0], sizeof n->perm);
    return SEG_OK;
}

static int build_pad(ox *x)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")))
        return st;
    char buf[16];
    const char *mode_s = attr_s(x, "mode", "constant", buf, sizeof buf);
    int mode = !strcmp(mode_s, "constant") ? NN_PAD_CONSTANT
               : !strcmp(mode_s, "reflect") ? NN_PAD_REFLECT
               : !strcmp(mode_s, "edge")    ? NN_PAD_EDGE
                                            : -1;
    if (mode < 0)
        return unsup(x, "modes other than constant, reflect and edge");
    int64_t p[8];
    int np;
    float value = 0.0f;
    if (x->opset < 11) {
        np = attr_ints(x, "pads", p, 8);
        value = attr_f(x, "value", 0.0f);
    } else {
        oval *pv = in_val(x, 1), *cv = in_val(x, 2);
        if ((st = need_const(x, pv, "pads")))
            return st;
        if (in_val(x, 3))
            return unsup(x, "the axes input");
        if (pv->n > 8)
            return bad(x, "too many pads");
        np = (int)pv->n;
        for (int k = 0; k < np; k++)
            p[k] = cval_i(pv, (size_t)k);
        if (cv) {
            if (cv->kind != V_CONST || cv->n != 1)
                return unsup(x, "the value must be a constant scalar");
            value = cval_f(cv, 0);
        }
    }
    if (np != 2 * in->rank)
        return bad(x, "pads must have 2 x rank values");
    int64_t od[4];
    int pads[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    for (int d = 0; d < in->rank; d++) {
        if (p[d] < 0 || p[d + in->rank] < 0)
            return unsup(x, "negative pads (cropping)");
        if (p[d] > NN_MAX_DIM || p[d + in->rank] > NN_MAX_DIM)
            return bad(x, "pads out of range");
        if (mode == NN_PAD_REFLECT && (p[d] >= in->dims[d] || p[d + in->rank] >= in->dims[d]))
            return bad(x, "reflect pads must be narrower than the input");
        od[d] = in->dims[d] + p[d] + p[d + in->rank];
        pads[eng_axis(in, d)][0] = (int)p[d];
        pads[eng_axis(in, d)][1] = (int)p[d + in->rank];
    }
    if (pads[0][0] || pads[0][1])
        return unsup(x, "padding the first dimension");
    if ((st = def_act(x, o, od, in->rank, in->nchw)))
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_PAD, o->t));
    n->n_in = 1;
    n->in[0] = in->t;
    memcpy(n->pads, pads, sizeof pads);
    n->pad_value = value;
    n->pad_mode = mode;
    return SEG_OK;
}

/* out = in[begin + i * step] (engine axes): a SLICE node into o, defined
 * with the file's dims od. */
static int emit_slice(ox *x, const oval *in, oval *o, const int64_t *od, const int begin[4],
                      const int step[4])
{
    int st = def_act(x, o, od, in->rank, in->nchw);
    if (st)
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_SLICE, o->t));
    n->n_in = 1;
    n->in[0] = in->t;
    memcpy(n->begin, begin, sizeof n->begin);
    memcpy(n->step, step, sizeof n->step);
    return SEG_OK;
}

/* Split of an activation: one SLICE per output named (sizes from the
 * split attribute, opset < 13, or input; otherwise equal parts). */
static int build_split(ox *x)
{
    oval *in = in_val(x, 0);
    int st, ax;
    if ((st = need_act(x, in, "input")))
        return st;
    if (norm_axis(attr_i(x, "axis", 0), in->rank, &ax))
        return bad(x, "axis out of range");
    size_t nout = x->node->n_output;
    if (nout < 1 || nout > 64)
        return unsup(x, "more than 64 outputs");
    int64_t sizes[64];
    if (x->opset < 13) {
        int n = attr_ints(x, "split", sizes, 64);
        if (n < 0)
            return bad(x, "more than 64 split sizes");
        if (n > 0 && (size_t)n != nout)
            return bad(x, "split sizes differ in number from the outputs");
        if (n <= 0)
            sizes[0] = -1;
    } else {
        oval *sv = in_val(x, 1);
        sizes[0] = -1;
        if (sv) {
            if ((st = need_const(x, sv, "split")))
                return st;
            if (sv->n != nout)
                return bad(x, "split sizes differ in number from the outputs");
            for (size_t k = 0; k < nout; k++)
                sizes[k] = cval_i(sv, k);
        }
    }
    int64_t dim = in->dims[ax];
    if (sizes[0] < 0) { /* equal parts */
        if (dim % (int64_t)nout)
            return bad(x, "the axis does not split into equal parts");
        for (size_t k = 0; k < nout; k++)
            sizes[k] = dim / (int64_t)nout;
    }
    int64_t at = 0;
    for (size_t k = 0; k < nout; k++) {
        if (sizes[k] < 1 || sizes[k] > dim - at)
            return bad(x, "split sizes do not add up to the axis");
        at += sizes[k];
    }
    if (at != dim)
        return bad(x, "split sizes do not add up to the axis");
    at = 0;
    for (size_t k = 0; k < nout; at += sizes[k], k++) {
        oval *o = out_val(x, k);
        if (!o)
            continue; /* an output nobody named */
        int64_t od[ONNX_MAX_RANK];
        memcpy(od, in->dims, sizeof od);
        od[ax] = sizes[k];
        int begin[4] = {0, 0, 0, 0};
        static const int ones[4] = {1, 1, 1, 1};
        begin[eng_axis(in, ax)] = (int)at;
        if ((st = emit_slice(x, in, o, od, begin, ones)))
            return st;
    }
    return SEG_OK;
}

/* InstanceNormalization: NCHW (or NC...) with C scales and biases, over
 * each image's pixels; a batch of 1 read from a layout the engine holds. */
static int build_instance_norm(ox *x)
{
    oval *in = in_val(x, 0), *sc = in_val(x, 1), *bi = in_val(x, 2), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")) || (st = need_const(x, sc, "scale")) ||
        (st = need_const(x, bi, "bias")))
        return st;
    if (in->rank != 4 || !in->nchw)
        return unsup(x, "inputs other than NCHW images");
    int64_t C = in->dims[1];
    if (sc->n != (size_t)C || bi->n != (size_t)C)
        return bad(x, "scale or bias differs in length from the channels");
    float eps = attr_f(x, "epsilon", 1e-5f);
    if (!(eps >= 0.0f))
        return bad(x, "a negative epsilon");
    float *sd = malloc(sizeof(float) * (size_t)C), *bd = malloc(sizeof(float) * (size_t)C);
    if (!sd || !bd) {
        free(sd);
        free(bd);
        return oom(x);
    }
    for (int64_t c = 0; c < C; c++) {
        sd[c] = cval_f(sc, (size_t)c);
        bd[c] = cval_f(bi, (size_t)c);
    }
    int cs[4] = {1, 1, 1, (int)C};
    int ts = new_const_tensor(x, cs, 1, sc->name ? sc->name : "scale", sd);
    if (ts < 0) {
        free(bd);
        return tensor_status(x, ts);
    }
    int tb = new_const_tensor(x, cs, 1, bi->name ? bi->name : "bias", bd);
    if (tb < 0)
        return tensor_status(x, tb);
    if ((st = def_like(x, o, in)))
        return st;
    nn_node *n;
    NODE_OR_FAIL(n, new_node(x, NN_OP_INSTANCE_NORM, o->t));
    n->n_in = 3;
    n->in[0] = in->t;
    n->in[1] = ts;
    n->in[2] = tb;
    n->eps = eps;
    return SEG_OK;
}

/* Gather of an activation along one axis by constant indices: one index
 * (PyTorch's x[:, 2]: a slice, then the axis dropped) or an evenly spaced
 * increasing run (x[:, [1, 3, 5]]: a strided slice). */
static int build_gather(ox *x)
{
    oval *in = in_val(x, 0), *ind = in_val(x, 1), *o = out_val(x, 0);
    int st, ax;
    if ((st = need_act(x, in, "data")) || (st = need_const(x, ind, "indices")))
        return st;
    if (norm_axis(attr_i(x, "axis", 0), in->rank, &ax))
        return bad(x, "axis out of range");
    if (ind->rank > 1 || ind->n < 1 || ind->n > (size_t)in->dims[ax])
        return unsup(x, "indices other than one index or a run along the axis");
    int64_t dim = in->dims[ax], first = 0, step = 1;
    for (size_t k = 0; k < ind->n; k++) {
        int64_t i = cval_i(ind, k);
        if (i < 0)
            i += dim;
        if (i < 0 || i >= dim)
            return bad(x, "an index out of range");
        if (k == 0)
            first = i;
        else if (k == 1)
            step = i - first;
        if (k > 0 && (step < 1 || i != first + (int64_t)k * step))
            return unsup(x, "indices other than one index or an evenly spaced increasing run");
    }
    int64_t od[ONNX_MAX_RANK];
    memcpy(od, in->dims, sizeof od);
    od[ax] = (int64_t)ind->n;
    int begin[4] = {0, 0, 0, 0}, stp[4] = {1, 1, 1, 1};
    begin[eng_axis(in, ax)] = (int)first;
    stp[eng_axis(in, ax)] = (int)(step < NN_MAX_DIM ? step : NN_MAX_DIM);
    int scalar = ind->rank == 0;
    if (scalar && in->rank < 2)
        return unsup(x, "a scalar result");
    /* A run: straight into the output. One index: into a value that keeps
     * the axis (length 1), which then drops it. */
    char name[96];
    snprintf(name, sizeof name, "%.60s/gathered", o->name ? o->name : "?");
    oval kept;
    memset(&kept, 0, sizeof kept);
    kept.name = name;
    if ((st = emit_slice(x, in, scalar ? &kept : o, od, begin, stp)) || !scalar)
        return st;
    int64_t rd[ONNX_MAX_RANK];
    int r = 0, src;
    for (int d = 0; d < in->rank; d++)
        if (d != ax)
            rd[r++] = in->dims[d];
    if ((st = onnx_order_tensor(x, &kept, &src)))
        return st;
    return def_from_onnx_order(x, o, src, rd, r);
}

/* Slice of an activation: positive steps, nothing empty. */
static int build_slice(ox *x)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st;
    slice_spec sp;
    if ((st = need_act(x, in, "input")) || (st = slice_params(x, in, &sp)))
        return st;
    int64_t od[ONNX_MAX_RANK];
    int begin[4] = {0, 0, 0, 0}, step[4] = {1, 1, 1, 1};
    for (int d = 0; d < in->rank; d++) {
        if (sp.step[d] < 1)
            return unsup(x, "negative steps on an activation");
        if (sp.len[d] < 1)
            return bad(x, "an empty slice");
        od[d] = sp.len[d];
        begin[eng_axis(in, d)] = (int)sp.start[d];
        step[eng_axis(in, d)] = (int)(sp.step[d] < NN_MAX_DIM ? sp.step[d] : NN_MAX_DIM);
    }
    return emit_slice(x, in, o, od, begin, step);
}

/* Softmax and ArgMax: over one axis, which must be the engine's last. */
static int build_softmax_argmax(ox *x, int argmax)
{
    oval *in = in_val(x, 0), *o = out_val(x, 0);
    int st, ax;
    if ((st = need_act(x, in, "input")))
        return st;
    int64_t axis = attr_i(x, "axis", argmax ? 0 : x->opset < 13 ? 1 : -1);
    if (norm_axis(axis, in->rank, &ax))
        return bad(x, "axis out of range");
    if (!argmax && x->opset < 13)
        for (int d = ax + 1; d < in->rank; d++)
            if (in->dims[d] != 1)
                return unsup(x, "opset < 13 Softmax over several dimensions (flattened)");
    if (in->rank == 4 && !in->nchw && ax == 1 && (st = as_nchw(x, in)))
        return st;
    if (eng_axis(in, ax) != 3)
        return unsup(x, "an axis other than the channels or the last");
    nn_node *n;
    if (!argmax) {
        if ((st = def_like(x, o, in)))
            return st;
        NODE_OR_FAIL(n, new_node(x, NN_OP_SOFTMAX, o->t));
        n->beta = 1.0f;
    } else {
        if (attr_i(x, "select_last_index", 0))
            return unsup(x, "select_last_index");
        int keep = (int)attr_i(x, "keepdims", 1);
        int64_t od[4];
        int r = 0;
        for (int d = 0; d < in->rank; d++)
            if (d != ax || keep)
                od[r++] = d == ax ? 1 : in->dims[d];
        if ((st = def_act(x, o, od, r, keep && in->nchw)))
            return st;
        NODE_OR_FAIL(n, new_node(x, NN_OP_ARG_MAX, o->t));
    }
    n->n_in = 1;
    n->in[0] = in->t;
    return SEG_OK;
}

static int build_expand(ox *x)
{
    oval *in = in_val(x, 0), *shape = in_val(x, 1), *o = out_val(x, 0);
    int st;
    if ((st = need_act(x, in, "input")) || (st = need_const(x, shape, "shape")))
        return st;
    if (shape->n > (size_t)in->rank)
        return unsup(x, "expanding to a higher rank");
    oval z;
    memset(&z, 0, sizeof z);
    z.name = "expand";
    z.rank = (int)shape->n;
    for (size_t k = 0; k < shape->n; k++)
        z.dims[k] = cval_i(shape, k);
    if ((st = const_alloc(x, &z, 0)))
        return st;
    memset(z.f, 0, sizeof(float) * z.n);
    st = build_binary(x, NN_BIN_ADD, in, &z, o);
    free_const(x, &z);
    return st;
}

/* ==== the graph ========================================================= */

static int is_default_domain(const char *d)
{
    return !d || !d[0] || !strcmp(d, "ai.onnx");
}

/* The default domain's opset; 0 when the model names none. */
static int model_opset(const Onnx__ModelProto *mp)
{
    for (size_t k = 0; k < mp->n_opset_import; k++)
        if (is_default_domain(mp->opset_import[k]->domain))
            return mp->opset_import[k]->version > INT_MAX ? INT_MAX
                                                          : (int)mp->opset_import[k]->version;
    return 0;
}

/* Dims of a ValueInfo's tensor type; the first dim may be symbolic (batch:
 * 1). Returns the rank, -1 when unknown or symbolic elsewhere. */
static int value_info_dims(const Onnx__ValueInfoProto *vi, int64_t *dims, int *elem_type,
                           int *free_dims)
{
    if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !vi->type->tensor_type || !vi->type->tensor_type->shape)
        return -1;
    const Onnx__TensorShapeProto *s = vi->type->tensor_type->shape;
    *elem_type = vi->type->tensor_type->elem_type;
    if (s->n_dim > ONNX_MAX_RANK)
        return -1;
    int freed = 0;
    for (size_t d = 0; d < s->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = s->dim[d];
        int fixed = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                    dim->dim_value > 0;
        dims[d] = fixed ? dim->dim_value : 1;
        if (!fixed && d > 0)
            freed |= 1 << d;
    }
    if (free_dims)
        *free_dims = freed;
    return freed ? -2 : (int)s->n_dim;
}

/* The picture input with a free (symbolic) height and width, read at the
 * caller's size: rank 4 with free dims (value_info_dims' bits) H and W of
 * [N,C,H,W], or of [N,H,W,C] (tf2onnx); the batch may be free too. The
 * rank, or -2 when no size was given or other dims are free. */
static int free_input_size(const ox *x, int rank, int free_dims, int64_t *dims)
{
    if (!x->opts || x->opts->input_w <= 0 || x->opts->input_h <= 0 || rank != 4)
        return -2;
    int h = free_dims == (1 << 2 | 1 << 3) ? 2 : free_dims == (1 << 1 | 1 << 2) ? 1 : -1;
    if (h < 0)
        return -2;
    dims[h] = x->opts->input_h;
    dims[h + 1] = x->opts->input_w;
    return 4;
}

/* Foldable ops (every input a constant). */
static int foldable(const char *op)
{
    static const char *const F[] = {"Identity", "Dropout", "Cast", "Add", "Sub", "Mul", "Div",
                                    "Max", "Min", "Unsqueeze", "Squeeze", "Reshape", "Flatten",
                                    "Gather", "Concat", "Slice", "Transpose", "Expand"};
    for (size_t k = 0; k < sizeof F / sizeof F[0]; k++)
        if (!strcmp(F[k], op))
            return 1;
    return 0;
}

static int build_node(ox *x, const char *op)
{
    const Onnx__NodeProto *nd = x->node;
    int all_const = nd->n_input > 0, any = 0;
    for (size_t k = 0; k < nd->n_input; k++) {
        if (!nd->input[k] || !nd->input[k][0])
            continue;
        oval *v = in_val(x, k);
        if (!v || v->kind == V_NONE) {
            char why[120];
            snprintf(why, sizeof why, "reads '%.60s' before it is written", nd->input[k]);
            return bad(x, why);
        }
        any = 1;
        all_const &= v->kind == V_CONST;
    }
    if (!strcmp(op, "Constant") || !strcmp(op, "ConstantOfShape") || !strcmp(op, "Range") ||
        !strcmp(op, "Shape"))
        return source_node(x, op);
    if (!any)
        return bad(x, "no inputs");
    if (all_const) {
        if (!foldable(op))
            return unsup(x, "this op on constant inputs");
        return fold_node(x, op);
    }
    oval *a = in_val(x, 0), *b = in_val(x, 1), *o = out_val(x, 0);
    if (!a)
        return bad(x, "no first input");
    /* Every op lowered below writes its first output (a node may name
     * none: no outputs, or ""). */
    if (!o)
        return bad(x, "no output");
    if (!strcmp(op, "Conv"))
        return build_conv(x);
    if (!strcmp(op, "ConvTranspose"))
        return build_conv_transpose(x);
    if (!strcmp(op, "BatchNormalization"))
        return build_batchnorm(x);
    if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Tanh") ||
        !strcmp(op, "HardSwish") || !strcmp(op, "LeakyRelu") || !strcmp(op, "PRelu") ||
        !strcmp(op, "Clip") || !strcmp(op, "HardSigmoid"))
        return build_unary(x, op);
    if (!strcmp(op, "Add"))
        return build_binary(x, NN_BIN_ADD, a, b, o);
    if (!strcmp(op, "Sub"))
        return build_binary(x, NN_BIN_SUB, a, b, o);
    if (!strcmp(op, "Mul"))
        return build_binary(x, NN_BIN_MUL, a, b, o);
    if (!strcmp(op, "Div"))
        return build_binary(x, NN_BIN_DIV, a, b, o);
    if (!strcmp(op, "Max") || !strcmp(op, "Min")) {
        if (nd->n_input != 2)
            return unsup(x, "other than two inputs");
        return build_binary(x, op[1] == 'a' ? NN_BIN_MAX : NN_BIN_MIN, a, b, o);
    }
    if (!strcmp(op, "MatMul"))
        return build_matmul(x, 0);
    if (!strcmp(op, "Gemm"))
        return build_matmul(x, 1);
    if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool") || !strcmp(op, "GlobalAveragePool") ||
        !strcmp(op, "GlobalMaxPool"))
        return build_pool(x, op);
    if (!strcmp(op, "ReduceMean"))
        return build_reduce(x, NN_REDUCE_MEAN);
    if (!strcmp(op, "ReduceSum"))
        return build_reduce(x, NN_REDUCE_SUM);
    if (!strcmp(op, "ReduceMax"))
        return build_reduce(x, NN_REDUCE_MAX);
    if (!strcmp(op, "ReduceMin"))
        return build_reduce(x, NN_REDUCE_MIN);
    if (!strcmp(op, "Resize") || !strcmp(op, "Upsample"))
        return build_resize(x, op[0] == 'U');
    if (!strcmp(op, "Concat"))
        return build_concat(x);
    if (!strcmp(op, "Reshape") || !strcmp(op, "Flatten") || !strcmp(op, "Squeeze") ||
        !strcmp(op, "Unsqueeze"))
        return build_reshape(x, op);
    if (!strcmp(op, "Transpose"))
        return build_transpose(x);
    if (!strcmp(op, "Pad"))
        return build_pad(x);
    if (!strcmp(op, "Slice"))
        return build_slice(x);
    if (!strcmp(op, "Split"))
        return build_split(x);
    if (!strcmp(op, "Gather"))
        return build_gather(x);
    if (!strcmp(op, "InstanceNormalization"))
        return build_instance_norm(x);
    if (!strcmp(op, "Softmax"))
        return build_softmax_argmax(x, 0);
    if (!strcmp(op, "ArgMax"))
        return build_softmax_argmax(x, 1);
    if (!strcmp(op, "Expand"))
        return build_expand(x);
    if (!strcmp(op, "Identity") || !strcmp(op, "Dropout"))
        return alias_act(x, o, a);
    if (!strcmp(op, "Cast")) {
        int64_t to = attr_i(x, "to", DT_FLOAT);
        if (to != DT_FLOAT)
            return unsup(x, "casting an activation to a type other than float");
        return alias_act(x, o, a);
    }
    return unsup(x, "this op on activations (it is only folded on constants)");
}

/* Move every constant tensor's data into one 64-byte aligned allocation. */
static int pack_constants(ox *x)
{
    nn_model *m = x->m;
    size_t total = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].is_const)
            total += (m->tensors[i].elems + 15) & ~(size_t)15;
    if (!total)
        return SEG_OK;
    m->weights = aligned_alloc(64, total * sizeof(float));
    if (!m->weights)
        return oom(x);
    size_t at = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        nn_tensor *t = &m->tensors[i];
        if (!t->is_const)
            continue;
        memcpy(m->weights + at, t->data, t->elems * sizeof(float));
        free(t->data);
        t->data = m->weights + at;
        at += (t->elems + 15) & ~(size_t)15;
    }
    return SEG_OK;
}

/* ==== state (recurrent models) ========================================= */

static const Onnx__ValueInfoProto *graph_input(const Onnx__GraphProto *g, const char *name)
{
    for (size_t k = 0; k < g->n_input; k++)
        if (g->input[k]->name && name && !strcmp(g->input[k]->name, name))
            return g->input[k];
    return NULL;
}

/* The graph's own copy of output @p name (it outlives the caller's), or NULL. */
static const char *graph_output(const Onnx__GraphProto *g, const char *name)
{
    for (size_t k = 0; k < g->n_output; k++)
        if (g->output[k]->name && name && !strcmp(g->output[k]->name, name))
            return g->output[k]->name;
    return NULL;
}

/* RobustVideoMatting's naming: input rNi, output rNo. */
static int rvm_state_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || s[0] != 'r' || s[n - 1] != 'i')
        return 0;
    for (size_t k = 1; k + 1 < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return 0;
    return 1;
}

/* The state pairs (given, or found by name), each input an activation
 * tensor of the engine like the picture's. */
static int state_inputs(ox *x, const Onnx__GraphProto *g, size_t cap)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    nn_state_pair pairs[NN_MAX_STATE];
    char outs[NN_MAX_STATE][64];
    int np = 0;
    const nn_load_opts *o = x->opts;
    if (o && o->n_state > 0) {
        if (o->n_state > NN_MAX_STATE) {
            SET_ERR("at most %d state pairs", NN_MAX_STATE);
            return SEG_ERR_INVALID;
        }
        for (int k = 0; k < o->n_state; k++)
            pairs[np++] = o->state[k];
    } else if (!o || !o->no_auto_state) {
        for (size_t k = 0; k < g->n_input && np < NN_MAX_STATE; k++) {
            const char *nm = g->input[k]->name;
            if (!nm || !rvm_state_name(nm) || strlen(nm) >= sizeof outs[0] ||
                find_value(x, nm) >= 0)
                continue;
            snprintf(outs[np], sizeof outs[np], "%.*so", (int)strlen(nm) - 1, nm);
            if (!graph_output(g, outs[np]))
                continue;
            pairs[np] = (nn_state_pair){outs[np], nm};
            np++;
        }
    }
    for (int k = 0; k < np; k++) {
        const char *in = pairs[k].in, *out = pairs[k].out;
        const Onnx__ValueInfoProto *vi = graph_input(g, in);
        if (!vi || find_value(x, in) >= 0) {
            size_t at = (size_t)snprintf(err, errlen, "state '%.60s=%.60s': the model has no "
                                         "free input '%.60s'; its inputs:", out ? out : "",
                                         in ? in : "", in ? in : "");
            for (size_t j = 0; j < g->n_input && at < errlen; j++)
                if (g->input[j]->name && find_value(x, g->input[j]->name) < 0)
                    at += (size_t)snprintf(err + at, errlen - at, " '%.40s'",
                                           g->input[j]->name);
            return SEG_ERR_INVALID;
        }
        const char *gout = graph_output(g, out);
        if (!gout) {
            size_t at = (size_t)snprintf(err, errlen, "state '%.60s=%.60s': the model has no "
                                         "output '%.60s'; its outputs:", out ? out : "", in,
                                         out ? out : "");
            for (size_t j = 0; j < g->n_output && at < errlen; j++)
                if (g->output[j]->name)
                    at += (size_t)snprintf(err + at, errlen - at, " '%.40s'",
                                           g->output[j]->name);
            return SEG_ERR_INVALID;
        }
        oval *v = &x->v[add_value(x, vi->name, (int)cap)];
        int et = 0;
        int rank = value_info_dims(vi, v->dims, &et, NULL);
        if (rank < 1 || rank > 4 || et != DT_FLOAT) {
            SET_ERR("unsupported: state input '%.60s' must be float32 of rank 1 to 4 with a "
                    "fixed size (rank %d, type %d)", in, rank, et);
            return SEG_ERR_UNSUPPORTED;
        }
        size_t elems = 1;
        for (int d = 0; d < rank; d++) {
            if (v->dims[d] > NN_MAX_DIM) {
                SET_ERR("ONNX model exceeds limits: state input '%.60s'", in);
                return SEG_ERR_LIMIT;
            }
            elems *= (size_t)v->dims[d];
        }
        if (elems > NN_MAX_TENSOR_ELEMS) {
            SET_ERR("ONNX model exceeds limits: state input '%.60s'", in);
            return SEG_ERR_LIMIT;
        }
        v->kind = V_ACT;
        v->rank = rank;
        v->nchw = rank == 4;
        int s4[4];
        eng_shape(v, s4);
        if ((v->t = new_tensor(x, s4, rank, v->name, v->nchw)) < 0)
            return tensor_status(x, v->t);
        for (int j = 0; j < x->n_state; j++)
            if (!strcmp(x->state_out[j], gout)) {
                SET_ERR("state output '%.60s' is named twice", gout);
                return SEG_ERR_INVALID;
            }
        x->state_in[x->n_state] = (int)(v - x->v);
        x->state_out[x->n_state++] = gout;
    }
    return SEG_OK;
}

/* After lowering: each state output is an activation of its input's shape,
 * held in the same order. */
static int state_outputs(ox *x)
{
    char *err = x->err;
    size_t errlen = x->errlen;
    nn_model *m = x->m;
    for (int k = 0; k < x->n_state; k++) {
        const oval *in = &x->v[x->state_in[k]];
        int oi = find_value(x, x->state_out[k]);
        const oval *out = oi >= 0 ? &x->v[oi] : NULL;
        if (!out || out->kind != V_ACT) {
            SET_ERR("unsupported: state output '%.60s' is not computed from the input (a "
                    "constant)", x->state_out[k]);
            return SEG_ERR_UNSUPPORTED;
        }
        int a[4], b[4];
        eng_shape(in, a);
        eng_shape(out, b);
        int same = memcmp(a, b, sizeof a) == 0 && in->rank == out->rank &&
                   (in->rank == 4 ? out->nchw == in->nchw : 1);
        for (int d = 0; same && d < in->rank; d++)
            same = in->dims[d] == out->dims[d];
        if (!same) {
            SET_ERR("unsupported: state output '%.60s' differs in shape or layout from its "
                    "input '%.60s'", out->name, in->name);
            return SEG_ERR_UNSUPPORTED;
        }
        m->state_in[k] = in->t;
        m->state_out[k] = out->t;
    }
    m->n_state = x->n_state;
    return SEG_OK;
}

static int lower_graph(ox *x, const Onnx__ModelProto *mp)
{
    nn_model *m = x->m;
    char *err = x->err;
    size_t errlen = x->errlen;
    const Onnx__GraphProto *g = mp->graph;
    int st;
    if (!g) {
        SET_ERR("malformed ONNX model: no graph");
        return SEG_ERR_BAD_MODEL;
    }
    if (g->n_node == 0 || g->n_node > NN_MAX_OPS) {
        SET_ERR("ONNX model: %zu nodes (1..%d allowed)", g->n_node, NN_MAX_OPS);
        return g->n_node ? SEG_ERR_LIMIT : SEG_ERR_BAD_MODEL;
    }
    if (g->n_sparse_initializer) {
        SET_ERR("unsupported: sparse initializers");
        return SEG_ERR_UNSUPPORTED;
    }
    size_t cap = g->n_initializer + g->n_input + 1;
    for (size_t k = 0; k < g->n_node; k++)
        cap += g->node[k]->n_output;
    if (cap > ONNX_MAX_VALUES) {
        SET_ERR("ONNX model exceeds limits: more than %d named values", ONNX_MAX_VALUES);
        return SEG_ERR_LIMIT;
    }
    x->v = calloc(cap, sizeof(oval));
    for (x->nslot = 16; x->nslot < cap * 2; x->nslot *= 2)
        ;
    x->slot = calloc(x->nslot, sizeof(int));
    if (!x->v || !x->slot)
        return oom(x);
    for (size_t k = 0; k < g->n_initializer; k++) {
        const Onnx__TensorProto *tp = g->initializer[k];
        if (!tp->name || find_value(x, tp->name) >= 0) {
            SET_ERR("malformed ONNX model: an initializer without a name or named twice");
            return SEG_ERR_BAD_MODEL;
        }
        oval *v = &x->v[add_value(x, tp->name, (int)cap)];
        if ((st = load_tensor_proto(x, v, tp)))
            return st;
    }
    /* Inputs given values by the caller become constants of the declared
     * shape (a symbolic dim: 1). */
    int n_opts = x->opts ? x->opts->n_inputs : 0;
    for (int j = 0; j < n_opts; j++) {
        const nn_input_value *iv = &x->opts->inputs[j];
        const Onnx__ValueInfoProto *vi = NULL;
        for (size_t k = 0; k < g->n_input && !vi; k++)
            if (g->input[k]->name && iv->name && !strcmp(g->input[k]->name, iv->name) &&
                find_value(x, iv->name) < 0)
                vi = g->input[k];
        if (!vi) {
            size_t at = (size_t)snprintf(err, errlen, "the model has no input '%.60s'; its "
                                         "inputs:", iv->name ? iv->name : "");
            for (size_t k = 0; k < g->n_input && at < errlen; k++)
                if (g->input[k]->name && find_value(x, g->input[k]->name) < 0)
                    at += (size_t)snprintf(err + at, errlen - at, " '%.40s'", g->input[k]->name);
            return SEG_ERR_INVALID;
        }
        oval *v = &x->v[add_value(x, vi->name, (int)cap)];
        int et = 0;
        int rank = vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                   vi->type->tensor_type && !vi->type->tensor_type->shape ? 0
                 : value_info_dims(vi, v->dims, &et, NULL);
        if (rank < 0) {
            /* symbolic dims past the first: read as 1 for a value input */
            const Onnx__TensorShapeProto *sh = vi->type && vi->type->tensor_type
                                               ? vi->type->tensor_type->shape : NULL;
            if (!sh || sh->n_dim > ONNX_MAX_RANK) {
                SET_ERR("unsupported: input '%.60s' has no usable shape", vi->name);
                return SEG_ERR_UNSUPPORTED;
            }
            rank = (int)sh->n_dim;
            for (int d = 0; d < rank; d++)
                v->dims[d] = sh->dim[d]->value_case ==
                             ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                             sh->dim[d]->dim_value > 0 ? sh->dim[d]->dim_value : 1;
        }
        if (vi->type && vi->type->tensor_type)
            et = vi->type->tensor_type->elem_type;
        v->rank = rank;
        int is_int = !(et == DT_FLOAT || et == DT_DOUBLE || et == DT_FLOAT16);
        if ((st = const_alloc(x, v, is_int)))
            return st;
        if (iv->n != 1 && iv->n != v->n) {
            SET_ERR("input '%.60s' takes %zu values (or one for all), %zu given", vi->name, v->n,
                    iv->n);
            return SEG_ERR_INVALID;
        }
        for (size_t k = 0; k < v->n; k++) {
            float f = iv->values[iv->n == 1 ? 0 : k];
            if (is_int)
                v->i[k] = f > -9.0e18f && f < 9.0e18f ? (int64_t)llroundf(f) : 0;
            else
                v->f[k] = f;
        }
    }
    if ((st = state_inputs(x, g, cap)))
        return st;
    /* The graph's real input: the one input that is neither an initializer,
     * given a value, nor state. */
    int in_idx = -1, n_real = 0;
    for (size_t k = 0; k < g->n_input; k++) {
        if (!g->input[k]->name)
            continue;
        if (find_value(x, g->input[k]->name) >= 0)
            continue;
        n_real++;
        if (in_idx < 0)
            in_idx = (int)k;
    }
    if (n_real != 1) {
        size_t at = (size_t)snprintf(err, errlen, "unsupported: the model has %d inputs left "
                                     "(segstream feeds one picture; give the others values with "
                                     "--input NAME=VALUE):", n_real);
        for (size_t k = 0; k < g->n_input && at < errlen; k++)
            if (g->input[k]->name && find_value(x, g->input[k]->name) < 0)
                at += (size_t)snprintf(err + at, errlen - at, " '%.40s'", g->input[k]->name);
        return SEG_ERR_UNSUPPORTED;
    }
    const Onnx__ValueInfoProto *vi = g->input[in_idx];
    oval *in = &x->v[add_value(x, vi->name, (int)cap)];
    int et = 0, free_dims = 0;
    int rank = value_info_dims(vi, in->dims, &et, &free_dims);
    if (rank == -2 &&
        (rank = free_input_size(x, (int)vi->type->tensor_type->shape->n_dim, free_dims,
                                in->dims)) == -2) {
        if (x->opts && x->opts->input_w > 0)
            SET_ERR("unsupported: input '%.60s' has symbolic sizes other than the batch, "
                    "height and width", vi->name);
        else
            SET_ERR("the model's input '%.60s' has no fixed height and width (exported with "
                    "dynamic axes): give one (--input-size WxH, e.g. 512x288)", vi->name);
        return SEG_ERR_UNSUPPORTED;
    }
    if (rank != 4 || et != DT_FLOAT || in->dims[0] != 1) {
        SET_ERR("unsupported: the input '%.60s' must be float32 of rank 4 ([1,C,H,W] or "
                "[1,H,W,C]); it is type %d rank %d", vi->name, et, rank);
        return SEG_ERR_UNSUPPORTED;
    }
    for (size_t k = 0; k < g->n_node; k++)
        for (size_t j = 0; j < g->node[k]->n_output; j++)
            if (g->node[k]->output[j] && g->node[k]->output[j][0])
                add_value(x, g->node[k]->output[j], (int)cap);
    for (size_t k = 0; k < g->n_node; k++)
        for (size_t j = 0; j < g->node[k]->n_input; j++) {
            int i = find_value(x, g->node[k]->input[j]);
            if (i >= 0)
                x->v[i].readers++;
        }
    for (size_t k = 0; k < g->n_output; k++) {
        int i = find_value(x, g->output[k]->name);
        if (i < 0) {
            SET_ERR("malformed ONNX model: output '%.60s' is never computed", g->output[k]->name);
            return SEG_ERR_BAD_MODEL;
        }
        x->v[i].readers++;
    }
    /* NHWC input (tf2onnx): read by Transposes (0,3,1,2) only. */
    int nhwc = in->readers > 0;
    for (size_t k = 0; k < g->n_node && nhwc; k++) {
        const Onnx__NodeProto *nd = g->node[k];
        for (size_t j = 0; j < nd->n_input; j++) {
            if (!nd->input[j] || strcmp(nd->input[j], in->name))
                continue;
            int64_t p[8];
            x->node = nd;
            nhwc &= !strcmp(nd->op_type ? nd->op_type : "", "Transpose") &&
                    attr_ints(x, "perm", p, 8) == 4 && p[0] == 0 && p[1] == 3 && p[2] == 1 &&
                    p[3] == 2;
        }
    }
    x->node = NULL;
    in->kind = V_ACT;
    in->rank = 4;
    in->nchw = !nhwc;
    int s[4];
    eng_shape(in, s);
    if ((in->t = new_tensor(x, s, 4, in->name, in->nchw)) < 0)
        return tensor_status(x, in->t);
    m->input = in->t;
    for (size_t k = 0; k < g->n_node; k++) {
        const Onnx__NodeProto *nd = g->node[k];
        x->node = nd;
        x->node_index = (int)k;
        if (!nd->op_type)
            return bad(x, "no op_type");
        const char *op = is_default_domain(nd->domain) ? known_op(nd->op_type) : NULL;
        if (!op) {
            SET_ERR("unsupported op '%s%s%.40s' (node %zu '%.60s')",
                    is_default_domain(nd->domain) ? "" : nd->domain,
                    is_default_domain(nd->domain) ? "" : ":", nd->op_type, k,
                    nd->name ? nd->name : "");
            return SEG_ERR_UNSUPPORTED;
        }
        x->op = op;
        if ((st = build_node(x, op)))
            return st;
        for (size_t j = 1; j < nd->n_output; j++) {
            oval *ov = out_val(x, j);
            if (ov && ov->kind == V_NONE && ov->readers > 0)
                return unsup(x, "a second output that the graph reads");
        }
        if (!out_val(x, 0) || out_val(x, 0)->kind == V_NONE)
            return bad(x, "internal: no output defined");
    }
    x->node = NULL;
    /* Outputs. */
    m->n_outputs = 0;
    for (size_t k = 0; k < g->n_output && m->n_outputs < NN_MAX_OUTPUTS; k++) {
        oval *v = &x->v[find_value(x, g->output[k]->name)];
        if (v->kind != V_ACT) {
            SET_ERR("unsupported: output '%.60s' is a constant", v->name);
            return SEG_ERR_UNSUPPORTED;
        }
        int t = v->t;
        if (t == m->input) { /* the input itself: a copy */
            int s2[4];
            eng_shape(v, s2);
            if ((t = new_tensor(x, s2, v->rank, v->name, v->nchw)) < 0)
                return tensor_status(x, t);
            x->op = "Identity";
            nn_node *n;
            NODE_OR_FAIL(n, new_node(x, NN_OP_COPY, t));
            n->n_in = 1;
            n->in[0] = m->input;
        }
        m->tensors[t].is_output = 1;
        m->tensors[t].nchw = v->rank == 4 && v->nchw && !onnx_ordered(v);
        snprintf(m->tensors[t].name, sizeof m->tensors[t].name, "%s", v->name);
        m->outputs[m->n_outputs++] = t;
    }
    m->output = m->outputs[0];
    if ((st = state_outputs(x)))
        return st;
    m->tensors[m->input].nchw = in->nchw && !onnx_ordered(in);
    for (int k = m->n_nodes - 1; k >= 0; k--)
        if (m->nodes[k].out == m->output) {
            m->output_is_index = m->nodes[k].op == NN_OP_ARG_MAX;
            break;
        }
    if (m->n_nodes == 0) {
        SET_ERR("unsupported: the graph computes nothing at run time");
        return SEG_ERR_UNSUPPORTED;
    }
    return pack_constants(x);
}

int nn_onnx_parse(nn_model *m, const uint8_t *buf, size_t len, const nn_load_opts *opts,
                  char *err, size_t errlen)
{
    unpacked u;
    int st = onnx_unpack(&u, buf, len, err, errlen);
    if (st)
        return st;
    ox x;
    memset(&x, 0, sizeof x);
    x.m = m;
    x.err = err;
    x.errlen = errlen;
    x.opts = opts;
    x.opset = model_opset(u.model);
    x.const_budget = len * 4 + ((size_t)1 << 20);
    if (x.opset < 7 || x.opset > 17) {
        SET_ERR("unsupported: ONNX opset %d (7 to 17 are read)", x.opset);
        st = SEG_ERR_UNSUPPORTED;
    } else {
        m->onnx_opset = x.opset;
        snprintf(m->description, sizeof m->description, "ONNX opset %d, from %.40s %.20s",
                 x.opset, u.model->producer_name ? u.model->producer_name : "?",
                 u.model->producer_version ? u.model->producer_version : "");
        st = lower_graph(&x, u.model);
    }
    for (int i = 0; i < x.nv; i++)
        free_const(&x, &x.v[i]);
    if (st) /* constants not yet moved into the arena */
        for (int i = 0; i < m->n_tensors; i++)
            if (m->tensors[i].is_const && !m->weights) {
                free(m->tensors[i].data);
                m->tensors[i].data = NULL;
            }
    free(x.v);
    free(x.slot);
    onnx_unpacked_free(&u);
    return st;
}

/* ==== --model-info ====================================================== */

static void describe_vi(const Onnx__ValueInfoProto *vi, char *dst, size_t len)
{
    int64_t dims[ONNX_MAX_RANK];
    int et = 0;
    size_t at = (size_t)snprintf(dst, len, "%.48s [", vi->name ? vi->name : "?");
    const Onnx__TensorShapeProto *s = vi->type && vi->type->value_case ==
                                      ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && vi->type->tensor_type
                                      ? vi->type->tensor_type->shape : NULL;
    (void)dims;
    (void)et;
    for (size_t d = 0; s && d < s->n_dim && d < ONNX_MAX_RANK && at < len; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = s->dim[d];
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            at += (size_t)snprintf(dst + at, len - at, "%s%lld", d ? "," : "",
                                   (long long)dim->dim_value);
        else
            at += (size_t)snprintf(dst + at, len - at, "%s%.12s", d ? "," : "",
                                   dim->value_case ==
                                   ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                                   dim->dim_param ? dim->dim_param : "?");
    }
    if (at < len)
        snprintf(dst + at, len - at, "]");
    for (char *c = dst; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
}

int nn_onnx_inspect(const void *buf, size_t len, nn_model_info *info, char *err, size_t errlen)
{
    unpacked u;
    int st = onnx_unpack(&u, buf, len, err, errlen);
    if (st)
        return st;
    const Onnx__ModelProto *mp = u.model;
    const Onnx__GraphProto *g = mp->graph;
    if (!g) {
        onnx_unpacked_free(&u);
        SET_ERR("malformed ONNX model: no graph");
        return SEG_ERR_BAD_MODEL;
    }
    info->is_onnx = 1;
    info->opset = model_opset(mp);
    info->input_type = info->output_type = "FLOAT32";
    snprintf(info->description, sizeof info->description, "ONNX IR %lld, opset %d, from %.40s %.20s",
             (long long)mp->ir_version, info->opset, mp->producer_name ? mp->producer_name : "?",
             mp->producer_version ? mp->producer_version : "");
    for (char *c = info->description; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    info->n_tensors = (int)(g->n_initializer < INT_MAX ? g->n_initializer : INT_MAX);
    info->n_operators = (int)(g->n_node < INT_MAX ? g->n_node : INT_MAX);
    for (size_t k = 0; k < g->n_initializer; k++) {
        uint64_t n = 1;
        for (size_t d = 0; d < g->initializer[k]->n_dims; d++)
            n *= (uint64_t)(g->initializer[k]->dims[d] > 0 ? g->initializer[k]->dims[d] : 0);
        info->params += n;
    }
    for (size_t k = 0; k < g->n_input; k++) {
        int init = 0;
        for (size_t j = 0; j < g->n_initializer && !init; j++)
            init = g->input[k]->name && g->initializer[j]->name &&
                   !strcmp(g->input[k]->name, g->initializer[j]->name);
        if (init)
            continue;
        if (info->n_inputs == 0)
            describe_vi(g->input[k], info->input_desc, sizeof info->input_desc);
        info->n_inputs++;
    }
    info->n_outputs = (int)(g->n_output < INT_MAX ? g->n_output : INT_MAX);
    for (size_t k = 0; k < g->n_output && k < NN_MAX_OUTPUTS; k++)
        describe_vi(g->output[k], info->output_desc[k], sizeof info->output_desc[k]);
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        char name[48];
        snprintf(name, sizeof name, "%s%s%s", is_default_domain(nd->domain) ? "" : nd->domain,
                 is_default_domain(nd->domain) ? "" : ":", nd->op_type ? nd->op_type : "?");
        int k = 0;
        while (k < info->n_op_kinds && strcmp(info->ops[k].name, name) != 0)
            k++;
        if (k == info->n_op_kinds) {
            if (k == NN_INFO_MAX_OPS)
                continue;
            snprintf(info->ops[k].name, sizeof info->ops[k].name, "%s", name);
            for (char *c = info->ops[k].name; *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                    *c = '?';
            info->ops[k].supported = is_default_domain(nd->domain) && nd->op_type &&
                                     known_op(nd->op_type) != NULL;
            info->n_op_kinds++;
        }
        info->ops[k].count++;
    }
    onnx_unpacked_free(&u);
    return SEG_OK;
}
