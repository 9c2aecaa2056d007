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

from .. import _core
from ..errors import DotComputeError, InvalidArgumentError
from . import compiler as _compiler

TARGET = "cpu"
_SUFFIX = ".so"
_TEMPORARY_MARK = ".tmp-"

_lock = threading.Lock()
# (key, device spec) -> loaded module; (source, device spec) -> key, so a repeated lookup does
# not even hash the source.
_modules: dict[tuple[str, str], _core.Module] = {}
_source_keys: dict[tuple[str, str | None, str | None, str | None], str] = {}
_isa_identity: dict[str, str] = {}
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


def cache_info() -> dict:
    """The disk cache's directory, entry count and size, and this process's counters."""
    directory = _entry_directory()
    entries = 0
    total = 0
    temporary = 0
    if directory.is_dir():
        for item in directory.iterdir():
            try:
                size = item.stat().st_size
            except OSError:
                continue  # removed meanwhile by another process
            total += size
            if _TEMPORARY_MARK in item.name:
                temporary += 1
            elif item.name.endswith(_SUFFIX):
                entries += 1
    return {
        "directory": str(cache_dir()),
        "entries": entries,
        "bytes": total,
        "temporary_files": temporary,
        "memory_entries": len(_modules),
        **_stats,
    }


def forget_loaded_modules() -> None:
    """Empties the in-process cache only: later lookups load from the disk cache again (what a
    fresh process does; benchmarks of the warm path use it)."""
    with _lock:
        _modules.clear()
        _source_keys.clear()


def clear_cache() -> dict:
    """Deletes every cached kernel (disk and memory); returns the entries and bytes removed.

    Modules already loaded stay usable (an unlinked shared object stays mapped).
    """
    with _lock:
        _modules.clear()
        _source_keys.clear()
    removed = 0
    freed = 0
    directory = _entry_directory()
    if directory.is_dir():
        for item in directory.iterdir():
            if not item.name.endswith(_SUFFIX):
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
    "forget_loaded_modules",
    "isa_identity",
    "load_cpu_module",
]
