# python/dotcompute/_arrays.py
# asarray and from_dlpack: the array constructors that take foreign objects; copyto.
"""Constructors that turn numpy arrays, sequences, scalars and DLPack producers into arrays,
and copyto, which writes new values into an existing array."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._astype import array_dtype, astype, convert_into
from .errors import DeviceError, DTypeError, InvalidArgumentError, ShapeError


def asarray(
    obj: Any, dtype: Any = None, device: Any = None, copy: bool | None = None
) -> _core.Array:
    """An array on ``device`` holding ``obj``.

    numpy input on a host-visible device (the CPU) is wrapped without copying when its dtype
    and layout allow and ``copy`` is not True; the numpy array is kept alive by the result.
    GPU arrays of other libraries (CuPy, PyTorch, Numba: DLPack or ``__cuda_array_interface__``)
    in C order are wrapped without copying too, so kernels write straight into them.
    ``copy=False`` raises when sharing is impossible. dc arrays are returned as they are when
    already on ``device`` with ``dtype``.
    """
    if isinstance(obj, _core.Array):
        return _from_array(obj, dtype, device, copy)
    if not isinstance(obj, np.ndarray) and hasattr(obj, "__dlpack__"):
        return _from_array(from_dlpack(obj), dtype, device, copy)
    if hasattr(obj, "__cuda_array_interface__"):
        return _from_array(_from_cuda_array_interface(obj), dtype, device, copy)
    try:
        source = np.asarray(obj, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise DTypeError(f"cannot make an array from {type(obj).__name__}: {error}") from error
    if source.dtype == object:
        raise DTypeError(
            f"cannot make an array from {type(obj).__name__}: elements are not numbers"
        )
    # A list or scalar became a fresh numpy array: sharing it is as good as copying it.
    fresh = source is not obj
    return _core._from_numpy(source, device, None if fresh and copy is False else copy)


def copyto(dst: _core.Array, src: Any) -> None:
    """Writes ``src`` into ``dst``, which keeps its memory (as ``np.copyto``).

    ``src`` is a dc array or anything ``np.asarray`` takes; it is broadcast to ``dst``'s shape
    and cast when numpy's ``same_kind`` rule allows. A dc array of ``dst``'s device, dtype and
    shape is copied on the device. The copy runs on the current stream. Inside ``dc.capture`` it
    runs at once and is not captured: the way to give a graph new inputs before a replay.

    >>> x = dc.zeros(3)
    >>> with dc.capture(device="cpu") as graph:
    ...     y = dc.cumsum(x)
    >>> dc.copyto(x, [1, 2, 3]); graph.replay(); y.tolist()
    [1.0, 3.0, 6.0]
    """
    if not isinstance(dst, _core.Array):
        raise InvalidArgumentError(f"copyto writes into a dc.Array, got {type(dst).__name__}")
    if isinstance(src, _core.Array):
        # A conversion is a kernel, which a capture would record: there the host converts.
        same_place = src.device == dst.device and src.shape == dst.shape
        if same_place and (src.dtype == dst.dtype or not _core._capture_active(dst)):
            _copy_on_device(dst, src)
            return
        src = src.numpy()
    host = np.asarray(src)
    if host.dtype == object or not np.can_cast(host.dtype, dst.dtype, "same_kind"):
        raise DTypeError(f"copyto cannot cast {host.dtype} to {dst.dtype} (same_kind)")
    try:
        host = np.broadcast_to(host, dst.shape)
    except ValueError as error:
        raise ShapeError(
            f"copyto: a source of shape {host.shape} does not broadcast to {dst.shape}"
        ) from error
    _core._copy_from_host(dst, np.ascontiguousarray(host, dtype=dst.dtype))


def _copy_on_device(dst: _core.Array, src: _core.Array) -> None:
    """dst = src for two arrays of one device and shape: a device copy, or a conversion kernel
    when the dtypes differ (numpy's same_kind rule)."""
    if src.dtype == dst.dtype:
        _core._copy_into(dst, src)
        return
    if not np.can_cast(src.dtype, dst.dtype, "same_kind"):
        raise DTypeError(f"copyto cannot cast {src.dtype} to {dst.dtype} (same_kind)")
    convert_into(src, dst)


def _from_array(array: _core.Array, dtype: Any, device: Any, copy: bool | None) -> _core.Array:
    result = array
    if device is not None and _core.get_device(device) != array.device:
        if copy is False:
            raise InvalidArgumentError("copy=False but the array lives on another device")
        result = array.to(device)
    if dtype is not None and array_dtype(dtype) != result.dtype:
        if copy is False:
            raise InvalidArgumentError("copy=False but a dtype conversion needs a copy")
        return astype(result, dtype)
    if copy and result is array:
        result = array.copy()
    return result


def from_dlpack(obj: Any, device: Any = None, copy: bool | None = None) -> _core.Array:
    """An array sharing the memory of a DLPack producer (numpy, PyTorch, CuPy, JAX ...).

    Host memory in C order is wrapped without copying; anything else is copied (or refused when
    ``copy=False``).
    """
    if copy is not True:
        capsule = _dlpack_capsule(obj)
        array = _core._from_dlpack_capsule(capsule)
        if array is not None:
            return array if device is None else asarray(array, device=device)
    if copy is False:
        raise InvalidArgumentError(
            "copy=False but the DLPack tensor is strided or not in host memory, so it cannot be "
            "shared"
        )
    return asarray(np.from_dlpack(obj).copy(), device=device)


def _from_cuda_array_interface(obj: Any) -> _core.Array:
    """Wraps the CUDA memory a ``__cuda_array_interface__`` (v2/v3) producer describes."""
    interface = obj.__cuda_array_interface__
    shape = tuple(int(extent) for extent in interface["shape"])
    dtype = np.dtype(interface["typestr"])
    address, readonly = interface["data"]
    strides = interface.get("strides")
    if strides is not None and tuple(strides) != _c_order_strides(shape, dtype.itemsize):
        raise InvalidArgumentError(
            f"{type(obj).__name__} is strided (strides {tuple(strides)}); only C-order GPU "
            "arrays can be shared, so make it contiguous first (e.g. cupy.ascontiguousarray)"
        )
    if interface.get("mask") is not None:
        raise InvalidArgumentError("masked __cuda_array_interface__ arrays are not supported")
    cuda_devices = [d for d in _core.devices() if d.backend == "cuda"]
    if not cuda_devices:
        raise DeviceError(
            f"{type(obj).__name__} lives in CUDA device memory, which needs dotcompute's cuda "
            "backend; python -m dotcompute plugins shows why it is not loaded"
        )
    # The interface does not name the device; the plugin checks the address against each one.
    problems = []
    for candidate in cuda_devices:
        try:
            return _core._wrap_cuda_memory(
                address, shape, dtype, candidate.index, bool(readonly), obj
            )
        except InvalidArgumentError as error:
            problems.append(str(error))
    raise InvalidArgumentError(
        f"{type(obj).__name__}'s memory is on no cuda device: " + "; ".join(problems)
    )


def _c_order_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for extent in reversed(shape):
        strides.append(step)
        step *= max(extent, 1)
    return tuple(reversed(strides))


def _dlpack_capsule(obj: Any) -> Any:
    if type(obj).__name__ == "PyCapsule":
        return obj
    if not hasattr(obj, "__dlpack__"):
        raise DTypeError(f"{type(obj).__name__} does not support DLPack (no __dlpack__ method)")
    try:
        return obj.__dlpack__(max_version=(1, 0))
    except TypeError:
        return obj.__dlpack__()  # producers older than DLPack 1.0 take no keywords
