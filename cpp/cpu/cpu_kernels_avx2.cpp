// cpp/cpu/cpu_kernels_avx2.cpp
// The built-in kernels for AVX2 CPUs with FMA and F16C (compiled with -mavx2 -mfma -mf16c).
#define DOTCOMPUTE_CPU_VECTOR_BYTES 32
#define DOTCOMPUTE_CPU_KERNEL_TABLE kernel_table_avx2
#include "cpu_kernels_impl.hpp"
