# python/dotcompute/_backend_caches.py
# The library's caches of device objects, dropped per backend before an unload or reload.
"""Note [Cached device objects]: the library keeps device objects between calls (loaded kernel
modules, each kernel's launch plans, the FFT's tables), and every one of them holds a reference on
its plugin. Left alone they would make ``dc.plugins.unload`` refuse with "N modules are still
alive", naming objects the user never saw and cannot delete, and keep a reloaded plugin's old
version open for good. So each cache registers a function here that drops its entries of one
backend; ``unload`` and ``reload`` call them first. Only the library's own references go: arrays,
kernels' results and pipelines the user holds still keep the plugin, as docs/plugins.md §6 says.
"""

from __future__ import annotations

from collections.abc import Callable

_droppers: list[Callable[[str], None]] = []


def register(drop: Callable[[str], None]) -> Callable[[str], None]:
    """Registers drop(backend_name), which forgets a cache's objects of that backend."""
    _droppers.append(drop)
    return drop


def drop_backend(name: str) -> None:
    """Forgets every cached object of backend ``name`` (Note [Cached device objects])."""
    for drop in _droppers:
        drop(name)


def backend_of(spec: str) -> str:
    """The backend of a device spec: "opencl" for "opencl:1"."""
    return spec.partition(":")[0]
