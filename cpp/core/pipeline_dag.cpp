// cpp/core/pipeline_dag.cpp
// Pipeline construction: name and dependency checks, cycle detection, topological order.
#include <algorithm>
#include <unordered_map>

#include "dotcompute/errors.hpp"
#include "dotcompute/pipeline.hpp"

namespace dotcompute {

namespace {

std::string quoted(const std::string& text) { return "'" + text + "'"; }

/// One cycle among the stages Kahn's algorithm could not order, as "a -> b -> a".
std::string find_cycle(const std::vector<StageSpec>& stages,
                       const std::vector<std::vector<int>>& dependencies,
                       const std::vector<bool>& ordered) {
  // Walk dependencies from an unordered stage: every unordered stage has an unordered
  // dependency, so the walk must revisit a stage; the part from its first visit is a cycle.
  int start = 0;
  while (ordered[static_cast<size_t>(start)]) ++start;
  std::vector<int> position(stages.size(), -1), path;
  int current = start;
  while (position[static_cast<size_t>(current)] < 0) {
    position[static_cast<size_t>(current)] = static_cast<int>(path.size());
    path.push_back(current);
    for (int dependency : dependencies[static_cast<size_t>(current)]) {
      if (!ordered[static_cast<size_t>(dependency)]) {
        current = dependency;
        break;
      }
    }
  }
  // path holds dependents before their dependencies; print in execution order.
  std::vector<int> cycle(path.begin() + position[static_cast<size_t>(current)], path.end());
  std::reverse(cycle.begin(), cycle.end());
  // Start at the stage declared first, so the message does not depend on where the walk began.
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  std::string text;
  for (int index : cycle) text += quoted(stages[static_cast<size_t>(index)].name) + " -> ";
  return text + quoted(stages[static_cast<size_t>(cycle.front())].name);
}

}  // namespace

const char* stage_status_name(StageStatus status) noexcept {
  switch (status) {
    case StageStatus::Succeeded:
      return "succeeded";
    case StageStatus::Failed:
      return "failed";
    case StageStatus::Skipped:
      return "skipped";
    case StageStatus::Cancelled:
      return "cancelled";
    case StageStatus::TimedOut:
      return "timed_out";
  }
  return "unknown";
}

Pipeline::Pipeline(std::vector<StageSpec> stages, ErrorStrategy strategy)
    : stages_(std::move(stages)), strategy_(strategy) {
  if (stages_.empty()) {
    raise(ErrorKind::Pipeline, "a pipeline needs at least one stage (add_stage(name, stage))");
  }
  std::unordered_map<std::string, int> index_of;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const StageSpec& stage = stages_[i];
    if (stage.name.empty()) raise(ErrorKind::Pipeline, "stage names must not be empty");
    if (!stage.body) raise(ErrorKind::Pipeline, "stage " + quoted(stage.name) + " has no body");
    if (!index_of.emplace(stage.name, static_cast<int>(i)).second) {
      raise(ErrorKind::Pipeline,
            "two stages are named " + quoted(stage.name) + "; stage names must be unique");
    }
    if (stage.retries < 0 || stage.backoff_seconds < 0 || stage.timeout_seconds < 0) {
      raise(ErrorKind::Pipeline,
            "stage " + quoted(stage.name) + ": retries, backoff and timeout must not be negative");
    }
    any_timeout_ = any_timeout_ || stage.timeout_seconds > 0;
  }
  dependencies_.resize(stages_.size());
  dependents_.resize(stages_.size());
  for (size_t i = 0; i < stages_.size(); ++i) {
    for (const std::string& name : stages_[i].dependencies) {
      auto found = index_of.find(name);
      if (found == index_of.end()) {
        raise(ErrorKind::Pipeline, "stage " + quoted(stages_[i].name) + " depends on " +
                                       quoted(name) + ", which is not a stage of this pipeline");
      }
      if (found->second == static_cast<int>(i)) {
        raise(ErrorKind::Pipeline, "stage " + quoted(name) + " depends on itself");
      }
      std::vector<int>& list = dependencies_[i];
      if (std::find(list.begin(), list.end(), found->second) != list.end()) continue;
      list.push_back(found->second);
      dependents_[static_cast<size_t>(found->second)].push_back(static_cast<int>(i));
    }
  }
  // Kahn's algorithm; ready stages are taken in declaration order for a stable order.
  std::vector<size_t> remaining(stages_.size());
  for (size_t i = 0; i < stages_.size(); ++i) remaining[i] = dependencies_[i].size();
  std::vector<bool> ordered(stages_.size(), false);
  bool progress = true;
  while (progress) {
    progress = false;
    for (size_t i = 0; i < stages_.size(); ++i) {
      if (ordered[i] || remaining[i] != 0) continue;
      ordered[i] = true;
      order_.push_back(static_cast<int>(i));
      for (int dependent : dependents_[i]) --remaining[static_cast<size_t>(dependent)];
      progress = true;
    }
  }
  if (order_.size() != stages_.size()) {
    raise(ErrorKind::Pipeline,
          "the stage dependencies form a cycle: " + find_cycle(stages_, dependencies_, ordered));
  }
}

}  // namespace dotcompute
