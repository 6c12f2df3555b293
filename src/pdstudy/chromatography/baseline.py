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

Speed: a baseline that bends over no less than two peak widths carries no
detail finer than a fraction of a peak width, so the fit runs on block means
of ``block`` points (default: a twentieth of the peak width, e.g. 6 points at
10 Hz for 12 s peaks; ``lam`` scaled by ``block^-4``, the same smoothness per
second) and is interpolated back linearly. On the benchmark's traces the
difference from the full-resolution fit is below a tenth of the noise. The
banded systems are solved by pentapy when it is installed (pybaselines' own
choice), else by scipy.

:func:`masked_baseline` is the second pass used by
:func:`pdstudy.chromatography.process_trace`: once the peaks are located, the
same Whittaker smoother (``pybaselines.Baseline.asls`` with the weights given
and no reweighting, one solve) is fitted with zero weight over every peak and
its margins, so the baseline under a peak is the smooth bridge between the
flanks on both sides, not pulled up into the peak's foot and tail.
"""

from __future__ import annotations

import numpy as np

from pdstudy.errors import UsageError

__all__ = [
    "BASELINE_METHODS",
    "default_block",
    "default_lam",
    "estimate_baseline",
    "masked_baseline",
]

#: the pybaselines methods offered (all Whittaker smoothers that take ``lam``)
BASELINE_METHODS = ("arpls", "asls", "airpls", "iarpls", "psalsa")


def default_lam(peak_width_points: float) -> float:
    """The default smoothness from the typical peak width (base width, in points)."""
    return float(max(2.0 * peak_width_points, 10.0) ** 4)


def default_block(peak_width_points: float) -> int:
    """The default block size of the baseline fit: a twentieth of the peak width, at least 1."""
    return max(1, int(peak_width_points // 20))


def _block_means(y: np.ndarray, k: int) -> np.ndarray:
    m = y.size // k
    head = y[: m * k].reshape(m, k).mean(axis=1)
    return head if m * k == y.size else np.append(head, y[m * k :].mean())


def estimate_baseline(
    time_s: np.ndarray,
    signal: np.ndarray,
    *,
    method: str = "arpls",
    lam: float | None = None,
    peak_width_s: float = 12.0,
    start_s: float | None = None,
    block: int | None = None,
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
    block
        Fit on means of this many points (default :func:`default_block`; 1 fits every point).
    """
    return baseline_and_weights(
        time_s,
        signal,
        method=method,
        lam=lam,
        peak_width_s=peak_width_s,
        start_s=start_s,
        block=block,
    )[0]


def baseline_and_weights(
    time_s: np.ndarray,
    signal: np.ndarray,
    *,
    method: str = "arpls",
    lam: float | None = None,
    peak_width_s: float = 12.0,
    start_s: float | None = None,
    block: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`estimate_baseline` and the method's final weights of every point (0 before ``start_s``)."""
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
    width_points = peak_width_s / dt
    if lam is None:
        lam = default_lam(width_points)
    k = default_block(width_points) if block is None else int(block)
    if k < 1:
        raise UsageError(f"block must be >= 1, not {block!r}")
    tt, yy = t[i0:], y[i0:]
    if k > 1 and yy.size // k >= 10:
        tb, yb = _block_means(tt, k), _block_means(yy, k)
        fitter = Baseline(x_data=tb, assume_sorted=True, check_finite=False)
        coarse, params = getattr(fitter, method)(yb, lam=lam / k**4)
        base = np.interp(tt, tb, coarse)
        w = np.repeat(np.asarray(params["weights"], dtype=float), k)[: tt.size]
        if w.size < tt.size:
            w = np.append(w, np.full(tt.size - w.size, w[-1]))
    else:
        fitter = Baseline(x_data=tt, assume_sorted=True, check_finite=False)
        base, params = getattr(fitter, method)(yy, lam=lam)
        w = np.asarray(params["weights"], dtype=float)
    out = np.empty_like(y)
    out[i0:] = base
    out[:i0] = base[0]
    weights = np.zeros_like(y)
    weights[i0:] = w
    return out, weights


def masked_baseline(
    time_s: np.ndarray,
    signal: np.ndarray,
    masked: np.ndarray,
    *,
    lam: float | None = None,
    peak_width_s: float = 12.0,
    start_s: float | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """The Whittaker baseline with zero weight where ``masked`` is True (one solve).

    ``masked`` (bool, same length as ``signal``) marks the peaks and their
    margins; ``weights`` (default 1) are the weights elsewhere, e.g. the first
    arPLS fit's, which keep small peaks under the detection threshold from
    pulling the baseline up; ``lam`` defaults as in :func:`estimate_baseline`.
    Points before ``start_s`` are not fitted and get the first fitted value.
    """
    from pybaselines import Baseline

    t = np.asarray(time_s, dtype=float)
    y = np.asarray(signal, dtype=float)
    i0 = 0 if start_s is None else int(np.searchsorted(t, start_s))
    keep = (~np.asarray(masked, dtype=bool)[i0:]).astype(float)
    if weights is not None:
        keep *= np.asarray(weights, dtype=float)[i0:]
    if np.count_nonzero(keep) < 10:
        raise UsageError("fewer than 10 baseline points outside the peaks; cannot fit a baseline")
    dt = float(np.median(np.diff(t)))
    if lam is None:
        lam = default_lam(peak_width_s / dt)
    fitter = Baseline(x_data=t[i0:], assume_sorted=True, check_finite=False)
    base, _params = fitter.asls(y[i0:], lam=lam, weights=keep, max_iter=0)
    out = np.empty_like(y)
    out[i0:] = base
    out[:i0] = base[0]
    return out
