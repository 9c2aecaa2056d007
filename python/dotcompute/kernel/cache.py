# python/dotcompute/kernel/cache.py
# The CPU kernel cache: content-addressed shared objects on disk, loaded modules in memory.
"""Kernel cache for the CPU backend (DESIGN §4).

Key: SHA-256 over the generated source, the target (``cpu``), the compiler flags, the compiler's
identity, the instruction set (the ``-march`` flag and, for ``native``, the CPU model and feature
flags), the dotcompute version and the CPU kernel ABI version. Any change to one of them is a new
entry; nothing is ever invalidated in place.

Layout: ``<cache dir>/cpu/<key>.so``, where the cache dir is ``DOTCOMPUTE_CACHE_DIR``, else
``$XDG_CACHE_HOME/dotcompute``, else ``~/.cache/dotcompute``.

Concurrency: a compilation writes a uniquely named temporary file in the same directory and
renames it over the entry (``os.replace`` is atomic), so readers see no entry or a complete one.
Two processes compiling the same kernel at once both compile and the last rename wins; the two
files are equivalent. A damaged entry (a truncated file that fails to load, or one without the ABI
version symbol) is deleted and rebuilt.

In memory, ``(key, device)`` maps to the loaded module, so looking a specialization up again is a
dictionary hit.

Backends that compile source themselves (a ``compile`` slot in their module table: NVRTC in the
CUDA plugin) get the same discipline through :func:`load_device_module`: the image the plugin
returns (a CUBIN) is stored as ``<cache dir>/<backend>/<key>.bin``, keyed by SHA-256 over the
source, the backend, the compile options, the device's ``compute_capability`` and the plugin's
``nvrtc_identity`` (the NVRTC file with its size and time; both from ``device.capabilities``),
the device name and the dotcompute version. A compiler rejection raises
:class:`~dotcompute.CompilationError` with the compiler's log and the source; a cached image that
no longer loads is deleted and compiled again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
import threading
from pathlib import Path

from .. import _backend_caches, _core
from ..errors import CompilationError, DotComputeError, InvalidArgumentError
from . import compiler as _compiler

TARGET = "cpu"
_SUFFIX = ".so"
_DEVICE_SUFFIX = ".bin"
#: Options given to the backend compiler, per backend. CUDA: no contraction of a * b + c into
#: fused multiply-adds, as -ffp-contract=off on the CPU, so + - * / round as numpy does.
DEVICE_COMPILE_OPTIONS = {"cuda": "--fmad=false"}
_TEMPORARY_MARK = ".tmp-"

_lock = threading.Lock()
# (key, device spec) -> loaded module; (source, device spec) -> key, so a repeated lookup does
# not even hash the source.
_modules: dict[tuple[str, str], _core.Module] = {}
_source_keys: dict[tuple[str, str | None, str | None, str | None], str] = {}
_isa_identity: dict[str, str] = {}
# (source, device spec) -> key of a device image; device spec -> the device's part of the key.
_device_source_keys: dict[tuple[str, str], str] = {}
_device_identities: dict[str, str] = {}
_stats = {"compiles": 0, "disk_hits": 0, "memory_hits": 0, "rebuilt_corrupt": 0}


def cache_dir() -> Path:
    """The cache directory (not created until something is written)."""
    explicit = os.environ.get("DOTCOMPUTE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base).expanduser() / "dotcompute"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "dotcompute"
    return Path.home() / ".cache" / "dotcompute"


def _cpu_facts() -> str:
    """What -march=native depends on: the CPU model and its feature flags."""
    facts = [platform.machine()]
    try:
        # Only the first processor's block; on a many-core machine the whole file is large.
        with open("/proc/cpuinfo") as stream:
            for line in stream:
                if not line.strip():
                    break
                key = line.split(":", 1)[0].strip()
                if key in ("vendor_id", "model name", "cpu family", "model", "flags", "Features"):
                    facts.append(line.strip())
    except OSError:
        facts.append(platform.processor())
    try:
        device = _core.get_device("cpu")
        facts.append(f"simd={device.capabilities.get('simd_detected')}")
    except DotComputeError:
        pass
    return "\n".join(facts)


def isa_identity() -> str:
    """The instruction-set part of the key (per process, per DOTCOMPUTE_CPU_ARCH value)."""
    flags = " ".join(_compiler.isa_flags())
    identity = _isa_identity.get(flags)
    if identity is None:
        identity = flags if "native" not in flags else f"{flags}\n{_cpu_facts()}"
        _isa_identity[flags] = identity
    return identity


def cache_key(source: str, compiler: _compiler.Compiler) -> str:
    """SHA-256 (hex) of everything the compiled file depends on."""
    parts = {
        "source": source,
        "target": TARGET,
        "flags": list(_compiler.compile_flags() + _compiler.LINK_FLAGS),
        "compiler": compiler.identity,
        "compiler_command": list(compiler.command),
        "isa": isa_identity(),
        "dotcompute": _core.__version__,
        "cpu_kernel_abi": _core.CPU_KERNEL_ABI_VERSION,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _entry_directory() -> Path:
    return cache_dir() / TARGET


def _key_for(source: str) -> tuple[str, _compiler.Compiler | None]:
    environment = (
        os.environ.get("CC"),
        os.environ.get("PATH"),
        os.environ.get(_compiler.ARCH_VARIABLE),
    )
    memo = (source, *environment)
    key = _source_keys.get(memo)
    if key is not None:
        return key, None
    compiler = _compiler.find_compiler(cache_dir())
    key = cache_key(source, compiler)
    _source_keys[memo] = key
    return key, compiler


def _compile_entry(source: str, key: str, compiler: _compiler.Compiler | None) -> Path:
    """Compiles source into the entry of key (atomically) and returns its path."""
    if compiler is None:
        compiler = _compiler.find_compiler(cache_dir())
    directory = _entry_directory()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{key}{_SUFFIX}"
    temporary = directory / (
        f"{key}{_TEMPORARY_MARK}{os.getpid()}-{threading.get_ident()}-{os.urandom(4).hex()}"
        f"{_SUFFIX}"
    )
    try:
        _compiler.compile_shared_object(source, temporary, compiler)
        os.replace(temporary, final)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    _stats["compiles"] += 1
    return final


def compile_cpu_source(source: str) -> str:
    """The path of the shared object built from source: from the disk cache, or compiled now.

    Raises :class:`dotcompute.CompilationError` (with ``log`` and ``source``) when the compiler
    rejects the source or there is no compiler.
    """
    key, compiler = _key_for(source)
    path = _entry_directory() / f"{key}{_SUFFIX}"
    if path.exists():
        _stats["disk_hits"] += 1
        return str(path)
    return str(_compile_entry(source, key, compiler))


def _device_spec(device) -> str:
    if device is None:
        return _core.default_device().spec
    if isinstance(device, str):
        return device
    return device.spec


def _load(path: str, spec: str) -> _core.Module:
    return _core.load_module(spec, os.fsencode(path) + b"\0")


def load_cpu_module(source: str, device=None) -> _core.Module:
    """The loaded module of source on a CPU device (default: the default device).

    In-process hits cost a dictionary lookup; disk hits a dlopen; misses a compilation.
    """
    spec = _device_spec(device)
    key, compiler = _key_for(source)
    module = _modules.get((key, spec))
    if module is not None and module.is_current:
        _stats["memory_hits"] += 1
        return module
    with _lock:
        module = _modules.get((key, spec))
        if module is not None and module.is_current:
            _stats["memory_hits"] += 1
            return module
        path = _entry_directory() / f"{key}{_SUFFIX}"
        if path.exists():
            _stats["disk_hits"] += 1
            try:
                module = _load(str(path), spec)
            except InvalidArgumentError:
                # Damaged entry (truncated write by a crashed tool, disk trouble, a file from
                # an incompatible build): drop it and build it again.
                with contextlib.suppress(OSError):
                    os.unlink(path)
                _stats["rebuilt_corrupt"] += 1
                module = None
        if module is None:
            module = _load(str(_compile_entry(source, key, compiler)), spec)
        _modules[(key, spec)] = module
        return module


# ---------------------------------------------------------------------------------------------
# Device images (backends that compile source themselves)
# ---------------------------------------------------------------------------------------------


def device_identity(device) -> str:
    """The device's part of an image's key: what the compiled image depends on (JSON)."""
    spec = device.spec
    identity = _device_identities.get(spec)
    if identity is None:
        capabilities = device.capabilities
        identity = json.dumps(
            {
                "backend": device.backend,
                "name": device.name,
                "compute_capability": capabilities.get("compute_capability"),
                # The file NVRTC is opened from, with its size and time: known without opening
                # it, so a process that only loads cached kernels never pays for that.
                "nvrtc": capabilities.get("nvrtc_identity"),
                "options": DEVICE_COMPILE_OPTIONS.get(device.backend, ""),
                # OpenCL: platform, device and driver versions (program binaries are only
                # valid for the driver build that made them).
                "compiler": capabilities.get("compiler_identity"),
            },
            sort_keys=True,
        )
        _device_identities[spec] = identity
    return identity


def device_cache_key(source: str, device) -> str:
    """SHA-256 (hex) of the source and everything a device image depends on."""
    parts = {
        "source": source,
        "device": device_identity(device),
        "dotcompute": _core.__version__,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _compile_device_entry(source: str, key: str, device) -> tuple[Path, bytes]:
    """Compiles source with the device's plugin into the entry of key (atomically)."""
    options = DEVICE_COMPILE_OPTIONS.get(device.backend, "")
    ok, image, log = _core.compile_module(device.spec, source, options)
    if not ok:
        first = next((line for line in log.splitlines() if "error" in line), "")
        raise CompilationError(
            f"the {device.backend} compiler rejected the generated source"
            + (f": {first.strip()}" if first else "")
            + " (the full log is in .log, the source in .source; please report this as a "
            "dotcompute bug)",
            log,
            source,
        )
    directory = cache_dir() / device.backend
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{key}{_DEVICE_SUFFIX}"
    temporary = directory / (
        f"{key}{_TEMPORARY_MARK}{os.getpid()}-{threading.get_ident()}-{os.urandom(4).hex()}"
        f"{_DEVICE_SUFFIX}"
    )
    try:
        temporary.write_bytes(image)
        os.replace(temporary, final)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    _stats["compiles"] += 1
    return final, image


def load_device_module(source: str, device) -> _core.Module:
    """The loaded module of source on a device whose plugin compiles source (CUDA).

    In-process hits cost a dictionary lookup; disk hits a file read and the plugin's load;
    misses a compilation by the plugin. Raises :class:`dotcompute.CompilationError` (with
    ``log`` and ``source``) when the compiler rejects the source.
    """
    if isinstance(device, str) or device is None:
        device = _core.get_device(_device_spec(device))
    spec = device.spec
    key = _device_source_keys.get((source, spec))
    if key is None:
        key = device_cache_key(source, device)
        _device_source_keys[(source, spec)] = key
    module = _modules.get((key, spec))
    if module is not None and module.is_current:
        _stats["memory_hits"] += 1
        return module
    with _lock:
        module = _modules.get((key, spec))
        if module is not None and module.is_current:
            _stats["memory_hits"] += 1
            return module
        path = cache_dir() / device.backend / f"{key}{_DEVICE_SUFFIX}"
        module = None
        try:
            image = path.read_bytes()
        except OSError:
            image = None
        if image is not None:
            _stats["disk_hits"] += 1
            try:
                module = _core.load_module(spec, image)
            except DotComputeError:
                # A damaged or foreign entry: drop it and compile again (a real problem with
                # the device shows up again below, with the fresh image).
                with contextlib.suppress(OSError):
                    os.unlink(path)
                _stats["rebuilt_corrupt"] += 1
        if module is None:
            _, image = _compile_device_entry(source, key, device)
            module = _core.load_module(spec, image)
        _modules[(key, spec)] = module
        return module


def _entry_directories() -> list[tuple[Path, str]]:
    """Every backend's entry directory with its file suffix (cpu first)."""
    found = [(_entry_directory(), _SUFFIX)]
    root = cache_dir()
    if root.is_dir():
        for item in sorted(root.iterdir()):
            if item.is_dir() and item.name != TARGET:
                found.append((item, _DEVICE_SUFFIX))
    return found


def cache_info() -> dict:
    """The disk cache's directory, entry count and size, and this process's counters."""
    entries = 0
    total = 0
    temporary = 0
    for directory, suffix in _entry_directories():
        if not directory.is_dir():
            continue
        for item in directory.iterdir():
            try:
                size = item.stat().st_size
            except OSError:
                continue  # removed meanwhile by another process
            total += size
            if _TEMPORARY_MARK in item.name:
                temporary += 1
            elif item.name.endswith(suffix):
                entries += 1
    return {
        "directory": str(cache_dir()),
        "entries": entries,
        "bytes": total,
        "temporary_files": temporary,
        "memory_entries": len(_modules),
        **_stats,
    }


@_backend_caches.register
def _forget_backend_modules(name: str) -> None:
    """Drops the loaded modules of backend ``name`` (Note [Cached device objects])."""
    with _lock:
        for entry in [e for e in _modules if _backend_caches.backend_of(e[1]) == name]:
            del _modules[entry]


def forget_loaded_modules() -> None:
    """Empties the in-process cache only: later lookups load from the disk cache again (what a
    fresh process does; benchmarks of the warm path use it)."""
    with _lock:
        _modules.clear()
        _source_keys.clear()
        _device_source_keys.clear()


def clear_cache() -> dict:
    """Deletes every cached kernel (disk and memory); returns the entries and bytes removed.

    Modules already loaded stay usable (an unlinked shared object stays mapped).
    """
    with _lock:
        _modules.clear()
        _source_keys.clear()
        _device_source_keys.clear()
    removed = 0
    freed = 0
    for directory, suffix in _entry_directories():
        if not directory.is_dir():
            continue
        for item in directory.iterdir():
            if not item.name.endswith(suffix):
                continue
            try:
                size = item.stat().st_size
                item.unlink()
            except OSError:
                continue
            freed += size
            if _TEMPORARY_MARK not in item.name:
                removed += 1
    with contextlib.suppress(OSError):
        (cache_dir() / "compilers.json").unlink()
    return {"directory": str(cache_dir()), "entries": removed, "bytes": freed}


__all__ = [
    "cache_dir",
    "cache_info",
    "cache_key",
    "clear_cache",
    "compile_cpu_source",
    "device_cache_key",
    "forget_loaded_modules",
    "isa_identity",
    "load_cpu_module",
    "load_device_module",
]
