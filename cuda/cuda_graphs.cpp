// cuda/cuda_graphs.cpp
// Graph capture and replay: stream capture into a CUgraph, instantiated once, launched per
// replay. Drivers without the graph entry points report the layer as unsupported.
#include <new>

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
};

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
  return check(driver().cuStreamBeginCapture(handle, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
               "cuStreamBeginCapture");
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
  CUgraph graph = nullptr;
  if (dc_status status = check(api.cuStreamEndCapture(handle, &graph), "cuStreamEndCapture")) {
    return status;
  }
  CUgraphExec executable = nullptr;
  if (dc_status status = check(api.cuGraphInstantiateWithFlags(&executable, graph, 0),
                               "cuGraphInstantiateWithFlags")) {
    api.cuGraphDestroy(graph);
    return status;
  }
  auto* result = new (std::nothrow) CudaGraph{kGraphTag, device, graph, executable};
  if (result == nullptr) {
    api.cuGraphExecDestroy(executable);
    api.cuGraphDestroy(graph);
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
  const DriverApi& api = driver();
  const dc_status status = check(api.cuGraphExecDestroy(header->executable), "cuGraphExecDestroy");
  api.cuGraphDestroy(header->graph);
  header->tag = kDestroyedTag;
  delete header;
  return status;
}

}  // namespace

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
