# python/dotcompute/algorithm_kernels/compact.py
# The positions of the true elements of a flag array, in order: the kernel behind dc.nonzero and
# boolean-mask indexing.
"""``compact_positions``: after an inclusive scan of the flags (``ends[g]`` = the number of true
flags in ``flags[0..g]``), the g-th element, when true, is the ``ends[g]``-th true one, so it
writes its position g to ``out[ends[g] - 1]``. Every work-item writes its own slot, so the
positions come out in increasing order with no atomics, on every backend.
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core


@dc.kernel
def compact_positions(
    flags: dc.Array[dc.bool_], ends: dc.Array[dc.int64], out: dc.Array[dc.int64], count: dc.int64
):
    g = dc.global_id(0)
    if g < count:
        if flags[g]:
            out[ends[g] - 1] = g


def positions(flags: _core.Array, ends: _core.Array, out: _core.Array) -> None:
    """Writes the positions of flags' true elements into out (flags and ends 1-D, one length;
    out as long as the number of true flags)."""
    count = flags.size
    if count:
        compact_positions[count](flags, ends, out, count)
