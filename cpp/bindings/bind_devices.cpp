// cpp/bindings/bind_devices.cpp
// Device objects, the device list across plugins, and the default device.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/device.hpp"
#include "dotcompute/registry.hpp"

namespace dotcompute::bindings {

namespace {

py::object capabilities_of(const Device& device) {
  return py::module_::import("json").attr("loads")(device.capabilities_json());
}

std::vector<Device> all_devices() {
  std::vector<Device> result;
  for (const auto& plugin : Registry::instance().plugins()) {
    if (plugin->is_retiring()) continue;
    for (int index = 0; index < plugin->device_count(); ++index) {
      result.emplace_back(DeviceSpec{plugin->name(), index});
    }
  }
  return result;
}

}  // namespace

void bind_devices(py::module_& m) {
  py::class_<Device>(m, "Device", "A device of a loaded backend, named by its spec ('cuda:0').")
      .def(py::init([](const std::string& spec) {
             Device device(parse_device_spec(spec));
             device.plugin();  // refuse unknown devices at construction
             return device;
           }),
           py::arg("spec"))
      .def_property_readonly("spec", [](const Device& d) { return d.spec().str(); })
      .def_property_readonly("backend", [](const Device& d) { return d.spec().backend; })
      .def_property_readonly("index", [](const Device& d) { return d.spec().index; })
      .def_property_readonly("name", [](const Device& d) { return std::string(d.info().name); })
      .def_property_readonly("vendor", [](const Device& d) { return std::string(d.info().vendor); })
      .def_property_readonly("memory_total", [](const Device& d) { return d.info().memory_total; })
      .def_property_readonly("compute_units",
                             [](const Device& d) { return d.info().compute_units; })
      .def_property_readonly("host_visible",
                             [](const Device& d) { return d.info().host_visible != 0; })
      .def_property_readonly("max_work_group_size",
                             [](const Device& d) { return d.info().max_work_group_size; })
      .def_property_readonly("capabilities", &capabilities_of)
      .def_property_readonly("plugin_version",
                             [](const Device& d) { return d.plugin()->version(); })
      .def("synchronize", &Device::synchronize, py::call_guard<py::gil_scoped_release>(),
           "Waits for all work submitted to this device.")
      .def("__eq__",
           [](const Device& a, py::object other) {
             return py::isinstance<Device>(other) &&
                    a.spec() == py::cast<const Device&>(other).spec();
           })
      .def("__hash__", [](const Device& d) { return py::hash(py::str(d.spec().str())); })
      .def("__repr__", [](const Device& d) { return "Device('" + d.spec().str() + "')"; })
      .def("__str__", [](const Device& d) { return d.spec().str(); });

  m.def("devices", &all_devices, "Every device of every loaded backend.");
  m.def(
      "get_device",
      [](py::object spec) {
        Device device(device_from_python(spec));
        device.plugin();
        return device;
      },
      py::arg("spec") = py::none(), "The device named by spec, or the default device.");
  m.def(
      "set_default_device",
      [](py::object spec) { set_default_device_spec(device_from_python(spec)); }, py::arg("spec"),
      "Sets the device used when none is named.");
  m.def("default_device", []() { return Device(default_device_spec()); });
  m.def(
      "synchronize",
      [](py::object spec) {
        if (!spec.is_none()) return Device(device_from_python(spec)).synchronize();
        for (const Device& device : all_devices()) device.synchronize();
      },
      py::arg("device") = py::none(), "Waits for the work of one device, or of all devices.");
}

}  // namespace dotcompute::bindings
