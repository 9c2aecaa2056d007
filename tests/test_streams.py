# tests/test_streams.py
# Streams, events, the current stream, kernel launches on streams, and graph capture/replay.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array


@dc.kernel
def scale_into(x: dc.Array[dc.float32], out: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * factor


@dc.kernel
def accumulate(x: dc.Array[dc.float32], total: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < total.shape[0]:
        total[i] = total[i] + x[i]


@dc.kernel
def add_2d(a: dc.Array[dc.float64, 2], b: dc.Array[dc.float64, 2], out: dc.Array[dc.float64, 2]):
    i = dc.global_id(0)
    j = dc.global_id(1)
    if i < out.shape[0] and j < out.shape[1]:
        out[i, j] = a[i, j] + b[i, j]


# Odd sizes: one below a work-group, several groups, and past the GIL-release threshold.
SIZES = [7, 3001, 100_003]


def _warm_up(kernel, n, *args):
    """Launches once outside any capture: compiling and loading a kernel (device memory for
    its module) must not happen while a CUDA stream is captured."""
    kernel[n](*args)
    dc.synchronize()


def _query_or_skip(event: dc.Event) -> bool:
    try:
        return event.query()
    except dc.UnsupportedError as error:
        pytest.skip(f"{event.device.backend} plugin has no event_query slot: {error}")


# -- streams ------------------------------------------------------------------------------------


def test_stream_basics(device):
    stream = dc.Stream(device)
    assert stream.device.spec == dc.get_device(device).spec
    assert not stream.is_default
    assert device.split(":")[0] in repr(stream)
    stream.synchronize()
    default = dc.current_stream(device)
    assert default.is_default
    assert default == dc.current_stream(device)
    assert stream != default


@pytest.mark.parametrize("n", SIZES)
def test_kernel_on_stream_matches_numpy(device, rng, n):
    x_host = random_array(rng, n, np.float32)
    x = dc.asarray(x_host, device=device)
    out = dc.empty(n, "float32", device=device)
    stream = dc.Stream(device)
    scale_into[n](x, out, 2.5, stream=stream)
    stream.synchronize()
    np.testing.assert_allclose(out.numpy(), x_host * np.float32(2.5), rtol=1e-6)


def test_kernel_on_stream_2d(device, rng):
    a_host = random_array(rng, (37, 61), np.float64)
    b_host = random_array(rng, (37, 61), np.float64)
    a, b = dc.asarray(a_host, device=device), dc.asarray(b_host, device=device)
    out = dc.empty((37, 61), "float64", device=device)
    stream = dc.Stream(device)
    add_2d.launch((37, 61), a, b, out, stream=stream)
    stream.synchronize()
    np.testing.assert_array_equal(out.numpy(), a_host + b_host)


def test_stream_must_be_a_stream(device, rng):
    x = dc.asarray(random_array(rng, 16, np.float32), device=device)
    out = dc.empty(16, "float32", device=device)
    with pytest.raises(TypeError, match=r"stream= must be a dc\.Stream"):
        scale_into[16](x, out, 1.0, stream="s0")


def test_with_stream_makes_it_current(device, rng):
    stream = dc.Stream(device)
    other = dc.Stream(device)
    assert dc.current_stream(device).is_default
    with stream:
        assert dc.current_stream(device) == stream
        with other:
            assert dc.current_stream(device) == other
        assert dc.current_stream(device) == stream
        x_host = random_array(rng, 513, np.float32)
        x = dc.asarray(x_host, device=device)
        out = dc.empty(513, "float32", device=device)
        scale_into[513](x, out, -3.0)  # goes to the current stream
        stream.synchronize()
        np.testing.assert_allclose(out.numpy(), x_host * np.float32(-3.0), rtol=1e-6)
    assert dc.current_stream(device).is_default


def test_unbalanced_exit_is_an_error(device):
    stream = dc.Stream(device)
    with pytest.raises(dc.InvalidArgumentError, match="must nest"):
        stream.__exit__(None, None, None)


def test_current_stream_is_per_thread(device):
    import threading

    stream = dc.Stream(device)
    seen = []
    with stream:
        thread = threading.Thread(target=lambda: seen.append(dc.current_stream(device)))
        thread.start()
        thread.join()
    assert seen[0].is_default


# -- events -------------------------------------------------------------------------------------


def test_event_joins_two_streams(device, rng):
    n = 40_001
    x_host = random_array(rng, n, np.float32)
    x = dc.asarray(x_host, device=device)
    middle = dc.empty(n, "float32", device=device)
    out = dc.empty(n, "float32", device=device)
    first, second = dc.Stream(device), dc.Stream(device)
    scale_into[n](x, middle, 2.0, stream=first)
    ready = dc.Event(device).record(first)
    second.wait_event(ready)
    scale_into[n](middle, out, 0.5, stream=second)
    second.synchronize()
    np.testing.assert_allclose(out.numpy(), x_host, rtol=1e-6)


def test_event_query_synchronize_and_timing(device, rng):
    n = 100_003
    x = dc.asarray(random_array(rng, n, np.float32), device=device)
    out = dc.empty(n, "float32", device=device)
    stream = dc.Stream(device)
    start = stream.record_event()
    for _ in range(3):
        scale_into[n](x, out, 1.5, stream=stream)
    end = dc.Event(device)
    assert not end.recorded
    end.record(stream)
    assert end.recorded
    end.synchronize()
    assert _query_or_skip(end) is True
    elapsed = start.elapsed_ms(end)
    assert 0.0 <= elapsed < 60_000.0


def test_event_record_defaults_to_current_stream(device):
    stream = dc.Stream(device)
    with stream:
        event = dc.Event(device).record()
    event.synchronize()
    assert event.recorded


def test_unrecorded_event_is_an_error(device):
    event = dc.Event(device)
    with pytest.raises(dc.InvalidArgumentError, match="never recorded"):
        event.synchronize()
    with pytest.raises(dc.InvalidArgumentError, match="never recorded"):
        event.query()
    recorded = dc.Event(device).record()
    with pytest.raises(dc.InvalidArgumentError, match="never recorded"):
        recorded.elapsed_ms(event)


def test_streams_and_events_keep_the_plugin_loaded(device):
    backend = dc.get_device(device).backend
    stream, event = dc.Stream(device), dc.Event(device)
    with pytest.raises(dc.PluginError, match="stream") as raised:
        dc.plugins.unload(backend)
    assert "event" in str(raised.value)
    del stream, event


# -- graphs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_capture_then_replay(device, rng, n):
    x_host = random_array(rng, n, np.float32)
    x = dc.asarray(x_host, device=device)
    total = dc.zeros(n, "float32", device=device)
    _warm_up(accumulate, n, x, dc.zeros(n, "float32", device=device))
    stream = dc.Stream(device)
    assert not stream.is_capturing
    with dc.capture(stream) as graph:
        accumulate[n](x, total)
        assert stream.is_capturing and not dc.current_stream(device).is_default
        accumulate[n](x, total)
    assert graph.launch_count == 2
    assert not graph.is_capturing and not stream.is_capturing
    stream.synchronize()
    # Captured work does not run until replayed.
    np.testing.assert_array_equal(total.numpy(), np.zeros(n, np.float32))
    for _ in range(3):
        graph.replay(stream)
    stream.synchronize()
    np.testing.assert_allclose(total.numpy(), x_host * np.float32(6.0), rtol=1e-5)


def test_capture_without_a_stream_makes_one(device, rng):
    x_host = random_array(rng, 1000, np.float32)
    x = dc.asarray(x_host, device=device)
    out = dc.empty(1000, "float32", device=device)
    _warm_up(scale_into, 1000, x, out, 1.0)
    with dc.capture(device=device) as graph:
        scale_into[1000](x, out, 4.0)
    graph.replay()  # on the default stream
    dc.synchronize(device)
    np.testing.assert_allclose(out.numpy(), x_host * np.float32(4.0), rtol=1e-6)
    assert repr(graph).startswith("<dotcompute Graph of 1 launch")


def test_graph_keeps_its_arrays_alive(device, rng):
    x_host = random_array(rng, 777, np.float32)
    x = dc.asarray(x_host, device=device)
    out = dc.empty(777, "float32", device=device)
    _warm_up(scale_into, 777, x, out, 1.0)
    stream = dc.Stream(device)
    with dc.capture(stream) as graph:
        scale_into[777](x, out, 2.0)
    del x  # the graph keeps the input's memory
    graph.replay(stream)
    stream.synchronize()
    np.testing.assert_allclose(out.numpy(), x_host * np.float32(2.0), rtol=1e-6)


def test_replay_after_release_is_an_error(device, rng):
    x = dc.asarray(random_array(rng, 64, np.float32), device=device)
    out = dc.empty(64, "float32", device=device)
    _warm_up(scale_into, 64, x, out, 1.0)
    with dc.capture(device=device) as graph:
        scale_into[64](x, out, 2.0)
    out.release()
    with pytest.raises(dc.ReleasedArrayError, match="capture it again"):
        graph.replay()


def test_failed_capture_is_dropped(device, rng):
    x = dc.asarray(random_array(rng, 64, np.float32), device=device)
    out = dc.empty(64, "float32", device=device)
    stream = dc.Stream(device)
    _warm_up(scale_into, 64, x, out, 1.0)
    with pytest.raises(RuntimeError, match="inside"), dc.capture(stream) as graph:
        scale_into[64](x, out, 2.0)
        raise RuntimeError("inside the capture")
    with pytest.raises(dc.InvalidArgumentError, match="capture failed"):
        graph.replay()
    # The stream is free again: a new capture works.
    with dc.capture(stream) as again:
        scale_into[64](x, out, 2.0)
    again.replay(stream)
    stream.synchronize()
    np.testing.assert_allclose(out.numpy(), x.numpy() * np.float32(2.0), rtol=1e-6)


def test_capture_errors(device):
    stream = dc.Stream(device)
    with pytest.raises(dc.InvalidArgumentError, match="default stream cannot be captured"):
        dc.Graph.begin_capture(dc.current_stream(device))
    with dc.capture(stream) as graph:
        with pytest.raises(dc.InvalidArgumentError, match="already being captured"):
            dc.Graph.begin_capture(stream)
        with pytest.raises(dc.InvalidArgumentError, match="still capturing"):
            graph.replay()


def test_cpu_graphs_are_recorded_by_the_core():
    with dc.capture(device="cpu") as graph:
        pass
    assert graph.is_native is False
    graph.replay()  # an empty graph replays as nothing


@pytest.mark.cuda
def test_cuda_graphs_are_native(rng):
    if not any(d.backend == "cuda" for d in dc.devices()):
        pytest.skip("no CUDA device")
    n = 100_003
    x_host = random_array(rng, n, np.float32)
    x = dc.asarray(x_host, device="cuda:0")
    total = dc.zeros(n, "float32", device="cuda:0")
    _warm_up(accumulate, n, x, dc.zeros(n, "float32", device="cuda:0"))
    stream = dc.Stream("cuda:0")
    with dc.capture(stream) as graph:
        for _ in range(10):
            accumulate[n](x, total)
    assert graph.is_native
    assert graph.launch_count == 10
    graph.replay(stream)
    graph.replay(stream)
    stream.synchronize()
    np.testing.assert_allclose(total.numpy(), x_host * np.float32(20.0), rtol=1e-5)
