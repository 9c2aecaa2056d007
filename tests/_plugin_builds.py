# tests/_plugin_builds.py
# Builds the small plugins of tests/plugins with CMake for test_plugins.py (tests only).
"""One ``test_backend.c`` compiled with different definitions gives one plugin per case."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dotcompute as dc

PLUGIN_SOURCE_DIR = Path(__file__).parent / "plugins"

#: Target names of tests/plugins/CMakeLists.txt; each builds ``<name>.so``.
CASES = (
    "good_v1",
    "good_v2",
    "wrong_abi_major",
    "no_entry_symbol",
    "probe_fails",
    "crash_in_init",
    "abort_in_init",
)


def build_test_plugins(build_dir: Path) -> dict[str, Path]:
    """Configures and builds every case into build_dir; returns case name -> plugin file."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise FileNotFoundError("cmake is not installed (pip install -e '.[test]')")
    configure = [
        cmake,
        "-S",
        str(PLUGIN_SOURCE_DIR),
        "-B",
        str(build_dir),
        f"-DDOTCOMPUTE_INCLUDE_DIR={dc.get_include()}",
        "-DCMAKE_BUILD_TYPE=Release",
    ]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    for command in (configure, [cmake, "--build", str(build_dir), "-j", "2"]):
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(
                f"building the test plugins failed: {' '.join(command)}\n"
                f"{completed.stdout}\n{completed.stderr}"
            )
    plugins = {case: build_dir / f"{case}.so" for case in CASES}
    missing = [str(path) for path in plugins.values() if not path.exists()]
    if missing:
        raise RuntimeError(f"the test plugin build did not produce {', '.join(missing)}")
    return plugins
