// cuda/cuda_math_libraries.hpp
// cuBLAS and cuFFT, opened at run time (like NVRTC) for dc.matmul and dc.fft on CUDA devices.
#pragma once

#include <string>

#include "cuda_declarations.hpp"
#include "dotcompute/backend_abi.h"

namespace dotcompute::cuda {

// The few cuBLAS and cuFFT declarations the plugin needs (cublas_api.h / cufft.h, CUDA 12).
using cublasHandle_t = struct cublasContext*;
using cublasStatus_t = int;
using cufftHandle = int;
using cufftResult = int;

constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
constexpr int CUBLAS_OP_N = 0;
constexpr cufftResult CUFFT_SUCCESS = 0;
constexpr int CUFFT_C2C = 0x29;
constexpr int CUFFT_Z2Z = 0x69;
constexpr int CUFFT_FORWARD = -1;
constexpr int CUFFT_INVERSE = 1;

struct ComplexFloat {
  float re, im;
};
struct ComplexDouble {
  double re, im;
};

using cublasCreate_signature = cublasStatus_t(cublasHandle_t* handle);
using cublasDestroy_signature = cublasStatus_t(cublasHandle_t handle);
using cublasSetStream_signature = cublasStatus_t(cublasHandle_t handle, CUstream stream);
#define DOTCOMPUTE_CUBLAS_GEMM_SIGNATURE(T)                                                    \
  cublasStatus_t(cublasHandle_t handle, int transa, int transb, int m, int n, int k,           \
                 const T* alpha, const T* a, int lda, long long stride_a, const T* b, int ldb, \
                 long long stride_b, const T* beta, T* c, int ldc, long long stride_c, int batch)
using cublasSgemmStridedBatched_signature = DOTCOMPUTE_CUBLAS_GEMM_SIGNATURE(float);
using cublasDgemmStridedBatched_signature = DOTCOMPUTE_CUBLAS_GEMM_SIGNATURE(double);
using cublasCgemmStridedBatched_signature = DOTCOMPUTE_CUBLAS_GEMM_SIGNATURE(ComplexFloat);
using cublasZgemmStridedBatched_signature = DOTCOMPUTE_CUBLAS_GEMM_SIGNATURE(ComplexDouble);
#undef DOTCOMPUTE_CUBLAS_GEMM_SIGNATURE

using cufftPlan1d_signature = cufftResult(cufftHandle* plan, int nx, int type, int batch);
using cufftSetStream_signature = cufftResult(cufftHandle plan, CUstream stream);
using cufftExecC2C_signature = cufftResult(cufftHandle plan, void* input, void* output,
                                           int direction);
using cufftExecZ2Z_signature = cufftResult(cufftHandle plan, void* input, void* output,
                                           int direction);
using cufftDestroy_signature = cufftResult(cufftHandle plan);

/// Entry points by exported name (cuBLAS v2 names carry a _v2 suffix).
#define DOTCOMPUTE_CUBLAS_ENTRIES(_)                        \
  _(cublasCreate, "cublasCreate_v2")                        \
  _(cublasDestroy, "cublasDestroy_v2")                      \
  _(cublasSetStream, "cublasSetStream_v2")                  \
  _(cublasSgemmStridedBatched, "cublasSgemmStridedBatched") \
  _(cublasDgemmStridedBatched, "cublasDgemmStridedBatched") \
  _(cublasCgemmStridedBatched, "cublasCgemmStridedBatched") \
  _(cublasZgemmStridedBatched, "cublasZgemmStridedBatched")

#define DOTCOMPUTE_CUFFT_ENTRIES(_)   \
  _(cufftPlan1d, "cufftPlan1d")       \
  _(cufftSetStream, "cufftSetStream") \
  _(cufftExecC2C, "cufftExecC2C")     \
  _(cufftExecZ2Z, "cufftExecZ2Z")     \
  _(cufftDestroy, "cufftDestroy")

struct CublasApi {
#define DOTCOMPUTE_DECLARE(name, symbol) name##_signature* name = nullptr;
  DOTCOMPUTE_CUBLAS_ENTRIES(DOTCOMPUTE_DECLARE)
#undef DOTCOMPUTE_DECLARE
  std::string path;
};

struct CufftApi {
#define DOTCOMPUTE_DECLARE(name, symbol) name##_signature* name = nullptr;
  DOTCOMPUTE_CUFFT_ENTRIES(DOTCOMPUTE_DECLARE)
#undef DOTCOMPUTE_DECLARE
  std::string path;
};

/// Opened once per process on first use (Note [Finding CUDA libraries]; DOTCOMPUTE_CUBLAS or
/// DOTCOMPUTE_CUFFT name a file outright). nullptr and *reason when absent.
const CublasApi* load_cublas(int preferred_major, std::string* reason);
const CufftApi* load_cufft(int preferred_major, std::string* reason);
/// The file that was opened, or "" when the library is not loaded (for capabilities).
std::string loaded_cublas_path();
std::string loaded_cufft_path();

/// The ops-table slots (cuda_blas.cpp, cuda_fft.cpp). They return DC_STATUS_UNSUPPORTED when
/// the library is missing or the case is one it does not cover, and the core falls back to its
/// own kernels.
dc_status blas_matmul(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view a,
                      dc_buffer_view b, dc_buffer_view out, uint64_t batch, uint64_t m, uint64_t n,
                      uint64_t k);
dc_status fft_transform(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                        dc_buffer_view out, uint64_t batch, uint64_t n, int32_t inverse);

}  // namespace dotcompute::cuda
