# bench/benchmarks/bench_fusion.py
# Pipeline fusion on every device: three elementwise kernel stages fused into one pass, or not.
"""Skipped (NotImplementedError in setup) where this build has no dc.PipelineBuilder."""

import dotcompute as dc

from .support import DEVICE_PARAM_NAMES, DEVICE_PARAMS, device_copy, prepared

COUNT = 1 << 22  # 4M float32: 16 MiB per intermediate, past the CPU caches


@dc.kernel
def scale_by(x: dc.Array[dc.float32], out: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * factor


@dc.kernel
def shift_by(x: dc.Array[dc.float32], out: dc.Array[dc.float32], offset: dc.float32):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] + offset


@dc.kernel
def squared(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * x[i]


def _three_stage_pipeline(fuse: bool, device: str):
    from dotcompute.pipeline import KernelStage, Output

    return (
        dc.PipelineBuilder("scale, shift, square")
        .add_stage("scale", KernelStage(scale_by, "x", Output(), 1.5, device=device))
        .add_stage("shift", KernelStage(shift_by, "scale", Output(), -0.25, device=device))
        .depends_on("scale")
        .add_stage("square", KernelStage(squared, "shift", Output(), device=device))
        .depends_on("shift")
        .with_optimization(fuse=fuse, reuse_buffers=True)
        .build()
    )


class PipelineFusion:
    """x -> scale -> shift -> square over 4M float32: one fused kernel against three launches."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        if not hasattr(dc, "PipelineBuilder"):
            raise NotImplementedError("this build of dotcompute has no dc.PipelineBuilder")
        self.device = dc.get_device(device)
        self.context = {"x": device_copy("a", (COUNT,), "float32", device)}
        self.fused = prepared(f"fused {device}", lambda: self._built(True, device))
        self.unfused = prepared(f"unfused {device}", lambda: self._built(False, device))

    def _built(self, fuse: bool, device: str):
        pipeline = _three_stage_pipeline(fuse, device)
        pipeline.run(self.context)  # compiled outside the timing
        return pipeline

    def time_fused(self, device):
        self.fused.run(self.context)
        self.device.synchronize()

    def time_unfused(self, device):
        self.unfused.run(self.context)
        self.device.synchronize()
