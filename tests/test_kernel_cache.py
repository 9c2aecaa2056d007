# tests/test_kernel_cache.py
# The kernel cache end to end: @dc.kernel files compiled by fresh processes, shared disk entries.
"""Each test writes a kernel module into a temporary directory and runs it in fresh Python
processes with ``DOTCOMPUTE_CACHE_DIR`` pointing at an empty cache: two processes compiling the
same kernel at the same moment, a later process loading the entry instead of compiling, and an
edited kernel getting an entry of its own. (test_kernel_runtime.py covers the same cache with
hand-written C; here the source comes from the frontend and the generator.)"""

import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

import dotcompute as dc
from dotcompute.kernel import cache

KERNEL_MODULE = """\
# A kernel for the cache tests.
import dotcompute as dc

FACTOR = {factor}


@dc.kernel
def scale(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * FACTOR + 1.0
"""

# argv: kernel file, the time.time() at which to launch, FACTOR. Prints one JSON line.
RUNNER = """
import importlib.util, json, sys, time
import numpy as np
import dotcompute as dc
from dotcompute.kernel import cache

path, start_at, factor = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
spec = importlib.util.spec_from_file_location("cached_kernel", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
while time.time() < start_at:
    pass
x = np.arange(70_001, dtype=np.float32) / 8  # exact products: results compare exactly
out = dc.zeros(70_001, "float32")
module.scale[70_001](dc.asarray(x), out)
expected = x * np.float32(factor) + np.float32(1)
info = cache.cache_info()
print(json.dumps({
    "correct": bool(np.array_equal(out.numpy(), expected)),
    "compiles": info["compiles"],
    "disk_hits": info["disk_hits"],
}))
"""


def write_kernel(path, factor: int) -> None:
    path.write_text(KERNEL_MODULE.format(factor=factor))


def start(kernel_file, cache_directory, factor: int, start_at: float) -> subprocess.Popen:
    environment = {**os.environ, "DOTCOMPUTE_CACHE_DIR": str(cache_directory)}
    environment.pop("DOTCOMPUTE_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(kernel_file), str(start_at), str(factor)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def finish(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return json.loads(stdout.strip().splitlines()[-1])


def run_once(kernel_file, cache_directory, factor: int) -> dict:
    return finish(start(kernel_file, cache_directory, factor, time.time()))


def cache_entries(cache_directory) -> list[str]:
    """Every file in the CPU cache directory (entries and any temporary files left over)."""
    return sorted(p.name for p in (cache_directory / "cpu").iterdir())


def test_two_processes_compile_the_same_kernel_at_once(tmp_path):
    kernel_file, cache_directory = tmp_path / "scaled.py", tmp_path / "cache"
    write_kernel(kernel_file, 3)
    start_at = time.time() + 1.5  # both have imported dotcompute by then
    processes = [start(kernel_file, cache_directory, 3, start_at) for _ in range(2)]
    results = [finish(process) for process in processes]
    assert all(result["correct"] for result in results), results
    assert sum(result["compiles"] for result in results) >= 1
    entries = cache_entries(cache_directory)
    assert len(entries) == 1 and entries[0].endswith(".so"), entries  # no temporary files left


def test_a_fresh_process_loads_the_entry_and_an_edited_kernel_gets_a_new_one(tmp_path):
    kernel_file, cache_directory = tmp_path / "scaled.py", tmp_path / "cache"
    write_kernel(kernel_file, 3)
    first = run_once(kernel_file, cache_directory, 3)
    assert first["correct"] and first["compiles"] == 1
    entries = cache_entries(cache_directory)

    again = run_once(kernel_file, cache_directory, 3)
    assert again["correct"] and again["compiles"] == 0 and again["disk_hits"] >= 1
    assert cache_entries(cache_directory) == entries

    write_kernel(kernel_file, 5)  # a module constant folded into the source changes the key
    edited = run_once(kernel_file, cache_directory, 5)
    assert edited["correct"] and edited["compiles"] == 1
    assert len(cache_entries(cache_directory)) == 2
    assert set(entries) < set(cache_entries(cache_directory))


def test_cache_directory_is_read_at_launch(tmp_path, monkeypatch):
    # DOTCOMPUTE_CACHE_DIR is looked up when a kernel is compiled, not when dotcompute is imported.
    kernel_file, cache_directory = tmp_path / "scaled_in_process.py", tmp_path / "cache"
    write_kernel(kernel_file, 7)
    monkeypatch.setenv("DOTCOMPUTE_CACHE_DIR", str(cache_directory))
    spec = importlib.util.spec_from_file_location("scaled_in_process", kernel_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = np.arange(1001, dtype=np.float32) / 8
    out = dc.zeros(1001, "float32")
    module.scale[1001](dc.asarray(x), out)
    np.testing.assert_array_equal(out.numpy(), x * np.float32(7) + np.float32(1))
    assert len(cache_entries(cache_directory)) == 1
    assert cache.cache_info()["directory"] == str(cache_directory)
