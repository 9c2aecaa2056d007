# python/dotcompute/pipeline.py
# The fluent pipeline builder over the C++ executor (DESIGN §5 and §7), results and metrics.
"""Pipelines: named stages with dependencies, run by the C++ executor.

>>> import dotcompute as dc
>>> pipe = (dc.PipelineBuilder()
...         .add_stage("load", lambda ctx: ctx["n"] * 2)
...         .add_stage("square", lambda ctx: ctx["load"] ** 2).depends_on("load")
...         .build())
>>> pipe.run({"n": 3}).outputs["square"]
36

A stage is a callable ``fn(ctx) -> value`` (``ctx`` maps the initial context and every finished
stage's name to its output), a ``KernelStage``, an ``OpStage`` or a ``TransferStage``
(``dotcompute.pipeline_stages``). Independent stages run concurrently: callables on the
executor's threads (the GIL is released between stages), device stages on streams of their own
joined by events. See docs/pipelines.md.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import threading
import types
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from . import _core
from .errors import PipelineError
from .pipeline_fusion import (
    FusionRefusedError,
    TypedPlaceholder,
    argument_types,
    fuse_chain,
    plan_for,
)
from .pipeline_stages import (
    BufferPool,
    DeviceStage,
    KernelStage,
    OpStage,
    Output,
    RecordingAllocator,
    StageOptions,
    TransferStage,
    _on_device,
    _resolve,
)

CancelToken = _core.CancelToken

__all__ = [
    "CancelToken",
    "ErrorStrategy",
    "KernelStage",
    "OpStage",
    "Output",
    "Pipeline",
    "PipelineBuilder",
    "PipelineMetrics",
    "PipelineResult",
    "StageMetrics",
    "TransferStage",
]


class ErrorStrategy(enum.Enum):
    """What a stage failure does to the rest of the run."""

    #: Stages not started yet are cancelled and ``run`` raises ``dc.PipelineError``.
    STOP_ON_ERROR = "stop_on_error"
    #: Dependents of the failed stage are skipped (and reported); the rest runs.
    CONTINUE_ON_ERROR = "continue_on_error"


# -- results --------------------------------------------------------------------------------------


@dataclass
class StageMetrics:
    """One stage of a run. ``seconds`` is wall time (all attempts); ``device_ms`` the device
    time between the stage's events (device stages), else None."""

    name: str
    status: str
    seconds: float | None
    device: str
    device_ms: float | None
    retries: int
    fallback_used: bool
    bytes_moved: int
    start: float | None
    on_critical_path: bool
    message: str


class PipelineMetrics:
    """Run-wide metrics. ``stages`` maps each stage to its StageMetrics; ``critical_path`` is
    the longest chain of dependent stages by wall time and ``bottleneck`` its longest stage.
    ``str(metrics)`` is a readable report, ``to_dict()`` the same as plain data. Built from the
    executor's records on first access, so a run that nobody inspects pays nothing for it."""

    def __init__(self, raw: Any, pipeline: Pipeline) -> None:
        self._raw = raw
        self._stages: dict[str, StageMetrics] | None = None
        self.wall_seconds: float = raw.wall_seconds
        self.critical_path: list[str] = list(raw.critical_path)
        self.critical_path_seconds: float = raw.critical_path_seconds
        self.bottleneck: str | None = raw.bottleneck or None
        pool = pipeline._pool
        self.buffers_allocated = pool.allocated if pool is not None else 0
        self.buffers_reused = pool.reused if pool is not None else 0
        self._pipeline = pipeline
        self.graph_replayed: bool = pipeline._graphs

    @property
    def fused(self) -> list[list[str]]:
        """The chains that ran as one kernel."""
        pipeline = self._pipeline
        return [
            list(f.names)
            for f in pipeline._fused.values()
            if pipeline.fusion_report.get("+".join(f.names)) == "fused"
        ]

    @property
    def stages(self) -> dict[str, StageMetrics]:
        if self._stages is None:
            self._stages = {r.name: _stage_metrics(r) for r in self._raw.stages}
        return self._stages

    def __str__(self) -> str:
        text = self._raw.report()
        for group in self.fused:
            text += "fused into one kernel: " + " -> ".join(group) + "\n"
        if self.buffers_allocated or self.buffers_reused:
            text += (
                f"intermediate buffers (all runs): {self.buffers_allocated} allocated, "
                f"{self.buffers_reused} reused\n"
            )
        if self.graph_replayed:
            text += "device work replayed as one captured graph\n"
        return text

    def to_dict(self) -> dict:
        return {
            "stages": {name: asdict(m) for name, m in self.stages.items()},
            "wall_seconds": self.wall_seconds,
            "critical_path": self.critical_path,
            "critical_path_seconds": self.critical_path_seconds,
            "bottleneck": self.bottleneck,
            "buffers_allocated": self.buffers_allocated,
            "buffers_reused": self.buffers_reused,
            "fused": self.fused,
            "graph_replayed": self.graph_replayed,
        }


def _stage_metrics(record: Any) -> StageMetrics:
    ran = record.start_seconds >= 0
    return StageMetrics(
        name=record.name,
        status=record.status,
        seconds=record.wall_seconds if ran else None,
        device=record.device,
        device_ms=record.device_ms if record.device_ms >= 0 else None,
        retries=record.retries,
        fallback_used=record.fallback_used,
        bytes_moved=record.bytes_moved,
        start=record.start_seconds if ran else None,
        on_critical_path=record.on_critical_path,
        message=record.message,
    )


class PipelineResult:
    """What a run produced: ``outputs`` (stage name -> output), ``errors`` (stage name -> the
    exception of a failed stage), ``metrics``."""

    def __init__(self, outputs: dict, errors: dict, metrics: PipelineMetrics, raw: Any, name: str):
        self.outputs = outputs
        self.errors = errors
        self.metrics = metrics
        self._raw = raw
        self._name = name

    @property
    def statuses(self) -> dict[str, str]:
        return {name: m.status for name, m in self.metrics.stages.items()}

    @property
    def succeeded(self) -> bool:
        return self._raw.succeeded

    def save_trace(self, path: str) -> None:
        """Writes the run as Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev)."""
        text = self._raw.trace_json(self._name)
        json.loads(text)  # never write a file a viewer cannot open
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)

    def __repr__(self) -> str:
        return f"<PipelineResult {self.statuses}>"


# -- the builder ----------------------------------------------------------------------------------


class PipelineBuilder:
    """Fluent construction: ``add_stage`` then modifiers that apply to the last stage added
    (``depends_on``, ``parallel``, ``with_retry``, ``with_timeout``, ``with_fallback``), then
    pipeline-wide settings and ``build()``."""

    def __init__(self, name: str = "pipeline") -> None:
        self._name = name
        self._stages: list[StageOptions] = []
        self._strategy = ErrorStrategy.STOP_ON_ERROR
        self._fuse = False
        self._reuse_buffers = False
        self._graphs = False

    def add_stage(
        self,
        name: str,
        stage: Any,
        *,
        device: str | None = None,
        fallback_device: str | None = None,
        retries: int = 0,
        backoff: float = 0.0,
        timeout: float | None = None,
        keep: bool = False,
    ) -> PipelineBuilder:
        if not isinstance(name, str) or not name:
            raise PipelineError(f"a stage name must be a non-empty string, got {name!r}")
        if not (callable(stage) or isinstance(stage, DeviceStage)):
            raise PipelineError(
                f"stage '{name}' must be a callable fn(ctx), a KernelStage, an OpStage or a "
                f"TransferStage, got {type(stage).__name__}"
            )
        self._stages.append(
            StageOptions(
                name,
                stage,
                retries=retries,
                backoff=backoff,
                timeout=timeout,
                device=device,
                fallback_device=fallback_device,
                keep=keep,
            )
        )
        return self

    def _last(self, what: str) -> StageOptions:
        if not self._stages:
            raise PipelineError(f"{what}() applies to the last stage added; add a stage first")
        return self._stages[-1]

    def depends_on(self, *names: str) -> PipelineBuilder:
        stage = self._last("depends_on")
        for name in names:
            if not isinstance(name, str):
                raise PipelineError(f"depends_on takes stage names, got {name!r}")
            stage.dependencies.append(name)
        return self

    def parallel(self, enabled: bool = True) -> PipelineBuilder:
        """Whether the last stage may overlap other stages (the default). ``parallel(False)``
        runs it alone: no other stage of the run runs at the same time."""
        self._last("parallel").parallel = bool(enabled)
        return self

    def with_retry(self, retries: int, backoff: float = 0.0) -> PipelineBuilder:
        """Retries the last stage up to ``retries`` times, waiting ``backoff * 2**k`` seconds
        before retry k + 1."""
        stage = self._last("with_retry")
        stage.retries, stage.backoff = retries, backoff
        return self

    def with_timeout(self, seconds: float) -> PipelineBuilder:
        self._last("with_timeout").timeout = seconds
        return self

    def with_fallback(self, device: str) -> PipelineBuilder:
        """Runs the last stage on ``device`` when it fails on its own (after its retries)."""
        self._last("with_fallback").fallback_device = device
        return self

    def with_error_handling(self, strategy: ErrorStrategy) -> PipelineBuilder:
        if not isinstance(strategy, ErrorStrategy):
            raise PipelineError(f"with_error_handling takes a dc.ErrorStrategy, got {strategy!r}")
        self._strategy = strategy
        return self

    def with_optimization(
        self, *, fuse: bool = False, reuse_buffers: bool = False, graphs: bool = False
    ) -> PipelineBuilder:
        """fuse: chains of elementwise kernel stages become one kernel; reuse_buffers:
        intermediates go back to a pool after their last reader; graphs: a pipeline made only
        of kernel stages on one device is captured once (a CUDA graph) and replayed."""
        self._fuse, self._reuse_buffers, self._graphs = fuse, reuse_buffers, graphs
        return self

    def build(self) -> Pipeline:
        return Pipeline(
            self._name,
            [_copy_options(s) for s in self._stages],
            self._strategy,
            fuse=self._fuse,
            reuse_buffers=self._reuse_buffers,
            graphs=self._graphs,
        )


def _copy_options(stage: StageOptions) -> StageOptions:
    """A copy the built pipeline owns: later builder calls do not change it."""
    return StageOptions(**{**stage.__dict__, "dependencies": list(stage.dependencies)})


# -- the pipeline ---------------------------------------------------------------------------------


class _StageGate:
    """Readers-writer gate for ``parallel(False)`` stages: those hold it alone."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False

    def enter(self, exclusive: bool) -> None:
        with self._condition:
            if exclusive:
                self._condition.wait_for(lambda: not self._exclusive and self._shared == 0)
                self._exclusive = True
            else:
                self._condition.wait_for(lambda: not self._exclusive)
                self._shared += 1

    def leave(self, exclusive: bool) -> None:
        with self._condition:
            if exclusive:
                self._exclusive = False
            else:
                self._shared -= 1
            self._condition.notify_all()


class _RunState:
    """One run's context (initial entries + outputs) as seen by stage bodies."""

    def __init__(
        self, owner: Any, context: Mapping[str, Any] | None, readers: dict[str, int]
    ) -> None:
        self.owner = owner
        self.values: dict[str, Any] = dict(context or {})
        self.view = types.MappingProxyType(self.values)
        self.readers_left = dict(readers)
        self.reader_streams: dict[str, tuple] = {}  # streams each output's readers used
        self.lock = threading.Lock()
        self.released: set[str] = set()


@dataclass
class _FusedStage:
    """A chain of kernel stages run as one kernel (Note [Pipeline fusion])."""

    names: list[str]
    stages: list[KernelStage]
    device: str | None
    cache: dict = field(default_factory=dict)  # input types -> (FusedKernel | reason, dtypes)
    external: list[str] = field(default_factory=list)  # context names read from outside

    def __post_init__(self) -> None:
        for stage in self.stages:
            for arg in stage.args:
                if isinstance(arg, str) and arg not in self.names and arg not in self.external:
                    self.external.append(arg)


@dataclass
class _CaptureCall:
    """Stands in for the executor's StageContext while a graph is captured."""

    stage: str
    device: str
    stream: Any
    attempt: int = 0
    fallback: bool = False
    cancelled: bool = False
    bytes_moved: int = 0
    dry: bool = False  # build and allocate, launch nothing


class Pipeline:
    """A built pipeline; ``run(ctx)`` or ``await run_async(ctx)``."""

    def __init__(
        self,
        name: str,
        stages: list[StageOptions],
        strategy: ErrorStrategy,
        *,
        fuse: bool,
        reuse_buffers: bool,
        graphs: bool,
    ) -> None:
        self.name = name
        self.strategy = strategy
        # Validation first, on the stages as declared: names, unknown dependencies, cycles.
        _core.Pipeline([self._spec(s, lambda call, state: None) for s in stages], strategy.value)
        self._fused: dict[str, _FusedStage] = {}
        self.fusion_report: dict[str, str] = {}
        units = self._fuse_chains(stages) if fuse else [(s, None) for s in stages]
        self._units = units
        self._output_names = [fused.names[-1] if fused else o.name for o, fused in units]
        self._unit_options = {o.name: o for o, _ in units}
        self._pool = BufferPool() if reuse_buffers else None
        self._gate = _StageGate() if any(not o.parallel for o, _ in units) else None
        dependents: dict[str, int] = {}
        for options, _ in units:
            for dependency in options.dependencies:
                dependents[dependency] = dependents.get(dependency, 0) + 1
        self._readers = dependents
        self._sinks = {o.name for o, _ in units if o.name not in dependents}
        # Per unit: (name, output key, whether it is a run's output, whether the pool made it).
        self._unit_outputs = [
            (
                o.name,
                self._output_name(o.name),
                o.name in self._sinks or o.keep,
                self._pool_owned(o.name),
            )
            for o, _ in units
        ]
        self._executor = _core.Pipeline(
            [self._spec(o, self._body(o, fused)) for o, fused in units], strategy.value
        )
        self._graphs = graphs and self._graph_eligible()
        self._graph = None
        self._graph_key = None
        self._graph_outputs: dict[str, Any] = {}
        self._graph_stream = None
        self._graph_executor = None
        self._graph_lock = threading.Lock()
        if self._graphs:
            device = self._device_of(units[0][0])
            self._graph_executor = _core.Pipeline(
                [
                    {
                        "name": f"graph ({len(units)} stages)",
                        "dependencies": [],
                        "body": _graph_body,
                        "device": device,
                        "fallback_device": "",
                        "retries": 0,
                        "backoff": 0.0,
                        "timeout": 0.0,
                    }
                ],
                strategy.value,
            )

    # -- construction helpers -------------------------------------------------------------------

    @staticmethod
    def _device_of(options: StageOptions) -> str:
        stage = options.stage
        device = options.device or (stage.device if isinstance(stage, DeviceStage) else None)
        if device is None and isinstance(stage, DeviceStage | _FusedStage):
            device = _core.default_device().spec
        return device or ""

    def _spec(self, options: StageOptions, body: Callable) -> dict:
        timeout = options.timeout or 0.0
        if timeout < 0 or options.retries < 0 or options.backoff < 0:
            raise PipelineError(
                f"stage '{options.name}': retries, backoff and timeout must not be negative"
            )
        return {
            "name": options.name,
            "dependencies": list(options.dependencies),
            "body": body,
            "device": self._device_of(options),
            "fallback_device": options.fallback_device or "",
            "retries": int(options.retries),
            "backoff": float(options.backoff),
            "timeout": float(timeout),
            "context": getattr(body, "needs_context", True),
        }

    def _fuse_chains(self, stages: list[StageOptions]) -> list[tuple[StageOptions, Any]]:
        by_name = {s.name: s for s in stages}
        dependents: dict[str, list[str]] = {s.name: [] for s in stages}
        for s in stages:
            for d in s.dependencies:
                dependents[d].append(s.name)

        def plain_kernel(s: StageOptions) -> bool:
            return (
                isinstance(s.stage, KernelStage)
                and s.retries == 0
                and not s.timeout
                and not s.fallback_device
                and s.parallel
            )

        def joins(producer: StageOptions, consumer: StageOptions) -> bool:
            return (
                plain_kernel(producer)
                and plain_kernel(consumer)
                and not producer.keep
                and len(producer.stage.outputs) == 1
                and dependents[producer.name] == [consumer.name]
                and producer.name in consumer.stage.args
                and self._device_of(producer) == self._device_of(consumer)
            )

        chain_of: dict[str, list[str]] = {}
        for s in stages:
            previous = [by_name[d] for d in s.dependencies if joins(by_name[d], s)]
            if previous:
                chain = chain_of[previous[0].name]
                chain.append(s.name)
                chain_of[s.name] = chain
            else:
                chain_of[s.name] = [s.name]
        units: list[tuple[StageOptions, Any]] = []
        emitted: set[int] = set()
        renamed: dict[str, str] = {}
        for s in stages:
            chain = chain_of[s.name]
            if len(chain) == 1:
                units.append((s, None))
                continue
            if id(chain) in emitted:
                continue
            emitted.add(id(chain))
            members = [by_name[n] for n in chain]
            fused_name = "+".join(chain)
            for n in chain:
                renamed[n] = fused_name
            first, last = members[0], members[-1]
            device = self._device_of(first)
            fused = _FusedStage(chain, [m.stage for m in members], device)
            options = StageOptions(
                fused_name,
                fused,
                dependencies=list(first.dependencies),
                device=device,
                keep=last.keep,
            )
            self._fused[fused_name] = fused
            units.append((options, fused))
        # Dependencies on the last stage of a chain now name the fused stage.
        for options, _ in units:
            options.dependencies = [renamed.get(d, d) for d in options.dependencies]
        return units

    def _graph_eligible(self) -> bool:
        devices = {self._device_of(o) for o, _ in self._units}
        return len(devices) == 1 and all(
            isinstance(o.stage, KernelStage | _FusedStage)
            and not o.fallback_device
            and o.retries == 0
            for o, _ in self._units
        )

    # -- stage bodies ---------------------------------------------------------------------------

    def _body(self, options: StageOptions, fused: _FusedStage | None) -> Callable:
        """The executor's body for a stage: fn(call, state) stores the stage's output.

        Bodies reach the pipeline through ``state.owner``, never through a closure over
        ``self``: the C++ executor holds them, and a reference from there back to this object
        would be a cycle Python's collector cannot see."""
        stage = options.stage
        exclusive = not options.parallel
        output_name = fused.names[-1] if fused is not None else options.name
        releasable = self._releasable(options)

        if fused is not None:
            if self._gate is None and not options.fallback_device:
                return self._fused_body(options, fused, releasable)

            def work(call, state):
                return state.owner._run_fused(fused, call, state)

        elif isinstance(stage, KernelStage) and self._gate is None and not options.fallback_device:
            return self._kernel_body(options, stage, releasable)

        elif isinstance(stage, DeviceStage):
            pooled = isinstance(stage, KernelStage)

            def work(call, state):
                return stage.run(call, state.view, state.owner._pool if pooled else None)

        elif _accepts_device(stage):

            def work(call, state):
                return _settle(stage(state.view, device=call.device))

        else:
            if self._pool is None and not exclusive and self._gate is None:
                # The common host stage: one Python frame per stage (executor overhead).
                def host_body(call, state):  # call is None: see _spec
                    value = stage(state.view)
                    if isinstance(value, _SETTLE_TYPES):
                        _settle(value)
                    state.values[output_name] = value

                host_body.needs_context = False
                return host_body

            def work(call, state):
                return _settle(stage(state.view))

        def body(call, state):
            owner = state.owner
            if owner._gate is not None:
                owner._gate.enter(exclusive)
                try:
                    state.values[output_name] = work(call, state)
                finally:
                    owner._gate.leave(exclusive)
            else:
                state.values[output_name] = work(call, state)
            if releasable and owner._pool is not None:
                owner._finished(releasable, call.stream if call is not None else None, state)

        return body

    def _kernel_body(self, options: StageOptions, stage: KernelStage, releasable: tuple):
        """The body of a kernel stage without a fallback device, the common stage
        (_stream_body)."""
        name = options.name
        device = self._device_of(options)

        def launch(state, stream):
            return stage.launch_in(state.view, device, stream, state.owner._pool, name)

        return self._stream_body(releasable, name, launch)

    def _fused_body(self, options: StageOptions, fused: _FusedStage, releasable: tuple):
        """The body of a fused chain without a fallback device (_stream_body)."""
        name = options.name
        device = self._device_of(options)

        def launch(state, stream):
            return state.owner._launch_fused(fused, state, device, stream, name)

        return self._stream_body(releasable, fused.names[-1], launch)

    @staticmethod
    def _stream_body(releasable: tuple, output_name: str, launch: Callable) -> Callable:
        """A device stage's body that takes the stage's stream instead of the StageContext,
        whose every attribute is a C++ call (see _spec), and returns the bytes it moved;
        launch(state, stream) gives (output, bytes moved)."""

        def stream_body(stream, state):
            output, moved = launch(state, stream)
            state.values[output_name] = output
            owner = state.owner
            if releasable and owner._pool is not None:
                owner._finished(releasable, stream, state)
            return moved

        stream_body.needs_context = "stream"
        return stream_body

    def _releasable(self, options: StageOptions) -> tuple:
        """(dependency, its output key, whether the pool made it, whether this stage is its
        only reader) for each dependency whose output a run may release after its last
        reader: not a sink, not kept."""
        return tuple(
            (
                dependency,
                self._output_name(dependency),
                self._pool_owned(dependency),
                self._readers.get(dependency) == 1,
            )
            for dependency in options.dependencies
            if dependency not in self._sinks and not self._unit_options[dependency].keep
        )

    def _finished(self, releasable: tuple, stream: Any, state: _RunState) -> None:
        """Buffer reuse: dependencies whose last reader this was give their arrays back, with
        the streams every reader queued work on (the reader that finished used stream: Note
        [Reused buffers and streams]). An only reader (a chain) needs no count and no lock."""
        give = []
        shared = []
        for entry in releasable:
            if entry[3]:
                give.append((entry, () if stream is None else (stream,)))
            else:
                shared.append(entry)
        if shared:
            with state.lock:
                for entry in shared:
                    dependency = entry[0]
                    streams = state.reader_streams.get(dependency, ())
                    if stream is not None and stream not in streams:
                        streams = state.reader_streams[dependency] = (*streams, stream)
                    state.readers_left[dependency] -= 1
                    if state.readers_left[dependency] == 0:
                        give.append((entry, streams))
        for (dependency, key, pool_owned, _), streams in give:
            state.released.add(dependency)
            value = state.values.pop(key, None)
            if not pool_owned:
                continue
            for array in value if isinstance(value, tuple) else (value,):
                if isinstance(array, _core.Array):
                    self._pool.give(array, streams)

    def _output_name(self, unit_name: str) -> str:
        fused = self._fused.get(unit_name)
        return fused.names[-1] if fused is not None else unit_name

    def _pool_owned(self, unit_name: str) -> bool:
        if unit_name in self._fused:
            return True
        options = self._unit_options.get(unit_name)
        return options is not None and isinstance(options.stage, KernelStage)

    def _run_fused(self, fused: _FusedStage, call: Any, state: _RunState) -> Any:
        """_launch_fused with a StageContext or a graph capture's call."""
        output, call.bytes_moved = self._launch_fused(
            fused, state, call.device, call.stream, call.stage, call.dry
        )
        return output

    def _launch_fused(
        self,
        fused: _FusedStage,
        state: _RunState,
        device: str,
        stream: Any,
        name: str,
        dry: bool = False,
    ) -> tuple[Any, int]:
        """(the chain's output, bytes moved): its fused kernel launched on stream, or its
        stages one by one where fusion was refused."""
        ctx = state.view
        # The fused kernel depends only on the types of the chain's outside inputs.
        key = (device, *(_type_key(ctx.get(external)) for external in fused.external))
        found = fused.cache.get(key)
        if found is None:
            found = self._specialize_fused(fused, ctx, device)
            fused.cache[key] = found
        entry, output_dtypes = found
        if isinstance(entry, str):
            return self._run_chain_unfused(fused, state, device, stream, dry)
        plan = plan_for(entry, device)
        arrays = []
        outputs = []
        for kind, value in entry.arguments:
            if kind == "ref":
                arrays.append(_on_device(_resolve(value, ctx, name), device))
            elif kind == "value":
                arrays.append(value)
            else:
                arrays.append(None)
                outputs.append(len(arrays) - 1)
        # Elementwise: every array of the chain has the launch's shape (fuse_chain refuses
        # stages with their own size or output shape).
        shape = tuple(next(a for a in arrays if isinstance(a, _core.Array)).shape)
        for slot, dtype in zip(outputs, output_dtypes, strict=True):
            arrays[slot] = (
                self._pool.take(shape, dtype, device, stream)
                if self._pool is not None
                else _core.empty(shape, dtype, device)
            )
        if not dry:
            plan.launch(shape, tuple(arrays), None, stream)
        moved = sum(a.nbytes for a in arrays if isinstance(a, _core.Array))
        produced = [arrays[slot] for slot in outputs]
        return (produced[0] if len(produced) == 1 else tuple(produced)), moved

    def _specialize_fused(self, fused: _FusedStage, ctx: Mapping[str, Any], device: str) -> tuple:
        """(FusedKernel, output dtypes) for these input types, or (reason, None)."""
        known: dict[str, Any] = {}
        types_per_stage = []
        label = "+".join(fused.names)
        try:
            for k, stage in enumerate(fused.stages):
                types = argument_types(stage, _Overlay(ctx, known), fused.names[k], device)
                types_per_stage.append(types)
                outputs = [
                    t for t, a in zip(types, stage.args, strict=True) if isinstance(a, Output)
                ]
                known[fused.names[k]] = TypedPlaceholder(outputs[0]) if outputs else None
            entry = fuse_chain(fused.names, fused.stages, types_per_stage)
        except FusionRefusedError as reason:
            self.fusion_report[label] = str(reason)
            return str(reason), None
        self.fusion_report[label] = "fused"
        last = fused.stages[-1]
        dtypes = [types_per_stage[-1][position].dtype.name for position in last.outputs]
        return entry, dtypes

    def _run_chain_unfused(
        self, fused: _FusedStage, state: _RunState, device: str, stream: Any, dry: bool
    ) -> tuple[Any, int]:
        local: dict[str, Any] = {}
        overlay = _Overlay(state.view, local)
        value = None
        moved = 0
        for name, stage in zip(fused.names, fused.stages, strict=True):
            value, stage_moved = stage.launch_in(overlay, device, stream, self._pool, name, dry)
            moved += stage_moved
            previous = local.get(name)
            local[name] = value
            del previous
        return value, moved

    # -- graphs ---------------------------------------------------------------------------------

    def _graph_inputs(self, ctx: Mapping[str, Any]) -> tuple:
        """What a captured graph depends on: identity of context arrays, value of scalars."""
        key = []
        for options, _ in self._units:
            stage = options.stage
            members = stage.stages if isinstance(stage, _FusedStage) else [stage]
            for member in members:
                for arg in member.args:
                    if isinstance(arg, str) and arg in ctx:
                        value = ctx[arg]
                        key.append((arg, id(value) if isinstance(value, _core.Array) else value))
        return tuple(key)

    def _replay_graph(self, call: Any, state: _RunState) -> None:
        # One graph and one set of outputs: runs from several threads take turns.
        with self._graph_lock:
            key = self._graph_inputs(state.view)
            if self._graph is None or key != self._graph_key:
                self._capture(call.device, state)
                self._graph_key = key
            state.values.update(self._graph_outputs)
            self._graph.replay(call.stream)

    def _capture(self, device: str, state: _RunState) -> None:
        """Captures every stage into one graph (Note [Graphs] in stream.hpp). A dry pass first
        compiles the kernels and allocates the outputs, because neither may happen while a
        CUDA stream is captured; the capture then reuses the same arrays in the same order."""
        from .streams import capture

        if self._graph_stream is None:
            self._graph_stream = _core.Stream(device)
        allocator = RecordingAllocator()
        saved_pool, self._pool = self._pool, allocator
        try:
            values = self._run_units(device, state, dry=True)
            allocator.replay()
            with capture(self._graph_stream) as graph:
                values = self._run_units(device, state, dry=False)
        finally:
            self._pool = saved_pool
        self._graph = graph
        self._graph_outputs = {
            self._output_name(o.name): values[self._output_name(o.name)]
            for o, _ in self._units
            if o.name in self._sinks or o.keep
        }

    def _run_units(self, device: str, state: _RunState, dry: bool) -> dict:
        values = dict(state.values)
        run = _RunState(self, values, {})
        for options, fused in self._units:
            call = _CaptureCall(options.name, device, self._graph_stream, dry=dry)
            output_name = fused.names[-1] if fused is not None else options.name
            if fused is not None:
                values[output_name] = self._run_fused(fused, call, run)
            else:
                values[output_name] = options.stage.run(call, run.view, self._pool)
            run.values[output_name] = values[output_name]
        return values

    # -- running --------------------------------------------------------------------------------

    def run(
        self, context: Mapping[str, Any] | None = None, *, cancel: Any = None
    ) -> PipelineResult:
        """Runs the pipeline once and returns a PipelineResult. With STOP_ON_ERROR a failure
        raises ``dc.PipelineError`` (its ``result`` holds every stage's status); cancellation
        through ``cancel`` (a ``CancelToken``) raises it too."""
        if context is not None and not isinstance(context, Mapping):
            raise PipelineError(f"the context must be a mapping, got {type(context).__name__}")
        state = _RunState(self, context, self._readers)
        executor = self._graph_executor if self._graphs else self._executor
        raw = executor.run(state, cancel)
        result = self._result(raw, state)
        if raw.cancelled:
            raise _pipeline_error("the pipeline run was cancelled", result)
        if self.strategy is ErrorStrategy.STOP_ON_ERROR and result.errors:
            failed = ", ".join(
                f"'{n}' ({m.message})"
                for n, m in result.metrics.stages.items()
                if m.status in ("failed", "timed_out")
            )
            raise _pipeline_error(f"pipeline '{self.name}' failed: {failed}", result)
        return result

    async def run_async(
        self, context: Mapping[str, Any] | None = None, *, cancel: Any = None
    ) -> PipelineResult:
        """``run`` on a thread, awaited without blocking the event loop. Cancelling the task
        cancels the run (stages not started are cancelled; running ones are abandoned)."""
        import asyncio  # here, not at the top: it is a tenth of `import dotcompute`'s time

        token = cancel if cancel is not None else CancelToken()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, functools.partial(self.run, context, cancel=token))
        try:
            return await future
        except asyncio.CancelledError:
            token.cancel()
            raise

    def _result(self, raw: Any, state: _RunState) -> PipelineResult:
        errors: dict[str, BaseException] = {}
        if not raw.succeeded:
            # Moved out of the C++ records: a reference the garbage collector cannot see would
            # keep the traceback's frames, the run's state and the pipeline alive for good.
            raised = raw.take_errors()
            for record in raw.stages:
                if record.status in ("failed", "timed_out"):
                    error = raised.get(record.name)
                    if not isinstance(error, BaseException):
                        error = PipelineError(record.message)
                    errors[record.name] = error
        if self._pool is None:
            outputs = {key: state.values[key] for key in self._output_names if key in state.values}
        else:
            outputs = self._pooled_outputs(state)
        return PipelineResult(outputs, errors, PipelineMetrics(raw, self), raw, self.name)

    def _pooled_outputs(self, state: _RunState) -> dict:
        """With buffer reuse, only sinks and kept stages are outputs; any other pooled array
        still held (its readers did not all run) goes back to the pool now."""
        outputs = {}
        values = state.values
        for name, key, is_output, pool_owned in self._unit_outputs:
            if key not in values:
                continue
            if is_output:
                outputs[key] = values[key]
            elif pool_owned and name not in state.released:
                value = values[key]
                for array in value if isinstance(value, tuple) else (value,):
                    if isinstance(array, _core.Array):
                        self._pool.give(array, ())
        return outputs

    @property
    def stage_names(self) -> list[str]:
        """The stages the executor runs, in a topological order (fused chains as 'a+b+c')."""
        return list(self._executor.order)

    def fused_source(self, name: str, target: str = "cpu") -> str:
        """The generated source of a fused chain ('a+b+c'), once it ran."""
        fused = self._fused[name]
        for entry, _ in fused.cache.values():
            if not isinstance(entry, str):
                return entry.source(target)
        raise PipelineError(f"'{name}' has not run fused yet (see fusion_report)")

    def __repr__(self) -> str:
        return f"<Pipeline '{self.name}': {' -> '.join(self.stage_names)}>"


class _Overlay(Mapping):
    """ctx with extra entries on top (a fused chain's intermediates)."""

    def __init__(self, base: Mapping[str, Any], extra: dict[str, Any]) -> None:
        self._base, self._extra = base, extra

    def __getitem__(self, key: str) -> Any:
        if key in self._extra:
            return self._extra[key]
        return self._base[key]

    def __iter__(self):
        yield from self._extra
        yield from (k for k in self._base if k not in self._extra)

    def __len__(self) -> int:
        return len(set(self._base) | set(self._extra))


#: Outputs of host stages that may hold device arrays (a tuple: isinstance with a union type
#: builds the union on every call).
_SETTLE_TYPES = (_core.Array, tuple, list, dict)


def _graph_body(call: Any, state: _RunState) -> None:
    state.owner._replay_graph(call, state)


def _settle(value: Any) -> Any:
    """A host stage is a sync point: arrays it returns may have been written by kernels it
    launched on a device's default stream, which the stages after it do not wait for
    otherwise. Their default streams are synchronized (nothing to do on the CPU)."""
    if isinstance(value, _core.Array):
        device = value.device
        if device.backend != "cpu":
            _core.current_stream(device).synchronize()
    elif isinstance(value, tuple | list):
        for item in value:
            _settle(item)
    elif isinstance(value, dict):
        for item in value.values():
            _settle(item)
    return value


def _type_key(value: Any) -> Any:
    if isinstance(value, _core.Array):
        return (value.dtype, value.ndim)
    return type(value)


def _accepts_device(function: Callable) -> bool:
    try:
        return "device" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _pipeline_error(message: str, result: PipelineResult) -> PipelineError:
    error = PipelineError(message, result.statuses)
    error.result = result
    return error
