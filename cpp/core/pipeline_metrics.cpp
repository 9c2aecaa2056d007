// cpp/core/pipeline_metrics.cpp
// Run analysis and output: critical path and bottleneck, the text report, Chrome trace JSON.
#include <algorithm>
#include <cstdio>

#include "dotcompute/pipeline.hpp"

namespace dotcompute {

namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

std::string padded(const std::string& text, size_t width, bool right = false) {
  if (text.size() >= width) return text;
  const std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool ran(const StageRecord& record) { return record.start_seconds >= 0; }

}  // namespace

void analyze_critical_path(RunResult& result, const std::vector<std::vector<int>>& dependencies) {
  const size_t count = result.stages.size();
  // Longest path ending at each stage, by wall time, over stages that ran; Kahn order.
  std::vector<double> finish(count, 0.0);
  std::vector<int> previous(count, -1);
  std::vector<size_t> remaining(count);
  std::vector<std::vector<int>> dependents(count);
  for (size_t i = 0; i < count; ++i) {
    remaining[i] = dependencies[i].size();
    for (int dependency : dependencies[i]) {
      dependents[static_cast<size_t>(dependency)].push_back(static_cast<int>(i));
    }
  }
  std::vector<int> queue;
  for (size_t i = 0; i < count; ++i) {
    if (remaining[i] == 0) queue.push_back(static_cast<int>(i));
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    const size_t i = static_cast<size_t>(queue[head]);
    double best = 0.0;
    for (int dependency : dependencies[i]) {
      if (finish[static_cast<size_t>(dependency)] > best) {
        best = finish[static_cast<size_t>(dependency)];
        previous[i] = dependency;
      }
    }
    finish[i] = best + (ran(result.stages[i]) ? result.stages[i].wall_seconds : 0.0);
    for (int dependent : dependents[i]) {
      if (--remaining[static_cast<size_t>(dependent)] == 0) queue.push_back(dependent);
    }
  }
  int last = -1;
  for (size_t i = 0; i < count; ++i) {
    if (ran(result.stages[i]) && (last < 0 || finish[i] > finish[static_cast<size_t>(last)])) {
      last = static_cast<int>(i);
    }
  }
  result.critical_path.clear();
  if (last < 0) return;
  result.critical_path_seconds = finish[static_cast<size_t>(last)];
  int longest = -1;
  for (int at = last; at >= 0; at = previous[static_cast<size_t>(at)]) {
    StageRecord& record = result.stages[static_cast<size_t>(at)];
    if (!ran(record)) continue;
    record.on_critical_path = true;
    result.critical_path.push_back(record.name);
    if (longest < 0 ||
        record.wall_seconds > result.stages[static_cast<size_t>(longest)].wall_seconds) {
      longest = at;
    }
  }
  std::reverse(result.critical_path.begin(), result.critical_path.end());
  result.bottleneck = result.stages[static_cast<size_t>(longest)].name;
}

bool RunResult::succeeded() const noexcept {
  return std::all_of(stages.begin(), stages.end(), [](const StageRecord& record) {
    return record.status == StageStatus::Succeeded;
  });
}

std::string RunResult::report() const {
  size_t name_width = 5, device_width = 6;
  size_t counts[5] = {};
  for (const StageRecord& record : stages) {
    name_width = std::max(name_width, record.name.size());
    device_width = std::max(device_width, record.device.size() + (record.fallback_used ? 11 : 0));
    ++counts[static_cast<int>(record.status)];
  }
  std::string text = "pipeline run: " + std::to_string(stages.size()) + " stages, " +
                     format("%.3f", wall_seconds * 1e3) + " ms wall";
  for (int status = 0; status < 5; ++status) {
    if (counts[status] == 0) continue;
    text += ", " + std::to_string(counts[status]) + " " +
            stage_status_name(static_cast<StageStatus>(status));
  }
  if (cancelled) text += " (cancelled)";
  text += "\n" + padded("stage", name_width) + "  " + padded("status", 10) + "  " +
          padded("device", device_width) + "  " + padded("wall ms", 10, true) + "  " +
          padded("device ms", 10, true) + "  retries  " + padded("bytes", 12, true) + "\n";
  for (const StageRecord& record : stages) {
    const std::string device = record.device + (record.fallback_used ? " (fallback)" : "");
    text += padded(record.name, name_width) + "  " + padded(stage_status_name(record.status), 10) +
            "  " + padded(device, device_width) + "  " +
            padded(ran(record) ? format("%.3f", record.wall_seconds * 1e3) : "-", 10, true) + "  " +
            padded(record.device_ms >= 0 ? format("%.3f", record.device_ms) : "-", 10, true) +
            "  " + padded(std::to_string(record.retries), 7, true) + "  " +
            padded(std::to_string(record.bytes_moved), 12, true) +
            (record.on_critical_path ? "  *" : "") + "\n";
  }
  if (!critical_path.empty()) {
    text += "critical path (*): ";
    for (size_t i = 0; i < critical_path.size(); ++i) {
      text += (i > 0 ? " -> " : "") + critical_path[i];
    }
    text += " (" + format("%.3f", critical_path_seconds * 1e3) + " ms)\n";
    for (const StageRecord& record : stages) {
      if (record.name != bottleneck) continue;
      const double share =
          critical_path_seconds > 0 ? record.wall_seconds / critical_path_seconds * 100.0 : 0.0;
      text += "bottleneck: " + bottleneck + " (" + format("%.3f", record.wall_seconds * 1e3) +
              " ms, " + format("%.0f", share) + "% of the critical path)\n";
    }
  }
  for (const StageRecord& record : stages) {
    if (record.status == StageStatus::Succeeded || record.message.empty()) continue;
    text += record.name + ": " + record.message + "\n";
  }
  return text;
}

std::string RunResult::trace_json(const std::string& pipeline_name) const {
  std::string json = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  json += "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": " +
          json_string("pipeline " + pipeline_name) + "}}";
  int lanes = 0;
  for (const StageRecord& record : stages) lanes = std::max(lanes, record.lane + 1);
  for (int lane = 0; lane < lanes; ++lane) {
    json += ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": " +
            std::to_string(lane) + ", \"args\": {\"name\": \"worker " + std::to_string(lane) +
            "\"}}";
  }
  for (const StageRecord& record : stages) {
    if (!ran(record)) continue;
    json += ",\n{\"name\": " + json_string(record.name) +
            ", \"cat\": " + json_string(record.device == "host" ? "host" : "device") +
            ", \"ph\": \"X\", \"pid\": 1, \"tid\": " + std::to_string(record.lane) +
            ", \"ts\": " + format("%.3f", record.start_seconds * 1e6) +
            ", \"dur\": " + format("%.3f", record.wall_seconds * 1e6) +
            ", \"args\": {\"status\": " + json_string(stage_status_name(record.status)) +
            ", \"device\": " + json_string(record.device) +
            ", \"retries\": " + std::to_string(record.retries) +
            ", \"fallback\": " + (record.fallback_used ? "true" : "false") + ", \"device_ms\": " +
            (record.device_ms >= 0 ? format("%.6f", record.device_ms) : "null") +
            ", \"bytes\": " + std::to_string(record.bytes_moved) +
            ", \"critical_path\": " + (record.on_critical_path ? "true" : "false") +
            (record.message.empty() ? "" : ", \"message\": " + json_string(record.message)) + "}}";
  }
  return json + "\n]}\n";
}

}  // namespace dotcompute
