// cpp/core/pipeline_executor.cpp
// Runs a Pipeline: topological scheduling over the worker pool, streams and events for device
// stages, retries with backoff, fallback devices, timeouts, cancellation, error strategies.
//
// Note [Pipeline scheduling]
// A stage becomes ready when its last dependency succeeded. The thread that completes a stage
// runs one newly ready dependent itself and submits the others to the worker pool, so a chain
// runs on one thread with no hand-off, and independent branches spread over threads. The
// caller of run() drains work like a worker, except when some stage has a timeout or the run
// can be cancelled: then it only coordinates (waits with a deadline, polls the token), because
// a thread busy inside a stage cannot notice another stage's deadline. A timed-out or cancelled
// stage cannot be interrupted: it is marked and abandoned, its late result is ignored.
//
// Device stages get a stream: the stream of a dependency on the same device when that stream
// was not continued by another dependent yet (a chain stays on one stream and needs no event),
// else a stream of their own. Work on other streams they depend on is joined with events
// (stream.wait_event, no host wait); dependencies on another device, and every device
// dependency of a host stage, are waited for on the host (event.synchronize). Each device
// stage records a start and an end event; device times are read once the run has finished,
// after one synchronize per stream.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <unordered_map>

#include "dotcompute/errors.hpp"
#include "dotcompute/pipeline.hpp"
#include "worker_pool.hpp"

namespace dotcompute {

namespace {

using Clock = std::chrono::steady_clock;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// How often a coordinating caller looks at the cancel token.
constexpr auto kCancelPollInterval = std::chrono::milliseconds(5);

}  // namespace

/// The state of one run; shared with the pool tasks, which may outlive run() when a stage was
/// abandoned (timeout, cancellation).
class PipelineRun : public std::enable_shared_from_this<PipelineRun> {
 public:
  PipelineRun(std::shared_ptr<Pipeline> pipeline, const RunOptions& options)
      : pipeline_(std::move(pipeline)),
        spec_(pipeline_->stages_),
        options_(options),
        stages_(spec_.size()) {
    for (size_t i = 0; i < stages_.size(); ++i) {
      stages_[i].remaining = pipeline_->dependencies_[i].size();
      stages_[i].record.name = spec_[i].name;
      stages_[i].record.device = spec_[i].device.empty() ? "host" : spec_[i].device;
    }
    coordinate_only_ = pipeline_->any_timeout_ || options_.cancel != nullptr;
  }

  RunResult execute();

 private:
  enum class State { Pending, Running, Done };
  struct StageState {
    State state = State::Pending;
    size_t remaining = 0;
    StageRecord record;
    Clock::time_point started;
    double timeout = 0;
    std::shared_ptr<Stream> stream;
    std::shared_ptr<Event> start_event, end_event;
    bool stream_continued = false;
  };
  /// What one execution of a stage produced; committed under the lock if still wanted.
  struct Outcome {
    StageStatus status = StageStatus::Succeeded;
    std::string message;
    std::shared_ptr<void> payload;
    std::string device;
    bool fallback_used = false;
    int retries = 0;
    uint64_t bytes_moved = 0;
    std::shared_ptr<Stream> stream;
    std::shared_ptr<Event> start_event, end_event;
  };

  bool should_stop() const {
    return stop_.load(std::memory_order_acquire) ||
           (options_.cancel != nullptr && options_.cancel->cancelled());
  }
  void drain(int first);
  Outcome run_stage(int index);
  void attempt_stage(int index, const std::string& device, bool fallback, int attempt,
                     Outcome& outcome);
  std::shared_ptr<Stream> choose_stream(int index, const DeviceSpec& device);
  std::shared_ptr<Event> take_event(const DeviceSpec& device);
  void wait_for_dependencies(int index, const Stream* stream);
  /// Under the lock: marks index done with outcome, propagates, returns a ready stage for the
  /// calling thread to run next (or -1) after submitting the other ready ones.
  int complete(int index, Outcome outcome, std::unique_lock<std::mutex>& lock);
  void resolve_unrun(int index, StageStatus status, const std::string& message);
  void fail_propagate(int index);
  void submit(int index);
  void backoff_sleep(double seconds);
  int lane_of_this_thread();
  void finish(RunResult& result);

  std::shared_ptr<Pipeline> pipeline_;
  const std::vector<StageSpec>& spec_;
  RunOptions options_;
  std::vector<StageState> stages_;
  bool coordinate_only_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<int> ready_;
  size_t done_ = 0;
  std::atomic<bool> stop_{false};
  Clock::time_point start_;
  std::unordered_map<std::thread::id, int> lanes_;
};

RunResult Pipeline::run(const RunOptions& options) {
  auto run = std::make_shared<PipelineRun>(shared_from_this(), options);
  return run->execute();
}

RunResult PipelineRun::execute() {
  start_ = Clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i].remaining == 0) ready_.push_back(static_cast<int>(i));
  }
  if (!coordinate_only_) {
    const int first = ready_.front();
    ready_.pop_front();
    while (!ready_.empty()) {
      submit(ready_.front());
      ready_.pop_front();
    }
    lock.unlock();
    drain(first);
    lock.lock();
    changed_.wait(lock, [&] { return done_ == stages_.size(); });
  } else {
    while (!ready_.empty()) {
      submit(ready_.front());
      ready_.pop_front();
    }
    while (done_ < stages_.size()) {
      Clock::time_point wake = Clock::now() + std::chrono::hours(24);
      if (options_.cancel != nullptr) wake = Clock::now() + kCancelPollInterval;
      for (const StageState& stage : stages_) {
        if (stage.state == State::Running && stage.timeout > 0) {
          const auto deadline = stage.started + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(stage.timeout));
          wake = std::min(wake, deadline);
        }
      }
      changed_.wait_until(lock, wake);
      const Clock::time_point now = Clock::now();
      for (size_t i = 0; i < stages_.size(); ++i) {
        StageState& stage = stages_[i];
        if (stage.state != State::Running || stage.timeout <= 0) continue;
        if (seconds_between(stage.started, now) < stage.timeout) continue;
        Outcome outcome;
        outcome.status = StageStatus::TimedOut;
        outcome.message = "stage " + quoted(spec_[i].name) +
                          " did not finish within its timeout of " + std::to_string(stage.timeout) +
                          " s (it was abandoned, not stopped)";
        outcome.device = stage.record.device;
        complete(static_cast<int>(i), std::move(outcome), lock);
      }
      if (options_.cancel != nullptr && options_.cancel->cancelled() && done_ < stages_.size()) {
        stop_.store(true, std::memory_order_release);
        for (size_t i = 0; i < stages_.size(); ++i) {
          if (stages_[i].state == State::Done) continue;
          const bool running = stages_[i].state == State::Running;
          resolve_unrun(static_cast<int>(i), StageStatus::Cancelled,
                        running ? "the run was cancelled while this stage ran (abandoned)"
                                : "the run was cancelled before this stage started");
        }
      }
    }
  }
  lock.unlock();
  RunResult result;
  finish(result);
  return result;
}

void PipelineRun::submit(int index) {
  std::shared_ptr<PipelineRun> self = shared_from_this();
  WorkerPool::instance().submit([self, index] { self->drain(index); });
}

void PipelineRun::drain(int first) {
  int next = first;
  while (next >= 0) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      StageState& stage = stages_[static_cast<size_t>(next)];
      if (stage.state != State::Pending) return;  // resolved meanwhile (cancel, stop)
      stage.state = State::Running;
      stage.started = Clock::now();
      stage.timeout = spec_[static_cast<size_t>(next)].timeout_seconds;
      stage.record.start_seconds = seconds_between(start_, stage.started);
      stage.record.lane = lane_of_this_thread();
    }
    if (coordinate_only_) changed_.notify_all();  // a new deadline to watch
    Outcome outcome = run_stage(next);
    std::unique_lock<std::mutex> lock(mutex_);
    next = complete(next, std::move(outcome), lock);
  }
}

int PipelineRun::lane_of_this_thread() {
  auto [entry, added] = lanes_.emplace(std::this_thread::get_id(), static_cast<int>(lanes_.size()));
  (void)added;
  return entry->second;
}

PipelineRun::Outcome PipelineRun::run_stage(int index) {
  const StageSpec& spec = spec_[static_cast<size_t>(index)];
  Outcome outcome;
  outcome.device = spec.device.empty() ? "host" : spec.device;
  for (int attempt = 0; attempt <= spec.retries; ++attempt) {
    if (should_stop()) break;
    if (attempt > 0) {
      backoff_sleep(spec.backoff_seconds * static_cast<double>(1ULL << std::min(attempt - 1, 30)));
      if (should_stop()) break;
      outcome.retries = attempt;
    }
    attempt_stage(index, spec.device, false, attempt, outcome);
    if (outcome.status == StageStatus::Succeeded) return outcome;
  }
  if (!spec.fallback_device.empty() && !should_stop()) {
    const std::string primary_error = outcome.message;
    attempt_stage(index, spec.fallback_device, true, 0, outcome);
    outcome.fallback_used = true;
    if (outcome.status == StageStatus::Succeeded) return outcome;
    outcome.message = "on " + spec.device + ": " + primary_error + "; on fallback " +
                      spec.fallback_device + ": " + outcome.message;
  }
  if (outcome.status == StageStatus::Succeeded) {  // stopped before the first attempt
    outcome.status = StageStatus::Cancelled;
    outcome.message = "not run: the pipeline stopped";
  }
  return outcome;
}

void PipelineRun::attempt_stage(int index, const std::string& device, bool fallback, int attempt,
                                Outcome& outcome) {
  const StageSpec& spec = spec_[static_cast<size_t>(index)];
  StageContext context;
  context.stage = spec.name;
  context.attempt = attempt;
  context.fallback = fallback;
  context.run_data = options_.run_data;
  context.cancelled = options_.cancel != nullptr ? options_.cancel->flag() : nullptr;
  outcome.status = StageStatus::Succeeded;
  outcome.message.clear();
  outcome.payload.reset();
  try {
    if (!device.empty()) {
      context.device = parse_device_spec(device);
      context.has_device = true;
      outcome.device = context.device.str();
      context.stream = choose_stream(index, context.device);
      wait_for_dependencies(index, context.stream.get());
      outcome.stream = context.stream;
      outcome.start_event = take_event(context.device);
      outcome.start_event->record(*context.stream);
    } else {
      wait_for_dependencies(index, nullptr);
    }
    spec.body(context);
    if (context.stream) {
      outcome.end_event = take_event(context.device);
      outcome.end_event->record(*context.stream);
    }
    outcome.bytes_moved = context.bytes_moved;
  } catch (const StageFailure& failure) {
    outcome.status = StageStatus::Failed;
    outcome.message = failure.what();
    outcome.payload = failure.payload();
  } catch (const std::exception& error) {
    outcome.status = StageStatus::Failed;
    outcome.message = error.what();
  }
}

std::shared_ptr<Stream> PipelineRun::choose_stream(int index, const DeviceSpec& device) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int dependency : pipeline_->dependencies_[static_cast<size_t>(index)]) {
      StageState& before = stages_[static_cast<size_t>(dependency)];
      if (before.stream && !before.stream_continued && before.stream->device() == device) {
        before.stream_continued = true;
        return before.stream;
      }
    }
  }
  const std::string key = device.str();
  {
    std::lock_guard<std::mutex> lock(pipeline_->streams_mutex_);
    auto& idle = pipeline_->idle_streams_;
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (it->first == key && it->second->plugin().is_open() &&
          !it->second->plugin().is_retiring()) {
        std::shared_ptr<Stream> stream = std::move(it->second);
        idle.erase(it);
        return stream;
      }
    }
  }
  return Stream::create(device);
}

std::shared_ptr<Event> PipelineRun::take_event(const DeviceSpec& device) {
  const std::string key = device.str();
  {
    std::lock_guard<std::mutex> lock(pipeline_->streams_mutex_);
    auto& idle = pipeline_->idle_events_;
    for (auto it = idle.rbegin(); it != idle.rend(); ++it) {
      if (it->first == key && it->second->plugin().is_open() &&
          !it->second->plugin().is_retiring()) {
        std::shared_ptr<Event> event = std::move(it->second);
        idle.erase(std::next(it).base());
        return event;
      }
    }
  }
  return Event::create(device);
}

void PipelineRun::wait_for_dependencies(int index, const Stream* stream) {
  std::vector<std::pair<std::shared_ptr<Stream>, std::shared_ptr<Event>>> events;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int dependency : pipeline_->dependencies_[static_cast<size_t>(index)]) {
      const StageState& before = stages_[static_cast<size_t>(dependency)];
      if (before.end_event) events.emplace_back(before.stream, before.end_event);
    }
  }
  for (const auto& [before_stream, event] : events) {
    if (stream != nullptr && before_stream.get() == stream) continue;  // same stream: in order
    if (stream != nullptr && before_stream->is_on(stream->plugin(), stream->device_index())) {
      stream->wait_event(*event);
    } else {
      event->synchronize();
    }
  }
}

void PipelineRun::backoff_sleep(double seconds) {
  if (seconds <= 0) return;
  std::unique_lock<std::mutex> lock(mutex_);
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  while (!should_stop() && Clock::now() < until) {
    changed_.wait_until(lock, std::min(until, Clock::now() + kCancelPollInterval));
  }
}

int PipelineRun::complete(int index, Outcome outcome, std::unique_lock<std::mutex>& lock) {
  StageState& stage = stages_[static_cast<size_t>(index)];
  if (stage.state != State::Running) return -1;  // already timed out or cancelled: ignore
  stage.state = State::Done;
  ++done_;
  StageRecord& record = stage.record;
  record.status = outcome.status;
  record.message = std::move(outcome.message);
  record.payload = std::move(outcome.payload);
  record.device = outcome.device;
  record.fallback_used = outcome.fallback_used;
  record.retries = outcome.retries;
  record.bytes_moved = outcome.bytes_moved;
  record.wall_seconds = seconds_between(stage.started, Clock::now());
  if (outcome.status == StageStatus::Succeeded) {
    stage.stream = std::move(outcome.stream);
    stage.start_event = std::move(outcome.start_event);
    stage.end_event = std::move(outcome.end_event);
    for (int dependent : pipeline_->dependents_[static_cast<size_t>(index)]) {
      StageState& after = stages_[static_cast<size_t>(dependent)];
      if (after.state == State::Pending && --after.remaining == 0) ready_.push_back(dependent);
    }
  } else if (outcome.status != StageStatus::Cancelled) {
    fail_propagate(index);
  }
  int mine = -1;
  if (!ready_.empty() && !should_stop()) {
    if (!coordinate_only_) {
      mine = ready_.front();
      ready_.pop_front();
    }
    while (!ready_.empty()) {
      submit(ready_.front());
      ready_.pop_front();
    }
  }
  ready_.clear();
  const bool finished = done_ == stages_.size();
  if (finished || coordinate_only_) {
    lock.unlock();
    changed_.notify_all();
    lock.lock();
  }
  return mine;
}

void PipelineRun::fail_propagate(int index) {
  const std::string& name = spec_[static_cast<size_t>(index)].name;
  const bool timed_out = stages_[static_cast<size_t>(index)].record.status == StageStatus::TimedOut;
  const std::string what = timed_out ? " timed out" : " failed";
  if (pipeline_->strategy_ == ErrorStrategy::StopOnError) {
    stop_.store(true, std::memory_order_release);
    for (size_t i = 0; i < stages_.size(); ++i) {
      if (stages_[i].state == State::Pending) {
        resolve_unrun(static_cast<int>(i), StageStatus::Cancelled,
                      "not run: stage " + quoted(name) + what + " (STOP_ON_ERROR)");
      }
    }
    return;
  }
  // CONTINUE_ON_ERROR: every transitive dependent is skipped, naming the failed stage.
  std::vector<int> work(pipeline_->dependents_[static_cast<size_t>(index)]);
  while (!work.empty()) {
    const int dependent = work.back();
    work.pop_back();
    if (stages_[static_cast<size_t>(dependent)].state != State::Pending) continue;
    resolve_unrun(dependent, StageStatus::Skipped,
                  "skipped: its dependency " + quoted(name) + what);
    for (int next : pipeline_->dependents_[static_cast<size_t>(dependent)]) work.push_back(next);
  }
}

void PipelineRun::resolve_unrun(int index, StageStatus status, const std::string& message) {
  StageState& stage = stages_[static_cast<size_t>(index)];
  if (stage.state == State::Done) return;
  if (stage.state == State::Running) {
    stage.record.wall_seconds = seconds_between(stage.started, Clock::now());
  }
  stage.state = State::Done;
  stage.record.status = status;
  stage.record.message = message;
  ++done_;
}

void PipelineRun::finish(RunResult& result) {
  const Clock::time_point end = Clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  result.wall_seconds = seconds_between(start_, end);
  result.cancelled = options_.cancel != nullptr && options_.cancel->cancelled();
  std::vector<std::shared_ptr<Stream>> streams;
  for (const StageState& stage : stages_) {
    if (stage.stream && std::find(streams.begin(), streams.end(), stage.stream) == streams.end()) {
      streams.push_back(stage.stream);
    }
  }
  // Device work is asynchronous: its errors surface here, at the run's sync point. One
  // synchronize per stream completes every event recorded on it (each driver call costs about
  // a microsecond on CUDA, and a chain of stages shares one stream); where that fails, each
  // stage's end event is synchronized on its own, so the failure lands on the stages it hit.
  std::vector<const Stream*> unsettled;
  for (const std::shared_ptr<Stream>& stream : streams) {
    try {
      stream->synchronize();
    } catch (const Error&) {
      unsettled.push_back(stream.get());
    }
  }
  std::vector<std::shared_ptr<Event>> events;
  for (StageState& stage : stages_) {
    StageRecord& record = stage.record;
    if (stage.end_event) {
      try {
        if (std::find(unsettled.begin(), unsettled.end(), stage.stream.get()) != unsettled.end()) {
          stage.end_event->synchronize();
        }
        // Both events have completed: the next run may record them again.
        events.push_back(stage.start_event);
        events.push_back(stage.end_event);
        record.device_ms = stage.start_event->elapsed_ms(*stage.end_event);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::Unsupported) {
          record.status = StageStatus::Failed;
          record.message = std::string("device work failed: ") + error.what();
        }
      }
    }
    result.stages.push_back(record);
    record.payload.reset();  // the result owns the failure now; this run may outlive it
  }
  {
    std::lock_guard<std::mutex> streams_lock(pipeline_->streams_mutex_);
    for (std::shared_ptr<Stream>& stream : streams) {
      pipeline_->idle_streams_.emplace_back(stream->device().str(), std::move(stream));
    }
    for (std::shared_ptr<Event>& event : events) {
      pipeline_->idle_events_.emplace_back(event->device().str(), std::move(event));
    }
  }
  analyze_critical_path(result, pipeline_->dependencies_);
}

}  // namespace dotcompute
