/* fuzz_model_load.c - nn_model_load() on arbitrary bytes.
 *
 * The loader must accept a well-formed float model or refuse anything else
 * with a status and a message, reading nothing outside the buffer (it gets
 * an exact-size copy, so ASan sees a read one byte past the end) and
 * allocating within the documented caps (nn.h). Whatever loads is
 * described through every accessor, then freed. Seeds: corpus/model, made
 * by make_seeds.c (tflite_builder) and make_corpus.sh. */
#include <string.h>

#include "fuzz.h"
#include "nn.h"

/* How many inputs loaded, printed at exit. */
static long n_inputs, n_loaded;

static void print_counts(void)
{
    fprintf(stderr, "fuzz_model_load: %ld inputs, %ld loaded\n", n_inputs, n_loaded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    memset(err, 'x', sizeof err);
    nn_model *m = NULL;
    if (n_inputs++ == 0)
        atexit(print_counts);
    int st = nn_model_load(&m, data, size, err, sizeof err);
    if (st != SEG_OK) {
        HARNESS_CHECK(memchr(err, '\0', sizeof err) != NULL); /* terminated, in bounds */
        HARNESS_CHECK(st < 0 && st >= SEG_STATUS_MIN);
        HARNESS_CHECK(m == NULL);
        HARNESS_CHECK(err[0] != '\0');
        return 0;
    }
    HARNESS_CHECK(m != NULL);
    n_loaded++;
    nn_shape in = nn_model_input_shape(m), out = nn_model_output_shape(m);
    HARNESS_CHECK(in.n == 1 && in.h > 0 && in.w > 0 && in.c > 0);
    HARNESS_CHECK(out.n > 0 && out.h > 0 && out.w > 0 && out.c > 0);
    HARNESS_CHECK(nn_model_input(m) != NULL && nn_model_output(m) != NULL);
    HARNESS_CHECK(((uintptr_t)nn_model_input(m) & 63u) == 0);
    size_t names = strlen(nn_model_description(m));
    int nodes = nn_model_node_count(m);
    HARNESS_CHECK(nodes >= 1);
    for (int k = -1; k <= nodes; k++) /* out of range included: "?" / 0 */
        names += strlen(nn_model_node_op_name(m, k)) + strlen(nn_model_node_name(m, k)) +
                 (size_t)(nn_model_node_macs(m, k) & 1u);
    (void)nn_model_macs(m);
    (void)names;
    nn_model_free(&m);
    HARNESS_CHECK(m == NULL);
    return 0;
}
