# tests/test_fft_plans.py
# The generated FFT's tables kept between calls (Note [FFT plans]): reuse, the LRU limit,
# clearing, and capture, on every device (the CPU through use_generated_kernels).
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc
from dotcompute.algorithm_kernels import fft as generated_fft
from dotcompute.algorithm_kernels import fft_plans

from conftest import random_array


@pytest.fixture
def no_plans():
    """Starts and ends with an empty plan cache."""
    dc.algorithms.clear_fft_plans()
    yield
    dc.algorithms.clear_fft_plans()


def check_fft(device, rng, shape, inverse=False):
    """Runs the generated FFT on device and compares it with numpy's."""
    x = random_array(rng, shape, "complex64")
    with dc.algorithms.use_generated_kernels():
        got = (dc.ifft if inverse else dc.fft)(dc.asarray(x, device=device)).to("cpu").numpy()
    exact = (np.fft.ifft if inverse else np.fft.fft)(x.astype(np.complex128))
    np.testing.assert_allclose(got, exact, rtol=0, atol=np.abs(exact).max() * 2e-6)


def test_tables_are_made_once_and_reused(device, rng, no_plans, monkeypatch):
    made = []
    original = generated_fft._make_twiddles
    monkeypatch.setattr(
        generated_fft,
        "_make_twiddles",
        lambda n, real, dev: made.append(n) or original(n, real, dev),
    )
    for _ in range(3):
        check_fft(device, rng, (2, 1024))
        check_fft(device, rng, (3, 1024), inverse=True)
    assert made == [1024]
    info = dc.algorithms.fft_plans_info()
    assert info["entries"] == 1 and info["bytes"] == 512 * 2 * 4
    check_fft(device, rng, (2, 512))
    assert made == [1024, 512] and dc.algorithms.fft_plans_info()["entries"] == 2


def test_bluestein_keeps_its_filter_per_direction(device, rng, no_plans, monkeypatch):
    built = []
    original = generated_fft._power_of_two

    def power_of_two(src, out, rows, n, inverse, table=None):
        built.append((rows, n))
        return original(src, out, rows, n, inverse, table)

    monkeypatch.setattr(generated_fft, "_power_of_two", power_of_two)
    check_fft(device, rng, (2, 97))  # padded to 256: filter spectrum, then two of the data
    assert built == [(1, 256), (2, 256), (2, 256)]
    built.clear()
    check_fft(device, rng, (3, 97))
    assert built == [(3, 256), (3, 256)]  # the filter's spectrum came from the cache
    check_fft(device, rng, (3, 97), inverse=True)  # the inverse has a filter of its own
    assert built[2] == (1, 256) and len(built) == 5
    # Twiddles of 256 are shared; one filter a direction.
    assert dc.algorithms.fft_plans_info()["entries"] == 3


def test_least_recently_used_tables_go_first(device, rng, no_plans, monkeypatch):
    monkeypatch.setattr(fft_plans, "PLAN_LIMIT", 3)
    for n in (8, 16, 32, 64):
        check_fft(device, rng, (2, n))
    assert dc.algorithms.fft_plans_info()["entries"] == 3
    spec = dc.get_device(device).spec
    kept = {key for key in fft_plans._plans}
    assert kept == {(spec, "twiddles", n, "float32") for n in (16, 32, 64)}
    check_fft(device, rng, (2, 16))  # used again: now the newest
    check_fft(device, rng, (2, 8))  # made again, pushing out 32
    assert {key[2] for key in fft_plans._plans} == {64, 16, 8}
    check_fft(device, rng, (5, 32))  # results stay right through evictions


def test_clear_lets_the_memory_go(device, rng, no_plans):
    check_fft(device, rng, (2, 4096))
    held = dc.algorithms.fft_plans_info()["bytes"]
    assert held == 2048 * 2 * 4
    in_use = dc.memory_stats(device)["in_use"]
    assert dc.algorithms.clear_fft_plans() == 1
    assert dc.memory_stats(device)["in_use"] <= in_use - held
    assert dc.algorithms.fft_plans_info() == {
        "entries": 0,
        "bytes": 0,
        "limit": fft_plans.PLAN_LIMIT,
    }
    check_fft(device, rng, (2, 4096))


def test_a_table_missing_inside_a_capture_is_made_for_that_graph_only(device, rng, no_plans):
    x = random_array(rng, (2, 256), "complex64")
    source = dc.asarray(x, device=device)
    with dc.algorithms.use_generated_kernels():
        dc.fft(source)  # compiles every kernel first (a capture runs nothing)
        dc.algorithms.clear_fft_plans()
        stream = dc.Stream(device)
        with dc.capture(stream) as graph:
            out = dc.fft(source)  # the pool may grow here (on CUDA too)
    assert dc.algorithms.fft_plans_info()["entries"] == 0
    graph.replay(stream)
    stream.synchronize()
    exact = np.fft.fft(x.astype(np.complex128))
    got = out.to("cpu").numpy()
    np.testing.assert_allclose(got, exact, rtol=0, atol=np.abs(exact).max() * 2e-6)


def test_a_table_made_on_one_stream_is_ready_on_another(device, rng, no_plans):
    # Both halves have one shape: PoCL 5.0 aborts when one kernel first runs on two queues
    # with different global sizes (docs/opencl.md, "Known driver problems").
    x = random_array(rng, (4, 1 << 14), "complex64")
    top, bottom = dc.asarray(x[:2], device=device), dc.asarray(x[2:], device=device)
    dc.current_stream(device).synchronize()  # the uploads ran on the default stream
    first, second = dc.Stream(device), dc.Stream(device)
    with dc.algorithms.use_generated_kernels():
        with first:
            dc.fft(top)  # makes the table on the first stream
        with second:
            out = dc.fft(bottom)  # reads it on the second
        second.synchronize()
    exact = np.fft.fft(x[2:].astype(np.complex128))
    np.testing.assert_allclose(
        out.to("cpu").numpy(), exact, rtol=0, atol=np.abs(exact).max() * 2e-6
    )
