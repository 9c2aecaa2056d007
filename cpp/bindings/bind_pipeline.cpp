// cpp/bindings/bind_pipeline.cpp
// The pipeline executor for python/dotcompute/pipeline.py: stages whose bodies are Python
// callables, run by the C++ scheduler with the GIL released between stages.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/pipeline.hpp"

namespace dotcompute::bindings {

namespace {

/// A Python object kept by C++ (a stage body, an exception) that may be dropped on a thread
/// without the GIL: the deleter takes it.
std::shared_ptr<void> hold_python(py::object object) {
  return std::shared_ptr<void>(new py::object(std::move(object)), [](void* held) {
    if (!Py_IsInitialized()) return;  // interpreter gone: leak rather than crash
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(held);
  });
}

/// Pipeline workers call Python on every stage. Without a kept thread state, each GIL
/// acquisition on a foreign thread would create and destroy one (microseconds); this keeps one
/// per worker thread for the life of the thread.
void keep_thread_state() {
  thread_local bool kept = false;
  if (kept) return;
  py::gil_scoped_acquire gil;
  gil.inc_ref();
  kept = true;
}

/// What a Python stage body gets as its first argument (the spec's "context" entry).
enum class BodyArgument {
  Context,  ///< True: the StageContext
  None,     ///< False: None; making the Python view of a StageContext costs more than a
            ///< trivial host stage
  Stream,   ///< "stream": the stage's stream; the body returns the bytes it moved (or None).
            ///< Kernel stages read nothing else, and each StageContext attribute is a call.
};

BodyArgument body_argument(const py::dict& stage) {
  if (!stage.contains("context")) return BodyArgument::Context;
  py::handle value = stage["context"];
  if (py::isinstance<py::str>(value)) {
    if (py::cast<std::string>(value) == "stream") return BodyArgument::Stream;
    raise(ErrorKind::InvalidArgument, "a stage's context entry is True, False or 'stream'");
  }
  return py::cast<bool>(value) ? BodyArgument::Context : BodyArgument::None;
}

/// A stage body calling fn(argument, run_data) under the GIL; Python exceptions become
/// StageFailure carrying the exception object.
StageBody python_body(py::object function, BodyArgument argument) {
  std::shared_ptr<void> held = hold_python(std::move(function));
  return [held, argument](StageContext& context) {
    keep_thread_state();
    py::gil_scoped_acquire gil;
    const py::object& callable = *static_cast<const py::object*>(held.get());
    py::handle run_data = context.run_data != nullptr
                              ? py::handle(static_cast<PyObject*>(context.run_data))
                              : py::handle(Py_None);
    try {
      if (argument == BodyArgument::Context) {
        callable(py::cast(&context, py::return_value_policy::reference), run_data);
      } else if (argument == BodyArgument::Stream) {
        py::object stream = context.stream ? py::cast(context.stream) : py::none();
        py::object moved = callable(stream, run_data);
        if (!moved.is_none()) context.bytes_moved = py::cast<uint64_t>(moved);
      } else {
        callable(py::none(), run_data);
      }
    } catch (py::error_already_set& error) {
      const std::string message = error.what();
      py::object value = error.value();
      error.restore();
      PyErr_Clear();
      throw StageFailure(message, hold_python(std::move(value)));
    }
  };
}

ErrorStrategy strategy_from_name(const std::string& name) {
  if (name == "stop_on_error") return ErrorStrategy::StopOnError;
  if (name == "continue_on_error") return ErrorStrategy::ContinueOnError;
  raise(ErrorKind::InvalidArgument,
        "unknown error strategy '" + name + "'; use stop_on_error or continue_on_error");
}

py::object payload_of(const StageRecord& record) {
  if (!record.payload) return py::none();
  return *static_cast<const py::object*>(record.payload.get());
}

/// Moves the failed stages' Python exceptions out of the records. An exception keeps its
/// traceback, whose frames keep the run's state and so the pipeline; held from C++, where the
/// garbage collector cannot see the reference, that cycle would never be freed.
py::dict take_errors(RunResult& result) {
  py::dict errors;
  for (StageRecord& record : result.stages) {
    if (!record.payload) continue;
    errors[py::str(record.name)] = payload_of(record);
    record.payload.reset();
  }
  return errors;
}

}  // namespace

void bind_pipeline(py::module_& m) {
  py::class_<CancelToken, std::shared_ptr<CancelToken>>(
      m, "CancelToken",
      "Cancels a pipeline run from another thread: stages not started are "
      "cancelled, running ones are abandoned.")
      .def(py::init<>())
      .def("cancel", &CancelToken::cancel)
      .def_property_readonly("cancelled", &CancelToken::cancelled);

  py::class_<StageContext>(m, "StageContext", "What a stage body sees of its run.")
      .def_readonly("stage", &StageContext::stage)
      .def_readonly("attempt", &StageContext::attempt)
      .def_readonly("fallback", &StageContext::fallback)
      .def_property_readonly("device",
                             [](const StageContext& self) -> py::object {
                               if (!self.has_device) return py::none();
                               return py::str(self.device.str());
                             })
      .def_readonly("stream", &StageContext::stream)
      .def_property_readonly("cancelled",
                             [](const StageContext& self) {
                               return self.cancelled != nullptr && self.cancelled->load();
                             })
      .def_readwrite("bytes_moved", &StageContext::bytes_moved)
      // The executor's stages always run; only the graph capture's dry pass (a Python stand-in
      // for this class) builds without launching. Stages read call.dry on every run.
      .def_property_readonly("dry", [](const StageContext&) { return false; });

  py::class_<StageRecord>(m, "StageRecord", "One stage of a finished run.")
      .def_readonly("name", &StageRecord::name)
      .def_property_readonly("status",
                             [](const StageRecord& self) { return stage_status_name(self.status); })
      .def_readonly("message", &StageRecord::message)
      .def_property_readonly("error", &payload_of)
      .def_readonly("device", &StageRecord::device)
      .def_readonly("fallback_used", &StageRecord::fallback_used)
      .def_readonly("retries", &StageRecord::retries)
      .def_readonly("start_seconds", &StageRecord::start_seconds)
      .def_readonly("wall_seconds", &StageRecord::wall_seconds)
      .def_readonly("device_ms", &StageRecord::device_ms)
      .def_readonly("bytes_moved", &StageRecord::bytes_moved)
      .def_readonly("lane", &StageRecord::lane)
      .def_readonly("on_critical_path", &StageRecord::on_critical_path);

  py::class_<RunResult>(m, "RunResult", "Per-stage records and run-wide metrics of one run.")
      .def_readonly("stages", &RunResult::stages)
      .def_readonly("wall_seconds", &RunResult::wall_seconds)
      .def_readonly("cancelled", &RunResult::cancelled)
      .def_readonly("critical_path", &RunResult::critical_path)
      .def_readonly("critical_path_seconds", &RunResult::critical_path_seconds)
      .def_readonly("bottleneck", &RunResult::bottleneck)
      .def_property_readonly("succeeded", &RunResult::succeeded)
      .def("take_errors", &take_errors,
           "The Python exceptions of failed stages by name, moved out of the records.")
      .def("report", &RunResult::report)
      .def("trace_json", &RunResult::trace_json, py::arg("pipeline_name") = "");

  py::class_<Pipeline, std::shared_ptr<Pipeline>>(
      m, "Pipeline", "A validated stage graph run by the C++ executor (dc.PipelineBuilder).")
      .def(py::init([](py::iterable stages, const std::string& strategy) {
             std::vector<StageSpec> specs;
             for (py::handle entry : stages) {
               py::dict stage = py::reinterpret_borrow<py::dict>(entry);
               StageSpec spec;
               spec.name = py::cast<std::string>(stage["name"]);
               spec.dependencies = py::cast<std::vector<std::string>>(stage["dependencies"]);
               spec.body = python_body(py::reinterpret_borrow<py::object>(stage["body"]),
                                       body_argument(stage));
               spec.device = py::cast<std::string>(stage["device"]);
               spec.fallback_device = py::cast<std::string>(stage["fallback_device"]);
               spec.retries = py::cast<int>(stage["retries"]);
               spec.backoff_seconds = py::cast<double>(stage["backoff"]);
               spec.timeout_seconds = py::cast<double>(stage["timeout"]);
               specs.push_back(std::move(spec));
             }
             return std::make_shared<Pipeline>(std::move(specs), strategy_from_name(strategy));
           }),
           py::arg("stages"), py::arg("strategy") = "stop_on_error",
           "stages: dicts with name, dependencies, body (fn(context, run_data)), device, "
           "fallback_device, retries, backoff, timeout, and optionally context (False: the body "
           "gets None instead of the StageContext; 'stream': the stage's stream, and the body "
           "returns the bytes it moved).")
      .def_property_readonly("order",
                             [](const Pipeline& self) {
                               std::vector<std::string> names;
                               for (int index : self.order()) {
                                 names.push_back(self.stages()[static_cast<size_t>(index)].name);
                               }
                               return names;
                             })
      .def(
          "run",
          [](Pipeline& self, py::object run_data, std::shared_ptr<CancelToken> cancel) {
            RunOptions options;
            options.run_data = run_data.ptr();
            options.run_data_owner = hold_python(run_data);  // for stages abandoned by a timeout
            options.cancel = std::move(cancel);
            py::gil_scoped_release release;
            return self.run(options);
          },
          py::arg("run_data") = py::none(), py::arg("cancel") = nullptr,
          "Runs every stage once and returns the RunResult (stage failures do not raise).");
}

}  // namespace dotcompute::bindings
