// tests/msl/metal_compat.h
// A syntax shim, not an implementation: just enough of the Metal Shading Language, as Apple's
// MSL specification describes it, for clang in C++ mode to parse and type-check generated MSL
// on machines without Metal (tests/test_codegen_msl.py). Nothing here runs or claims MSL's
// numerics; it only lets the compiler catch generator mistakes: undeclared names, wrong
// argument counts or types of the built-ins used, misplaced braces, bad casts.
//
// What it models, and how:
// - Address spaces (device, threadgroup, constant, thread) and the kernel qualifier expand to
//   nothing: C++ has no address spaces, so mixing them up is not caught here (the structure
//   tests check where each appears).
// - Attributes ([[buffer(n)]], [[thread_position_in_grid]] ...) are left to clang, which warns
//   about and ignores attributes it does not know; the test turns that warning off and checks
//   the attributes with patterns instead.
// - Types: uchar/ushort/uint/ulong, half (a class around clang's __fp16), uint3 with .x/.y/.z,
// float2 (the
//   little complex64 needs), and atomic<T>
//   with the atomic_int/atomic_uint aliases, plus atomic_float from MSL 3.0 only.
// - Functions: the float math built-ins, as_type<T>, threadgroup_barrier with mem_flags, and
//   the *_explicit atomic functions with memory_order. The float atomics (fetch_add,
//   fetch_sub, exchange on atomic_float) exist only when __METAL_VERSION__ >= 300, and
//   fetch_min/fetch_max only for atomic_int/atomic_uint, as in MSL 3.0, so a generator that
//   uses them where MSL does not have them fails to compile here too.
//
// __METAL_VERSION__ must be given (-D__METAL_VERSION__=300 for MSL 3.0, 240 for MSL 2.4), as
// the Metal compiler defines it.
#ifndef DOTCOMPUTE_TESTS_METAL_COMPAT_H
#define DOTCOMPUTE_TESTS_METAL_COMPAT_H

#ifndef __METAL_VERSION__
#error "define __METAL_VERSION__ (e.g. -D__METAL_VERSION__=300) as the Metal compiler does"
#endif

#define device
#define threadgroup
#define constant
#define thread
#define kernel

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;
// half: MSL's 16-bit float is a full arithmetic type; clang's __fp16 is storage-only on most
// targets (no __fp16 parameters or results), so it is wrapped in a class that converts to and
// from float, which is how generated code uses half (loads widen, stores narrow). g++ has no
// __fp16 on x86-64 but has _Float16 (GCC 12 and later), which the same class wraps.
struct half {
#if defined(__clang__) || !defined(__x86_64__)
  __fp16 bits;
#else
  _Float16 bits;
#endif
  half() = default;
  half(float value) : bits(static_cast<decltype(bits)>(value)) {}
  operator float() const { return bits; }
};

static_assert(sizeof(long) == 8, "MSL's long is 64-bit");

namespace metal {

struct uint3 {
  uint x, y, z;
};

// float2, as far as complex64 needs it: two components, construction, + - and a scalar splat.
struct float2 {
  float x, y;
  float2() = default;
  float2(float both) : x(both), y(both) {}
  float2(float first, float second) : x(first), y(second) {}
};
inline float2 operator+(float2 a, float2 b) { return float2(a.x + b.x, a.y + b.y); }
inline float2 operator-(float2 a, float2 b) { return float2(a.x - b.x, a.y - b.y); }

template <typename To, typename From>
To as_type(From value) {
  static_assert(sizeof(To) == sizeof(From), "as_type needs types of the same size");
  return __builtin_bit_cast(To, value);
}

// ----- math (float overloads; MSL has no double) ----------------------------------------------
#define DC_MSL_UNARY(name) float name(float);
#define DC_MSL_BINARY(name) float name(float, float);
DC_MSL_UNARY(sqrt)
DC_MSL_UNARY(rsqrt)
DC_MSL_UNARY(exp)
DC_MSL_UNARY(exp2)
DC_MSL_UNARY(exp10)
DC_MSL_UNARY(log)
DC_MSL_UNARY(log2)
DC_MSL_UNARY(log10)
DC_MSL_UNARY(sin)
DC_MSL_UNARY(cos)
DC_MSL_UNARY(tan)
DC_MSL_UNARY(asin)
DC_MSL_UNARY(acos)
DC_MSL_UNARY(atan)
DC_MSL_UNARY(sinh)
DC_MSL_UNARY(cosh)
DC_MSL_UNARY(tanh)
DC_MSL_UNARY(asinh)
DC_MSL_UNARY(acosh)
DC_MSL_UNARY(atanh)
DC_MSL_UNARY(floor)
DC_MSL_UNARY(ceil)
DC_MSL_UNARY(trunc)
DC_MSL_UNARY(rint)
DC_MSL_UNARY(round)
DC_MSL_UNARY(fabs)
DC_MSL_BINARY(pow)
DC_MSL_BINARY(atan2)
DC_MSL_BINARY(copysign)
DC_MSL_BINARY(fmod)
DC_MSL_BINARY(fmin)
DC_MSL_BINARY(fmax)
float fma(float, float, float);
bool isnan(float);
bool isinf(float);
bool isfinite(float);
#undef DC_MSL_UNARY
#undef DC_MSL_BINARY

// ----- synchronization -------------------------------------------------------------------------
enum class mem_flags { mem_none = 0, mem_device = 1, mem_threadgroup = 2, mem_texture = 4 };
inline mem_flags operator|(mem_flags a, mem_flags b) {
  return static_cast<mem_flags>(static_cast<int>(a) | static_cast<int>(b));
}
void threadgroup_barrier(mem_flags flags);

// ----- atomics ---------------------------------------------------------------------------------
enum memory_order { memory_order_relaxed };

template <typename T>
struct atomic {
  T value;  // opaque in MSL; present here so the type is complete
};
typedef atomic<int> atomic_int;
typedef atomic<uint> atomic_uint;

#define DC_MSL_ATOMICS(T)                                                                        \
  T atomic_load_explicit(volatile atomic<T>* object, memory_order order);                        \
  void atomic_store_explicit(volatile atomic<T>* object, T desired, memory_order order);         \
  T atomic_exchange_explicit(volatile atomic<T>* object, T desired, memory_order order);         \
  bool atomic_compare_exchange_weak_explicit(volatile atomic<T>* object, T* expected, T desired, \
                                             memory_order success, memory_order failure);        \
  T atomic_fetch_add_explicit(volatile atomic<T>* object, T operand, memory_order order);        \
  T atomic_fetch_sub_explicit(volatile atomic<T>* object, T operand, memory_order order);
DC_MSL_ATOMICS(int)
DC_MSL_ATOMICS(uint)
int atomic_fetch_min_explicit(volatile atomic_int* object, int operand, memory_order order);
int atomic_fetch_max_explicit(volatile atomic_int* object, int operand, memory_order order);
uint atomic_fetch_min_explicit(volatile atomic_uint* object, uint operand, memory_order order);
uint atomic_fetch_max_explicit(volatile atomic_uint* object, uint operand, memory_order order);

#if __METAL_VERSION__ >= 300
typedef atomic<float> atomic_float;
DC_MSL_ATOMICS(float)
#endif
#undef DC_MSL_ATOMICS

}  // namespace metal

#endif  // DOTCOMPUTE_TESTS_METAL_COMPAT_H
