# examples/pipeline.py
# The seed's four-stage pipeline: DataLoad -> Preprocess -> Compute (parallel) -> PostProcess.
"""A four-stage pipeline over the C++ executor.

    python examples/pipeline.py [--device cpu] [--size 1000003] [--trace trace.json]

DataLoad makes a signal; Preprocess normalizes it (statistics on the host, then a kernel);
Compute and Clip are two kernel stages over the normalized signal, independent, so they run
concurrently on streams of their own; PostProcess reduces both. The run's metrics are printed.
"""

from __future__ import annotations

import argparse

import numpy as np

import dotcompute as dc
from dotcompute.pipeline import KernelStage, Output


@dc.kernel
def normalize(
    x: dc.Array[dc.float32], out: dc.Array[dc.float32], mean: dc.float32, inverse_std: dc.float32
):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = (x[i] - mean) * inverse_std


@dc.kernel
def energy(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * x[i]


@dc.kernel
def clipped(x: dc.Array[dc.float32], out: dc.Array[dc.float32], limit: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = dc.fmax(dc.fmin(x[i], limit), -limit)


def data_load(ctx):
    rng = np.random.default_rng(ctx["seed"])
    signal = rng.normal(3.0, 2.0, ctx["size"]).astype(np.float32)
    return dc.asarray(signal, device=ctx["device"])


def preprocess(ctx):
    """Normalizes the signal to mean 0 and standard deviation 1 (statistics on the host)."""
    signal = ctx["DataLoad"]
    host = signal.numpy()
    out = dc.empty(signal.shape, "float32", device=signal.device)
    normalize[signal.shape[0]](signal, out, float(host.mean()), float(1.0 / host.std()))
    return out


def post_process(ctx):
    return {
        "mean_energy": float(dc.sum(ctx["Compute"])) / ctx["size"],
        "clipped_sum": float(dc.sum(ctx["Clip"])),
    }


def build_pipeline(device: str):
    return (
        dc.PipelineBuilder("seed example")
        .add_stage("DataLoad", data_load)
        .add_stage("Preprocess", preprocess)
        .depends_on("DataLoad")
        .add_stage("Compute", KernelStage(energy, "Preprocess", Output(), device=device))
        .depends_on("Preprocess")
        .parallel(True)
        .add_stage("Clip", KernelStage(clipped, "Preprocess", Output(), 1.5, device=device))
        .depends_on("Preprocess")
        .parallel(True)
        .add_stage("PostProcess", post_process)
        .depends_on("Compute", "Clip")
        .with_error_handling(dc.ErrorStrategy.CONTINUE_ON_ERROR)
        .with_optimization(reuse_buffers=True)
        .build()
    )


def run(device: str = "cpu", size: int = 1_000_003, seed: int = 6, trace: str | None = None):
    """Builds and runs the pipeline; returns its PipelineResult."""
    result = build_pipeline(device).run({"size": size, "seed": seed, "device": device})
    if trace:
        result.save_trace(trace)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=1_000_003)
    parser.add_argument("--trace", default=None, help="write a Chrome trace JSON file")
    options = parser.parse_args()
    result = run(options.device, options.size, trace=options.trace)
    print(result.outputs["PostProcess"])
    print(result.metrics)


if __name__ == "__main__":
    main()
