// cpp/core/thread_pool.cpp
// The fork-join thread pool: spinning-then-sleeping workers and lock-free chunk claiming.
//
// Policy. A job is published by bumping the generation in the job word (Note [Job word] in
// thread_pool.hpp). Idle workers spin on that word for about kSpinIterations pauses, which keeps
// back-to-back calls (a Python loop of array ops) at a few hundred nanoseconds of dispatch, then
// sleep on a condition variable so an idle process burns no CPU. The caller claims chunks too, so
// a job always makes progress even when every worker is asleep or descheduled, and returns as
// soon as all chunks are done; it never waits for workers that did not join.
//
// Note [Worker CPUs]: where the pool has no more threads than the CPUs it may use, workers keep
// off the CPU the caller runs on: each narrows its affinity to every allowed CPU but the one the
// caller published the current job from, and narrows it again only when the caller has moved
// (the caller is a user thread and its affinity is never touched). Left free, a worker woken
// after the other CPUs went idle is usually placed on the waker's CPU, where it only takes turns
// with the caller: on a 2-vCPU VM without halt polling, 99 of 100 wakes after a 50 ms pause
// landed there, and a 4M float32 sum then ran on the caller alone for 20 calls and more
// (250-800 us each instead of about 100). A worker moved away by a one-off affinity change then
// took 1.8 ms (median) to wake on the idle vCPU the next time, against 0.09 ms with its
// affinity kept narrowed. Only the caller's CPU is left out, never a fixed CPU per worker, so
// that processes sharing the machine (a multiprocessing pool of dotcompute users) still spread.
// DOTCOMPUTE_PIN_THREADS=0 leaves workers' affinity alone.
#include "dotcompute/thread_pool.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace dotcompute {
namespace {

/// Pauses a worker spins before it goes to sleep (a pause is ~10-140 cycles depending on the CPU).
constexpr int kSpinIterations = 1 << 14;
/// Pauses the caller spins on unfinished chunks before it starts yielding its CPU.
constexpr int kCallerSpinIterations = 1 << 12;

/// Set while this thread runs a chunk, so a nested parallel_for runs inline instead of
/// deadlocking on the pool it is already part of.
thread_local bool running_inside_pool = false;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::this_thread::yield();
#endif
}

/// The CPU this thread runs on, or -1 where that cannot be known.
int current_cpu() noexcept {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

/// The CPUs workers keep to when they leave the caller's CPU free (Note [Worker CPUs]): the CPUs
/// in the affinity mask, or none where that is off, unsupported or there are fewer CPUs than
/// threads.
std::vector<int> cpus_for_workers(size_t threads) {
  std::vector<int> cpus;
#if defined(__linux__)
  const char* setting = std::getenv("DOTCOMPUTE_PIN_THREADS");
  if (threads < 2 || (setting != nullptr && std::strcmp(setting, "0") == 0)) return cpus;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
  }
  if (cpus.size() < threads) cpus.clear();
#else
  (void)threads;
#endif
  return cpus;
}

constexpr uint64_t make_job_word(uint32_t generation, uint32_t next_chunk) noexcept {
  return (uint64_t{generation} << 32) | next_chunk;
}
constexpr uint32_t job_generation(uint64_t word) noexcept {
  return static_cast<uint32_t>(word >> 32);
}
constexpr uint32_t job_next_chunk(uint64_t word) noexcept { return static_cast<uint32_t>(word); }
/// Whether generation is a new job ready to be worked on: odd generations are being prepared.
constexpr bool is_published(uint32_t generation, uint32_t seen_generation) noexcept {
  return generation != seen_generation && generation % 2 == 0;
}

}  // namespace

size_t ThreadPool::default_thread_count() noexcept {
  if (const char* text = std::getenv("DOTCOMPUTE_NUM_THREADS")) {
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (end != text && *end == '\0' && value > 0) return static_cast<size_t>(value);
  }
#if defined(__linux__)
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    int count = CPU_COUNT(&mask);
    if (count > 0) return static_cast<size_t>(count);
  }
#endif
  unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? hardware : 1;
}

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = default_thread_count();
  workers_.reserve(threads - 1);
  cpus_ = cpus_for_workers(threads);
  if (!cpus_.empty()) caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
  try {
    for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  } catch (...) {
    shutdown();
    throw;
  }
}

ThreadPool::~ThreadPool() { shutdown(); }

void ThreadPool::shutdown() noexcept {
  {
    // Taking the submit lock waits for a job in flight to finish before the workers leave.
    std::lock_guard<std::mutex> submit_lock(submit_mutex_);
    {
      std::lock_guard<std::mutex> sleep_lock(sleep_mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
    workers_.clear();
  }
}

void ThreadPool::run(uint64_t count, uint64_t grain, ChunkFunction function, void* context) {
  // The chunk index lives in 32 bits of the job word; grow the grain for absurd counts.
  constexpr uint64_t kMaxChunks = std::numeric_limits<uint32_t>::max() - 1;
  if ((count + grain - 1) / grain > kMaxChunks) grain = (count + kMaxChunks - 1) / kMaxChunks;

  std::unique_lock<std::mutex> submit_lock(submit_mutex_, std::defer_lock);
  if (running_inside_pool || !submit_lock.try_lock() || workers_.empty()) {
    function(context, 0, count);
    return;
  }

  const uint64_t chunks = (count + grain - 1) / grain;
  // Odd generation while the fields change (Note [Job word]): no chunk can be claimed, and the
  // release fence makes a worker that read a half-written field fail its claim.
  const uint32_t old_generation = job_generation(job_word_.load(std::memory_order_relaxed));
  job_word_.store(make_job_word(old_generation + 1, 0), std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  job_function_.store(function, std::memory_order_relaxed);
  job_context_.store(context, std::memory_order_relaxed);
  job_count_.store(count, std::memory_order_relaxed);
  job_grain_.store(grain, std::memory_order_relaxed);
  job_chunks_.store(chunks, std::memory_order_relaxed);
  if (!cpus_.empty()) caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
  chunks_done_.store(0, std::memory_order_relaxed);
  job_error_ = nullptr;

  const uint32_t generation = old_generation + 2;
  // seq_cst pairs with the sleeper count below: either a worker about to sleep sees the new
  // generation, or we see it counted as a sleeper and wake it.
  job_word_.store(make_job_word(generation, 0), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> sleep_lock(sleep_mutex_);
    wake_.notify_all();
  }

  run_chunks(generation);

  for (int spin = 0; chunks_done_.load(std::memory_order_acquire) < chunks; ++spin) {
    if (spin < kCallerSpinIterations) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }

  if (job_error_) {
    std::exception_ptr error = job_error_;
    job_error_ = nullptr;
    std::rethrow_exception(error);
  }
}

void ThreadPool::run_chunks(uint32_t generation) noexcept {
  running_inside_pool = true;
  uint64_t word = job_word_.load(std::memory_order_acquire);
  while (job_generation(word) == generation) {
    // Read the job before claiming; a successful claim proves these reads belong to it.
    const uint64_t chunks = job_chunks_.load(std::memory_order_relaxed);
    const uint32_t chunk = job_next_chunk(word);
    if (chunk >= chunks) break;
    const ChunkFunction function = job_function_.load(std::memory_order_relaxed);
    void* const context = job_context_.load(std::memory_order_relaxed);
    const uint64_t count = job_count_.load(std::memory_order_relaxed);
    const uint64_t grain = job_grain_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (!job_word_.compare_exchange_weak(word, make_job_word(generation, chunk + 1),
                                         std::memory_order_acq_rel, std::memory_order_acquire)) {
      continue;  // word was reloaded: another thread claimed this chunk, or a new job began
    }
    const uint64_t begin = chunk * grain;
    const uint64_t end = begin + grain < count ? begin + grain : count;
    try {
      function(context, begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!job_error_) job_error_ = std::current_exception();
    }
    chunks_done_.fetch_add(1, std::memory_order_release);
    word = job_word_.load(std::memory_order_acquire);
  }
  running_inside_pool = false;
}

void ThreadPool::keep_off_caller_cpu(int& excluded_cpu) noexcept {
#if defined(__linux__)
  const int caller = caller_cpu_.load(std::memory_order_relaxed);
  if (caller < 0 || caller == excluded_cpu) return;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int cpu : cpus_) {
    if (cpu != caller) CPU_SET(cpu, &mask);
  }
  sched_setaffinity(0, sizeof(mask), &mask);  // the kernel moves this thread off at once
  excluded_cpu = caller;  // also on failure (say, a changed cpuset): no retry at every job
#else
  (void)excluded_cpu;
#endif
}

void ThreadPool::worker_loop() noexcept {
  int excluded_cpu = -1;  // the caller's CPU this worker's affinity leaves out
  if (!cpus_.empty()) keep_off_caller_cpu(excluded_cpu);
  uint32_t seen_generation = 0;  // the generation the pool was constructed with
  while (true) {
    // Spin briefly: the next job of a tight loop usually arrives within microseconds.
    uint32_t generation = seen_generation;
    for (int spin = 0; spin < kSpinIterations; ++spin) {
      generation = job_generation(job_word_.load(std::memory_order_acquire));
      if (is_published(generation, seen_generation) || stopping_.load(std::memory_order_relaxed))
        break;
      cpu_relax();
    }
    if (!is_published(generation, seen_generation)) {
      std::unique_lock<std::mutex> sleep_lock(sleep_mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(sleep_lock, [&] {
        generation = job_generation(job_word_.load(std::memory_order_seq_cst));
        return is_published(generation, seen_generation) || stopping_.load();
      });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (stopping_.load()) return;
    seen_generation = generation;
    if (!cpus_.empty()) keep_off_caller_cpu(excluded_cpu);
    run_chunks(generation);
  }
}

}  // namespace dotcompute
