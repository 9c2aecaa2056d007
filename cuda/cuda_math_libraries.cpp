// cuda/cuda_math_libraries.cpp
// Opens cuBLAS and cuFFT on first use, the way NVRTC is opened (Note [Finding CUDA libraries]).
//
// The pip wheels (nvidia-cublas-cu12, nvidia-cufft-cu12, or the cu13 ones) put the libraries
// under site-packages/nvidia; the Python package exports those directories in
// DOTCOMPUTE_CUDA_LIBRARY_DIRS before it loads plugins. DOTCOMPUTE_CUBLAS / DOTCOMPUTE_CUFFT name
// one file outright. Either library may be missing: dc.matmul and dc.fft then run the core's own
// kernels on the device instead.
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "cuda_math_libraries.hpp"
#include "library_search.hpp"

namespace dotcompute::cuda {
namespace {

template <typename Api>
struct LoadedLibrary {
  Api api;
  const Api* loaded = nullptr;
  std::string failure;
  std::once_flag once;
};

LoadedLibrary<CublasApi> cublas;
LoadedLibrary<CufftApi> cufft;

/// Looks up one entry point; a missing one is added to *missing.
template <typename Signature>
void resolve_entry(void* library, const char* symbol, Signature** slot, std::string* missing) {
  *slot = reinterpret_cast<Signature*>(dlsym(library, symbol));
  if (*slot == nullptr) *missing += std::string(missing->empty() ? "" : ", ") + symbol;
}

#define DOTCOMPUTE_RESOLVE(name, symbol) resolve_entry(library, symbol, &api->name, missing);

bool resolve(void* library, CublasApi* api, std::string* missing) {
  DOTCOMPUTE_CUBLAS_ENTRIES(DOTCOMPUTE_RESOLVE)
  return missing->empty();
}

bool resolve(void* library, CufftApi* api, std::string* missing) {
  DOTCOMPUTE_CUFFT_ENTRIES(DOTCOMPUTE_RESOLVE)
  return missing->empty();
}

#undef DOTCOMPUTE_RESOLVE

template <typename Api>
void load_into(LoadedLibrary<Api>& library, const char* stem, const char* explicit_variable,
               const char* wheel, int preferred_major) {
  std::string tried;
  std::vector<std::string> candidates;
  const char* explicit_path = std::getenv(explicit_variable);
  if (explicit_path != nullptr && *explicit_path != '\0') {
    candidates.emplace_back(explicit_path);
  } else {
    candidates = library_candidates(stem, "DOTCOMPUTE_CUDA_LIBRARY_DIRS", preferred_major, &tried);
  }
  for (const std::string& candidate : candidates) {
    void* handle = open_candidate(candidate, &tried);
    if (handle == nullptr) continue;
    Api found;
    std::string missing;
    if (!resolve(handle, &found, &missing)) {
      tried += "\n  " + candidate + " (missing " + missing + ")";
      dlclose(handle);
      continue;
    }
    found.path = candidate;
    library.api = std::move(found);
    library.loaded = &library.api;  // the library stays open for the life of the process
    return;
  }
  library.failure = std::string(stem) + " was not found (install `pip install " + wheel +
                    "` or the CUDA toolkit, or set " + explicit_variable + "); searched:" + tried;
}

}  // namespace

const CublasApi* load_cublas(int preferred_major, std::string* reason) {
  std::call_once(cublas.once, [&] {
    load_into(cublas, "libcublas.so", "DOTCOMPUTE_CUBLAS", "nvidia-cublas-cu12", preferred_major);
  });
  if (cublas.loaded == nullptr && reason != nullptr) *reason = cublas.failure;
  return cublas.loaded;
}

const CufftApi* load_cufft(int preferred_major, std::string* reason) {
  std::call_once(cufft.once, [&] {
    load_into(cufft, "libcufft.so", "DOTCOMPUTE_CUFFT", "nvidia-cufft-cu12", preferred_major);
  });
  if (cufft.loaded == nullptr && reason != nullptr) *reason = cufft.failure;
  return cufft.loaded;
}

std::string loaded_cublas_path() { return cublas.loaded != nullptr ? cublas.api.path : ""; }
std::string loaded_cufft_path() { return cufft.loaded != nullptr ? cufft.api.path : ""; }

}  // namespace dotcompute::cuda
