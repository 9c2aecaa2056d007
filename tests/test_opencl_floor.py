# tests/test_opencl_floor.py
# bench/opencl_floor.c (the driver's floor for launch + finish) builds, finds the device the way
# dotcompute numbers it, and its launches complete with sane profiled phases.
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

import dotcompute as dc

BENCH = Path(__file__).resolve().parents[1] / "bench"
OPENCL_DEVICES = [d for d in dc.devices() if d.backend == "opencl"]

pytestmark = [
    pytest.mark.skipif(not OPENCL_DEVICES, reason="no OpenCL device (install pocl-opencl-icd)"),
    pytest.mark.skipif(
        not any(shutil.which(c) for c in ("cc", "gcc", "clang")), reason="no C compiler"
    ),
]


@pytest.fixture(scope="module")
def floor():
    spec = importlib.util.spec_from_file_location("opencl_floor", BENCH / "opencl_floor.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_floor_library_launches_complete(floor, tmp_path):
    library = floor.build_floor_library(str(tmp_path))
    assert library.floor_init(int(OPENCL_DEVICES[0].spec.split(":")[1])) == 0
    for _ in range(7):
        assert library.floor_poll() == 0  # CL_COMPLETE
        assert library.floor_poll_wide() == 0
        assert library.floor_finish() == 0
        assert library.floor_enqueue() == 0
        assert library.floor_enqueue_wide() == 0
    assert library.floor_wait() == 0


def test_floor_library_refuses_a_device_that_does_not_exist(floor, tmp_path):
    library = floor.build_floor_library(str(tmp_path))
    assert library.floor_init(len(OPENCL_DEVICES) + 3) == -103


@pytest.mark.parametrize("use_finish", [False, True])
def test_floor_phases_are_consistent(floor, tmp_path, use_finish):
    library = floor.build_floor_library(str(tmp_path))
    assert library.floor_init(int(OPENCL_DEVICES[0].spec.split(":")[1])) == 0
    medians = floor.phase_medians(library, use_finish, 9)
    assert len(medians) == len(floor.PHASES)
    enqueue_call, queued_to_submit, submit_to_start, start_to_end, _ = medians
    assert enqueue_call > 0
    assert min(queued_to_submit, submit_to_start, start_to_end) >= 0
