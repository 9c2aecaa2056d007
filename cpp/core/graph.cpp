// cpp/core/graph.cpp
// Graphs: capture of a stream's kernel launches, replayed as one unit (Note [Graphs]).
#include <iterator>
#include <utility>

#include "dotcompute/errors.hpp"
#include "dotcompute/stream.hpp"

namespace dotcompute {

namespace {

std::string quoted(const std::string& text) { return "'" + text + "'"; }

}  // namespace

Graph::Graph(std::shared_ptr<Plugin> plugin, DeviceSpec spec, bool native)
    : object_(std::move(plugin), ObjectKind::Graph), spec_(std::move(spec)), native_(native) {}

std::shared_ptr<Graph> Graph::begin_capture(const std::shared_ptr<Stream>& stream) {
  if (!stream) raise(ErrorKind::InvalidArgument, "capture needs a stream");
  if (stream->is_default()) {
    raise(ErrorKind::InvalidArgument,
          "the default stream cannot be captured (built-ins and transfers run on it); capture a "
          "stream of its own: dc.capture(dc.Stream(device))");
  }
  Plugin& plugin = stream->plugin();
  const dc_backend_iface& iface = plugin.iface();
  const bool native = iface.graph != nullptr;
  std::shared_ptr<Graph> graph(new Graph(stream->plugin_shared(), stream->device(), native));
  std::lock_guard<std::mutex> lock(stream->mutex_);
  if (stream->capture_ != nullptr) {
    raise(ErrorKind::InvalidArgument,
          "stream on " + quoted(stream->device().str()) +
              " is already being captured; end that capture first (captures do not nest)");
  }
  if (native) {
    plugin.check(iface.graph->begin_capture(stream->device_index(), stream->handle()),
                 "begin graph capture");
  }
  graph->stream_ = stream;
  stream->capture_ = graph;
  return graph;
}

Graph::~Graph() {
  abandon();
  if (handle_ != nullptr) {
    // No caller to report a failure to; the plugin keeps the message for last_error.
    object_.plugin().iface_unchecked().graph->destroy(spec_.index, handle_);
  }
}

void Graph::detach_stream() noexcept {
  if (!stream_) return;
  std::lock_guard<std::mutex> lock(stream_->mutex_);
  if (stream_->capture_.get() == this) stream_->capture_.reset();
  stream_.reset();
}

void Graph::end_capture() {
  if (state_ != State::Capturing) {
    if (state_ == State::Abandoned) {
      raise(ErrorKind::InvalidArgument, "this graph's capture failed; capture the work again");
    }
    return;
  }
  std::shared_ptr<Stream> stream = stream_;
  detach_stream();
  if (native_) {
    dc_graph handle = nullptr;
    Plugin& owner = plugin();
    const dc_status status =
        owner.iface().graph->end_capture(stream->device_index(), stream->handle(), &handle);
    if (status != DC_STATUS_OK) {
      state_ = State::Abandoned;
      owner.check(status, "end graph capture");
    }
    handle_ = handle;
  }
  state_ = State::Ready;
}

void Graph::abandon() noexcept {
  if (state_ != State::Capturing) return;
  std::shared_ptr<Stream> stream = stream_;
  detach_stream();
  state_ = State::Abandoned;
  if (native_ && stream) {
    // The plugin must leave capture mode; the partial graph it returns is of no use.
    dc_graph partial = nullptr;
    const dc_graph_iface& table = *plugin().iface_unchecked().graph;
    if (table.end_capture(stream->device_index(), stream->handle(), &partial) == DC_STATUS_OK &&
        partial != nullptr) {
      table.destroy(stream->device_index(), partial);
    }
  }
  launches_.clear();
  storages_.clear();
}

void Graph::keep_alive(std::vector<std::shared_ptr<Storage>> storages) {
  std::lock_guard<std::mutex> lock(mutex_);
  storages_.insert(storages_.end(), std::make_move_iterator(storages.begin()),
                   std::make_move_iterator(storages.end()));
}

bool Graph::add_launch(const KernelPlanPtr& plan, const dc_launch_config& config,
                       const dc_kernel_arg* args,
                       const std::vector<std::shared_ptr<Storage>>& storages) {
  std::lock_guard<std::mutex> lock(mutex_);
  storages_.insert(storages_.end(), storages.begin(), storages.end());
  ++launch_count_;
  if (native_) return true;
  launches_.push_back(
      RecordedLaunch{plan, config, std::vector<dc_kernel_arg>(args, args + plan->slot_count())});
  return false;
}

void Graph::replay(const Stream* stream) const {
  if (state_ == State::Capturing) {
    raise(ErrorKind::InvalidArgument,
          "this graph is still capturing; replay it after the capture block has ended");
  }
  if (state_ == State::Abandoned) {
    raise(ErrorKind::InvalidArgument, "this graph's capture failed; capture the work again");
  }
  if (stream != nullptr && !stream->is_on(plugin(), spec_.index)) {
    raise(ErrorKind::Device, "this graph was captured on " + quoted(spec_.str()) +
                                 " and cannot be replayed on a stream of " +
                                 quoted(stream->device().str()));
  }
  if (!plugin().is_open()) {
    raise(ErrorKind::Device, "backend " + quoted(spec_.backend) + " was unloaded");
  }
  for (const std::shared_ptr<Storage>& storage : storages_) {
    if (storage->released()) {
      raise(ErrorKind::Released,
            "an array this graph's kernels use was released (Array.release()) after the "
            "capture; a graph replays on the same memory, so capture it again");
    }
  }
  const dc_stream handle = stream != nullptr ? stream->handle() : nullptr;
  if (native_) {
    Plugin& owner = plugin();
    owner.check(owner.iface_unchecked().graph->launch(spec_.index, handle_, handle),
                "graph launch");
    return;
  }
  for (const RecordedLaunch& launch : launches_) {
    launch.plan->launch(launch.config, launch.args.data(), handle);
  }
}

void launch_on_stream(const Stream& stream, const KernelPlanPtr& plan,
                      const dc_launch_config& config, const dc_kernel_arg* args,
                      const std::vector<std::shared_ptr<Storage>>& storages) {
  const KernelPlan& kernel = *plan;
  if (!stream.is_on(kernel.module()->plugin(), kernel.module()->device_index())) {
    raise(ErrorKind::Device, kernel.name() + "() runs on " +
                                 quoted(kernel.module()->device().str()) +
                                 " but the stream belongs to " + quoted(stream.device().str()) +
                                 "; launch it on a stream of its device");
  }
  if (std::shared_ptr<Graph> graph = stream.capturing()) {
    if (!graph->add_launch(plan, config, args, storages)) return;
  }
  kernel.launch(config, args, stream.handle());
}

}  // namespace dotcompute
