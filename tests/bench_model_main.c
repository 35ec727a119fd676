/* bench_model: standalone front end of seg_bench_model_main(). */
#include "seg.h"

int main(int argc, char **argv)
{
    return seg_bench_model_main(argc, argv);
}
