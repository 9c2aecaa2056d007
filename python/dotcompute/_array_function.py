# python/dotcompute/_array_function.py
# numpy's function protocol (__array_function__, NEP 18) for dc arrays: np.sum(x), np.sort(x),
# np.concatenate([x, y]), np.fft.fft(x), ... run on the arrays' device.
"""``Array.__array_function__``: numpy calls it for its functions with a dc array among the
arguments (``np.sum``, ``np.where``, ``np.fft.fft``; ufuncs have ``__array_ufunc__`` instead).

A numpy function that dotcompute has (``implementations()``) runs as the dc function of the
same meaning, on the arrays' device, when every argument the call names is one the dc function
takes (numpy's parameter names, a few renamed: ``np.clip``'s ``a_min``). Arguments dc does not
have (``where=``, ``initial=``, ``out=`` of ``np.var``), and every other numpy function, go to
numpy's own implementation as before this protocol existed: dc arrays through ``np.asarray``
(a zero-copy view on the CPU, a BufferError naming ``x.numpy()`` for device memory) and a
numpy result. ``kind=`` and ``stable=`` of ``np.sort`` / ``np.argsort`` are accepted and
ignored: dc's sort is stable, which every kind allows. A call with a numpy array among its
arguments stays numpy's too (``np.concatenate([x, host])``), as it was.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from . import _core


def _dot(a, b, out=None):
    """np.dot for vectors and matrices (matmul's meaning there); other shapes are numpy's."""
    if a.ndim > 2 or b.ndim > 2 or a.ndim == 0 or b.ndim == 0:
        return NotImplemented
    from ._matmul import matmul

    return matmul(a, b, out)


def _sorting(function):
    """dc's sort or argsort with numpy's kind= and stable= taken (dc's sort is stable, which
    every kind allows) and order= only as its default."""

    def call(a, axis=-1, kind=None, order=None, stable=None):
        if order is not None:
            return NotImplemented
        return function(a, axis)

    return call


@functools.cache
def implementations() -> dict:
    """numpy function -> (dc function, renamed parameters). Made on first use: the dc
    functions live in modules that import this package."""
    from . import (
        _complex_parts,
        _derived,
        _fft,
        _like,
        _nonzero,
        _real_fft,
        _rearrange,
        _shapes,
        _take_along_axis,
        _where,
    )
    from . import algorithms as alg
    from ._methods import clip

    table = {
        np.sum: alg.sum, np.mean: alg.mean, np.max: alg.max, np.amax: alg.max,
        np.min: alg.min, np.amin: alg.min, np.argmax: alg.argmax, np.argmin: alg.argmin,
        np.any: alg.any, np.all: alg.all, np.var: alg.var, np.std: alg.std,
        np.cumsum: alg.cumsum, np.sort: _sorting(alg.sort), np.argsort: _sorting(alg.argsort),
        np.concatenate: _shapes.concatenate, np.stack: _shapes.stack,
        np.transpose: _shapes.transpose, np.broadcast_to: _shapes.broadcast_to,
        np.where: _where.where, np.nonzero: _nonzero.nonzero,
        np.flatnonzero: _nonzero.flatnonzero,
        np.take_along_axis: _take_along_axis.take_along_axis,
        np.real: _complex_parts.real, np.imag: _complex_parts.imag,
        np.angle: _complex_parts.angle, np.clip: clip, np.dot: _dot,
    }  # fmt: skip
    for module, names in [
        (_like, ("zeros_like", "ones_like", "empty_like", "full_like", "copy")),
        (_rearrange, ("reshape", "squeeze", "expand_dims", "swapaxes", "moveaxis", "flip")),
        (_derived, ("diff", "outer", "count_nonzero", "argwhere", "isclose", "allclose")),
    ]:
        for name in names:
            table[getattr(np, name)] = getattr(module, name)
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "hfft", "ihfft"):
        table[getattr(np.fft, name)] = getattr(_fft, name, None) or getattr(_real_fft, name)
    for name in ("rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn"):
        table[getattr(np.fft, name)] = getattr(_real_fft, name)
    renamed = {np.clip: {"a_min": "min", "a_max": "max"}}
    return {numpy: (ours, renamed.get(numpy, {})) for numpy, ours in table.items()}


def array_function(self, func, types, args, kwargs):
    """numpy's entry point (bound as Array.__array_function__)."""
    entry = implementations().get(func)
    if entry is not None and not _has_numpy_arrays(args, kwargs):
        result = _on_device(func, entry, args, kwargs)
        if result is not NotImplemented:
            return result
    host_args = [_host(value) for value in args]
    return func._implementation(*host_args, **{k: _host(v) for k, v in kwargs.items()})


def _host(value):
    """value for numpy's own implementation: dc arrays (also in a list or tuple of them) through
    np.asarray, as numpy converted them before the protocol."""
    if isinstance(value, _core.Array):
        return np.asarray(value)
    if isinstance(value, list | tuple) and any(isinstance(v, _core.Array) for v in value):
        return type(value)(_host(v) for v in value)
    return value


def _on_device(func, entry, args: tuple, kwargs: dict):
    """The dc function's result, or NotImplemented where the call names an argument it lacks."""
    ours, renamed = entry
    try:
        bound = _signature(func).bind(*args, **kwargs)
    except TypeError:
        return NotImplemented  # numpy's implementation raises numpy's error
    names = list(bound.arguments)
    accepted = _signature(ours).parameters
    keywords = {}
    for name in names[1:]:
        target = renamed.get(name, name)
        if target not in accepted:
            return NotImplemented
        keywords[target] = bound.arguments[name]
    return ours(bound.arguments[names[0]], **keywords)


def _has_numpy_arrays(args: tuple, kwargs: dict) -> bool:
    """Whether a numpy array is among the arguments (or in a list of them, np.concatenate's):
    such calls stay numpy's, as they were before the protocol."""
    values = [*args, *kwargs.values()]
    values += [v for value in values if isinstance(value, list | tuple) for v in value]
    return any(isinstance(value, np.ndarray) for value in values)


@functools.cache
def _signature(function) -> inspect.Signature:
    return inspect.signature(function)
