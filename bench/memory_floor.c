/* bench/memory_floor.c
 * The machine's floor for reading an array once: a plain OpenMP sum with no accuracy work
 * (-ffast-math lets the compiler keep as many vector accumulators as it likes), timed by
 * bench/memory_floor.py. Built there with -O3 -march=native -ffast-math -fopenmp. */
#include <omp.h>
#include <stddef.h>

float floor_sum(const float* values, long count, int threads) {
  float total = 0.0f;
#pragma omp parallel for simd reduction(+ : total) num_threads(threads) schedule(static)
  for (long i = 0; i < count; ++i) total += values[i];
  return total;
}
