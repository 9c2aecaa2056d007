// cpp/cpu/cpu_kernels_sse4.cpp
// The built-in kernels for SSE4.2 CPUs (compiled with -msse4.2).
#define DOTCOMPUTE_CPU_VECTOR_BYTES 16
#define DOTCOMPUTE_CPU_KERNEL_TABLE kernel_table_sse4
#include "cpu_kernels_impl.hpp"
