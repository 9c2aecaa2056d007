// cpp/bindings/bind_streams.cpp
// dc.Stream, dc.Event and dc.Graph (Note [Graphs], Note [Current stream] in stream.hpp).
#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/device.hpp"
#include "dotcompute/stream.hpp"

namespace dotcompute::bindings {

namespace {

/// The stream a call names: a dc.Stream, or None for the current stream of device (the
/// device's default stream unless a `with stream:` block made another current).
StreamPtr stream_or_current(py::handle stream, const DeviceSpec& device) {
  if (!stream.is_none()) return py::cast<StreamPtr>(stream);
  StreamPtr top = current_stream_top();
  if (top && top->device() == device) return top;
  return Stream::default_stream(device);
}

}  // namespace

void bind_streams(py::module_& m) {
  py::class_<Stream, StreamPtr>(
      m, "Stream",
      "An in-order queue of device work. Work on two streams runs unordered unless joined by an "
      "event. `with stream:` makes it the current stream of this thread: kernel launches on its "
      "device that name no stream go to it.")
      .def(py::init([](py::object device) { return Stream::create(device_from_python(device)); }),
           py::arg("device") = py::none())
      .def_property_readonly("device", [](const Stream& self) { return Device(self.device()); })
      .def_property_readonly("is_default", &Stream::is_default,
                             "True for the device's default stream (built-ins and transfers).")
      .def_property_readonly(
          "is_capturing", [](const Stream& self) { return self.capturing() != nullptr; },
          "True inside dc.capture(stream): launches on it are recorded into a graph, not run.")
      .def("synchronize", &Stream::synchronize, py::call_guard<py::gil_scoped_release>(),
           "Waits until all work submitted to this stream has finished.")
      .def("wait_event", &Stream::wait_event, py::arg("event"),
           "Makes later work on this stream wait until event has completed (no host wait).")
      .def(
          "record_event",
          [](const StreamPtr& self) {
            EventPtr event = Event::create(self->device());
            event->record(*self);
            return event;
          },
          "A new event recorded on this stream.")
      .def("__enter__",
           [](const StreamPtr& self) {
             push_current_stream(self);
             return self;
           })
      .def("__exit__",
           [](const Stream& self, py::handle, py::handle, py::handle) {
             pop_current_stream(self);
             return false;
           })
      .def("__eq__",
           [](const Stream& self, py::handle other) {
             if (!py::isinstance<Stream>(other)) return false;
             const Stream& that = py::cast<const Stream&>(other);
             return &self == &that || (self.is_default() && that.is_default() &&
                                       that.is_on(self.plugin(), self.device_index()));
           })
      .def("__hash__",
           [](const Stream& self) {
             return self.is_default() ? py::hash(py::str(self.device().str()))
                                      : py::hash(py::int_(reinterpret_cast<uintptr_t>(&self)));
           })
      .def("__repr__", [](const Stream& self) {
        return std::string("<dotcompute Stream ") + (self.is_default() ? "(default) " : "") +
               "on '" + self.device().str() + "'>";
      });

  m.def(
      "current_stream",
      [](py::object device) { return stream_or_current(py::none(), device_from_python(device)); },
      py::arg("device") = py::none(),
      "This thread's current stream of device (None: the default device): the innermost "
      "`with stream:` on that device, else the device's default stream.");

  py::class_<Event, EventPtr>(m, "Event",
                              "A marker in a stream: it completes when the work submitted "
                              "before it has finished. Used to join streams and to time work.")
      .def(py::init([](py::object device) { return Event::create(device_from_python(device)); }),
           py::arg("device") = py::none())
      .def_property_readonly("device", [](const Event& self) { return Device(self.device()); })
      .def_property_readonly("recorded", &Event::recorded)
      .def(
          "record",
          [](const EventPtr& self, py::handle stream) {
            StreamPtr target = stream_or_current(stream, self->device());
            self->record(*target);
            return self;
          },
          py::arg("stream") = py::none(),
          "Marks the current end of stream's work (None: the current stream of the event's "
          "device). Returns the event.")
      .def("synchronize", &Event::synchronize, py::call_guard<py::gil_scoped_release>(),
           "Waits until the work recorded before this event has finished.")
      .def("query", &Event::query,
           "Whether the recorded work has finished, without waiting. UnsupportedError where "
           "the backend cannot tell without waiting.")
      .def("elapsed_ms", &Event::elapsed_ms, py::arg("end"),
           "Milliseconds of device time from this event to end; both must be recorded and "
           "complete (synchronize end first).")
      .def("__repr__", [](const Event& self) {
        return std::string("<dotcompute Event on '") + self.device().str() + "'" +
               (self.recorded() ? ", recorded>" : ">");
      });

  py::class_<Graph, GraphPtr>(
      m, "Graph",
      "Kernel launches captured from a stream (dc.capture), replayed as one unit. On backends "
      "with graph support (CUDA) replay is one driver call; elsewhere the core replays the "
      "recorded launches in order.")
      .def_static("begin_capture", &Graph::begin_capture, py::arg("stream"),
                  "Starts capturing the stream's kernel launches (dc.capture is the usual way).")
      .def("end_capture", &Graph::end_capture, "Stops the capture; the graph can then replay.")
      .def("abandon", &Graph::abandon, "Drops a capture that failed half way.")
      .def(
          "replay",
          [](const Graph& self, py::handle stream) {
            StreamPtr target = stream_or_current(stream, self.device());
            py::gil_scoped_release release;
            self.replay(target.get());
          },
          py::arg("stream") = py::none(),
          "Runs the captured work again on stream (None: the current stream of its device).")
      .def_property_readonly("device", [](const Graph& self) { return Device(self.device()); })
      .def_property_readonly("is_native", &Graph::is_native,
                             "True when the backend captured it (a CUDA graph); False when the "
                             "core recorded the launches.")
      .def_property_readonly("is_capturing", &Graph::is_capturing)
      .def_property_readonly("launch_count", &Graph::launch_count, "Kernel launches captured.")
      .def("__repr__", [](const Graph& self) {
        return "<dotcompute Graph of " + std::to_string(self.launch_count()) + " launch(es) on '" +
               self.device().str() + "'" + (self.is_native() ? ", native" : ", recorded") + ">";
      });
}

}  // namespace dotcompute::bindings
