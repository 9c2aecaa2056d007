// cpp/core/worker_pool.cpp
// Persistent, growing task threads for pipeline stages (Note [Pipeline workers]).
#include "worker_pool.hpp"

#include <utility>

namespace dotcompute {

WorkerPool& WorkerPool::instance() {
  static WorkerPool* pool = new WorkerPool();  // never destroyed: see the Note
  return *pool;
}

void WorkerPool::submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mutex_);
  tasks_.push_back(std::move(task));
  if (idle_ >= tasks_.size() || threads_ >= kMaxWorkers) {
    lock.unlock();
    wake_.notify_one();
    return;
  }
  ++threads_;
  lock.unlock();
  std::thread(&WorkerPool::worker_loop, this).detach();
}

void WorkerPool::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    while (tasks_.empty()) {
      ++idle_;
      wake_.wait(lock);
      --idle_;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();  // tasks catch their own exceptions
    task = nullptr;
    lock.lock();
  }
}

}  // namespace dotcompute
