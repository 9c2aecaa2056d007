// cpp/cpu/cpu_gemm_scalar.cpp
// The own GEMM built for the scalar level (16-byte registers; flags in CMakeLists.txt).
#define DOTCOMPUTE_GEMM_VECTOR_BYTES 16
#define DOTCOMPUTE_GEMM_KERNEL_TABLE gemm_kernels_scalar
#include "cpu_gemm_impl.hpp"
