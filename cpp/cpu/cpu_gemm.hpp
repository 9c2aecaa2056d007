// cpp/cpu/cpu_gemm.hpp
// The CPU plugin's own GEMM (cpu_gemm_impl.hpp, one build per instruction set), used by the
// matmul slot when no BLAS library is found (cpu_matmul.cpp).
#pragma once

#include <cstdint>

#include "dotcompute/thread_pool.hpp"

namespace dotcompute::cpu {

/// c = a @ b for row-major a [m, k], b [k, n], c [m, n], over pool (may be null).
template <typename T>
using GemmKernel = void (*)(const T* a, const T* b, T* c, uint64_t m, uint64_t n, uint64_t k,
                            ThreadPool* pool);

struct GemmKernelTable {
  GemmKernel<float> f32;
  GemmKernel<double> f64;
};

const GemmKernelTable& gemm_kernels_scalar() noexcept;
#if defined(__x86_64__)
const GemmKernelTable& gemm_kernels_avx2() noexcept;
const GemmKernelTable& gemm_kernels_avx512() noexcept;
#endif

}  // namespace dotcompute::cpu
