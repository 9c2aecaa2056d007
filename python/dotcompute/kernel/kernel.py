# python/dotcompute/kernel/kernel.py
# @dc.kernel: parse once, specialize per argument types, compile per device, launch.
"""The ``@dc.kernel`` decorator and the Kernel object it returns.

A Kernel is parsed when it is decorated (syntax errors surface at import). It is specialized —
typed, generated, compiled and loaded — the first time it is launched with a given combination of
argument dtypes on a given device; later launches with the same combination go straight to the
native launch plan (``_core.KernelPlan``), whose C++ path checks and packs the arguments.
"""

from __future__ import annotations

import contextlib
import functools
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _backend_caches, _core
from .._dtypes import dtype_name
from ..errors import DeviceError, DotComputeError, DTypeError, UnsupportedError

# lowering is imported now rather than at the first launch (frontend.specialize imports it
# lazily to break a cycle): loading a cached kernel in a fresh process should cost
# milliseconds, not imports.
from . import (
    cache,
    codegen_base,
    codegen_c,
    codegen_cuda,
    codegen_msl,
    codegen_opencl,
    frontend,
    ir,
    lowering,  # noqa: F401
)
from .types import SCALAR_TYPES, ArrayType, ScalarType

#: Targets whose generator exists, by backend name.
_GENERATORS = {"cpu": codegen_c.generate_c, "cuda": codegen_cuda.generate_cuda}
_GENERATORS["opencl"] = codegen_opencl.generate_opencl
_GENERATORS["metal"] = codegen_msl.generate_msl


#: Bound launchers kept by ``kernel[size]``, so repeated launches of one size reuse one object.
_MAX_CACHED_LAUNCHERS = 64
# Every live Kernel, so an unload can drop their plans (Note [Cached device objects]).
_every_kernel: weakref.WeakSet = weakref.WeakSet()


@_backend_caches.register
def _forget_backend_plans(name: str) -> None:
    for kernel in list(_every_kernel):
        kernel._forget_backend(name)


# DOTCOMPUTE_DEBUG is read at every launch, so setting it takes effect at once. os.environ.get
# costs about a microsecond (key encoding, a Python-level mapping); the mapping's own dict, which
# os.environ keeps in step with every change made through it, answers in a few tens of ns.
_ENVIRONMENT_DATA = getattr(os.environ, "_data", None)
_DEBUG_KEY = os.environ.encodekey("DOTCOMPUTE_DEBUG") if hasattr(os.environ, "encodekey") else None


def _debug_requested() -> bool:
    if _ENVIRONMENT_DATA is not None and _DEBUG_KEY is not None:
        raw = _ENVIRONMENT_DATA.get(_DEBUG_KEY)
        value = None if raw is None else os.environ.decodevalue(raw)
    else:  # an interpreter without those internals: the documented, slower way
        value = os.environ.get("DOTCOMPUTE_DEBUG")
    return value not in (None, "", "0", "false", "no")


@dataclass
class Specialization:
    """One compiled instance of a kernel: its typed IR, generated code and launch plan."""

    function: ir.Function
    generated: Any
    plan: Any


class Kernel:
    """A compute kernel written in Python (see docs/kernels.md for the language)."""

    def __init__(self, python_function, *, debug: bool | None = None) -> None:
        functools.update_wrapper(self, python_function)
        self._python_function = python_function
        self._template = frontend.parse(python_function, is_kernel=True)
        self._debug = debug
        self._specializations: dict[tuple, Specialization] = {}
        self._last_plan = None
        self._launchers: dict[Any, functools.partial] = {}
        self._array_positions = [
            i for i, t in enumerate(self._template.declared_types) if isinstance(t, ArrayType)
        ]
        _every_kernel.add(self)

    # -- launching ---------------------------------------------------------------------------

    def launch(
        self,
        global_size: int | Sequence[int],
        *args: Any,
        local_size: int | Sequence[int] | None = None,
        device: Any = None,
        stream: Any = None,
        debug: bool | None = None,
    ) -> None:
        """Runs the kernel over ``global_size`` work-items (an int or 1-3 ints)."""
        if debug or (debug is None and (self._debug or _debug_requested())):
            from .debug import run_debug

            run_debug(self._python_function, self._template, global_size, args, local_size)
            return
        # Note [Launch fast path]: the plan of the previous launch checks every argument in C++
        # before running anything. When the arguments belong to another specialization (arrays
        # on another device, other dtypes for a generic kernel) it raises, and the slow path
        # finds or builds the right plan; genuine argument errors are raised again from there.
        plan = self._last_plan
        if plan is not None and device is None:
            try:
                plan.launch(global_size, args, local_size, stream)
                return
            except (DeviceError, DTypeError):
                pass
        self._launch_new_plan(global_size, args, local_size, device, stream)

    def _launch_new_plan(
        self,
        global_size: int | Sequence[int],
        args: Sequence[Any],
        local_size: int | Sequence[int] | None = None,
        device: Any = None,
        stream: Any = None,
    ) -> None:
        """The slow path of Note [Launch fast path]: finds or builds the plan for these arguments
        and launches it. The C++ Launcher calls it after its own try of the last plan."""
        plan = self._plan_for(args, device)
        self._last_plan = plan
        plan.launch(global_size, args, local_size, stream)

    def __getitem__(self, global_size: int | Sequence[int]):
        """``kernel[n](*args)`` is ``kernel.launch(n, *args)``."""
        # Note [Launcher] in cpp/bindings/bind_kernels.cpp: the common call runs from C++.
        try:
            return self._launchers[global_size]
        except KeyError:
            launcher = _core._Launcher(self, global_size)
            if len(self._launchers) >= _MAX_CACHED_LAUNCHERS:
                self._launchers.clear()
            self._launchers[global_size] = launcher
            return launcher
        except TypeError:  # an unhashable size (a list)
            return functools.partial(self.launch, global_size)

    def __call__(self, *args: Any, **kwargs: Any):
        raise TypeError(
            f"kernel '{self.__name__}' is launched over an index space: "
            f"{self.__name__}[global_size](...) or {self.__name__}.launch(global_size, ...)"
        )

    # -- inspection --------------------------------------------------------------------------

    def source(self, target: str = "cpu", *arg_dtypes: Any) -> str:
        """The generated source for ``target``. Generic kernels need the dtype of every generic
        array argument, in order: ``k.source("cpu", "float32")``."""
        generator = self._generator(target)
        function = frontend.specialize(self._template, self._arg_types_from_dtypes(arg_dtypes))
        return generator(function).source

    def specialize(self, *arg_dtypes: Any) -> ir.Function:
        """The typed IR for the given generic dtypes (nothing when the kernel is not generic)."""
        return frontend.specialize(self._template, self._arg_types_from_dtypes(arg_dtypes))

    def forget_specializations(self) -> None:
        """Drops this kernel's compiled specializations; the next launch specializes again
        (going through the kernel cache, memory and disk, like a fresh process)."""
        self._specializations.clear()
        self._last_plan = None

    def _forget_backend(self, name: str) -> None:
        """Drops the specializations on devices of backend ``name``, whose plans hold its modules
        (Note [Cached device objects])."""
        for key in [k for k in self._specializations if _backend_caches.backend_of(k[0]) == name]:
            del self._specializations[key]
        self._last_plan = None

    @property
    def is_generic(self) -> bool:
        return self._template.is_generic

    @property
    def generic_argument_count(self) -> int:
        """How many array arguments take their dtype at launch (bare ``dc.Array``)."""
        return sum(
            isinstance(t, ArrayType) and t.dtype is None for t in self._template.declared_types
        )

    # -- internals ---------------------------------------------------------------------------

    def _plan_for(self, args: Sequence[Any], device: Any):
        arrays = [args[i] for i in self._array_positions if i < len(args)]
        first = next((a for a in arrays if isinstance(a, _core.Array)), None)
        device_spec = first.device.spec if first is not None else _core.get_device(device).spec
        dtypes = tuple(dtype_name(a.dtype) if isinstance(a, _core.Array) else None for a in arrays)
        key = (device_spec, dtypes)
        specialization = self._specializations.get(key)
        if specialization is None:
            specialization = self._build(device_spec, dtypes)
            self._specializations[key] = specialization
        return specialization.plan

    def _build(self, device_spec: str, dtypes: tuple) -> Specialization:
        device = _core.get_device(device_spec)
        generator = self._generator(device.backend)
        # dtypes holds one entry per array parameter, in the order of _array_positions.
        declared = self._template.declared_types
        generic_dtypes = [
            dtype
            for position, dtype in zip(self._array_positions, dtypes, strict=False)
            if declared[position].dtype is None
        ]
        arg_types = self._arg_types_from_dtypes(generic_dtypes, strict=False)
        function = frontend.specialize(self._template, arg_types)
        generated = generator(function)
        # Device features the program needs (OpenCL: fp64, 64-bit atomics), checked before
        # anything is built or launched.
        check_device = getattr(generated, "check_device", None)
        if check_device is not None:
            check_device(device)
        if device.backend == "cpu":
            module = cache.load_cpu_module(generated.source, device)
        else:  # compiled by the backend's plugin (NVRTC on CUDA), cached as a device image
            module = cache.load_device_module(generated.source, device)
        written = _written_arrays(function)
        # Errors name parameters as the user wrote them (the IR may rename C keywords).
        params = [
            _param_spec(param, python_name, param.name in written)
            for param, python_name in zip(function.params, self._template.param_names, strict=True)
        ]
        plan = module.kernel(
            generated.symbol,
            params,
            generated.shared_bytes,
            generated.per_item_bytes,
            generated.uses_barrier,
            None,
            name=function.python_name,
            append_global_size=generated.appends_global_size,
        )
        return Specialization(function, generated, plan)

    def _arg_types_from_dtypes(self, dtypes: Sequence[Any], strict: bool = True) -> list:
        declared = self._template.declared_types
        generic_count = self.generic_argument_count
        if len(dtypes) != generic_count:
            if generic_count == 0:
                raise DTypeError(f"kernel '{self.__name__}' is not generic; pass no dtypes")
            raise DTypeError(
                f"kernel '{self.__name__}' has {generic_count} generic array argument(s); "
                f"pass one dtype for each, got {len(dtypes)}"
            )
        remaining = list(dtypes)
        arg_types = []
        for declared_type in declared:
            if isinstance(declared_type, ArrayType) and declared_type.dtype is None:
                arg_types.append(ArrayType(_scalar_type(remaining.pop(0)), declared_type.ndim))
            else:
                arg_types.append(declared_type)
        return arg_types

    def _generator(self, target: str):
        try:
            return _GENERATORS[target]
        except KeyError:
            raise UnsupportedError(
                f"no kernel code generator for backend '{target}' yet; available: "
                + ", ".join(sorted(_GENERATORS))
            ) from None

    def __repr__(self) -> str:
        return f"<dc.kernel {self.__name__}>"


def _scalar_type(dtype: Any) -> ScalarType:
    name = np.dtype(dtype).name
    if name not in SCALAR_TYPES:
        raise DTypeError(f"dtype {name} cannot be used in kernels (complex is not supported)")
    return SCALAR_TYPES[name]


def _param_spec(param: ir.Param, python_name: str, written: bool) -> tuple:
    if isinstance(param.type, ArrayType):
        return ("array", param.type.dtype.name, param.type.ndim, python_name, written)
    return ("scalar", param.type.name, python_name)


def _written_arrays(function: ir.Function) -> set[str]:
    """Array parameters the kernel may store into: store and atomic targets, and (not looking
    into device functions) every array passed to one."""
    written = set()
    for expr in codegen_base.walk_exprs(function.body):
        if isinstance(expr, ir.AtomicOp):
            written.add(expr.array.name)
        elif isinstance(expr, ir.FuncCall):
            written.update(a.name for a in expr.args if isinstance(a.type, ArrayType))
    for stmt in codegen_base.walk_stmts(function.body):
        if isinstance(stmt, ir.Store):
            written.add(stmt.target.array.name)
    return written


@dataclass
class Collection:
    """Kernels made, and their decoration errors, while ``collecting()`` is active."""

    kernels: list[Kernel]
    errors: list[DotComputeError]


_collection: Collection | None = None


@contextlib.contextmanager
def collecting():
    """Records every kernel decorated inside the block instead of raising on the first broken
    one (``python -m dotcompute check`` imports a file under it to report every problem)."""
    global _collection
    previous, _collection = _collection, Collection([], [])
    try:
        yield _collection
    finally:
        _collection = previous


def _make_kernel(python_function, debug: bool | None):
    if _collection is None:
        return Kernel(python_function, debug=debug)
    try:
        made = Kernel(python_function, debug=debug)
    except DotComputeError as error:
        _collection.errors.append(error)
        return python_function
    _collection.kernels.append(made)
    return made


def kernel(python_function=None, *, debug: bool | None = None):
    """Decorator: ``@dc.kernel`` or ``@dc.kernel(debug=True)``."""
    if python_function is None:
        return lambda f: _make_kernel(f, debug)
    return _make_kernel(python_function, debug)
