# bench/compare_pipeline.py
# Pipeline executor benchmarks: fusion, per-stage overhead, graph replay (issue 6's targets).
"""Pipeline benchmarks, each against its peer measured in the same run.

    python bench/compare_pipeline.py [--repeats N] [--quick]
    python bench/compare_pipeline.py --device cuda:0

Rows on the CPU:
- fusion: a 4-stage elementwise pipeline over 16M float32 (scale, shift, square, clamp) run
  fused, unfused, and as one hand-written kernel doing the same work (targets: fused >= 2.5x
  faster than unfused, within 1.2x of the hand-written kernel);
- executor overhead: a 100-stage chain of trivial host stages, per stage (target < 5 us), next
  to the same 100 calls made by a plain Python loop;
- buffer reuse: an 8-stage chain of kernel stages over 4M float32, peak pool memory and time
  with and without reuse of intermediates;
- graph replay: a 50-kernel pipeline replayed as one captured graph against the same pipeline
  launched stage by stage, per kernel (target on the GPU: <= 3 us per kernel).

``--device cuda:0`` runs the graph-replay row (and fusion) on that device; the CPU runs the same
code path with the core's recorded graphs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))  # shared with asv

import numpy as np
from pipeline_kernels import all_four, four_stage_pipeline, host_chain, kernel_chain
from timing import format_time, restart_without_slow_openblas_settings

import dotcompute as dc


def best_of_alternating(functions: dict, repeats: int, calls: int) -> dict:
    """Median seconds per call of each function, rounds alternating between them."""
    samples: dict = {name: [] for name in functions}
    for function in functions.values():
        function()  # warm up (compile, first allocations)
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            for _ in range(calls):
                function()
            samples[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def fusion_row(device: str, count: int, repeats: int) -> None:
    rng = np.random.default_rng(6)
    x_host = rng.uniform(-2, 2, count).astype(np.float32)
    x = dc.asarray(x_host, device=device)
    out = dc.empty(count, "float32", device=device)
    fused, unfused = four_stage_pipeline(True, device), four_stage_pipeline(False, device)
    context = {"x": x}
    squared = ((x_host * np.float32(1.5)) - np.float32(0.25)) ** 2
    expected = np.where(squared < np.float32(2.0), squared, np.float32(2.0))
    for pipe in (fused, unfused):
        np.testing.assert_allclose(pipe.run(context).outputs["clamp"].numpy(), expected, rtol=1e-6)
    all_four[count](x, out, 1.5, -0.25, 2.0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert fused.fusion_report == {"scale+shift+square+clamp": "fused"}, fused.fusion_report

    def hand_written():
        all_four[count](x, out, 1.5, -0.25, 2.0)
        dc.synchronize(device)

    times = best_of_alternating(
        {
            "fused": lambda: fused.run(context),
            "unfused": lambda: unfused.run(context),
            "hand-written": hand_written,
        },
        repeats,
        calls=3,
    )
    print(f"fusion: 4-stage elementwise pipeline, {count} float32 on {device}")
    for name, seconds in times.items():
        print(f"  {name:<14} {format_time(seconds)}")
    speedup = times["unfused"] / times["fused"]
    versus = times["fused"] / times["hand-written"]
    print(f"  fused is {speedup:.2f}x faster than unfused (target >= 2.5x)")
    print(f"  fused takes {versus:.2f}x the hand-written kernel's time (target <= 1.2x)")


def overhead_row(stages: int, repeats: int) -> None:
    pipe = host_chain(stages)
    functions = [lambda ctx: 0 for _ in range(stages)]

    def plain_loop():
        values = {}
        for i, function in enumerate(functions):
            values[i] = function(values)

    times = best_of_alternating(
        {"pipeline": pipe.run, "python loop": plain_loop}, repeats, calls=200
    )
    per_stage = times["pipeline"] / stages
    print(f"executor overhead: {stages}-stage chain of trivial host stages")
    print(
        f"  pipeline.run   {format_time(times['pipeline'])} per run, "
        f"{per_stage * 1e6:.2f} us per stage (target < 5 us)"
    )
    print(
        f"  python loop    {format_time(times['python loop'])} per run "
        f"(the same calls without the executor)"
    )


def reuse_row(device: str, stages: int, count: int, repeats: int) -> None:
    """Time (alternating rounds) and memory allocated per run of a chain of kernel stages, with
    and without buffer reuse."""
    x = dc.asarray(np.random.default_rng(7).random(count, dtype=np.float32), device=device)
    context = {"x": x}
    pipes = {
        "without": kernel_chain(stages, device, reuse_buffers=False, graphs=False),
        "with reuse": kernel_chain(stages, device, reuse_buffers=True, graphs=False),
    }
    allocated = {}
    for name, pipe in pipes.items():
        pipe.run(context)  # the first run fills the pipeline's pool
        dc.reset_peak_memory_stats(device)
        before = dc.memory_stats(device)["in_use"]
        pipe.run(context)
        allocated[name] = dc.memory_stats(device)["peak_in_use"] - before
    times = best_of_alternating(
        {name: (lambda pipe=pipe: pipe.run(context)) for name, pipe in pipes.items()}, repeats, 2
    )
    print(f"buffer reuse: {stages}-stage kernel chain over {count} float32 on {device}")
    for name in pipes:
        print(
            f"  {name:<14} {format_time(times[name])} per run, "
            f"{allocated[name] / 2**20:7.1f} MiB allocated during a run (after the first)"
        )


def graph_row(device: str, kernels: int, count: int, repeats: int) -> None:
    def chain(graphs: bool):
        return kernel_chain(kernels, device, reuse_buffers=not graphs, graphs=graphs)

    x = dc.asarray(np.random.default_rng(5).random(count, dtype=np.float32), device=device)
    replayed, staged = chain(True), chain(False)
    context = {"x": x}
    expected = x.numpy() + np.float32(kernels)
    last = f"k{kernels - 1}"
    for pipe in (replayed, staged):
        np.testing.assert_allclose(pipe.run(context).outputs[last].numpy(), expected, rtol=1e-5)
    times = best_of_alternating(
        {
            "graph replay": lambda: replayed.run(context),
            "stage by stage": lambda: staged.run(context),
        },
        repeats,
        calls=20,
    )
    print(f"graph replay: {kernels}-kernel pipeline over {count} float32 on {device}")
    for name, seconds in times.items():
        print(
            f"  {name:<15} {format_time(seconds)} per run, "
            f"{seconds / kernels * 1e6:.2f} us per kernel"
        )
    print("  (target on the GPU: graph replay <= 3 us per kernel)")


def main() -> None:
    restart_without_slow_openblas_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    options = parser.parse_args()
    repeats = 2 if options.quick else options.repeats
    count = 1 << 16 if options.quick else 16 * 1024 * 1024
    fusion_row(options.device, count, repeats)
    if options.device == "cpu":
        overhead_row(100, repeats)
    reuse_row(options.device, 8, count // 4, repeats)
    graph_row(options.device, 50, 1024, repeats)


if __name__ == "__main__":
    main()
