# bench/benchmarks/pipeline_kernels.py
# Kernels and pipelines of the pipeline benchmarks, shared by the asv suite and compare_pipeline.
from __future__ import annotations

import dotcompute as dc
from dotcompute.pipeline import KernelStage, Output


@dc.kernel
def scale(x: dc.Array[dc.float32], out: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * factor


@dc.kernel
def shift(x: dc.Array[dc.float32], out: dc.Array[dc.float32], offset: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] + offset


@dc.kernel
def square(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * x[i]


@dc.kernel
def clamp(x: dc.Array[dc.float32], out: dc.Array[dc.float32], limit: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        value = x[i]
        out[i] = value if value < limit else limit  # a select: vectorizes, unlike fminf


@dc.kernel
def all_four(
    x: dc.Array[dc.float32],
    out: dc.Array[dc.float32],
    factor: dc.float32,
    offset: dc.float32,
    limit: dc.float32,
):
    i = dc.global_id(0)
    if i < out.shape[0]:
        shifted = x[i] * factor + offset
        squared = shifted * shifted
        out[i] = squared if squared < limit else limit


@dc.kernel
def increment(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] + 1.0


def four_stage_pipeline(fuse: bool, device: str):
    return (
        dc.PipelineBuilder("four stages")
        .add_stage("scale", KernelStage(scale, "x", Output(), 1.5, device=device))
        .add_stage("shift", KernelStage(shift, "scale", Output(), -0.25, device=device))
        .depends_on("scale")
        .add_stage("square", KernelStage(square, "shift", Output(), device=device))
        .depends_on("shift")
        .add_stage("clamp", KernelStage(clamp, "square", Output(), 2.0, device=device))
        .depends_on("square")
        .with_optimization(fuse=fuse, reuse_buffers=True)
        .build()
    )


def kernel_chain(kernels: int, device: str, *, reuse_buffers: bool, graphs: bool):
    """x -> increment -> increment -> ... (kernels stages), every stage one small kernel."""
    builder = dc.PipelineBuilder(f"{kernels} kernels")
    builder.add_stage("k0", KernelStage(increment, "x", Output(), device=device))
    for i in range(1, kernels):
        builder.add_stage(f"k{i}", KernelStage(increment, f"k{i - 1}", Output(), device=device))
        builder.depends_on(f"k{i - 1}")
    return builder.with_optimization(reuse_buffers=reuse_buffers, graphs=graphs).build()


def host_chain(stages: int):
    """stages trivial host stages, each depending on the one before."""
    builder = dc.PipelineBuilder("host chain")
    builder.add_stage("s0", lambda ctx: 0)
    for i in range(1, stages):
        builder.add_stage(f"s{i}", lambda ctx: 0).depends_on(f"s{i - 1}")
    return builder.build()
