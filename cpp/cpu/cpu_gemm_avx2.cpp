// cpp/cpu/cpu_gemm_avx2.cpp
// The own GEMM built for the avx2 level (32-byte registers; flags in CMakeLists.txt).
#define DOTCOMPUTE_GEMM_VECTOR_BYTES 32
#define DOTCOMPUTE_GEMM_KERNEL_TABLE gemm_kernels_avx2
#include "cpu_gemm_impl.hpp"
