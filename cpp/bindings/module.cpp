// cpp/bindings/module.cpp
// The dotcompute._core extension module: version facts, then one bind_<area> call per area.
#include "bindings.hpp"
#include "dotcompute/backend_abi.h"
#include "dotcompute/cpu_kernel_abi.h"

#ifndef DOTCOMPUTE_VERSION
#define DOTCOMPUTE_VERSION "0.0.0"
#endif

PYBIND11_MODULE(_core, m) {
  namespace bind = dotcompute::bindings;
  m.doc() =
      "dotcompute native core: plugin registry, devices, pooled memory, arrays, built-ins, "
      "kernel modules and launch plans";
  m.attr("__version__") = DOTCOMPUTE_VERSION;
  m.attr("ABI_MAJOR") = DC_ABI_MAJOR;
  m.attr("ABI_MINOR") = DC_ABI_MINOR;
  m.attr("CPU_KERNEL_ABI_VERSION") = DC_CPU_KERNEL_ABI_VERSION;
  bind::bind_errors(m);  // first: every later binding may raise
  bind::bind_plugins(m);
  bind::bind_devices(m);
  bind::bind_memory(m);
  bind::bind_arrays(m);
  bind::bind_dlpack(m);
  bind::bind_ops(m);
  bind::bind_kernels(m);
  bind::bind_algorithms(m);
  bind::bind_streams(m);
  bind::bind_pipeline(m);
}
