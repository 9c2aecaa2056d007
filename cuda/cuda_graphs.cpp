// cuda/cuda_graphs.cpp
// Graph capture and replay: stream capture into a CUgraph, instantiated once, launched per
// replay. Drivers without the graph entry points report the layer as unsupported.
#include <functional>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "cuda_backend.hpp"

namespace dotcompute::cuda {
namespace {

constexpr uint64_t kGraphTag = 0x64632d6375646167ULL;  // "dc-cudag"
constexpr uint64_t kDestroyedTag = 0x64632d6375646164ULL;

struct CudaGraph {
  uint64_t tag;
  int32_t device;
  CUgraph graph;
  CUgraphExec executable;
  std::vector<std::function<void()>> releases;  ///< Note [Library calls in a capture]
};

/// Ends the capture state of stream's header and returns what its library calls made.
std::vector<std::function<void()>> take_capture_releases(dc_stream stream) {
  CudaStream* header = capturing_stream(stream);
  if (header == nullptr) return {};
  header->capturing = false;
  header->capture_blas = nullptr;  // released with the rest
  return std::exchange(header->capture_releases, {});
}

void run_releases(int32_t device, std::vector<std::function<void()>> releases) {
  for (auto& release : releases) release_outside_captures(device, std::move(release));
}

/// Note [Releases during a capture]: captures in progress and the releases waiting for them.
std::mutex captures_mutex;
int captures_in_progress = 0;
struct DeferredRelease {
  int32_t device;
  std::function<void()> release;
};
std::vector<DeferredRelease> deferred_releases;

/// Runs deferred releases with their device's context current (they run at the end of a
/// capture, which may be another device's).
void run_deferred(const std::vector<DeferredRelease>& due) {
  for (const DeferredRelease& entry : due) {
    DeviceState* state = nullptr;
    if (activate(entry.device, &state) == DC_STATUS_OK) entry.release();
  }
}

void capture_started() {
  std::lock_guard<std::mutex> lock(captures_mutex);
  ++captures_in_progress;
}

void capture_ended() {
  std::vector<DeferredRelease> due;
  {
    std::lock_guard<std::mutex> lock(captures_mutex);
    if (--captures_in_progress > 0) return;
    due.swap(deferred_releases);
  }
  run_deferred(due);
}

dc_status require_graphs() {
  const DriverApi& api = driver();
  if (api.cuStreamBeginCapture == nullptr || api.cuStreamEndCapture == nullptr ||
      api.cuGraphInstantiateWithFlags == nullptr || api.cuGraphLaunch == nullptr ||
      api.cuGraphExecDestroy == nullptr || api.cuGraphDestroy == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED,
                "this NVIDIA driver has no CUDA graph support (CUDA 11.4 or newer needed)");
  }
  return DC_STATUS_OK;
}

dc_status check_graph(const DeviceState& state, dc_graph graph, const char* what) {
  if (graph == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: graph is NULL", what);
  const auto* header = reinterpret_cast<const CudaGraph*>(graph);
  if (header->tag != kGraphTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live cuda graph", what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the graph belongs to cuda:%d", what,
                static_cast<int>(header->device));
  }
  return DC_STATUS_OK;
}

dc_status begin_capture(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = require_graphs()) return status;
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  // Thread-local mode: other threads may keep using CUDA while this one captures.
  if (dc_status status =
          check(driver().cuStreamBeginCapture(handle, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture")) {
    return status;
  }
  if (stream != nullptr) reinterpret_cast<CudaStream*>(stream)->capturing = true;
  capture_started();
  return DC_STATUS_OK;
}

dc_status end_capture(int32_t device, dc_stream stream, dc_graph* out_graph) {
  if (out_graph == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_graph is NULL");
  *out_graph = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = require_graphs()) return status;
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  const DriverApi& api = driver();
  std::vector<std::function<void()>> releases = take_capture_releases(stream);
  CUgraph graph = nullptr;
  const dc_status ended = check(api.cuStreamEndCapture(handle, &graph), "cuStreamEndCapture");
  capture_ended();
  if (ended != DC_STATUS_OK) {
    run_releases(device, std::move(releases));
    return ended;
  }
  CUgraphExec executable = nullptr;
  if (dc_status status = check(api.cuGraphInstantiateWithFlags(&executable, graph, 0),
                               "cuGraphInstantiateWithFlags")) {
    api.cuGraphDestroy(graph);
    run_releases(device, std::move(releases));
    return status;
  }
  auto* result =
      new (std::nothrow) CudaGraph{kGraphTag, device, graph, executable, std::move(releases)};
  if (result == nullptr) {
    api.cuGraphExecDestroy(executable);
    api.cuGraphDestroy(graph);
    run_releases(device, std::move(releases));
    return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  }
  *out_graph = reinterpret_cast<dc_graph>(result);
  return DC_STATUS_OK;
}

dc_status launch(int32_t device, dc_graph graph, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_graph(*state, graph, "graph launch")) return status;
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  return check(driver().cuGraphLaunch(reinterpret_cast<CudaGraph*>(graph)->executable, handle),
               "cuGraphLaunch");
}

dc_status destroy(int32_t device, dc_graph graph) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_graph(*state, graph, "graph destroy")) return status;
  auto* header = reinterpret_cast<CudaGraph*>(graph);
  // Destroying an executable graph invalidates a capture in progress like a wait does, and the
  // library objects' destroy calls wait for replays in flight: all of it after the captures
  // (Note [Releases during a capture]).
  release_outside_captures(device, [executable = header->executable, cuda_graph = header->graph] {
    driver().cuGraphExecDestroy(executable);
    driver().cuGraphDestroy(cuda_graph);
  });
  run_releases(device, std::move(header->releases));
  header->tag = kDestroyedTag;
  delete header;
  return DC_STATUS_OK;
}

}  // namespace

void release_outside_captures(int32_t device, std::function<void()> release) noexcept {
  {
    std::lock_guard<std::mutex> lock(captures_mutex);
    if (captures_in_progress > 0) {
      deferred_releases.push_back(DeferredRelease{device, std::move(release)});
      return;
    }
  }
  release();
}

void run_deferred_releases() noexcept {
  std::vector<DeferredRelease> due;
  {
    std::lock_guard<std::mutex> lock(captures_mutex);
    due.swap(deferred_releases);
  }
  run_deferred(due);
}

RelaxedCaptureScope::RelaxedCaptureScope() noexcept {
  const DriverApi& api = driver();
  if (api.cuThreadExchangeStreamCaptureMode == nullptr) return;
  previous_ = CU_STREAM_CAPTURE_MODE_RELAXED;
  exchanged_ = api.cuThreadExchangeStreamCaptureMode(&previous_) == CUDA_SUCCESS;
}

RelaxedCaptureScope::~RelaxedCaptureScope() {
  if (exchanged_) driver().cuThreadExchangeStreamCaptureMode(&previous_);
}

const dc_graph_iface graph_iface = {sizeof(dc_graph_iface), begin_capture, end_capture, launch,
                                    destroy};

}  // namespace dotcompute::cuda
