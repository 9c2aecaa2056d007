# tests/test_memory.py
# The per-device caching pool through the public API: reuse, split/merge, stats, limit, OOM.
"""Tests of dc.memory_stats, dc.empty_cache, dc.set_memory_limit and the pool behind arrays.

Every test starts from an emptied cache with no limit and compares against the stats it finds
then, so arrays other tests keep alive do not matter. Contents are checked with random data:
memory that merely reads back as zeros proves nothing.
"""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import dotcompute as dc

DEVICE = "cpu"
KiB = 1 << 10
MiB = 1 << 20


def stats() -> dict[str, int]:
    return dc.memory_stats(device=DEVICE)


def free_now() -> None:
    """Arrays give their memory back when their last reference dies; make sure it has."""
    gc.collect()


def filled(rng: np.random.Generator, count: int, dtype=np.float32):
    """A pooled array of random, non-zero values and the numpy copy to compare it with."""
    expected = (rng.random(count) * 100 + 1).astype(dtype)
    array = dc.empty(count, dtype=dtype, device=DEVICE)
    np.asarray(array)[...] = expected  # host-visible: a writable zero-copy view
    return array, expected


def assert_consistent(s: dict[str, int]) -> None:
    assert s["reserved"] == s["in_use"] + s["cached"]
    assert s["requested"] <= s["in_use"]
    assert s["peak_in_use"] >= s["in_use"]


@pytest.fixture(autouse=True)
def clean_pool():
    free_now()
    dc.set_memory_limit(0, device=DEVICE)
    dc.empty_cache(device=DEVICE)
    dc.reset_peak_memory_stats(device=DEVICE)
    yield
    free_now()
    dc.set_memory_limit(0, device=DEVICE)
    dc.empty_cache(device=DEVICE)


def test_stats_have_every_key():
    s = stats()
    assert set(s) == {
        "in_use",
        "requested",
        "cached",
        "reserved",
        "peak_in_use",
        "hits",
        "misses",
        "segments",
        "oom_retries",
        "limit",
    }
    assert all(isinstance(value, int) and value >= 0 for value in s.values())
    assert s["limit"] == 0
    assert_consistent(s)


def test_allocation_is_counted_and_freed_on_del():
    before = stats()
    a = dc.empty((1000,), dtype="float32", device=DEVICE)
    during = stats()
    assert during["in_use"] >= before["in_use"] + a.nbytes
    assert during["requested"] == before["requested"] + a.nbytes
    assert_consistent(during)
    del a
    free_now()
    after = stats()
    assert after["in_use"] == before["in_use"]
    assert after["requested"] == before["requested"]
    assert after["cached"] > before["cached"]  # kept for reuse, not given back
    assert_consistent(after)


def test_release_frees_at_once_and_later_use_is_an_error():
    before = stats()
    a = dc.ones((4096,), dtype="float32", device=DEVICE)
    a.release()
    assert stats()["in_use"] == before["in_use"]
    with pytest.raises(dc.DotComputeError):
        a.numpy()
    a.release()  # a second release is harmless
    assert stats()["in_use"] == before["in_use"]


def test_reuse_of_the_same_size_is_a_hit():
    a = dc.empty((12345,), dtype="float32", device=DEVICE)
    del a
    free_now()
    before = stats()
    b = dc.empty((12345,), dtype="float32", device=DEVICE)
    after = stats()
    assert after["hits"] == before["hits"] + 1
    assert after["misses"] == before["misses"]
    assert after["reserved"] == before["reserved"]
    del b


@pytest.mark.parametrize(
    ("cached_bytes", "smaller_bytes"),
    [(256 * KiB, 3 * KiB), (8 * MiB, 3 * MiB)],
    ids=["small-pool", "large-pool"],
)
def test_smaller_requests_split_a_cached_block(cached_bytes, smaller_bytes):
    a = dc.empty(cached_bytes, dtype="uint8", device=DEVICE)
    del a
    free_now()
    before = stats()
    b = dc.empty(smaller_bytes, dtype="uint8", device=DEVICE)
    c = dc.empty(smaller_bytes, dtype="uint8", device=DEVICE)  # from the split-off rest
    after = stats()
    assert after["hits"] == before["hits"] + 2
    assert after["misses"] == before["misses"]
    assert after["reserved"] == before["reserved"]
    assert_consistent(after)
    del b, c


def test_reused_memory_holds_what_is_written_not_what_was_there(rng):
    a, _ = filled(rng, 50_000)
    del a
    free_now()
    hits = stats()["hits"]
    zeros = dc.zeros((50_000,), dtype="float32", device=DEVICE)
    assert stats()["hits"] == hits + 1  # the same, dirty block came back
    np.testing.assert_array_equal(zeros.numpy(), np.zeros(50_000, np.float32))
    b, expected = filled(rng, 50_000)
    np.testing.assert_array_equal(b.numpy(), expected)


def test_zeros_ones_full_have_their_values():
    shape = (3, 257)
    np.testing.assert_array_equal(dc.zeros(shape, "int32", DEVICE).numpy(), np.zeros(shape))
    np.testing.assert_array_equal(dc.ones(shape, "float64", DEVICE).numpy(), np.ones(shape))
    np.testing.assert_array_equal(
        dc.full(shape, 7.25, "float32", device=DEVICE).numpy(), np.full(shape, 7.25, np.float32)
    )


def test_peak_tracks_the_highest_use_until_reset():
    base = stats()["in_use"]
    a = dc.empty(4 * MiB, dtype="uint8", device=DEVICE)
    b = dc.empty(4 * MiB, dtype="uint8", device=DEVICE)
    high = stats()["in_use"]
    assert high >= base + 8 * MiB
    del a, b
    free_now()
    s = stats()
    assert s["in_use"] == base
    assert s["peak_in_use"] >= high
    dc.reset_peak_memory_stats(device=DEVICE)
    assert stats()["peak_in_use"] == base


def test_empty_cache_returns_cached_memory():
    base = stats()
    arrays = [dc.empty(size, dtype="uint8", device=DEVICE) for size in (100, 300 * KiB, 5 * MiB)]
    del arrays
    free_now()
    assert stats()["cached"] >= base["cached"] + 5 * MiB
    dc.empty_cache(device=DEVICE)
    after = stats()
    assert after["cached"] == base["cached"]
    assert after["reserved"] == base["reserved"]
    assert after["segments"] == base["segments"]
    assert_consistent(after)


def test_odd_sizes_in_random_order_merge_back_into_whole_segments(rng):
    base = stats()
    live: list[tuple[dc.Array, np.ndarray]] = []
    for _ in range(400):
        if live and rng.random() < 0.45:
            array, expected = live.pop(int(rng.integers(len(live))))
            # Overlapping blocks would have overwritten each other's data.
            np.testing.assert_array_equal(array.numpy(), expected)
            del array
        else:
            size = int(rng.choice([rng.integers(1, 4000), rng.integers(1, 3 * MiB)]))
            live.append(filled(rng, size, np.uint8))
        if rng.random() < 0.05:
            assert_consistent(stats())
    rng.shuffle(live)
    for array, expected in live:
        np.testing.assert_array_equal(array.numpy(), expected)
    del array, expected  # the loop variable would keep the last array alive
    live.clear()
    free_now()
    s = stats()
    assert s["in_use"] == base["in_use"]
    assert s["requested"] == base["requested"]
    assert_consistent(s)
    dc.empty_cache(device=DEVICE)
    s = stats()
    # Only segments that are one free block again can be given back: this is the merge check.
    assert s["reserved"] == base["reserved"]
    assert s["segments"] == base["segments"]


def test_zero_size_arrays():
    before = stats()
    arrays = [
        dc.empty(0, dtype="float32", device=DEVICE),
        dc.zeros((3, 0), dtype="int64", device=DEVICE),
        dc.ones((0, 5), dtype="uint8", device=DEVICE),
    ]
    for array in arrays:
        assert array.size == 0
        assert array.nbytes == 0
        assert array.numpy().size == 0
    assert arrays[1].numpy().shape == (3, 0)
    assert stats()["requested"] == before["requested"]
    del arrays, array
    free_now()
    assert stats()["in_use"] == before["in_use"]


def test_out_of_memory_error_class():
    assert issubclass(dc.OutOfMemoryError, dc.DotComputeError)
    assert issubclass(dc.OutOfMemoryError, MemoryError)


def test_limit_makes_a_big_allocation_fail_with_the_stats_and_keeps_data(rng):
    keep, expected = filled(rng, 1 * MiB // 4)  # 1 MiB of float32
    limit = stats()["reserved"] + 16 * MiB
    dc.set_memory_limit(limit, device=DEVICE)
    assert stats()["limit"] == limit
    with pytest.raises(dc.OutOfMemoryError) as caught:
        dc.empty(64 * MiB, dtype="uint8", device=DEVICE)
    message = str(caught.value)
    assert "out of memory" in message
    assert "64.0 MiB" in message  # what was asked for
    assert "limit" in message
    for stat in ("in use", "cached", "reserved", "peak"):
        assert stat in message
    assert isinstance(caught.value, MemoryError)
    np.testing.assert_array_equal(keep.numpy(), expected)
    assert_consistent(stats())

    dc.set_memory_limit(0, device=DEVICE)
    big = dc.empty(64 * MiB, dtype="uint8", device=DEVICE)
    assert big.nbytes == 64 * MiB
    np.testing.assert_array_equal(keep.numpy(), expected)


def test_impossible_size_is_out_of_memory_not_a_crash():
    with pytest.raises(dc.OutOfMemoryError):
        dc.empty(1 << 60, dtype="uint8", device=DEVICE)
    assert_consistent(stats())


def test_out_of_memory_frees_the_cache_and_retries(rng):
    keep, expected = filled(rng, 1000)
    cached = dc.empty(8 * MiB, dtype="uint8", device=DEVICE)
    del cached
    free_now()
    before = stats()
    assert before["cached"] >= 8 * MiB
    # Room for 12 MiB only once the cached 8 MiB segment is given back.
    dc.set_memory_limit(before["reserved"] - 8 * MiB + 12 * MiB, device=DEVICE)
    big = dc.empty(12 * MiB, dtype="uint8", device=DEVICE)
    after = stats()
    assert after["oom_retries"] == before["oom_retries"] + 1
    assert after["reserved"] <= after["limit"]
    assert big.nbytes == 12 * MiB
    np.testing.assert_array_equal(keep.numpy(), expected)


def test_lowering_the_limit_below_reserved_trims_the_cache():
    a = dc.empty(8 * MiB, dtype="uint8", device=DEVICE)
    del a
    free_now()
    before = stats()
    dc.set_memory_limit(1 * MiB, device=DEVICE)
    after = stats()
    assert after["reserved"] <= before["reserved"] - 8 * MiB
    assert after["in_use"] == before["in_use"]


def test_threads_allocating_and_freeing_at_once(rng):
    base = stats()["in_use"]
    sizes = [int(size) for size in rng.integers(1, 2 * MiB, size=64)]
    errors: list[BaseException] = []

    def churn(seed: int) -> None:
        local = np.random.default_rng(seed)
        try:
            for _ in range(5):
                arrays = [filled(local, sizes[int(i)], np.uint8) for i in local.permutation(16)]
                for array, expected in arrays:
                    np.testing.assert_array_equal(array.numpy(), expected)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=churn, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    free_now()
    assert stats()["in_use"] == base
    assert_consistent(stats())


def test_pool_blocks_are_reused_only_on_their_stream(device):
    """Note [Stream-tagged blocks]: a freed block serves later requests on its own stream only,
    and goes to the default stream when its stream dies."""
    count = (3 << 20) // 4 + 17  # a large-pool block: one segment of its own
    dc.empty_cache(device)
    first, second = dc.Stream(device), dc.Stream(device)

    def allocation_outcome(stream):
        before = dc.memory_stats(device)
        if stream is None:
            block = dc.empty(count, "float32", device)
        else:
            with stream:
                block = dc.empty(count, "float32", device)
        after = dc.memory_stats(device)
        del block
        return "hit" if after["hits"] == before["hits"] + 1 else "miss"

    assert allocation_outcome(first) == "miss"
    assert allocation_outcome(first) == "hit"  # the block freed on `first` comes back there
    assert allocation_outcome(second) == "miss"  # ... but never to another stream
    assert allocation_outcome(second) == "hit"
    del first  # waits for its work, then its blocks belong to the default stream
    assert allocation_outcome(None) == "hit"
