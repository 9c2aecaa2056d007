# python/dotcompute/_matmul.py
# dc.matmul: numpy's matmul rules (vectors, batches, broadcasting) over the core's GEMM.
"""Matrix products. The core (cpp/core/algorithms.cpp) multiplies 2-D operands and batches of
equal shape, through the backend's slot (OpenBLAS or the CPU plugin's own GEMM, cuBLAS) or the
generated kernels; the front turns numpy's other cases into those: vectors become matrices,
a batch times a matrix one tall product, a matrix times a batch one wide product (the batch's
matrices side by side, ``layout.swap_axes``) when that copies less than repeating the matrix,
and batch shapes that broadcast are copied to the common shape first
(``layout.gather_blocks``)."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np

from . import _core
from ._algorithm_paths import as_array, generated, use_plugin
from ._astype import astype
from ._outputs import direct_out, written_to
from .errors import DTypeError, ShapeError


def _bundled_blas_libraries() -> list[str]:
    """The OpenBLAS libraries numpy and scipy ship in their wheels (numpy.libs, scipy.libs,
    the scipy-openblas packages), for the CPU plugin's matmul to open at run time."""
    site = Path(np.__file__).resolve().parent.parent
    patterns = [
        "numpy.libs/libscipy_openblas*.so*",
        "scipy_openblas64/lib/libscipy_openblas*.so*",
        "scipy_openblas32/lib/libscipy_openblas*.so*",
        "scipy.libs/libscipy_openblas*.so*",
    ]
    return [str(found) for pattern in patterns for found in sorted(site.glob(pattern))]


_blas_hint_given = False


def _give_blas_hint() -> None:
    """Points DOTCOMPUTE_BLAS at the bundled OpenBLAS before the first matmul, which is when the
    CPU plugin reads it (cpp/cpu/cpu_matmul.cpp); an explicit setting wins."""
    global _blas_hint_given
    if not _blas_hint_given:
        _blas_hint_given = True
        if "DOTCOMPUTE_BLAS" not in os.environ:
            os.environ["DOTCOMPUTE_BLAS"] = os.pathsep.join(_bundled_blas_libraries())


# --- matmul ---------------------------------------------------------------------------------


def matmul(a, b, out=None) -> _core.Array:
    """Matrix product as numpy.matmul: 2-D, batched ([..., m, k] @ [..., k, n], batch
    dimensions broadcast as numpy's), and 1-D operands as vectors. Floating and complex
    operands on one device, of any mix of dtypes (numpy's common dtype, converted on the
    device; float16 computed in float32); integer and bool products are a DTypeError. ``out``:
    a dc array of the result's shape on their device to write into (another dtype under numpy's
    same_kind rule)."""
    _give_blas_hint()
    a, b = as_array(a), as_array(b)
    operands = (a, b)
    computed, result_dtype = _dtypes(a, b)
    if a.dtype != computed:
        a = astype(a, computed)
    if b.dtype != computed:
        b = astype(b, computed)
    if computed != result_dtype:  # float16, through float32
        return written_to(out, astype(matmul(a, b), result_dtype))
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    if vector_a:
        a = a.reshape((1, a.shape[0]))
    if vector_b:
        b = b.reshape((b.shape[0], 1))
    if (a.ndim > 2 or b.ndim > 2) and a.shape[-1] != b.shape[-2]:
        raise ShapeError(
            f"matmul: inner dimensions differ: {_shape(a)} @ {_shape(b)} needs a's last "
            f"dimension ({a.shape[-1]}) to equal b's second-to-last ({b.shape[-2]})"
        )
    target = None
    if out is not None:
        shape = _result_shape(a, b, vector_a, vector_b)
        target = direct_out(out, shape, a.dtype, a.device, operands, "matmul", "same_kind")
    batch_shape = None
    if a.ndim > 2 and b.ndim == 2:  # batched @ matrix: one tall GEMM over the stacked rows
        batch_shape = a.shape[:-2]
        a = a.reshape((int(np.prod(batch_shape)) * a.shape[-2], a.shape[-1]))
    if a.ndim == 2 and b.ndim > 2 and _side_by_side_is_cheaper(a, b):
        result = _matrix_times_batch(a, b)
    else:
        if a.shape[:-2] != b.shape[:-2] and (a.ndim > 2 or b.ndim > 2):
            a, b = _broadcast_batches(a, b)
        if target is not None:  # the same memory in the product's shape
            target = target.reshape((*a.shape[:-2], a.shape[-2], b.shape[-1]))
        result = _product(a, b, target)
    if batch_shape is not None:
        rows = result.shape[0] // int(np.prod(batch_shape))
        result = result.reshape((*batch_shape, rows, result.shape[1]))
    if vector_a and vector_b:
        result = result.reshape(())
    elif vector_a:
        result = result.reshape((*result.shape[:-2], result.shape[-1]))
    elif vector_b:
        result = result.reshape(result.shape[:-1])
    return written_to(out, result)


#: The dtypes the products compute in (the core's GEMMs).
_COMPUTED = frozenset(np.dtype(name) for name in ("float32", "float64", "complex64", "complex128"))


def _dtypes(a: _core.Array, b: _core.Array) -> tuple[np.dtype, np.dtype]:
    """(the dtype the product computes in, the result's): numpy's common dtype of the operands
    (int32 @ float32 is float64), float16 computed in float32 as numpy accumulates it; integer
    and bool products are the core's DTypeError."""
    return _dtypes_of(a.dtype, b.dtype)


@functools.cache
def _dtypes_of(left: np.dtype, right: np.dtype) -> tuple[np.dtype, np.dtype]:
    """_dtypes by the operands' dtypes (np.result_type is about 1 us of a small product)."""
    result = np.result_type(left, right)
    if result == np.float16:
        return np.dtype(np.float32), result
    if result not in _COMPUTED:
        raise DTypeError(
            f"matmul does not support dtype {result}; use float32, float64, complex64 or "
            "complex128 (convert with astype)"
        )
    return result, result


def _result_shape(
    a: _core.Array, b: _core.Array, vector_a: bool, vector_b: bool
) -> tuple[int, ...]:
    """numpy's matmul result shape for a and b (vectors already made matrices)."""
    batch = _batch_shape(a, b)
    rows = () if vector_a else (a.shape[-2],)
    columns = () if vector_b else (b.shape[-1],)
    return (*batch, *rows, *columns)


def _product(a: _core.Array, b: _core.Array, out: _core.Array | None = None) -> _core.Array:
    """The core's product: 2-D operands, or batches of one shape."""
    result, computed = _core._algorithm_matmul(a, b, use_plugin(), out)
    if not computed:
        generated().run_matmul(a, b, result)
    return result


def _side_by_side_is_cheaper(a: _core.Array, b: _core.Array) -> bool:
    """For [m, k] @ [..., k, n]: whether moving b's matrices side by side and the result back
    (k n + m n elements a matrix) copies less than repeating a for every matrix (m k). Measured
    on an H100 against CuPy: (64, 512) @ (128, 512, 512) took 0.64 ms side by side, 3.2x
    CuPy's, for copying 128 MiB of b; repeating a copies 16 MiB."""
    m, k, n = a.shape[0], a.shape[1], b.shape[-1]
    return k * n + m * n < m * k


def _matrix_times_batch(a: _core.Array, b: _core.Array) -> _core.Array:
    """[m, k] @ [..., k, n]: one product of a with the batch's matrices side by side
    ([k, batches x n]), its result put back in batch order."""
    layout = generated().layout
    batches, (k, n), m = math.prod(b.shape[:-2]), b.shape[-2:], a.shape[0]
    side_by_side = layout.swap_axes(b, 1, batches, k, (k, batches * n), block=n)
    wide = _product(a, side_by_side)  # [m, batches x n]
    return layout.swap_axes(wide, 1, m, batches, (*b.shape[:-2], m, n), block=n)


def _broadcast_batches(a: _core.Array, b: _core.Array) -> tuple[_core.Array, _core.Array]:
    """a and b copied to their common batch shape (numpy's broadcasting of the dimensions
    before the last two), or ShapeError."""
    batch = _batch_shape(a, b)
    return _broadcast_to(a, batch), _broadcast_to(b, batch)


def _batch_shape(a: _core.Array, b: _core.Array) -> tuple[int, ...]:
    """The broadcast of a's and b's dimensions before the last two, or ShapeError."""
    try:
        return np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: batch dimensions differ and do not broadcast: {_shape(a)} @ {_shape(b)} "
            "(each of the dimensions before the last two must be equal, or 1 in one operand)"
        ) from None


def _broadcast_to(x: _core.Array, batch: tuple[int, ...]) -> _core.Array:
    """x's matrices repeated to the batch shape ``batch``."""
    if x.shape[:-2] == batch:
        return x
    own = np.arange(math.prod(x.shape[:-2]), dtype=np.int64).reshape(x.shape[:-2])
    which = np.ascontiguousarray(np.broadcast_to(own, batch)).reshape(-1)
    return generated().layout.gather_blocks(x, which, (*batch, *x.shape[-2:]))


def _shape(x: _core.Array) -> str:
    """A shape as the core's messages write it: (2, 3, 4)."""
    return "(" + ", ".join(str(extent) for extent in x.shape) + ")"
