// cpp/cpu/cpu_kernels_avx512.cpp
// The built-in kernels for AVX-512 F/BW/DQ/VL CPUs (compiled with -mavx512f -mavx512bw -mavx512dq
// -mavx512vl).
#define DOTCOMPUTE_CPU_VECTOR_BYTES 64
#define DOTCOMPUTE_CPU_KERNEL_TABLE kernel_table_avx512
#include "cpu_kernels_impl.hpp"
