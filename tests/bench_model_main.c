/* bench_model: standalone front end of cli_bench_model_main() (the same
 * code as `segstream --bench-model`, linked with the engine only). */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_bench_model_main(argc, argv);
}
