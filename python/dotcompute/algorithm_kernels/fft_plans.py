# python/dotcompute/algorithm_kernels/fft_plans.py
# The generated FFT's tables, kept between calls per device, length and dtype (Note [FFT plans]).
"""Note [FFT plans]: a generated FFT of length n reads a twiddle table of n / 2 entries, and a
Bluestein length also the spectrum of its chirp filter (a whole FFT of the padded length).
Making them on every call cost a large share of it (PoCL, 2^20 complex64: the table took 9 ms
of 24), so they are kept between calls, as CuPy keeps cuFFT plans: an LRU cache of at most
``PLAN_LIMIT`` entries, keyed by device spec, kind, length and dtype. The tables are device
arrays, counted as in use by ``dc.memory_stats``; ``dc.algorithms.clear_fft_plans()`` lets them
go, and an unload or reload of a backend drops its entries first (Note [Cached device objects]).

A table is made on the caller's current stream and that stream is synchronized before the table
enters the cache, so a later call on any stream reads finished data. Inside ``dc.capture`` the
launches that would make a table are recorded, not run, so a table missing there is made for that
call only (the graph keeps it) and never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from .. import _backend_caches, _core

#: Entries kept (each a table or a filter spectrum); the least recently used goes first.
PLAN_LIMIT = 16

_plans: OrderedDict[tuple, tuple] = OrderedDict()
_lock = threading.Lock()


def plan(key: tuple, device: _core.Device, build: Callable[[], tuple]) -> tuple:
    """The arrays ``build()`` makes for ``key`` on ``device``, made once and then reused."""
    key = (device.spec, *key)
    with _lock:
        found = _plans.get(key)
        if found is not None:
            _plans.move_to_end(key)
            return found
    stream = _core.current_stream(device)
    if stream.is_capturing:
        return build()
    made = build()  # outside the lock: it launches kernels, and may ask for a plan itself
    stream.synchronize()
    with _lock:
        _plans[key] = made
        _plans.move_to_end(key)
        while len(_plans) > PLAN_LIMIT:
            _plans.popitem(last=False)
    return made


def clear() -> int:
    """Drops every kept table; returns how many entries went."""
    with _lock:
        count = len(_plans)
        _plans.clear()
    return count


def info() -> dict:
    """Entries kept, the bytes their arrays hold, and the limit."""
    with _lock:
        arrays = [a for entry in _plans.values() for a in entry if a is not None]
        return {"entries": len(_plans), "bytes": sum(a.nbytes for a in arrays), "limit": PLAN_LIMIT}


@_backend_caches.register
def _forget_backend(name: str) -> None:
    with _lock:
        for key in [k for k in _plans if _backend_caches.backend_of(k[0]) == name]:
            del _plans[key]
