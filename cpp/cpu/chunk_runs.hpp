// cpp/cpu/chunk_runs.hpp
// Runs of consecutive chunks, one per thread, whose tails idle threads steal.
//
//     ChunkRuns runs(chunks, pool->thread_count());
//     pool->parallel_for(runs.count(), 1, [&](uint64_t first, uint64_t last) {
//       for (uint64_t run = first; run < last; ++run) {
//         for (uint64_t chunk; runs.next(run, chunk);) work(chunk);
//       }
//     });
//
// Note [Reduction runs]: a memory-bound pass streams fastest when each thread reads one long
// stretch in order, so each thread owns a run of consecutive chunks and takes them from its
// front. A thread that ran out takes chunks one at a time from the back of the other runs, so a
// thread slowed by another process (or by another library's threads still spinning after their
// call) costs the pass only what it could not finish, not its whole share. Which thread does a
// chunk never changes what the chunk computes.
#pragma once

#include <atomic>
#include <cstdint>

namespace dotcompute::cpu {

class ChunkRuns {
 public:
  /// Most runs: more threads than this share the runs (each claims whole runs from the pool).
  static constexpr uint64_t kMaxRuns = 256;

  /// Splits chunks (below 2^32) into min(threads, chunks, kMaxRuns) runs of near-equal length.
  ChunkRuns(uint64_t chunks, uint64_t threads) noexcept {
    count_ = threads < chunks ? threads : chunks;
    if (count_ > kMaxRuns) count_ = kMaxRuns;
    if (count_ == 0) count_ = 1;
    for (uint64_t run = 0; run < count_; ++run) {
      const uint64_t front = chunks * run / count_, back = chunks * (run + 1) / count_;
      bounds_[run].word.store(front << 32 | back, std::memory_order_relaxed);
    }
  }

  uint64_t count() const noexcept { return count_; }

  /// The next chunk for the thread that owns run: the front of its own run, else the back of
  /// the next run that has any left. False when every chunk is taken.
  bool next(uint64_t run, uint64_t& chunk) noexcept {
    if (take_front(run, chunk)) return true;
    for (uint64_t step = 1; step < count_; ++step) {
      if (take_back((run + step) % count_, chunk)) return true;
    }
    return false;
  }

 private:
  // Each run's untaken chunks [front, back), packed so one compare-exchange takes one end.
  // No initializer: the constructor stores the bounds of the runs in use, and zeroing all
  // kMaxRuns cache lines would cost every reduction 16 KB of stores.
  struct alignas(64) Bounds {
    std::atomic<uint64_t> word;
  };

  bool take_front(uint64_t run, uint64_t& chunk) noexcept {
    std::atomic<uint64_t>& word = bounds_[run].word;
    uint64_t bounds = word.load(std::memory_order_relaxed);
    while ((bounds >> 32) < (bounds & 0xffffffffu)) {
      if (word.compare_exchange_weak(bounds, bounds + (uint64_t{1} << 32),
                                     std::memory_order_relaxed)) {
        chunk = bounds >> 32;
        return true;
      }
    }
    return false;
  }

  bool take_back(uint64_t run, uint64_t& chunk) noexcept {
    std::atomic<uint64_t>& word = bounds_[run].word;
    uint64_t bounds = word.load(std::memory_order_relaxed);
    while ((bounds >> 32) < (bounds & 0xffffffffu)) {
      if (word.compare_exchange_weak(bounds, bounds - 1, std::memory_order_relaxed)) {
        chunk = (bounds & 0xffffffffu) - 1;
        return true;
      }
    }
    return false;
  }

  uint64_t count_ = 1;
  Bounds bounds_[kMaxRuns];
};

}  // namespace dotcompute::cpu
