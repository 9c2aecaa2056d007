# python/dotcompute/streams.py
# Streams, events and graph capture: the Python side of cpp/core/stream.cpp and graph.cpp.
"""Streams, events and graphs.

>>> import dotcompute as dc
>>> stream = dc.Stream("cpu")
>>> with dc.capture(stream) as graph:    # kernel launches on stream are captured, not run
...     pass
>>> graph.replay()                       # runs them (one CUDA graph launch on CUDA)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ._core import Event, Graph, Stream, current_stream

__all__ = ["Event", "Graph", "Stream", "capture", "current_stream"]


@contextlib.contextmanager
def capture(stream: Stream | None = None, *, device: Any = None) -> Iterator[Graph]:
    """Captures the kernel launches and algorithms run on ``stream`` inside the block into a
    ``dc.Graph``.

    ``stream`` is the current stream inside the block, so launches need no ``stream=``. With no
    stream, a new one is made on ``device`` (None: the default device). Captured work does not
    run until ``graph.replay()``; it replays on whatever its arrays hold then (``dc.copyto``
    writes new inputs), and the graph keeps those arrays alive. Arrays may be made and kernels
    compiled inside the block: allocations, transfers and fills run at once and are not part of
    the graph. Elementwise built-ins (``dc.add``, ``a + b``, ...) run as generated kernels
    inside it and are recorded (docs/streams.md). When the block raises, the capture is dropped
    and the error propagates.
    """
    if stream is None:
        stream = Stream(device)
    graph = Graph.begin_capture(stream)
    try:
        with stream:
            yield graph
    except BaseException:
        graph.abandon()
        raise
    graph.end_capture()
