// cpp/include/dotcompute/staged_transfer.hpp
// Large transfers between pageable host memory and device memory through pinned staging buffers.
#pragma once

#include <cstdint>

#include "dotcompute/backend_abi.h"
#include "dotcompute/plugin.hpp"

namespace dotcompute {

/// Copies bytes from pageable host memory into a device view through the plugin's pinned pool
/// (Note [Staged transfers]). Returns false, having done nothing, when staging does not apply
/// (small transfers, a plugin without page-locked memory, a source that is pinned already); the
/// caller then copies directly. The chunks go on stream (nullptr: the default stream), which is
/// waited for: returns when the caller may reuse `source` and the bytes are on the device.
bool staged_copy_from_host(Plugin& plugin, int device, dc_stream stream, dc_buffer_view destination,
                           const void* source, uint64_t bytes);

/// The other direction, after the work queued on stream; returns when `destination` holds the
/// bytes.
bool staged_copy_to_host(Plugin& plugin, int device, dc_stream stream, void* destination,
                         dc_buffer_view source, uint64_t bytes);

}  // namespace dotcompute
