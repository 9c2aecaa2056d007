// cpp/include/dotcompute/registry.hpp
// Finds, trusts, loads, unloads and hot-reloads backend plugins; keeps every rejection's reason.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dotcompute/plugin.hpp"

namespace dotcompute {

/// A plugin file that was not loaded, and why.
struct Rejection {
  std::string path;
  std::string origin;  ///< as Plugin::origin()
  std::string name;    ///< backend name when the entry table could be read, else empty
  std::string reason;  ///< a sentence naming the cause ("ABI major 99, this core speaks 1")
};

/// What probing a file found, without registering it (the isolated child prints this).
struct ProbeReport {
  bool ok = false;
  std::string name, version, reason;
  int device_count = 0;
};

class Registry {
 public:
  static Registry& instance();

  /// Loads every plugin of the built-in directory (backends/ next to _core, found with
  /// dladdr) and of DOTCOMPUTE_PLUGIN_PATH (os.pathsep separated files or directories).
  /// Runs once; later calls do nothing. Failures become rejections, never exceptions.
  void discover();

  /// Loads one file. Throws Error(Plugin) naming the cause, and records the rejection.
  std::shared_ptr<Plugin> load(const std::string& path, const std::string& origin);
  /// Records a rejection found elsewhere (entry point errors, isolated probe failures).
  void record_rejection(Rejection rejection);

  /// Unloads a backend. Throws Error(Plugin) while it has live objects (names how many), unless
  /// defer is set: then the backend disappears from the registry now and its library closes when
  /// the last object dies (see Note [Plugin lifetime]).
  void unload(const std::string& name, bool defer = false);
  /// Loads path (default: the backend's current file, copied aside so dlopen maps a fresh
  /// image) beside the old plugin and routes new work to it; see Note [Plugin lifetime].
  std::shared_ptr<Plugin> reload(const std::string& name, const std::string& path);

  /// The current plugin of a backend. Throws BackendUnavailable (with the rejection reason)
  /// when it was rejected, Error(Device) when no such backend is known.
  std::shared_ptr<Plugin> get(const std::string& name) const;
  /// Same, or nullptr.
  std::shared_ptr<Plugin> find(const std::string& name) const;

  std::vector<std::shared_ptr<Plugin>> plugins() const;
  std::vector<Rejection> rejections() const;
  /// The backends/ directory next to the _core module.
  std::string builtin_directory() const;

 private:
  Registry() = default;
  mutable std::mutex mutex_;
  bool discovered_ = false;
  std::vector<std::shared_ptr<Plugin>> plugins_;
  std::vector<Rejection> rejections_;
  std::vector<std::string> unloaded_names_;  ///< unloaded by the user and not loaded since
};

/// Checks, loads, probes and initializes path in this process, then closes it again.
ProbeReport probe_plugin_file(const std::string& path);

/// SHA-256 of a file as 64 lowercase hex digits. Throws Error(Plugin) when unreadable.
std::string sha256_file(const std::string& path);
/// SHA-256 of bytes as 64 lowercase hex digits.
std::string sha256_hex(const void* data, size_t size);

}  // namespace dotcompute
