// cpp/include/dotcompute/kernel_launch.hpp
// Loaded device-code modules and per-kernel launch plans: validation and the launch fast path.
//
//     auto module = Module::load(DeviceSpec{"cpu", 0}, path.c_str(), path.size() + 1);
//     KernelPlan plan(module, "dc_saxpy", "saxpy",
//                     {{KernelParam::Kind::Scalar, DC_DTYPE_FLOAT32, 0, "alpha"},
//                      {KernelParam::Kind::Array, DC_DTYPE_FLOAT32, 1, "x"}, ...},
//                     /*shared_bytes=*/0, /*per_item_bytes=*/0, false, {});
//     std::vector<dc_kernel_arg> args = plan.arg_template();
//     ...fill scalars, plan.bind_array(i, array, args.data(), ...)...
//     plan.launch(plan.configure(geometry), args.data());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/array.hpp"
#include "dotcompute/backend_abi.h"
#include "dotcompute/device.hpp"
#include "dotcompute/plugin.hpp"

namespace dotcompute {

/// Device code loaded on one device (a shared object on the CPU, a CUBIN on CUDA). Holds its
/// plugin loaded (Note [Plugin lifetime]) and unloads the code when destroyed.
class Module {
 public:
  /// Loads image through the plugin's module table. For the cpu backend the image is the
  /// NUL-terminated path of a kernel shared object (cpu_kernel_abi.h). Throws Unsupported when
  /// the backend runs no user kernels.
  static std::shared_ptr<Module> load(const DeviceSpec& device, const void* image,
                                      uint64_t image_size);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The kernel exported under symbol; throws (naming the symbol) when there is none.
  dc_kernel kernel(const std::string& symbol) const;

  const DeviceSpec& device() const noexcept { return spec_; }
  int device_index() const noexcept { return spec_.index; }
  Plugin& plugin() const noexcept { return object_.plugin(); }
  uint32_t max_work_group_size() const noexcept { return max_work_group_size_; }
  /// Whether the module's plugin is still the backend's current one (false after a reload or
  /// an unload): caches use it to drop modules that new work should no longer use.
  bool is_current() const;

 private:
  Module(std::shared_ptr<Plugin> plugin, DeviceSpec spec);

  PluginObject object_;
  DeviceSpec spec_;
  dc_module handle_ = nullptr;
  uint32_t max_work_group_size_ = 1;
};

using ModulePtr = std::shared_ptr<Module>;

/// One parameter of a kernel, in declaration order.
struct KernelParam {
  enum class Kind { Array, Scalar };
  Kind kind;
  dc_dtype dtype;
  int ndim;  ///< arrays: 1 to 8 dimensions; scalars: 0
  std::string name;
  bool written = true;  ///< arrays: the kernel may store into it (refused for read-only arrays)
};

/// Global and (optional) local size of one launch.
struct LaunchGeometry {
  uint32_t dimensions = 1;
  uint64_t global_size[3] = {1, 1, 1};
  uint64_t local_size[3] = {0, 0, 0};  ///< all 0: not given (the plan's default or the backend's)
};

/// Note [Launch plan]
/// Everything about a kernel that does not change between launches is computed once here: the
/// kernel handle, the dc_kernel_arg slot of each parameter (an array takes 1 + ndim slots: its
/// buffer view, then one int64 extent per dimension, as cpu_kernel_abi.h and every generator
/// expect), and an argument template whose kinds and sizes are already filled in. A launch
/// copies the template, writes the values, and calls the plugin; nothing is allocated for
/// kernels of up to kInlineArgs slots. Plans are immutable, so threads may share one.
///
/// With append_global_size, three hidden int64 slots follow the parameters' slots and every
/// launch writes the global size into them (dimensions beyond the launch's are 1): CUDA launches
/// whole blocks, and its generated kernels need the true size to retire the extra threads
/// (Note [CUDA global size] in python/dotcompute/kernel/codegen_cuda.py).
class KernelPlan : public std::enable_shared_from_this<KernelPlan> {
 public:
  static constexpr uint32_t kInlineArgs = 32;

  KernelPlan(ModulePtr module, const std::string& symbol, std::string name,
             std::vector<KernelParam> params, uint64_t shared_bytes, uint64_t per_item_bytes,
             bool uses_barrier, std::vector<uint64_t> default_local_size,
             bool append_global_size = false);

  const std::string& name() const noexcept { return name_; }
  const std::string& symbol() const noexcept { return symbol_; }
  const std::vector<KernelParam>& params() const noexcept { return params_; }
  /// First dc_kernel_arg index of each parameter.
  const std::vector<uint32_t>& slots() const noexcept { return slots_; }
  uint32_t slot_count() const noexcept { return static_cast<uint32_t>(template_.size()); }
  const std::vector<dc_kernel_arg>& arg_template() const noexcept { return template_; }
  const ModulePtr& module() const noexcept { return module_; }
  uint64_t shared_bytes() const noexcept { return shared_bytes_; }
  uint64_t per_item_bytes() const noexcept { return per_item_bytes_; }
  bool uses_barrier() const noexcept { return uses_barrier_; }
  const std::vector<uint64_t>& default_local_size() const noexcept { return default_local_; }
  bool appends_global_size() const noexcept { return append_global_size_; }
  /// "saxpy(alpha, x, y, out)": used by argument-count messages.
  std::string signature() const;

  /// Checks array against parameter index (dtype, ndim, released, device; first_array is the
  /// first array argument of this launch, or nullptr, to name both sides of a device mix) and
  /// writes its buffer view and extents into args.
  void bind_array(size_t index, const Array& array, dc_kernel_arg* args, const Array* first_array,
                  size_t first_array_index) const;

  /// The launch configuration: local size as given, else the plan's default, else 0 (the
  /// backend chooses); checks it against the device and computes shared memory bytes.
  dc_launch_config configure(const LaunchGeometry& geometry) const;

  /// Writes config's global size into the hidden slots (a no-op without append_global_size).
  void write_global_size(const dc_launch_config& config, dc_kernel_arg* args) const;

  /// Runs the kernel (synchronous on the CPU) on stream (nullptr: the device's default
  /// stream). args holds slot_count() filled arguments.
  void launch(const dc_launch_config& config, const dc_kernel_arg* args,
              dc_stream stream = nullptr) const;

 private:
  ModulePtr module_;
  dc_kernel kernel_;
  std::string symbol_, name_;
  std::vector<KernelParam> params_;
  std::vector<uint32_t> slots_;
  std::vector<dc_kernel_arg> template_;
  uint64_t shared_bytes_, per_item_bytes_;
  bool uses_barrier_;
  std::vector<uint64_t> default_local_;
  bool append_global_size_;
  uint32_t global_size_slot_ = 0;  ///< first hidden slot when append_global_size_
  const dc_module_iface* table_;
};

using KernelPlanPtr = std::shared_ptr<KernelPlan>;

}  // namespace dotcompute
