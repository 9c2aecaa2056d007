// cpp/include/dotcompute/thread_pool.hpp
// A small fork-join thread pool: parallel_for over [0, count) on the workers and the caller.
//
//     dotcompute::ThreadPool pool;  // DOTCOMPUTE_NUM_THREADS, else the CPUs we may run on
//     pool.parallel_for(count, 32768, [&](uint64_t begin, uint64_t end) {
//       for (uint64_t i = begin; i < end; ++i) out[i] = a[i] + b[i];
//     });
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace dotcompute {

class ThreadPool {
 public:
  /// A chunk body seen through a plain function pointer, so dispatch never allocates.
  using ChunkFunction = void (*)(void* context, uint64_t begin, uint64_t end);

  /// threads counts the caller too: 1 runs everything inline, N starts N - 1 workers.
  /// 0 means default_thread_count(). Workers keep off the caller's CPU where there is a CPU for
  /// every thread and DOTCOMPUTE_PIN_THREADS is not 0 (Note [Worker CPUs] in thread_pool.cpp).
  /// Throws std::system_error if a thread cannot start.
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// DOTCOMPUTE_NUM_THREADS when set to a positive integer, else the CPUs in the process
  /// affinity mask (sched_getaffinity), else std::thread::hardware_concurrency(); at least 1.
  static size_t default_thread_count() noexcept;

  /// Threads that run chunks, the caller included.
  size_t thread_count() const noexcept { return workers_.size() + 1; }

  /// Splits [0, count) into chunks of grain elements (the last may be shorter) and runs
  /// body(begin, end) for each on the workers and the calling thread; returns when all are done.
  /// count <= grain, a pool of one thread, a call from inside a chunk or while another thread
  /// owns the pool all run inline on the caller. An exception thrown by a chunk is rethrown here
  /// after the other chunks have finished.
  template <typename Body>
  void parallel_for(uint64_t count, uint64_t grain, Body&& body) {
    using BodyType = std::remove_reference_t<Body>;
    if (grain == 0) grain = 1;
    if (count <= grain || workers_.empty()) {
      if (count > 0) body(uint64_t{0}, count);
      return;
    }
    run(
        count, grain,
        [](void* context, uint64_t begin, uint64_t end) {
          (*static_cast<BodyType*>(context))(begin, end);
        },
        const_cast<void*>(static_cast<const void*>(&body)));
  }

  /// Stops and joins the workers; later parallel_for calls run inline. Idempotent.
  void shutdown() noexcept;

 private:
  void run(uint64_t count, uint64_t grain, ChunkFunction function, void* context);
  void worker_loop() noexcept;
  // Narrows this worker's affinity to every CPU but the caller's when the caller's CPU is not
  // the one it already leaves out (excluded_cpu).
  void keep_off_caller_cpu(int& excluded_cpu) noexcept;
  // Claims and runs chunks of the job tagged `generation` until none are left.
  void run_chunks(uint32_t generation) noexcept;

  // Note [Job word]: the generation of the current job (high 32 bits) and the index of its next
  // unclaimed chunk (low 32 bits) share one atomic. A worker claims a chunk with a
  // compare-exchange that also checks the generation, so a late worker can never claim a chunk
  // of a newer job while holding the fields of an older one, and the caller never has to wait
  // for workers that did not join. The caller makes the generation odd while it rewrites the
  // job fields and even once the job is published, seqlock style.
  //
  // The job word, the done count and the job fields sit on cache lines of their own: spinning
  // workers read the job word, so a field sharing its line would cost the caller a transfer of
  // that line back from a spinning worker for each field it writes.
  alignas(64) std::atomic<uint64_t> job_word_{0};
  alignas(64) std::atomic<uint64_t> chunks_done_{0};
  // Fields of the current job. They are written only while no chunk of any job is claimable,
  // and read through relaxed atomics so a late reader is a harmless (then discarded) race.
  alignas(64) std::atomic<ChunkFunction> job_function_{nullptr};
  std::atomic<void*> job_context_{nullptr};
  std::atomic<uint64_t> job_count_{0};
  std::atomic<uint64_t> job_grain_{0};
  std::atomic<uint64_t> job_chunks_{0};
  // The CPU the caller published the current job from (at first: the CPU that made the
  // pool); -1 when workers keep no CPU free for the caller.
  std::atomic<int> caller_cpu_{-1};

  alignas(64) std::mutex error_mutex_;
  std::exception_ptr job_error_;

  // Serializes callers: a second thread that finds the pool busy runs its loop inline.
  std::mutex submit_mutex_;

  // Sleeping workers wait here after spinning for a while without work.
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<uint32_t> sleepers_{0};
  std::atomic<bool> stopping_{false};

  // The CPUs workers may run on when they keep the caller's CPU free (Note [Worker CPUs]);
  // empty when they do not.
  std::vector<int> cpus_;

  std::vector<std::thread> workers_;
};

}  // namespace dotcompute
