"""Lattice node values fitted to how a 3D LUT is interpolated, weighted by where footage lies.

A LUT's output at a point is a fixed linear combination of the node values around it
(trilinear: the 8 corners of its cell; tetrahedral: the 4 corners of its tetrahedron; Kasson,
Nin, Plouffe & Hafner, J. Electronic Imaging 4(3), 1995). So for sample points x_i with
weights rho_i the node values T that make the interpolated LUT follow a function f best in
the weighted least-squares sense solve the normal equations

    (sum_m A_m^T D A_m + lambda I) T = sum_m A_m^T D f(x) + lambda f(nodes),

one row of A_m per sample and interpolation method m (a .vlt is fitted to trilinear and
tetrahedral at once, since the camera's interpolation is not published), D = diag(rho), and
a small ridge lambda pulling each node towards the exact value at its position (nodes no
sample reaches keep it). The system is sparse and symmetric positive definite: conjugate gradients
(scipy) with the nodes' 3 x 3 diagonal blocks as preconditioner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

METHODS = ("tetrahedral", "trilinear")


def cell_weights(position: np.ndarray, n: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(node indices M x k, weights M x k) of each point's interpolation on an n^3 lattice;
    ``position`` M x 3 in lattice units [0, n - 1], flat index r * n^2 + g * n + b."""
    f = np.clip(position, 0.0, n - 1.0)
    i0 = np.minimum(np.floor(f).astype(np.int64), n - 2)
    d = f - i0

    def flat(offset) -> np.ndarray:
        i = i0 + np.asarray(offset)
        return (i[:, 0] * n + i[:, 1]) * n + i[:, 2]

    if method == "trilinear":
        corners = [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
        index = np.stack([flat(c) for c in corners], 1)
        weight = np.stack(
            [np.prod(np.where(np.asarray(c) == 1, d, 1.0 - d), axis=1) for c in corners], 1
        )
        return index, weight
    # tetrahedral: walk from corner 0 to corner 1 along the axes in decreasing order of d
    order = np.argsort(-d, axis=1, kind="stable")
    ds = np.take_along_axis(d, order, axis=1)
    steps = np.zeros((len(d), 4, 3), np.int64)
    for k in range(1, 4):
        steps[:, k] = steps[:, k - 1]
        np.put_along_axis(steps[:, k], order[:, k - 1 : k], 1, axis=1)
    index = np.stack([flat(steps[:, k]) for k in range(4)], 1)
    weight = np.stack([1.0 - ds[:, 0], ds[:, 0] - ds[:, 1], ds[:, 1] - ds[:, 2], ds[:, 2]], 1)
    return index, weight


def fit_lattice(
    function: Callable[[np.ndarray], np.ndarray],
    nodes: np.ndarray,
    samples: np.ndarray,
    methods: Sequence[str] = ("tetrahedral",),
    metric: Callable[[np.ndarray], np.ndarray] | None = None,
    ridge: float = 1e-3,
) -> np.ndarray:
    """n x n x n x 3 node values (index order r, g, b) for the lattice on ``nodes`` (its
    input values per axis; inputs between nodes map linearly, as a .vlt's 12-bit node map
    does) that make ``methods``' interpolation follow ``function`` on ``samples`` (M x 3
    inputs, as dense as the footage is) in the least-squares sense. ``metric`` gives, per
    exact output, a 3 x 3 matrix G so that |G e| measures an output error e as seen (the
    channels are then fitted together); without it each channel is fitted alone, in code
    values. ``ridge`` is lambda relative to the mean diagonal of the normal matrix. Nodes
    the solution puts outside the function's range (which a file would clamp) are held at
    that range and the rest fitted again."""
    from scipy import sparse

    n = len(nodes)
    size = 3 * n**3
    grid = np.stack(np.meshgrid(nodes, nodes, nodes, indexing="ij"), -1).reshape(-1, 3)
    exact_nodes = np.asarray(function(grid), np.float64).ravel()  # node-major, channel-minor
    target = np.asarray(function(samples), np.float64)
    weigh = np.broadcast_to(np.eye(3), (len(samples), 3, 3)) if metric is None else metric(target)
    axis = np.arange(n, dtype=np.float64)
    position = np.stack([np.interp(samples[:, c], nodes, axis) for c in range(3)], 1)
    normal = sparse.csr_matrix((size, size))
    rhs = np.zeros(size)
    seen = np.einsum("mkc,mc->mk", weigh, target).ravel()  # G y, row (sample, k)
    for method in methods:
        index, weight = cell_weights(position, n, method)
        # row (i, k), column (node j, channel c): w_ij G_i[k, c]
        values = weight[:, None, :, None] * weigh[:, :, None, :]
        columns = 3 * index[:, None, :, None] + np.arange(3)[None, None, None, :]
        columns = np.broadcast_to(columns, values.shape)
        rows = np.broadcast_to(np.arange(3 * len(samples)).reshape(-1, 3, 1, 1), values.shape)
        b = sparse.csr_matrix(
            (values.ravel(), (rows.ravel(), columns.ravel())), (3 * len(samples), size)
        )
        normal = normal + (b.T @ b)
        rhs += b.T @ seen
    lam = ridge * normal.diagonal().mean()
    normal = (normal + lam * sparse.identity(size)).tocsr()
    rhs += lam * exact_nodes
    out = _solve(normal, rhs, exact_nodes)
    lo, hi = exact_nodes.min(), exact_nodes.max()
    outside = (out < lo) | (out > hi)
    if outside.any():  # hold those nodes at the function's range and fit the others again
        pin = np.where(outside, 1e6 * normal.diagonal().mean(), 0.0)
        out = _solve(normal + sparse.diags(pin), rhs + pin * np.clip(out, lo, hi), out)
    return np.clip(out, lo, hi).reshape(n, n, n, 3)


def _solve(normal, rhs: np.ndarray, start: np.ndarray) -> np.ndarray:
    from scipy.sparse.linalg import cg

    out, _ = cg(normal, rhs, x0=start, M=_block_jacobi(normal), rtol=1e-6, maxiter=1000)
    return out


def _block_jacobi(normal):
    """The inverse of the 3 x 3 blocks on the diagonal (one node's three channels): the
    preconditioner for conjugate gradients."""
    from scipy import sparse

    nodes = normal.shape[0] // 3
    index = 3 * np.arange(nodes)
    blocks = np.empty((nodes, 3, 3))
    for a in range(3):
        for b in range(3):
            blocks[:, a, b] = np.asarray(normal[index + a, index + b]).ravel()
    return sparse.block_diag(list(np.linalg.inv(blocks)), format="csr")


#: skin tones' direction from neutral in linear Rec.2020 (a light skin reflectance, R > G > B)
SKIN_RGB = np.array([0.47, 0.33, 0.25])


def footage_samples(count: int, seed: int = 0) -> np.ndarray:
    """Scene-linear Rec.2020 colours distributed as footage is, for weighting a fit (not
    measured from any test chart): luminance log-normal around 18 % grey (sd 2.5 stops),
    colour mostly near neutral (chroma half-normal, sd 0.25 of the luminance, any hue), a
    third of them along the skin-tone direction, and a tenth spread over 4x the range."""
    rng = np.random.default_rng(seed)
    level = 0.18 * 2.0 ** rng.normal(0.0, 2.5, count)
    e1 = np.array([1.0, -1.0, 0.0]) / np.sqrt(2.0)
    e2 = np.array([1.0, 1.0, -2.0]) / np.sqrt(6.0)
    hue = rng.uniform(0.0, 2 * np.pi, count)
    direction = np.cos(hue)[:, None] * e1 + np.sin(hue)[:, None] * e2
    skin = rng.random(count) < 1 / 3
    toward_skin = SKIN_RGB / SKIN_RGB.mean() - 1.0
    direction[skin] = toward_skin / np.linalg.norm(toward_skin)
    chroma = np.abs(rng.normal(0.0, 0.25, count))
    wide = rng.random(count) < 0.1
    chroma[wide] *= 4.0
    return level[:, None] * (1.0 + chroma[:, None] * direction)
