/* onnx_builder.c - see onnx_builder.h. */
#include "onnx_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct onnx_builder {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset, *opsets[1];
    void **allocs;
    size_t n_allocs, cap_allocs;
};

void *ob_alloc(onnx_builder *b, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        abort();
    if (b->n_allocs == b->cap_allocs) {
        b->cap_allocs = b->cap_allocs ? b->cap_allocs * 2 : 64;
        b->allocs = realloc(b->allocs, sizeof(void *) * b->cap_allocs);
        if (!b->allocs)
            abort();
    }
    b->allocs[b->n_allocs++] = p;
    return p;
}

char *ob_strdup(onnx_builder *b, const char *s)
{
    size_t n = strlen(s);
    char *d = ob_alloc(b, n + 1);
    memcpy(d, s, n);
    return d;
}

/* Append p to the array *arr of *n pointers (builder-owned, grown by copy). */
static void push(onnx_builder *b, void ***arr, size_t *n, void *p)
{
    void **grown = ob_alloc(b, sizeof(void *) * (*n + 1));
    if (*n)
        memcpy(grown, *arr, sizeof(void *) * *n);
    grown[(*n)++] = p;
    *arr = grown;
}

onnx_builder *ob_new(int opset)
{
    onnx_builder *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->model.has_ir_version = 1;
    b->model.ir_version = 8;
    b->model.producer_name = "segstream-tests";
    b->opset.domain = "";
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->graph.name = "g";
    b->model.graph = &b->graph;
    return b;
}

void ob_free(onnx_builder **pb)
{
    if (!pb || !*pb)
        return;
    onnx_builder *b = *pb;
    for (size_t k = 0; k < b->n_allocs; k++)
        free(b->allocs[k]);
    free(b->allocs);
    free(b);
    *pb = NULL;
}

static Onnx__ValueInfoProto *value_info(onnx_builder *b, const char *name, int elem_type,
                                        int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = ob_alloc(b, sizeof *vi);
    Onnx__TypeProto *tp = ob_alloc(b, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ob_alloc(b, sizeof *tt);
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    vi->name = ob_strdup(b, name);
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = elem_type;
    if (dims) {
        Onnx__TensorShapeProto *sh = ob_alloc(b, sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        sh->n_dim = (size_t)rank;
        sh->dim = ob_alloc(b, sizeof(void *) * (size_t)(rank ? rank : 1));
        for (int d = 0; d < rank; d++) {
            Onnx__TensorShapeProto__Dimension *dim = ob_alloc(b, sizeof *dim);
            onnx__tensor_shape_proto__dimension__init(dim);
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = dims[d];
            sh->dim[d] = dim;
        }
        tt->shape = sh;
    }
    return vi;
}

void ob_input(onnx_builder *b, const char *name, int rank, const int64_t *dims)
{
    push(b, (void ***)&b->graph.input, &b->graph.n_input, value_info(b, name, 1, rank, dims));
}

void ob_output(onnx_builder *b, const char *name, int elem_type)
{
    push(b, (void ***)&b->graph.output, &b->graph.n_output,
         value_info(b, name, elem_type, 0, NULL));
}

static Onnx__TensorProto *tensor(onnx_builder *b, const char *name, int rank,
                                 const int64_t *dims, const float *f, const int64_t *i)
{
    Onnx__TensorProto *t = ob_alloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = ob_strdup(b, name);
    t->n_dims = (size_t)rank;
    t->dims = ob_alloc(b, sizeof(int64_t) * (size_t)(rank ? rank : 1));
    size_t n = 1;
    for (int d = 0; d < rank; d++) {
        t->dims[d] = dims[d];
        n *= (size_t)dims[d];
    }
    t->has_data_type = 1;
    t->data_type = f ? 1 : 7;
    t->has_raw_data = 1;
    t->raw_data.len = n * (f ? 4 : 8);
    t->raw_data.data = ob_alloc(b, t->raw_data.len);
    memcpy(t->raw_data.data, f ? (const void *)f : (const void *)i, t->raw_data.len);
    return t;
}

void ob_init(onnx_builder *b, const char *name, int rank, const int64_t *dims, const float *data)
{
    push(b, (void ***)&b->graph.initializer, &b->graph.n_initializer,
         tensor(b, name, rank, dims, data, NULL));
}

void ob_init_i64(onnx_builder *b, const char *name, int rank, const int64_t *dims,
                 const int64_t *data)
{
    push(b, (void ***)&b->graph.initializer, &b->graph.n_initializer,
         tensor(b, name, rank, dims, NULL, data));
}

/* Split "a,b,,c" into builder-owned strings. */
static void split(onnx_builder *b, const char *list, char ***out, size_t *n)
{
    *n = 0;
    *out = NULL;
    if (!list || !*list)
        return;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *s = ob_alloc(b, len + 1);
        memcpy(s, p, len);
        push(b, (void ***)out, n, s);
        if (!e)
            break;
        p = e + 1;
    }
}

Onnx__NodeProto *ob_node(onnx_builder *b, const char *op, const char *inputs, const char *outputs)
{
    Onnx__NodeProto *n = ob_alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = ob_strdup(b, op);
    char name[64];
    snprintf(name, sizeof name, "%s_%zu", op, b->graph.n_node);
    n->name = ob_strdup(b, name);
    split(b, inputs, &n->input, &n->n_input);
    split(b, outputs, &n->output, &n->n_output);
    push(b, (void ***)&b->graph.node, &b->graph.n_node, n);
    return n;
}

static Onnx__AttributeProto *new_attr(onnx_builder *b, Onnx__NodeProto *n, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = ob_alloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = ob_strdup(b, name);
    a->has_type = 1;
    a->type = type;
    push(b, (void ***)&n->attribute, &n->n_attribute, a);
    return a;
}

void ob_attr_i(onnx_builder *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = new_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void ob_attr_f(onnx_builder *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = new_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void ob_attr_s(onnx_builder *b, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = new_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)ob_strdup(b, v);
}

void ob_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *name, int count,
                  const int64_t *v)
{
    Onnx__AttributeProto *a = new_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count;
    a->ints = ob_alloc(b, sizeof(int64_t) * (size_t)(count ? count : 1));
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
}

void ob_attr_floats(onnx_builder *b, Onnx__NodeProto *n, const char *name, int count,
                    const float *v)
{
    Onnx__AttributeProto *a = new_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = (size_t)count;
    a->floats = ob_alloc(b, sizeof(float) * (size_t)(count ? count : 1));
    memcpy(a->floats, v, sizeof(float) * (size_t)count);
}

void ob_attr_tensor(onnx_builder *b, Onnx__NodeProto *n, const char *name, int rank,
                    const int64_t *dims, const float *f, const int64_t *i)
{
    Onnx__AttributeProto *a = new_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = tensor(b, "", rank, dims, f, i);
}

Onnx__ModelProto *ob_model(onnx_builder *b) { return &b->model; }

uint8_t *ob_pack(onnx_builder *b, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        abort();
    onnx__model_proto__pack(&b->model, buf);
    return buf;
}
