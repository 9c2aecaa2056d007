# python/dotcompute/kernel/debug.py
# DOTCOMPUTE_DEBUG=1: run a kernel as plain Python, one call per work-item, so print and pdb work.
"""The debug interpretation of kernels.

Every work-item calls the kernel's Python function with the arrays as numpy arrays (host-visible
arrays are shared, others copied in and back). Work-groups run one after another. A kernel that
uses ``dc.barrier()`` runs the work-items of a group as threads that meet at a
``threading.Barrier``; other kernels run their work-items in a plain loop. Scalars are converted
to the numpy type of their annotation, so arithmetic keeps the kernel's types.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from ..errors import InvalidArgumentError
from . import intrinsics
from .function import DeviceFunction
from .types import ArrayType, ScalarType

#: Largest work-group the CPU backend forms when the launch names no local size.
CPU_MAX_WORK_GROUP_SIZE = 1024


def _default_local_size(global_sizes: tuple[int, ...]) -> tuple[int, ...]:
    """The CPU backend's choice (cpu_modules.cpp, choose_local_size), so local ids and sizes
    agree between debug and compiled runs: a long dimension-0 row, then dimensions 1 and 2."""
    remaining, local = CPU_MAX_WORK_GROUP_SIZE, []
    for extent in global_sizes:
        local.append(max(1, min(extent, remaining)))
        remaining = max(1, remaining // local[-1])
    return tuple(local)


class _GroupBarrier:
    """A barrier for the work-items of one group that also lets finished work-items leave, so a
    work-item that returns early does not block the others (as on devices)."""

    def __init__(self, members: int) -> None:
        self._condition = threading.Condition()
        self._members = members
        self._arrived = 0
        self._generation = 0
        self._broken = False

    def wait(self) -> None:
        with self._condition:
            self._arrived += 1
            generation = self._generation
            self._release_if_complete()
            while generation == self._generation and not self._broken:
                self._condition.wait()
            if self._broken:
                raise threading.BrokenBarrierError

    def leave(self) -> None:
        with self._condition:
            self._members -= 1
            self._release_if_complete()

    def abort(self) -> None:
        with self._condition:
            self._broken = True
            self._condition.notify_all()

    def _release_if_complete(self) -> None:
        if self._arrived > 0 and self._arrived >= self._members:
            self._arrived = 0
            self._generation += 1
            self._condition.notify_all()


@dataclass
class _Group:
    barrier: _GroupBarrier | None
    arrays: list[np.ndarray] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shared_array(self, position: int, shape, dtype) -> np.ndarray:
        # The k-th shared_array call of every work-item returns the group's k-th array.
        with self.lock:
            while len(self.arrays) <= position:
                self.arrays.append(np.zeros(shape, dtype=dtype))
            return self.arrays[position]


@dataclass
class _WorkItem:
    global_id: tuple[int, ...]
    local_id: tuple[int, ...]
    group_id: tuple[int, ...]
    local_size: tuple[int, ...]
    global_size: tuple[int, ...]
    num_groups: tuple[int, ...]
    group: _Group
    shared_calls: int = 0

    # The interface intrinsics.set_work_item expects.
    def barrier(self) -> None:
        if self.group.barrier is None:
            raise RuntimeError("internal: barrier() in a kernel run without barrier support")
        self.group.barrier.wait()

    def shared_array(self, shape, dtype) -> np.ndarray:
        self.shared_calls += 1
        return self.group.shared_array(self.shared_calls - 1, shape, dtype)


def _sizes(value: int | Sequence[int], what: str) -> tuple[int, ...]:
    sizes = (value,) if isinstance(value, int | np.integer) else tuple(value)
    if not 1 <= len(sizes) <= 3 or any(int(s) < 1 for s in sizes):
        raise InvalidArgumentError(f"{what} must be 1 to 3 positive ints, got {value!r}")
    return tuple(int(s) for s in sizes)


def _padded(sizes: tuple[int, ...]) -> tuple[int, int, int]:
    return tuple(sizes) + (1,) * (3 - len(sizes))


def _positions(extents: tuple[int, int, int]):
    """Every (x, y, z) below extents, dimension 0 fastest (the devices' numbering)."""
    for z, y, x in itertools.product(*(range(n) for n in reversed(extents))):
        yield (x, y, z)


def _host_arguments(template, args: Sequence[Any]):
    """numpy views or copies of the array arguments, and how to write copies back."""
    converted, write_back = [], []
    for declared, value in zip(template.declared_types, args, strict=True):
        if isinstance(value, _core.Array):
            if value.device.host_visible:
                host = np.asarray(value)
            else:
                host = value.numpy()
                write_back.append((value, host))
            converted.append(host)
        elif isinstance(declared, ScalarType):
            converted.append(declared.dtype.type(value))
        elif isinstance(declared, ArrayType):
            converted.append(np.asarray(value))
        else:
            converted.append(value)
    return converted, write_back


def run_debug(python_function, template, global_size, args, local_size) -> None:
    """Runs every work-item of the launch through the plain Python function."""
    if len(args) != len(template.param_names):
        raise InvalidArgumentError(
            f"{template.name}() takes {len(template.param_names)} arguments "
            f"({', '.join(template.param_names)}), got {len(args)}"
        )
    global_sizes = _sizes(global_size, "global_size")
    local_sizes = (
        _sizes(local_size, "local_size")
        if local_size is not None
        else _default_local_size(global_sizes)
    )
    if len(local_sizes) != len(global_sizes):
        raise InvalidArgumentError("local_size must have as many dimensions as global_size")
    host_args, write_back = _host_arguments(template, args)
    with np.errstate(all="ignore"):  # wrap-around and x // 0 are defined results in kernels
        _run_groups(python_function, host_args, global_sizes, local_sizes)
    for array, host in write_back:
        _core._copy_from_host(array, host)


def _waits_at_barriers(python_function, seen: set | None = None) -> bool:
    """Whether python_function, or a device function it calls (directly or not), names
    barrier: then the work-items of a group run as threads that can wait for each other."""
    seen = set() if seen is None else seen
    if python_function in seen:
        return False
    seen.add(python_function)
    code = python_function.__code__
    if "barrier" in code.co_names:
        return True
    referenced = [python_function.__globals__.get(name) for name in code.co_names]
    for cell in python_function.__closure__ or ():
        try:
            referenced.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return any(
        _waits_at_barriers(value.python_function, seen)
        for value in referenced
        if isinstance(value, DeviceFunction)
    )


def _run_groups(python_function, host_args, global_sizes, local_sizes) -> None:
    uses_barrier = _waits_at_barriers(python_function)
    global3, local3 = _padded(global_sizes), _padded(local_sizes)
    groups3 = tuple(-(-g // size) for g, size in zip(global3, local3, strict=True))
    for group in _positions(groups3):
        state = _Group(None)
        items = []
        for local in _positions(local3):
            gid = tuple(g * size + i for g, size, i in zip(group, local3, local, strict=True))
            if all(i < n for i, n in zip(gid, global3, strict=True)):  # partial last groups
                items.append(_WorkItem(gid, local, group, local3, global3, groups3, state))
        if uses_barrier:
            state.barrier = _GroupBarrier(len(items))
            _run_threads(python_function, host_args, items, state)
        else:
            for item in items:
                _run_one(python_function, host_args, item)


def _run_one(python_function, host_args, item: _WorkItem) -> None:
    intrinsics.set_work_item(item)
    try:
        python_function(*host_args)
    finally:
        intrinsics.set_work_item(None)


def _run_threads(python_function, host_args, items: list[_WorkItem], state: _Group) -> None:
    errors: list[BaseException] = []

    def body(item):
        try:
            _run_one(python_function, host_args, item)
        except threading.BrokenBarrierError:
            pass  # another work-item failed first; its error is reported
        except BaseException as error:  # re-raised in the launching thread
            errors.append(error)
            state.barrier.abort()
        finally:
            state.barrier.leave()

    threads = [threading.Thread(target=body, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
