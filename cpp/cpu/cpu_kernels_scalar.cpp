// cpp/cpu/cpu_kernels_scalar.cpp
// The built-in kernels for the baseline of the target (SSE2 on x86-64, NEON on aarch64): every CPU
// of the architecture runs it.
#define DOTCOMPUTE_CPU_VECTOR_BYTES 16
#define DOTCOMPUTE_CPU_KERNEL_TABLE kernel_table_scalar
#include "cpu_kernels_impl.hpp"
