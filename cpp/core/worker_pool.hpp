// cpp/core/worker_pool.hpp
// Persistent task threads for the pipeline executor (private to cpp/core).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dotcompute {

/// Note [Pipeline workers]
/// The fork-join ThreadPool splits one loop over all cores; pipeline stages instead are
/// independent tasks that may block for long (a Python stage sleeping, waiting for I/O or for
/// a device). So they get their own pool of plain task threads that grows when every thread is
/// busy (a blocked stage must never keep a ready one waiting) up to kMaxWorkers, and whose
/// threads stay alive between runs. The pool is created on first use and never destroyed: a
/// stage abandoned by a timeout may still be running when the process exits.
class WorkerPool {
 public:
  static constexpr size_t kMaxWorkers = 64;

  static WorkerPool& instance();
  /// Runs task on a pool thread (a new one when all are busy and the limit allows).
  void submit(std::function<void()> task);

 private:
  WorkerPool() = default;
  void worker_loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  size_t idle_ = 0;
  size_t threads_ = 0;
};

}  // namespace dotcompute
