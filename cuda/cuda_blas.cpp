// cuda/cuda_blas.cpp
// dc.matmul on CUDA devices through cuBLAS (the ops table's matmul slot).
//
// Note [Row-major GEMM through cuBLAS]
// cuBLAS is column-major. A row-major m x k matrix is, read column-major, its k x m transpose,
// so out = a @ b (row-major) is out^T = b^T @ a^T (column-major): one call with the operands
// swapped and no transposes, m and n exchanged, leading dimensions n, k and n. Batches are the
// strided-batched form with strides k*n, m*k and m*n. Math mode stays cuBLAS's default (no TF32),
// so float32 results keep float32 accuracy, as numpy's and CuPy's do.
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "cuda_backend.hpp"
#include "cuda_math_libraries.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

/// One cuBLAS handle per (device, stream), used under its mutex. Per stream because a handle's
/// default workspace is shared by every call made with it: two streams running GEMMs through
/// one handle at once would both write it. A stream's handle goes when the stream does.
struct BlasHandle {
  std::mutex mutex;
  cublasHandle_t handle = nullptr;
};

using HandleKey = std::pair<int32_t, dc_stream>;
std::mutex handles_mutex;
std::map<HandleKey, std::unique_ptr<BlasHandle>> handles;

dc_status blas_check(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return DC_STATUS_OK;
  // 3: CUBLAS_STATUS_ALLOC_FAILED
  return fail(status == 3 ? DC_STATUS_OUT_OF_MEMORY : DC_STATUS_LAUNCH_FAILED,
              "%s failed with cublasStatus %d", what, status);
}

dc_status handle_for(const CublasApi& api, int32_t device, dc_stream stream, BlasHandle** out) {
  std::lock_guard<std::mutex> lock(handles_mutex);
  std::unique_ptr<BlasHandle>& slot = handles[HandleKey{device, stream}];
  if (!slot) {
    auto created = std::make_unique<BlasHandle>();
    if (dc_status status = blas_check(api.cublasCreate(&created->handle), "cublasCreate")) {
      return status;
    }
    slot = std::move(created);
  }
  *out = slot.get();
  return DC_STATUS_OK;
}

template <typename T, typename Gemm>
dc_status gemm(Gemm* function, cublasHandle_t handle, T one, T zero, CUdeviceptr a, CUdeviceptr b,
               CUdeviceptr out, uint64_t batch, uint64_t m, uint64_t n, uint64_t k) {
  const int rows = static_cast<int>(n), columns = static_cast<int>(m), inner = static_cast<int>(k);
  return blas_check(function(handle, CUBLAS_OP_N, CUBLAS_OP_N, rows, columns, inner, &one,
                             reinterpret_cast<const T*>(b), rows, static_cast<long long>(k * n),
                             reinterpret_cast<const T*>(a), inner, static_cast<long long>(m * k),
                             &zero, reinterpret_cast<T*>(out), rows, static_cast<long long>(m * n),
                             static_cast<int>(batch)),
                    "cuBLAS gemm");
}

dc_status run_gemm(const CublasApi& api, cublasHandle_t handle, dc_dtype dtype, CUdeviceptr a,
                   CUdeviceptr b, CUdeviceptr out, uint64_t batch, uint64_t m, uint64_t n,
                   uint64_t k) {
  switch (dtype) {
    case DC_DTYPE_FLOAT32:
      return gemm<float>(api.cublasSgemmStridedBatched, handle, 1.0f, 0.0f, a, b, out, batch, m, n,
                         k);
    case DC_DTYPE_FLOAT64:
      return gemm<double>(api.cublasDgemmStridedBatched, handle, 1.0, 0.0, a, b, out, batch, m, n,
                          k);
    case DC_DTYPE_COMPLEX64:
      return gemm<ComplexFloat>(api.cublasCgemmStridedBatched, handle, {1.0f, 0.0f}, {0.0f, 0.0f},
                                a, b, out, batch, m, n, k);
    default:
      return gemm<ComplexDouble>(api.cublasZgemmStridedBatched, handle, {1.0, 0.0}, {0.0, 0.0}, a,
                                 b, out, batch, m, n, k);
  }
}

}  // namespace

dc_status blas_matmul(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view a,
                      dc_buffer_view b, dc_buffer_view out, uint64_t batch, uint64_t m, uint64_t n,
                      uint64_t k) {
  if (dtype != DC_DTYPE_FLOAT32 && dtype != DC_DTYPE_FLOAT64 && dtype != DC_DTYPE_COMPLEX64 &&
      dtype != DC_DTYPE_COMPLEX128) {
    return fail(DC_STATUS_UNSUPPORTED, "cuBLAS matmul covers float32/64 and complex64/128");
  }
  for (uint64_t extent : {batch, m, n, k}) {
    if (extent > static_cast<uint64_t>(INT_MAX)) {
      return fail(DC_STATUS_UNSUPPORTED, "cuBLAS takes dimensions below 2^31");
    }
  }
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  std::string reason;
  const CublasApi* api = load_cublas(driver().driver_version / 1000, &reason);
  if (api == nullptr) return fail(DC_STATUS_UNSUPPORTED, "%s", reason.c_str());
  const size_t size = dtype_size(dtype);
  CUdeviceptr a_address = 0, b_address = 0, out_address = 0;
  if (dc_status status =
          view_elements(*state, a, batch * m * k, size, size, "matmul a", &a_address)) {
    return status;
  }
  if (dc_status status =
          view_elements(*state, b, batch * k * n, size, size, "matmul b", &b_address)) {
    return status;
  }
  if (dc_status status =
          view_elements(*state, out, batch * m * n, size, size, "matmul out", &out_address)) {
    return status;
  }
  if (batch == 0 || m == 0 || n == 0) return DC_STATUS_OK;
  if (k == 0) {  // an empty sum: zeros, which cuBLAS would refuse to compute with k = 0
    return check(driver().cuMemsetD8Async(out_address, 0, batch * m * n * size, queue),
                 "cuMemsetD8Async (matmul with k = 0)");
  }
  if (CudaStream* captured = capturing_stream(stream)) {
    // Note [Library calls in a capture]: one handle of the graph's own for its GEMMs, which the
    // graph runs in order.
    const RelaxedCaptureScope relaxed;  // cuBLAS may allocate its workspace on first use
    std::lock_guard<std::mutex> lock(handles_mutex);  // threads may share a capturing stream
    auto own = static_cast<cublasHandle_t>(captured->capture_blas);
    if (own == nullptr) {
      if (dc_status status = blas_check(api->cublasCreate(&own), "cublasCreate")) return status;
      captured->capture_releases.push_back([api, own] { api->cublasDestroy(own); });
      captured->capture_blas = own;
      if (dc_status status = blas_check(api->cublasSetStream(own, queue), "cublasSetStream")) {
        return status;
      }
    }
    return run_gemm(*api, own, dtype, a_address, b_address, out_address, batch, m, n, k);
  }
  BlasHandle* handle = nullptr;
  if (dc_status status = handle_for(*api, device, stream, &handle)) return status;
  std::lock_guard<std::mutex> lock(handle->mutex);
  if (dc_status status =
          blas_check(api->cublasSetStream(handle->handle, queue), "cublasSetStream")) {
    return status;
  }
  return run_gemm(*api, handle->handle, dtype, a_address, b_address, out_address, batch, m, n, k);
}

void release_blas(int32_t device, dc_stream stream, bool every_stream) noexcept {
  std::lock_guard<std::mutex> lock(handles_mutex);
  // A handle exists only after cuBLAS was loaded, so this returns the loaded library.
  const CublasApi* api = handles.empty() ? nullptr : load_cublas(0, nullptr);
  for (auto entry = handles.begin(); entry != handles.end();) {
    const HandleKey& key = entry->first;
    if (key.first == device && (every_stream || key.second == stream)) {
      // cublasDestroy waits for the device, so no queued GEMM still uses the workspace; not
      // during a capture (Note [Releases during a capture]).
      if (api != nullptr) {
        cublasHandle_t handle = entry->second->handle;
        release_outside_captures(device, [api, handle] { api->cublasDestroy(handle); });
      }
      entry = handles.erase(entry);
    } else {
      ++entry;
    }
  }
}

}  // namespace dotcompute::cuda
