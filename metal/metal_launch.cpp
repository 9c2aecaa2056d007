// metal/metal_launch.cpp
// Argument packing and threadgroup sizes of a Metal launch, in plain C++.
//
// Note [Threadgroups]
// Launches dispatch whole threadgroups (dispatchThreadgroups:threadsPerThreadgroup:) and the
// generated kernel retires the work-items past the global size itself (Note [CUDA global
// size]), as on CUDA and OpenCL. dispatchThreads:threadsPerThreadgroup: would make the edge
// groups smaller, and then dc.local_size() would differ between groups and a barrier kernel's
// shared-memory layout with it; the language promises one local size for the whole launch. A
// local size of 0 lets the plugin choose: up to 256 in 1-D, 16 x 16 in 2-D, 8 x 8 x 4 in 3-D,
// clamped to the global size, then shrunk (largest dimension halved) until the group fits
// the pipeline's maxTotalThreadsPerThreadgroup, which depends on the kernel's registers.
#include "metal_launch.hpp"

#include <algorithm>

#include "metal_backend.hpp"

namespace dotcompute::metal {

dc_status pack_scalar_arguments(const char* kernel, const dc_kernel_arg* args, uint32_t count,
                                std::vector<uint8_t>* bytes) noexcept {
  try {
    bytes->clear();
    size_t alignment = 1;
    for (uint32_t i = 0; i < count; ++i) {
      const dc_kernel_arg& arg = args[i];
      if (arg.kind == DC_ARG_BUFFER) continue;
      const uint32_t size = arg.size;
      if (arg.kind != DC_ARG_SCALAR || (size != 1 && size != 2 && size != 4 && size != 8)) {
        return fail(DC_STATUS_INVALID_ARGUMENT,
                    "launch of %s: argument %u is neither a buffer nor a scalar of 1, 2, 4 or 8 "
                    "bytes",
                    kernel, i);
      }
      const size_t offset = (bytes->size() + size - 1) / size * size;
      bytes->resize(offset + size, 0);
      std::copy(arg.value.scalar, arg.value.scalar + size, bytes->begin() + offset);
      alignment = std::max<size_t>(alignment, size);
    }
    bytes->resize((bytes->size() + alignment - 1) / alignment * alignment, 0);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "launch of %s: %s", kernel, error.what());
  }
  return DC_STATUS_OK;
}

dc_status choose_threadgroups(const char* kernel, const dc_launch_config& config,
                              uint64_t max_total, const uint32_t max_per_dimension[3],
                              Threadgroups* out) noexcept {
  constexpr uint64_t kDefaults[3][3] = {{256, 1, 1}, {16, 16, 1}, {8, 8, 4}};
  const uint32_t dimensions = config.dimensions;
  if (dimensions < 1 || dimensions > 3) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch of %s: %u dimensions (1 to 3)", kernel,
                dimensions);
  }
  const bool chosen =
      config.local_size[0] == 0 && config.local_size[1] == 0 && config.local_size[2] == 0;
  Threadgroups groups;
  uint64_t items = 1;
  for (uint32_t d = 0; d < dimensions; ++d) {
    uint64_t size = config.local_size[d];
    if (chosen) {
      size = std::min<uint64_t>(kDefaults[dimensions - 1][d], config.global_size[d]);
      size = std::max<uint64_t>(std::min<uint64_t>(size, max_per_dimension[d]), 1);
    }
    if (size == 0) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "launch of %s: local_size is 0 in dimension %u",
                  kernel, d);
    }
    if (size > max_per_dimension[d]) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch of %s: local_size %llu in dimension %u exceeds the device's %u", kernel,
                  static_cast<unsigned long long>(size), d, max_per_dimension[d]);
    }
    groups.size[d] = size;
    items *= size;
  }
  if (chosen) {
    while (items > max_total) {
      uint32_t largest = 0;
      for (uint32_t d = 1; d < dimensions; ++d) {
        largest = groups.size[d] > groups.size[largest] ? d : largest;
      }
      items /= groups.size[largest];
      groups.size[largest] = std::max<uint64_t>(groups.size[largest] / 2, 1);
      items *= groups.size[largest];
    }
  } else if (items > max_total) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "launch of %s: a threadgroup of %llu work-items exceeds the %llu this kernel can "
                "run on the device (maxTotalThreadsPerThreadgroup); use a smaller local_size",
                kernel, static_cast<unsigned long long>(items),
                static_cast<unsigned long long>(max_total));
  }
  for (uint32_t d = 0; d < dimensions; ++d) {
    groups.count[d] = (config.global_size[d] + groups.size[d] - 1) / groups.size[d];
  }
  *out = groups;
  return DC_STATUS_OK;
}

}  // namespace dotcompute::metal
