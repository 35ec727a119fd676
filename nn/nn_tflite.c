/* nn_tflite.c - TensorFlow Lite flatbuffer reader and graph builder.
 *
 * The flatbuffer is read field by field with every offset, length and count
 * checked against the buffer before it is followed (the same discipline as
 * flatcc's verifier, written out for the few tables we need). Field ids are
 * the declaration order in TFLite's schema.fbs; a union takes two slots
 * (type, then value). All reads go through memcpy, so the buffer needs no
 * alignment. Output shapes are recomputed from the op parameters and must
 * match what the file declares: the kernels then never trust the file. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

#define SET_ERR(...) seg_format_error(err, errlen, __func__, __VA_ARGS__)

/* ==== bounds-checked flatbuffer access ================================== */

typedef struct fb {
    const uint8_t *buf;
    size_t len;
    int bad; /* sticky: set by any out-of-bounds access */
} fb;

typedef struct fb_table {
    size_t pos;    /* table start */
    size_t vt;     /* vtable start */
    size_t vtlen;  /* vtable bytes */
    size_t tlen;   /* table bytes (inline part) */
} fb_table;

typedef struct fb_vec {
    size_t start; /* first element */
    uint32_t n;   /* element count */
} fb_vec;

/* ==== schema field numbers ==============================================
 * The fields this reader follows, by table, as numbered in TensorFlow
 * Lite's schema.fbs (a field's number is its place in the table) and, for
 * the input normalisation, in the TFLite metadata schema (metadata_schema.fbs). */
enum {
    MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3, MODEL_BUFFERS = 4,
    MODEL_METADATA = 6,
    SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3,
    TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3, TENSOR_SPARSITY = 6,
    BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2,
    METADATA_NAME = 0, METADATA_BUFFER = 1,
    OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM = 1, OPCODE_BUILTIN = 3,
    OPERATOR_OPCODE_INDEX = 0, OPERATOR_INPUTS = 1, OPERATOR_OUTPUTS = 2,
    OPERATOR_OPTIONS_TYPE = 3, OPERATOR_OPTIONS = 4, OPERATOR_CUSTOM_OPTIONS = 5,
    SPARSITY_TRAVERSAL_ORDER = 0, SPARSITY_BLOCK_MAP = 1, SPARSITY_DIM_METADATA = 2,
    DIM_FORMAT = 0, DIM_DENSE_SIZE = 1, DIM_SEGMENTS_TYPE = 2, DIM_INDICES_TYPE = 4,
    INDEX_VECTOR_VALUES = 0,
    WIN_PADDING = 0, WIN_STRIDE_W = 1, WIN_STRIDE_H = 2,
    CONV_ACTIVATION = 3, CONV_DILATION_W = 4, CONV_DILATION_H = 5,
    DWCONV_ACTIVATION = 4, DWCONV_DILATION_W = 5, DWCONV_DILATION_H = 6, /* 3: multiplier */
    POOL_FILTER_W = 3, POOL_FILTER_H = 4, POOL_ACTIVATION = 5,
    /* metadata_schema.fbs: ModelMetadata, SubGraphMetadata, TensorMetadata,
     * ProcessUnit, NormalizationOptions */
    MMETA_SUBGRAPHS = 3, SGMETA_INPUT_TENSORS = 2, TMETA_PROCESS_UNITS = 4,
    PUNIT_OPTIONS_TYPE = 0, PUNIT_OPTIONS = 1, PUNIT_NORMALIZATION = 1,
    NORM_MEAN = 0, NORM_STD = 1,
};

static int fb_has(const fb *f, size_t pos, size_t n)
{
    return pos <= f->len && n <= f->len - pos;
}

static uint32_t rd_u32(fb *f, size_t pos)
{
    uint32_t v = 0;
    if (!fb_has(f, pos, 4)) { f->bad = 1; return 0; }
    memcpy(&v, f->buf + pos, 4);
    return v; /* little-endian host assumed; checked in nn_model_load */
}

static uint16_t rd_u16(fb *f, size_t pos)
{
    uint16_t v = 0;
    if (!fb_has(f, pos, 2)) { f->bad = 1; return 0; }
    memcpy(&v, f->buf + pos, 2);
    return v;
}

/* Open the table at pos; 0 on success. */
static int fb_table_at(fb *f, size_t pos, fb_table *t)
{
    if (!fb_has(f, pos, 4) || (pos & 3u))
        return -1;
    int32_t soff;
    memcpy(&soff, f->buf + pos, 4);
    long long vt = (long long)pos - (long long)soff;
    if (vt < 0 || !fb_has(f, (size_t)vt, 4) || (vt & 1))
        return -1;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vtlen = rd_u16(f, t->vt);
    t->tlen = rd_u16(f, t->vt + 2);
    if (t->vtlen < 4 || (t->vtlen & 1u) || !fb_has(f, t->vt, t->vtlen) ||
        t->tlen < 4 || !fb_has(f, pos, t->tlen))
        return -1;
    return 0;
}

/* Offset of field id inside the table, 0 if absent; fields that would run
 * past the table's inline size count as malformed. */
static size_t fb_field(fb *f, const fb_table *t, int id, size_t size)
{
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vtlen)
        return 0;
    size_t off = rd_u16(f, t->vt + slot);
    if (off == 0)
        return 0;
    if (off + size > t->tlen) {
        f->bad = 1;
        return 0;
    }
    return t->pos + off;
}

static int64_t fb_int(fb *f, const fb_table *t, int id, int size, int is_signed, int64_t def)
{
    size_t p = fb_field(f, t, id, (size_t)size);
    if (!p)
        return def;
    uint64_t u = 0;
    if (!fb_has(f, p, (size_t)size)) { f->bad = 1; return def; }
    memcpy(&u, f->buf + p, (size_t)size);
    if (is_signed && size < 8 && (u >> (size * 8 - 1)) & 1u)
        u |= ~(uint64_t)0 << (size * 8);
    return (int64_t)u;
}

/* Follow a uoffset stored at pos. */
static int fb_deref(fb *f, size_t pos, size_t *target)
{
    uint32_t rel = rd_u32(f, pos);
    if (f->bad || rel == 0 || (size_t)rel > f->len - pos)
        return -1;
    *target = pos + rel;
    return 0;
}

/* Vector field with elements of elem_size bytes; absent -> n = 0. */
static int fb_vector(fb *f, const fb_table *t, int id, size_t elem_size, fb_vec *v)
{
    v->start = 0;
    v->n = 0;
    size_t p = fb_field(f, t, id, 4);
    if (!p)
        return f->bad ? -1 : 0;
    size_t vp;
    if (fb_deref(f, p, &vp) || !fb_has(f, vp, 4))
        return -1;
    uint32_t n = rd_u32(f, vp);
    if ((uint64_t)n * elem_size > f->len - vp - 4)
        return -1;
    v->start = vp + 4;
    v->n = n;
    return 0;
}

static int fb_subtable(fb *f, const fb_table *t, int id, fb_table *sub, int *present)
{
    *present = 0;
    size_t p = fb_field(f, t, id, 4);
    if (!p)
        return f->bad ? -1 : 0;
    size_t tp;
    if (fb_deref(f, p, &tp) || fb_table_at(f, tp, sub))
        return -1;
    *present = 1;
    return 0;
}

static int fb_vec_table(fb *f, const fb_vec *v, uint32_t i, fb_table *t)
{
    size_t tp;
    if (i >= v->n || fb_deref(f, v->start + 4 * (size_t)i, &tp))
        return -1;
    return fb_table_at(f, tp, t);
}

static int32_t fb_vec_i32(fb *f, const fb_vec *v, uint32_t i)
{
    return (int32_t)rd_u32(f, v->start + 4 * (size_t)i);
}

/* Copy a string field into dst (truncated, NUL-terminated); "" if absent. */
static int fb_string(fb *f, const fb_table *t, int id, char *dst, size_t dstlen)
{
    fb_vec v;
    dst[0] = '\0';
    if (fb_vector(f, t, id, 1, &v))
        return -1;
    size_t n = v.n < dstlen - 1 ? v.n : dstlen - 1;
    memcpy(dst, f->buf + v.start, n);
    dst[n] = '\0';
    for (size_t i = 0; i < n; i++) /* names end up in messages: keep them printable */
        if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] > 0x7e)
            dst[i] = '?';
    return 0;
}

/* ==== TFLite enums ====================================================== */

static const char *const BUILTIN_NAMES[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
    "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF",
    "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE",
    "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST",
    "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER",
    "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
    "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",
    "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
    "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
    "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE",
    "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
};
#define N_BUILTINS ((int)(sizeof(BUILTIN_NAMES) / sizeof(BUILTIN_NAMES[0])))

enum {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONCATENATION = 2, OP_CONV_2D = 3,
    OP_DEPTHWISE_CONV_2D = 4, OP_DEQUANTIZE = 6, OP_LOGISTIC = 14, OP_MAX_POOL_2D = 17,
    OP_FULLY_CONNECTED = 9, OP_SOFTMAX = 25, OP_PAD = 34, OP_PRELU = 54, OP_ARG_MAX = 56,
    OP_PADV2 = 60, OP_RESIZE_NEAREST_NEIGHBOR = 97,
    OP_MUL = 18, OP_RELU = 19, OP_RELU_N1_TO_1 = 20, OP_RELU6 = 21, OP_RESHAPE = 22,
    OP_RESIZE_BILINEAR = 23, OP_TANH = 28, OP_CUSTOM = 32, OP_MEAN = 40, OP_SUB = 41,
    OP_DIV = 42, OP_SQUEEZE = 43, OP_MAXIMUM = 55, OP_MINIMUM = 57, OP_TRANSPOSE_CONV = 67,
    OP_HARD_SWISH = 117, OP_DEPTH_TO_SPACE = 5, OP_DENSIFY = 124,
};

enum { TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_INT32 = 2, TT_UINT8 = 3, TT_INT64 = 4, TT_INT8 = 9 };

static const char *type_name(int t)
{
    static const char *const names[] = {"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64",
                                        "STRING", "BOOL", "INT16", "COMPLEX64", "INT8",
                                        "FLOAT64"};
    return (t >= 0 && t < (int)(sizeof(names) / sizeof(names[0]))) ? names[t] : "unknown type";
}

static int type_size(int t)
{
    switch (t) {
    case TT_FLOAT32: case TT_INT32: return 4;
    case TT_FLOAT16: return 2;
    case TT_UINT8: case TT_INT8: return 1;
    case TT_INT64: return 8;
    default: return 0;
    }
}

float nn_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* ==== parse state ======================================================= */

/* What the file says about one tensor, before conversion. */
typedef struct raw_tensor {
    int type;
    int buffer;
    size_t data_pos, data_len; /* constant bytes in the file, len 0 = none */
    int sparse;                /* data holds a sparse tensor's stored values */
    fb_table sparsity;         /* its SparsityParameters table */
    float *dense;              /* where DENSIFY expands it (in m->weights) */
} raw_tensor;

typedef struct parse {
    fb f;
    nn_model *m;
    raw_tensor *raw;
    int n_raw_buffers;
    fb_vec buffers;
    char *err;
    size_t errlen;
} parse;

/* Locate buffer idx's bytes; idx 0 is the empty sentinel by convention. */
static int buffer_bytes(parse *p, uint32_t idx, size_t *pos, size_t *len)
{
    *pos = *len = 0;
    if (idx == 0)
        return 0;
    if (idx >= p->buffers.n)
        return -1;
    fb_table b;
    if (fb_vec_table(&p->f, &p->buffers, idx, &b))
        return -1;
    fb_vec data;
    if (fb_vector(&p->f, &b, BUFFER_DATA, 1, &data))
        return -1;
    if (data.n) {
        *pos = data.start;
        *len = data.n;
        return 0;
    }
    /* Large models keep data outside the flatbuffer: offset/size from the
     * start of the file (offset 1 is the "not set" marker). */
    uint64_t off = (uint64_t)fb_int(&p->f, &b, BUFFER_OFFSET, 8, 0, 0);
    uint64_t size = (uint64_t)fb_int(&p->f, &b, BUFFER_SIZE, 8, 0, 0);
    if (p->f.bad)
        return -1;
    if (off > 1) {
        if (off > p->f.len || size > p->f.len - off)
            return -1;
        *pos = (size_t)off;
        *len = (size_t)size;
    }
    return 0;
}

static int check_tensor_index(parse *p, int idx, int op_index, const char *what)
{
    char *err = p->err;
    size_t errlen = p->errlen;
    if (idx < 0 || idx >= p->m->n_tensors) {
        SET_ERR("malformed model: op %d has %s tensor index %d out of range", op_index, what, idx);
        return SEG_ERR_BAD_MODEL;
    }
    return SEG_OK;
}

/* ==== tensors =========================================================== */

static int load_tensors(parse *p, const fb_table *sg)
{
    char *err = p->err;
    size_t errlen = p->errlen;
    fb *f = &p->f;
    fb_vec tv;
    if (fb_vector(f, sg, SUBGRAPH_TENSORS, 4, &tv)) {
        SET_ERR("malformed model: bad tensor list");
        return SEG_ERR_BAD_MODEL;
    }
    if (tv.n == 0 || tv.n > NN_MAX_TENSORS) {
        SET_ERR("malformed model: %u tensors (1..%d allowed)", tv.n, NN_MAX_TENSORS);
        return tv.n ? SEG_ERR_LIMIT : SEG_ERR_BAD_MODEL;
    }
    nn_model *m = p->m;
    m->tensors = calloc(tv.n, sizeof(nn_tensor));
    p->raw = calloc(tv.n, sizeof(raw_tensor));
    if (!m->tensors || !p->raw) {
        SET_ERR("out of memory for %u tensors", tv.n);
        return SEG_ERR_NOMEM;
    }
    m->n_tensors = (int)tv.n;
    size_t const_elems = 0;
    for (uint32_t i = 0; i < tv.n; i++) {
        fb_table t;
        nn_tensor *T = &m->tensors[i];
        raw_tensor *R = &p->raw[i];
        T->first_def = -1;
        T->last_use = -1;
        if (fb_vec_table(f, &tv, i, &t) || fb_string(f, &t, TENSOR_NAME, T->name, sizeof T->name)) {
            SET_ERR("malformed model: tensor %u is unreadable", i);
            return SEG_ERR_BAD_MODEL;
        }
        fb_vec shape;
        if (fb_vector(f, &t, TENSOR_SHAPE, 4, &shape)) {
            SET_ERR("malformed model: tensor %u '%s' has a bad shape", i, T->name);
            return SEG_ERR_BAD_MODEL;
        }
        R->type = (int)fb_int(f, &t, TENSOR_TYPE, 1, 1, 0);
        R->buffer = (int)(uint32_t)fb_int(f, &t, TENSOR_BUFFER, 4, 0, 0);
        if (fb_subtable(f, &t, TENSOR_SPARSITY, &R->sparsity, &R->sparse)) {
            SET_ERR("malformed model: tensor %u '%s' has unreadable sparsity", i, T->name);
            return SEG_ERR_BAD_MODEL;
        }
        if (f->bad) {
            SET_ERR("malformed model: tensor %u '%s' is unreadable", i, T->name);
            return SEG_ERR_BAD_MODEL;
        }
        T->rank = (int)shape.n;
        if (shape.n > 4) {
            /* Only fails later if an op we run actually uses it. */
            T->rank = -1;
        }
        for (int d = 0; d < 4; d++)
            T->shape[d] = 1;
        size_t elems = 1;
        for (uint32_t d = 0; d < shape.n && shape.n <= 4; d++) {
            int32_t v = fb_vec_i32(f, &shape, d);
            if (v < 0) {
                SET_ERR("unsupported: tensor '%s' has a dynamic or negative dimension %d",
                        T->name, v);
                return SEG_ERR_UNSUPPORTED;
            }
            T->shape[4 - shape.n + d] = v;
            if (v != 0 && elems > NN_MAX_TENSOR_ELEMS / (size_t)v) {
                SET_ERR("model exceeds limits: tensor '%s' has more than %zu elements",
                        T->name, NN_MAX_TENSOR_ELEMS);
                return SEG_ERR_LIMIT;
            }
            elems *= (size_t)v;
        }
        T->elems = elems;
        if (buffer_bytes(p, (uint32_t)R->buffer, &R->data_pos, &R->data_len)) {
            SET_ERR("malformed model: tensor '%s' refers to a bad buffer %d", T->name, R->buffer);
            return SEG_ERR_BAD_MODEL;
        }
        if (R->data_len) {
            int ts = type_size(R->type);
            if (ts == 0 || T->rank < 0) {
                /* Constant of a type or rank we never read: ignore it unless used. */
                R->data_len = 0;
                continue;
            }
            if (R->sparse) {
                /* Stored values of a sparse tensor: fewer than the shape
                 * holds. DENSIFY expands them into a dense slot reserved
                 * here; until then the tensor has no data, so no op can
                 * read it as weights. */
                if (R->data_len % (size_t)ts || R->data_len / (size_t)ts > elems) {
                    SET_ERR("malformed model: sparse tensor '%s' has %zu bytes of data, more "
                            "than its shape holds or not whole values", T->name, R->data_len);
                    return SEG_ERR_BAD_MODEL;
                }
                /* The dense slot is reserved now: a few stored bytes must
                 * not reserve a huge one (pruned weights keep 1/4 to 3/4). */
                if (elems / 64 > R->data_len / (size_t)ts + 1024) {
                    SET_ERR("model exceeds limits: sparse tensor '%s' would grow from %zu "
                            "values to %zu (more than 64x)", T->name,
                            R->data_len / (size_t)ts, elems);
                    return SEG_ERR_LIMIT;
                }
            } else if (R->data_len != elems * (size_t)ts) {
                SET_ERR("malformed model: tensor '%s' has %zu bytes of data, its shape needs %zu",
                        T->name, R->data_len, elems * (size_t)ts);
                return SEG_ERR_BAD_MODEL;
            }
            T->is_const = 1;
            if (R->type == TT_FLOAT32 || R->type == TT_FLOAT16) {
                if (const_elems > NN_MAX_MODEL_BYTES / 4 - elems) {
                    SET_ERR("model exceeds limits: too much constant data");
                    return SEG_ERR_LIMIT;
                }
                const_elems += (elems + 15) & ~(size_t)15; /* keep 64-byte alignment */
            }
        }
    }
    /* One allocation for all float constants, converted from fp16 here: the
     * DEQUANTIZE of a constant is then folded away. */
    if (const_elems) {
        m->weights = aligned_alloc(64, const_elems * sizeof(float));
        if (!m->weights) {
            SET_ERR("out of memory for %zu weights", const_elems);
            return SEG_ERR_NOMEM;
        }
    }
    size_t at = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        nn_tensor *T = &m->tensors[i];
        raw_tensor *R = &p->raw[i];
        if (!T->is_const || (R->type != TT_FLOAT32 && R->type != TT_FLOAT16))
            continue;
        if (R->sparse) {
            R->dense = m->weights + at;
            at += (T->elems + 15) & ~(size_t)15;
            continue;
        }
        T->data = m->weights + at;
        const uint8_t *src = f->buf + R->data_pos;
        if (R->type == TT_FLOAT32) {
            memcpy(T->data, src, T->elems * 4);
        } else {
            for (size_t k = 0; k < T->elems; k++) {
                uint16_t h;
                memcpy(&h, src + 2 * k, 2);
                T->data[k] = nn_half_to_float(h);
            }
        }
        at += (T->elems + 15) & ~(size_t)15;
    }
    return SEG_OK;
}

/* Read a small constant int32 tensor (axes, sizes, shapes). */
static int const_ints(parse *p, int idx, int32_t *dst, int maxn, int *n)
{
    if (idx < 0 || idx >= p->m->n_tensors)
        return -1;
    raw_tensor *R = &p->raw[idx];
    if (R->type != TT_INT32 || R->data_len == 0 || R->data_len / 4 > (size_t)maxn)
        return -1;
    *n = (int)(R->data_len / 4);
    memcpy(dst, p->f.buf + R->data_pos, R->data_len);
    return 0;
}

/* ==== operators ========================================================= */

static nn_act map_act(int64_t a, int *ok)
{
    switch (a) {
    case 0: return NN_ACT_NONE;
    case 1: return NN_ACT_RELU;
    case 2: return NN_ACT_RELU_N1_TO_1;
    case 3: return NN_ACT_RELU6;
    case 4: return NN_ACT_TANH;
    default: *ok = 0; return NN_ACT_NONE;
    }
}

typedef struct op_ctx {
    parse *p;
    int index;        /* op index in the file */
    const char *name; /* builtin or custom name */
    int n_in, n_out;
    int in[NN_MAX_NODE_INPUTS];
    int out;
    fb_table opts;
    int has_opts;
    size_t custom_pos, custom_len;
    int any_layout;   /* the op's kernel reads only the output's element count
                         and nothing is fused into it, so a declared shape of
                         another rank is fine (MEAN without keep_dims). Not
                         activations: fusion makes their output the
                         producer's, whose kernel indexes by its dims. */
} op_ctx;

/* The data tensor of an op must be float32 and computed or the input. */
static int need_float(op_ctx *c, int t, const char *role)
{
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    nn_model *m = c->p->m;
    if (t < 0) { /* -1 marks an absent optional input: not for this role */
        SET_ERR("malformed model: op %d %s has no %s", c->index, c->name, role);
        return SEG_ERR_BAD_MODEL;
    }
    int type = c->p->raw[t].type;
    if (type != TT_FLOAT32 && !(type == TT_FLOAT16 && m->tensors[t].is_const)) {
        if (type == TT_INT8 || type == TT_UINT8)
            SET_ERR("unsupported: op %d %s has %s %s tensor '%s': integer-quantised models "
                    "are not supported (use the float model)",
                    c->index, c->name, type_name(type), role, m->tensors[t].name);
        else
            SET_ERR("unsupported: op %d %s has %s tensor '%s' of type %s (float32 needed)",
                    c->index, c->name, role, m->tensors[t].name, type_name(type));
        return SEG_ERR_UNSUPPORTED;
    }
    if (m->tensors[t].rank < 0) {
        SET_ERR("unsupported: op %d %s: tensor '%s' has more than 4 dimensions",
                c->index, c->name, m->tensors[t].name);
        return SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

static int need_const(op_ctx *c, int t, const char *role)
{
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    if (t < 0) {
        SET_ERR("malformed model: op %d %s has no %s", c->index, c->name, role);
        return SEG_ERR_BAD_MODEL;
    }
    int st = need_float(c, t, role); /* names quantised weights as such */
    if (st)
        return st;
    if (!c->p->m->tensors[t].is_const || !c->p->m->tensors[t].data) {
        SET_ERR("unsupported: op %d %s: the %s must be a constant float tensor",
                c->index, c->name, role);
        return SEG_ERR_UNSUPPORTED;
    }
    return SEG_OK;
}

/* The declared output shape must equal what the op computes. */
static int check_out_shape(op_ctx *c, const int s[4])
{
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    nn_tensor *T = &c->p->m->tensors[c->out];
    size_t elems = 1;
    for (int d = 0; d < 4; d++) {
        if (s[d] < 1) {
            SET_ERR("malformed model: op %d %s produces an empty tensor", c->index, c->name);
            return SEG_ERR_BAD_MODEL;
        }
        if (elems > NN_MAX_TENSOR_ELEMS / (size_t)s[d]) {
            SET_ERR("model exceeds limits: op %d %s computes more than %zu elements",
                    c->index, c->name, NN_MAX_TENSOR_ELEMS);
            return SEG_ERR_LIMIT;
        }
        elems *= (size_t)s[d];
    }
    if (memcmp(T->shape, s, sizeof(int) * 4) != 0) {
        /* A lower-rank declaration of the same layout (MEAN without keep_dims)
         * is fine where the kernel reads only the element count. Kernels
         * that index by the output's dims (conv, pool, resize, concat, ...)
         * take them from the tensor, so there the declared shape must be the
         * computed one: the same 36 floats declared [1,6,3,2] where a concat
         * computes [3,2,3,2] made the concat kernel copy 108 floats. */
        if (T->elems != elems || !c->any_layout) {
            SET_ERR("malformed model: op %d %s computes [%d,%d,%d,%d] but tensor '%s' "
                    "is declared [%d,%d,%d,%d]",
                    c->index, c->name, s[0], s[1], s[2], s[3], T->name,
                    T->shape[0], T->shape[1], T->shape[2], T->shape[3]);
            return SEG_ERR_BAD_MODEL;
        }
    }
    if (elems == 0) {
        SET_ERR("malformed model: op %d %s produces an empty tensor", c->index, c->name);
        return SEG_ERR_BAD_MODEL;
    }
    return SEG_OK;
}

static int bad_params(op_ctx *c, const char *what)
{
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    SET_ERR("malformed model: op %d %s: %s", c->index, c->name, what);
    return SEG_ERR_BAD_MODEL;
}

static int window_from_options(op_ctx *c, nn_window *g, int *same, int pool, nn_act *act)
{
    fb *f = &c->p->f;
    int ok = 1;
    int64_t pad = 0, sw = 1, sh = 1, dw = 1, dh = 1, fw = 1, fh = 1, a = 0;
    if (c->has_opts) {
        /* Conv2DOptions, DepthwiseConv2DOptions and Pool2DOptions share
         * their first three fields. */
        pad = fb_int(f, &c->opts, WIN_PADDING, 1, 1, 0);
        sw = fb_int(f, &c->opts, WIN_STRIDE_W, 4, 1, 0);
        sh = fb_int(f, &c->opts, WIN_STRIDE_H, 4, 1, 0);
        if (pool) {
            fw = fb_int(f, &c->opts, POOL_FILTER_W, 4, 1, 0);
            fh = fb_int(f, &c->opts, POOL_FILTER_H, 4, 1, 0);
            a = fb_int(f, &c->opts, POOL_ACTIVATION, 1, 1, 0);
        } else if (strcmp(c->name, "DEPTHWISE_CONV_2D") == 0) {
            a = fb_int(f, &c->opts, DWCONV_ACTIVATION, 1, 1, 0);
            dw = fb_int(f, &c->opts, DWCONV_DILATION_W, 4, 1, 1);
            dh = fb_int(f, &c->opts, DWCONV_DILATION_H, 4, 1, 1);
        } else {
            a = fb_int(f, &c->opts, CONV_ACTIVATION, 1, 1, 0);
            dw = fb_int(f, &c->opts, CONV_DILATION_W, 4, 1, 1);
            dh = fb_int(f, &c->opts, CONV_DILATION_H, 4, 1, 1);
        }
    }
    if (f->bad)
        return bad_params(c, "unreadable options");
    *act = map_act(a, &ok);
    if (!ok)
        return bad_params(c, "unknown fused activation");
    if (sw < 1 || sh < 1 || sw > 4096 || sh > 4096 || dw < 1 || dh < 1 || dw > 4096 ||
        dh > 4096 || fw < 1 || fh < 1 || fw > 65536 || fh > 65536 || (pad != 0 && pad != 1))
        return bad_params(c, "stride, dilation, filter size or padding out of range");
    g->stride_w = (int)sw; g->stride_h = (int)sh;
    g->dil_w = (int)dw; g->dil_h = (int)dh;
    g->kw = (int)fw; g->kh = (int)fh;
    *same = pad == 0;
    return SEG_OK;
}

static nn_node *new_node(op_ctx *c, nn_op op)
{
    nn_model *m = c->p->m;
    nn_node *n = &m->nodes[m->n_nodes++];
    memset(n, 0, sizeof(*n));
    n->op = op;
    n->tfl_name = c->name;
    n->out = c->out;
    n->n_in = c->n_in;
    for (int i = 0; i < NN_MAX_NODE_INPUTS; i++)
        n->in[i] = i < c->n_in ? c->in[i] : -1;
    return n;
}

static int build_conv(op_ctx *c, int depthwise)
{
    nn_model *m = c->p->m;
    int st;
    if (c->n_in < 2)
        return bad_params(c, "needs input and weights");
    if ((st = need_float(c, c->in[0], "input")) || (st = need_const(c, c->in[1], "weights")))
        return st;
    if (c->n_in > 2 && c->in[2] >= 0 && (st = need_const(c, c->in[2], "bias")))
        return st;
    nn_window g;
    int same;
    nn_act act;
    if ((st = window_from_options(c, &g, &same, 0, &act)))
        return st;
    const nn_tensor *x = &m->tensors[c->in[0]], *w = &m->tensors[c->in[1]];
    int oc, mult = 1;
    if (x->shape[0] != 1)
        return bad_params(c, "batch sizes other than 1 are not supported");
    if (depthwise) {
        if (w->shape[0] != 1 || x->shape[3] == 0 || w->shape[3] % x->shape[3])
            return bad_params(c, "depthwise weights do not match the input channels");
        mult = w->shape[3] / x->shape[3];
        oc = w->shape[3];
    } else {
        if (w->shape[3] != x->shape[3])
            return bad_params(c, "weights' input channels differ from the input's (grouped "
                                 "convolution is not supported)");
        oc = w->shape[0];
    }
    g.kh = w->shape[1];
    g.kw = w->shape[2];
    if (oc < 1 || g.kh < 1 || g.kw < 1)
        return bad_params(c, "empty weights");
    if (c->n_in > 2 && c->in[2] >= 0 && m->tensors[c->in[2]].elems != (size_t)oc)
        return bad_params(c, "bias length differs from the output channels");
    int s[4] = {1, 0, 0, oc};
    s[1] = nn_conv_out_size(x->shape[1], g.kh, g.stride_h, g.dil_h, same, &g.pad_top);
    s[2] = nn_conv_out_size(x->shape[2], g.kw, g.stride_w, g.dil_w, same, &g.pad_left);
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, depthwise ? NN_OP_DEPTHWISE_CONV_2D : NN_OP_CONV_2D);
    n->win = g;
    n->act = act;
    n->mult = mult;
    n->macs = (uint64_t)s[1] * s[2] * oc * g.kh * g.kw * (depthwise ? 1 : (uint64_t)x->shape[3]);
    return SEG_OK;
}

static int build_transpose_conv(op_ctx *c, int custom)
{
    nn_model *m = c->p->m;
    int st, xi, wi, bi;
    nn_window g = {0};
    int oh, ow;
    nn_act act = NN_ACT_NONE;
    if (custom) {
        /* Convolution2DTransposeBias: (input, weights OHWI, bias);
         * options = raw int32 {padding 1=SAME 2=VALID, stride_w, stride_h}. */
        if (c->n_in != 3)
            return bad_params(c, "needs input, weights and bias");
        xi = c->in[0]; wi = c->in[1]; bi = c->in[2];
        if (c->custom_len < 12)
            return bad_params(c, "custom options shorter than 12 bytes");
        int32_t o[3];
        memcpy(o, c->p->f.buf + c->custom_pos, 12);
        if ((o[0] != 1 && o[0] != 2) || o[1] < 1 || o[2] < 1 || o[1] > 4096 || o[2] > 4096)
            return bad_params(c, "bad padding or stride in custom options");
        g.stride_w = o[1]; g.stride_h = o[2];
        if ((st = need_float(c, xi, "input")) || (st = need_const(c, wi, "weights")) ||
            (st = need_const(c, bi, "bias")))
            return st;
        const nn_tensor *x = &m->tensors[xi], *w = &m->tensors[wi];
        g.kh = w->shape[1]; g.kw = w->shape[2];
        if (g.kh < 1 || g.kw < 1 || x->shape[1] < 1 || x->shape[2] < 1)
            return bad_params(c, "empty weights or input");
        int th = 0, tw = 0;
        if (o[0] == 1) {
            th = g.kh - (x->shape[1] - 1) % g.stride_h - 1;
            tw = g.kw - (x->shape[2] - 1) % g.stride_w - 1;
            th = th < 0 ? 0 : th;
            tw = tw < 0 ? 0 : tw;
        }
        long long loh = (long long)g.stride_h * (x->shape[1] - 1) + g.kh - th;
        long long low = (long long)g.stride_w * (x->shape[2] - 1) + g.kw - tw;
        if (loh > NN_MAX_DIM || low > NN_MAX_DIM)
            return bad_params(c, "output too large");
        oh = (int)loh; ow = (int)low;
        g.pad_top = th / 2; g.pad_left = tw / 2;
    } else {
        /* TRANSPOSE_CONV: (output_shape, weights OHWI, input[, bias]). */
        if (c->n_in < 3)
            return bad_params(c, "needs output shape, weights and input");
        wi = c->in[1]; xi = c->in[2]; bi = c->n_in > 3 ? c->in[3] : -1;
        int32_t shp[4];
        int ns;
        if (const_ints(c->p, c->in[0], shp, 4, &ns) || ns != 4)
            return bad_params(c, "output shape must be a constant int32[4]");
        if ((st = need_float(c, xi, "input")) || (st = need_const(c, wi, "weights")))
            return st;
        if (bi >= 0 && (st = need_const(c, bi, "bias")))
            return st;
        int same;
        nn_window og;
        if ((st = window_from_options(c, &og, &same, 0, &act)))
            return st;
        if (!c->has_opts)
            act = NN_ACT_NONE;
        g.stride_h = og.stride_h; g.stride_w = og.stride_w;
        const nn_tensor *w = &m->tensors[wi];
        g.kh = w->shape[1]; g.kw = w->shape[2];
        if (shp[0] != 1 || shp[1] < 1 || shp[2] < 1 || shp[3] != w->shape[0] ||
            shp[1] > NN_MAX_DIM || shp[2] > NN_MAX_DIM)
            return bad_params(c, "bad output shape");
        oh = shp[1]; ow = shp[2];
        nn_conv_out_size(oh, g.kh, g.stride_h, 1, same, &g.pad_top);
        nn_conv_out_size(ow, g.kw, g.stride_w, 1, same, &g.pad_left);
    }
    g.dil_h = g.dil_w = 1;
    const nn_tensor *x = &m->tensors[xi], *w = &m->tensors[wi];
    if (x->shape[0] != 1)
        return bad_params(c, "batch sizes other than 1 are not supported");
    if (w->shape[3] != x->shape[3] || w->shape[0] < 1)
        return bad_params(c, "weights' input channels differ from the input's");
    if (bi >= 0 && m->tensors[bi].elems != (size_t)w->shape[0])
        return bad_params(c, "bias length differs from the output channels");
    int s[4] = {1, oh, ow, w->shape[0]};
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, NN_OP_TRANSPOSE_CONV);
    /* Normalise the inputs to (input, weights, bias) for the executor. */
    n->n_in = 3;
    n->in[0] = xi; n->in[1] = wi; n->in[2] = bi;
    n->win = g;
    n->act = act;
    n->macs = (uint64_t)x->shape[1] * x->shape[2] * w->shape[0] * g.kh * g.kw * x->shape[3];
    return SEG_OK;
}

static int build_pool(op_ctx *c, int is_max)
{
    int st;
    if (c->n_in < 1)
        return bad_params(c, "needs an input");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    nn_window g;
    int same;
    nn_act act;
    if (!c->has_opts)
        return bad_params(c, "missing options");
    if ((st = window_from_options(c, &g, &same, 1, &act)))
        return st;
    const nn_tensor *x = &c->p->m->tensors[c->in[0]];
    if (x->shape[0] != 1)
        return bad_params(c, "batch sizes other than 1 are not supported");
    int s[4] = {1, 0, 0, x->shape[3]};
    s[1] = nn_conv_out_size(x->shape[1], g.kh, g.stride_h, 1, same, &g.pad_top);
    s[2] = nn_conv_out_size(x->shape[2], g.kw, g.stride_w, 1, same, &g.pad_left);
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, is_max ? NN_OP_MAX_POOL_2D : NN_OP_AVERAGE_POOL_2D);
    n->win = g;
    n->act = act;
    return SEG_OK;
}

static int build_binary(op_ctx *c, nn_binop op, int has_act)
{
    nn_model *m = c->p->m;
    int st;
    if (c->n_in != 2)
        return bad_params(c, "needs two inputs");
    for (int i = 0; i < 2; i++)
        if ((st = need_float(c, c->in[i], "input")))
            return st;
    const nn_tensor *a = &m->tensors[c->in[0]], *b = &m->tensors[c->in[1]];
    int s[4];
    for (int d = 0; d < 4; d++) {
        int x = a->shape[d], y = b->shape[d];
        if (x != y && x != 1 && y != 1)
            return bad_params(c, "input shapes do not broadcast");
        s[d] = x == 1 ? y : x;
    }
    int ok = 1;
    nn_act act = NN_ACT_NONE;
    if (has_act && c->has_opts)
        act = map_act(fb_int(&c->p->f, &c->opts, 0, 1, 1, 0), &ok);
    if (!ok || c->p->f.bad)
        return bad_params(c, "bad fused activation");
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, NN_OP_BINARY);
    n->binop = op;
    n->act = act;
    return SEG_OK;
}

static int build_activation(op_ctx *c, nn_act act)
{
    int st;
    if (c->n_in != 1)
        return bad_params(c, "needs one input");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    if ((st = check_out_shape(c, c->p->m->tensors[c->in[0]].shape)))
        return st;
    nn_node *n = new_node(c, NN_OP_ACTIVATION);
    n->act = act;
    return SEG_OK;
}

static int build_mean(op_ctx *c)
{
    int st;
    if (c->n_in != 2)
        return bad_params(c, "needs input and axes");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    const nn_tensor *x = &c->p->m->tensors[c->in[0]];
    int32_t axes[8];
    int na;
    if (const_ints(c->p, c->in[1], axes, 8, &na))
        return bad_params(c, "axes must be a constant int32 vector of at most 8");
    int reduce[4] = {0, 0, 0, 0};
    int rank = x->rank;
    for (int i = 0; i < na; i++) {
        int a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (a < 0 || a >= rank)
            return bad_params(c, "axis out of range");
        reduce[4 - rank + a] = 1;
    }
    int s[4];
    for (int d = 0; d < 4; d++)
        s[d] = reduce[d] ? 1 : x->shape[d];
    c->any_layout = 1;
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, NN_OP_MEAN);
    memcpy(n->reduce, reduce, sizeof reduce);
    return SEG_OK;
}

/* Both resizes: (input, size int32[2]) and two bool options whose field ids
 * differ (bilinear: 2 and 3, after the deprecated new_height/new_width;
 * nearest: 0 and 1). */
static int build_resize_op(op_ctx *c, nn_op op, int align_field)
{
    int st;
    if (c->n_in != 2)
        return bad_params(c, "needs input and size");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    int32_t size[2];
    int ns;
    if (const_ints(c->p, c->in[1], size, 2, &ns) || ns != 2)
        return bad_params(c, "size must be a constant int32[2]");
    if (size[0] < 1 || size[1] < 1 || size[0] > NN_MAX_DIM || size[1] > NN_MAX_DIM)
        return bad_params(c, "size out of range");
    const nn_tensor *x = &c->p->m->tensors[c->in[0]];
    int align = 0, half = 0;
    if (c->has_opts) {
        align = (int)fb_int(&c->p->f, &c->opts, align_field, 1, 0, 0) != 0;
        half = (int)fb_int(&c->p->f, &c->opts, align_field + 1, 1, 0, 0) != 0;
    }
    if (op == NN_OP_RESIZE_BILINEAR && align && half)
        return bad_params(c, "align_corners and half_pixel_centers are both set");
    if (x->shape[0] != 1)
        return bad_params(c, "batch sizes other than 1 are not supported");
    int s[4] = {1, size[0], size[1], x->shape[3]};
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, op);
    n->align_corners = align;
    n->half_pixel = half;
    if (op == NN_OP_RESIZE_BILINEAR)
        n->macs = (uint64_t)size[0] * size[1] * x->shape[3] * 4;
    return SEG_OK;
}

static int build_concat(op_ctx *c)
{
    nn_model *m = c->p->m;
    int st;
    if (c->n_in < 1)
        return bad_params(c, "needs inputs");
    int64_t axis = c->has_opts ? fb_int(&c->p->f, &c->opts, 0, 4, 1, 0) : 0;
    int ok = 1;
    nn_act act = c->has_opts ? map_act(fb_int(&c->p->f, &c->opts, 1, 1, 1, 0), &ok) : NN_ACT_NONE;
    if (!ok || c->p->f.bad)
        return bad_params(c, "bad options");
    int rank = m->tensors[c->out].rank;
    if (rank < 1)
        return bad_params(c, "output has no rank");
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= rank)
        return bad_params(c, "axis out of range");
    int ax = 4 - rank + (int)axis;
    int s[4];
    for (int i = 0; i < c->n_in; i++) {
        if ((st = need_float(c, c->in[i], "input")))
            return st;
        const nn_tensor *x = &m->tensors[c->in[i]];
        if (i == 0) {
            memcpy(s, x->shape, sizeof s);
            continue;
        }
        for (int d = 0; d < 4; d++) {
            if (d == ax) {
                if (s[d] > NN_MAX_DIM * 64)
                    return bad_params(c, "output too large");
                s[d] += x->shape[d];
            } else if (s[d] != x->shape[d]) {
                return bad_params(c, "input shapes differ outside the axis");
            }
        }
    }
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, NN_OP_CONCATENATION);
    n->axis = ax;
    n->act = act;
    return SEG_OK;
}

static int build_reshape(op_ctx *c)
{
    int st;
    if (c->n_in < 1)
        return bad_params(c, "needs an input");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    nn_tensor *x = &c->p->m->tensors[c->in[0]], *y = &c->p->m->tensors[c->out];
    if (x->elems != y->elems)
        return bad_params(c, "input and output sizes differ");
    nn_node *n = new_node(c, NN_OP_COPY);
    n->n_in = 1;
    return SEG_OK;
}

/* DEQUANTIZE of a constant: make the output the same constant (already
 * converted to float32 at load). No node is emitted. */
static int fold_dequantize(op_ctx *c)
{
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    nn_model *m = c->p->m;
    if (c->n_in != 1 || c->in[0] < 0)
        return bad_params(c, "needs one input");
    nn_tensor *x = &m->tensors[c->in[0]], *y = &m->tensors[c->out];
    int type = c->p->raw[c->in[0]].type;
    if (!x->is_const || !x->data) {
        if (type == TT_INT8 || type == TT_UINT8)
            SET_ERR("unsupported: op %d DEQUANTIZE of %s data: integer-quantised models are "
                    "not supported (use the float model)", c->index, type_name(type));
        else
            SET_ERR("unsupported: op %d DEQUANTIZE of a computed (non-constant) %s tensor",
                    c->index, type_name(type));
        return SEG_ERR_UNSUPPORTED;
    }
    if (x->elems != y->elems)
        return bad_params(c, "input and output sizes differ");
    if (y->is_const || y->first_def >= 0)
        return bad_params(c, "output tensor is written twice");
    y->is_const = 1;
    y->data = x->data;
    c->p->raw[c->out].type = TT_FLOAT32;
    return SEG_OK;
}

/* The CSR arrays of one DimensionMetadata level: union type (1 Int32Vector,
 * 2 Uint16Vector, 3 Uint8Vector) at field tid, the table {values} at tid+1. */
static int sparse_index_vector(fb *f, const fb_table *dm, int tid, const void **arr, int *bytes,
                               size_t *n)
{
    int64_t type = fb_int(f, dm, tid, 1, 0, 0);
    static const int size_of[4] = {0, 4, 2, 1};
    fb_table vt;
    fb_vec v;
    int present;
    if (f->bad || type < 1 || type > 3 || fb_subtable(f, dm, tid + 1, &vt, &present) ||
        !present || fb_vector(f, &vt, INDEX_VECTOR_VALUES, (size_t)size_of[type], &v))
        return -1;
    *arr = f->buf + v.start;
    *bytes = size_of[type];
    *n = v.n;
    return 0;
}

/* DENSIFY of a sparse constant: expand the stored values into the dense
 * slot reserved at load (fp16 converted to float32 on the way) and make the
 * output that constant, as DEQUANTIZE folding does. No node is emitted.
 * SparsityParameters: 0 traversal_order, 1 block_map, 2 dim_metadata;
 * DimensionMetadata: 0 format, 1 dense_size, 2/3 array_segments, 4/5
 * array_indices. */
static int fold_densify(op_ctx *c)
{
    parse *p = c->p;
    nn_model *m = p->m;
    fb *f = &p->f;
    if (c->n_in != 1 || c->in[0] < 0)
        return bad_params(c, "needs one input");
    int xi = c->in[0];
    nn_tensor *x = &m->tensors[xi], *y = &m->tensors[c->out];
    raw_tensor *R = &p->raw[xi];
    if (!R->sparse || !R->dense || R->data_len == 0)
        return bad_params(c, "the input is not a sparse float constant");
    if (memcmp(x->shape, y->shape, sizeof x->shape) != 0 || x->rank != y->rank ||
        p->raw[c->out].type != R->type)
        return bad_params(c, "output shape or type differs from the input's");
    if (y->is_const || y->first_def >= 0)
        return bad_params(c, "output tensor is written twice");
    nn_sparsity sp;
    memset(&sp, 0, sizeof sp);
    sp.rank = x->rank;
    if (sp.rank < 1 || sp.rank > 4)
        return bad_params(c, "sparse tensors of rank 1 to 4 only");
    for (int d = 0; d < sp.rank; d++)
        sp.shape[d] = x->shape[4 - sp.rank + d];
    fb_vec to, bm, dms;
    if (fb_vector(f, &R->sparsity, SPARSITY_TRAVERSAL_ORDER, 4, &to) ||
        fb_vector(f, &R->sparsity, SPARSITY_BLOCK_MAP, 4, &bm) ||
        fb_vector(f, &R->sparsity, SPARSITY_DIM_METADATA, 4, &dms))
        return bad_params(c, "unreadable sparsity");
    if (to.n > NN_SPARSE_MAX_LEVELS || bm.n > 4 || to.n != dms.n || to.n != sp.rank + bm.n)
        return bad_params(c, "sparsity levels do not match the rank and blocks");
    sp.n_levels = (int)to.n;
    sp.n_blocks = (int)bm.n;
    for (uint32_t i = 0; i < to.n; i++)
        sp.traversal[i] = fb_vec_i32(f, &to, i);
    for (uint32_t i = 0; i < bm.n; i++)
        sp.block_map[i] = fb_vec_i32(f, &bm, i);
    for (uint32_t i = 0; i < dms.n; i++) {
        fb_table dm;
        nn_sparse_dim *d = &sp.dim[i];
        if (fb_vec_table(f, &dms, i, &dm))
            return bad_params(c, "unreadable dimension metadata");
        int64_t format = fb_int(f, &dm, DIM_FORMAT, 1, 1, 0);
        int64_t size = fb_int(f, &dm, DIM_DENSE_SIZE, 4, 1, 0);
        if (f->bad || (format != 0 && format != 1) || size < 0 || size > NN_MAX_DIM)
            return bad_params(c, "bad dimension format or size");
        d->sparse = (int)format;
        d->dense_size = (int)size;
        if (d->sparse &&
            (sparse_index_vector(f, &dm, DIM_SEGMENTS_TYPE, &d->segments, &d->seg_bytes, &d->n_segments) ||
             sparse_index_vector(f, &dm, DIM_INDICES_TYPE, &d->indices, &d->idx_bytes, &d->n_indices)))
            return bad_params(c, "unreadable sparse segments or indices");
    }
    int ts = type_size(R->type);
    size_t n = R->data_len / (size_t)ts;
    size_t *pos = malloc((n ? n : 1) * sizeof(size_t));
    if (!pos) {
        char *err = p->err;
        size_t errlen = p->errlen;
        SET_ERR("out of memory densifying '%s'", x->name);
        return SEG_ERR_NOMEM;
    }
    const char *why;
    if (nn_sparse_positions(&sp, n, pos, &why)) {
        free(pos);
        return bad_params(c, why);
    }
    float *dst = R->dense;
    memset(dst, 0, x->elems * sizeof(float));
    const uint8_t *src = f->buf + R->data_pos;
    for (size_t k = 0; k < n; k++) {
        if (R->type == TT_FLOAT32) {
            memcpy(&dst[pos[k]], src + 4 * k, 4);
        } else {
            uint16_t h;
            memcpy(&h, src + 2 * k, 2);
            dst[pos[k]] = nn_half_to_float(h);
        }
    }
    free(pos);
    y->is_const = 1;
    y->data = dst;
    return SEG_OK;
}

static int build_depth_to_space(op_ctx *c)
{
    int st;
    if (c->n_in != 1)
        return bad_params(c, "needs one input");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    int64_t b = c->has_opts ? fb_int(&c->p->f, &c->opts, 0, 4, 1, 0) : 0;
    const nn_tensor *x = &c->p->m->tensors[c->in[0]];
    if (c->p->f.bad || b < 1 || b > 4096)
        return bad_params(c, "block size out of range");
    if (x->shape[0] != 1)
        return bad_params(c, "batch sizes other than 1 are not supported");
    if (x->shape[3] % (b * b))
        return bad_params(c, "channels are not a multiple of the block size squared");
    long long oh = (long long)x->shape[1] * b, ow = (long long)x->shape[2] * b;
    if (oh > NN_MAX_DIM || ow > NN_MAX_DIM)
        return bad_params(c, "output too large");
    int s[4] = {1, (int)oh, (int)ow, x->shape[3] / (int)(b * b)};
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, NN_OP_DEPTH_TO_SPACE);
    n->block = (int)b;
    return SEG_OK;
}

static int build_fully_connected(op_ctx *c)
{
    nn_model *m = c->p->m;
    int st;
    if (c->n_in < 2)
        return bad_params(c, "needs input and weights");
    if ((st = need_float(c, c->in[0], "input")) || (st = need_const(c, c->in[1], "weights")))
        return st;
    if (c->n_in > 2 && c->in[2] >= 0 && (st = need_const(c, c->in[2], "bias")))
        return st;
    const nn_tensor *x = &m->tensors[c->in[0]], *w = &m->tensors[c->in[1]];
    if (w->rank != 2)
        return bad_params(c, "weights must be [outputs, inputs]");
    int out_f = w->shape[2], in_f = w->shape[3];
    if (in_f < 1 || out_f < 1 || x->elems % (size_t)in_f)
        return bad_params(c, "input size is not a multiple of the weights' depth");
    if (c->n_in > 2 && c->in[2] >= 0 && m->tensors[c->in[2]].elems != (size_t)out_f)
        return bad_params(c, "bias length differs from the outputs");
    int ok = 1;
    nn_act act = NN_ACT_NONE;
    if (c->has_opts) {
        act = map_act(fb_int(&c->p->f, &c->opts, 0, 1, 1, 0), &ok);
        if (fb_int(&c->p->f, &c->opts, 1, 1, 1, 0) != 0) {
            char *err = c->p->err;
            size_t errlen = c->p->errlen;
            SET_ERR("unsupported: op %d FULLY_CONNECTED with shuffled (quantised) weights",
                    c->index);
            return SEG_ERR_UNSUPPORTED;
        }
    }
    if (!ok || c->p->f.bad)
        return bad_params(c, "bad options");
    size_t rows = x->elems / (size_t)in_f;
    if (rows > (size_t)NN_MAX_DIM * NN_MAX_DIM)
        return bad_params(c, "too many rows");
    /* The declared shape may keep the input's dims or flatten them: the
     * layout is the same, so only the element count must agree. */
    if (m->tensors[c->out].elems != rows * (size_t)out_f)
        return bad_params(c, "declared output size differs from rows x outputs");
    nn_tensor *y = &m->tensors[c->out];
    if (y->shape[3] != out_f)
        return bad_params(c, "declared output's last dimension differs from the outputs");
    nn_node *n = new_node(c, NN_OP_FULLY_CONNECTED);
    n->act = act;
    n->macs = (uint64_t)rows * out_f * in_f;
    return SEG_OK;
}

static int build_softmax(op_ctx *c)
{
    int st;
    if (c->n_in != 1)
        return bad_params(c, "needs one input");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    const nn_tensor *x = &c->p->m->tensors[c->in[0]];
    float beta = 0.0f;
    if (c->has_opts) {
        size_t pos = fb_field(&c->p->f, &c->opts, 0, 4);
        if (pos)
            memcpy(&beta, c->p->f.buf + pos, 4);
    }
    if (c->p->f.bad || !(beta == beta))
        return bad_params(c, "bad beta");
    if ((st = check_out_shape(c, x->shape)))
        return st;
    nn_node *n = new_node(c, NN_OP_SOFTMAX);
    n->beta = beta;
    return SEG_OK;
}

static int build_argmax(op_ctx *c)
{
    int st;
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    if (c->n_in != 2)
        return bad_params(c, "needs input and axis");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    const nn_tensor *x = &c->p->m->tensors[c->in[0]];
    int32_t axis[1];
    int na;
    if (const_ints(c->p, c->in[1], axis, 1, &na) || na != 1)
        return bad_params(c, "axis must be one constant int32");
    int a = axis[0] < 0 ? axis[0] + x->rank : axis[0];
    if (a != x->rank - 1) {
        SET_ERR("unsupported: op %d ARG_MAX over axis %d (only the last axis)", c->index, axis[0]);
        return SEG_ERR_UNSUPPORTED;
    }
    int type = c->p->raw[c->out].type;
    if (type != TT_INT32 && type != TT_INT64 && type != TT_FLOAT32)
        return bad_params(c, "output type must be INT32 or INT64");
    if (c->p->m->tensors[c->out].elems != x->elems / (size_t)x->shape[3])
        return bad_params(c, "declared output size differs from the input's rows");
    new_node(c, NN_OP_ARG_MAX);
    c->p->raw[c->out].type = TT_FLOAT32; /* stored as float indices */
    if (c->out == c->p->m->output)
        c->p->m->output_is_index = 1;
    return SEG_OK;
}

static int build_pad(op_ctx *c, int v2)
{
    nn_model *m = c->p->m;
    int st;
    if (c->n_in < 2)
        return bad_params(c, "needs input and paddings");
    if ((st = need_float(c, c->in[0], "input")))
        return st;
    const nn_tensor *x = &m->tensors[c->in[0]];
    int32_t p[8];
    int np;
    if (const_ints(c->p, c->in[1], p, 8, &np) || np != 2 * x->rank)
        return bad_params(c, "paddings must be a constant int32 [rank, 2]");
    float value = 0.0f;
    if (v2 && c->n_in > 2 && c->in[2] >= 0) {
        if ((st = need_const(c, c->in[2], "constant value")))
            return st;
        if (m->tensors[c->in[2]].elems != 1)
            return bad_params(c, "constant value must be a scalar");
        value = m->tensors[c->in[2]].data[0];
    }
    int pads[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}}, s[4];
    for (int d = 0; d < x->rank; d++) {
        int pd = 4 - x->rank + d;
        if (p[2 * d] < 0 || p[2 * d + 1] < 0 || p[2 * d] > NN_MAX_DIM || p[2 * d + 1] > NN_MAX_DIM)
            return bad_params(c, "padding out of range");
        pads[pd][0] = p[2 * d];
        pads[pd][1] = p[2 * d + 1];
    }
    for (int d = 0; d < 4; d++) {
        long long v = (long long)x->shape[d] + pads[d][0] + pads[d][1];
        if (v > NN_MAX_DIM)
            return bad_params(c, "output too large");
        s[d] = (int)v;
    }
    if (s[0] != 1)
        return bad_params(c, "padding the batch is not supported");
    if ((st = check_out_shape(c, s)))
        return st;
    nn_node *n = new_node(c, NN_OP_PAD);
    memcpy(n->pads, pads, sizeof pads);
    n->pad_value = value;
    return SEG_OK;
}

static int build_op(op_ctx *c, int code)
{
    char *err = c->p->err;
    size_t errlen = c->p->errlen;
    switch (code) {
    case OP_CONV_2D: return build_conv(c, 0);
    case OP_DEPTHWISE_CONV_2D: return build_conv(c, 1);
    case OP_TRANSPOSE_CONV: return build_transpose_conv(c, 0);
    case OP_AVERAGE_POOL_2D: return build_pool(c, 0);
    case OP_MAX_POOL_2D: return build_pool(c, 1);
    case OP_ADD: return build_binary(c, NN_BIN_ADD, 1);
    case OP_MUL: return build_binary(c, NN_BIN_MUL, 1);
    case OP_SUB: return build_binary(c, NN_BIN_SUB, 1);
    case OP_DIV: return build_binary(c, NN_BIN_DIV, 1);
    case OP_MAXIMUM: return build_binary(c, NN_BIN_MAX, 0);
    case OP_MINIMUM: return build_binary(c, NN_BIN_MIN, 0);
    case OP_RELU: return build_activation(c, NN_ACT_RELU);
    case OP_RELU6: return build_activation(c, NN_ACT_RELU6);
    case OP_RELU_N1_TO_1: return build_activation(c, NN_ACT_RELU_N1_TO_1);
    case OP_TANH: return build_activation(c, NN_ACT_TANH);
    case OP_LOGISTIC: return build_activation(c, NN_ACT_LOGISTIC);
    case OP_HARD_SWISH: return build_activation(c, NN_ACT_HARD_SWISH);
    case OP_MEAN: return build_mean(c);
    case OP_RESIZE_BILINEAR: return build_resize_op(c, NN_OP_RESIZE_BILINEAR, 2);
    case OP_CONCATENATION: return build_concat(c);
    case OP_RESHAPE: case OP_SQUEEZE: return build_reshape(c);
    case OP_DEQUANTIZE: return fold_dequantize(c);
    case OP_FULLY_CONNECTED: return build_fully_connected(c);
    case OP_SOFTMAX: return build_softmax(c);
    case OP_ARG_MAX: return build_argmax(c);
    case OP_PAD: return build_pad(c, 0);
    case OP_PADV2: return build_pad(c, 1);
    case OP_RESIZE_NEAREST_NEIGHBOR: return build_resize_op(c, NN_OP_RESIZE_NEAREST, 0);
    case OP_PRELU: return build_binary(c, NN_BIN_PRELU, 0);
    case OP_DENSIFY: return fold_densify(c);
    case OP_DEPTH_TO_SPACE: return build_depth_to_space(c);
    case OP_CUSTOM:
        if (strcmp(c->name, "Convolution2DTransposeBias") == 0)
            return build_transpose_conv(c, 1);
        SET_ERR("unsupported op: custom op '%s' (op %d)", c->name, c->index);
        return SEG_ERR_UNSUPPORTED;
    default:
        SET_ERR("unsupported op %s (op %d)", c->name, c->index);
        return SEG_ERR_UNSUPPORTED;
    }
}

static int load_operators(parse *p, const fb_table *root, const fb_table *sg)
{
    char *err = p->err;
    size_t errlen = p->errlen;
    fb *f = &p->f;
    nn_model *m = p->m;
    fb_vec codes, ops;
    if (fb_vector(f, root, MODEL_OPERATOR_CODES, 4, &codes) ||
        fb_vector(f, sg, SUBGRAPH_OPERATORS, 4, &ops)) {
        SET_ERR("malformed model: bad operator list");
        return SEG_ERR_BAD_MODEL;
    }
    if (ops.n == 0 || ops.n > NN_MAX_OPS) {
        SET_ERR("malformed model: %u operators (1..%d allowed)", ops.n, NN_MAX_OPS);
        return ops.n ? SEG_ERR_LIMIT : SEG_ERR_BAD_MODEL;
    }
    m->nodes = calloc(ops.n, sizeof(nn_node));
    if (!m->nodes) {
        SET_ERR("out of memory for %u operators", ops.n);
        return SEG_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < ops.n; i++) {
        op_ctx c;
        memset(&c, 0, sizeof c);
        c.p = p;
        c.index = (int)i;
        fb_table o, oc;
        if (fb_vec_table(f, &ops, i, &o)) {
            SET_ERR("malformed model: operator %u is unreadable", i);
            return SEG_ERR_BAD_MODEL;
        }
        uint32_t opcode_index = (uint32_t)fb_int(f, &o, OPERATOR_OPCODE_INDEX, 4, 0, 0);
        if (f->bad || opcode_index >= codes.n || fb_vec_table(f, &codes, opcode_index, &oc)) {
            SET_ERR("malformed model: operator %u has a bad opcode index %u", i, opcode_index);
            return SEG_ERR_BAD_MODEL;
        }
        int code = (int)fb_int(f, &oc, OPCODE_DEPRECATED_BUILTIN, 1, 1, 0);
        int code2 = (int)fb_int(f, &oc, OPCODE_BUILTIN, 4, 1, 0);
        if (code2 > code) /* readers take the larger of the two fields */
            code = code2;
        char cname[64]; /* an unknown custom op's name, for its error only: nodes
                           keep c.name, always a literal for ops we build */
        if (fb_string(f, &oc, OPCODE_CUSTOM, cname, sizeof cname) || f->bad) {
            SET_ERR("malformed model: operator code %u is unreadable", opcode_index);
            return SEG_ERR_BAD_MODEL;
        }
        if (code == OP_CUSTOM) {
            if (strcmp(cname, "Convolution2DTransposeBias") == 0) {
                c.name = "Convolution2DTransposeBias";
            } else {
                c.name = cname;
            }
        } else {
            c.name = (code >= 0 && code < N_BUILTINS) ? BUILTIN_NAMES[code] : "UNKNOWN_BUILTIN";
        }
        fb_vec vin, vout;
        if (fb_vector(f, &o, OPERATOR_INPUTS, 4, &vin) ||
            fb_vector(f, &o, OPERATOR_OUTPUTS, 4, &vout)) {
            SET_ERR("malformed model: operator %u has bad input/output lists", i);
            return SEG_ERR_BAD_MODEL;
        }
        if (vout.n != 1) {
            if (code < 0 || code >= N_BUILTINS || code == OP_CUSTOM)
                SET_ERR("unsupported op %s (op %u) with %u outputs", c.name, i, vout.n);
            else
                SET_ERR("unsupported op %s (op %u): %u outputs", c.name, i, vout.n);
            return SEG_ERR_UNSUPPORTED;
        }
        if (vin.n > NN_MAX_NODE_INPUTS) {
            SET_ERR("unsupported op %s (op %u): %u inputs", c.name, i, vin.n);
            return SEG_ERR_UNSUPPORTED;
        }
        c.n_in = (int)vin.n;
        for (uint32_t k = 0; k < vin.n; k++) {
            c.in[k] = fb_vec_i32(f, &vin, k);
            /* -1 marks an optional input that is absent (e.g. no bias). */
            if (c.in[k] != -1 && check_tensor_index(p, c.in[k], (int)i, "input"))
                return SEG_ERR_BAD_MODEL;
        }
        c.out = fb_vec_i32(f, &vout, 0);
        if (check_tensor_index(p, c.out, (int)i, "output"))
            return SEG_ERR_BAD_MODEL;
        if (m->tensors[c.out].is_const || c.out == m->input) {
            SET_ERR("malformed model: op %u writes a constant or the graph input", i);
            return SEG_ERR_BAD_MODEL;
        }
        /* Every non-constant input must already be computed. */
        for (int k = 0; k < c.n_in; k++) {
            int t = c.in[k];
            if (t == -1)
                continue;
            if (!m->tensors[t].is_const && t != m->input && m->tensors[t].first_def < 0) {
                SET_ERR("malformed model: op %u %s reads tensor '%s' before it is written",
                        i, c.name, m->tensors[t].name);
                return SEG_ERR_BAD_MODEL;
            }
        }
        if (m->tensors[c.out].first_def >= 0) {
            SET_ERR("malformed model: tensor '%s' is written twice", m->tensors[c.out].name);
            return SEG_ERR_BAD_MODEL;
        }
        if (code != OP_CUSTOM) {
            unsigned otype = (unsigned)fb_int(f, &o, OPERATOR_OPTIONS_TYPE, 1, 0, 0);
            if (otype && fb_subtable(f, &o, OPERATOR_OPTIONS, &c.opts, &c.has_opts)) {
                SET_ERR("malformed model: operator %u has unreadable options", i);
                return SEG_ERR_BAD_MODEL;
            }
        } else {
            fb_vec co;
            if (fb_vector(f, &o, OPERATOR_CUSTOM_OPTIONS, 1, &co)) {
                SET_ERR("malformed model: operator %u has unreadable custom options", i);
                return SEG_ERR_BAD_MODEL;
            }
            c.custom_pos = co.start;
            c.custom_len = co.n;
        }
        if (f->bad) {
            SET_ERR("malformed model: operator %u is unreadable", i);
            return SEG_ERR_BAD_MODEL;
        }
        int before = m->n_nodes;
        int st = build_op(&c, code);
        if (st)
            return st;
        if (m->n_nodes > before)
            m->tensors[c.out].first_def = m->n_nodes - 1;
        else if (!m->tensors[c.out].is_const)
            return bad_params(&c, "internal: op produced nothing");
    }
    return SEG_OK;
}

/* ==== metadata ========================================================== */

/* TFLite metadata (metadata_schema.fbs, file identifier "M001") in the
 * buffer named TFLITE_METADATA: ModelMetadata.subgraph_metadata[0]
 * .input_tensor_metadata[0].process_units[] with a NormalizationOptions
 * {mean:[float], std:[float]} (union type 1). A broken metadata block is
 * ignored, never fatal: the model itself may still be fine. */
static void read_norm_metadata(parse *p, const fb_table *root, int *has, float mean[3],
                               float stdv[3])
{
    fb *f = &p->f;
    fb_vec mds;
    *has = 0;
    if (fb_vector(f, root, MODEL_METADATA, 4, &mds) || mds.n > 1000)
        return;
    for (uint32_t i = 0; i < mds.n; i++) {
        fb_table md;
        char name[32];
        if (fb_vec_table(f, &mds, i, &md) || fb_string(f, &md, METADATA_NAME, name, sizeof name))
            return;
        if (strcmp(name, "TFLITE_METADATA") != 0)
            continue;
        size_t pos, len;
        if (buffer_bytes(p, (uint32_t)fb_int(f, &md, METADATA_BUFFER, 4, 0, 0), &pos, &len) ||
            len < 8)
            return;
        fb g = {f->buf + pos, len, 0};
        fb_table mroot, sgm, tm, pu, no;
        fb_vec sgv, tv, puv, mv, sv;
        size_t rp;
        if (fb_deref(&g, 0, &rp) || fb_table_at(&g, rp, &mroot) ||
            fb_vector(&g, &mroot, MMETA_SUBGRAPHS, 4, &sgv) || sgv.n < 1 ||
            fb_vec_table(&g, &sgv, 0, &sgm) ||
            fb_vector(&g, &sgm, SGMETA_INPUT_TENSORS, 4, &tv) || tv.n < 1 ||
            fb_vec_table(&g, &tv, 0, &tm) || fb_vector(&g, &tm, TMETA_PROCESS_UNITS, 4, &puv))
            return;
        for (uint32_t k = 0; k < puv.n && k < 16; k++) {
            int present;
            if (fb_vec_table(&g, &puv, k, &pu) ||
                fb_int(&g, &pu, PUNIT_OPTIONS_TYPE, 1, 0, 0) != PUNIT_NORMALIZATION ||
                fb_subtable(&g, &pu, PUNIT_OPTIONS, &no, &present) || !present ||
                fb_vector(&g, &no, NORM_MEAN, 4, &mv) || fb_vector(&g, &no, NORM_STD, 4, &sv) ||
                (mv.n != 1 && mv.n != 3) || (sv.n != 1 && sv.n != 3) || g.bad)
                continue;
            for (int c = 0; c < 3; c++) {
                uint32_t mi = mv.n == 3 ? (uint32_t)c : 0, si = sv.n == 3 ? (uint32_t)c : 0;
                memcpy(&mean[c], g.buf + mv.start + 4 * mi, 4);
                memcpy(&stdv[c], g.buf + sv.start + 4 * si, 4);
                if (!(stdv[c] > 0.0f) || !(mean[c] == mean[c]))
                    return;
            }
            *has = 1;
            return;
        }
        return;
    }
}

/* Builtin codes the engine runs (or folds away). */
static int op_supported(int code, const char *custom)
{
    switch (code) {
    case OP_ADD: case OP_AVERAGE_POOL_2D: case OP_CONCATENATION: case OP_CONV_2D:
    case OP_DEPTHWISE_CONV_2D: case OP_DEQUANTIZE: case OP_FULLY_CONNECTED:
    case OP_LOGISTIC: case OP_MAX_POOL_2D: case OP_MUL: case OP_RELU: case OP_RELU_N1_TO_1:
    case OP_RELU6: case OP_RESHAPE: case OP_RESIZE_BILINEAR: case OP_SOFTMAX: case OP_TANH:
    case OP_PAD: case OP_MEAN: case OP_SUB: case OP_DIV: case OP_SQUEEZE: case OP_PRELU:
    case OP_MAXIMUM: case OP_ARG_MAX: case OP_MINIMUM: case OP_PADV2: case OP_TRANSPOSE_CONV:
    case OP_RESIZE_NEAREST_NEIGHBOR: case OP_HARD_SWISH: case OP_DENSIFY:
    case OP_DEPTH_TO_SPACE:
        return 1;
    case OP_CUSTOM:
        return custom && strcmp(custom, "Convolution2DTransposeBias") == 0;
    default:
        return 0;
    }
}

int nn_model_inspect(const void *vbuf, size_t len, nn_model_info *info, char *err, size_t errlen)
{
    const uint8_t *buf = vbuf;
    memset(info, 0, sizeof *info);
    info->input_type = info->output_type = "?";
    if (buf && len <= NN_MAX_MODEL_BYTES && !(len >= 8 && memcmp(buf + 4, "TFL3", 4) == 0) &&
        nn_onnx_probe(buf, len))
        return nn_onnx_inspect(buf, len, info, err, errlen);
    if (!buf || len < 8 || len > NN_MAX_MODEL_BYTES || memcmp(buf + 4, "TFL3", 4) != 0) {
        SET_ERR("not a TensorFlow Lite model (no TFL3 identifier)");
        return SEG_ERR_BAD_MODEL;
    }
    parse p;
    memset(&p, 0, sizeof p);
    p.f.buf = buf;
    p.f.len = len;
    p.err = err;
    p.errlen = errlen;
    fb *f = &p.f;
    fb_table root, sg;
    fb_vec sgs, codes, ops, tv, vin, vout;
    size_t rp;
    if (fb_deref(f, 0, &rp) || fb_table_at(f, rp, &root) ||
        fb_vector(f, &root, MODEL_BUFFERS, 4, &p.buffers) ||
        fb_vector(f, &root, MODEL_SUBGRAPHS, 4, &sgs) || sgs.n < 1 ||
        fb_vec_table(f, &sgs, 0, &sg) || fb_vector(f, &root, MODEL_OPERATOR_CODES, 4, &codes) ||
        fb_vector(f, &sg, SUBGRAPH_OPERATORS, 4, &ops) ||
        fb_vector(f, &sg, SUBGRAPH_TENSORS, 4, &tv) || fb_vector(f, &sg, SUBGRAPH_INPUTS, 4, &vin) ||
        fb_vector(f, &sg, SUBGRAPH_OUTPUTS, 4, &vout)) {
        SET_ERR("malformed model: unreadable tables");
        return SEG_ERR_BAD_MODEL;
    }
    fb_string(f, &root, MODEL_DESCRIPTION, info->description, sizeof info->description);
    info->n_tensors = (int)tv.n;
    info->n_operators = (int)ops.n;
    info->n_inputs = (int)vin.n;
    info->n_outputs = (int)vout.n;
    for (uint32_t i = 0; i < tv.n && i < NN_MAX_TENSORS; i++) {
        fb_table t;
        fb_vec shape;
        if (fb_vec_table(f, &tv, i, &t) || fb_vector(f, &t, TENSOR_SHAPE, 4, &shape))
            break;
        int type = (int)fb_int(f, &t, TENSOR_TYPE, 1, 1, 0);
        size_t pos, blen;
        if (buffer_bytes(&p, (uint32_t)fb_int(f, &t, TENSOR_BUFFER, 4, 0, 0), &pos, &blen) == 0 &&
            blen &&
            type_size(type))
            info->params += blen / (size_t)type_size(type);
        int s4[4] = {1, 1, 1, 1};
        for (uint32_t d = 0; d < shape.n && shape.n <= 4; d++)
            s4[4 - shape.n + d] = fb_vec_i32(f, &shape, d);
        nn_shape sh = {s4[0], s4[1], s4[2], s4[3]};
        if (vin.n && (int32_t)i == fb_vec_i32(f, &vin, 0)) {
            info->input = sh;
            info->input_type = type_name(type);
        }
        if (vout.n && (int32_t)i == fb_vec_i32(f, &vout, 0)) {
            info->output = sh;
            info->output_type = type_name(type);
        }
    }
    for (uint32_t i = 0; i < ops.n && i < NN_MAX_OPS; i++) {
        fb_table o, oc;
        if (fb_vec_table(f, &ops, i, &o))
            break;
        uint32_t ci = (uint32_t)fb_int(f, &o, OPERATOR_OPCODE_INDEX, 4, 0, 0);
        if (ci >= codes.n || fb_vec_table(f, &codes, ci, &oc))
            break;
        int code = (int)fb_int(f, &oc, OPCODE_DEPRECATED_BUILTIN, 1, 1, 0),
            code2 = (int)fb_int(f, &oc, OPCODE_BUILTIN, 4, 1, 0);
        code = code2 > code ? code2 : code;
        char cname[48];
        fb_string(f, &oc, OPCODE_CUSTOM, cname, sizeof cname);
        const char *name = code == OP_CUSTOM ? cname
                           : (code >= 0 && code < N_BUILTINS) ? BUILTIN_NAMES[code] : "UNKNOWN";
        int k = 0;
        while (k < info->n_op_kinds && strcmp(info->ops[k].name, name) != 0)
            k++;
        if (k == info->n_op_kinds) {
            if (k == NN_INFO_MAX_OPS)
                continue;
            snprintf(info->ops[k].name, sizeof info->ops[k].name, "%s", name);
            info->ops[k].supported = op_supported(code, cname);
            info->n_op_kinds++;
        }
        info->ops[k].count++;
    }
    read_norm_metadata(&p, &root, &info->has_norm, info->norm_mean, info->norm_std);
    if (f->bad) {
        SET_ERR("malformed model: a table points outside the file");
        return SEG_ERR_BAD_MODEL;
    }
    return SEG_OK;
}

int nn_tflite_parse(nn_model *m, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    parse p;
    memset(&p, 0, sizeof p);
    p.f.buf = buf;
    p.f.len = len;
    p.m = m;
    p.err = err;
    p.errlen = errlen;
    int st = SEG_ERR_BAD_MODEL;
    fb_table root, sg;
    fb_vec sgs, vin, vout;

    if (len < 8 || memcmp(buf + 4, "TFL3", 4) != 0) {
        SET_ERR("not a TensorFlow Lite model (no TFL3 identifier)");
        goto end;
    }
    size_t rootpos;
    if (fb_deref(&p.f, 0, &rootpos) || fb_table_at(&p.f, rootpos, &root)) {
        SET_ERR("malformed model: bad root table");
        goto end;
    }
    fb_string(&p.f, &root, MODEL_DESCRIPTION, m->description, sizeof m->description);
    if (fb_vector(&p.f, &root, MODEL_BUFFERS, 4, &p.buffers) ||
        fb_vector(&p.f, &root, MODEL_SUBGRAPHS, 4, &sgs) ||
        sgs.n < 1 || fb_vec_table(&p.f, &sgs, 0, &sg)) {
        SET_ERR("malformed model: no readable subgraph");
        goto end;
    }
    if ((st = load_tensors(&p, &sg)))
        goto end;
    st = SEG_ERR_BAD_MODEL;
    if (fb_vector(&p.f, &sg, SUBGRAPH_INPUTS, 4, &vin) ||
        fb_vector(&p.f, &sg, SUBGRAPH_OUTPUTS, 4, &vout)) {
        SET_ERR("malformed model: bad input/output lists");
        goto end;
    }
    if (vin.n != 1 || vout.n < 1) {
        st = SEG_ERR_UNSUPPORTED;
        SET_ERR("unsupported: the model has %u inputs and %u outputs (1 input needed)",
                vin.n, vout.n);
        goto end;
    }
    m->input = fb_vec_i32(&p.f, &vin, 0);
    m->output = fb_vec_i32(&p.f, &vout, 0);
    if (check_tensor_index(&p, m->input, -1, "graph input") ||
        check_tensor_index(&p, m->output, -1, "graph output"))
        goto end;
    /* Every output (the first NN_MAX_OUTPUTS) is kept whole: no fusion
     * rewrites it and the arena never reuses its slot. */
    m->n_outputs = vout.n < NN_MAX_OUTPUTS ? (int)vout.n : NN_MAX_OUTPUTS;
    for (int k = 0; k < m->n_outputs; k++) {
        m->outputs[k] = fb_vec_i32(&p.f, &vout, (uint32_t)k);
        if (check_tensor_index(&p, m->outputs[k], -1, "graph output"))
            goto end;
        m->tensors[m->outputs[k]].is_output = 1;
    }
    {
        nn_tensor *x = &m->tensors[m->input];
        if (x->is_const || p.raw[m->input].type != TT_FLOAT32 || x->rank != 4 ||
            x->shape[0] != 1 || x->elems == 0) {
            st = SEG_ERR_UNSUPPORTED;
            if (p.raw[m->input].type == TT_INT8 || p.raw[m->input].type == TT_UINT8)
                SET_ERR("unsupported: the input is %s: integer-quantised models are not "
                        "supported (use the float model)", type_name(p.raw[m->input].type));
            else
                SET_ERR("unsupported: the input must be float32 [1,H,W,C], it is %s rank %d",
                        type_name(p.raw[m->input].type), x->rank);
            goto end;
        }
    }
    if ((st = load_operators(&p, &root, &sg)))
        goto end;
    read_norm_metadata(&p, &root, &m->has_norm, m->norm_mean, m->norm_std);
    if (m->tensors[m->output].first_def < 0) {
        st = SEG_ERR_BAD_MODEL;
        SET_ERR("malformed model: the output tensor is never computed");
        goto end;
    }
    if (p.raw[m->output].type != TT_FLOAT32 && !m->output_is_index) {
        st = SEG_ERR_UNSUPPORTED;
        SET_ERR("unsupported: the output is %s (float32 needed)", type_name(p.raw[m->output].type));
        goto end;
    }
    st = SEG_OK;
end:
    free(p.raw);
    return st;
}
