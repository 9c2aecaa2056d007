# python/dotcompute/errors.py
# The exception hierarchy (DESIGN §6); the native core raises these classes by name.
"""Exceptions raised by dotcompute.

Every error derives from :class:`DotComputeError`. Where a builtin exception has the same meaning,
the class derives from it too, so ``except ValueError`` around a bad shape still works.
"""

from __future__ import annotations


class DotComputeError(Exception):
    """Base class of every dotcompute error."""


class BackendUnavailableError(DotComputeError):
    """A backend cannot run here (driver, library or device missing); the message says why."""


class PluginError(DotComputeError):
    """A plugin file was rejected, or a plugin operation (unload, reload) was refused."""


class DeviceError(DotComputeError, ValueError):
    """Unknown device spec, a device index out of range, arrays on different devices, or a
    device whose backend was unloaded."""


class InvalidArgumentError(DotComputeError, ValueError):
    """An argument has an acceptable type but an unusable value."""


class ShapeError(InvalidArgumentError):
    """Negative, oversized or mismatched shapes."""


class DTypeError(DotComputeError, TypeError):
    """Unsupported or mismatched element types."""


class OutOfMemoryError(DotComputeError, MemoryError):
    """A device allocation failed even after the cache was emptied; the message has the pool's
    statistics."""


class ReleasedArrayError(DotComputeError, RuntimeError):
    """The array's memory was given back with ``Array.release()``."""


class UnsupportedError(DotComputeError):
    """The operation exists but this backend or dtype cannot do it."""


class KernelSyntaxError(DotComputeError, SyntaxError):
    """A kernel uses Python syntax the kernel language does not support."""


class KernelTypeError(DotComputeError, TypeError):
    """A kernel's types do not check (bad annotation, mixing types without a cast)."""


class CompilationError(DotComputeError):
    """The backend compiler rejected generated code; ``log`` and ``source`` hold the details."""

    def __init__(self, message: str, log: str = "", source: str = "") -> None:
        super().__init__(message)
        self.log = log
        self.source = source


class LaunchError(DotComputeError):
    """A kernel launch or its execution failed."""


class PipelineError(DotComputeError):
    """A pipeline could not be built or one of its stages failed; ``stages`` maps stage names
    to their status."""

    def __init__(self, message: str, stages: dict | None = None) -> None:
        super().__init__(message)
        self.stages = dict(stages or {})


__all__ = [
    "BackendUnavailableError",
    "CompilationError",
    "DTypeError",
    "DeviceError",
    "DotComputeError",
    "InvalidArgumentError",
    "KernelSyntaxError",
    "KernelTypeError",
    "LaunchError",
    "OutOfMemoryError",
    "PipelineError",
    "PluginError",
    "ReleasedArrayError",
    "ShapeError",
    "UnsupportedError",
]
