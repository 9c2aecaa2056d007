# python/dotcompute/pipeline_stages.py
# Device stage kinds of a pipeline (kernel launch, built-in op, transfer) and the buffer pool.
"""Stage kinds that run on a device.

A stage's arguments name context entries by string (``"x"`` is ``ctx["x"]``: the initial context
or a finished stage's output); anything else is passed as it is. ``Output(...)`` is an array the
pipeline allocates for a kernel to write; the stage's output is that array (a tuple for several).
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from .errors import PipelineError


@dataclass(frozen=True)
class Output:
    """An array the pipeline allocates for a kernel stage to write.

    ``like`` names a context entry (or an earlier argument's context name) whose shape and dtype
    it copies; ``shape``/``dtype`` override. With neither, it copies the stage's first array
    argument.
    """

    like: str | None = None
    shape: Any = None
    dtype: Any = None


_MISSING = object()


def _resolve(value: Any, ctx: Mapping[str, Any], stage: str) -> Any:
    if isinstance(value, str):
        try:
            return ctx[value]
        except KeyError:
            raise PipelineError(
                f"stage '{stage}' names '{value}', which is neither in the initial context nor "
                "the output of one of its dependencies; add it to the context or add "
                f".depends_on('{value}')"
            ) from None
    return value


def _on_device(value: Any, device: str) -> Any:
    """value moved to device when it is an array elsewhere (the fallback path)."""
    if isinstance(value, _core.Array) and value._device_spec != device:
        return value.to(device)
    return value


class BufferPool:
    """Intermediate arrays returned by their last reader, reused by later allocations of the
    same (device, dtype, shape).

    Note [Reused buffers and streams]: an entry carries the streams its readers' work was
    queued on. A stage that takes it on one of those streams needs nothing: the stream runs in
    order. On any other stream it waits for an event recorded on each reader stream when it
    takes the buffer, which comes after that reader's work, so the new owner never writes over
    a buffer that a reader on another stream may still be reading. Recording only then keeps a
    chain on one stream free of events (each costs an event creation on CUDA)."""

    def __init__(self) -> None:
        self._free: dict[tuple, list[tuple[_core.Array, tuple]]] = {}
        self._lock = threading.Lock()
        self.allocated = 0
        self.reused = 0

    def take(self, shape: tuple, dtype: Any, device: str, stream: Any) -> _core.Array:
        if not isinstance(dtype, np.dtype):
            dtype = np.dtype(dtype)
        key = (device, dtype, tuple(shape))  # dtype objects: .name is slow
        with self._lock:
            entries = self._free.get(key)
            if not entries:
                self.allocated += 1
                entry = None
            else:
                self.reused += 1
                entry = entries.pop()
        if entry is None:
            return _core.empty(shape, dtype, device)
        array, reader_streams = entry
        if stream is not None:
            for reader_stream in reader_streams:
                if reader_stream is not stream:
                    stream.wait_event(reader_stream.record_event())
        return array

    def give(self, array: _core.Array, reader_streams: tuple) -> None:
        """array is free once the work queued on reader_streams has run."""
        key = (array._device_spec, array.dtype, array.shape)  # the types take() keys by
        with self._lock:
            self._free.setdefault(key, []).append((array, reader_streams))

    def clear(self) -> None:
        with self._lock:
            self._free.clear()


class RecordingAllocator:
    """Hands out the same arrays again in the same order: a dry pass before a graph capture
    allocates (record), the capture then takes them back (replay), so no device memory is
    allocated while the stream is captured (CUDA forbids it) and the graph owns its memory."""

    def __init__(self) -> None:
        self.arrays: list[_core.Array] = []
        self.replaying = False
        self._next = 0
        self.allocated = 0
        self.reused = 0

    def replay(self) -> None:
        self.replaying, self._next = True, 0

    def take(self, shape: tuple, dtype: Any, device: str, stream: Any) -> _core.Array:
        if not self.replaying:
            array = _core.empty(shape, dtype, device)
            self.arrays.append(array)
            return array
        array = self.arrays[self._next]
        self._next += 1
        if tuple(array.shape) != tuple(shape) or np.dtype(array.dtype) != np.dtype(dtype):
            raise PipelineError("a stage allocated differently during the graph capture")
        return array

    def give(self, array: _core.Array, reader_streams: tuple) -> None:
        """The graph keeps every array it was given."""


class DeviceStage(abc.ABC):
    """Base of stages that run on a device: resolves arguments, moves arrays to the device the
    executor picked (primary or fallback) and reports the bytes they touch."""

    device: str | None = None

    def arrays_of(self, values: list) -> int:
        """The bytes of the arrays among values."""
        total = 0
        for value in values:
            if isinstance(value, _core.Array):
                total += value.nbytes
        return total

    def references(self) -> list[str]:
        """Context names the stage reads."""
        return [a for a in self.args if isinstance(a, str)]

    @abc.abstractmethod
    def run(self, call: Any, ctx: Mapping[str, Any], pool: BufferPool | None) -> Any:
        """Runs the stage for the executor's `call` and returns its output."""


class KernelStage(DeviceStage):
    """Launches ``kernel`` over ``size`` with ``args``: ``KernelStage(scale, "x", 2.0,
    Output())``. ``size`` defaults to the shape of the first output (or first array)."""

    def __init__(
        self,
        kernel: Any,
        *args: Any,
        size: Any = None,
        local_size: Any = None,
        device: str | None = None,
    ) -> None:
        if not hasattr(kernel, "launch") or not hasattr(kernel, "specialize"):
            raise PipelineError(f"KernelStage needs a @dc.kernel, got {type(kernel).__name__}")
        self.kernel = kernel
        self.args = args
        self.size = size
        self.local_size = local_size
        self.device = device
        self.outputs = [i for i, a in enumerate(args) if isinstance(a, Output)]
        self._references = [(i, a) for i, a in enumerate(args) if isinstance(a, str)]

    def bind(
        self, ctx: Mapping[str, Any], device: str, stream: Any, pool: BufferPool | None, stage: str
    ) -> tuple[list, list]:
        """Argument values on device, and the output arrays (allocated or taken from pool)."""
        # This runs for every kernel stage of every run, where a Python frame or generator
        # costs about as much as the launch: plain loops, helpers only off the common path.
        values = list(self.args)  # constants and Output() as they are; references resolved:
        for index, name in self._references:
            value = ctx.get(name, _MISSING)
            if value is _MISSING:
                value = _resolve(name, ctx, stage)  # raises the error naming the fix
            if isinstance(value, _core.Array) and value._device_spec != device:
                value = value.to(device)
            values[index] = value
        outputs = []
        if not self.outputs:
            return values, outputs
        first_array = None
        for value in values:
            if isinstance(value, _core.Array):
                first_array = value
                break
        for index in self.outputs:
            spec: Output = self.args[index]
            like = _resolve(spec.like, ctx, stage) if spec.like is not None else first_array
            if like is None and (spec.shape is None or spec.dtype is None):
                raise PipelineError(
                    f"stage '{stage}': Output() needs like=, or shape= and dtype=, when the "
                    "kernel has no array input"
                )
            if spec.shape is None:
                shape = like.shape
            else:
                shape = (spec.shape,) if isinstance(spec.shape, int) else tuple(spec.shape)
            dtype = spec.dtype if spec.dtype is not None else like.dtype
            array = (
                pool.take(shape, dtype, device, stream)
                if pool is not None
                else _core.empty(shape, dtype, device)
            )
            values[index] = array
            outputs.append(array)
        return values, outputs

    def launch_size(self, values: list, outputs: list, ctx: Mapping[str, Any], stage: str) -> Any:
        if self.size is not None:
            size = _resolve(self.size, ctx, stage)
            return tuple(size) if isinstance(size, list) else size
        if outputs:
            return outputs[0].shape
        for value in values:
            if isinstance(value, _core.Array):
                return value.shape
        raise PipelineError(f"stage '{stage}' has no array to take its size from; pass size=")

    def run(self, call: Any, ctx: Mapping[str, Any], pool: BufferPool | None) -> Any:
        # Each attribute of the executor's StageContext is a C++ call: read them once.
        output, call.bytes_moved = self.launch_in(
            ctx, call.device, call.stream, pool, call.stage, dry=call.dry
        )
        return output

    def launch_in(
        self,
        ctx: Mapping[str, Any],
        device: str,
        stream: Any,
        pool: BufferPool | None,
        stage: str,
        dry: bool = False,
    ) -> tuple[Any, int]:
        """Binds and launches on device and stream: (the stage's output, the bytes of its
        arrays). ``dry`` (before a graph capture) builds the plan and launches nothing."""
        values, outputs = self.bind(ctx, device, stream, pool, stage)
        size = self.launch_size(values, outputs, ctx, stage)
        if dry:
            self.kernel._plan_for(values, None)
        else:
            self.kernel.launch(size, *values, local_size=self.local_size, stream=stream)
        moved = self.arrays_of(values)
        if not outputs:
            return None, moved
        return (outputs[0] if len(outputs) == 1 else tuple(outputs)), moved


class OpStage(DeviceStage):
    """Calls a built-in (``dc.add``, ``dc.sum``, ...) with resolved arguments:
    ``OpStage(dc.add, "a", "b")``. Built-ins run on the device's default stream."""

    def __init__(self, op: Callable[..., Any], *args: Any, device: str | None = None, **kwargs):
        self.op = op
        self.args = args
        self.kwargs = kwargs
        self.device = device

    def run(self, call: Any, ctx: Mapping[str, Any], pool: BufferPool | None) -> Any:
        values = [_on_device(_resolve(a, ctx, call.stage), call.device) for a in self.args]
        call.bytes_moved = self.arrays_of(values)
        # Built-ins run on the default stream: join the stage's stream before, and finish on
        # the default stream after, so the stage's events cover the op.
        if call.stream is not None:
            call.stream.synchronize()
        value = self.op(*values, **self.kwargs)
        _core.current_stream(call.device).synchronize()
        return value


class TransferStage(DeviceStage):
    """Copies a context array to ``device``: ``TransferStage("x", "cuda:0")``."""

    def __init__(self, source: str, device: str) -> None:
        self.args = (source,)
        self.device = device

    def run(self, call: Any, ctx: Mapping[str, Any], pool: BufferPool | None) -> Any:
        value = _resolve(self.args[0], ctx, call.stage)
        if not isinstance(value, _core.Array):
            raise PipelineError(
                f"stage '{call.stage}' transfers '{self.args[0]}', which is a "
                f"{type(value).__name__}, not a dc.Array"
            )
        call.bytes_moved = value.nbytes
        moved = value.to(call.device)
        _core.current_stream(call.device).synchronize()  # transfers use the default stream
        return moved


@dataclass
class StageOptions:
    """Per-stage settings collected by the builder."""

    name: str
    stage: Any
    dependencies: list[str] = field(default_factory=list)
    parallel: bool = True
    retries: int = 0
    backoff: float = 0.0
    timeout: float | None = None
    device: str | None = None
    fallback_device: str | None = None
    keep: bool = False
