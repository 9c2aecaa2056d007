// cpp/cpu/cpu_kernels_impl.hpp
// The built-in kernels, written once over GCC/Clang vector types and compiled once per ISA.
//
// Each cpu_kernels_<isa>.cpp defines DOTCOMPUTE_CPU_VECTOR_BYTES (the vector width) and
// DOTCOMPUTE_CPU_KERNEL_TABLE (the name of its table function), then includes this file with its
// own -m flags. Everything but the table function sits in an unnamed namespace, see
// Note [Internal linkage] in float16.hpp.
//
// Elementwise loops use explicit vectors rather than relying on autovectorization: out may be
// the same array as an input, and the compiler's runtime alias checks would send that case to
// the scalar loop. Floating reductions use explicit vectors because the compiler may not
// reassociate them on its own.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(__AVX512F__) || defined(__F16C__)
#include <immintrin.h>
#endif

#include "cpu_columns_impl.hpp"
#include "cpu_kernels.hpp"
#include "float16.hpp"

#if !defined(DOTCOMPUTE_CPU_VECTOR_BYTES) || !defined(DOTCOMPUTE_CPU_KERNEL_TABLE)
#error "define DOTCOMPUTE_CPU_VECTOR_BYTES and DOTCOMPUTE_CPU_KERNEL_TABLE before including"
#endif

namespace dotcompute::cpu {
namespace {

constexpr size_t kVectorBytes = DOTCOMPUTE_CPU_VECTOR_BYTES;

/// Values each SIMD lane adds in the narrow type before a floating sum's block total moves into
/// a compensated double: the rounding error grows with this count, not with the array length.
constexpr size_t kSumValuesPerLane = 64;

template <typename T>
struct VectorOf {
  typedef T type __attribute__((vector_size(kVectorBytes)));
};
template <typename T>
using Vector = typename VectorOf<T>::type;
template <typename T>
constexpr size_t kLanes = kVectorBytes / sizeof(T);

template <typename V, typename T>
inline V load_vector(const T* pointer) noexcept {
  V value;
  std::memcpy(&value, pointer, sizeof(V));
  return value;
}

template <typename T, typename V>
inline void store_vector(T* pointer, V value) noexcept {
  std::memcpy(pointer, &value, sizeof(V));
}

/// Half-precision lanes widened to a float vector (F16C/AVX-512 convert in hardware).
inline Vector<float> load_halves(const uint16_t* pointer) noexcept {
#if defined(__AVX512F__) && DOTCOMPUTE_CPU_VECTOR_BYTES == 64
  // The maskz forms: GCC 12 warns about the undefined source register of the plain ones.
  return _mm512_maskz_cvtph_ps(0xffff,
                               _mm256_loadu_si256(reinterpret_cast<const __m256i*>(pointer)));
#elif defined(__F16C__) && DOTCOMPUTE_CPU_VECTOR_BYTES == 32
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pointer)));
#else
  Vector<float> value;
  for (size_t lane = 0; lane < kLanes<float>; ++lane) value[lane] = half_to_float(pointer[lane]);
  return value;
#endif
}

inline void store_halves(uint16_t* pointer, Vector<float> value) noexcept {
#if defined(__AVX512F__) && DOTCOMPUTE_CPU_VECTOR_BYTES == 64
  _mm256_storeu_si256(
      reinterpret_cast<__m256i*>(pointer),
      _mm512_maskz_cvtps_ph(0xffff, value, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#elif defined(__F16C__) && DOTCOMPUTE_CPU_VECTOR_BYTES == 32
  _mm_storeu_si128(reinterpret_cast<__m128i*>(pointer),
                   _mm256_cvtps_ph(value, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  for (size_t lane = 0; lane < kLanes<float>; ++lane) pointer[lane] = float_to_half(value[lane]);
#endif
}

/// float16 is stored as its bits; every computation happens in float.
struct Half {
  uint16_t bits;
};

// Note [Complex rounding]: GCC's vectorizer recognizes complex multiplication and emits
// fmaddsub (a fused multiply-add) even under -ffp-contract=off, and only on the levels that
// have FMA, so the same call would round differently per SIMD level. The complex kernels keep
// the plain formula (each product rounded, as numpy's scalar loops do) by not vectorizing.
#if defined(__GNUC__) && !defined(__clang__)
#define DOTCOMPUTE_CPU_PLAIN_ROUNDING __attribute__((optimize("no-tree-vectorize")))
#else
#define DOTCOMPUTE_CPU_PLAIN_ROUNDING
#endif

// ---------------------------------------------------------------------------------------------
// Elementwise operations. Each functor works on scalars and on vectors alike.

struct Add {
  template <typename X>
  X operator()(X x, X y) const noexcept {
    return x + y;
  }
};
struct Subtract {
  template <typename X>
  X operator()(X x, X y) const noexcept {
    return x - y;
  }
};
struct Multiply {
  template <typename X>
  X operator()(X x, X y) const noexcept {
    return x * y;
  }
};
struct Divide {
  template <typename X>
  X operator()(X x, X y) const noexcept {
    return x / y;
  }
};

/// 1 where x is nonzero, else 0 (vector compares give all-ones lanes, hence the mask).
template <typename X>
inline X nonzero_as_one(X x) noexcept {
  if constexpr (std::is_arithmetic_v<X>) {
    return x != 0 ? 1 : 0;
  } else {
    return (X)(x != 0) & 1;
  }
}
/// bool "add" is logical or, as in numpy.
struct LogicalOr {
  template <typename X>
  X operator()(X x, X y) const noexcept {
    return nonzero_as_one<X>(x | y);
  }
};
/// bool "multiply" is logical and, as in numpy.
struct LogicalAnd {
  template <typename X>
  X operator()(X x, X y) const noexcept {
    return nonzero_as_one<X>(x) & nonzero_as_one<X>(y);
  }
};

template <typename T, typename Op>
inline void binary_loop(const T* a, const T* b, T* out, size_t count, Op op) noexcept {
  using V = Vector<T>;
  constexpr size_t lanes = kLanes<T>;
  size_t i = 0;
  // Four vectors per step keep enough loads in flight; every load of a step happens before its
  // stores, which keeps out == a and out == b correct.
  for (; i + 4 * lanes <= count; i += 4 * lanes) {
    const V a0 = load_vector<V>(a + i), a1 = load_vector<V>(a + i + lanes);
    const V a2 = load_vector<V>(a + i + 2 * lanes), a3 = load_vector<V>(a + i + 3 * lanes);
    const V b0 = load_vector<V>(b + i), b1 = load_vector<V>(b + i + lanes);
    const V b2 = load_vector<V>(b + i + 2 * lanes), b3 = load_vector<V>(b + i + 3 * lanes);
    store_vector(out + i, op(a0, b0));
    store_vector(out + i + lanes, op(a1, b1));
    store_vector(out + i + 2 * lanes, op(a2, b2));
    store_vector(out + i + 3 * lanes, op(a3, b3));
  }
  for (; i + lanes <= count; i += lanes) {
    store_vector(out + i, op(load_vector<V>(a + i), load_vector<V>(b + i)));
  }
  for (; i < count; ++i) out[i] = static_cast<T>(op(a[i], b[i]));
}

template <typename Op>
inline void binary_loop_half(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t count,
                             Op op) noexcept {
  constexpr size_t lanes = kLanes<float>;
  size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    store_halves(out + i, op(load_halves(a + i), load_halves(b + i)));
  }
  // binary32 has more than 2 * 11 + 2 mantissa bits, so rounding the float result once more to
  // binary16 still gives the correctly rounded binary16 result of +, -, * and /.
  for (; i < count; ++i) out[i] = float_to_half(op(half_to_float(a[i]), half_to_float(b[i])));
}

template <typename T, typename Op>
void binary_kernel(const void* a, const void* b, void* out, size_t count) noexcept {
  if constexpr (std::is_same_v<T, Half>) {
    binary_loop_half(static_cast<const uint16_t*>(a), static_cast<const uint16_t*>(b),
                     static_cast<uint16_t*>(out), count, Op{});
  } else {
    binary_loop(static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out), count,
                Op{});
  }
}

/// Complex add and subtract are the real operation over twice as many scalars.
template <typename F, typename Op>
void complex_componentwise_kernel(const void* a, const void* b, void* out, size_t count) noexcept {
  binary_loop(static_cast<const F*>(a), static_cast<const F*>(b), static_cast<F*>(out), 2 * count,
              Op{});
}

template <typename F>
DOTCOMPUTE_CPU_PLAIN_ROUNDING void complex_multiply_kernel(const void* a_data, const void* b_data,
                                                           void* out_data, size_t count) noexcept {
  const F* a = static_cast<const F*>(a_data);
  const F* b = static_cast<const F*>(b_data);
  F* out = static_cast<F*>(out_data);
  for (size_t i = 0; i < count; ++i) {
    const F a_real = a[2 * i], a_imag = a[2 * i + 1];
    const F b_real = b[2 * i], b_imag = b[2 * i + 1];
    out[2 * i] = a_real * b_real - a_imag * b_imag;
    out[2 * i + 1] = a_real * b_imag + a_imag * b_real;
  }
}

/// Smith's algorithm: scaling by the larger component of the divisor avoids the overflow and
/// underflow of the textbook formula; division by zero gives (a.real / 0, a.imag / 0) like numpy.
template <typename F>
DOTCOMPUTE_CPU_PLAIN_ROUNDING void complex_divide_kernel(const void* a_data, const void* b_data,
                                                         void* out_data, size_t count) noexcept {
  const F* a = static_cast<const F*>(a_data);
  const F* b = static_cast<const F*>(b_data);
  F* out = static_cast<F*>(out_data);
  for (size_t i = 0; i < count; ++i) {
    const F a_real = a[2 * i], a_imag = a[2 * i + 1];
    const F b_real = b[2 * i], b_imag = b[2 * i + 1];
    const F abs_real = b_real < 0 ? -b_real : b_real;
    const F abs_imag = b_imag < 0 ? -b_imag : b_imag;
    F real, imag;
    if (abs_real >= abs_imag) {
      if (abs_real == 0 && abs_imag == 0) {
        real = a_real / abs_real;
        imag = a_imag / abs_imag;
      } else {
        const F ratio = b_imag / b_real;
        const F scale = F(1) / (b_real + b_imag * ratio);
        real = (a_real + a_imag * ratio) * scale;
        imag = (a_imag - a_real * ratio) * scale;
      }
    } else {
      const F ratio = b_real / b_imag;
      const F scale = F(1) / (b_imag + b_real * ratio);
      real = (a_real * ratio + a_imag) * scale;
      imag = (a_imag * ratio - a_real) * scale;
    }
    out[2 * i] = real;
    out[2 * i + 1] = imag;
  }
}

/// Python's //: rounds toward negative infinity; x // 0 == 0 and MIN // -1 wraps to MIN, as
/// numpy does (a hardware division would trap on both).
template <typename T>
inline T floor_divide(T x, T y) noexcept {
  if (y == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    using Unsigned = std::make_unsigned_t<T>;
    if (y == -1) return static_cast<T>(Unsigned(0) - static_cast<Unsigned>(x));
    T quotient = static_cast<T>(x / y);
    if (static_cast<T>(x % y) != 0 && ((x < 0) != (y < 0))) --quotient;
    return quotient;
  } else {
    return static_cast<T>(x / y);
  }
}

template <typename T>
void floor_divide_kernel(const void* a_data, const void* b_data, void* out_data,
                         size_t count) noexcept {
  const T* a = static_cast<const T*>(a_data);
  const T* b = static_cast<const T*>(b_data);
  T* out = static_cast<T*>(out_data);
  for (size_t i = 0; i < count; ++i) out[i] = floor_divide(a[i], b[i]);
}

// ---------------------------------------------------------------------------------------------
// axpy: out = alpha * x + y. Integers compute in their unsigned twin so overflow wraps.

template <typename T>
void axpy_kernel(const void* alpha_data, const void* x_data, const void* y_data, void* out_data,
                 size_t count) noexcept {
  using V = Vector<T>;
  constexpr size_t lanes = kLanes<T>;
  T alpha;
  std::memcpy(&alpha, alpha_data, sizeof(T));
  const T* x = static_cast<const T*>(x_data);
  const T* y = static_cast<const T*>(y_data);
  T* out = static_cast<T*>(out_data);
  const V alpha_vector = V{} + alpha;
  size_t i = 0;
  for (; i + 2 * lanes <= count; i += 2 * lanes) {
    const V x0 = load_vector<V>(x + i), x1 = load_vector<V>(x + i + lanes);
    const V y0 = load_vector<V>(y + i), y1 = load_vector<V>(y + i + lanes);
    store_vector(out + i, alpha_vector * x0 + y0);
    store_vector(out + i + lanes, alpha_vector * x1 + y1);
  }
  for (; i + lanes <= count; i += lanes) {
    store_vector(out + i, alpha_vector * load_vector<V>(x + i) + load_vector<V>(y + i));
  }
  for (; i < count; ++i) out[i] = static_cast<T>(alpha * x[i] + y[i]);
}

void axpy_half_kernel(const void* alpha_data, const void* x_data, const void* y_data,
                      void* out_data, size_t count) noexcept {
  uint16_t alpha_bits;
  std::memcpy(&alpha_bits, alpha_data, sizeof(alpha_bits));
  const float alpha = half_to_float(alpha_bits);
  const uint16_t* x = static_cast<const uint16_t*>(x_data);
  const uint16_t* y = static_cast<const uint16_t*>(y_data);
  uint16_t* out = static_cast<uint16_t*>(out_data);
  const Vector<float> alpha_vector = Vector<float>{} + alpha;
  constexpr size_t lanes = kLanes<float>;
  size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    store_halves(out + i, alpha_vector * load_halves(x + i) + load_halves(y + i));
  }
  for (; i < count; ++i) out[i] = float_to_half(alpha * half_to_float(x[i]) + half_to_float(y[i]));
}

template <typename F>
DOTCOMPUTE_CPU_PLAIN_ROUNDING void axpy_complex_kernel(const void* alpha_data, const void* x_data,
                                                       const void* y_data, void* out_data,
                                                       size_t count) noexcept {
  F alpha[2];
  std::memcpy(alpha, alpha_data, sizeof(alpha));
  const F* x = static_cast<const F*>(x_data);
  const F* y = static_cast<const F*>(y_data);
  F* out = static_cast<F*>(out_data);
  for (size_t i = 0; i < count; ++i) {
    const F x_real = x[2 * i], x_imag = x[2 * i + 1];
    const F real = alpha[0] * x_real - alpha[1] * x_imag + y[2 * i];
    const F imag = alpha[0] * x_imag + alpha[1] * x_real + y[2 * i + 1];
    out[2 * i] = real;
    out[2 * i + 1] = imag;
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions.

inline double absolute(double value) noexcept { return value < 0 ? -value : value; }

/// Neumaier's compensated addition: the rounding error of each step goes into compensation.
inline void compensated_add(double& sum, double& compensation, double value) noexcept {
  const double total = sum + value;
  if (absolute(sum) >= absolute(value)) {
    compensation += (sum - total) + value;
  } else {
    compensation += (value - total) + sum;
  }
  sum = total;
}

/// A vector of Accumulator lanes loaded from Source (float16 widens to float).
template <typename Accumulator, typename Source>
inline Vector<Accumulator> load_as(const Source* pointer) noexcept {
  if constexpr (std::is_same_v<Source, uint16_t>) {
    return load_halves(pointer);
  } else {
    return load_vector<Vector<Accumulator>>(pointer);
  }
}

template <typename Accumulator, typename Source>
inline Accumulator scalar_as(Source value) noexcept {
  if constexpr (std::is_same_v<Source, uint16_t>) {
    return half_to_float(value);
  } else {
    return value;
  }
}

/// The sum of the vectors of input[i, end) in four accumulators; i moves to where it stopped
/// (fewer than one vector before end).
template <typename Accumulator, typename Source>
inline Vector<Accumulator> sum_vectors(const Source* input, size_t& i, size_t end) noexcept {
  using V = Vector<Accumulator>;
  constexpr size_t lanes = kLanes<Accumulator>;
  V accumulator0 = {}, accumulator1 = {}, accumulator2 = {}, accumulator3 = {};
  for (; i + 4 * lanes <= end; i += 4 * lanes) {
    accumulator0 += load_as<Accumulator>(input + i);
    accumulator1 += load_as<Accumulator>(input + i + lanes);
    accumulator2 += load_as<Accumulator>(input + i + 2 * lanes);
    accumulator3 += load_as<Accumulator>(input + i + 3 * lanes);
  }
  for (; i + lanes <= end; i += lanes) accumulator0 += load_as<Accumulator>(input + i);
  return (accumulator0 + accumulator1) + (accumulator2 + accumulator3);
}

/// Double lanes that add values with their rounding errors kept apart (Knuth's TwoSum, lane by
/// lane, branch free), so a long sum of block totals loses nothing to cancellation.
struct CompensatedLanes {
  Vector<double> sum = {}, compensation = {};

  void add(Vector<double> value) noexcept {
    const Vector<double> total = sum + value;
    const Vector<double> sum_part = total - value;
    const Vector<double> value_part = total - sum_part;
    compensation += (sum - sum_part) + (value - value_part);
    sum = total;
  }

  /// Moves the lanes into out: even lanes to index 0 and odd lanes to index 1 when kComplex
  /// (real and imaginary parts), all to index 0 otherwise.
  template <bool kComplex>
  void add_to(ReducePartial* out) const noexcept {
    for (size_t lane = 0; lane < kLanes<double>; ++lane) {
      const size_t part = kComplex ? lane % 2 : 0;
      compensated_add(out->sum[part], out->compensation[part], sum[lane]);
      out->compensation[part] += compensation[lane];
    }
  }
};

/// Sums count scalars in blocks of kSumValuesPerLane values a lane. Inside a block the lanes
/// add in the Accumulator type; each block's vector total then goes, lane by lane, into
/// compensated double lanes (float totals widened into two vectors of doubles), and the lanes
/// meet only at the end. With kComplex the input interleaves real and imaginary parts; blocks
/// start at even positions and every vector (and half vector) holds an even number of lanes, so
/// even lanes always carry real parts and odd lanes imaginary parts.
///
/// Note [Sum block totals]: an earlier version added each block's lanes horizontally into one
/// compensated double. That serial tail cost 3-5% of an in-cache float32 sum (single thread,
/// 1M-4M elements, medians of 40 interleaved rounds); the lane-wise adds cost two conversions
/// and a few vector adds a block.
template <typename Accumulator, typename Source, bool kComplex>
void sum_floating(const Source* input, size_t count, ReducePartial* out) noexcept {
  constexpr size_t lanes = kLanes<Accumulator>;
  constexpr size_t kSumBlock = 4 * lanes * kSumValuesPerLane;  // 4 accumulators
  constexpr bool kWiden = std::is_same_v<Accumulator, float>;
  static_assert(lanes % (kWiden ? 4 : 2) == 0, "halves of vectors pair real and imaginary");
  CompensatedLanes lower, upper;  // upper: the upper halves of widened float totals
  size_t i = 0;
  for (size_t start = 0; start < count; start += kSumBlock) {
    i = start;
    const Vector<Accumulator> total =
        sum_vectors<Accumulator>(input, i, count - start > kSumBlock ? start + kSumBlock : count);
    if constexpr (kWiden) {
      typedef float Half __attribute__((vector_size(kVectorBytes / 2)));
      Half half[2];
      std::memcpy(half, &total, sizeof(total));
      lower.add(__builtin_convertvector(half[0], Vector<double>));
      upper.add(__builtin_convertvector(half[1], Vector<double>));
    } else {
      lower.add(total);
    }
  }
  lower.add_to<kComplex>(out);
  if constexpr (kWiden) upper.add_to<kComplex>(out);
  for (; i < count; ++i) {  // the scalars after the last whole vector
    const size_t part = kComplex ? i % 2 : 0;
    compensated_add(out->sum[part], out->compensation[part], scalar_as<Accumulator>(input[i]));
  }
}

template <typename Accumulator, typename Source, bool kComplex>
void sum_floating_kernel(const void* input, size_t count, ReducePartial* out) noexcept {
  *out = ReducePartial{};
  sum_floating<Accumulator, Source, kComplex>(static_cast<const Source*>(input),
                                              kComplex ? 2 * count : count, out);
}

/// Integer and bool sums in 64 bits, wrapping (signed values are sign-extended first).
template <typename T>
void sum_integer_kernel(const void* input_data, size_t count, ReducePartial* out) noexcept {
  const T* input = static_cast<const T*>(input_data);
  uint64_t sum = 0;
  if constexpr (std::is_same_v<T, bool>) {
    const uint8_t* bytes = static_cast<const uint8_t*>(input_data);
    for (size_t i = 0; i < count; ++i) sum += bytes[i] != 0;
  } else if constexpr (std::is_signed_v<T>) {
    for (size_t i = 0; i < count; ++i) sum += static_cast<uint64_t>(static_cast<int64_t>(input[i]));
  } else {
    for (size_t i = 0; i < count; ++i) sum += input[i];
  }
  *out = ReducePartial{};
  out->integer = sum;
}

/// Floating min/max; any NaN makes the result NaN, like numpy.minimum.reduce.
template <typename Accumulator, typename Source, bool kMaximum>
void extreme_floating_kernel(const void* input_data, size_t count, ReducePartial* out) noexcept {
  using V = Vector<Accumulator>;
  using Mask = decltype(V{} < V{});
  constexpr size_t lanes = kLanes<Accumulator>;
  const Source* input = static_cast<const Source*>(input_data);
  Accumulator best = scalar_as<Accumulator>(input[0]);
  bool saw_nan = best != best;
  size_t i = 0;
  if (count >= 2 * lanes) {
    V best0 = load_as<Accumulator>(input), best1 = best0;
    Mask nan_lanes = {};
    for (; i + 2 * lanes <= count; i += 2 * lanes) {
      const V value0 = load_as<Accumulator>(input + i);
      const V value1 = load_as<Accumulator>(input + i + lanes);
      nan_lanes |= (value0 != value0) | (value1 != value1);
      if constexpr (kMaximum) {
        best0 = value0 > best0 ? value0 : best0;
        best1 = value1 > best1 ? value1 : best1;
      } else {
        best0 = value0 < best0 ? value0 : best0;
        best1 = value1 < best1 ? value1 : best1;
      }
    }
    for (size_t lane = 0; lane < lanes; ++lane) {
      saw_nan |= nan_lanes[lane] != 0;
      const Accumulator candidates[2] = {best0[lane], best1[lane]};
      for (const Accumulator candidate : candidates) {
        if (kMaximum ? candidate > best : candidate < best) best = candidate;
      }
    }
  }
  for (; i < count; ++i) {
    const Accumulator value = scalar_as<Accumulator>(input[i]);
    saw_nan |= value != value;
    if (kMaximum ? value > best : value < best) best = value;
  }
  if (saw_nan) best = std::numeric_limits<Accumulator>::quiet_NaN();
  *out = ReducePartial{};
  if constexpr (std::is_same_v<Source, uint16_t>) {
    const uint16_t bits = float_to_half(best);  // exact: best came from a binary16 value
    std::memcpy(out->extreme, &bits, sizeof(bits));
  } else {
    std::memcpy(out->extreme, &best, sizeof(best));
  }
}

template <typename T, bool kMaximum>
void extreme_integer_kernel(const void* input_data, size_t count, ReducePartial* out) noexcept {
  const T* input = static_cast<const T*>(input_data);
  T best = input[0];
  for (size_t i = 1; i < count; ++i) {
    if constexpr (kMaximum) {
      best = input[i] > best ? input[i] : best;
    } else {
      best = input[i] < best ? input[i] : best;
    }
  }
  *out = ReducePartial{};
  std::memcpy(out->extreme, &best, sizeof(best));
}

/// bool min is "all", max is "any".
template <bool kMaximum>
void extreme_bool_kernel(const void* input_data, size_t count, ReducePartial* out) noexcept {
  const uint8_t* input = static_cast<const uint8_t*>(input_data);
  uint8_t any_true = 0, all_true = 1;
  for (size_t i = 0; i < count; ++i) {
    any_true |= input[i] != 0;
    all_true &= input[i] != 0;
  }
  *out = ReducePartial{};
  out->extreme[0] = kMaximum ? any_true : all_true;
}

/// Complex values order lexicographically (real part, then imaginary), as in numpy; a NaN in
/// either part wins.
template <typename F, bool kMaximum>
void extreme_complex_kernel(const void* input_data, size_t count, ReducePartial* out) noexcept {
  const F* input = static_cast<const F*>(input_data);
  F best_real = input[0], best_imag = input[1];
  for (size_t i = 1; i < count && best_real == best_real && best_imag == best_imag; ++i) {
    const F real = input[2 * i], imag = input[2 * i + 1];
    const bool is_nan = real != real || imag != imag;
    const bool better = kMaximum ? (real > best_real || (real == best_real && imag > best_imag))
                                 : (real < best_real || (real == best_real && imag < best_imag));
    if (is_nan || better) {
      best_real = real;
      best_imag = imag;
    }
  }
  *out = ReducePartial{};
  std::memcpy(out->extreme, &best_real, sizeof(F));
  std::memcpy(out->extreme + sizeof(F), &best_imag, sizeof(F));
}

// ---------------------------------------------------------------------------------------------
// The table.

template <typename Op>
void set_integer_binary(KernelTable& table, int op) noexcept {
  // Signed integers run in their unsigned twin: the same bits, but overflow is defined.
  table.binary[op][DC_DTYPE_INT8] = binary_kernel<uint8_t, Op>;
  table.binary[op][DC_DTYPE_INT16] = binary_kernel<uint16_t, Op>;
  table.binary[op][DC_DTYPE_INT32] = binary_kernel<uint32_t, Op>;
  table.binary[op][DC_DTYPE_INT64] = binary_kernel<uint64_t, Op>;
  table.binary[op][DC_DTYPE_UINT8] = binary_kernel<uint8_t, Op>;
  table.binary[op][DC_DTYPE_UINT16] = binary_kernel<uint16_t, Op>;
  table.binary[op][DC_DTYPE_UINT32] = binary_kernel<uint32_t, Op>;
  table.binary[op][DC_DTYPE_UINT64] = binary_kernel<uint64_t, Op>;
}

template <typename Op>
void set_floating_binary(KernelTable& table, int op) noexcept {
  table.binary[op][DC_DTYPE_FLOAT16] = binary_kernel<Half, Op>;
  table.binary[op][DC_DTYPE_FLOAT32] = binary_kernel<float, Op>;
  table.binary[op][DC_DTYPE_FLOAT64] = binary_kernel<double, Op>;
}

template <bool kMaximum>
void set_extreme(KernelTable& table, int op) noexcept {
  table.reduce[op][DC_DTYPE_BOOL] = extreme_bool_kernel<kMaximum>;
  table.reduce[op][DC_DTYPE_INT8] = extreme_integer_kernel<int8_t, kMaximum>;
  table.reduce[op][DC_DTYPE_INT16] = extreme_integer_kernel<int16_t, kMaximum>;
  table.reduce[op][DC_DTYPE_INT32] = extreme_integer_kernel<int32_t, kMaximum>;
  table.reduce[op][DC_DTYPE_INT64] = extreme_integer_kernel<int64_t, kMaximum>;
  table.reduce[op][DC_DTYPE_UINT8] = extreme_integer_kernel<uint8_t, kMaximum>;
  table.reduce[op][DC_DTYPE_UINT16] = extreme_integer_kernel<uint16_t, kMaximum>;
  table.reduce[op][DC_DTYPE_UINT32] = extreme_integer_kernel<uint32_t, kMaximum>;
  table.reduce[op][DC_DTYPE_UINT64] = extreme_integer_kernel<uint64_t, kMaximum>;
  table.reduce[op][DC_DTYPE_FLOAT16] = extreme_floating_kernel<float, uint16_t, kMaximum>;
  table.reduce[op][DC_DTYPE_FLOAT32] = extreme_floating_kernel<float, float, kMaximum>;
  table.reduce[op][DC_DTYPE_FLOAT64] = extreme_floating_kernel<double, double, kMaximum>;
  table.reduce[op][DC_DTYPE_COMPLEX64] = extreme_complex_kernel<float, kMaximum>;
  table.reduce[op][DC_DTYPE_COMPLEX128] = extreme_complex_kernel<double, kMaximum>;
}

KernelTable make_kernel_table() noexcept {
  KernelTable table{};

  table.binary[DC_BINARY_ADD][DC_DTYPE_BOOL] = binary_kernel<uint8_t, LogicalOr>;
  table.binary[DC_BINARY_MULTIPLY][DC_DTYPE_BOOL] = binary_kernel<uint8_t, LogicalAnd>;
  set_integer_binary<Add>(table, DC_BINARY_ADD);
  set_integer_binary<Subtract>(table, DC_BINARY_SUBTRACT);
  set_integer_binary<Multiply>(table, DC_BINARY_MULTIPLY);
  set_floating_binary<Add>(table, DC_BINARY_ADD);
  set_floating_binary<Subtract>(table, DC_BINARY_SUBTRACT);
  set_floating_binary<Multiply>(table, DC_BINARY_MULTIPLY);
  set_floating_binary<Divide>(table, DC_BINARY_DIVIDE);
  table.binary[DC_BINARY_ADD][DC_DTYPE_COMPLEX64] = complex_componentwise_kernel<float, Add>;
  table.binary[DC_BINARY_ADD][DC_DTYPE_COMPLEX128] = complex_componentwise_kernel<double, Add>;
  table.binary[DC_BINARY_SUBTRACT][DC_DTYPE_COMPLEX64] =
      complex_componentwise_kernel<float, Subtract>;
  table.binary[DC_BINARY_SUBTRACT][DC_DTYPE_COMPLEX128] =
      complex_componentwise_kernel<double, Subtract>;
  table.binary[DC_BINARY_MULTIPLY][DC_DTYPE_COMPLEX64] = complex_multiply_kernel<float>;
  table.binary[DC_BINARY_MULTIPLY][DC_DTYPE_COMPLEX128] = complex_multiply_kernel<double>;
  table.binary[DC_BINARY_DIVIDE][DC_DTYPE_COMPLEX64] = complex_divide_kernel<float>;
  table.binary[DC_BINARY_DIVIDE][DC_DTYPE_COMPLEX128] = complex_divide_kernel<double>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_INT8] = floor_divide_kernel<int8_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_INT16] = floor_divide_kernel<int16_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_INT32] = floor_divide_kernel<int32_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_INT64] = floor_divide_kernel<int64_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_UINT8] = floor_divide_kernel<uint8_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_UINT16] = floor_divide_kernel<uint16_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_UINT32] = floor_divide_kernel<uint32_t>;
  table.binary[DC_BINARY_FLOOR_DIVIDE][DC_DTYPE_UINT64] = floor_divide_kernel<uint64_t>;

  table.axpy[DC_DTYPE_INT8] = axpy_kernel<uint8_t>;
  table.axpy[DC_DTYPE_INT16] = axpy_kernel<uint16_t>;
  table.axpy[DC_DTYPE_INT32] = axpy_kernel<uint32_t>;
  table.axpy[DC_DTYPE_INT64] = axpy_kernel<uint64_t>;
  table.axpy[DC_DTYPE_UINT8] = axpy_kernel<uint8_t>;
  table.axpy[DC_DTYPE_UINT16] = axpy_kernel<uint16_t>;
  table.axpy[DC_DTYPE_UINT32] = axpy_kernel<uint32_t>;
  table.axpy[DC_DTYPE_UINT64] = axpy_kernel<uint64_t>;
  table.axpy[DC_DTYPE_FLOAT16] = axpy_half_kernel;
  table.axpy[DC_DTYPE_FLOAT32] = axpy_kernel<float>;
  table.axpy[DC_DTYPE_FLOAT64] = axpy_kernel<double>;
  table.axpy[DC_DTYPE_COMPLEX64] = axpy_complex_kernel<float>;
  table.axpy[DC_DTYPE_COMPLEX128] = axpy_complex_kernel<double>;

  table.reduce[DC_REDUCE_SUM][DC_DTYPE_BOOL] = sum_integer_kernel<bool>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_INT8] = sum_integer_kernel<int8_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_INT16] = sum_integer_kernel<int16_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_INT32] = sum_integer_kernel<int32_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_INT64] = sum_integer_kernel<int64_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_UINT8] = sum_integer_kernel<uint8_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_UINT16] = sum_integer_kernel<uint16_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_UINT32] = sum_integer_kernel<uint32_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_UINT64] = sum_integer_kernel<uint64_t>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_FLOAT16] = sum_floating_kernel<float, uint16_t, false>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_FLOAT32] = sum_floating_kernel<float, float, false>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_FLOAT64] = sum_floating_kernel<double, double, false>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_COMPLEX64] = sum_floating_kernel<float, float, true>;
  table.reduce[DC_REDUCE_SUM][DC_DTYPE_COMPLEX128] = sum_floating_kernel<double, double, true>;
  set_extreme<false>(table, DC_REDUCE_MIN);
  set_extreme<true>(table, DC_REDUCE_MAX);
  set_column_kernels(table);
  return table;
}

}  // namespace

const KernelTable& DOTCOMPUTE_CPU_KERNEL_TABLE() noexcept {
  static const KernelTable table = make_kernel_table();
  return table;
}

}  // namespace dotcompute::cpu
