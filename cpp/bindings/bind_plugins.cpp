// cpp/bindings/bind_plugins.cpp
// Python view of the plugin registry: discover, load/unload/reload, listings, probe, health.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "dotcompute/plugin_health.hpp"
#include "dotcompute/registry.hpp"

namespace dotcompute::bindings {

namespace {

py::dict plugin_dict(const Plugin& plugin) {
  py::dict info;
  info["name"] = plugin.name();
  info["version"] = plugin.version();
  info["description"] = plugin.description();
  info["path"] = plugin.path();
  info["origin"] = plugin.origin();
  info["sha256"] = plugin.sha256();
  info["abi"] = std::to_string(DC_ABI_MAJOR) + "." + std::to_string(plugin.abi_minor());
  info["devices"] = plugin.device_count();
  info["live_objects"] = plugin.live_objects();
  info["retiring"] = plugin.is_retiring();
  return info;
}

py::dict rejection_dict(const Rejection& rejection) {
  py::dict info;
  info["path"] = rejection.path;
  info["origin"] = rejection.origin;
  info["name"] = rejection.name;
  info["reason"] = rejection.reason;
  return info;
}

}  // namespace

void bind_plugins(py::module_& m) {
  // dlopen, probe and initialize can take long (driver start-up): they run without the GIL.
  m.def(
      "discover",
      [] {
        py::gil_scoped_release release;
        Registry::instance().discover();
      },
      "Loads the built-in plugins and those of DOTCOMPUTE_PLUGIN_PATH (once; failures become "
      "rejections).");
  m.def(
      "load_plugin",
      [](const std::string& path, const std::string& origin) {
        std::shared_ptr<Plugin> plugin;
        {
          py::gil_scoped_release release;
          plugin = Registry::instance().load(path, origin);
        }
        return plugin_dict(*plugin);
      },
      py::arg("path"), py::arg("origin") = "load()",
      "Loads one plugin file; raises PluginError naming the cause (and records the rejection).");
  m.def(
      "unload_plugin",
      [](const std::string& name, bool defer) {
        py::gil_scoped_release release;
        Registry::instance().unload(name, defer);
      },
      py::arg("name"), py::arg("defer") = false,
      "Unloads a backend; raises PluginError while objects of it are alive unless defer=True.");
  m.def(
      "reload_plugin",
      [](const std::string& name, const std::string& path) {
        std::shared_ptr<Plugin> plugin;
        {
          py::gil_scoped_release release;
          plugin = Registry::instance().reload(name, path);
        }
        return plugin_dict(*plugin);
      },
      py::arg("name"), py::arg("path") = "",
      "Loads a new version of a backend beside the old one (default: the same file again).");
  m.def(
      "plugins",
      [] {
        py::list result;
        for (const auto& plugin : Registry::instance().plugins()) {
          result.append(plugin_dict(*plugin));
        }
        return result;
      },
      "Every open plugin, retiring ones included.");
  m.def(
      "rejections",
      [] {
        py::list result;
        for (const Rejection& rejection : Registry::instance().rejections()) {
          result.append(rejection_dict(rejection));
        }
        return result;
      },
      "Every plugin file that was not loaded, with the reason.");
  m.def(
      "record_rejection",
      [](const std::string& path, const std::string& origin, const std::string& name,
         const std::string& reason) {
        Registry::instance().record_rejection({path, origin, name, reason});
      },
      py::arg("path"), py::arg("origin"), py::arg("name"), py::arg("reason"),
      "Records a rejection found outside the registry (entry points, isolated probes).");
  m.def(
      "probe_file",
      [](const std::string& path) {
        ProbeReport report;
        {
          py::gil_scoped_release release;
          report = probe_plugin_file(path);
        }
        py::dict result;
        result["ok"] = report.ok;
        result["name"] = report.name;
        result["version"] = report.version;
        result["reason"] = report.reason;
        result["devices"] = report.device_count;
        return result;
      },
      py::arg("path"),
      "Validates, probes and initializes a plugin file, then closes it again (registers nothing).");
  m.def(
      "builtin_plugin_directory", [] { return Registry::instance().builtin_directory(); },
      "The backends/ directory next to the _core module.");
  m.def(
      "health_check",
      [](const std::string& name) {
        std::shared_ptr<Plugin> plugin = Registry::instance().get(name);
        std::vector<DeviceHealth> results;
        {
          py::gil_scoped_release release;
          results = check_plugin_health(plugin);
        }
        py::list list;
        for (const DeviceHealth& health : results) {
          py::dict entry;
          entry["device"] = health.device;
          entry["ok"] = health.ok;
          entry["seconds"] = health.seconds;
          entry["message"] = health.message;
          list.append(entry);
        }
        return list;
      },
      py::arg("name"), "Memory round trip (and a tiny add) on every device of a backend.");
}

}  // namespace dotcompute::bindings
