// cpp/cpu/cpu_matmul.cpp
// The matmul slot: GEMM through a CBLAS library opened at run time when there is one (measured
// faster, docs/design.md "CPU matmul"), else the plugin's own packed GEMM (cpu_gemm_impl.hpp) for
// float32/float64; complex dtypes without a BLAS answer UNSUPPORTED and the core runs the
// generated tiled kernel.
//
// The library is found once, at the first call: DOTCOMPUTE_BLAS (a ':'-separated list of
// shared-library paths, which dotcompute.algorithms fills with numpy's bundled OpenBLAS when the
// variable is unset; "none" disables BLAS), then the system's libopenblas. Builds that rename
// their symbols (scipy's OpenBLAS wheels: scipy_cblas_sgemm64_) and 64-bit-integer builds are
// both recognised.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "cpu_gemm.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cpu {
namespace {

constexpr int kRowMajor = 101;  // CblasRowMajor
constexpr int kNoTrans = 111;   // CblasNoTrans

using RealGemm32 = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);
using RealGemm64 = void (*)(int, int, int, int, int, int, double, const double*, int, const double*,
                            int, double, double*, int);
using ComplexGemm = void (*)(int, int, int, int, int, int, const void*, const void*, int,
                             const void*, int, const void*, void*, int);
using RealGemm32Ilp = void (*)(int, int, int, int64_t, int64_t, int64_t, float, const float*,
                               int64_t, const float*, int64_t, float, float*, int64_t);
using RealGemm64Ilp = void (*)(int, int, int, int64_t, int64_t, int64_t, double, const double*,
                               int64_t, const double*, int64_t, double, double*, int64_t);
using ComplexGemmIlp = void (*)(int, int, int, int64_t, int64_t, int64_t, const void*, const void*,
                                int64_t, const void*, int64_t, const void*, void*, int64_t);

/// The four GEMMs of one library, by dtype letter s, d, c, z.
struct Blas {
  bool ilp64 = false;
  void* gemm[4] = {};
  std::string path;
};

bool load_from(void* handle, const char* path, Blas* blas) {
  // (prefix, suffix, 64-bit integers) spellings, most specific first.
  static const struct {
    const char* prefix;
    const char* suffix;
    bool ilp64;
  } kSpellings[] = {{"scipy_cblas_", "64_", true},
                    {"cblas_", "64_", true},
                    {"scipy_cblas_", "", false},
                    {"cblas_", "", false}};
  static const char kLetters[4] = {'s', 'd', 'c', 'z'};
  for (const auto& spelling : kSpellings) {
    Blas found;
    found.ilp64 = spelling.ilp64;
    bool complete = true;
    for (int i = 0; i < 4 && complete; ++i) {
      const std::string name =
          std::string(spelling.prefix) + kLetters[i] + "gemm" + spelling.suffix;
      found.gemm[i] = dlsym(handle, name.c_str());
      complete = found.gemm[i] != nullptr;
    }
    if (complete) {
      found.path = path;
      *blas = found;
      return true;
    }
  }
  return false;
}

const Blas* find_blas() {
  static std::once_flag once;
  static Blas blas;
  static bool found = false;
  std::call_once(once, [] {
    std::string candidates;
    if (const char* listed = std::getenv("DOTCOMPUTE_BLAS")) candidates = listed;
    if (candidates == "none") return;
    candidates += candidates.empty() ? "libopenblas.so.0" : ":libopenblas.so.0";
    size_t start = 0;
    while (!found && start <= candidates.size()) {
      size_t end = candidates.find(':', start);
      if (end == std::string::npos) end = candidates.size();
      const std::string path = candidates.substr(start, end - start);
      start = end + 1;
      if (path.empty()) continue;
      // Kept open for the life of the process: GEMM threads may outlive a dlclose.
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) continue;
      found = load_from(handle, path.c_str(), &blas);
    }
  });
  return found ? &blas : nullptr;
}

const GemmKernelTable& gemm_kernels() noexcept {
  switch (active_simd_level()) {
#if defined(__x86_64__)
    case SimdLevel::Avx512:
      return gemm_kernels_avx512();
    case SimdLevel::Avx2:
      return gemm_kernels_avx2();
#endif
    default:
      return gemm_kernels_scalar();
  }
}

int dtype_letter(dc_dtype dtype) {
  switch (dtype) {
    case DC_DTYPE_FLOAT32:
      return 0;
    case DC_DTYPE_FLOAT64:
      return 1;
    case DC_DTYPE_COMPLEX64:
      return 2;
    case DC_DTYPE_COMPLEX128:
      return 3;
    default:
      return -1;
  }
}

void call_gemm(const Blas& blas, int letter, const void* a, const void* b, void* c, uint64_t m,
               uint64_t n, uint64_t k) {
  const double one[2] = {1.0, 0.0}, zero[2] = {0.0, 0.0};
  const float one_f[2] = {1.0f, 0.0f}, zero_f[2] = {0.0f, 0.0f};
  const auto M = static_cast<int64_t>(m), N = static_cast<int64_t>(n), K = static_cast<int64_t>(k);
  void* fn = blas.gemm[letter];
  if (blas.ilp64) {
    switch (letter) {
      case 0:
        reinterpret_cast<RealGemm32Ilp>(fn)(
            kRowMajor, kNoTrans, kNoTrans, M, N, K, 1.0f, static_cast<const float*>(a), K,
            static_cast<const float*>(b), N, 0.0f, static_cast<float*>(c), N);
        return;
      case 1:
        reinterpret_cast<RealGemm64Ilp>(fn)(
            kRowMajor, kNoTrans, kNoTrans, M, N, K, 1.0, static_cast<const double*>(a), K,
            static_cast<const double*>(b), N, 0.0, static_cast<double*>(c), N);
        return;
      default:
        reinterpret_cast<ComplexGemmIlp>(fn)(
            kRowMajor, kNoTrans, kNoTrans, M, N, K,
            letter == 2 ? static_cast<const void*>(one_f) : one, a, K, b, N,
            letter == 2 ? static_cast<const void*>(zero_f) : zero, c, N);
        return;
    }
  }
  const int Mi = static_cast<int>(m), Ni = static_cast<int>(n), Ki = static_cast<int>(k);
  switch (letter) {
    case 0:
      reinterpret_cast<RealGemm32>(fn)(
          kRowMajor, kNoTrans, kNoTrans, Mi, Ni, Ki, 1.0f, static_cast<const float*>(a), Ki,
          static_cast<const float*>(b), Ni, 0.0f, static_cast<float*>(c), Ni);
      return;
    case 1:
      reinterpret_cast<RealGemm64>(fn)(
          kRowMajor, kNoTrans, kNoTrans, Mi, Ni, Ki, 1.0, static_cast<const double*>(a), Ki,
          static_cast<const double*>(b), Ni, 0.0, static_cast<double*>(c), Ni);
      return;
    default:
      reinterpret_cast<ComplexGemm>(fn)(
          kRowMajor, kNoTrans, kNoTrans, Mi, Ni, Ki,
          letter == 2 ? static_cast<const void*>(one_f) : one, a, Ki, b, Ni,
          letter == 2 ? static_cast<const void*>(zero_f) : zero, c, Ni);
      return;
  }
}

}  // namespace

dc_status matmul(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view a,
                 dc_buffer_view b, dc_buffer_view out, uint64_t batch, uint64_t m, uint64_t n,
                 uint64_t k) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  const int letter = dtype_letter(dtype);
  if (letter < 0) {
    return fail(DC_STATUS_UNSUPPORTED, "matmul: no CPU GEMM for dtype %d", static_cast<int>(dtype));
  }
  const Blas* blas = find_blas();
  if (blas == nullptr && letter > 1) {
    return fail(DC_STATUS_UNSUPPORTED,
                "matmul: no BLAS library found for complex GEMM (set "
                "DOTCOMPUTE_BLAS)");
  }
  const uint64_t limit = blas == nullptr ? UINT64_MAX
                         : blas->ilp64   ? (uint64_t{1} << 62)
                                         : uint64_t{INT32_MAX};
  if (m > limit || n > limit || k > limit) {
    return fail(DC_STATUS_UNSUPPORTED, "matmul: dimensions too large for this BLAS");
  }
  const size_t size = dtype_size(dtype);
  const uint8_t* a_data = view_elements(a, batch * m * k, size, "matmul a");
  if (a_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const uint8_t* b_data = view_elements(b, batch * k * n, size, "matmul b");
  if (b_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* out_data = view_elements(out, batch * m * n, size, "matmul out");
  if (out_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  for (uint64_t i = 0; i < batch; ++i) {
    const uint8_t* a_i = a_data + i * m * k * size;
    const uint8_t* b_i = b_data + i * k * n * size;
    uint8_t* out_i = out_data + i * m * n * size;
    if (blas != nullptr) {
      call_gemm(*blas, letter, a_i, b_i, out_i, m, n, k);
    } else if (letter == 0) {
      gemm_kernels().f32(reinterpret_cast<const float*>(a_i), reinterpret_cast<const float*>(b_i),
                         reinterpret_cast<float*>(out_i), m, n, k, thread_pool());
    } else {
      gemm_kernels().f64(reinterpret_cast<const double*>(a_i), reinterpret_cast<const double*>(b_i),
                         reinterpret_cast<double*>(out_i), m, n, k, thread_pool());
    }
  }
  return DC_STATUS_OK;
}

}  // namespace dotcompute::cpu
