# tests/test_opencl_queues.py
# The OpenCL plugin's stream and event layer through its C ABI (the core's pipeline executor is
# what calls it; this drives it directly with ctypes against the real device).
"""Streams and events of the OpenCL plugin, called through ``backend_abi.h`` with ctypes.

Work queued on one stream is ordered after an event recorded on another with ``event_wait``
(how pipeline stages on different streams depend on each other); ``event_query``,
``event_synchronize`` and ``event_elapsed_ms`` report on recorded markers; errors come back as
status codes with a message from ``last_error``. The tables are declared here exactly as in the
header (the ABI layout test freezes them).
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import dotcompute as dc

PLUGIN = next((p for p in dc.plugins.list() if p.name == "opencl"), None)
pytestmark = [
    pytest.mark.opencl,
    pytest.mark.skipif(PLUGIN is None, reason="the opencl plugin is not loaded (no OpenCL device)"),
]

OK, INVALID_ARGUMENT = 0, 1
handle = ctypes.c_void_p
status = ctypes.c_int32
device = ctypes.c_int32


class BufferView(ctypes.Structure):
    _fields_ = [("buffer", handle), ("offset", ctypes.c_uint64)]


def _function(*arguments):
    return ctypes.CFUNCTYPE(status, *arguments)


class MemoryTable(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("allocate", _function(device, ctypes.c_uint64, ctypes.POINTER(handle))),
        ("release", _function(device, handle)),
        ("host_pointer", ctypes.CFUNCTYPE(handle, device, handle)),
        ("copy_from_host", _function(device, handle, BufferView, handle, ctypes.c_uint64)),
        ("copy_to_host", _function(device, handle, handle, BufferView, ctypes.c_uint64)),
        ("copy", _function(device, handle, BufferView, BufferView, ctypes.c_uint64)),
        ("fill", _function(device, handle, BufferView, handle, ctypes.c_uint32, ctypes.c_uint64)),
    ]


class StreamTable(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("create", _function(device, ctypes.POINTER(handle))),
        ("destroy", _function(device, handle)),
        ("synchronize", _function(device, handle)),
        ("event_create", _function(device, ctypes.POINTER(handle))),
        ("event_destroy", _function(device, handle)),
        ("event_record", _function(device, handle, handle)),
        ("event_wait", _function(device, handle, handle)),
        ("event_synchronize", _function(device, handle)),
        ("event_elapsed_ms", _function(device, handle, handle, ctypes.POINTER(ctypes.c_float))),
        ("event_query", _function(device, handle, ctypes.POINTER(ctypes.c_int32))),
    ]


class BackendTable(ctypes.Structure):
    _fields_ = [
        ("abi_major", ctypes.c_uint32),
        ("abi_minor", ctypes.c_uint32),
        ("struct_size", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("version", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
        ("probe", handle),
        ("initialize", ctypes.CFUNCTYPE(status)),
        ("shutdown", handle),
        ("last_error", ctypes.CFUNCTYPE(ctypes.c_char_p)),
        ("device", handle),
        ("memory", ctypes.POINTER(MemoryTable)),
        ("stream", ctypes.POINTER(StreamTable)),
    ]


class Plugin:
    """The loaded plugin's tables (the core already initialized it: initialize is a no-op)."""

    def __init__(self, path: str) -> None:
        library = ctypes.CDLL(path)
        library.dc_plugin_entry.restype = ctypes.POINTER(BackendTable)
        self.backend = library.dc_plugin_entry().contents
        assert self.backend.name == b"opencl"
        assert self.backend.initialize() == OK
        self.memory = self.backend.memory.contents
        self.stream = self.backend.stream.contents

    def check(self, code: int) -> None:
        assert code == OK, self.backend.last_error().decode()

    def new(self, factory) -> handle:
        made = handle()
        self.check(factory(0, ctypes.byref(made)))
        return made


@pytest.fixture(scope="module")
def plugin() -> Plugin:
    return Plugin(PLUGIN.path)


def test_event_orders_work_across_streams(plugin):
    memory, stream = plugin.memory, plugin.stream
    first, second = plugin.new(stream.create), plugin.new(stream.create)
    done = plugin.new(stream.event_create)
    count = 8 << 20  # 32 MiB of float32: the fill takes long enough to be still running
    source = plugin.new(lambda d, out: memory.allocate(d, 4 * count, out))
    target = plugin.new(lambda d, out: memory.allocate(d, 4 * count, out))
    pattern = ctypes.c_float(2.5)
    plugin.check(
        memory.fill(0, first, BufferView(source, 0), ctypes.addressof(pattern), 4, 4 * count)
    )
    plugin.check(stream.event_record(0, done, first))
    plugin.check(stream.event_wait(0, second, done))
    plugin.check(memory.copy(0, second, BufferView(target, 0), BufferView(source, 0), 4 * count))
    plugin.check(stream.synchronize(0, second))
    finished = ctypes.c_int32(-1)
    plugin.check(stream.event_query(0, done, ctypes.byref(finished)))
    assert finished.value == 1  # the copy waited for it
    result = np.empty(count, np.float32)
    plugin.check(
        memory.copy_to_host(0, second, result.ctypes.data, BufferView(target, 0), 4 * count)
    )
    np.testing.assert_array_equal(result, np.full(count, 2.5, np.float32))
    for buffer in (source, target):
        plugin.check(memory.release(0, buffer))
    plugin.check(stream.event_destroy(0, done))
    for queue in (first, second):
        plugin.check(stream.destroy(0, queue))


def test_elapsed_time_between_events_on_a_stream(plugin):
    memory, stream = plugin.memory, plugin.stream
    queue = plugin.new(stream.create)
    start, end = plugin.new(stream.event_create), plugin.new(stream.event_create)
    buffer = plugin.new(lambda d, out: memory.allocate(d, 16 << 20, out))
    zero = ctypes.c_uint32(0)
    plugin.check(stream.event_record(0, start, queue))
    plugin.check(memory.fill(0, queue, BufferView(buffer, 0), ctypes.addressof(zero), 4, 16 << 20))
    plugin.check(stream.event_record(0, end, queue))
    plugin.check(stream.event_synchronize(0, end))
    elapsed = ctypes.c_float(-1.0)
    plugin.check(stream.event_elapsed_ms(0, start, end, ctypes.byref(elapsed)))
    assert 0.0 <= elapsed.value < 10_000.0
    plugin.check(memory.release(0, buffer))
    for event in (start, end):
        plugin.check(stream.event_destroy(0, event))
    plugin.check(stream.destroy(0, queue))


def test_unrecorded_event_and_bad_handles(plugin):
    stream = plugin.stream
    event = plugin.new(stream.event_create)
    finished = ctypes.c_int32(-1)
    plugin.check(stream.event_query(0, event, ctypes.byref(finished)))
    assert finished.value == 1  # nothing recorded: nothing to wait for
    plugin.check(stream.event_wait(0, None, event))
    plugin.check(stream.event_synchronize(0, event))
    elapsed = ctypes.c_float()
    assert stream.event_elapsed_ms(0, event, event, ctypes.byref(elapsed)) == INVALID_ARGUMENT
    assert b"recorded" in plugin.backend.last_error()
    assert stream.destroy(0, None) == INVALID_ARGUMENT
    assert b"default" in plugin.backend.last_error()
    assert stream.synchronize(7, None) == INVALID_ARGUMENT
    assert b"got device 7" in plugin.backend.last_error()
    plugin.check(stream.event_destroy(0, event))
