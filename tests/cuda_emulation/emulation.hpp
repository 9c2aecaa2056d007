// tests/cuda_emulation/emulation.hpp
// Runs the CUDA plugin's scan and sort kernel sources on CPU threads (tests only, opt-in:
// DOTCOMPUTE_CUDA_EMULATION=1 in tests/test_cuda_scan_sort.py), so their indexing, barriers and
// warp-level ranking are checked on machines without a GPU.
//
// Each block runs as kThreads std::threads, one after another: __syncthreads is a std::barrier of
// the block, __shared__ variables are statics (blocks never overlap), and the warp intrinsics
// exchange values through a per-warp slot array between two barriers of the warp. It models the
// CUDA semantics the kernels rely on, not the hardware: it is slow (thousands of thread starts)
// and only for small inputs. The float16 conversions of the preamble (inline PTX) are removed by
// the test before compiling; the scan and sort kernels do not use them.
#pragma once

#include <barrier>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#define __device__
#define __forceinline__ inline
#define __global__
#define __launch_bounds__(...)
#define __restrict__
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

namespace emulation {

constexpr unsigned kThreads = 256;
constexpr unsigned kWarps = kThreads / 32;

struct Dim {
  unsigned x = 0, y = 0, z = 0;
};

struct Warp {
  std::barrier<> barrier{32};
  unsigned char slots[32][16];  ///< one value per lane, up to 16 bytes (c128)
};

inline thread_local Dim thread_index;
inline Dim block_index, grid_size, block_size;
inline std::barrier<>* block_barrier = nullptr;
inline Warp* block_warps = nullptr;

inline unsigned lane() { return thread_index.x % 32; }
inline Warp& warp() { return block_warps[thread_index.x / 32]; }

/// Runs kernel on a grid of grid_x x grid_y blocks of kThreads threads, block after block.
template <typename Kernel, typename... Args>
void launch(Kernel kernel, unsigned grid_x, unsigned grid_y, Args... args) {
  grid_size = {grid_x, grid_y, 1};
  block_size = {kThreads, 1, 1};
  for (unsigned y = 0; y < grid_y; ++y) {
    for (unsigned x = 0; x < grid_x; ++x) {
      block_index = {x, y, 0};
      std::barrier<> barrier(kThreads);
      std::vector<Warp> warps(kWarps);
      block_barrier = &barrier;
      block_warps = warps.data();
      std::vector<std::thread> threads;
      for (unsigned t = 0; t < kThreads; ++t) {
        threads.emplace_back([=] {
          thread_index = {t, 0, 0};
          kernel(args...);
        });
      }
      for (std::thread& thread : threads) thread.join();
    }
  }
}

}  // namespace emulation

#define threadIdx (emulation::thread_index)
#define blockIdx (emulation::block_index)
#define gridDim (emulation::grid_size)
#define blockDim (emulation::block_size)

inline void __syncthreads() { emulation::block_barrier->arrive_and_wait(); }
inline void __syncwarp() { emulation::warp().barrier.arrive_and_wait(); }

template <typename T>
T __shfl_up_sync(unsigned, T value, unsigned delta) {
  static_assert(sizeof(T) <= 16, "a shuffled value fits a slot");
  emulation::Warp& warp = emulation::warp();
  const unsigned lane = emulation::lane();
  std::memcpy(warp.slots[lane], &value, sizeof(T));
  warp.barrier.arrive_and_wait();
  T result = value;
  if (lane >= delta) std::memcpy(&result, warp.slots[lane - delta], sizeof(T));
  warp.barrier.arrive_and_wait();
  return result;
}

template <typename T>
T __shfl_sync(unsigned, T value, unsigned source_lane) {
  static_assert(sizeof(T) <= 16, "a shuffled value fits a slot");
  emulation::Warp& warp = emulation::warp();
  std::memcpy(warp.slots[emulation::lane()], &value, sizeof(T));
  warp.barrier.arrive_and_wait();
  T result;
  std::memcpy(&result, warp.slots[source_lane % 32], sizeof(T));
  warp.barrier.arrive_and_wait();
  return result;
}

inline unsigned __ballot_sync(unsigned, unsigned predicate) {
  emulation::Warp& warp = emulation::warp();
  const unsigned vote = predicate != 0 ? 1u : 0u;
  std::memcpy(warp.slots[emulation::lane()], &vote, sizeof(vote));
  warp.barrier.arrive_and_wait();
  unsigned votes = 0;
  for (unsigned other = 0; other < 32; ++other) {
    unsigned theirs;
    std::memcpy(&theirs, warp.slots[other], sizeof(theirs));
    votes |= theirs << other;
  }
  warp.barrier.arrive_and_wait();
  return votes;
}

inline unsigned __match_any_sync(unsigned, unsigned value) {
  emulation::Warp& warp = emulation::warp();
  std::memcpy(warp.slots[emulation::lane()], &value, sizeof(value));
  warp.barrier.arrive_and_wait();
  unsigned peers = 0;
  for (unsigned other = 0; other < 32; ++other) {
    unsigned theirs;
    std::memcpy(&theirs, warp.slots[other], sizeof(theirs));
    if (theirs == value) peers |= 1u << other;
  }
  warp.barrier.arrive_and_wait();
  return peers;
}

inline int __popc(unsigned value) { return __builtin_popcount(value); }
inline int __clz(unsigned value) { return value == 0 ? 32 : __builtin_clz(value); }
inline unsigned atomicAdd(unsigned* address, unsigned value) {
  return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}
