// cuda/nvrtc_library.hpp
// NVRTC (the CUDA runtime compiler), found and opened on first use, as a struct of pointers.
#pragma once

#include <string>
#include <vector>

#include "cuda_declarations.hpp"

namespace dotcompute::cuda {

#define DOTCOMPUTE_NVRTC_REQUIRED_ENTRIES(_) \
  _(nvrtcVersion)                            \
  _(nvrtcGetErrorString)                     \
  _(nvrtcCreateProgram)                      \
  _(nvrtcDestroyProgram)                     \
  _(nvrtcCompileProgram)                     \
  _(nvrtcGetPTXSize)                         \
  _(nvrtcGetPTX)                             \
  _(nvrtcGetProgramLogSize)                  \
  _(nvrtcGetProgramLog)

/// Newer than CUDA 11.0: CUBIN output (11.1) and the list of supported architectures (11.2).
#define DOTCOMPUTE_NVRTC_OPTIONAL_ENTRIES(_) \
  _(nvrtcGetCUBINSize)                       \
  _(nvrtcGetCUBIN)                           \
  _(nvrtcGetNumSupportedArchs)               \
  _(nvrtcGetSupportedArchs)

struct NvrtcApi {
#define DOTCOMPUTE_NVRTC_DECLARE_ENTRY(name) name##_signature* name = nullptr;
  DOTCOMPUTE_NVRTC_REQUIRED_ENTRIES(DOTCOMPUTE_NVRTC_DECLARE_ENTRY)
  DOTCOMPUTE_NVRTC_OPTIONAL_ENTRIES(DOTCOMPUTE_NVRTC_DECLARE_ENTRY)
#undef DOTCOMPUTE_NVRTC_DECLARE_ENTRY

  int major = 0;
  int minor = 0;
  std::string path;                ///< the file that was opened
  std::vector<int> architectures;  ///< compute capabilities as 10 * major + minor, ascending
};

/// Finds and opens NVRTC once per process (Note [Finding NVRTC]); later calls return the first
/// outcome. preferred_major is the CUDA major version of the driver: a system libnvrtc of that
/// major is tried before others. Returns nullptr and sets *reason (every place it looked) when
/// there is none.
const NvrtcApi* load_nvrtc(int preferred_major, std::string* reason);

/// The loaded NVRTC or nullptr, without trying to load it.
const NvrtcApi* loaded_nvrtc() noexcept;

/// The file (or, for the system loader, the name) load_nvrtc would open first, found without
/// opening anything: opening NVRTC takes several milliseconds, and the kernel cache needs an
/// NVRTC identity in processes that only load cached kernels.
std::string nvrtc_candidate(int preferred_major);

}  // namespace dotcompute::cuda
