# tests/test_cuda_memory.py
# CUDA memory: the pinned host pool, out-of-memory recovery, and a faulting kernel's error.
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

HAS_CUDA = any(d.backend == "cuda" for d in dc.devices())
pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device (the cuda backend is not loaded here)"),
]


def test_empty_pinned_is_a_writable_numpy_array_from_the_pool(rng):
    before = dc.pinned_memory_stats("cuda:0")
    staging = dc.empty_pinned((129, 5), "float32", device="cuda:0")
    assert isinstance(staging, np.ndarray) and staging.shape == (129, 5)
    assert staging.dtype == np.float32 and staging.flags.writeable
    staging[...] = random_array(rng, (129, 5), "float32")
    in_use = dc.pinned_memory_stats("cuda:0")["in_use"]
    assert in_use >= before["in_use"] + staging.nbytes
    del staging
    after = dc.pinned_memory_stats("cuda:0")
    assert after["in_use"] == before["in_use"] and after["cached"] > 0
    again = dc.empty_pinned((129, 5), "float32", device="cuda:0")  # same size class: reused
    assert dc.pinned_memory_stats("cuda:0")["hits"] == after["hits"] + 1
    del again


def test_pinned_round_trip_large_and_odd_sizes(rng):
    for count in (1, 4099, (1 << 22) + 3):
        source = dc.empty_pinned(count, "float64", device="cuda:0")
        source[...] = random_array(rng, count, "float64")
        x = dc.asarray(source, device="cuda:0")
        source[...] = 0.0  # the copy has finished when asarray returns, pinned source or not
        back = dc.empty_pinned(count, "float64", device="cuda:0")
        assert x.numpy(out=back) is back
        np.testing.assert_array_equal(back, x.numpy())
        assert np.all(back != 0.0)


def test_large_pageable_transfers_are_staged_and_exact(rng):
    """Note [Staged transfers]: copies of 32 MiB and more go through pinned chunks; sizes that
    are not a multiple of the chunk exercise the last, short chunk."""
    count = (50 << 20) // 8 + 12_345  # a bit over 50 MiB of float64
    host = random_array(rng, count, "float64")
    x = dc.asarray(host, device="cuda:0")
    np.testing.assert_array_equal(x.numpy(), host)
    doubled = dc.add(x, x).numpy()
    np.testing.assert_array_equal(doubled, host + host)
    offset_view = host[1:].copy()  # a source that does not start on a page boundary
    y = dc.asarray(offset_view, device="cuda:0")
    np.testing.assert_array_equal(y.numpy(), offset_view)


def test_empty_cache_frees_cached_pinned_blocks():
    block = dc.empty_pinned(1 << 20, "uint8", device="cuda:0")
    del block
    assert dc.pinned_memory_stats("cuda:0")["cached"] > 0
    dc.empty_cache("cuda:0")
    assert dc.pinned_memory_stats("cuda:0")["cached"] == 0


def test_out_of_memory_is_an_error_and_the_device_keeps_working(rng):
    chunk = 1 << 30  # 1 GiB: reaches the limit of an 80-140 GiB card in about a hundred steps
    held = []
    with pytest.raises(dc.OutOfMemoryError, match="out of memory"):
        for _ in range(4096):
            held.append(dc.empty(chunk, "uint8", device="cuda:0"))
    assert len(held) > 0
    del held
    dc.empty_cache("cuda:0")
    host = random_array(rng, 100_001, "float32")
    x = dc.asarray(host, device="cuda:0")
    np.testing.assert_array_equal(dc.add(x, x).numpy(), host + host)


FAULTING_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import dotcompute as dc

    @dc.kernel
    def read_far(a: dc.Array[dc.float32], out: dc.Array[dc.float32], offset: dc.int64):
        i = dc.global_id(0)
        out[i] = a[i + offset]

    a = dc.ones(1024, device="cuda:0")
    out = dc.empty(1024, device="cuda:0")
    try:
        read_far[1024](a, out, 1 << 40)
        dc.synchronize("cuda:0")
        print("NO ERROR")
    except dc.LaunchError as error:
        print("FIRST:", error)
    try:
        read_far[1024](a, out, 0)
        dc.synchronize("cuda:0")
        print("SECOND OK", float(out.numpy()[0]))
    except dc.DotComputeError as error:
        print("SECOND:", type(error).__name__, error)
    """
)


def run_in_child(tmp_path, name: str, source: str) -> str:
    """source's output, run as a script in a child process: a fault poisons the whole CUDA
    context of the process that ran it. Kernels live in a file because dotcompute reads kernel
    source with inspect."""
    script = tmp_path / name
    script.write_text(source)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_faulting_kernel_raises_launch_error_naming_the_fix(tmp_path):
    output = run_in_child(tmp_path, "faulting_kernel.py", FAULTING_SCRIPT)
    lines = output.splitlines()
    first = next(line for line in lines if line.startswith(("FIRST:", "NO ERROR")))
    assert first.startswith("FIRST:") and "ILLEGAL_ADDRESS" in first, output
    assert "restart the process" in first, output
    second = next(line for line in lines if line.startswith("SECOND"))
    # Either the device recovered, or the error says what to do.
    assert second.startswith("SECOND OK 1.0") or "restart the process" in second, output


PIPELINE_FAULT_SCRIPT = textwrap.dedent(
    """
    import dotcompute as dc
    from dotcompute.pipeline import KernelStage, Output

    @dc.kernel
    def read_far(a: dc.Array[dc.float32], out: dc.Array[dc.float32], offset: dc.int64):
        i = dc.global_id(0)
        out[i] = a[i + offset]

    pipe = (
        dc.PipelineBuilder()
        .add_stage("near", KernelStage(read_far, "a", Output(), 0, device="cuda:0"))
        .add_stage("far", KernelStage(read_far, "near", Output(), 1 << 40, device="cuda:0"))
        .depends_on("near")
        .build()
    )
    try:
        pipe.run({"a": dc.ones(1024, device="cuda:0")})
        print("NO ERROR")
    except dc.PipelineError as error:
        far = error.result.metrics.stages["far"]
        print("FAR:", far.status, far.message)
    """
)


def test_a_faulting_kernel_stage_fails_its_pipeline_run(tmp_path):
    # The fault surfaces when the run synchronizes its streams at the end; the stage whose
    # kernel faulted is reported failed with the driver's error.
    output = run_in_child(tmp_path, "faulting_stage.py", PIPELINE_FAULT_SCRIPT)
    far = next(line for line in output.splitlines() if line.startswith(("FAR:", "NO ")))
    assert far.startswith("FAR: failed") and "ILLEGAL_ADDRESS" in far, output
