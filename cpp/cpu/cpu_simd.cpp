// cpp/cpu/cpu_simd.cpp
// Run-time choice of the SIMD level: what the CPU supports, lowered by DOTCOMPUTE_CPU_SIMD.
#include <cstdlib>
#include <cstring>

#include "cpu_backend.hpp"

namespace dotcompute::cpu {

const char* simd_level_name(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::Avx512:
      return "avx512";
    case SimdLevel::Avx2:
      return "avx2";
    case SimdLevel::Sse4:
      return "sse4";
    case SimdLevel::Neon:
      return "neon";
    case SimdLevel::Scalar:
      break;
  }
  return "scalar";
}

SimdLevel detected_simd_level() noexcept {
#if defined(__x86_64__)
  // __builtin_cpu_supports also checks (through XGETBV) that the OS saves the wide registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
    return SimdLevel::Avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c")) {
    return SimdLevel::Avx2;
  }
  if (__builtin_cpu_supports("sse4.2")) return SimdLevel::Sse4;
  return SimdLevel::Scalar;
#elif defined(__aarch64__)
  return SimdLevel::Neon;  // Advanced SIMD is part of the AArch64 baseline
#else
  return SimdLevel::Scalar;
#endif
}

dc_status choose_simd_level(SimdLevel* out_level, SimdLevel* out_requested) noexcept {
  const SimdLevel detected = detected_simd_level();
  *out_level = detected;
  *out_requested = detected;
  const char* requested = std::getenv("DOTCOMPUTE_CPU_SIMD");
  if (requested == nullptr || requested[0] == '\0') return DC_STATUS_OK;

  static const SimdLevel kNamedLevels[] = {SimdLevel::Scalar, SimdLevel::Sse4, SimdLevel::Avx2,
                                           SimdLevel::Avx512, SimdLevel::Neon};
  for (SimdLevel level : kNamedLevels) {
    if (std::strcmp(requested, simd_level_name(level)) != 0) continue;
    *out_requested = level;
    // A request can only lower the level; anything this CPU lacks is clamped to what it has.
    // NEON and the x86 levels are different families: asking for the other family's level
    // keeps the detected one, and scalar always means the baseline build.
    const bool same_family = (level == SimdLevel::Neon) == (detected == SimdLevel::Neon);
    if (level == SimdLevel::Scalar) {
      *out_level = detected == SimdLevel::Neon ? SimdLevel::Neon : SimdLevel::Scalar;
    } else if (same_family && static_cast<int>(level) < static_cast<int>(detected)) {
      *out_level = level;
    }
    return DC_STATUS_OK;
  }
  return fail(DC_STATUS_INVALID_ARGUMENT,
              "DOTCOMPUTE_CPU_SIMD='%s' names no SIMD level; use scalar, sse4, avx2, avx512 or "
              "neon, or unset it",
              requested);
}

const KernelTable& kernel_table_for(SimdLevel level) noexcept {
  switch (level) {
#if defined(__x86_64__)
    case SimdLevel::Avx512:
      return kernel_table_avx512();
    case SimdLevel::Avx2:
      return kernel_table_avx2();
    case SimdLevel::Sse4:
      return kernel_table_sse4();
#endif
    default:
      // On aarch64 the baseline build is the NEON build.
      return kernel_table_scalar();
  }
}

}  // namespace dotcompute::cpu
