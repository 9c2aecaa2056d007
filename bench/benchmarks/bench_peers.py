# bench/benchmarks/bench_peers.py
# The seed's table (bench_table.py) in the peer frameworks, each skipped when not installed.
"""One class per peer, so a missing peer skips as a whole (NotImplementedError in setup).

CPU peers: numpy, scipy, Numba, Warp, Taichi, pyopencl (on the first OpenCL device). GPU peers:
CuPy and PyTorch on the first CUDA device; their timed calls end with a device synchronize, as
dotcompute's do. Inputs are the same seeded values as dotcompute's (support.host_random).
"""

from types import SimpleNamespace

import numpy as np

from .bench_table import FFT_POINTS, MATRIX, TRANSFER_BYTES, VECTOR
from .support import (
    first_device_of,
    host_filled_bytes,
    host_random,
    import_peer,
    peer_kernels,
    prepared,
)


def _host_operands() -> SimpleNamespace:
    vector_a, vector_b = host_random((VECTOR,)), host_random((VECTOR,)) * 0.5
    transfer = host_filled_bytes(TRANSFER_BYTES)
    return SimpleNamespace(
        a=vector_a,
        b=vector_b,
        out=np.empty_like(vector_a),
        ma=host_random((MATRIX, MATRIX)),
        mb=host_random((MATRIX, MATRIX)) * 0.5,
        signal=host_random((FFT_POINTS,), "complex64"),
        transfer=transfer,
        transfer_destination=np.empty_like(transfer),
    )


class Numpy:
    def setup(self):
        self.s = prepared("host", _host_operands)

    def time_vector_add(self):
        np.add(self.s.a, self.s.b, out=self.s.out)

    def time_matmul(self):
        np.matmul(self.s.ma, self.s.mb)

    def time_copy_1gib(self):
        np.copyto(self.s.transfer_destination, self.s.transfer)

    def time_fft(self):
        np.fft.fft(self.s.signal)


class Scipy:
    def setup(self):
        self.fft = import_peer("scipy.fft")
        self.blas = import_peer("scipy.linalg.blas")
        self.s = prepared("host", _host_operands)

    def time_matmul(self):
        self.blas.sgemm(1.0, self.s.ma, self.s.mb)

    def time_fft(self):
        self.fft.fft(self.s.signal)


class Numba:
    """prange kernels over all cores, compiled before the timing."""

    def setup(self):
        self.kernels = peer_kernels("numba_kernels", "numba")
        self.s = prepared("host", _host_operands)
        prepared("numba compiled", self._compile)

    def _compile(self):
        self.time_vector_add()
        self.kernels.copy(self.s.transfer[:16], self.s.transfer_destination[:16])
        return True

    def time_vector_add(self):
        self.kernels.vector_add(self.s.a, self.s.b, self.s.out)

    def time_copy_1gib(self):
        self.kernels.copy(self.s.transfer, self.s.transfer_destination)


class Warp:
    """Warp's CPU device."""

    def setup(self):
        kernels = peer_kernels("warp_kernels", "warp")
        self.wp, self.kernel = kernels.wp, kernels.vector_add
        self.s = prepared("host", _host_operands)
        self.w = prepared("warp", self._prepare)

    def _prepare(self) -> SimpleNamespace:
        wp = self.wp
        prepared_arrays = SimpleNamespace(
            a=wp.array(self.s.a, device="cpu"),
            b=wp.array(self.s.b, device="cpu"),
            out=wp.empty(VECTOR, dtype=wp.float32, device="cpu"),
        )
        wp.launch(self.kernel, dim=VECTOR, inputs=[*vars(prepared_arrays).values()], device="cpu")
        return prepared_arrays

    def time_vector_add(self):
        arguments = [self.w.a, self.w.b, self.w.out]
        self.wp.launch(self.kernel, dim=VECTOR, inputs=arguments, device="cpu")
        self.wp.synchronize_device("cpu")

    def time_host_to_device_1gib(self):
        self.wp.array(self.s.transfer, device="cpu", copy=True)


class Taichi:
    """Taichi's CPU backend, on numpy arrays passed as ndarrays."""

    def setup(self):
        kernels = peer_kernels("taichi_kernels", "taichi")
        self.ti, self.kernel = kernels.ti, kernels.vector_add
        self.s = prepared("host", _host_operands)
        prepared("taichi compiled", lambda: self.time_vector_add() or True)

    def time_vector_add(self):
        self.kernel(self.s.a, self.s.b, self.s.out)
        self.ti.sync()


class PyOpenCL:
    """pyopencl on the first device of the first platform (dotcompute's opencl:0 uses the same
    order of the ICD loader); the add is an ElementwiseKernel into a preallocated output."""

    def setup(self):
        self.cl = import_peer("pyopencl")
        import_peer("pyopencl.array")
        import_peer("pyopencl.elementwise")
        first_device_of("opencl")
        self.s = prepared("host", _host_operands)
        self.o = prepared("pyopencl", self._prepare)

    def _prepare(self) -> SimpleNamespace:
        cl = self.cl
        platforms = cl.get_platforms()
        if not platforms or not platforms[0].get_devices():
            raise NotImplementedError("pyopencl finds no OpenCL device")
        context = cl.Context([platforms[0].get_devices()[0]])
        queue = cl.CommandQueue(context)
        add = cl.elementwise.ElementwiseKernel(
            context, "const float *a, const float *b, float *out", "out[i] = a[i] + b[i]"
        )
        state = SimpleNamespace(
            queue=queue,
            add=add,
            a=cl.array.to_device(queue, self.s.a),
            b=cl.array.to_device(queue, self.s.b),
            buffer=cl.Buffer(context, cl.mem_flags.READ_WRITE, self.s.transfer.nbytes),
        )
        state.out = cl.array.empty_like(state.a)
        add(state.a, state.b, state.out)
        queue.finish()
        return state

    def time_vector_add(self):
        self.o.add(self.o.a, self.o.b, self.o.out)
        self.o.queue.finish()

    def time_host_to_device_1gib(self):
        self.cl.enqueue_copy(self.o.queue, self.o.buffer, self.s.transfer)
        self.o.queue.finish()

    def time_device_to_host_1gib(self):
        self.cl.enqueue_copy(self.o.queue, self.s.transfer_destination, self.o.buffer)
        self.o.queue.finish()


class CuPy:
    """CuPy on the first CUDA device."""

    def setup(self):
        first_device_of("cuda")
        self.cp = import_peer("cupy")
        self.s = prepared("host", _host_operands)
        self.g = prepared("cupy", lambda: _gpu_operands(self.cp.asarray, self.s))
        prepared("cupy warm", lambda: (self.time_matmul(), self.time_fft(), True))

    def _synchronize(self):
        self.cp.cuda.Device().synchronize()

    def time_vector_add(self):
        self.cp.add(self.g.a, self.g.b, out=self.g.out)
        self._synchronize()

    def time_matmul(self):
        self.cp.matmul(self.g.ma, self.g.mb)
        self._synchronize()

    def time_host_to_device_1gib(self):
        self.cp.asarray(self.s.transfer)
        self._synchronize()

    def time_device_to_host_1gib(self):
        self.cp.asnumpy(self.g.transfer)

    def time_fft(self):
        self.cp.fft.fft(self.g.signal)
        self._synchronize()


class Torch:
    """PyTorch on the first CUDA device."""

    def setup(self):
        first_device_of("cuda")
        self.torch = import_peer("torch")
        if not self.torch.cuda.is_available():
            raise NotImplementedError("torch has no CUDA device")
        self.s = prepared("host", _host_operands)
        self.host_transfer = self.torch.from_numpy(self.s.transfer)
        self.g = prepared("torch", lambda: _gpu_operands(self._to_gpu, self.s))
        prepared("torch warm", lambda: (self.time_matmul(), self.time_fft(), True))

    def _to_gpu(self, host: np.ndarray):
        return self.torch.from_numpy(host).to("cuda")

    def time_vector_add(self):
        self.torch.add(self.g.a, self.g.b, out=self.g.out)
        self.torch.cuda.synchronize()

    def time_matmul(self):
        self.torch.matmul(self.g.ma, self.g.mb)
        self.torch.cuda.synchronize()

    def time_host_to_device_1gib(self):
        self.host_transfer.to("cuda")
        self.torch.cuda.synchronize()

    def time_device_to_host_1gib(self):
        self.g.transfer.cpu()

    def time_fft(self):
        self.torch.fft.fft(self.g.signal)
        self.torch.cuda.synchronize()


def _gpu_operands(to_gpu, host: SimpleNamespace) -> SimpleNamespace:
    on_gpu = SimpleNamespace(
        **{name: to_gpu(getattr(host, name)) for name in ("a", "b", "ma", "mb", "signal")}
    )
    on_gpu.out = to_gpu(host.out)
    on_gpu.transfer = to_gpu(host.transfer)
    return on_gpu
