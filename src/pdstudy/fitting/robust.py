"""ROUT outlier detection (Motulsky & Brown 2006, BMC Bioinformatics 7:123).

1. A robust fit: least squares reweighted with Lorentzian (Cauchy) weights,
   whose scale is the robust standard deviation of the residuals (RSDR, the
   68.27th percentile of |residual| corrected by N / (N - K)).
2. Each residual is tested against a t distribution scaled by RSDR, with the
   degrees of freedom of RSDR itself (:data:`RSDR_DF_FRACTION` x (N - K), see
   below), and the Benjamini-Hochberg false-discovery-rate
   rule: with P values sorted ascending (largest residual first), the i-th
   residual is an outlier when some j >= i has P_j < Q * j / N; it and every
   larger residual are removed.
3. Ordinary least squares on what remains; the result records the excluded
   points and the curve's reason names them.

A percentile is a less precise scale estimate than the standard deviation: for
Gaussian residuals the 68.27th percentile of |r| has a relative variance
p (1 - p) / (n f^2) = 0.925 / n (p = 0.6827, f = 2 phi(1) the density of |Z|
there), where an SD with nu degrees of freedom has 1 / (2 nu). RSDR therefore
carries about 0.54 (N - K) degrees of freedom, not N - K. Testing against
t(N - K) treats it as an SD and makes the test too eager: on clean 39-point
curves with Gaussian scatter it removed wells from 2.3 % of the curves at
Q = 1 %, and from 3-5 % of clean count curves; with the RSDR's own degrees of
freedom clean curves lose a well in about Q of the cases
(``tests/test_fitting_rout_calibration.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from pdstudy.fitting.models import Array, Model
from pdstudy.fitting.result import BatchFit
from pdstudy.fitting.solver import fit_curves


def row_percentile(a: Array, q: float) -> Array:
    """``np.nanpercentile(a, q, axis=1)`` (linear interpolation) without its per-row loop."""
    srt = np.sort(a, axis=1)  # NaN sort last
    n = np.sum(~np.isnan(a), axis=1)
    pos = q / 100.0 * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = pos - lo
    vlo = np.take_along_axis(srt, lo[:, None], axis=1)[:, 0]
    vhi = np.take_along_axis(srt, hi[:, None], axis=1)[:, 0]
    return np.where(n > 0, vlo + frac * (vhi - vlo), np.nan)


def _rsdr(res: Array, used: Array, k: int) -> Array:
    """Robust SD of the residuals: 68.27th percentile of |r| times N / (N - K)."""
    n = used.sum(axis=1)
    with np.errstate(all="ignore"):
        return row_percentile(np.where(used, np.abs(res), np.nan), 68.27) * n / np.maximum(n - k, 1)


RSDR_DF_FRACTION = (2.0 * stats.norm.pdf(1.0)) ** 2 / (2.0 * 0.6827 * (1.0 - 0.6827))
"""Degrees of freedom of RSDR per residual degree of freedom (module docstring): ~0.54."""


def rout_outliers(res: Array, used: Array, k: int, q: float = 0.01) -> Array:
    """Boolean (N, M) mask of outliers among robust-fit residuals ``res``."""
    out = np.zeros(res.shape, dtype=bool)
    s = _rsdr(res, used, k)
    for i in range(res.shape[0]):
        idx = np.flatnonzero(used[i])
        n = idx.size
        if n - k < 1 or not np.isfinite(s[i]) or s[i] <= 0:
            continue
        r = np.abs(res[i, idx])
        order = np.argsort(-r)
        t = r[order] / s[i]
        p = 2.0 * stats.t.sf(t, max(RSDR_DF_FRACTION * (n - k), 1.0))
        thresh = q * np.arange(1, n + 1) / n  # Benjamini-Hochberg: the largest residual meets q/n
        hits = np.flatnonzero(p < thresh)
        if hits.size:
            last = hits.max()
            out[i, idx[order[: last + 1]]] = True
    return out


def rout_mask(
    model: Model,
    x: object,
    y: object,
    *,
    q: float = 0.01,
    weights: object | None = None,
    robust_iterations: int = 12,
    **kwargs: Any,
) -> tuple[Array, BatchFit]:
    """Outlier mask by ROUT, and the robust fit it was judged on.

    Residuals are scaled by the square root of their weights before the robust
    fit and the test, so that with weighted data (e.g. counts whose variance
    grows with the signal) the noisiest points are not taken for outliers. The
    test uses the robust fit, not the first least-squares fit, which outliers
    may have spoiled or made fail.
    """
    first = fit_curves(model, x, y, weights=weights, **kwargs)
    k = first.n_free()
    used = first.used
    base = np.where(used, first.weights, 1.0)
    sw = np.sqrt(np.where(used, first.weights, 0.0))
    consts = _consts(first)
    p0: Mapping[str, Any] = kwargs.pop("p0", None) or {}
    cur = first
    with np.errstate(all="ignore"):
        res = np.where(used, sw * (first.y - model.func(first.x, cur.params, consts)), np.nan)
    for _ in range(robust_iterations):
        s = _rsdr(res, used, k)
        s = np.where(np.isfinite(s) & (s > 0), s, 1.0)
        w = base / (1.0 + (np.nan_to_num(res) / s[:, None]) ** 2)
        start = {
            nm: np.where(np.isfinite(cur.params[:, j]), cur.params[:, j], 1.0)
            for j, nm in enumerate(model.params)
            if cur.free[j]
        }
        start.update(p0)
        cur = fit_curves(model, first.x, y, weights=w, p0=start, **kwargs)
        with np.errstate(all="ignore"):
            res = np.where(used, sw * (first.y - model.func(first.x, cur.params, consts)), np.nan)
    outliers = rout_outliers(res, used, k, q) & cur.ok[:, None]
    return np.asarray(outliers), cur


def fit_rout(
    model: Model,
    x: object,
    y: object,
    *,
    q: float = 0.01,
    robust_iterations: int = 12,
    **kwargs: Any,
) -> BatchFit:
    """Fit with ROUT: robust fit, remove outliers at false discovery rate ``q``, refit.

    Keyword arguments go to :func:`~pdstudy.fitting.fit_curves` (``weights``,
    ``fixed``, ``bounds``, ``constants``, ``labels``...). The result's
    ``excluded`` mask marks the outliers, and each curve's reason lists them.
    """
    weights = kwargs.pop("weights", None)
    outliers, _ = rout_mask(
        model, x, y, q=q, weights=weights, robust_iterations=robust_iterations, **kwargs
    )
    kwargs.pop("p0", None)
    final = fit_curves(model, x, y, weights=weights, exclude=outliers, **kwargs)
    reasons = list(final.reason)
    for i in range(final.n_curves):
        idx = np.flatnonzero(outliers[i])
        if idx.size:
            pts = ", ".join(f"#{j} (x={final.x[i, j]:.4g}, y={final.y[i, j]:.4g})" for j in idx)
            note = f"ROUT (Q={q:g}) excluded {idx.size} outlier(s): {pts}"
            reasons[i] = f"{reasons[i]}; {note}" if reasons[i] else note
    return dataclasses.replace(final, excluded=outliers, reason=tuple(reasons))


def _consts(fit: BatchFit) -> dict[str, Array]:
    return {k: np.asarray(v).reshape(-1, 1) for k, v in fit.constants.items()}


__all__: Sequence[str] = ["fit_rout", "rout_mask", "rout_outliers", "row_percentile"]
