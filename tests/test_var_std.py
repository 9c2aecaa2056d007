# tests/test_var_std.py
# dc.var and dc.std (and x.var(), x.std()) on every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

TOLERANCE = {"float16": 2e-2, "float32": 2e-5}


@pytest.mark.parametrize("dtype", ["bool", "int16", "float16", "float32", "float64", "complex64"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_var_and_std_match_numpy(device, rng, dtype, axis):
    host = random_array(rng, (6, 301, 5), dtype)
    x = dc.asarray(host, device=device)
    for name in ("var", "std"):
        for ddof in (0, 1):
            got = getattr(dc, name)(x, axis=axis, ddof=ddof)
            expected = getattr(np, name)(host, axis=axis, ddof=ddof)
            assert got.dtype == expected.dtype and got.shape == np.shape(expected), name
            np.testing.assert_allclose(
                got.numpy().astype(np.float64),
                np.asarray(expected, np.float64),
                rtol=TOLERANCE.get(dtype, 1e-5),
                err_msg=f"{name} ddof={ddof}",
            )
        kept = getattr(x, name)(axis=axis, keepdims=True)
        assert kept.shape == getattr(host, name)(axis=axis, keepdims=True).shape


def test_var_without_enough_elements_is_nan_as_numpy(device):
    one = dc.asarray(np.array([3.0]), device=device)
    assert float(dc.var(one)) == 0.0
    assert np.isnan(float(dc.var(one, ddof=1)))  # 0 / 0, where numpy warns and gives nan too
