// metal/metal_launch.hpp
// The plain C++ half of a launch: packing scalar arguments into the kernel's argument struct
// and choosing threadgroup sizes (metal_launch.cpp); metal_library.mm encodes the result.
#pragma once

#include <cstdint>
#include <vector>

#include "dotcompute/backend_abi.h"

namespace dotcompute::metal {

/// Appends every scalar argument to bytes at an offset that is a multiple of its size, the
/// layout of the generated `struct <kernel>_arguments` (Note [Metal arguments] in
/// codegen_msl.py), and pads the end to the struct's alignment. Fails (message set) for an
/// argument that is neither a buffer nor a scalar of 1, 2, 4 or 8 bytes.
dc_status pack_scalar_arguments(const char* kernel, const dc_kernel_arg* args, uint32_t count,
                                std::vector<uint8_t>* bytes) noexcept;

/// Threadgroup size and count of a launch (Note [Threadgroups] in metal_launch.cpp): the
/// caller's local size, or one chosen for the pipeline; groups round the global size up.
struct Threadgroups {
  uint64_t size[3] = {1, 1, 1};
  uint64_t count[3] = {1, 1, 1};
};

/// Fills *out for config; max_total is the pipeline's maxTotalThreadsPerThreadgroup and
/// max_per_dimension the device's maxThreadsPerThreadgroup. Fails (message set) for a local
/// size the pipeline cannot run.
dc_status choose_threadgroups(const char* kernel, const dc_launch_config& config,
                              uint64_t max_total, const uint32_t max_per_dimension[3],
                              Threadgroups* out) noexcept;

}  // namespace dotcompute::metal
