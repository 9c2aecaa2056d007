// cpp/cpu/cpu_gemm_impl.hpp
// A cache-blocked GEMM with packed panels and a register-blocked micro-kernel, included once per
// instruction set with DOTCOMPUTE_GEMM_VECTOR_BYTES (the register width) and
// DOTCOMPUTE_GEMM_KERNEL_TABLE (the table it defines).
//
// Note [GEMM blocking]: C is computed in NC-wide column panels; for each KC-deep slice of the
// inner dimension, B's KC x NC block is packed once (shared, NR-wide slivers, k-major) and every
// task packs an MC x KC block of A (MR-tall slivers, k-major) and runs the micro-kernel over all
// MR x NR tiles of it. A B sliver (KC x NR) stays in L1, the A block in L2, the B block in L3.
// The micro-kernel keeps the MR x NR tile of C in 2 * MR vector registers and does one broadcast
// and two fused multiply-adds per row and k. Packing pads edges with zeros, so the kernel never
// branches inside its loop; edge tiles are written through a small buffer.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu_gemm.hpp"

namespace dotcompute::cpu {
namespace {

template <typename T>
struct Gemm {
  static constexpr int kVectorBytes = DOTCOMPUTE_GEMM_VECTOR_BYTES;
  typedef T V __attribute__((vector_size(kVectorBytes)));
  static constexpr int W = kVectorBytes / static_cast<int>(sizeof(T));
  // Rows per tile: 2 * MR accumulators plus the two B vectors and a broadcast must fit the
  // register file (32 vector registers with AVX-512, 16 below it).
  static constexpr int MR = kVectorBytes == 64 ? 12 : 6;
  static constexpr int NR = 2 * W;
  static constexpr uint64_t KC = 192;
  static constexpr uint64_t MC = 72;    // a multiple of every MR
  static constexpr uint64_t NC = 1536;  // a multiple of NR

  static void micro_kernel(uint64_t kc, const T* __restrict ap, const T* __restrict bp, T* c,
                           uint64_t ldc, uint64_t rows, uint64_t columns, bool accumulate) {
    V acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = V{};
    for (uint64_t p = 0; p < kc; ++p) {
      V b0, b1;
      std::memcpy(&b0, bp, sizeof(V));
      std::memcpy(&b1, bp + W, sizeof(V));
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        const T a = ap[i];
        acc[i][0] += a * b0;
        acc[i][1] += a * b1;
      }
      ap += MR;
      bp += NR;
    }
    if (rows == MR && columns == NR) {
      for (int i = 0; i < MR; ++i) {
        T* row = c + i * ldc;
        V c0 = acc[i][0], c1 = acc[i][1];
        if (accumulate) {
          V old0, old1;
          std::memcpy(&old0, row, sizeof(V));
          std::memcpy(&old1, row + W, sizeof(V));
          c0 += old0;
          c1 += old1;
        }
        std::memcpy(row, &c0, sizeof(V));
        std::memcpy(row + W, &c1, sizeof(V));
      }
      return;
    }
    T tile[MR][NR];
    for (int i = 0; i < MR; ++i) {
      std::memcpy(&tile[i][0], &acc[i][0], sizeof(V));
      std::memcpy(&tile[i][W], &acc[i][1], sizeof(V));
    }
    for (uint64_t i = 0; i < rows; ++i) {
      for (uint64_t j = 0; j < columns; ++j) {
        c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i][j] : tile[i][j];
      }
    }
  }

  /// B[pc : pc + kc, jc : jc + nc] -> NR-wide slivers, each kc x NR, zero-padded.
  static void pack_b(const T* b, uint64_t n, uint64_t pc, uint64_t kc, uint64_t jc, uint64_t nc,
                     T* packed, uint64_t sliver) {
    const uint64_t j0 = sliver * NR;
    const uint64_t width = std::min<uint64_t>(NR, nc - j0);
    T* out = packed + sliver * kc * NR;
    for (uint64_t p = 0; p < kc; ++p) {
      const T* row = b + (pc + p) * n + jc + j0;
      uint64_t j = 0;
      for (; j < width; ++j) out[p * NR + j] = row[j];
      for (; j < NR; ++j) out[p * NR + j] = T(0);
    }
  }

  /// A[ic : ic + mc, pc : pc + kc] -> MR-tall slivers, each kc x MR, zero-padded.
  static void pack_a(const T* a, uint64_t k, uint64_t ic, uint64_t mc, uint64_t pc, uint64_t kc,
                     T* packed) {
    for (uint64_t i0 = 0; i0 < mc; i0 += MR) {
      T* out = packed + i0 * kc;
      const uint64_t height = std::min<uint64_t>(MR, mc - i0);
      for (uint64_t i = 0; i < MR; ++i) {
        if (i < height) {
          const T* row = a + (ic + i0 + i) * k + pc;
          for (uint64_t p = 0; p < kc; ++p) out[p * MR + i] = row[p];
        } else {
          for (uint64_t p = 0; p < kc; ++p) out[p * MR + i] = T(0);
        }
      }
    }
  }

  static void run(const T* a, const T* b, T* c, uint64_t m, uint64_t n, uint64_t k,
                  ThreadPool* pool) {
    const auto parallel = [pool](uint64_t count, auto&& body) {
      if (pool == nullptr || count < 2) {
        for (uint64_t i = 0; i < count; ++i) body(i);
        return;
      }
      pool->parallel_for(count, 1, [&](uint64_t begin, uint64_t end) {
        for (uint64_t i = begin; i < end; ++i) body(i);
      });
    };
    std::vector<T> packed_b_storage(KC * NC + 64);
    T* packed_b = packed_b_storage.data();
    while (reinterpret_cast<uintptr_t>(packed_b) % 64 != 0) ++packed_b;
    for (uint64_t jc = 0; jc < n; jc += NC) {
      const uint64_t nc = std::min(NC, n - jc);
      const uint64_t slivers = (nc + NR - 1) / NR;
      for (uint64_t pc = 0; pc < k; pc += KC) {
        const uint64_t kc = std::min(KC, k - pc);
        parallel(slivers, [&](uint64_t s) { pack_b(b, n, pc, kc, jc, nc, packed_b, s); });
        parallel((m + MC - 1) / MC, [&](uint64_t block) {
          thread_local std::vector<T> packed_a_storage;
          if (packed_a_storage.size() < MC * KC + 64) packed_a_storage.resize(MC * KC + 64);
          T* packed_a = packed_a_storage.data();
          while (reinterpret_cast<uintptr_t>(packed_a) % 64 != 0) ++packed_a;
          const uint64_t ic = block * MC;
          const uint64_t mc = std::min(MC, m - ic);
          pack_a(a, k, ic, mc, pc, kc, packed_a);
          for (uint64_t s = 0; s < slivers; ++s) {
            const uint64_t j0 = s * NR;
            for (uint64_t i0 = 0; i0 < mc; i0 += MR) {
              micro_kernel(kc, packed_a + i0 * kc, packed_b + s * kc * NR,
                           c + (ic + i0) * n + jc + j0, n, std::min<uint64_t>(MR, mc - i0),
                           std::min<uint64_t>(NR, nc - j0), pc > 0);
            }
          }
        });
      }
    }
  }
};

template <typename T>
void gemm(const T* a, const T* b, T* c, uint64_t m, uint64_t n, uint64_t k, ThreadPool* pool) {
  Gemm<T>::run(a, b, c, m, n, k, pool);
}

const GemmKernelTable kTable = {gemm<float>, gemm<double>};

}  // namespace

const GemmKernelTable& DOTCOMPUTE_GEMM_KERNEL_TABLE() noexcept { return kTable; }

}  // namespace dotcompute::cpu
