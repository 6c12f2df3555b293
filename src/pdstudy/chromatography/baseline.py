"""Baseline estimation with pybaselines.

The default is arPLS (asymmetrically reweighted penalized least squares; Baek
et al., Analyst 2015, 140, 250), ``pybaselines.Baseline.arpls``: a Whittaker
smoother that weights points below the baseline fully and points above it by
a logistic function of how far above the noise they lie. It follows the slow
drift of an electrochemical detector (the cell and the mobile phase settle for
hours) while peaks, which lie above, get no weight; unlike AsLS it sits in the
middle of the noise, not under it, so it does not add a positive offset to
every area. The smoothness ``lam`` is set from the expected peak width in
points (``lam = (2 x width_points)^4`` by default, a baseline that bends over no
less than about two peak widths: stiffer lets the baseline miss curved drift
at the ends of the run, softer lets it climb into the foot of tailing peaks), so one setting serves any sampling rate.

The solvent front (the unretained injection disturbance in the first minute)
is no baseline: the part before ``start_s`` is left out of the fit and gets
the first fitted value; peak detection ignores it too.
"""

from __future__ import annotations

import numpy as np

from pdstudy.errors import UsageError

__all__ = ["BASELINE_METHODS", "estimate_baseline", "default_lam"]

#: the pybaselines methods offered (all Whittaker smoothers that take ``lam``)
BASELINE_METHODS = ("arpls", "asls", "airpls", "iarpls", "psalsa")


def default_lam(peak_width_points: float) -> float:
    """The default smoothness from the typical peak width (base width, in points)."""
    return float(max(2.0 * peak_width_points, 10.0) ** 4)


def estimate_baseline(
    time_s: np.ndarray,
    signal: np.ndarray,
    *,
    method: str = "arpls",
    lam: float | None = None,
    peak_width_s: float = 12.0,
    start_s: float | None = None,
) -> np.ndarray:
    """The baseline under ``signal`` (same length), estimated with pybaselines.

    Parameters
    ----------
    method
        One of :data:`BASELINE_METHODS` (default ``arpls``).
    lam
        The Whittaker smoothness; default :func:`default_lam` of the peak width.
    peak_width_s
        The typical base width of a peak (s), used for the default ``lam``.
    start_s
        Points before this time (the solvent front) are not fitted.
    """
    from pybaselines import Baseline

    if method not in BASELINE_METHODS:
        raise UsageError(
            f"unknown baseline method {method!r}; use one of {', '.join(BASELINE_METHODS)}"
        )
    t = np.asarray(time_s, dtype=float)
    y = np.asarray(signal, dtype=float)
    i0 = 0 if start_s is None else int(np.searchsorted(t, start_s))
    if y.size - i0 < 10:
        raise UsageError(
            f"only {y.size - i0} point(s) after start_s={start_s} s; cannot fit a baseline"
        )
    dt = float(np.median(np.diff(t)))
    if lam is None:
        lam = default_lam(peak_width_s / dt)
    fitter = Baseline(x_data=t[i0:], assume_sorted=True)
    base, _params = getattr(fitter, method)(y[i0:], lam=lam)
    out = np.empty_like(y)
    out[i0:] = base
    out[:i0] = base[0]
    return out
