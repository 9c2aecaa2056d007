// cpp/cpu/float16.hpp
// IEEE binary16 <-> binary32 conversions in portable, branch-free C++ (round to nearest even).
#pragma once

#include <cstdint>
#include <cstring>

namespace dotcompute::cpu {
// Note [Internal linkage]: these helpers are compiled into every kernel translation unit with
// different instruction-set flags. An unnamed namespace gives each unit its own copy, so the
// linker can never pick an AVX-512 copy for the code path of a CPU without AVX-512.
namespace {

inline float bits_to_float(uint32_t bits) noexcept {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

inline uint32_t float_to_bits(float value) noexcept {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// Exact: every binary16 value is a binary32 value.
inline float half_to_float(uint16_t half) noexcept {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t magnitude = half & 0x7fffu;
  // Shifting the exponent and mantissa into place and scaling by 2^(127 - 15) rebiases normals
  // and normalizes subnormals (a binary32 subnormal times 2^112 is exact) in one multiply.
  const uint32_t scaled = float_to_bits(bits_to_float(magnitude << 13) * 0x1p112f);
  const uint32_t infinity_or_nan = (magnitude << 13) | 0x7f800000u;
  return bits_to_float(sign | (magnitude >= 0x7c00u ? infinity_or_nan : scaled));
}

/// Correctly rounded (to nearest, ties to even); overflow gives infinity, NaN stays a quiet NaN.
inline uint16_t float_to_half(float value) noexcept {
  const uint32_t bits = float_to_bits(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t magnitude = bits & 0x7fffffffu;
  const uint32_t nan = 0x7e00u | ((magnitude >> 13) & 0x3ffu);
  // Below 2^-14 the result is subnormal: adding 0.5 leaves the value rounded to a multiple of
  // 2^-24 (the binary16 subnormal step) in the low mantissa bits, by the FPU's own rounding.
  const uint32_t subnormal = float_to_bits(bits_to_float(magnitude) + 0.5f) - 0x3f000000u;
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
  const uint32_t odd = (magnitude >> 13) & 1u;
  const uint32_t normal = (magnitude - 0x38000000u + 0xfffu + odd) >> 13;
  uint32_t half = magnitude < 0x38800000u ? subnormal : normal;
  half = magnitude >= 0x477ff000u ? 0x7c00u : half;  // 65520 and up round to infinity
  half = magnitude > 0x7f800000u ? nan : half;
  return static_cast<uint16_t>(sign | half);
}

}  // namespace
}  // namespace dotcompute::cpu
