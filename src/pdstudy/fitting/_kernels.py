"""Compiled inner loops of the solver (numba): fused residuals + normal equations.

The batched solver only needs, per curve, the weighted sum of squares, J'J and
J'r. For the sigmoidal models these are accumulated point by point here without
ever materialising the Jacobian, in parallel over curves. The numpy path in
``models.py`` computes the same quantities and the tests hold the two equal.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

LN10 = math.log(10.0)


def _four_pl_normal(
    x: np.ndarray, y: np.ndarray, sw: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """SSR, J'J (B, 4, 4) and J'r (B, 4) of the four-parameter logistic.

    ``x``, ``y``, ``sw`` are (B, M) (``sw`` = sqrt of the weights, 0 for a
    missing point); ``p`` is (B, 4): bottom, top, log_ic50, hill.
    """
    nb, nm = y.shape
    ssr = np.empty(nb)
    a = np.empty((nb, 4, 4))
    g = np.empty((nb, 4))
    for b in prange(nb):
        bottom = p[b, 0]
        top = p[b, 1]
        logc = p[b, 2]
        hill = p[b, 3]
        span = top - bottom
        sr = 0.0
        g0 = g1 = g2 = g3 = 0.0
        a00 = a01 = a02 = a03 = a11 = a12 = a13 = a22 = a23 = a33 = 0.0
        for m in range(nm):
            w = sw[b, m]
            if w == 0.0:
                continue
            d = logc - x[b, m]
            u = d * hill
            if u > 300.0:
                u = 300.0
            elif u < -300.0:
                u = -300.0
            e = math.exp(u * LN10)
            s = 1.0 / (1.0 + e)
            r = (y[b, m] - (bottom + span * s)) * w
            ds = -LN10 * e * s * s * span
            j0 = (1.0 - s) * w
            j1 = s * w
            j2 = ds * hill * w
            j3 = ds * d * w
            sr += r * r
            g0 += j0 * r
            g1 += j1 * r
            g2 += j2 * r
            g3 += j3 * r
            a00 += j0 * j0
            a01 += j0 * j1
            a02 += j0 * j2
            a03 += j0 * j3
            a11 += j1 * j1
            a12 += j1 * j2
            a13 += j1 * j3
            a22 += j2 * j2
            a23 += j2 * j3
            a33 += j3 * j3
        ssr[b] = sr
        g[b, 0] = g0
        g[b, 1] = g1
        g[b, 2] = g2
        g[b, 3] = g3
        a[b, 0, 0] = a00
        a[b, 0, 1] = a[b, 1, 0] = a01
        a[b, 0, 2] = a[b, 2, 0] = a02
        a[b, 0, 3] = a[b, 3, 0] = a03
        a[b, 1, 1] = a11
        a[b, 1, 2] = a[b, 2, 1] = a12
        a[b, 1, 3] = a[b, 3, 1] = a13
        a[b, 2, 2] = a22
        a[b, 2, 3] = a[b, 3, 2] = a23
        a[b, 3, 3] = a33
    return ssr, a, g


def _batched_solve(
    m: np.ndarray, rhs: np.ndarray, damp: np.ndarray, hold: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Solve ``(m[b] + diag(damp[b])) @ x[b] = rhs[b]`` for small square systems by
    Gaussian elimination with partial pivoting, with the parameters where
    ``hold[b]`` is true held (their step is 0); a singular system gives NaN."""
    nb, k, _ = m.shape
    out = np.empty((nb, k))
    for b in prange(nb):
        a = m[b].copy()
        v = rhs[b].copy()
        for c in range(k):
            a[c, c] += damp[b, c]
        for c in range(k):
            if hold[b, c]:
                for q in range(k):
                    a[c, q] = 0.0
                    a[q, c] = 0.0
                a[c, c] = 1.0
                v[c] = 0.0
        ok = True
        for c in range(k):
            piv = c
            best = abs(a[c, c])
            for r in range(c + 1, k):
                if abs(a[r, c]) > best:
                    best = abs(a[r, c])
                    piv = r
            if best == 0.0 or not math.isfinite(best):
                ok = False
                break
            if piv != c:
                for q in range(k):
                    t = a[c, q]
                    a[c, q] = a[piv, q]
                    a[piv, q] = t
                t = v[c]
                v[c] = v[piv]
                v[piv] = t
            for r in range(c + 1, k):
                f = a[r, c] / a[c, c]
                if f != 0.0:
                    for q in range(c, k):
                        a[r, q] -= f * a[c, q]
                    v[r] -= f * v[c]
        if not ok:
            for q in range(k):
                out[b, q] = np.nan
            continue
        for c in range(k - 1, -1, -1):
            acc = v[c]
            for q in range(c + 1, k):
                acc -= a[c, q] * out[b, q]
            out[b, c] = acc / a[c, c]
    return out


def _batched_inv(m: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Inverse of each small square matrix (Gauss-Jordan, partial pivoting);
    a singular matrix gives NaN."""
    nb, k, _ = m.shape
    out = np.empty((nb, k, k))
    for b in prange(nb):
        a = m[b].copy()
        inv = np.eye(k)
        ok = True
        for c in range(k):
            piv = c
            best = abs(a[c, c])
            for r in range(c + 1, k):
                if abs(a[r, c]) > best:
                    best = abs(a[r, c])
                    piv = r
            if best == 0.0 or not math.isfinite(best):
                ok = False
                break
            if piv != c:
                for q in range(k):
                    t = a[c, q]
                    a[c, q] = a[piv, q]
                    a[piv, q] = t
                    t = inv[c, q]
                    inv[c, q] = inv[piv, q]
                    inv[piv, q] = t
            d = a[c, c]
            for q in range(k):
                a[c, q] /= d
                inv[c, q] /= d
            for r in range(k):
                if r != c:
                    f = a[r, c]
                    if f != 0.0:
                        for q in range(k):
                            a[r, q] -= f * a[c, q]
                            inv[r, q] -= f * inv[c, q]
        if ok:
            out[b] = inv
        else:
            out[b] = np.nan
    return out


# Each kernel is compiled twice: serial for small batches (starting threads costs
# more than it saves, and a busy machine makes it worse) and parallel over curves.
PARALLEL_MIN_CURVES = 4096

# Fast-math flags that let LLVM vectorise exp() and reorder the sums (results agree
# with strict IEEE arithmetic to ~1e-15 relative, tested), without the no-NaN /
# no-Inf assumptions: a NaN parameter still gives a NaN sum, which the solver rejects.
_FASTMATH = {"afn", "contract", "reassoc", "arcp"}
_normal_ser = njit(cache=True, fastmath=_FASTMATH)(_four_pl_normal)
_normal_par = njit(parallel=True, cache=True, fastmath=_FASTMATH)(_four_pl_normal)
_solve_ser = njit(cache=True)(_batched_solve)
_solve_par = njit(parallel=True, cache=True)(_batched_solve)
_inv_ser = njit(cache=True)(_batched_inv)
_inv_par = njit(parallel=True, cache=True)(_batched_inv)


def four_pl_normal(
    x: np.ndarray, y: np.ndarray, sw: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SSR, J'J and J'r of the four-parameter logistic (see ``_four_pl_normal``)."""
    kernel = _normal_par if y.shape[0] >= PARALLEL_MIN_CURVES else _normal_ser
    return kernel(x, y, sw, p)  # type: ignore[no-any-return]


def batched_solve(
    m: np.ndarray,
    rhs: np.ndarray,
    damp: np.ndarray | None = None,
    hold: np.ndarray | None = None,
) -> np.ndarray:
    """Solve a stack of small linear systems ``(m + diag(damp)) x = rhs``, with the
    unknowns marked in ``hold`` fixed at 0 (NaN rows where singular)."""
    if damp is None:
        damp = np.zeros(rhs.shape)
    if hold is None:
        hold = np.zeros(rhs.shape, dtype=np.bool_)
    kernel = _solve_par if m.shape[0] >= PARALLEL_MIN_CURVES else _solve_ser
    return kernel(  # type: ignore[no-any-return]
        np.ascontiguousarray(m), np.ascontiguousarray(rhs), np.ascontiguousarray(damp), hold
    )


def batched_inv(m: np.ndarray) -> np.ndarray:
    """Invert a stack of small matrices (NaN where singular)."""
    kernel = _inv_par if m.shape[0] >= PARALLEL_MIN_CURVES else _inv_ser
    return kernel(m)  # type: ignore[no-any-return]
