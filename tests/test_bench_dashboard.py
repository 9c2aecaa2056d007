# tests/test_bench_dashboard.py
# The asv suite end to end: a quick run of a few benchmarks, `asv publish`, the dashboard in
# headless Chromium with its graphs drawn.
from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dotcompute.kernel import cache

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# Small and quick, but on every device: the built-in add of 1M float32, ours and numpy's.
BENCHMARK = "bench_builtins.Add.time_dotcompute"
SELECTION = r"^bench_builtins\.Add\."
MACHINE = "dotcompute-dashboard-test"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("asv") is None,
        reason="asv is not installed (pip install 'dotcompute[bench]'; .ci/run does)",
    ),
    pytest.mark.skipif(
        not (ROOT / ".git").exists(), reason="asv needs the git checkout of the project"
    ),
]


def _offline_dashboard():
    path = BENCH / "offline_dashboard.py"
    spec = importlib.util.spec_from_file_location("offline_dashboard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _asv(config: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment["HOME"] = str(home)  # asv keeps its machine file in ~/.asv-machine.json
    environment["DOTCOMPUTE_CACHE_DIR"] = str(cache.cache_dir())  # keep compiled kernels
    return subprocess.run(
        [sys.executable, "-m", "asv", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A quick `asv run --python=same` of SELECTION on this checkout's HEAD, then `asv publish`,
    made offline (CI has no internet for the dashboard's CDN scripts); the html directory."""
    offline = _offline_dashboard()
    missing = offline.missing_libraries()
    if missing:
        pytest.skip(f"{missing[0]} missing: apt-get install {offline.DEBIAN_PACKAGES}")
    work = tmp_path_factory.mktemp("asv")
    (work / "home").mkdir()
    config = work / "asv.conf.json"
    config.write_text(
        json.dumps(
            {
                "version": 1,
                "project": "dotcompute",
                "repo": str(ROOT),
                "branches": ["HEAD"],  # whatever is checked out, a branch or detached
                "environment_type": "existing",
                "benchmark_dir": str(BENCH / "benchmarks"),
                "env_dir": str(work / "env"),
                "results_dir": str(work / "results"),
                "html_dir": str(work / "html"),
            }
        )
    )
    machine = _asv(config, work / "home", "machine", "--machine", MACHINE, "--yes")
    assert machine.returncode == 0, machine.stdout + machine.stderr
    # Results of an "existing" environment are saved only under an explicit commit.
    run = _asv(
        config,
        work / "home",
        "run",
        "--python=same",
        "--quick",
        "--bench",
        SELECTION,
        "--machine",
        MACHINE,
        "--set-commit-hash",
        _git("rev-parse", "HEAD"),
        "--show-stderr",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "failed" not in run.stdout.lower(), run.stdout
    publish = _asv(config, work / "home", "publish")
    assert publish.returncode == 0, publish.stdout + publish.stderr
    html = work / "html"
    offline.make_offline(html)
    return html


def _measured_seconds(html: Path, benchmark: str) -> list[float]:
    """The figures the dashboard plots for benchmark (one per device), from its graph data."""
    graphs = list((html / "graphs").rglob(f"{benchmark}.json"))
    assert graphs, f"asv publish wrote no graph data for {benchmark}"
    values = []
    for graph in graphs:
        for _commit, value in json.loads(graph.read_text()):
            values += [v for v in (value if isinstance(value, list) else [value]) if v]
    return values


def _render(html: Path, fragment: str, tmp_path: Path) -> str:
    """The DOM of html/index.html#fragment after its scripts ran, from headless Chromium over
    a local HTTP server (the dashboard loads its data with XHR, which file:// URLs refuse)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html#{fragment}"
        result = subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                f"--user-data-dir={tmp_path / 'chromium-profile'}",
                "--window-size=1200,800",
                "--virtual-time-budget=20000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


_UNITS = {"seconds": 1.0, "milliseconds": 1e-3, "microseconds": 1e-6, "nanoseconds": 1e-9}


def test_benchmark_graph_renders_with_its_data(published, tmp_path):
    dom = _render(published, BENCHMARK, tmp_path)
    assert "can not determine continental origin" not in dom.lower(), "scripts failed to load"
    assert re.search(r'<canvas class="flot-base"', dom), "no plot canvas in the graph page"
    unit = re.search(r'class="y1Label axisLabels"[^>]*>(\w+)<', dom)
    assert unit and unit.group(1) in _UNITS, "no unit label on the y axis"
    ticks = [
        float(label)
        for label in re.findall(r'class="flot-tick-label tickLabel"[^>]*>([-0-9.e+]+)<', dom)
    ]
    assert len(ticks) >= 3, "no y axis ticks: the graph was not drawn"
    # The axis was scaled to the data: its top tick covers the largest figure measured.
    largest = max(_measured_seconds(published, BENCHMARK)) / _UNITS[unit.group(1)]
    assert max(ticks) >= largest > 0


def test_summary_grid_lists_the_measured_benchmarks(published, tmp_path):
    dom = _render(published, "", tmp_path)
    for name in ("Add.time_dotcompute", "Add.time_numpy"):
        assert f'href="#bench_builtins.{name}"' in dom
    assert 'class="benchmark-plot"' in dom
