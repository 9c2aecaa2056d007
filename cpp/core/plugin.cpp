// cpp/core/plugin.cpp
// A loaded plugin: entry table, per-device caching pools, live-object counts, close on retire.
#include "dotcompute/plugin.hpp"

#include <dlfcn.h>

#include "dotcompute/caching_pool.hpp"
#include "dotcompute/device.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/pinned_pool.hpp"

namespace dotcompute {

namespace {

const char* kind_name(ObjectKind kind, bool plural) {
  switch (kind) {
    case ObjectKind::Buffer:
      return plural ? "buffers" : "buffer";
    case ObjectKind::Module:
      return plural ? "modules" : "module";
    case ObjectKind::Stream:
      return plural ? "streams" : "stream";
    case ObjectKind::Event:
      return plural ? "events" : "event";
    case ObjectKind::Graph:
      return plural ? "graphs" : "graph";
  }
  return plural ? "objects" : "object";
}

std::string text_or_empty(const char* text) { return text != nullptr ? text : ""; }

}  // namespace

Plugin::Plugin(void* library_handle, const dc_backend_iface* iface, std::string path,
               std::string origin, std::string sha256)
    : library_handle_(library_handle),
      iface_(iface),
      name_(text_or_empty(iface->name)),
      path_(std::move(path)),
      version_(text_or_empty(iface->version)),
      description_(text_or_empty(iface->description)),
      origin_(std::move(origin)),
      sha256_(std::move(sha256)),
      abi_minor_(iface->abi_minor) {
  // Read once: the registry already checked that count succeeds, and devices do not come and go
  // while a plugin is loaded (a reload picks up new ones).
  int32_t count = 0;
  if (iface_->device->count(&count) == DC_STATUS_OK && count > 0) device_count_ = count;
  pools_.resize(static_cast<size_t>(device_count_));
}

Plugin::~Plugin() { close(); }

const dc_backend_iface& Plugin::iface() const {
  if (!is_open()) {
    raise(ErrorKind::Device, "backend '" + name_ + "' (" + path_ +
                                 ") was unloaded; load it again with dc.plugins.load()");
  }
  return *iface_;
}

CachingPool& Plugin::pool(int device) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!is_open()) {
    raise(ErrorKind::Device, "backend '" + name_ + "' (" + path_ + ") was unloaded");
  }
  if (device < 0 || device >= device_count_) {
    raise(ErrorKind::Device, "backend '" + name_ + "' has no device " + std::to_string(device) +
                                 " (it has " + std::to_string(device_count_) + ")");
  }
  std::unique_ptr<CachingPool>& slot = pools_[static_cast<size_t>(device)];
  if (!slot) slot = std::make_unique<CachingPool>(*iface_, device, DeviceSpec{name_, device}.str());
  return *slot;
}

PinnedPool& Plugin::pinned_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!is_open()) {
    raise(ErrorKind::Device, "backend '" + name_ + "' (" + path_ + ") was unloaded");
  }
  if (!pinned_owner_) {
    if (!PinnedPool::supported(*iface_)) {
      raise(ErrorKind::Unsupported, "backend '" + name_ +
                                        "' has no page-locked host memory (its memory table "
                                        "lacks host_allocate); plain numpy arrays serve it");
    }
    pinned_owner_ = std::make_unique<PinnedPool>(*iface_, name_);
    pinned_.store(pinned_owner_.get(), std::memory_order_release);
  }
  return *pinned_owner_;
}

void Plugin::add_object(ObjectKind kind) noexcept {
  live_[static_cast<int>(kind)].fetch_add(1, std::memory_order_acq_rel);
}

void Plugin::remove_object(ObjectKind kind) noexcept {
  const int64_t before = live_[static_cast<int>(kind)].fetch_sub(1, std::memory_order_acq_rel);
  // Note [Plugin lifetime]: the last object of a retired plugin closes it. retire() performs
  // the same check after setting the flag, so one of the two always sees both conditions.
  if (before == 1 && is_retiring() && live_objects() == 0) close();
}

size_t Plugin::live_objects() const noexcept {
  int64_t total = 0;
  for (const auto& count : live_) total += count.load(std::memory_order_acquire);
  return total > 0 ? static_cast<size_t>(total) : 0;
}

std::string Plugin::live_objects_summary() const {
  std::string summary;
  for (int kind = 0; kind < kObjectKindCount; ++kind) {
    const int64_t count = live_[kind].load(std::memory_order_acquire);
    if (count <= 0) continue;
    if (!summary.empty()) summary += ", ";
    summary += std::to_string(count) + " " + kind_name(static_cast<ObjectKind>(kind), count != 1);
  }
  return summary;
}

void Plugin::check(dc_status status, const char* operation) const {
  if (status == DC_STATUS_OK) return;
  std::string detail;
  if (is_open() && iface_->last_error != nullptr) detail = text_or_empty(iface_->last_error());
  std::string message =
      "backend '" + name_ + "': " + operation + " failed (" + status_name(status) + ")";
  if (!detail.empty()) message += ": " + detail;
  raise(error_kind_for_status(status), message);
}

void Plugin::retire() {
  retiring_.store(true, std::memory_order_release);
  if (live_objects() == 0) close();
}

void Plugin::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!open_.exchange(false, std::memory_order_acq_rel)) return;
  // Pools first: their destructors give every segment back through the memory table, which
  // must still be mapped; then the plugin tears down its own state; then the code goes away.
  pools_.clear();
  pinned_.store(nullptr, std::memory_order_release);
  pinned_owner_.reset();
  iface_->shutdown();
  if (library_handle_ != nullptr) dlclose(library_handle_);
  library_handle_ = nullptr;
}

PluginObject::PluginObject(std::shared_ptr<Plugin> plugin, ObjectKind kind)
    : plugin_(std::move(plugin)), kind_(kind) {
  plugin_->add_object(kind_);
  if (!plugin_->is_open()) {
    // Lost a race with unload: undo the count (close() is idempotent), then refuse.
    plugin_->remove_object(kind_);
    raise(ErrorKind::Device, "backend '" + plugin_->name() + "' was unloaded");
  }
}

PluginObject::~PluginObject() { plugin_->remove_object(kind_); }

}  // namespace dotcompute
