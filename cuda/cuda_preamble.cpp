// cuda/cuda_preamble.cpp
// The preamble every built-in kernel source starts with (cuda_ops.cpp, cuda_scan_source.cpp,
// cuda_sort_source.cpp): fixed-width typedefs, float16 as bits with PTX conversions, complex
// numbers as two-field structs. No headers, since NVRTC may find none.
#include "cuda_builtin_sources.hpp"

namespace dotcompute::cuda {

const char* builtin_preamble() noexcept {
  return R"(
typedef signed char i8;
typedef unsigned char u8;
typedef short i16;
typedef unsigned short u16;
typedef int i32;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;
struct f16 { u16 bits; };
struct alignas(8) c64 { float re, im; };
struct alignas(16) c128 { double re, im; };
__device__ __forceinline__ float half_to_float(f16 h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
}
__device__ __forceinline__ f16 float_to_half(float f) {
  f16 h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
  return h;
}
)";
}

}  // namespace dotcompute::cuda
