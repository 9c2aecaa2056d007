// cpp/cpu/cpu_gemm_avx512.cpp
// The own GEMM built for the avx512 level (64-byte registers; flags in CMakeLists.txt).
#define DOTCOMPUTE_GEMM_VECTOR_BYTES 64
#define DOTCOMPUTE_GEMM_KERNEL_TABLE gemm_kernels_avx512
#include "cpu_gemm_impl.hpp"
