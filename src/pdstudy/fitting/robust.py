"""ROUT outlier detection (Motulsky & Brown 2006, BMC Bioinformatics 7:123).

1. A robust fit: least squares reweighted with Lorentzian (Cauchy) weights,
   whose scale is the robust standard deviation of the residuals (RSDR, the
   68.27th percentile of |residual| corrected by N / (N - K)).
2. Each residual of the robust fit is tested against a t distribution scaled
   by a winsorized SD of those residuals (Huber's proposal-2 scale, below),
   with that scale's degrees of freedom (:data:`TEST_DF_FRACTION` x (N - K)),
   and the Benjamini-Hochberg false-discovery-rate rule: with P values sorted
   ascending (largest residual first), the i-th residual is an outlier when
   some j >= i has P_j < Q * j / N; it and every larger residual are removed.
3. Ordinary least squares on what remains; the result records the excluded
   points and the curve's reason names them.

The scale of the test. Motulsky & Brown scale the residuals by RSDR itself.
A percentile is an imprecise scale estimate: for Gaussian residuals the
68.27th percentile of |r| has a relative variance p (1 - p) / (n f^2) =
0.925 / n (p = 0.6827, f = 2 phi(1) the density of |Z| there), where an SD
with nu degrees of freedom has 1 / (2 nu), so RSDR carries only about 0.54
(N - K) degrees of freedom (:data:`RSDR_DF_FRACTION`). Tested against
t(N - K), as if it were an SD, RSDR made ROUT too eager (2.3 % of clean
39-point Gaussian curves lost a well at Q = 1 %, 3-5 % of clean count
curves). With its own 0.54 (N - K) degrees of freedom the test is calibrated
on average, but its false discoveries are then the curves whose RSDR happens
to be small: on 600 clean simulated count curves, even weighted by the exact
variance of every well, 2.8 % lost a well (their RSDR 0.54-0.99 of the true
SD), and a planted outlier is missed when the wide t(0.54 (N - K)) sets the
bar high. The scale of the test is therefore the winsorized SD of the robust
fit's residuals, each squared residual capped at ``(c RSDR)^2``:
``s^2 = sum min(r^2, (c RSDR)^2) / ((N - K) E[min(Z^2, c^2)])`` (one step
of Huber's "proposal 2" scale from RSDR; Huber 1981, Robust Statistics,
section 6.4), with ``c`` the 99.5th percentile of the normal
(:data:`WINSOR_C`, 2.576: only the 1 % of Gaussian residuals a test at
Q = 1 % could call outliers are capped). Its degrees of freedom follow from
the asymptotic variance of the winsorized SD,
``2 E[Z^2; |Z| < c]^2 / Var(min(Z^2, c^2))`` = 0.97 per residual degree of
freedom (:data:`TEST_DF_FRACTION`). A wild residual adds at most c^2 RSDR^2
to the sum (one in 39 points raises the scale by about 8 %), so a single
outlier cannot hide itself; the robust fit it is judged on keeps the RSDR
weights. The cost: several wild wells raise the scale together (five wells
at 8 SD in a 39-point curve are all found in 87 % of curves, 95 % with
RSDR as the scale; three: 97 % and 98 %). On clean curves (Gaussian, or counts with any weighting pdstudy
offers) the share that loses a well stays near Q, and one well at 1.5x its
count is found in about 99 % of curves
(``tests/test_fitting_rout_calibration.py``, ``tests/test_coverage_rout.py``).
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

WINSOR_C = float(stats.norm.isf(0.005))
"""Where the scale of ROUT's test winsorizes the residuals, in SDs: 2.576 (module docstring)."""


def _winsor_moments(c: float) -> tuple[float, float, float]:
    """``E[Z^2; |Z| < c]``, ``E[min(Z^2, c^2)]`` and ``Var(min(Z^2, c^2))`` for Z ~ N(0, 1)."""
    inside = 2.0 * stats.norm.cdf(c) - 1.0
    dens = float(stats.norm.pdf(c))
    tail = 1.0 - inside
    e2 = inside - 2.0 * c * dens
    mean = e2 + c * c * tail
    e4 = 3.0 * inside - 2.0 * dens * (c**3 + 3.0 * c) + c**4 * tail
    return e2, mean, e4 - mean * mean


_E2, WINSOR_MEAN, _WINSOR_VAR = _winsor_moments(WINSOR_C)
"""``E[min(Z^2, c^2)]`` at ``c`` = :data:`WINSOR_C`: the mean of a capped squared Gaussian residual."""

TEST_DF_FRACTION = 2.0 * _E2**2 / _WINSOR_VAR
"""Degrees of freedom of the winsorized scale per residual degree of freedom: ~0.97."""


def winsorized_scale(res: Array, used: Array, k: int) -> Array:
    """The scale of ROUT's test for each row of residuals (module docstring).

    ``s^2 = sum min(r^2, (c RSDR)^2) / ((N - K) E[min(Z^2, c^2)])`` with
    ``c`` = :data:`WINSOR_C`: for Gaussian residuals an SD, with each wild
    residual's share capped at ``c`` RSDR. One step from RSDR, not iterated:
    iterated to its fixed point (Huber's proposal 2) the cap would rise with
    the scale, and five wild wells in 39 would hide one another. NaN where
    RSDR is not finite or zero.
    """
    s0 = _rsdr(res, used, k)
    n = used.sum(axis=1)
    ok = np.isfinite(s0) & (s0 > 0)
    cap = (WINSOR_C * np.where(ok, s0, 0.0))[:, None] ** 2
    r2 = np.where(used, np.nan_to_num(res), 0.0) ** 2
    s = np.sqrt(np.minimum(r2, cap).sum(axis=1) / (np.maximum(n - k, 1) * WINSOR_MEAN))
    return np.where(ok, s, np.nan)


def rout_outliers(res: Array, used: Array, k: int, q: float = 0.01) -> Array:
    """Boolean (N, M) mask of outliers among robust-fit residuals ``res``."""
    out = np.zeros(res.shape, dtype=bool)
    s = winsorized_scale(res, used, k)
    for i in range(res.shape[0]):
        idx = np.flatnonzero(used[i])
        n = idx.size
        if n - k < 1 or not np.isfinite(s[i]) or s[i] <= 0:
            continue
        r = np.abs(res[i, idx])
        order = np.argsort(-r)
        t = r[order] / s[i]
        p = 2.0 * stats.t.sf(t, max(TEST_DF_FRACTION * (n - k), 1.0))
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


__all__: Sequence[str] = [
    "RSDR_DF_FRACTION",
    "TEST_DF_FRACTION",
    "WINSOR_C",
    "WINSOR_MEAN",
    "fit_rout",
    "rout_mask",
    "rout_outliers",
    "row_percentile",
    "winsorized_scale",
]
