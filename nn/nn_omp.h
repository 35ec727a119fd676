/* nn_omp.h - OpenMP helpers that vanish when OpenMP is off (SEG_OPENMP=OFF,
 * the ThreadSanitizer build): kernels stay correct single-threaded. */
#ifndef NN_OMP_H
#define NN_OMP_H

#ifdef _OPENMP
#include <omp.h>
/* Splits the following for loop over a team of `nt` threads (a local
 * variable every caller declares: the pragma cannot take a macro argument). */
#define NN_OMP_FOR _Pragma("omp parallel for num_threads(nt) schedule(static)")
#else
#define NN_OMP_FOR
#endif

/** Team size for @p work units of roughly @p unit_cost flops each: tiny ops
 *  run on one thread, since waking a team costs more than they do. */
static inline int nn_team(int threads, double work)
{
    if (threads <= 1 || work < 20000.0)
        return 1;
    return threads;
}

#endif
