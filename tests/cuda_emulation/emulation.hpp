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

/// Every lane of the calling warp publishes value; each gets read(lane_value), where
/// lane_value(lane) is what that lane published, between two barriers of the warp.
template <typename T, typename Read>
auto exchange(T value, Read read) {
  static_assert(sizeof(T) <= sizeof(Warp::slots[0]), "a value fits a slot");
  Warp& shared = warp();
  std::memcpy(shared.slots[lane()], &value, sizeof(T));
  shared.barrier.arrive_and_wait();
  const auto result = read([&](unsigned other) {
    T theirs;
    std::memcpy(&theirs, shared.slots[other], sizeof(T));
    return theirs;
  });
  shared.barrier.arrive_and_wait();
  return result;
}

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
  const unsigned lane = emulation::lane();
  return emulation::exchange(
      value, [&](auto lane_value) { return lane >= delta ? lane_value(lane - delta) : value; });
}

template <typename T>
T __shfl_sync(unsigned, T value, unsigned source_lane) {
  return emulation::exchange(value, [&](auto lane_value) { return lane_value(source_lane % 32); });
}

inline unsigned __ballot_sync(unsigned, unsigned predicate) {
  return emulation::exchange(predicate != 0 ? 1u : 0u, [](auto lane_value) {
    unsigned votes = 0;
    for (unsigned other = 0; other < 32; ++other) votes |= lane_value(other) << other;
    return votes;
  });
}

inline int __popc(unsigned value) { return __builtin_popcount(value); }
inline int __clz(unsigned value) { return value == 0 ? 32 : __builtin_clz(value); }
inline unsigned atomicAdd(unsigned* address, unsigned value) {
  return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}
