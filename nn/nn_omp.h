/* nn_omp.h - OpenMP's header when OpenMP is on (SEG_OPENMP=ON); without it
 * (the ThreadSanitizer build) the graph runs every node on one thread. */
#ifndef NN_OMP_H
#define NN_OMP_H

#ifdef _OPENMP
#include <omp.h>
#endif

#endif
