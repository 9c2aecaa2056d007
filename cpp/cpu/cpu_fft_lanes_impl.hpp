// cpp/cpu/cpu_fft_lanes_impl.hpp
// The lane kernels of the CPU FFT (Note [Lane FFT] in cpu_fft.hpp), included once per
// instruction set with DOTCOMPUTE_FFT_KERNEL_TABLE naming the table it defines. Plain loops
// over kLanes contiguous numbers, which the compiler turns into that instruction set's vectors.
#include "cpu_fft.hpp"

namespace dotcompute::cpu {
namespace {

/// Note [Stockham radix 4]: pass at span s reads elements j + r n/4 (r < 4), turns element r by
/// w^(r k) with k = j mod s and w = exp(-/+ 2 pi i / (4 s)), and writes the 4-point DFT of
/// the four to (j div s) * 4s + k + q s. After the passes the data is in natural order.
template <typename T>
void radix4_pass(const T* __restrict xr, const T* __restrict xi, T* __restrict yr, T* __restrict yi,
                 uint64_t n, uint64_t s, const T* twr, const T* twi, bool inverse) {
  constexpr size_t L = kLanes<T>;
  const uint64_t q = n / 4;
  const T conj = inverse ? T(-1) : T(1);
  const T sigma = inverse ? T(1) : T(-1);  // the 4-point DFT's i factor: sigma * i
  for (uint64_t g = 0; g < q / s; ++g) {
    for (uint64_t k = 0; k < s; ++k) {
      const uint64_t j = g * s + k, d = g * 4 * s + k;
      const T w1r = twr[k], w1i = twi[k] * conj;
      const T w2r = twr[s + k], w2i = twi[s + k] * conj;
      const T w3r = twr[2 * s + k], w3i = twi[2 * s + k] * conj;
      const T* x0r = xr + j * L;
      const T* x0i = xi + j * L;
      const T* x1r = xr + (j + q) * L;
      const T* x1i = xi + (j + q) * L;
      const T* x2r = xr + (j + 2 * q) * L;
      const T* x2i = xi + (j + 2 * q) * L;
      const T* x3r = xr + (j + 3 * q) * L;
      const T* x3i = xi + (j + 3 * q) * L;
      T* y0r = yr + d * L;
      T* y0i = yi + d * L;
      T* y1r = yr + (d + s) * L;
      T* y1i = yi + (d + s) * L;
      T* y2r = yr + (d + 2 * s) * L;
      T* y2i = yi + (d + 2 * s) * L;
      T* y3r = yr + (d + 3 * s) * L;
      T* y3i = yi + (d + 3 * s) * L;
      for (size_t l = 0; l < L; ++l) {
        const T a1r = x1r[l] * w1r - x1i[l] * w1i, a1i = x1r[l] * w1i + x1i[l] * w1r;
        const T a2r = x2r[l] * w2r - x2i[l] * w2i, a2i = x2r[l] * w2i + x2i[l] * w2r;
        const T a3r = x3r[l] * w3r - x3i[l] * w3i, a3i = x3r[l] * w3i + x3i[l] * w3r;
        const T t0r = x0r[l] + a2r, t0i = x0i[l] + a2i;
        const T t1r = x0r[l] - a2r, t1i = x0i[l] - a2i;
        const T t2r = a1r + a3r, t2i = a1i + a3i;
        // sigma * i * (a1 - a3)
        const T t3r = -sigma * (a1i - a3i), t3i = sigma * (a1r - a3r);
        y0r[l] = t0r + t2r;
        y0i[l] = t0i + t2i;
        y2r[l] = t0r - t2r;
        y2i[l] = t0i - t2i;
        y1r[l] = t1r + t3r;
        y1i[l] = t1i + t3i;
        y3r[l] = t1r - t3r;
        y3i[l] = t1i - t3i;
      }
    }
  }
}

template <typename T>
void radix2_pass(const T* __restrict xr, const T* __restrict xi, T* __restrict yr, T* __restrict yi,
                 uint64_t n, uint64_t s, const T* twr, const T* twi, bool inverse) {
  constexpr size_t L = kLanes<T>;
  const uint64_t h = n / 2;
  const T conj = inverse ? T(-1) : T(1);
  for (uint64_t g = 0; g < h / s; ++g) {
    for (uint64_t k = 0; k < s; ++k) {
      const uint64_t j = g * s + k, d = g * 2 * s + k;
      const T wr = twr[k], wi = twi[k] * conj;
      const T* x0r = xr + j * L;
      const T* x0i = xi + j * L;
      const T* x1r = xr + (j + h) * L;
      const T* x1i = xi + (j + h) * L;
      T* y0r = yr + d * L;
      T* y0i = yi + d * L;
      T* y1r = yr + (d + s) * L;
      T* y1i = yi + (d + s) * L;
      for (size_t l = 0; l < L; ++l) {
        const T br = x1r[l] * wr - x1i[l] * wi, bi = x1r[l] * wi + x1i[l] * wr;
        y0r[l] = x0r[l] + br;
        y0i[l] = x0i[l] + bi;
        y1r[l] = x0r[l] - br;
        y1i[l] = x0i[l] - bi;
      }
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
void lane_twiddle(T* __restrict re, T* __restrict im, size_t rows, const T* __restrict lane_re,
                  const T* __restrict lane_im, const T* row_re, const T* row_im) {
  constexpr size_t L = kLanes<T>;
  for (size_t p = 0; p < rows; ++p) {
    const T rr = row_re[p], ri = row_im[p];
    T* pr = re + p * L;
    T* pi = im + p * L;
    const T* tr = lane_re + p * L;
    const T* ti = lane_im + p * L;
    for (size_t l = 0; l < L; ++l) {
      const T wr = tr[l] * rr - ti[l] * ri, wi = tr[l] * ri + ti[l] * rr;
      const T xr = pr[l], xi = pi[l];
      pr[l] = xr * wr - xi * wi;
      pi[l] = xr * wi + xi * wr;
    }
  }
}

const FftKernelTable kTable = {lane_fft<float>, lane_fft<double>, lane_twiddle<float>,
                               lane_twiddle<double>};

}  // namespace

const FftKernelTable& DOTCOMPUTE_FFT_KERNEL_TABLE() noexcept { return kTable; }

}  // namespace dotcompute::cpu
