# tests/test_backend_caches.py
# Unload and reload after the library cached device objects (Note [Cached device objects]):
# loaded kernel modules, kernels' launch plans and the FFT's tables must not keep a plugin open.
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc
    import sys

    import numpy as np

    import dotcompute as dc

    SPEC = sys.argv[1]
    BACKEND = dc.get_device(SPEC).backend


    @dc.kernel
    def twice(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
        i = dc.global_id(0)
        if i < out.shape[0]:
            out[i] = 2.0 * x[i]


    def work():
        rng = np.random.default_rng(7)
        values = rng.standard_normal((3, 97)) + 1j * rng.standard_normal((3, 97))
        signal = dc.asarray(values.astype(np.complex64), device=SPEC)
        x = dc.asarray(rng.standard_normal(1001).astype(np.float32), device=SPEC)
        out = dc.empty((1001,), dtype="float32", device=SPEC)
        twice[1001](x, out)
        with dc.algorithms.use_generated_kernels():
            spectrum = dc.fft(signal).to("cpu").numpy()
            columns = dc.sum(dc.asarray(values.real.copy(), device=SPEC), axis=0)
        ok = np.allclose(spectrum, np.fft.fft(values), atol=1e-3)
        ok = ok and np.allclose(out.to("cpu").numpy(), 2.0 * x.to("cpu").numpy())
        return ok and np.allclose(columns.to("cpu").numpy(), values.real.sum(axis=0))


    def live():
        return [p.live_objects for p in dc.plugins.list() if p.name == BACKEND and not p.retiring]


    path = next(p.path for p in dc.plugins.list() if p.name == BACKEND)
    print("FIRST", work(), dc.algorithms.fft_plans_info()["entries"] > 0, live()[0] > 0)
    gc.collect()
    held = dc.zeros((3,), dtype="float32", device=SPEC)  # the user's objects still count
    try:
        dc.plugins.unload(BACKEND)
    except dc.PluginError as error:
        print("REFUSED", "1 buffer is still alive" in str(error))
    del held
    dc.plugins.unload(BACKEND)
    print("UNLOADED", BACKEND not in [p.name for p in dc.plugins.list()])
    dc.plugins.load(path)
    print("AGAIN", work())
    gc.collect()
    dc.plugins.reload(BACKEND)
    gc.collect()
    print("RELOADED", [p.retiring for p in dc.plugins.list() if p.name == BACKEND], work())
    """
)


def test_unload_and_reload_after_the_library_cached_objects(device, tmp_path):
    """The library's caches let go of a backend on unload (it used to be refused with "N modules
    are still alive") and on reload (the old version closes at once); work resumes after."""
    script = tmp_path / "unload_after_work.py"  # kernels are read from a file with inspect
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), device],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "FIRST True True True",
        "REFUSED True",
        "UNLOADED True",
        "AGAIN True",
        "RELOADED [False] True",
    ], result.stdout
