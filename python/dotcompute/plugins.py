# python/dotcompute/plugins.py
# dc.plugins: list, load (optionally probed in a child process), unload, reload, health, discovery.
"""Backend plugins (DESIGN §2).

Every backend, the CPU one included, is a shared library loaded by the core's registry. At import
dotcompute loads, in this order, the plugins next to its native module (``dotcompute/backends``),
those named by ``DOTCOMPUTE_PLUGIN_PATH`` (files or directories, ``os.pathsep`` separated) and
those that installed packages advertise in the entry-point group ``dotcompute.backends``. A file
that fails any check is not loaded; :func:`rejected` tells why.

>>> import dotcompute as dc
>>> [p.name for p in dc.plugins.list()]  # doctest: +SKIP
['cpu']
>>> dc.plugins.load("/opt/plugins/mybackend.so", isolated=True)  # doctest: +SKIP

A third-party wheel registers its plugin with an entry point whose object is the path of the
library, or a callable returning it; name the entry point after the backend::

    [project.entry-points."dotcompute.backends"]
    mybackend = "mybackend_dotcompute:plugin_path"
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from typing import NoReturn

from . import _backend_caches, _core
from ._probe import PROBE_MARKER
from .errors import DotComputeError, PluginError

__all__ = [
    "ENTRY_POINT_GROUP",
    "DeviceHealth",
    "PluginInfo",
    "Rejection",
    "health",
    "list",
    "load",
    "rejected",
    "reload",
    "unload",
]

#: Entry-point group through which installed packages provide plugins.
ENTRY_POINT_GROUP = "dotcompute.backends"
#: How long an isolated probe may take before the plugin is rejected as hanging.
PROBE_TIMEOUT_SECONDS = 60.0
#: How much of a failed probe's stderr goes into the error message.
PROBE_STDERR_TAIL_CHARACTERS = 2000


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin. ``retiring`` plugins were replaced by a reload and close when
    ``live_objects`` (their buffers, modules and streams) reaches zero."""

    name: str
    version: str
    description: str
    path: str
    origin: str
    sha256: str
    abi: str
    devices: int
    live_objects: int
    retiring: bool


@dataclass(frozen=True)
class Rejection:
    """A plugin file that was not loaded: where it came from and why."""

    path: str
    origin: str
    name: str
    reason: str


@dataclass(frozen=True)
class DeviceHealth:
    """Result of the health check of one device (``device`` is -1 when the whole backend
    failed)."""

    backend: str
    device: int
    ok: bool
    seconds: float
    message: str


def list() -> builtins.list[PluginInfo]:
    """Every loaded plugin, retiring ones included."""
    return [PluginInfo(**info) for info in _core.plugins()]


def rejected() -> builtins.list[Rejection]:
    """Every plugin file that was refused, with the reason."""
    return [Rejection(**info) for info in _core.rejections()]


def load(path: str | os.PathLike[str], *, isolated: bool = False) -> PluginInfo:
    """Loads a plugin file and returns its description.

    With ``isolated=True`` the file is first checked, probed and initialized in a child process,
    so a plugin that crashes at start-up raises :class:`PluginError` here instead of killing this
    process. Raises :class:`PluginError` naming the cause for any refused file.
    """
    path = os.path.abspath(os.fspath(path))
    if isolated:
        _probe_in_child(path)
    return PluginInfo(**_core.load_plugin(path, "load(isolated=True)" if isolated else "load()"))


def unload(name: str, defer: bool = False) -> None:
    """Unloads a backend. Raises :class:`PluginError` while arrays, modules or streams of it are
    alive (delete them first), unless ``defer`` is true: then the backend is gone for new work at
    once, and its library closes when the last of those objects dies. The library's own caches
    (loaded kernels, FFT tables) let go of the backend first (Note [Cached device objects])."""
    _backend_caches.drop_backend(name)
    _core.unload_plugin(name, defer)


def reload(name: str, path: str | os.PathLike[str] | None = None) -> PluginInfo:
    """Loads a new version of a backend (default: its current file again) beside the old one.

    New work goes to the new version at once; the old one stays open, listed as retiring, until
    its last object is gone. If the new file is refused, the old version stays in use and
    :class:`PluginError` says why.
    """
    info = PluginInfo(**_core.reload_plugin(name, "" if path is None else os.fspath(path)))
    _backend_caches.drop_backend(name)  # the old version closes once the user's objects go
    return info


def health() -> builtins.list[DeviceHealth]:
    """Runs a small memory round trip (and an add where the backend has built-in ops) on every
    device of every loaded backend. Failures are reported, never raised."""
    results: builtins.list[DeviceHealth] = []
    for plugin in list():
        if plugin.retiring:
            continue
        try:
            reports = _core.health_check(plugin.name)
        except DotComputeError as error:  # unloaded meanwhile, or broken beyond one device
            results.append(DeviceHealth(plugin.name, -1, False, 0.0, str(error)))
            continue
        results.extend(DeviceHealth(plugin.name, **report) for report in reports)
    return results


# ------------------------------------------------------------------------------------------------
# Discovery at import

_autoload_lock = threading.Lock()
_autoloaded = False


def _autoload() -> None:
    """Loads the built-in, DOTCOMPUTE_PLUGIN_PATH and entry-point plugins, once per process."""
    global _autoloaded
    with _autoload_lock:
        if _autoloaded:
            return
        _autoloaded = True
    _export_cuda_library_directories()
    _core.discover()
    _load_entry_points()


#: Where the nvidia-* wheels keep their libraries, under the ``nvidia`` namespace package
#: (CUDA 12 wheels: nvidia/<library>/lib; CUDA 13 wheels: nvidia/cu13/lib), by the variable
#: the CUDA plugin reads (cuda/library_search.hpp, Note [Finding CUDA libraries]).
_CUDA_WHEEL_DIRECTORIES = {
    "DOTCOMPUTE_NVRTC_DIRS": ("cuda_nvrtc/lib", "cu13/lib", "cu12/lib"),
    "DOTCOMPUTE_CUDA_LIBRARY_DIRS": ("cublas/lib", "cufft/lib", "cu13/lib", "cu12/lib"),
}


def _export_cuda_library_directories() -> None:
    """Tells the CUDA plugin where pip installed NVRTC, cuBLAS and cuFFT; C++ cannot ask Python
    where site-packages is. Finds the ``nvidia`` namespace package without importing from it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    for variable, relatives in _CUDA_WHEEL_DIRECTORIES.items():
        found = [
            os.path.join(root, relative)
            for root in spec.submodule_search_locations
            for relative in relatives
            if os.path.isdir(os.path.join(root, relative))
        ]
        existing = os.environ.get(variable, "")
        directories = [entry for entry in existing.split(os.pathsep) if entry] + found
        if directories:
            os.environ[variable] = os.pathsep.join(dict.fromkeys(directories))


def _load_entry_points() -> None:
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {entry_point.name}"
        try:
            target = entry_point.load()
            if callable(target):
                target = target()
            path = os.path.abspath(os.fspath(target))
        except Exception as error:
            # A broken third-party package must not break `import dotcompute`.
            distribution = getattr(entry_point, "dist", None)
            provider = f" of {distribution.name}" if distribution is not None else ""
            _core.record_rejection(
                entry_point.value,
                origin,
                entry_point.name,
                f"entry point {entry_point.name} = {entry_point.value}{provider} did not give a "
                f"plugin path: {type(error).__name__}: {error}",
            )
            continue
        # On failure the registry has recorded the rejection with its reason.
        with contextlib.suppress(DotComputeError):
            _core.load_plugin(path, origin)


# ------------------------------------------------------------------------------------------------
# Isolated probe


def _reject(path: str, name: str, reason: str, origin: str = "load(isolated=True)") -> NoReturn:
    _core.record_rejection(path, origin, name, reason)
    raise PluginError(f"cannot load plugin {path}: {reason}")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _probe_in_child(path: str) -> None:
    """Raises PluginError (and records the rejection) unless the file probes fine in a child."""
    environment = dict(os.environ, DOTCOMPUTE_NO_AUTOLOAD="1")
    command = [sys.executable, "-m", "dotcompute._probe", path]
    try:
        completed = subprocess.run(
            command,
            env=environment,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _reject(
            path,
            "",
            f"its start-up did not finish within {PROBE_TIMEOUT_SECONDS:g} s "
            "(isolated probe in a child process)",
        )
    report = None
    for line in completed.stdout.splitlines():
        if line.startswith(PROBE_MARKER):
            report = json.loads(line[len(PROBE_MARKER) :])
    if completed.returncode < 0:
        _reject(
            path,
            "",
            f"it crashed with {_signal_name(-completed.returncode)} during start-up "
            "(found by the isolated probe in a child process; this process is unaffected)",
        )
    if report is None:
        stderr_tail = completed.stderr.strip()[-PROBE_STDERR_TAIL_CHARACTERS:]
        _reject(
            path,
            "",
            f"the isolated probe exited with status {completed.returncode} without a report"
            + (f": {stderr_tail}" if stderr_tail else ""),
        )
    elif not report["ok"]:
        _reject(path, report["name"], report["reason"])
