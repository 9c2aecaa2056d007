// cpp/include/dotcompute/pipeline.hpp
// The pipeline executor: a validated DAG of named stages run with concurrency, error strategies,
// retries, fallback devices, timeouts, cancellation and per-stage metrics (DESIGN §5).
//
//     std::vector<StageSpec> stages = {{"load", {}, load_body}, {"pre", {"load"}, pre_body}};
//     Pipeline pipeline(std::move(stages), ErrorStrategy::StopOnError);  // throws on cycles
//     RunResult result = pipeline.run(RunOptions{});
//     result.report();  // text; result.trace_json() for chrome://tracing
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "dotcompute/device.hpp"
#include "dotcompute/stream.hpp"

namespace dotcompute {

enum class StageStatus { Succeeded, Failed, Skipped, Cancelled, TimedOut };
const char* stage_status_name(StageStatus status) noexcept;

enum class ErrorStrategy {
  StopOnError,      ///< the first failure cancels every stage not started yet
  ContinueOnError,  ///< dependents of a failed stage are skipped; the rest runs
};

/// What a stage body sees of the run, and what it reports back.
struct StageContext {
  std::string stage;
  int attempt = 0;        ///< 0 for the first try
  bool fallback = false;  ///< running on the stage's fallback device
  DeviceSpec device;      ///< device stages: where to run (primary or fallback)
  bool has_device = false;
  std::shared_ptr<Stream> stream;  ///< device stages: the stream to submit work to
  void* run_data = nullptr;        ///< RunOptions::run_data, for the body's own use
  const std::atomic<bool>* cancelled = nullptr;
  uint64_t bytes_moved = 0;  ///< set by the body (array bytes read and written)
};

/// A stage body fails by throwing; StageFailure carries an opaque payload (the Python exception
/// object in the bindings) next to the message.
class StageFailure : public std::runtime_error {
 public:
  StageFailure(const std::string& message, std::shared_ptr<void> payload)
      : std::runtime_error(message), payload_(std::move(payload)) {}
  const std::shared_ptr<void>& payload() const noexcept { return payload_; }

 private:
  std::shared_ptr<void> payload_;
};

using StageBody = std::function<void(StageContext&)>;

struct StageSpec {
  std::string name;
  std::vector<std::string> dependencies;
  StageBody body;
  std::string device;           ///< empty: a host stage; else a device stage on this spec
  std::string fallback_device;  ///< empty: none
  int retries = 0;              ///< extra attempts after a failure
  double backoff_seconds = 0;   ///< wait before retry k: backoff * 2^k
  double timeout_seconds = 0;   ///< 0: none
};

/// Cancels a run from another thread (or from asyncio).
class CancelToken {
 public:
  void cancel() noexcept { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }
  const std::atomic<bool>* flag() const noexcept { return &cancelled_; }

 private:
  std::atomic<bool> cancelled_{false};
};

struct RunOptions {
  void* run_data = nullptr;
  std::shared_ptr<void> run_data_owner;  ///< keeps run_data alive for abandoned stages
  std::shared_ptr<CancelToken> cancel;
};

/// One stage of a finished run.
struct StageRecord {
  std::string name;
  StageStatus status = StageStatus::Cancelled;
  std::string message;            ///< error or reason it did not run
  std::shared_ptr<void> payload;  ///< StageFailure payload of the last failure
  std::string device;             ///< "host" or the device spec it ran on
  bool fallback_used = false;
  int retries = 0;
  double start_seconds = -1;  ///< from the run's start; -1: never started
  double wall_seconds = 0;
  double device_ms = -1;  ///< device time between the stage's events; -1: not measured
  uint64_t bytes_moved = 0;
  int lane = 0;  ///< the worker lane it ran on (for traces)
  bool on_critical_path = false;
};

struct RunResult {
  std::vector<StageRecord> stages;  ///< in the pipeline's declaration order
  double wall_seconds = 0;
  bool cancelled = false;
  std::vector<std::string> critical_path;
  double critical_path_seconds = 0;
  std::string bottleneck;  ///< the longest stage on the critical path

  bool succeeded() const noexcept;
  /// A readable table of the stages, the critical path and the bottleneck.
  std::string report() const;
  /// Chrome trace-event JSON (chrome://tracing, Perfetto).
  std::string trace_json(const std::string& pipeline_name) const;
};

/// A validated stage graph. Construction checks names and dependencies: an empty or duplicate
/// name, an unknown dependency and a cycle are Error(Pipeline) naming the stages involved.
class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  /// Make it with std::make_shared: runs share it with their worker tasks.
  Pipeline(std::vector<StageSpec> stages, ErrorStrategy strategy);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Runs every stage once; blocks until done (or cancelled, or timed out). Never throws for a
  /// stage's failure: the result says what happened.
  RunResult run(const RunOptions& options);

  const std::vector<StageSpec>& stages() const noexcept { return stages_; }
  /// Stage indices in a topological order (dependencies first, ties in declaration order).
  const std::vector<int>& order() const noexcept { return order_; }
  const std::vector<std::vector<int>>& dependencies() const noexcept { return dependencies_; }
  const std::vector<std::vector<int>>& dependents() const noexcept { return dependents_; }
  ErrorStrategy strategy() const noexcept { return strategy_; }

 private:
  friend class PipelineRun;
  std::vector<StageSpec> stages_;
  ErrorStrategy strategy_;
  std::vector<int> order_;
  std::vector<std::vector<int>> dependencies_, dependents_;
  bool any_timeout_ = false;
  // Streams and events kept between runs, per device spec, so runs do not create them each
  // time (an event is two driver calls to make and destroy on CUDA).
  std::mutex streams_mutex_;
  std::vector<std::pair<std::string, std::shared_ptr<Stream>>> idle_streams_;
  std::vector<std::pair<std::string, std::shared_ptr<Event>>> idle_events_;
};

/// Fills critical_path, critical_path_seconds, bottleneck and on_critical_path from the stage
/// records and the dependency lists (longest path by wall time over stages that ran).
void analyze_critical_path(RunResult& result, const std::vector<std::vector<int>>& dependencies);

}  // namespace dotcompute
