# tests/test_cpu_threads.py
# The CPU thread pool keeps its workers off the caller's CPU (Note [Worker CPUs], thread_pool.cpp).
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or not sys.platform.startswith("linux"),
    reason="worker placement uses Linux affinity masks",
)

# Starts the CPU pool with a large sum (its result checked against numpy), optionally pins the
# calling thread to a CPU its workers may use and sums again, then prints every thread's affinity.
PLACEMENT_PROBE = """
import json, os, sys
import numpy as np, dotcompute as dc

def affinities():
    masks = {}
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/status") as status:
            for line in status:
                if line.startswith("Cpus_allowed_list:"):
                    masks[int(tid)] = line.split(":")[1].strip()
    return masks

def cpus(text):
    result = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        result.update(range(int(first), int(last or first) + 1))
    return sorted(result)

process = sorted(os.sched_getaffinity(0))  # before this thread's own is changed below
host = np.random.default_rng(5).random(3_000_001, dtype=np.float32)
x = dc.asarray(host, device="cpu")
np.testing.assert_allclose(dc.sum(x).item(), host.sum(dtype=np.float64), rtol=1e-6)
before = {tid: cpus(mask) for tid, mask in affinities().items()}
moved_from = None
if sys.argv[1] == "crowd":
    narrowed = [m for t, m in before.items() if m != process and t != os.getpid()]
    moved_from = narrowed[0][0]  # a CPU the workers use now
    os.sched_setaffinity(0, {moved_from})  # this thread only, on Linux
    for _ in range(20):
        np.testing.assert_allclose(dc.sum(x).item(), host.sum(dtype=np.float64), rtol=1e-6)
after = {tid: cpus(mask) for tid, mask in affinities().items()}
print(json.dumps({"main": os.getpid(), "process": process,
                  "before": before, "after": after, "moved_from": moved_from}))
"""


def probe(mode: str, **environment: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PLACEMENT_PROBE, mode],
        env=dict(os.environ, **environment), capture_output=True, text=True, check=True,
        timeout=120,
    )  # fmt: skip
    return json.loads(completed.stdout)


def narrowed_threads(result: dict, key: str) -> dict[int, list[int]]:
    """The threads other than the main one whose affinity is narrower than the process's: the
    workers that keep off the caller's CPU."""
    process, main = result["process"], result["main"]
    return {int(t): mask for t, mask in result[key].items() if mask != process and int(t) != main}


CPU_COUNT = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
needs_two_cpus = pytest.mark.skipif(CPU_COUNT < 2, reason="a pool of one thread has no workers")


@needs_two_cpus
def test_workers_keep_off_the_callers_cpu():
    result = probe("plain", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT), DOTCOMPUTE_PIN_THREADS="1")
    workers = narrowed_threads(result, "before")
    assert len(workers) == CPU_COUNT - 1
    for mask in workers.values():  # every CPU of the process but one, the same one for all
        assert len(mask) == CPU_COUNT - 1 and set(mask) < set(result["process"])
    assert len({tuple(mask) for mask in workers.values()}) == 1
    assert result["before"][str(result["main"])] == result["process"]  # the caller is left alone


@needs_two_cpus
def test_workers_follow_the_caller_to_another_cpu():
    result = probe("crowd", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT), DOTCOMPUTE_PIN_THREADS="1")
    caller_cpu = result["moved_from"]
    workers = narrowed_threads(result, "after")
    assert set(workers) == set(narrowed_threads(result, "before"))
    expected = sorted(set(result["process"]) - {caller_cpu})
    assert all(mask == expected for mask in workers.values())


@needs_two_cpus
def test_worker_affinity_can_be_left_alone():
    result = probe("plain", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT), DOTCOMPUTE_PIN_THREADS="0")
    assert narrowed_threads(result, "before") == {}


def test_more_threads_than_cpus_keep_their_affinity():
    result = probe("plain", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT + 2), DOTCOMPUTE_PIN_THREADS="1")
    assert narrowed_threads(result, "before") == {}
