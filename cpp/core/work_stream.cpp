// cpp/core/work_stream.cpp
// The stream of the core's own device work (Note [Work on the current stream]).
#include "dotcompute/work_stream.hpp"

#include <string>
#include <utility>

#include "dotcompute/errors.hpp"
#include "dotcompute/stream.hpp"

namespace dotcompute {

namespace {

const Stream* current_on(const Storage& storage) noexcept {
  return current_stream_for(storage.plugin(), storage.device());
}

}  // namespace

bool capture_active(const Storage& storage) noexcept {
  const Stream* stream = current_on(storage);
  return stream != nullptr && stream->capturing() != nullptr;
}

bool slot_may_run(const Storage& storage) noexcept {
  return !capture_active(storage) || storage.plugin().iface_unchecked().graph != nullptr;
}

dc_stream slot_stream(const Storage& storage) noexcept {
  const Stream* stream = current_on(storage);
  return stream == nullptr ? nullptr : stream->handle();
}

void keep_for_capture(const Storage& storage, std::vector<std::shared_ptr<Storage>> storages) {
  const Stream* stream = current_on(storage);
  if (stream == nullptr) return;
  if (std::shared_ptr<Graph> graph = stream->capturing()) graph->keep_alive(std::move(storages));
}

dc_stream compute_stream(const Storage& storage, const char* operation) {
  const Stream* stream = current_on(storage);
  if (stream == nullptr) return nullptr;
  if (stream->capturing() != nullptr) {
    throw BuiltinInCapture(
        ErrorKind::InvalidArgument,
        std::string(operation) +
            " cannot be captured into a graph: a graph holds kernel launches, and this "
            "built-in is not one. Run it before or after the dc.capture block, or write the "
            "step as a kernel (the algorithms dc.matmul, dc.fft, dc.sum, ... are captured "
            "through their generated kernels)");
  }
  return stream->handle();
}

dc_stream transfer_stream(const Storage& storage, bool* eager) {
  const Stream* stream = current_on(storage);
  *eager = stream != nullptr && stream->capturing() != nullptr;
  return stream == nullptr || *eager ? nullptr : stream->handle();
}

void finish_eager(const Storage& storage) {
  Plugin& plugin = storage.plugin();
  plugin.check(plugin.iface_unchecked().stream->synchronize(storage.device(), nullptr),
               "finish a transfer made during a graph capture");
}

}  // namespace dotcompute
