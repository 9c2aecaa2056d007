# tests/test_cli_bench.py
# `python -m dotcompute bench`: the seed's table run as a user would, its JSON and PNG, and the
# short version on every device.
from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys

import pytest

import dotcompute as dc
from dotcompute import _bench, _bench_cases

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
SEED_OPERATIONS = ("vector_add", "matmul", "transfer_h2d", "fft")


@pytest.fixture(scope="module")
def cpu_bench(tmp_path_factory):
    """The quick bench on the CPU, in a fresh process, from a scratch directory (where the JSON
    goes by default); with --png when matplotlib is installed."""
    directory = tmp_path_factory.mktemp("bench")
    arguments = ["bench", "--device", "cpu", "--repeat", "2"]
    if HAS_MATPLOTLIB:
        arguments += ["--png", "chart.png"]
    result = subprocess.run(
        [sys.executable, "-m", "dotcompute", *arguments],
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=900,
        check=False,
    )
    return directory, result


@pytest.mark.slow
def test_bench_prints_the_checked_table_with_numpy_and_seed_figures(cpu_bench):
    directory, result = cpu_bench
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for column in ("dotcompute ms", "numpy ms", "vs numpy", "seed claim ms", "check"):
        assert column in out
    rows = [line.split() for line in out.splitlines() if line.startswith("cpu ")]
    assert len(rows) == len(_bench_cases.OPERATIONS)
    assert all(row[-1] == "ok" for row in rows), out
    for title, size in (("vector add", "1M"), ("matmul", "1024x1024"), ("FFT", "1M")):
        assert any(" ".join(row).startswith(f"cpu {title} {size}") for row in rows), out
    # The seed's CPU claims stand beside our figures: 2.4 / 145 / 890 / 78 ms.
    for claim in ("2.40", "145", "890", "78.0"):
        assert any(row[-2] == claim for row in rows), (claim, out)
    assert "every result matches numpy" in out
    assert f"figures saved to {directory / 'dotcompute-bench.json'}" in out


@pytest.mark.slow
def test_bench_progress_bar_goes_to_stderr(cpu_bench):
    _directory, result = cpu_bench
    steps = len(_bench_cases.OPERATIONS)
    assert f"] 0/{steps} cpu vector_add 1M" in result.stderr
    assert f"] {steps}/{steps} done" in result.stderr
    assert "] 0/" not in result.stdout


@pytest.mark.slow
def test_bench_json_holds_every_verified_figure(cpu_bench):
    directory, result = cpu_bench
    assert result.returncode == 0, result.stderr
    document = json.loads((directory / "dotcompute-bench.json").read_text())
    assert document["format"] == 1
    environment = document["environment"]
    assert environment["mode"] == "quick" and environment["repeat"] == 2
    assert environment["dotcompute"] == dc.__version__
    assert "cpu" in environment["devices"] and environment["numpy_blas"]
    assert document["seed_claims_seconds"] == _bench_cases.SEED_CLAIMS
    figures = {f["operation"]: f for f in document["figures"]}
    assert set(figures) == set(_bench_cases.OPERATIONS)
    for operation, figure in figures.items():
        assert figure["device"] == "cpu" and figure["verified"] is True
        assert 0 < figure["best_seconds"] <= figure["seconds"] < 60
        assert figure["numpy_seconds"] > 0 and figure["cupy_seconds"] is None
        expected_claim = _bench_cases.SEED_CLAIMS["cpu"].get(operation)
        assert figure["seed_seconds"] == expected_claim
    assert figures["transfer_h2d"]["size"] == "1 GiB"
    assert figures["matmul"]["error"] <= _bench_cases.MATMUL_TOLERANCE
    assert figures["fft"]["error"] <= _bench_cases.FFT_TOLERANCE


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed (the plot extra)")
def test_bench_png_chart(cpu_bench):
    import matplotlib.image

    directory, result = cpu_bench
    assert result.returncode == 0, result.stderr
    chart = directory / "chart.png"
    assert f"chart saved to {chart}" in result.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(chart)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::97]}) > 5  # bars drawn


@pytest.mark.slow
def test_short_table_on_every_device_matches_numpy(device):
    figures = _bench.run_table(dc, [dc.get_device(device)], "demo", repeat=2)
    assert [f.operation for f in figures] == list(_bench_cases.OPERATIONS)
    for figure in figures:
        assert figure.verified, figure
        assert figure.device == device and figure.seconds > 0 and figure.numpy_seconds > 0
    # Only the vector add has the seed's size in the short version, so only it has a claim.
    claims = _bench_cases.SEED_CLAIMS.get(dc.get_device(device).backend, {})
    assert figures[0].seed_seconds == claims.get("vector_add")
    assert all(f.seed_seconds is None for f in figures[1:])


def test_progress_lines_without_a_terminal():
    stream = io.StringIO()
    progress = _bench.Progress(4, stream)
    for label in ("a", "b", "c", "d"):
        progress.step(label)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[" + "." * 24 + "] 0/4 a"
    assert lines[2] == "[" + "#" * 12 + "." * 12 + "] 2/4 c"
    assert lines[-1] == "[" + "#" * 24 + "] 4/4 done"


def test_unknown_device_is_a_clear_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dotcompute", "bench", "--device", "nosuch:7"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "no device matches 'nosuch:7'" in result.stdout
    assert not (tmp_path / "dotcompute-bench.json").exists()


def test_zero_repeats_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dotcompute", "bench", "--repeat", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "--repeat 0: at least 1 timed sample is needed" in result.stderr


def test_transfers_that_cannot_fit_are_skipped_with_the_reason():
    cpu = dc.get_device("cpu")
    reason = _bench._memory_shortage(cpu, cpu.memory_total)
    assert reason is not None and "device memory" in reason
    assert _bench._memory_shortage(cpu, 1 << 20) is None
