# tests/test_opencl_unavailable.py
# Without an ICD loader, or with a loader that finds no platform, the opencl backend is not
# loaded and says why (these run on every machine: they hide OpenCL rather than need it).
from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHILD = (
    "import dotcompute as dc\n"
    "print([d.backend for d in dc.devices()])\n"
    "print(next(r.reason for r in dc.plugins.rejected() if r.name == 'opencl'))\n"
)


def _rejection(environment: dict) -> tuple[str, str]:
    # OCL_ICD_FILENAMES names drivers for the loader to open besides those in OCL_ICD_VENDORS
    # (the GPU host sets it to PoCL and NVIDIA's): it would bring platforms back.
    inherited = {k: v for k, v in os.environ.items() if k != "OCL_ICD_FILENAMES"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    backends, reason = done.stdout.strip().splitlines()[-2:]
    return backends, reason


def test_missing_icd_loader_is_reported():
    backends, reason = _rejection({"DOTCOMPUTE_OPENCL_LIBRARY": "/nonexistent/libOpenCL.so.1"})
    assert "opencl" not in backends
    assert "no OpenCL ICD loader" in reason and "ocl-icd-libopencl1" in reason


@pytest.mark.skipif(sys.platform != "linux", reason="OCL_ICD_VENDORS is the Linux ICD loader's")
def test_loader_without_platform_is_reported(tmp_path):
    backends, reason = _rejection({"OCL_ICD_VENDORS": str(tmp_path)})
    assert "opencl" not in backends
    assert "no OpenCL platform" in reason or "no OpenCL ICD loader" in reason
