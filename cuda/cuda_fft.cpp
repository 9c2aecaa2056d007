// cuda/cuda_fft.cpp
// dc.fft / dc.ifft on CUDA devices through cuFFT (the ops table's fft slot).
//
// Plans are expensive to make (milliseconds: cuFFT picks kernels and allocates a work area), so
// they are cached per (device, stream, length, batch, type) and reused under the cache's lock.
// Per stream because a plan's work area is shared by its executions: one plan running on two
// streams at once would have both write it. A stream's plans go when the stream does. cuFFT's
// inverse is unnormalized; the slot's contract is numpy's ifft, so the result is scaled by 1/n with
// a built-in kernel afterwards.
#include <climits>
#include <map>
#include <mutex>
#include <tuple>

#include "cuda_backend.hpp"
#include "cuda_math_libraries.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

/// Plans kept at most; the cache is emptied when it is full (plans are cheap to remake relative
/// to how rarely a program cycles through this many shapes).
constexpr size_t kMaxPlans = 32;

using PlanKey = std::tuple<int32_t, dc_stream, uint64_t, uint64_t, int>;  // device, stream, n, ...
std::mutex plans_mutex;
std::map<PlanKey, cufftHandle> plans;

dc_status fft_check(cufftResult result, const char* what) {
  if (result == CUFFT_SUCCESS) return DC_STATUS_OK;
  // 2: CUFFT_ALLOC_FAILED
  return fail(result == 2 ? DC_STATUS_OUT_OF_MEMORY : DC_STATUS_LAUNCH_FAILED,
              "%s failed with cufftResult %d", what, result);
}

/// Destroys the plans of device (every device when device < 0) and of stream unless
/// every_stream; cufftDestroy frees the work area, which waits for the device.
void destroy_plans_locked(const CufftApi& api, int32_t device, dc_stream stream,
                          bool every_stream) {
  for (auto entry = plans.begin(); entry != plans.end();) {
    const bool on_device = device < 0 || std::get<0>(entry->first) == device;
    if (on_device && (every_stream || std::get<1>(entry->first) == stream)) {
      const cufftHandle plan = entry->second;
      const CufftApi* library = &api;
      release_outside_captures(std::get<0>(entry->first),
                               [library, plan] { library->cufftDestroy(plan); });
      entry = plans.erase(entry);
    } else {
      ++entry;
    }
  }
}

/// The cached plan; call with plans_mutex held.
dc_status plan_for(const CufftApi& api, int32_t device, dc_stream stream, uint64_t n,
                   uint64_t batch, int type, cufftHandle* out) {
  const PlanKey key{device, stream, n, batch, type};
  auto found = plans.find(key);
  if (found != plans.end()) {
    *out = found->second;
    return DC_STATUS_OK;
  }
  if (plans.size() >= kMaxPlans) destroy_plans_locked(api, -1, nullptr, true);
  cufftHandle plan = 0;
  if (dc_status status =
          fft_check(api.cufftPlan1d(&plan, static_cast<int>(n), type, static_cast<int>(batch)),
                    "cufftPlan1d")) {
    return status;
  }
  plans.emplace(key, plan);
  *out = plan;
  return DC_STATUS_OK;
}

dc_status execute(const CufftApi& api, cufftHandle plan, CUstream queue, int type,
                  CUdeviceptr input, CUdeviceptr output, int direction) {
  if (dc_status status = fft_check(api.cufftSetStream(plan, queue), "cufftSetStream")) {
    return status;
  }
  void* source = reinterpret_cast<void*>(input);
  void* target = reinterpret_cast<void*>(output);
  const cufftResult result = type == CUFFT_C2C ? api.cufftExecC2C(plan, source, target, direction)
                                               : api.cufftExecZ2Z(plan, source, target, direction);
  return fft_check(result, "cufftExec");
}

}  // namespace

dc_status fft_transform(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                        dc_buffer_view out, uint64_t batch, uint64_t n, int32_t inverse) {
  if (dtype != DC_DTYPE_COMPLEX64 && dtype != DC_DTYPE_COMPLEX128) {
    return fail(DC_STATUS_UNSUPPORTED, "cuFFT transforms complex64 and complex128");
  }
  if (n > static_cast<uint64_t>(INT_MAX) || batch > static_cast<uint64_t>(INT_MAX) ||
      n * batch > static_cast<uint64_t>(INT_MAX)) {
    return fail(DC_STATUS_UNSUPPORTED, "cuFFT's simple plans take fewer than 2^31 elements");
  }
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  std::string reason;
  const CufftApi* api = load_cufft(driver().driver_version / 1000, &reason);
  if (api == nullptr) return fail(DC_STATUS_UNSUPPORTED, "%s", reason.c_str());
  const size_t size = dtype_size(dtype);
  CUdeviceptr in_address = 0, out_address = 0;
  if (dc_status status =
          view_elements(*state, input, batch * n, size, size, "fft input", &in_address)) {
    return status;
  }
  if (dc_status status =
          view_elements(*state, out, batch * n, size, size, "fft output", &out_address)) {
    return status;
  }
  if (n == 0 || batch == 0) return DC_STATUS_OK;
  const int type = dtype == DC_DTYPE_COMPLEX64 ? CUFFT_C2C : CUFFT_Z2Z;
  const int direction = inverse != 0 ? CUFFT_INVERSE : CUFFT_FORWARD;
  if (CudaStream* captured = capturing_stream(stream)) {
    // Note [Library calls in a capture]: a plan (and work area) of the graph's own.
    const RelaxedCaptureScope relaxed;
    std::lock_guard<std::mutex> lock(plans_mutex);  // threads may share a capturing stream
    cufftHandle plan = 0;
    if (dc_status status =
            fft_check(api->cufftPlan1d(&plan, static_cast<int>(n), type, static_cast<int>(batch)),
                      "cufftPlan1d")) {
      return status;
    }
    captured->capture_releases.push_back([api, plan] { api->cufftDestroy(plan); });
    if (dc_status status = execute(*api, plan, queue, type, in_address, out_address, direction)) {
      return status;
    }
  } else {
    std::lock_guard<std::mutex> lock(plans_mutex);
    cufftHandle plan = 0;
    if (dc_status status = plan_for(*api, device, stream, n, batch, type, &plan)) return status;
    if (dc_status status = execute(*api, plan, queue, type, in_address, out_address, direction)) {
      return status;
    }
  }
  if (inverse == 0) return DC_STATUS_OK;
  return scale_in_place(*state, queue, dtype, out_address, batch * n, 1.0 / static_cast<double>(n));
}

void release_fft(int32_t device, dc_stream stream, bool every_stream) noexcept {
  std::lock_guard<std::mutex> lock(plans_mutex);
  if (plans.empty()) return;
  // Plans exist only after cuFFT was loaded, so this returns the loaded library.
  if (const CufftApi* api = load_cufft(0, nullptr)) {
    destroy_plans_locked(*api, device, stream, every_stream);
  }
}

}  // namespace dotcompute::cuda
