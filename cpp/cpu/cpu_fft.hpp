// cpp/cpu/cpu_fft.hpp
// The CPU FFT's plans and its SIMD lane kernels (one build per instruction set, cpu_fft_lanes_*).
//
// Note [Lane FFT]: every transform the CPU computes is a batch of `kLanes` equal transforms
// stored "lane-major": element p of lane l sits at re[p * kLanes + l] and im[p * kLanes + l]. A
// Stockham pass then does the same butterfly on kLanes neighbouring numbers with one twiddle, so
// the inner loop is a plain SIMD loop with no shuffles. Lanes are independent rows of a batch
// (short transforms) or neighbouring columns / rows of the four-step split (long transforms,
// cpu_fft.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu_kernels.hpp"

namespace dotcompute::cpu {

/// Transforms a lane block holds at once: one 64-byte line of each part per element.
template <typename T>
constexpr size_t kLanes = 64 / sizeof(T);

/// One Stockham pass: radix 2 or 4 at span s (the product of the earlier radices).
struct FftPass {
  uint32_t radix;
  uint64_t span;
  uint64_t twiddle_offset;  // into the plan's tables: (radix - 1) * span entries
};

/// Passes and forward twiddles (exp(-2 pi i r k / (radix span))) of a power-of-two length.
template <typename T>
struct LanePlan {
  uint64_t n = 1;
  std::vector<FftPass> passes;
  std::vector<T> twiddle_re, twiddle_im;
};

/// Runs every pass of plan over the lane block (re, im), ping-ponging with (scratch_re,
/// scratch_im); returns true when the result ended in the scratch pair. inverse conjugates the
/// twiddles (no scaling).
template <typename T>
using LaneFftKernel = bool (*)(const LanePlan<T>& plan, T* re, T* im, T* scratch_re, T* scratch_im,
                               bool inverse);
/// re/im[p * kLanes + l] *= lane_twiddle[p * kLanes + l] * row_twiddle[p] for p < rows, the
/// twiddles conjugated when inverse.
template <typename T>
using LaneTwiddleKernel = void (*)(T* re, T* im, size_t rows, const T* lane_re, const T* lane_im,
                                   const T* row_re, const T* row_im, bool inverse);
/// Lane block row p <- the kLanes interleaved complex numbers at source + p * stride (complex
/// elements); unaligned sources are fine.
template <typename T>
using LoadLanesKernel = void (*)(const T* source, uint64_t stride, size_t rows, T* re, T* im);
/// The inverse: the kLanes numbers of lane block row p -> target + p * stride, interleaved.
template <typename T>
using StoreLanesKernel = void (*)(const T* re, const T* im, size_t rows, T* target,
                                  uint64_t stride);

template <typename T>
struct FftKernels {
  LaneFftKernel<T> lane_fft;
  LaneTwiddleKernel<T> twiddle;
  LoadLanesKernel<T> load_lanes;
  StoreLanesKernel<T> store_lanes;
};

struct FftKernelTable {
  FftKernels<float> f32;
  FftKernels<double> f64;
};

const FftKernelTable& fft_kernels_scalar() noexcept;
#if defined(__x86_64__)
const FftKernelTable& fft_kernels_avx2() noexcept;
const FftKernelTable& fft_kernels_avx512() noexcept;
#endif

}  // namespace dotcompute::cpu
