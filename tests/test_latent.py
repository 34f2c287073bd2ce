"""Latent arithmetic (``mguv.latent``): interpolation paths and attribute vectors."""

import numpy as np
import pytest

from mguv.errors import UsageError
from mguv.latent import lerp, quartile_difference, slerp


def test_slerp_ends_at_the_endpoints_and_keeps_the_norm():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    path = slerp(a, b, np.linspace(0, 1, 5))
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)


def test_quartile_difference_is_top_mean_minus_bottom_mean():
    rng = np.random.default_rng(0)
    values = rng.permutation(np.arange(20.0))
    z = rng.standard_normal((20, 3))
    vector, high, low = quartile_difference(z, values)
    top, bottom = values >= 15, values < 5
    np.testing.assert_allclose(vector, z[top].mean(0) - z[bottom].mean(0), rtol=1e-5)
    assert (high, low) == (17.0, 2.0)


def test_quartile_difference_skips_nan_and_survives_ties():
    z = np.arange(8, dtype=np.float32)[:, None]
    values = np.array([np.nan, 1, 1, 1, 1, 1, 2, np.nan])  # 6 with a value: quartiles of 1
    vector, high, low = quartile_difference(z, values)
    assert (high, low) == (2.0, 1.0) and vector[0] == pytest.approx(6 - 1)
    with pytest.raises(UsageError, match="does not vary"):
        quartile_difference(z[:4], np.ones(4))
    with pytest.raises(UsageError, match="at least 2"):
        quartile_difference(z[:2], np.array([np.nan, 1.0]))


def test_lerp_and_slerp_share_endpoints_but_not_midpoints():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    for fn in (lerp, slerp):
        path = fn(a, b, np.linspace(0, 1, 3))
        np.testing.assert_allclose(path[[0, -1]], [a, b], atol=1e-6)
    assert np.linalg.norm(lerp(a, b, [0.5])[0]) == pytest.approx(3 / np.sqrt(2), rel=1e-5)
    assert np.linalg.norm(slerp(a, b, [0.5])[0]) == pytest.approx(3.0, rel=1e-5)
