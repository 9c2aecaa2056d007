// cpp/include/dotcompute/work_stream.hpp
// Which stream the core's own device work (built-ins, algorithm slots, copies, fills) runs on.
#pragma once

#include <memory>
#include <vector>

#include "dotcompute/backend_abi.h"
#include "dotcompute/errors.hpp"
#include "dotcompute/storage.hpp"

namespace dotcompute {

/// Note [Work on the current stream]
/// Built-in operations, algorithm slots, transfers and fills run on the thread's current stream
/// when it is on their device (`with stream:`), else on the device's default stream, as kernel
/// launches do. Everything written inside a `with stream:` block is then ordered as written, and
/// memory allocated there (tagged with the stream, Note [Stream-tagged blocks]) is only ever
/// written on that stream.
/// While the current stream is captured into a graph, three rules keep a replay equal to the
/// captured code. Algorithm slots run only where the plugin captures natively (CUDA's graph
/// table): a slot then submits work the graph can replay, or answers UNSUPPORTED and the
/// generated kernels run (they are captured everywhere); the graph keeps the slot's operands
/// alive as it does a launch's. Elementwise built-ins refuse: on backends whose graphs record
/// kernel launches they would run once now; the Python bindings run them as generated kernels
/// instead (BuiltinInCapture below). Transfers and fills run at once on the default
/// stream, which is then waited for: they make the arrays the captured work reads, as they would
/// before the capture.

/// What compute_stream raises inside a capture: an InvalidArgument error with advice, caught by
/// the bindings of the elementwise built-ins, which then launch generated kernels that the graph
/// records (Note [Built-ins in a capture] in python/dotcompute/algorithm_kernels/elementwise.py).
class BuiltinInCapture : public Error {
 public:
  using Error::Error;
};

/// The stream for a compute operation on storage's device: the current stream's handle, or
/// nullptr for the default stream. Raises BuiltinInCapture, naming operation, when the current
/// stream is being captured.
dc_stream compute_stream(const Storage& storage, const char* operation);

/// Whether the current stream on storage's device is being captured into a graph.
bool capture_active(const Storage& storage) noexcept;

/// For an algorithm slot: whether it may run now (no capture, or a capture by the plugin's own
/// graph table), and the stream it runs on.
bool slot_may_run(const Storage& storage) noexcept;
dc_stream slot_stream(const Storage& storage) noexcept;

/// After a slot ran in a capture: the capturing graph keeps storages alive, since its replays
/// read and write them. Nothing outside a capture.
void keep_for_capture(const Storage& storage, std::vector<std::shared_ptr<Storage>> storages);

/// The stream for a transfer or fill on storage's device. eager is set when the current stream
/// is being captured: the work then goes to the default stream, and the caller finishes it with
/// finish_eager before returning.
dc_stream transfer_stream(const Storage& storage, bool* eager);

/// Waits for the default stream of storage's device after work transfer_stream made eager.
void finish_eager(const Storage& storage);

}  // namespace dotcompute
