# tests/test_cpu_threads.py
# The CPU thread pool's placement of its workers (Note [Worker CPUs] in cpp/core/thread_pool.cpp).
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or not sys.platform.startswith("linux"),
    reason="worker pinning uses Linux affinity masks",
)

# Starts the CPU pool with a large sum (its result checked against numpy), optionally pins the
# calling thread to the CPU a worker holds and sums again, then prints every thread's affinity.
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

host = np.random.default_rng(5).random(3_000_001, dtype=np.float32)
x = dc.asarray(host, device="cpu")
np.testing.assert_allclose(dc.sum(x).item(), host.sum(dtype=np.float64), rtol=1e-6)
before = {tid: cpus(mask) for tid, mask in affinities().items()}
moved_from = None
if sys.argv[1] == "crowd":
    pinned = [mask[0] for tid, mask in before.items() if len(mask) == 1 and tid != os.getpid()]
    moved_from = pinned[0]
    os.sched_setaffinity(0, {moved_from})  # this thread only, on Linux
    for _ in range(20):
        np.testing.assert_allclose(dc.sum(x).item(), host.sum(dtype=np.float64), rtol=1e-6)
after = {tid: cpus(mask) for tid, mask in affinities().items()}
print(json.dumps({"main": os.getpid(), "process": sorted(os.sched_getaffinity(0)),
                  "before": before, "after": after, "moved_from": moved_from}))
"""


def probe(mode: str, **environment: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PLACEMENT_PROBE, mode],
        env=dict(os.environ, **environment), capture_output=True, text=True, check=True,
        timeout=120,
    )  # fmt: skip
    return json.loads(completed.stdout)


def single_cpu_threads(affinities: dict, main: int) -> dict[int, int]:
    """The threads other than the main one whose mask holds one CPU: the pinned workers."""
    return {int(t): mask[0] for t, mask in affinities.items() if len(mask) == 1 and int(t) != main}


CPU_COUNT = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
needs_two_cpus = pytest.mark.skipif(CPU_COUNT < 2, reason="a pool of one thread has no workers")


@needs_two_cpus
def test_each_worker_is_pinned_to_a_cpu_of_its_own():
    result = probe("plain", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT), DOTCOMPUTE_PIN_THREADS="1")
    workers = single_cpu_threads(result["before"], result["main"])
    assert len(workers) == CPU_COUNT - 1
    assert len(set(workers.values())) == len(workers)
    assert set(workers.values()) <= set(result["process"])
    assert result["before"][str(result["main"])] == result["process"]  # the caller is left alone


@needs_two_cpus
def test_a_worker_leaves_the_cpu_the_caller_runs_on():
    result = probe("crowd", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT), DOTCOMPUTE_PIN_THREADS="1")
    crowded = result["moved_from"]
    workers_before = single_cpu_threads(result["before"], result["main"])
    workers_after = single_cpu_threads(result["after"], result["main"])
    assert set(workers_after) == set(workers_before)
    assert crowded not in workers_after.values()
    assert len(set(workers_after.values())) == len(workers_after)


@needs_two_cpus
def test_pinning_can_be_turned_off():
    result = probe("plain", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT), DOTCOMPUTE_PIN_THREADS="0")
    assert single_cpu_threads(result["before"], result["main"]) == {}


def test_more_threads_than_cpus_are_not_pinned():
    result = probe("plain", DOTCOMPUTE_NUM_THREADS=str(CPU_COUNT + 2), DOTCOMPUTE_PIN_THREADS="1")
    assert single_cpu_threads(result["before"], result["main"]) == {}
