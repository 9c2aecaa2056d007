# tests/test_cli.py
# The command-line interface: devices, plugins and demo, run as a user would.
from __future__ import annotations

import json
import subprocess
import sys

import dotcompute as dc


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dotcompute", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def devices_seen_by_a_fresh_process() -> list[str]:
    # Not this process's dc.devices(): a GPU whose OpenCL device this process holds open may not
    # show in a second one (NVIDIA's OpenCL driver on an H100: the child lists no opencl:1 while
    # the parent has it open, in the default compute mode).
    listing = subprocess.run(
        [sys.executable, "-c", "import dotcompute as dc; print(*(d.spec for d in dc.devices()))"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return listing.stdout.split()


def test_devices_table_lists_every_device():
    result = run_cli("devices")
    assert result.returncode == 0, result.stderr
    expected = devices_seen_by_a_fresh_process()
    assert "cpu" in expected
    for spec in expected:
        assert spec in result.stdout
    assert "simd=" in result.stdout


def test_devices_json():
    result = run_cli("devices", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {d["spec"] for d in listed} == set(devices_seen_by_a_fresh_process())
    cpu = next(d for d in listed if d["spec"] == "cpu")
    assert cpu["capabilities"]["simd"] in {"avx512", "avx2", "sse4", "neon", "scalar"}


def test_plugins_lists_loaded_and_rejected():
    result = run_cli("plugins", "--digests")
    assert result.returncode == 0, result.stderr
    assert "Loaded plugins:" in result.stdout and "cpu" in result.stdout
    assert "Rejected plugins" in result.stdout
    cpu = next(p for p in dc.plugins.list() if p.name == "cpu")
    assert cpu.sha256 in result.stdout


def test_demo_checks_every_result_against_numpy():
    result = run_cli("demo", "--size", "100003", "--repeat", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all results match numpy" in result.stdout
    for operation in ("upload", "download", "add", "saxpy", "sum", "min", "max"):
        assert operation in result.stdout
    assert "MISMATCH" not in result.stdout


def test_unknown_device_in_demo_is_a_clear_message():
    result = run_cli("demo", "--device", "nosuch:3")
    assert result.returncode == 1
    assert "no device matches" in result.stdout


def test_console_script_entry_point_is_declared():
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("dotcompute") == "dotcompute.cli:main"
