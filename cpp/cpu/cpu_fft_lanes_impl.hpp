// cpp/cpu/cpu_fft_lanes_impl.hpp
// The lane kernels of the CPU FFT (Note [Lane FFT] in cpu_fft.hpp), included once per
// instruction set with DOTCOMPUTE_FFT_KERNEL_TABLE naming the table it defines. Plain loops
// over kLanes contiguous numbers, which the compiler turns into that instruction set's vectors.
#include <cstring>

#include "cpu_fft.hpp"

namespace dotcompute::cpu {
namespace {

/// One lane row (kLanes numbers, 64 bytes) as a GCC vector: the compiler splits it into this
/// instruction set's registers, so every loop below is whole-vector code with no aliasing doubt.
template <typename T>
struct LaneVector;
template <>
struct LaneVector<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct LaneVector<double> {
  typedef double type __attribute__((vector_size(64)));
};

/// Note [Stockham radix 4]: pass at span s reads elements j + r n/4 (r < 4), turns element r by
/// w^(r k) with k = j mod s and w = exp(-/+ 2 pi i / (4 s)), and writes the 4-point DFT of
/// the four to (j div s) * 4s + k + q s. After the passes the data is in natural order.
template <typename T>
void radix4_pass(const T* xr_, const T* xi_, T* yr_, T* yi_, uint64_t n, uint64_t s, const T* twr,
                 const T* twi, bool inverse) {
  using V = typename LaneVector<T>::type;
  const V* xr = reinterpret_cast<const V*>(xr_);
  const V* xi = reinterpret_cast<const V*>(xi_);
  V* yr = reinterpret_cast<V*>(yr_);
  V* yi = reinterpret_cast<V*>(yi_);
  const uint64_t q = n / 4;
  const T conj = inverse ? T(-1) : T(1);
  const T sigma = inverse ? T(1) : T(-1);  // the 4-point DFT's i factor: sigma * i
  for (uint64_t g = 0; g < q / s; ++g) {
    for (uint64_t k = 0; k < s; ++k) {
      const uint64_t j = g * s + k, d = g * 4 * s + k;
      const T w1r = twr[k], w1i = twi[k] * conj;
      const T w2r = twr[s + k], w2i = twi[s + k] * conj;
      const T w3r = twr[2 * s + k], w3i = twi[2 * s + k] * conj;
      const V x0r = xr[j], x0i = xi[j];
      const V x1r = xr[j + q], x1i = xi[j + q];
      const V x2r = xr[j + 2 * q], x2i = xi[j + 2 * q];
      const V x3r = xr[j + 3 * q], x3i = xi[j + 3 * q];
      const V a1r = x1r * w1r - x1i * w1i, a1i = x1r * w1i + x1i * w1r;
      const V a2r = x2r * w2r - x2i * w2i, a2i = x2r * w2i + x2i * w2r;
      const V a3r = x3r * w3r - x3i * w3i, a3i = x3r * w3i + x3i * w3r;
      const V t0r = x0r + a2r, t0i = x0i + a2i;
      const V t1r = x0r - a2r, t1i = x0i - a2i;
      const V t2r = a1r + a3r, t2i = a1i + a3i;
      // sigma * i * (a1 - a3)
      const V t3r = (a3i - a1i) * sigma, t3i = (a1r - a3r) * sigma;
      yr[d] = t0r + t2r;
      yi[d] = t0i + t2i;
      yr[d + 2 * s] = t0r - t2r;
      yi[d + 2 * s] = t0i - t2i;
      yr[d + s] = t1r + t3r;
      yi[d + s] = t1i + t3i;
      yr[d + 3 * s] = t1r - t3r;
      yi[d + 3 * s] = t1i - t3i;
    }
  }
}

template <typename T>
void radix2_pass(const T* xr_, const T* xi_, T* yr_, T* yi_, uint64_t n, uint64_t s, const T* twr,
                 const T* twi, bool inverse) {
  using V = typename LaneVector<T>::type;
  const V* xr = reinterpret_cast<const V*>(xr_);
  const V* xi = reinterpret_cast<const V*>(xi_);
  V* yr = reinterpret_cast<V*>(yr_);
  V* yi = reinterpret_cast<V*>(yi_);
  const uint64_t h = n / 2;
  const T conj = inverse ? T(-1) : T(1);
  for (uint64_t g = 0; g < h / s; ++g) {
    for (uint64_t k = 0; k < s; ++k) {
      const uint64_t j = g * s + k, d = g * 2 * s + k;
      const T wr = twr[k], wi = twi[k] * conj;
      const V x0r = xr[j], x0i = xi[j], x1r = xr[j + h], x1i = xi[j + h];
      const V br = x1r * wr - x1i * wi, bi = x1r * wi + x1i * wr;
      yr[d] = x0r + br;
      yi[d] = x0i + bi;
      yr[d + s] = x0r - br;
      yi[d + s] = x0i - bi;
    }
  }
}

template <typename T>
bool lane_fft(const LanePlan<T>& plan, T* re, T* im, T* scratch_re, T* scratch_im, bool inverse) {
  T *src_r = re, *src_i = im, *dst_r = scratch_re, *dst_i = scratch_im;
  bool in_scratch = false;
  for (const FftPass& pass : plan.passes) {
    const T* twr = plan.twiddle_re.data() + pass.twiddle_offset;
    const T* twi = plan.twiddle_im.data() + pass.twiddle_offset;
    if (pass.radix == 4) {
      radix4_pass(src_r, src_i, dst_r, dst_i, plan.n, pass.span, twr, twi, inverse);
    } else {
      radix2_pass(src_r, src_i, dst_r, dst_i, plan.n, pass.span, twr, twi, inverse);
    }
    T* swap_r = src_r;
    T* swap_i = src_i;
    src_r = dst_r;
    src_i = dst_i;
    dst_r = swap_r;
    dst_i = swap_i;
    in_scratch = !in_scratch;
  }
  return in_scratch;
}

template <typename T>
void lane_twiddle(T* re_, T* im_, size_t rows, const T* lane_re_, const T* lane_im_,
                  const T* row_re, const T* row_im, bool inverse) {
  using V = typename LaneVector<T>::type;
  V* re = reinterpret_cast<V*>(re_);
  V* im = reinterpret_cast<V*>(im_);
  const V* lane_re = reinterpret_cast<const V*>(lane_re_);
  const V* lane_im = reinterpret_cast<const V*>(lane_im_);
  const T conj = inverse ? T(-1) : T(1);
  for (size_t p = 0; p < rows; ++p) {
    const T rr = row_re[p], ri = row_im[p];
    const V wr = lane_re[p] * rr - lane_im[p] * ri;
    const V wi = (lane_re[p] * ri + lane_im[p] * rr) * conj;
    const V xr = re[p], xi = im[p];
    re[p] = xr * wr - xi * wi;
    im[p] = xr * wi + xi * wr;
  }
}

/// Index vectors that pick the even (real) and odd (imaginary) parts of two lane vectors of
/// interleaved complex numbers, and that interleave them back.
template <typename T>
struct Shuffles;
template <>
struct Shuffles<float> {
  typedef int32_t Mask __attribute__((vector_size(64)));
  static constexpr Mask even = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
  static constexpr Mask odd = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
  static constexpr Mask low = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
  static constexpr Mask high = {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
};
template <>
struct Shuffles<double> {
  typedef int64_t Mask __attribute__((vector_size(64)));
  static constexpr Mask even = {0, 2, 4, 6, 8, 10, 12, 14};
  static constexpr Mask odd = {1, 3, 5, 7, 9, 11, 13, 15};
  static constexpr Mask low = {0, 8, 1, 9, 2, 10, 3, 11};
  static constexpr Mask high = {4, 12, 5, 13, 6, 14, 7, 15};
};

template <typename T>
void load_lanes(const T* source, uint64_t stride, size_t rows, T* re_, T* im_) {
  using V = typename LaneVector<T>::type;
  V* re = reinterpret_cast<V*>(re_);
  V* im = reinterpret_cast<V*>(im_);
  for (size_t p = 0; p < rows; ++p) {
    const T* row = source + 2 * p * stride;
    V first, second;
    std::memcpy(&first, row, sizeof(V));
    std::memcpy(&second, row + kLanes<T>, sizeof(V));
    re[p] = __builtin_shuffle(first, second, Shuffles<T>::even);
    im[p] = __builtin_shuffle(first, second, Shuffles<T>::odd);
  }
}

template <typename T>
void store_lanes(const T* re_, const T* im_, size_t rows, T* target, uint64_t stride) {
  using V = typename LaneVector<T>::type;
  const V* re = reinterpret_cast<const V*>(re_);
  const V* im = reinterpret_cast<const V*>(im_);
  for (size_t p = 0; p < rows; ++p) {
    T* row = target + 2 * p * stride;
    const V first = __builtin_shuffle(re[p], im[p], Shuffles<T>::low);
    const V second = __builtin_shuffle(re[p], im[p], Shuffles<T>::high);
    std::memcpy(row, &first, sizeof(V));
    std::memcpy(row + kLanes<T>, &second, sizeof(V));
  }
}

const FftKernelTable kTable = {
    {lane_fft<float>, lane_twiddle<float>, load_lanes<float>, store_lanes<float>},
    {lane_fft<double>, lane_twiddle<double>, load_lanes<double>, store_lanes<double>}};

}  // namespace

const FftKernelTable& DOTCOMPUTE_FFT_KERNEL_TABLE() noexcept { return kTable; }

}  // namespace dotcompute::cpu
