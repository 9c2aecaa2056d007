// cpp/core/kernel_launch.cpp
// Modules (load/unload through the plugin's module table) and launch plans (Note [Launch plan]).
#include "dotcompute/kernel_launch.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/registry.hpp"

namespace dotcompute {

namespace {

/// Arrays of more dimensions than this are refused when a plan is built (numpy's own limit is
/// 64; kernels index with a fixed number of subscripts, so a handful is plenty).
constexpr int kMaxArrayDimensions = 8;

const dc_module_iface& module_table(Plugin& plugin) {
  const dc_backend_iface& iface = plugin.iface();
  if (iface.module == nullptr) {
    raise(ErrorKind::Unsupported,
          "backend '" + plugin.name() + "' runs no user kernels (its plugin has no module table)");
  }
  return *iface.module;
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Module
// ---------------------------------------------------------------------------------------------

Module::Module(std::shared_ptr<Plugin> plugin, DeviceSpec spec)
    : object_(std::move(plugin), ObjectKind::Module), spec_(std::move(spec)) {}

std::shared_ptr<Module> Module::load(const DeviceSpec& device, const void* image,
                                     uint64_t image_size) {
  ResolvedDevice resolved = resolve_device(device);
  Plugin& plugin = *resolved.plugin;
  const dc_module_iface& table = module_table(plugin);

  dc_device_info info{};
  info.struct_size = sizeof(dc_device_info);
  plugin.check(plugin.iface().device->info(resolved.index, &info), "device info");

  std::shared_ptr<Module> module(
      new Module(resolved.plugin, DeviceSpec{plugin.name(), resolved.index}));
  module->max_work_group_size_ = info.max_work_group_size > 0 ? info.max_work_group_size : 1;
  dc_module handle = nullptr;
  plugin.check(table.load(resolved.index, image, image_size, &handle), "load module");
  module->handle_ = handle;
  return module;
}

Module::~Module() {
  if (handle_ == nullptr) return;
  // A failure here has no caller to report to; the plugin keeps the message for last_error.
  Plugin& owner = object_.plugin();
  owner.iface_unchecked().module->unload(spec_.index, handle_);
}

dc_kernel Module::kernel(const std::string& symbol) const {
  Plugin& owner = plugin();
  dc_kernel kernel = nullptr;
  owner.check(module_table(owner).get_kernel(spec_.index, handle_, symbol.c_str(), &kernel),
              "get kernel");
  return kernel;
}

bool Module::is_current() const {
  std::shared_ptr<Plugin> current = Registry::instance().find(spec_.backend);
  return current.get() == &plugin();
}

// ---------------------------------------------------------------------------------------------
// KernelPlan
// ---------------------------------------------------------------------------------------------

KernelPlan::KernelPlan(ModulePtr module, const std::string& symbol, std::string name,
                       std::vector<KernelParam> params, uint64_t shared_bytes,
                       uint64_t per_item_bytes, bool uses_barrier,
                       std::vector<uint64_t> default_local_size, bool append_global_size)
    : module_(std::move(module)),
      kernel_(nullptr),
      symbol_(symbol),
      name_(name.empty() ? symbol : std::move(name)),
      params_(std::move(params)),
      shared_bytes_(shared_bytes),
      per_item_bytes_(per_item_bytes),
      uses_barrier_(uses_barrier),
      default_local_(std::move(default_local_size)),
      append_global_size_(append_global_size),
      table_(&module_table(module_->plugin())) {
  kernel_ = module_->kernel(symbol_);
  if (default_local_.size() > 3) {
    raise(ErrorKind::InvalidArgument, "default_local_size has " +
                                          std::to_string(default_local_.size()) +
                                          " dimensions; kernels have 1 to 3");
  }
  uint64_t default_items = 1;
  for (uint64_t size : default_local_) {
    if (size == 0 || size > module_->max_work_group_size()) {
      raise(ErrorKind::InvalidArgument, "default_local_size entries must be 1 to " +
                                            std::to_string(module_->max_work_group_size()));
    }
    default_items *= size;
  }
  if (default_items > module_->max_work_group_size()) {
    raise(ErrorKind::InvalidArgument, "default_local_size has " + std::to_string(default_items) +
                                          " work-items per group; device '" +
                                          module_->device().str() + "' allows at most " +
                                          std::to_string(module_->max_work_group_size()));
  }
  slots_.reserve(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    KernelParam& param = params_[i];
    if (param.name.empty()) param.name = "arg" + std::to_string(i);
    if (!dtype_is_valid(param.dtype)) {
      raise(ErrorKind::DType, "parameter " + quoted(param.name) + ": unknown dtype code " +
                                  std::to_string(param.dtype));
    }
    slots_.push_back(static_cast<uint32_t>(template_.size()));
    if (param.kind == KernelParam::Kind::Array) {
      if (param.ndim < 1 || param.ndim > kMaxArrayDimensions) {
        raise(ErrorKind::InvalidArgument, "parameter " + quoted(param.name) + ": ndim " +
                                              std::to_string(param.ndim) + " is not 1 to " +
                                              std::to_string(kMaxArrayDimensions));
      }
      dc_kernel_arg buffer{};
      buffer.kind = DC_ARG_BUFFER;
      template_.push_back(buffer);
      dc_kernel_arg extent{};
      extent.kind = DC_ARG_SCALAR;
      extent.size = sizeof(int64_t);
      for (int d = 0; d < param.ndim; ++d) template_.push_back(extent);
    } else {
      param.ndim = 0;
      dc_kernel_arg scalar{};
      scalar.kind = DC_ARG_SCALAR;
      scalar.size = static_cast<uint32_t>(dtype_size(param.dtype));
      template_.push_back(scalar);
    }
  }
  if (append_global_size_) {
    global_size_slot_ = static_cast<uint32_t>(template_.size());
    dc_kernel_arg extent{};
    extent.kind = DC_ARG_SCALAR;
    extent.size = sizeof(int64_t);
    for (int d = 0; d < 3; ++d) template_.push_back(extent);
  }
}

std::string KernelPlan::signature() const {
  std::string text = name_ + "(";
  for (size_t i = 0; i < params_.size(); ++i) {
    if (i > 0) text += ", ";
    text += params_[i].name;
  }
  return text + ")";
}

void KernelPlan::bind_array(size_t index, const Array& array, dc_kernel_arg* args,
                            const Array* first_array, size_t first_array_index) const {
  const KernelParam& param = params_[index];
  if (array.storage().released()) {
    raise(ErrorKind::Released, "argument " + quoted(param.name) + " of " + name_ +
                                   "(): this array's memory was released (Array.release()); "
                                   "create a new array");
  }
  if (array.dtype() != param.dtype) {
    raise(ErrorKind::DType, "argument " + quoted(param.name) + " of " + name_ + "() must be a " +
                                dtype_name(param.dtype) + " array, got " +
                                dtype_name(array.dtype()));
  }
  if (array.ndim() != param.ndim) {
    raise(ErrorKind::Shape, "argument " + quoted(param.name) + " of " + name_ + "() must be " +
                                std::to_string(param.ndim) + "-D, got shape " +
                                shape_to_string(array.shape()));
  }
  if (param.written && array.readonly()) {
    raise(ErrorKind::InvalidArgument,
          "argument " + quoted(param.name) + " of " + name_ +
              "() is read-only (it shares a read-only numpy array or buffer), but the kernel "
              "writes into it; pass a writable copy (dc.asarray(x, copy=True))");
  }
  const Storage& storage = array.storage();
  if (&storage.plugin() != &module_->plugin() || storage.device() != module_->device_index()) {
    const std::string where = array.device().str();
    if (first_array != nullptr && (&first_array->storage().plugin() != &storage.plugin() ||
                                   first_array->storage().device() != storage.device())) {
      raise(ErrorKind::Device, "arguments of " + name_ + "() are on different devices: " +
                                   quoted(params_[first_array_index].name) + " is on " +
                                   quoted(first_array->device().str()) + ", " + quoted(param.name) +
                                   " on " + quoted(where) + "; move them with .to(device)");
    }
    if (where == module_->device().str()) {
      raise(ErrorKind::Device, "argument " + quoted(param.name) + " lives on a reloaded '" +
                                   module_->device().backend +
                                   "' backend, but this kernel was loaded by the previous one; "
                                   "launch the kernel again to recompile it");
    }
    raise(ErrorKind::Device, "argument " + quoted(param.name) + " is on device " + quoted(where) +
                                 ", but " + name_ + "() was compiled for device " +
                                 quoted(module_->device().str()) + "; move it with .to(" +
                                 quoted(module_->device().str()) + ")");
  }
  dc_kernel_arg* slot = args + slots_[index];
  slot->value.buffer = storage.view();  // raises Released for a released array
  const Shape& shape = array.shape();
  for (int d = 0; d < param.ndim; ++d) {
    std::memcpy(slot[1 + d].value.scalar, &shape[static_cast<size_t>(d)], sizeof(int64_t));
  }
}

dc_launch_config KernelPlan::configure(const LaunchGeometry& geometry) const {
  dc_launch_config config{};
  config.dimensions = geometry.dimensions;
  bool local_given = false;
  uint64_t items = 1;
  for (uint32_t d = 0; d < 3; ++d) {
    config.global_size[d] = d < geometry.dimensions ? geometry.global_size[d] : 1;
    config.local_size[d] = d < geometry.dimensions ? geometry.local_size[d] : 0;
    local_given = local_given || config.local_size[d] != 0;
    items = items <= std::numeric_limits<uint64_t>::max() / (config.global_size[d] | 1)
                ? items * config.global_size[d]
                : std::numeric_limits<uint64_t>::max();
  }
  if (!local_given && !default_local_.empty()) {
    for (uint32_t d = 0; d < geometry.dimensions; ++d) {
      config.local_size[d] = d < default_local_.size() ? default_local_[d] : 1;
    }
    local_given = true;
  }
  uint64_t group_items = 1;
  if (local_given) {
    const uint64_t limit = module_->max_work_group_size();
    for (uint32_t d = 0; d < geometry.dimensions; ++d) {
      if (config.local_size[d] == 0) {
        raise(ErrorKind::InvalidArgument, "local_size of " + name_ + "() must be >= 1 in " +
                                              "every dimension, got 0 in dimension " +
                                              std::to_string(d));
      }
      if (config.local_size[d] > limit) {
        group_items = limit + 1;
        break;
      }
      group_items *= config.local_size[d];
    }
    if (group_items > limit) {
      raise(ErrorKind::InvalidArgument,
            "local_size of " + name_ + "() has more work-items per group than device " +
                quoted(module_->device().str()) + " allows (" + std::to_string(limit) + ")");
    }
  } else {
    // The backend chooses the group; at most max_work_group_size items and never more than
    // the whole launch, so this bound is what per-item shared memory must cover.
    group_items = std::min<uint64_t>(module_->max_work_group_size(), items);
  }
  const uint64_t shared = shared_bytes_ + per_item_bytes_ * group_items;
  if (shared > std::numeric_limits<uint32_t>::max()) {
    raise(ErrorKind::InvalidArgument, name_ + "() needs " + std::to_string(shared) +
                                          " bytes of shared memory per group; use a smaller "
                                          "local_size");
  }
  config.shared_memory_bytes = static_cast<uint32_t>(shared);
  return config;
}

void KernelPlan::write_global_size(const dc_launch_config& config, dc_kernel_arg* args) const {
  if (!append_global_size_) return;
  for (uint32_t d = 0; d < 3; ++d) {
    const int64_t size = static_cast<int64_t>(config.global_size[d]);
    std::memcpy(args[global_size_slot_ + d].value.scalar, &size, sizeof(int64_t));
  }
}

void KernelPlan::launch(const dc_launch_config& config, const dc_kernel_arg* args,
                        dc_stream stream) const {
  Plugin& plugin = module_->plugin();
  const dc_status status =
      table_->launch(module_->device_index(), stream, kernel_, &config, args, slot_count());
  if (status != DC_STATUS_OK) plugin.check(status, "kernel launch");
}

}  // namespace dotcompute
