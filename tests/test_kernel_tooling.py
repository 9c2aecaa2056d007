# tests/test_kernel_tooling.py
# `python -m dotcompute check FILE` and `compile FILE`: diagnostics, exit codes, cache filling.
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

GOOD_AND_BAD = textwrap.dedent(
    """
    import dotcompute as dc

    TILE = 16


    @dc.kernel
    def scale(x: dc.Array[dc.float32]):
        i = dc.global_id(0)
        if i < x.shape[0]:
            x[i] = x[i] * TILE


    @dc.kernel
    def uses_a_list(x: dc.Array[dc.float32]):
        values = [1, 2, 3]
        x[0] = values[0]


    @dc.kernel
    def mixes_signedness(x: dc.Array[dc.int32], y: dc.Array[dc.uint32]):
        i = dc.global_id(0)
        x[i] = x[i] + y[i]


    @dc.kernel
    def increment(x: dc.Array):
        i = dc.global_id(0)
        if i < x.shape[0]:
            x[i] = x[i] + 1


    if __name__ == "__main__":
        raise SystemExit("the checked file's main block must not run")
    """
)

ONLY_GOOD = textwrap.dedent(
    """
    import dotcompute as dc


    @dc.kernel
    def scale(x: dc.Array[dc.float32]):
        i = dc.global_id(0)
        if i < x.shape[0]:
            x[i] = x[i] * 2.0


    @dc.kernel
    def increment(x: dc.Array):
        i = dc.global_id(0)
        if i < x.shape[0]:
            x[i] = x[i] + 1
    """
)


def run_cli(*args: str, cache_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOTCOMPUTE_CACHE_DIR=str(cache_dir))
    return subprocess.run(
        [sys.executable, "-m", "dotcompute", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_check_reports_every_broken_kernel_with_its_location(tmp_path):
    source = tmp_path / "kernels.py"
    source.write_text(GOOD_AND_BAD)
    result = run_cli("check", str(source), cache_dir=tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{source}:16:" in result.stdout and "lists are not supported" in result.stdout
    assert f"{source}:23:" in result.stdout and "cast one operand" in result.stdout
    assert "increment is generic: pass --dtypes" in result.stdout
    assert "2 error(s)" in result.stdout
    assert "must not run" not in result.stdout + result.stderr
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.so"))


def test_check_of_a_clean_file_exits_zero(tmp_path):
    source = tmp_path / "clean.py"
    source.write_text(ONLY_GOOD)
    result = run_cli("check", str(source), cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kernel(s) checked, 0 error(s)" in result.stdout


def test_compile_fills_the_cache_for_typed_and_requested_generic_kernels(tmp_path):
    source = tmp_path / "clean.py"
    source.write_text(ONLY_GOOD)
    cache = tmp_path / "cache"
    result = run_cli("compile", str(source), "--dtypes", "float32,int32", cache_dir=cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kernel(s) compiled for cpu, 0 error(s)" in result.stdout
    # scale once, increment for float32 and for int32
    assert len(list(cache.rglob("*.so"))) == 3
    again = run_cli("compile", str(source), "--dtypes", "float32,int32", cache_dir=cache)
    assert again.returncode == 0 and len(list(cache.rglob("*.so"))) == 3
