"""looks.lut.fit_nodes_to_interpolation: node values fitted for tetrahedral interpolation."""

import numpy as np

from lsquared.looks import lut as lut_math


def _curved(points: np.ndarray) -> np.ndarray:
    """A smooth, non-separable test function (known everywhere: the ground truth)."""
    r, g, b = points[..., 0], points[..., 1], points[..., 2]
    return np.stack([np.sqrt(0.05 + r * g), np.exp(b - r) / 3, (r + g + b) ** 2 / 9], -1)


def _lut(table: np.ndarray) -> lut_math.Lut:
    return lut_math.Lut(table=table)


def _sampled(function, n: int) -> tuple[np.ndarray, np.ndarray]:
    nodes = np.linspace(0.0, 1.0, n)
    grid = np.stack(np.meshgrid(nodes, nodes, nodes, indexing="ij"), -1)
    return nodes, function(grid)


def test_fitting_lowers_the_interpolation_error_of_a_curved_function():
    nodes, table = _sampled(_curved, 9)
    fitted = lut_math.fit_nodes_to_interpolation(table, nodes, _curved)
    x = np.random.default_rng(0).random((50_000, 3))
    err_sampled = np.abs(lut_math.apply(_lut(table), x) - _curved(x))
    err_fitted = np.abs(lut_math.apply(_lut(fitted), x) - _curved(x))
    assert err_fitted.max() < 0.75 * err_sampled.max()
    assert np.sqrt((err_fitted**2).mean()) < 0.75 * np.sqrt((err_sampled**2).mean())


def test_an_affine_function_is_left_exactly_as_sampled():
    def affine(p):
        return p @ np.array([[0.5, 0.2, -0.1], [0.1, 0.7, 0.0], [0.0, 0.1, 0.9]]).T + 0.05

    nodes, table = _sampled(affine, 5)
    np.testing.assert_allclose(
        lut_math.fit_nodes_to_interpolation(table, nodes, affine), table, atol=1e-12
    )


def test_grey_nodes_are_fitted_along_the_neutral_axis_only():
    """A grey input interpolates between neutral-axis nodes alone, so fitting them against
    the axis alone must make the grey ramp at least as accurate as plain samples."""
    nodes, table = _sampled(_curved, 9)
    fitted = lut_math.fit_nodes_to_interpolation(table, nodes, _curved)
    ramp = np.repeat(np.linspace(0, 1, 2001)[:, None], 3, 1)
    err_sampled = np.abs(lut_math.apply(_lut(table), ramp) - _curved(ramp)).max()
    err_fitted = np.abs(lut_math.apply(_lut(fitted), ramp) - _curved(ramp)).max()
    assert err_fitted < err_sampled
