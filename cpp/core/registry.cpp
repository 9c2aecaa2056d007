// cpp/core/registry.cpp
// Plugin discovery, validation (Note [Plugin validation]), load, unload and hot reload.
#include "dotcompute/registry.hpp"

#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>

#include "dotcompute/errors.hpp"
#include "dotcompute/plugin_trust.hpp"

// Note [Plugin validation]
// A file becomes a Plugin only after every step below passed, in this order; the first failure
// dlcloses what was opened, is recorded as a Rejection with a sentence naming the cause, and (for
// an explicit load) is thrown as Error(Plugin):
//   1. trust: ownership, permissions, SHA-256 allow-list (Note [Plugin trust]);
//   2. the file starts with an ELF or Mach-O header (so a stray file gets a plain "not a shared
//      library" instead of a loader message), then dlopen(RTLD_NOW | RTLD_LOCAL): RTLD_NOW so a
//      missing symbol fails here and not in the middle of a kernel, RTLD_LOCAL so two plugins (or
//      two versions of one during a reload) never resolve each other's symbols;
//   3. the entry symbol exists and returns a table;
//   4. abi_major matches, the table is at least as long as the v1.0 one, and every required slot
//      of every table is set (optional slots are read only when struct_size covers them);
//   5. the image is not one that is already loaded (a retiring one included), and the backend
//      name is not already provided by another loaded plugin (except for reload). This runs
//      before probe and initialize on purpose: dlopen of a file that is already mapped returns
//      the same image, and initializing (then shutting down) it a second time would break the
//      live plugin. reload() therefore always maps a private copy of the file;
//   6. probe (when set), initialize, and device count.

namespace dotcompute {

namespace {

constexpr const char* kPluginPathVariable = "DOTCOMPUTE_PLUGIN_PATH";
constexpr const char* kBuiltinOrigin = "builtin";
constexpr size_t kProbeReasonCapacity = 1024;

/// Bytes a table must hold for `member` to be readable.
#define DC_SLOT_END(Type, member) \
  (offsetof(Type, member) + sizeof(static_cast<Type*>(nullptr)->member))

/// Every required slot of the v1.0 tables sits inside these sizes.
constexpr size_t kBackendTableV1Size = DC_SLOT_END(dc_backend_iface, ops);
constexpr size_t kDeviceTableV1Size = DC_SLOT_END(dc_device_iface, synchronize);
constexpr size_t kMemoryTableV1Size = DC_SLOT_END(dc_memory_iface, fill);
constexpr size_t kStreamTableV1Size = DC_SLOT_END(dc_stream_iface, event_synchronize);
constexpr size_t kModuleTableV1Size = DC_SLOT_END(dc_module_iface, launch);
constexpr size_t kGraphTableV1Size = DC_SLOT_END(dc_graph_iface, destroy);
constexpr size_t kOpsTableV1Size = DC_SLOT_END(dc_ops_iface, reduce);

std::mutex& load_mutex() {
  // Serializes whole loads (dlopen .. initialize .. register) so the duplicate-name check and the
  // registration cannot interleave; the registry's own mutex guards only its lists.
  static std::mutex mutex;
  return mutex;
}

std::string absolute_path(const std::string& path) {
  // dlopen searches the library path for a name without a slash, never the current directory.
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return "./" + path;
  return std::string(cwd) + "/" + path;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

std::string file_name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool has_plugin_suffix(const std::string& name) {
  auto ends_with = [&](const char* suffix) {
    const size_t n = std::strlen(suffix);
    return name.size() > n && name.compare(name.size() - n, n, suffix) == 0;
  };
  return ends_with(".so") || ends_with(".dylib");
}

/// Plugin files of a directory, sorted so discovery order does not depend on the file system.
std::vector<std::string> plugin_files_in(const std::string& directory) {
  std::vector<std::string> files;
  DIR* listing = ::opendir(directory.c_str());
  if (listing == nullptr) return files;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name[0] == '.' || !has_plugin_suffix(name)) continue;
    files.push_back(directory + "/" + name);
  }
  ::closedir(listing);
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> split_search_path(const std::string& text) {
  std::vector<std::string> entries;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(':', begin), text.size());
    if (end > begin) entries.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return entries;
}

/// Empty when the file starts like a shared library of some platform, else the reason.
std::string shared_library_header_problem(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return "cannot open " + path + ": " + std::strerror(errno);
  unsigned char magic[4] = {0, 0, 0, 0};
  const size_t got = std::fread(magic, 1, sizeof(magic), file);
  std::fclose(file);
  const uint32_t big = (uint32_t(magic[0]) << 24) | (uint32_t(magic[1]) << 16) |
                       (uint32_t(magic[2]) << 8) | uint32_t(magic[3]);
  const bool elf =
      got == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
  const bool mach_o = got == 4 && (big == 0xfeedface || big == 0xfeedfacf || big == 0xcefaedfe ||
                                   big == 0xcffaedfe || big == 0xcafebabe);
  if (elf || mach_o) return {};
  return "it is not a shared library (the file has no ELF or Mach-O header)";
}

bool is_backend_name(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* c = name; *c != '\0'; ++c) {
    if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '_' || *c == '-')) return false;
  }
  return true;
}

/// Empty when the table is long enough and its required slots are set, else the reason.
std::string table_problem(const char* table, uint32_t struct_size, size_t required_size,
                          const std::function<std::vector<std::pair<const char*, bool>>()>& slots) {
  if (struct_size < required_size) {
    return std::string("its ") + table + " table is too short (struct_size " +
           std::to_string(struct_size) + ", ABI 1.0 needs at least " +
           std::to_string(required_size) + ")";
  }
  std::string missing;
  for (const auto& [name, set] : slots()) {
    if (set) continue;
    if (!missing.empty()) missing += ", ";
    missing += name;
  }
  if (missing.empty()) return {};
  return std::string("its ") + table + " table leaves required slots NULL: " + missing;
}

/// Empty when every required part of the entry table is present, else the reason.
std::string entry_table_problem(const dc_backend_iface& table) {
  std::string problem = table_problem("entry", table.struct_size, kBackendTableV1Size, [&] {
    return std::vector<std::pair<const char*, bool>>{
        {"name", table.name != nullptr},         {"initialize", table.initialize != nullptr},
        {"shutdown", table.shutdown != nullptr}, {"last_error", table.last_error != nullptr},
        {"device", table.device != nullptr},     {"memory", table.memory != nullptr},
        {"stream", table.stream != nullptr}};
  });
  if (!problem.empty()) return problem;
  if (!is_backend_name(table.name)) {
    return std::string("its backend name '") + table.name +
           "' is not usable in a device spec (letters, digits, '_' and '-' only)";
  }
  const dc_device_iface& device = *table.device;
  problem = table_problem("device", device.struct_size, kDeviceTableV1Size, [&] {
    return std::vector<std::pair<const char*, bool>>{
        {"count", device.count != nullptr},
        {"info", device.info != nullptr},
        {"capabilities", device.capabilities != nullptr},
        {"synchronize", device.synchronize != nullptr}};
  });
  if (!problem.empty()) return problem;
  const dc_memory_iface& memory = *table.memory;
  problem = table_problem("memory", memory.struct_size, kMemoryTableV1Size, [&] {
    std::vector<std::pair<const char*, bool>> slots{
        {"allocate", memory.allocate != nullptr},
        {"release", memory.release != nullptr},
        {"host_pointer", memory.host_pointer != nullptr},
        {"copy_from_host", memory.copy_from_host != nullptr},
        {"copy_to_host", memory.copy_to_host != nullptr},
        {"copy", memory.copy != nullptr},
        {"fill", memory.fill != nullptr}};
    // wrap_host and unwrap_host are optional, but one without the other is a broken pair.
    if (memory.struct_size >= DC_SLOT_END(dc_memory_iface, unwrap_host) &&
        memory.wrap_host != nullptr) {
      slots.push_back({"unwrap_host (wrap_host is set)", memory.unwrap_host != nullptr});
    }
    return slots;
  });
  if (!problem.empty()) return problem;
  const dc_stream_iface& stream = *table.stream;
  problem = table_problem("stream", stream.struct_size, kStreamTableV1Size, [&] {
    return std::vector<std::pair<const char*, bool>>{
        {"create", stream.create != nullptr},
        {"destroy", stream.destroy != nullptr},
        {"synchronize", stream.synchronize != nullptr},
        {"event_create", stream.event_create != nullptr},
        {"event_destroy", stream.event_destroy != nullptr},
        {"event_record", stream.event_record != nullptr},
        {"event_wait", stream.event_wait != nullptr},
        {"event_synchronize", stream.event_synchronize != nullptr}};
  });
  if (!problem.empty()) return problem;
  if (table.module != nullptr) {
    const dc_module_iface& module = *table.module;
    problem = table_problem("module", module.struct_size, kModuleTableV1Size, [&] {
      return std::vector<std::pair<const char*, bool>>{
          {"load", module.load != nullptr},
          {"unload", module.unload != nullptr},
          {"get_kernel", module.get_kernel != nullptr},
          {"launch", module.launch != nullptr},
          {"free_blob (compile is set)", module.compile == nullptr || module.free_blob != nullptr}};
    });
    if (!problem.empty()) return problem;
  }
  if (table.graph != nullptr) {
    const dc_graph_iface& graph = *table.graph;
    problem = table_problem("graph", graph.struct_size, kGraphTableV1Size, [&] {
      return std::vector<std::pair<const char*, bool>>{
          {"begin_capture", graph.begin_capture != nullptr},
          {"end_capture", graph.end_capture != nullptr},
          {"launch", graph.launch != nullptr},
          {"destroy", graph.destroy != nullptr}};
    });
    if (!problem.empty()) return problem;
  }
  if (table.ops != nullptr) {
    const dc_ops_iface& ops = *table.ops;
    problem = table_problem("ops", ops.struct_size, kOpsTableV1Size, [&] {
      return std::vector<std::pair<const char*, bool>>{{"binary", ops.binary != nullptr},
                                                       {"axpy", ops.axpy != nullptr},
                                                       {"reduce", ops.reduce != nullptr}};
    });
    if (!problem.empty()) return problem;
  }
  return {};
}

/// A library being validated: dlclosed (and shut down once initialized) unless released.
class PendingPlugin {
 public:
  PendingPlugin() = default;
  PendingPlugin(const PendingPlugin&) = delete;
  PendingPlugin& operator=(const PendingPlugin&) = delete;
  ~PendingPlugin() {
    if (initialized_) iface_->shutdown();
    if (handle_ != nullptr) dlclose(handle_);
  }

  void* handle_ = nullptr;
  const dc_backend_iface* iface_ = nullptr;
  bool initialized_ = false;
  int device_count_ = 0;

  /// Hands the handle over to a Plugin.
  void release() noexcept {
    handle_ = nullptr;
    initialized_ = false;
  }
};

/// What open_checked learned about a file, whether or not it passed.
struct FileFacts {
  std::string name;     // backend name, once the entry table was read
  std::string version;  // plugin version, likewise
  std::string sha256;
};

/// Returns a reason when a table with this name may not be registered (empty: fine).
using NameCheck = std::function<std::string(const std::string& name, const dc_backend_iface*)>;

/// Empty unless table belongs to an image that is already loaded (retiring ones included):
/// dlopen of an already mapped file returns that image, whose initialize must not run twice.
std::string image_in_use_problem(const std::vector<std::shared_ptr<Plugin>>& loaded,
                                 const dc_backend_iface* table) {
  for (const auto& plugin : loaded) {
    if (&plugin->iface_unchecked() != table) continue;
    return "this file is already loaded as backend '" + plugin->name() + "' from " +
           plugin->path() + (plugin->is_retiring() ? " (retiring)" : "");
  }
  return {};
}

/// Runs Note [Plugin validation] on load_path. trust_path is the file as the user named it (the
/// same file, except during a reload, which maps a private copy). Empty on success, with
/// pending holding the initialized library; else the reason.
std::string open_checked(const std::string& trust_path, const std::string& load_path,
                         const NameCheck& name_check, PendingPlugin& pending, FileFacts& facts) {
  std::string problem = plugin_trust_problem(trust_path);
  if (!problem.empty()) return problem;
  try {
    facts.sha256 = sha256_file(load_path);
  } catch (const Error& error) {
    return error.what();
  }
  problem = plugin_allowlist_problem(trust_path, facts.sha256);
  if (!problem.empty()) return problem;

  problem = shared_library_header_problem(load_path);
  if (!problem.empty()) return problem;
  ::dlerror();  // clear a stale message
  pending.handle_ = ::dlopen(load_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (pending.handle_ == nullptr) {
    const char* message = ::dlerror();
    return std::string("dlopen failed: ") + (message != nullptr ? message : "unknown error");
  }

  void* symbol = ::dlsym(pending.handle_, DC_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    return std::string("it has no ") + DC_PLUGIN_ENTRY_SYMBOL +
           " symbol, so it is not a dotcompute plugin (a plugin exports "
           "`const dc_backend_iface* " DC_PLUGIN_ENTRY_SYMBOL "(void)`)";
  }
  dc_plugin_entry_fn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(symbol), "function and data pointers differ in size");
  std::memcpy(&entry, &symbol, sizeof(entry));  // dlsym returns data pointers; POSIX allows this
  const dc_backend_iface* table = entry();
  if (table == nullptr) return std::string(DC_PLUGIN_ENTRY_SYMBOL) + " returned NULL";
  pending.iface_ = table;

  if (table->abi_major != DC_ABI_MAJOR) {
    return "it was built for plugin ABI major " + std::to_string(table->abi_major) +
           ", but this core speaks ABI major " + std::to_string(DC_ABI_MAJOR) +
           " (rebuild the plugin against this dotcompute's backend_abi.h)";
  }
  problem = entry_table_problem(*table);
  if (!problem.empty()) return problem;
  facts.name = table->name;
  facts.version = table->version != nullptr ? table->version : "";

  problem = name_check(facts.name, table);
  if (!problem.empty()) return problem;

  if (table->probe != nullptr) {
    char reason[kProbeReasonCapacity] = {0};
    const dc_status status = table->probe(reason, sizeof(reason));
    if (status != DC_STATUS_OK) {
      reason[sizeof(reason) - 1] = '\0';
      std::string text = reason;
      if (text.empty()) text = table->last_error();
      return "its probe says it cannot run here (" + std::string(status_name(status)) +
             "): " + (text.empty() ? "no reason given" : text);
    }
  }

  const dc_status status = table->initialize();
  if (status != DC_STATUS_OK) {
    return "initialize failed (" + std::string(status_name(status)) + "): " + table->last_error();
  }
  pending.initialized_ = true;

  int32_t count = 0;
  const dc_status count_status = table->device->count(&count);
  if (count_status != DC_STATUS_OK) {
    return "device count failed (" + std::string(status_name(count_status)) +
           "): " + table->last_error();
  }
  if (count < 0) return "device count returned a negative number";
  pending.device_count_ = count;
  return {};
}

/// A private directory holding a copy of a file, removed on destruction (hot reload).
class PrivateCopy {
 public:
  /// Empty path() and a reason in problem() on failure.
  explicit PrivateCopy(const std::string& source) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/dotcompute-reload-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    // mkdtemp creates the directory with mode 0700: nobody else can swap the copy.
    if (::mkdtemp(buffer.data()) == nullptr) {
      problem_ =
          "cannot create a private directory for the reload: " + std::string(std::strerror(errno));
      return;
    }
    directory_ = buffer.data();
    const std::string target = directory_ + "/" + file_name_of(source);
    std::FILE* in = std::fopen(source.c_str(), "rb");
    if (in == nullptr) {
      problem_ = "cannot read " + source + ": " + std::strerror(errno);
      return;
    }
    std::FILE* out = std::fopen(target.c_str(), "wb");
    if (out == nullptr) {
      problem_ = "cannot write " + target + ": " + std::strerror(errno);
      std::fclose(in);
      return;
    }
    char chunk[1 << 16];
    size_t got = 0;
    bool failed = false;
    while ((got = std::fread(chunk, 1, sizeof(chunk), in)) > 0) {
      if (std::fwrite(chunk, 1, got, out) != got) failed = true;
    }
    failed = failed || std::ferror(in) != 0;
    std::fclose(in);
    failed = (std::fclose(out) != 0) || failed;
    if (failed) {
      problem_ = "cannot copy " + source + " to " + target;
      ::unlink(target.c_str());
      return;
    }
    path_ = target;
  }
  ~PrivateCopy() {
    // The mapped image outlives its file: unlinking after dlopen is safe.
    if (!path_.empty()) ::unlink(path_.c_str());
    if (!directory_.empty()) ::rmdir(directory_.c_str());
  }
  PrivateCopy(const PrivateCopy&) = delete;
  PrivateCopy& operator=(const PrivateCopy&) = delete;

  const std::string& path() const noexcept { return path_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::string directory_, path_, problem_;
};

/// Whether a plugin file is named after a backend by the usual conventions (cpu.so,
/// dotcompute_cpu.so, libdotcompute_cpu.dylib): used to explain a backend whose file was refused
/// before its entry table could be read (trust, allow-list, not a library).
bool file_names_backend(const std::string& path, const std::string& backend) {
  std::string stem = file_name_of(path);
  stem = stem.substr(0, stem.find('.'));
  if (stem.compare(0, 3, "lib") == 0) stem.erase(0, 3);
  if (stem.compare(0, 11, "dotcompute_") == 0) stem.erase(0, 11);
  return stem == backend;
}

/// Drops retired plugins that closed when their last object died.
void prune_closed(std::vector<std::shared_ptr<Plugin>>& plugins) {
  plugins.erase(std::remove_if(plugins.begin(), plugins.end(),
                               [](const std::shared_ptr<Plugin>& p) { return !p->is_open(); }),
                plugins.end());
}

std::string load_failure_message(const std::string& path, const std::string& reason) {
  return "cannot load plugin " + path + ": " + reason;
}

}  // namespace

Registry& Registry::instance() {
  // Never destroyed: plugins stay mapped until the process exits, so no plugin code runs during
  // static destruction, after the interpreter is gone.
  static Registry* registry = new Registry();
  return *registry;
}

void Registry::discover() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (discovered_) return;
    discovered_ = true;
  }
  auto try_load = [this](const std::string& path, const std::string& origin) {
    try {
      load(path, origin);
    } catch (const Error&) {
      // load() recorded the rejection; discovery never throws.
    } catch (const std::exception& error) {
      record_rejection({path, origin, "", error.what()});
    }
  };

  const std::string builtin = builtin_directory();
  if (!builtin.empty()) {
    for (const std::string& file : plugin_files_in(builtin)) try_load(file, kBuiltinOrigin);
  }

  const char* search_path = std::getenv(kPluginPathVariable);
  if (search_path == nullptr) return;
  for (const std::string& entry : split_search_path(search_path)) {
    const std::string path = absolute_path(entry);
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) {
      record_rejection({path, kPluginPathVariable, "",
                        std::string("it does not exist (listed in ") + kPluginPathVariable + ")"});
    } else if (S_ISDIR(info.st_mode)) {
      for (const std::string& file : plugin_files_in(path)) try_load(file, kPluginPathVariable);
    } else {
      try_load(path, kPluginPathVariable);
    }
  }
}

std::shared_ptr<Plugin> Registry::load(const std::string& path, const std::string& origin) {
  const std::string absolute = absolute_path(path);
  std::lock_guard<std::mutex> serialize(load_mutex());
  const NameCheck name_is_free = [this](const std::string& name,
                                        const dc_backend_iface* table) -> std::string {
    const std::string in_use = image_in_use_problem(plugins(), table);
    if (!in_use.empty()) return in_use;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& plugin : plugins_) {
      if (plugin->is_open() && !plugin->is_retiring() && plugin->name() == name) {
        return "backend '" + name + "' is already provided by " + plugin->path() +
               "; use dc.plugins.reload('" + name + "', path) to replace it";
      }
    }
    return {};
  };
  PendingPlugin pending;
  FileFacts facts;
  const std::string reason = open_checked(absolute, absolute, name_is_free, pending, facts);
  if (!reason.empty()) {
    record_rejection({absolute, origin, facts.name, reason});
    raise(ErrorKind::Plugin, load_failure_message(absolute, reason));
  }
  auto plugin =
      std::make_shared<Plugin>(pending.handle_, pending.iface_, absolute, origin, facts.sha256);
  pending.release();
  std::lock_guard<std::mutex> lock(mutex_);
  prune_closed(plugins_);
  // A file that loads now is no longer rejected, whatever an earlier attempt found.
  rejections_.erase(std::remove_if(rejections_.begin(), rejections_.end(),
                                   [&](const Rejection& r) { return r.path == absolute; }),
                    rejections_.end());
  unloaded_names_.erase(std::remove(unloaded_names_.begin(), unloaded_names_.end(), facts.name),
                        unloaded_names_.end());
  plugins_.push_back(plugin);
  return plugin;
}

void Registry::record_rejection(Rejection rejection) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The newest event about a name decides what get() says: a rejection after an unload wins.
  unloaded_names_.erase(std::remove(unloaded_names_.begin(), unloaded_names_.end(), rejection.name),
                        unloaded_names_.end());
  // One entry per (path, origin): retrying a broken file does not grow the list.
  for (Rejection& existing : rejections_) {
    if (existing.path == rejection.path && existing.origin == rejection.origin) {
      existing = std::move(rejection);
      return;
    }
  }
  rejections_.push_back(std::move(rejection));
}

void Registry::unload(const std::string& name, bool defer) {
  std::shared_ptr<Plugin> victim;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
      if ((*it)->is_open() && !(*it)->is_retiring() && (*it)->name() == name) {
        victim = *it;
        break;
      }
    }
    if (!victim) {
      std::string loaded;
      for (const auto& plugin : plugins_) {
        if (!plugin->is_open() || plugin->is_retiring()) continue;
        loaded += (loaded.empty() ? "" : ", ") + plugin->name();
      }
      raise(ErrorKind::Plugin, "cannot unload '" + name + "': no backend of that name is " +
                                   "loaded (loaded: " + (loaded.empty() ? "none" : loaded) + ")");
    }
    if (victim->live_objects() > 0 && !defer) {
      const size_t count = victim->live_objects();
      raise(ErrorKind::Plugin, "cannot unload '" + name + "': " + victim->live_objects_summary() +
                                   (count == 1 ? " is" : " are") +
                                   " still alive; delete them first, or pass defer=True to "
                                   "close it when the last one dies");
    }
    // A deferred unload keeps the plugin listed (as retiring) until its last object dies.
    if (victim->live_objects() == 0) {
      plugins_.erase(std::find(plugins_.begin(), plugins_.end(), victim));
    }
    unloaded_names_.push_back(name);
  }
  // retire() rather than close(): an object created from a handle looked up just before the
  // erase keeps the plugin open until it dies, instead of racing with the dlclose.
  victim->retire();
}

std::shared_ptr<Plugin> Registry::reload(const std::string& name, const std::string& path) {
  std::lock_guard<std::mutex> serialize(load_mutex());
  const std::shared_ptr<Plugin> old = find(name);
  if (!old) {
    raise(ErrorKind::Plugin, "cannot reload '" + name + "': no backend of that name is loaded; " +
                                 "use dc.plugins.load(path) first");
  }
  const std::string source = path.empty() ? old->path() : absolute_path(path);
  // Always map a private copy: dlopen of a file (or inode) that is already mapped would hand back
  // the old image instead of a fresh one.
  PrivateCopy copy(source);
  PendingPlugin pending;
  FileFacts facts;
  std::string reason = copy.problem();
  if (reason.empty()) {
    const NameCheck same_name = [&](const std::string& found,
                                    const dc_backend_iface* table) -> std::string {
      const std::string in_use = image_in_use_problem(plugins(), table);
      if (!in_use.empty()) return in_use;
      if (found == name) return {};
      return "it provides backend '" + found + "', not '" + name + "', so it cannot replace it";
    };
    reason = open_checked(source, copy.path(), same_name, pending, facts);
  }
  if (!reason.empty()) {
    record_rejection({source, "reload()", facts.name, reason});
    raise(ErrorKind::Plugin, "cannot reload '" + name + "' from " + source + ": " + reason +
                                 " (the loaded version stays in use)");
  }
  auto fresh =
      std::make_shared<Plugin>(pending.handle_, pending.iface_, source, "reload()", facts.sha256);
  pending.release();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    prune_closed(plugins_);
    plugins_.push_back(fresh);
  }
  // Note [Plugin lifetime]: new lookups now find `fresh`; the old one closes with its last object.
  old->retire();
  return fresh;
}

std::shared_ptr<Plugin> Registry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    if ((*it)->is_open() && !(*it)->is_retiring() && (*it)->name() == name) return *it;
  }
  return nullptr;
}

std::shared_ptr<Plugin> Registry::get(const std::string& name) const {
  if (auto plugin = find(name)) return plugin;
  std::lock_guard<std::mutex> lock(mutex_);
  if (std::find(unloaded_names_.begin(), unloaded_names_.end(), name) != unloaded_names_.end()) {
    raise(ErrorKind::Device, "backend '" + name + "' was unloaded with dc.plugins.unload('" + name +
                                 "'); load it again with dc.plugins.load(path)");
  }
  for (auto it = rejections_.rbegin(); it != rejections_.rend(); ++it) {
    if (it->name == name || (it->name.empty() && file_names_backend(it->path, name))) {
      raise(ErrorKind::BackendUnavailable,
            "backend '" + name + "' is unavailable: " + it->path + ": " + it->reason);
    }
  }
  std::string loaded;
  for (const auto& plugin : plugins_) {
    if (!plugin->is_open() || plugin->is_retiring()) continue;
    loaded += (loaded.empty() ? "" : ", ") + plugin->name();
  }
  std::string message = "no backend named '" + name +
                        "' is loaded; loaded: " + (loaded.empty() ? std::string("none") : loaded);
  if (!rejections_.empty()) {
    message += " (" + std::to_string(rejections_.size()) +
               " plugin file(s) were rejected: see dc.plugins.rejected())";
  }
  raise(ErrorKind::Device, message);
}

std::vector<std::shared_ptr<Plugin>> Registry::plugins() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<Plugin>> open;
  for (const auto& plugin : plugins_) {
    if (plugin->is_open()) open.push_back(plugin);
  }
  return open;
}

std::vector<Rejection> Registry::rejections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rejections_;
}

std::string Registry::builtin_directory() const {
  const std::string core = core_module_path();
  if (core.empty()) return {};
  return directory_of(core) + "/backends";
}

ProbeReport probe_plugin_file(const std::string& path) {
  const std::string absolute = absolute_path(path);
  std::lock_guard<std::mutex> serialize(load_mutex());
  ProbeReport report;
  PendingPlugin pending;  // shut down and closed again on return
  FileFacts facts;
  const NameCheck not_loaded_here = [](const std::string&, const dc_backend_iface* table) {
    return image_in_use_problem(Registry::instance().plugins(), table);
  };
  report.reason = open_checked(absolute, absolute, not_loaded_here, pending, facts);
  report.ok = report.reason.empty();
  report.name = facts.name;
  report.version = facts.version;
  report.device_count = pending.device_count_;
  return report;
}

}  // namespace dotcompute
