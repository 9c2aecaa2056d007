# bench/benchmarks/bench_pipeline.py
# Pipelines on the CPU: fused vs unfused elementwise chain, executor overhead, graph replay.
import numpy as np

import dotcompute as dc

from .pipeline_kernels import all_four, four_stage_pipeline, host_chain, kernel_chain

COUNT = 1 << 24


class Fusion:
    """4 elementwise stages over 16M float32: fused, unfused, one hand-written kernel."""

    def setup(self):
        x_host = np.random.default_rng(0).uniform(-2, 2, COUNT).astype(np.float32)
        self.context = {"x": dc.asarray(x_host)}
        self.out = dc.empty(COUNT, "float32")
        self.fused = four_stage_pipeline(True, "cpu")
        self.unfused = four_stage_pipeline(False, "cpu")
        self.fused.run(self.context)  # compiled outside the timing
        self.unfused.run(self.context)
        all_four[COUNT](self.context["x"], self.out, 1.5, -0.25, 2.0)

    def time_fused(self):
        self.fused.run(self.context)

    def time_unfused(self):
        self.unfused.run(self.context)

    def time_hand_written(self):
        all_four[COUNT](self.context["x"], self.out, 1.5, -0.25, 2.0)


class ExecutorOverhead:
    """A 100-stage chain of trivial host stages (divide by 100 for the cost of one stage)."""

    def setup(self):
        self.pipe = host_chain(100)
        self.pipe.run()

    def time_run_100_host_stages(self):
        self.pipe.run()


class GraphReplay:
    """50 small kernels: replayed as one recorded graph, and launched stage by stage."""

    def setup(self):
        self.context = {"x": dc.asarray(np.random.default_rng(0).random(1024, dtype=np.float32))}
        self.replayed = kernel_chain(50, "cpu", reuse_buffers=False, graphs=True)
        self.staged = kernel_chain(50, "cpu", reuse_buffers=True, graphs=False)
        self.replayed.run(self.context)
        self.staged.run(self.context)

    def time_graph_replay(self):
        self.replayed.run(self.context)

    def time_stage_by_stage(self):
        self.staged.run(self.context)
