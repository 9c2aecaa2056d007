# tests/test_pipeline.py
# The pipeline executor: building and validation, scheduling and concurrency, error strategies,
# retries, fallback devices, timeouts, cancellation, async, metrics and traces, kernel/op/transfer
# stages, fusion, buffer reuse, graph replay, and the seed's example.
from __future__ import annotations

import asyncio
import gc
import json
import runpy
import shutil
import subprocess
import threading
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

import dotcompute as dc
from dotcompute.kernel import cache
from dotcompute.pipeline import CancelToken, KernelStage, OpStage, Output, TransferStage

from conftest import random_array

ROOT = Path(__file__).resolve().parents[1]
N = 100_003  # odd, many work-groups, past the GIL-release threshold


@dc.kernel
def scale(x: dc.Array[dc.float32], out: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * factor


@dc.kernel
def shift(x: dc.Array[dc.float32], out: dc.Array[dc.float32], offset: dc.float32):
    i = dc.global_id(0)
    if i >= out.shape[0]:
        return
    out[i] = x[i] + offset


@dc.kernel
def square(x: dc.Array, out: dc.Array):  # generic: specialized per dtype
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * x[i]


@dc.kernel
def add_arrays(a: dc.Array[dc.float32], b: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = a[i] + b[i]


@dc.kernel
def neighbour_sum(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        right = x[i + 1] if i + 1 < x.shape[0] else 0.0
        out[i] = x[i] + right


@dc.kernel
def cubic(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    # x + 2x^2 + 3x^3 through a private table of coefficients.
    coefficients = dc.private_array(3, dc.float32)
    for j in range(3):
        coefficients[j] = j + 1
    i = dc.global_id(0)
    if i < out.shape[0]:
        value = x[i]
        out[i] = value * (coefficients[0] + value * (coefficients[1] + value * coefficients[2]))


@dc.func
def split_fraction(v: dc.float32):
    whole = dc.floor(v)
    return whole, v - whole


@dc.kernel
def fraction_plus_whole_half(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    # frac(x) + floor(x) / 2, through a device function returning a tuple.
    i = dc.global_id(0)
    if i < out.shape[0]:
        whole, fraction = split_fraction(x[i])
        out[i] = fraction + whole * 0.5


@dc.kernel
def triple_index(out: dc.Array[dc.int64]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = 3 * i


@dc.kernel
def transpose_add(a: dc.Array[dc.float64, 2], out: dc.Array[dc.float64, 2]):
    i = dc.global_id(0)
    j = dc.global_id(1)
    if i < out.shape[0] and j < out.shape[1]:
        out[i, j] = a[i, j] + a[j, i]


def chain(fuse: bool = False, reuse: bool = False, graphs: bool = False, device: str = "cpu"):
    """x -> scale(2) -> shift(+1) -> square -> scale(0.5), every stage a kernel."""
    return (
        dc.PipelineBuilder("chain")
        .add_stage("a", KernelStage(scale, "x", Output(), 2.0, device=device))
        .add_stage("b", KernelStage(shift, "a", Output(), 1.0, device=device))
        .depends_on("a")
        .add_stage("c", KernelStage(square, "b", Output(), device=device))
        .depends_on("b")
        .add_stage("d", KernelStage(scale, "c", Output(), 0.5, device=device))
        .depends_on("c")
        .with_optimization(fuse=fuse, reuse_buffers=reuse, graphs=graphs)
        .build()
    )


def chain_expected(x: np.ndarray) -> np.ndarray:
    return ((x * np.float32(2.0) + np.float32(1.0)) ** 2) * np.float32(0.5)


# -- building and validation ---------------------------------------------------------------------


def test_callable_stages_see_the_context_and_earlier_outputs():
    seen = {}

    def load(ctx):
        return list(range(ctx["n"]))

    def total(ctx):
        seen.update(ctx)
        return sum(ctx["load"])

    pipe = (
        dc.PipelineBuilder()
        .add_stage("load", load)
        .add_stage("total", total)
        .depends_on("load")
        .build()
    )
    result = pipe.run({"n": 10})
    assert result.outputs == {"load": list(range(10)), "total": 45}
    assert seen["n"] == 10 and seen["load"] == list(range(10))
    assert result.succeeded and result.errors == {}


def test_context_is_read_only():
    def writes(ctx):
        ctx["x"] = 1

    pipe = dc.PipelineBuilder().add_stage("w", writes).build()
    with pytest.raises(dc.PipelineError) as raised:
        pipe.run({})
    assert isinstance(raised.value.result.errors["w"], TypeError)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda b: b.add_stage("a", len).depends_on("ghost"), "'a' depends on 'ghost'"),
        (lambda b: b.add_stage("a", len).add_stage("a", len), "two stages are named 'a'"),
        (lambda b: b.add_stage("a", len).depends_on("a"), "'a' depends on itself"),
        (
            lambda b: (
                b.add_stage("a", len)
                .depends_on("c")
                .add_stage("b", len)
                .depends_on("a")
                .add_stage("c", len)
                .depends_on("b")
            ),
            "cycle: 'a' -> 'b' -> 'c' -> 'a'",
        ),
        (lambda b: b, "at least one stage"),
    ],
)
def test_build_validation(build, match):
    with pytest.raises(dc.PipelineError, match=match):
        build(dc.PipelineBuilder()).build()


def test_builder_misuse():
    with pytest.raises(dc.PipelineError, match="callable fn"):
        dc.PipelineBuilder().add_stage("a", 42)
    with pytest.raises(dc.PipelineError, match="add a stage first"):
        dc.PipelineBuilder().depends_on("a")
    with pytest.raises(dc.PipelineError, match=r"dc\.ErrorStrategy"):
        dc.PipelineBuilder().with_error_handling("stop")
    with pytest.raises(dc.PipelineError, match="must not be negative"):
        dc.PipelineBuilder().add_stage("a", len, retries=-1).build()
    pipe = dc.PipelineBuilder().add_stage("a", lambda ctx: 1).build()
    with pytest.raises(dc.PipelineError, match="must be a mapping"):
        pipe.run([1, 2])


def test_topological_order_is_stable():
    pipe = (
        dc.PipelineBuilder()
        .add_stage("post", lambda ctx: 0)
        .depends_on("mid")
        .add_stage("pre", lambda ctx: 0)
        .add_stage("mid", lambda ctx: 0)
        .depends_on("pre")
        .build()
    )
    assert pipe.stage_names == ["pre", "mid", "post"]


# -- concurrency -----------------------------------------------------------------------------------


def test_independent_slow_stages_run_concurrently():
    def slow(ctx):
        time.sleep(0.4)
        return threading.get_ident()

    pipe = (
        dc.PipelineBuilder()
        .add_stage("left", slow)
        .add_stage("right", slow)
        .add_stage("join", lambda ctx: (ctx["left"], ctx["right"]))
        .depends_on("left", "right")
        .build()
    )
    pipe.run()  # start the workers
    start = time.perf_counter()
    result = pipe.run()
    elapsed = time.perf_counter() - start
    assert elapsed < 0.7, f"two 0.4 s stages took {elapsed:.2f} s: they did not overlap"
    left, right = result.outputs["join"]
    assert left != right  # two threads
    starts = [result.metrics.stages[n].start for n in ("left", "right")]
    assert abs(starts[0] - starts[1]) < 0.2  # started together, not one after the other


def test_parallel_false_runs_a_stage_alone():
    def slow(ctx):
        time.sleep(0.25)
        return 1

    pipe = (
        dc.PipelineBuilder()
        .add_stage("shared", slow)
        .add_stage("alone", slow)
        .parallel(False)
        .build()
    )
    start = time.perf_counter()
    pipe.run()
    assert time.perf_counter() - start >= 0.45


def test_one_pipeline_run_from_several_threads(rng):
    inputs = [random_array(rng, 20_011, np.float32) for _ in range(4)]
    pipe = chain(fuse=True, reuse=True)
    failures = []

    def worker(x_host):
        try:
            for _ in range(10):
                result = pipe.run({"x": dc.asarray(x_host)})
                np.testing.assert_allclose(
                    result.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5
                )
        except Exception as error:  # collected: an assertion in a thread would be lost
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(x,)) for x in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_run_async_runs_pipelines_concurrently():
    def slow(ctx):
        time.sleep(0.3)
        return ctx["tag"]

    pipe = dc.PipelineBuilder().add_stage("slow", slow).build()

    async def main():
        return await asyncio.gather(*(pipe.run_async({"tag": t}) for t in range(3)))

    start = time.perf_counter()
    results = asyncio.run(main())
    assert [r.outputs["slow"] for r in results] == [0, 1, 2]
    assert time.perf_counter() - start < 0.8


def test_many_stages_wide_and_deep():
    builder = dc.PipelineBuilder()
    for branch in range(8):
        builder.add_stage(f"b{branch}_0", lambda ctx, b=branch: b)
        for depth in range(1, 10):
            builder.add_stage(
                f"b{branch}_{depth}", lambda ctx, b=branch, d=depth: ctx[f"b{b}_{d - 1}"] + 1
            ).depends_on(f"b{branch}_{depth - 1}")
    builder.add_stage("sum", lambda ctx: sum(ctx[f"b{b}_9"] for b in range(8)))
    builder.depends_on(*[f"b{b}_9" for b in range(8)])
    result = builder.build().run()
    assert result.outputs["sum"] == sum(b + 9 for b in range(8))


# -- error strategies, retries, fallback, timeout, cancellation ----------------------------------


def _failing(ctx):
    raise ValueError("bad input in stage")


def diamond(strategy):
    return (
        dc.PipelineBuilder("diamond")
        .add_stage("load", lambda ctx: 1)
        .add_stage("broken", _failing)
        .depends_on("load")
        .add_stage("after_broken", lambda ctx: ctx["broken"] + 1)
        .depends_on("broken")
        .add_stage("last", lambda ctx: 0)
        .depends_on("after_broken")
        .add_stage("independent", lambda ctx: ctx["load"] + 41)
        .depends_on("load")
        .with_error_handling(strategy)
        .build()
    )


def test_stop_on_error_raises_with_every_status():
    with pytest.raises(dc.PipelineError, match="bad input in stage") as raised:
        diamond(dc.ErrorStrategy.STOP_ON_ERROR).run()
    error = raised.value
    assert error.stages["load"] == "succeeded"
    assert error.stages["broken"] == "failed"
    assert error.stages["after_broken"] == "cancelled"
    assert error.stages["last"] == "cancelled"
    assert isinstance(error.result.errors["broken"], ValueError)
    assert "STOP_ON_ERROR" in error.result.metrics.stages["last"].message


def test_continue_on_error_skips_dependents_and_runs_the_rest():
    result = diamond(dc.ErrorStrategy.CONTINUE_ON_ERROR).run()
    statuses = result.statuses
    assert statuses["broken"] == "failed"
    assert statuses["after_broken"] == "skipped"
    assert statuses["last"] == "skipped"
    assert statuses["independent"] == "succeeded"
    assert result.outputs["independent"] == 42
    assert "'broken' failed" in result.metrics.stages["last"].message
    assert set(result.errors) == {"broken"}
    assert "broken" in str(result.metrics)


def test_retry_succeeds_on_the_second_try():
    attempts = []

    def flaky(ctx):
        attempts.append(time.perf_counter())
        if len(attempts) == 1:
            raise ConnectionError("transient")
        return "ok"

    pipe = dc.PipelineBuilder().add_stage("flaky", flaky, retries=2, backoff=0.05).build()
    result = pipe.run()
    assert result.outputs["flaky"] == "ok"
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] >= 0.045  # the backoff was waited
    stage = result.metrics.stages["flaky"]
    assert stage.status == "succeeded" and stage.retries == 1


def test_retries_exhausted_fail_with_the_last_error():
    calls = []

    def always(ctx):
        calls.append(1)
        raise RuntimeError(f"attempt {len(calls)}")

    pipe = (
        dc.PipelineBuilder()
        .add_stage("always", always)
        .with_retry(2, backoff=0.001)
        .with_error_handling(dc.ErrorStrategy.CONTINUE_ON_ERROR)
        .build()
    )
    result = pipe.run()
    assert len(calls) == 3
    assert result.metrics.stages["always"].retries == 2
    assert str(result.errors["always"]) == "attempt 3"


def test_fallback_device_for_a_kernel_stage(rng):
    # cuda:7 exists on no test machine: the stage fails there and runs on the cpu.
    x_host = random_array(rng, N, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("scaled", KernelStage(scale, "x", Output(), 3.0), device="cuda:7")
        .with_fallback("cpu")
        .build()
    )
    result = pipe.run({"x": dc.asarray(x_host)})
    np.testing.assert_allclose(result.outputs["scaled"].numpy(), x_host * np.float32(3.0))
    stage = result.metrics.stages["scaled"]
    assert stage.fallback_used and stage.device == "cpu"


def test_fallback_for_a_callable_that_runs_out_of_memory():
    devices = []

    def compute(ctx, device):
        devices.append(device)
        if len(devices) == 1:
            raise dc.OutOfMemoryError(f"no memory left on {device}")
        return device

    pipe = (
        dc.PipelineBuilder()
        .add_stage("compute", compute, device="cpu", fallback_device="cpu")
        .build()
    )
    result = pipe.run()
    assert devices == ["cpu", "cpu"]
    assert result.metrics.stages["compute"].fallback_used


def test_failed_fallback_names_both_devices():
    pipe = (
        dc.PipelineBuilder()
        .add_stage("op", OpStage(dc.add, "a", "a"), device="cuda:7", fallback_device="cuda:8")
        .build()
    )
    with pytest.raises(dc.PipelineError, match=r"on cuda:7: .*on fallback cuda:8"):
        pipe.run({"a": dc.ones(4)})


def test_timeout_abandons_a_slow_stage():
    release = threading.Event()

    def stuck(ctx):
        release.wait(5)
        return 1

    pipe = (
        dc.PipelineBuilder()
        .add_stage("stuck", stuck, timeout=0.2)
        .add_stage("after", lambda ctx: 2)
        .depends_on("stuck")
        .add_stage("other", lambda ctx: 3)
        .with_error_handling(dc.ErrorStrategy.CONTINUE_ON_ERROR)
        .build()
    )
    start = time.perf_counter()
    result = pipe.run()
    elapsed = time.perf_counter() - start
    release.set()
    assert elapsed < 2.0
    assert result.statuses == {"stuck": "timed_out", "after": "skipped", "other": "succeeded"}
    assert "timeout of 0.2" in result.metrics.stages["stuck"].message


def test_cancellation_from_another_thread():
    started = threading.Event()
    release = threading.Event()

    def slow(ctx):
        started.set()
        release.wait(5)
        return 1

    pipe = (
        dc.PipelineBuilder()
        .add_stage("slow", slow)
        .add_stage("never", lambda ctx: 2)
        .depends_on("slow")
        .build()
    )
    token = CancelToken()
    threading.Thread(target=lambda: (started.wait(5), token.cancel())).start()
    with pytest.raises(dc.PipelineError, match="cancelled") as raised:
        pipe.run(cancel=token)
    release.set()
    assert raised.value.stages == {"slow": "cancelled", "never": "cancelled"}


# -- async ---------------------------------------------------------------------------------------


def test_run_async_does_not_block_the_event_loop():
    def slow(ctx):
        time.sleep(0.3)
        return ctx["n"] * 2

    pipe = dc.PipelineBuilder().add_stage("slow", slow).build()

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        result = await pipe.run_async({"n": 21})
        task.cancel()
        return result, ticks

    result, ticks = asyncio.run(main())
    assert result.outputs["slow"] == 42
    assert ticks >= 10


def test_run_async_cancellation_cancels_the_run():
    ran = []
    release = threading.Event()

    def slow(ctx):
        release.wait(5)
        return 1

    pipe = (
        dc.PipelineBuilder()
        .add_stage("slow", slow)
        .add_stage("later", lambda ctx: ran.append(1))
        .depends_on("slow")
        .build()
    )
    token = CancelToken()

    async def main():
        task = asyncio.create_task(pipe.run_async(cancel=token))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    release.set()
    assert token.cancelled
    time.sleep(0.05)
    assert ran == []


# -- metrics and traces --------------------------------------------------------------------------


def test_metrics_critical_path_and_bottleneck(tmp_path):
    def sleeper(seconds):
        def stage(ctx):
            time.sleep(seconds)
            return seconds

        return stage

    pipe = (
        dc.PipelineBuilder("metrics")
        .add_stage("load", sleeper(0.01))
        .add_stage("fast", sleeper(0.01))
        .depends_on("load")
        .add_stage("slow", sleeper(0.2))
        .depends_on("load")
        .add_stage("merge", sleeper(0.01))
        .depends_on("fast", "slow")
        .build()
    )
    result = pipe.run()
    metrics = result.metrics
    assert metrics.critical_path == ["load", "slow", "merge"]
    assert metrics.bottleneck == "slow"
    assert metrics.stages["slow"].seconds >= 0.19
    assert metrics.stages["fast"].on_critical_path is False
    assert all(m.device == "host" and m.device_ms is None for m in metrics.stages.values())
    text = str(metrics)
    assert "critical path (*): load -> slow -> merge" in text and "bottleneck: slow" in text
    data = metrics.to_dict()
    json.dumps(data)
    assert data["stages"]["slow"]["status"] == "succeeded"
    path = tmp_path / "trace.json"
    result.save_trace(str(path))
    trace = json.loads(path.read_text())
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert sorted(e["name"] for e in spans) == ["fast", "load", "merge", "slow"]
    slow = next(e for e in spans if e["name"] == "slow")
    assert slow["dur"] >= 190_000 and slow["args"]["critical_path"] is True


def test_device_stage_metrics(device, rng):
    x_host = random_array(rng, N, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("scaled", KernelStage(scale, "x", Output(), 2.0, device=device))
        .build()
    )
    result = pipe.run({"x": dc.asarray(x_host, device=device)})
    stage = result.metrics.stages["scaled"]
    assert stage.device == dc.get_device(device).spec
    assert stage.device_ms is not None and stage.device_ms >= 0
    assert stage.bytes_moved == 2 * N * 4
    assert stage.retries == 0 and not stage.fallback_used


# -- device stages ---------------------------------------------------------------------------------


def test_kernel_stages_match_numpy(device, rng):
    x_host = random_array(rng, N, np.float32)
    result = chain(device=device).run({"x": dc.asarray(x_host, device=device)})
    np.testing.assert_allclose(result.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5)
    assert set(result.outputs) == {"a", "b", "c", "d"}


def test_branches_on_streams_joined_by_events(device, rng):
    x_host = random_array(rng, N, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("left", KernelStage(scale, "x", Output(), 2.0, device=device))
        .add_stage("right", KernelStage(shift, "x", Output(), 5.0, device=device))
        .add_stage("sum", KernelStage(add_arrays, "left", "right", Output(), device=device))
        .depends_on("left", "right")
        .add_stage("host", lambda ctx: ctx["sum"].numpy())
        .depends_on("sum")
        .build()
    )
    result = pipe.run({"x": dc.asarray(x_host, device=device)})
    expected = x_host * np.float32(2.0) + (x_host + np.float32(5.0))
    np.testing.assert_allclose(result.outputs["host"], expected, rtol=1e-6)


def test_2d_kernel_stage_with_explicit_size(device, rng):
    a_host = random_array(rng, (67, 67), np.float64)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("t", KernelStage(transpose_add, "a", Output(), size=(67, 67), device=device))
        .build()
    )
    result = pipe.run({"a": dc.asarray(a_host, device=device)})
    np.testing.assert_array_equal(result.outputs["t"].numpy(), a_host + a_host.T)


def test_op_and_transfer_stages(device, rng):
    a_host = random_array(rng, 4099, np.float32)
    b_host = random_array(rng, 4099, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("a_dev", TransferStage("a", device))
        .add_stage("b_dev", TransferStage("b", device))
        .add_stage("sum", OpStage(dc.add, "a_dev", "b_dev", device=device))
        .depends_on("a_dev", "b_dev")
        .add_stage("back", TransferStage("sum", "cpu"))
        .depends_on("sum")
        .build()
    )
    result = pipe.run({"a": dc.asarray(a_host), "b": dc.asarray(b_host)})
    assert result.outputs["back"].device.spec == "cpu"
    np.testing.assert_allclose(result.outputs["back"].numpy(), a_host + b_host, rtol=1e-6)
    assert result.metrics.stages["a_dev"].bytes_moved == 4099 * 4


def test_output_specs(device, rng):
    # An int or tuple shape and a dtype for a kernel without array inputs; like= another entry.
    x_host = random_array(rng, 300, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage(
            "iota", KernelStage(triple_index, Output(shape=257, dtype="int64"), device=device)
        )
        .add_stage("grid", KernelStage(triple_index, Output(shape=(10,), dtype=np.int64)))
        .add_stage("scaled", KernelStage(scale, "x", Output(like="y"), 2.0, device=device))
        .build()
    )
    x = dc.asarray(x_host, device=device)
    result = pipe.run({"x": x, "y": dc.zeros(300, "float32", device)})
    np.testing.assert_array_equal(result.outputs["iota"].numpy(), 3 * np.arange(257))
    np.testing.assert_array_equal(result.outputs["grid"].numpy(), 3 * np.arange(10))
    np.testing.assert_array_equal(result.outputs["scaled"].numpy(), x_host * np.float32(2))
    unsized = dc.PipelineBuilder().add_stage("s", KernelStage(triple_index, Output())).build()
    with pytest.raises(dc.PipelineError, match=r"Output\(\) needs like=, or shape= and dtype="):
        unsized.run({})


def test_missing_context_entry_names_the_fix():
    pipe = dc.PipelineBuilder().add_stage("s", KernelStage(scale, "x", Output(), 1.0)).build()
    with pytest.raises(dc.PipelineError, match=r"names 'x'.*add it to the context"):
        pipe.run({})


def test_kernel_stage_needs_a_kernel():
    with pytest.raises(dc.PipelineError, match=r"needs a @dc\.kernel"):
        KernelStage(len, "x")


# -- optimizations ---------------------------------------------------------------------------------


def test_fusion_makes_one_kernel_with_the_same_result(device, rng):
    x_host = random_array(rng, N, np.float32)
    x = dc.asarray(x_host, device=device)
    fused = chain(fuse=True, device=device)
    unfused = chain(device=device)
    assert fused.stage_names == ["a+b+c+d"]
    got = fused.run({"x": x})
    want = unfused.run({"x": x})
    np.testing.assert_array_equal(got.outputs["d"].numpy(), want.outputs["d"].numpy())
    np.testing.assert_allclose(got.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5)
    assert list(got.outputs) == ["d"]  # intermediates are never written
    assert fused.fusion_report == {"a+b+c+d": "fused"}
    assert got.metrics.fused == [["a", "b", "c", "d"]]
    source = fused.fused_source("a+b+c+d")
    assert source.count("dc_kernel_fused_") >= 1 and "s3_out" in source
    # The four stages' guards (one written as `if i >= n: return`) merged into one `if`.
    assert source.count("< s3_out_shape0") == 1


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_fused_cuda_source_compiles(rng, tmp_path):
    pipe = chain(fuse=True)
    pipe.run({"x": dc.asarray(random_array(rng, 1000, np.float32))})
    path = tmp_path / "fused.cu"
    path.write_text(pipe.fused_source("a+b+c+d", "cuda"))
    options = cache.DEVICE_COMPILE_OPTIONS["cuda"].split()
    command = [shutil.which("nvcc"), "-cubin", "-x", "cu", "-arch=sm_80", "-std=c++17", *options]
    command += ["-Werror", "all-warnings", str(path), "-o", str(tmp_path / "fused.cubin")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_fusion_of_generic_kernels_per_dtype(rng):
    pipe = (
        dc.PipelineBuilder()
        .add_stage("sq", KernelStage(square, "x", Output()))
        .add_stage("sq2", KernelStage(square, "sq", Output()))
        .depends_on("sq")
        .with_optimization(fuse=True)
        .build()
    )
    for dtype in (np.float64, np.int32):
        x_host = random_array(rng, 5001, dtype)
        result = pipe.run({"x": dc.asarray(x_host)})
        np.testing.assert_array_equal(result.outputs["sq2"].numpy(), (x_host * x_host) ** 2)
        assert result.outputs["sq2"].dtype == np.dtype(dtype)


def test_fusion_declined_for_a_neighbour_access(rng):
    x_host = random_array(rng, 3001, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("a", KernelStage(scale, "x", Output(), 2.0))
        .add_stage("b", KernelStage(neighbour_sum, "a", Output()))
        .depends_on("a")
        .with_optimization(fuse=True)
        .build()
    )
    result = pipe.run({"x": dc.asarray(x_host)})
    doubled = x_host * np.float32(2.0)
    expected = doubled + np.append(doubled[1:], np.float32(0.0))
    np.testing.assert_allclose(result.outputs["b"].numpy(), expected, rtol=1e-6)
    assert "another index" in pipe.fusion_report["a+b"]


def fused_twice(kernel, device):
    """x -> a -> b, both stages the same elementwise kernel, fused."""
    return (
        dc.PipelineBuilder()
        .add_stage("a", KernelStage(kernel, "x", Output(), device=device))
        .add_stage("b", KernelStage(kernel, "a", Output(), device=device))
        .depends_on("a")
        .with_optimization(fuse=True)
        .build()
    )


def test_fusion_of_stages_with_private_arrays(device, rng):
    # Each stage keeps its own private table in the fused kernel (renamed like its locals).
    x_host = random_array(rng, 3001, np.float32)
    pipe = fused_twice(cubic, device)
    result = pipe.run({"x": dc.asarray(x_host, device=device)})
    assert pipe.fusion_report == {"a+b": "fused"}
    assert pipe.fused_source("a+b").count("{0}") == 2  # two zeroed private arrays
    v = x_host.astype(np.float64)
    v = v * (1 + v * (2 + v * 3))
    expected = v * (1 + v * (2 + v * 3))
    np.testing.assert_allclose(result.outputs["b"].numpy(), expected, rtol=1e-4)


def test_fusion_of_stages_calling_tuple_returning_functions(device, rng):
    # Each stage unpacks the device function's tuple into its own (renamed) locals.
    x_host = random_array(rng, 3001, np.float32) * np.float32(10)
    pipe = fused_twice(fraction_plus_whole_half, device)
    result = pipe.run({"x": dc.asarray(x_host, device=device)})
    assert pipe.fusion_report == {"a+b": "fused"}

    def step(v):
        whole = np.floor(v)
        return (v - whole) + whole * np.float32(0.5)

    np.testing.assert_allclose(result.outputs["b"].numpy(), step(step(x_host)), rtol=1e-6)


def test_no_fusion_with_an_explicit_size(rng):
    x_host = random_array(rng, 3001, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("a", KernelStage(scale, "x", Output(), 2.0))
        .add_stage("b", KernelStage(shift, "a", Output(), 1.0, size=1000))
        .depends_on("a")
        .with_optimization(fuse=True)
        .build()
    )
    result = pipe.run({"x": dc.asarray(x_host)})
    expected = x_host[:1000] * np.float32(2.0) + np.float32(1.0)
    np.testing.assert_allclose(result.outputs["b"].numpy()[:1000], expected, rtol=1e-6)
    assert "sets its own size" in pipe.fusion_report["a+b"]


def test_no_fusion_across_a_branch(rng):
    pipe = (
        dc.PipelineBuilder()
        .add_stage("a", KernelStage(scale, "x", Output(), 2.0))
        .add_stage("b", KernelStage(shift, "a", Output(), 1.0))
        .depends_on("a")
        .add_stage("c", KernelStage(square, "a", Output()))
        .depends_on("a")
        .with_optimization(fuse=True)
        .build()
    )
    assert sorted(pipe.stage_names) == ["a", "b", "c"]


def test_buffer_reuse_by_lifetime(rng):
    x_host = random_array(rng, N, np.float32)
    builder = dc.PipelineBuilder()
    builder.add_stage("s0", KernelStage(shift, "x", Output(), 1.0))
    for i in range(1, 6):
        builder.add_stage(f"s{i}", KernelStage(shift, f"s{i - 1}", Output(), 1.0))
        builder.depends_on(f"s{i - 1}")
    pipe = builder.with_optimization(reuse_buffers=True).build()
    first = pipe.run({"x": dc.asarray(x_host)})
    np.testing.assert_allclose(first.outputs["s5"].numpy(), x_host + np.float32(6.0), rtol=1e-6)
    assert list(first.outputs) == ["s5"]
    # Six outputs, but each intermediate is free once its reader ran: two buffers alternate,
    # plus the final output.
    assert first.metrics.buffers_allocated <= 3
    second = pipe.run({"x": dc.asarray(x_host)})
    np.testing.assert_allclose(second.outputs["s5"].numpy(), x_host + np.float32(6.0), rtol=1e-6)
    assert second.metrics.buffers_allocated <= 4  # the previous final output belongs to the user
    assert second.metrics.buffers_reused >= 5


@dc.kernel
def windowed_sum(x: dc.Array[dc.float32], out: dc.Array[dc.float32], width: dc.int32):
    """out[i] = x[i] + x[i+1] + ... (width terms, wrapping): a reader slow on a GPU."""
    i = dc.global_id(0)
    n = x.shape[0]
    if i < out.shape[0]:
        total = dc.float32(0.0)
        for k in range(width):
            total += x[(i + k) % n]
        out[i] = total


def windowed_sum_expected(x: np.ndarray, width: int) -> np.ndarray:
    total = np.zeros_like(x)
    for k in range(width):
        total += np.roll(x, -k)
    return total


def test_reused_buffer_waits_for_every_reader(device, rng):
    # "produced" has two readers: "slow" on a stream of its own and "fast", which continues the
    # producer's stream. Whichever ends last hands "produced" to the pool, and the writers after
    # "fast" take buffers of its shape: a taker must wait for the slow reader's stream too (Note
    # [Reused buffers and streams] in pipeline_stages.py), or it overwrites what "slow" reads.
    width = 8192 if device.startswith("cuda") else 8
    x_host = random_array(rng, N, np.float32)
    builder = (
        dc.PipelineBuilder()
        .add_stage("produced", KernelStage(scale, "x", Output(), 2.0, device=device))
        .add_stage("slow", KernelStage(windowed_sum, "produced", Output(), width, device=device))
        .depends_on("produced")
        .add_stage("fast", KernelStage(shift, "produced", Output(), 1.0, device=device))
        .depends_on("produced")
    )
    previous = "fast"
    for i in range(4):
        builder.add_stage(f"w{i}", KernelStage(shift, previous, Output(), 1.0, device=device))
        builder.depends_on(previous)
        previous = f"w{i}"
    pipe = builder.with_optimization(reuse_buffers=True).build()
    produced = x_host * np.float32(2.0)
    expected_slow = windowed_sum_expected(produced, width)
    expected_last = produced + np.float32(5.0)
    reused = 0
    for _ in range(5):
        result = pipe.run({"x": dc.asarray(x_host, device=device)})
        np.testing.assert_allclose(result.outputs["slow"].numpy(), expected_slow, rtol=1e-5)
        np.testing.assert_allclose(result.outputs["w3"].numpy(), expected_last, rtol=1e-6)
        reused += result.metrics.buffers_reused
    assert reused > 0  # the writers did take released buffers


def test_kept_stage_outputs_are_not_reused(rng):
    x_host = random_array(rng, 1000, np.float32)
    pipe = (
        dc.PipelineBuilder()
        .add_stage("a", KernelStage(scale, "x", Output(), 2.0), keep=True)
        .add_stage("b", KernelStage(shift, "a", Output(), 1.0))
        .depends_on("a")
        .with_optimization(reuse_buffers=True)
        .build()
    )
    result = pipe.run({"x": dc.asarray(x_host)})
    np.testing.assert_allclose(result.outputs["a"].numpy(), x_host * np.float32(2.0))


def test_graph_capture_replays_on_later_runs(device, rng):
    x_host = random_array(rng, N, np.float32)
    x = dc.asarray(x_host, device=device)
    pipe = chain(graphs=True, device=device)
    first = pipe.run({"x": x})
    np.testing.assert_allclose(first.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5)
    assert first.metrics.graph_replayed
    graph = pipe._graph
    x_host[:] = random_array(rng, N, np.float32)
    dc.asarray(x_host, device=device)  # unrelated array
    x2 = dc.asarray(x_host, device=device)
    second = pipe.run({"x": x2})  # new input array: captured again
    assert pipe._graph is not graph
    np.testing.assert_allclose(second.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5)
    third = pipe.run({"x": x2})  # same input: replayed
    assert pipe._graph is not None
    np.testing.assert_allclose(third.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5)
    if dc.get_device(device).backend == "cuda":
        assert pipe._graph.is_native


def test_graphs_with_fusion(rng):
    x_host = random_array(rng, 4097, np.float32)
    pipe = chain(fuse=True, graphs=True)
    for _ in range(3):
        result = pipe.run({"x": dc.asarray(x_host)})
        np.testing.assert_allclose(result.outputs["d"].numpy(), chain_expected(x_host), rtol=1e-5)


def test_graphs_need_device_stages_only():
    pipe = (
        dc.PipelineBuilder()
        .add_stage("host", lambda ctx: dc.ones(8))
        .add_stage("k", KernelStage(scale, "host", Output(), 2.0))
        .depends_on("host")
        .with_optimization(graphs=True)
        .build()
    )
    result = pipe.run()
    assert not result.metrics.graph_replayed
    np.testing.assert_array_equal(result.outputs["k"].numpy(), np.full(8, 2.0, np.float32))


# -- the seed's example ----------------------------------------------------------------------------


def test_seed_example(tmp_path):
    example = runpy.run_path(str(ROOT / "examples" / "pipeline.py"))
    trace = tmp_path / "trace.json"
    result = example["run"]("cpu", 20_001, 6, str(trace))
    assert result.succeeded
    assert list(result.metrics.stages) == [
        "DataLoad",
        "Preprocess",
        "Compute",
        "Clip",
        "PostProcess",
    ]
    rng = np.random.default_rng(6)
    signal = rng.normal(3.0, 2.0, 20_001).astype(np.float32)
    normalized = (signal - signal.mean()) / signal.std()
    summary = result.outputs["PostProcess"]
    assert summary["mean_energy"] == pytest.approx(float(np.mean(normalized**2)), rel=1e-4)
    assert summary["clipped_sum"] == pytest.approx(
        float(np.clip(normalized, -1.5, 1.5).sum()), rel=1e-3, abs=1e-2
    )
    assert json.loads(trace.read_text())["traceEvents"]


def test_pipelines_are_freed(rng):
    # The executor holds the stage bodies; none may hold the pipeline back (a cycle through C++
    # would be invisible to the garbage collector and keep every pooled buffer alive).
    x = dc.asarray(random_array(rng, 1000, np.float32))
    pipes = [
        chain(fuse=True, reuse=True),
        chain(graphs=True),
        diamond(dc.ErrorStrategy.CONTINUE_ON_ERROR),
    ]
    for pipe in pipes:
        pipe.run({"x": x})
    refs = [weakref.ref(pipe) for pipe in pipes]
    del pipes, pipe
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
