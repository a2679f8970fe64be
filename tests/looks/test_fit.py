"""looks.fit: lattice nodes fitted by weighted least squares to how a LUT is interpolated."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.looks import fit
from lsquared.looks import lut as lut_math
from tests.looks.test_fit_nodes import _curved

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("method", fit.METHODS)
def test_cell_weights_reproduce_the_interpolation(method):
    """Weights x node values equal lut.interp_3d (Kasson et al.'s formulas, written apart)."""
    n = 5
    table = RNG.random((n, n, n, 3))
    x = RNG.random((2000, 3))
    index, weight = fit.cell_weights(x * (n - 1), n, method)
    assert np.allclose(weight.sum(1), 1.0) and weight.min() >= -1e-12
    ours = np.einsum("mk,mkc->mc", weight, table.reshape(-1, 3)[index])
    expected = lut_math.interp_3d(x, table, (0, 0, 0), (1, 1, 1), method)
    np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_fit_lowers_the_error_where_the_samples_lie_for_both_interpolations():
    """Fitted to samples near the neutral axis, a 9^3 lattice of a curved function errs
    less there, for trilinear and tetrahedral alike, than the exact samples do."""
    nodes = np.linspace(0.0, 1.0, 9)
    level = RNG.random((20_000, 1))
    near_axis = np.clip(level + RNG.normal(0, 0.05, (20_000, 3)), 0, 1)
    table = fit.fit_lattice(_curved, nodes, near_axis, fit.METHODS)
    grid = np.stack(np.meshgrid(nodes, nodes, nodes, indexing="ij"), -1)
    exact = lut_math.Lut(table=_curved(grid))
    fitted = lut_math.Lut(table=table)
    test = np.clip(RNG.random((5000, 1)) + RNG.normal(0, 0.05, (5000, 3)), 0, 1)
    for method in fit.METHODS:
        before = np.abs(lut_math.apply(exact, test, method) - _curved(test))
        after = np.abs(lut_math.apply(fitted, test, method) - _curved(test))
        assert np.sqrt((after**2).mean()) < 0.7 * np.sqrt((before**2).mean()), method
    assert table.min() >= _curved(grid).min() and table.max() <= _curved(grid).max()
