"""External-standard calibration: response = intercept + slope x concentration.

Weighted least squares with weights 1 (``none``), 1/x or 1/x^2. With
``weighting="auto"`` each is fitted and the one with the smallest sum of
absolute relative errors of the back-calculated standards is kept (the
criterion of Almeida, Castel-Branco & Falcao, J Chromatogr B 2002, 774, 215):
detector noise that grows with the signal makes the unweighted line
inaccurate at the low standards, which only the residuals reveal.

LOD and LOQ are the ICH Q2(R1) values from the calibration, 3.3 s / slope and
10 s / slope, s the residual standard deviation of the unweighted line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pdstudy.errors import UsageError

__all__ = ["WEIGHTINGS", "Calibration", "fit_calibration"]

WEIGHTINGS = ("none", "1/x", "1/x^2")


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration line and its quality."""

    slope: float
    intercept: float
    weighting: str
    r2: float
    lod: float
    loq: float
    n: int
    #: one row per standard: conc, response, back_calc, accuracy_pct (100 x back/true)
    standards: pd.DataFrame = field(repr=False)
    #: sum of |relative error| (%) of each weighting tried
    criteria: dict[str, float] = field(default_factory=dict)

    def concentration(self, response: np.ndarray | float) -> np.ndarray:
        """Concentrations (in the standards' unit) of responses."""
        return (np.asarray(response, dtype=float) - self.intercept) / self.slope


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    sw = w.sum()
    xm = (w * x).sum() / sw
    ym = (w * y).sum() / sw
    sxx = (w * (x - xm) ** 2).sum()
    slope = float((w * (x - xm) * (y - ym)).sum() / sxx)
    return slope, float(ym - slope * xm)


def fit_calibration(
    conc: np.ndarray | list[float], response: np.ndarray | list[float], *, weighting: str = "auto"
) -> Calibration:
    """Fit a linear calibration (see the module notes); concentrations > 0 for weighting."""
    x = np.asarray(conc, dtype=float)
    y = np.asarray(response, dtype=float)
    if x.shape != y.shape:
        raise UsageError(f"{x.size} concentrations but {y.size} responses")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if np.unique(x).size < 2:
        raise UsageError(
            f"a calibration needs standards at 2 or more concentrations, got {np.unique(x).size}"
        )
    if weighting != "auto" and weighting not in WEIGHTINGS:
        raise UsageError(
            f"weighting must be auto or one of {', '.join(WEIGHTINGS)}, not {weighting!r}"
        )
    weighted_ok = bool(np.all(x > 0))
    candidates = (
        [weighting] if weighting != "auto" else (list(WEIGHTINGS) if weighted_ok else ["none"])
    )
    if weighting in ("1/x", "1/x^2") and not weighted_ok:
        raise UsageError(f"weighting {weighting} needs every standard above zero")
    fits: dict[str, tuple[float, float]] = {}
    criteria: dict[str, float] = {}
    nonzero = x > 0
    for name in candidates:
        w = {
            "none": np.ones_like(x),
            "1/x": 1 / np.where(nonzero, x, 1),
            "1/x^2": 1 / np.where(nonzero, x, 1) ** 2,
        }[name]
        slope, intercept = _wls(x, y, w)
        fits[name] = (slope, intercept)
        back = (y - intercept) / slope
        criteria[name] = float(np.sum(np.abs(back[nonzero] - x[nonzero]) / x[nonzero]) * 100)
    best = min(candidates, key=lambda c: criteria[c])
    slope, intercept = fits[best]
    if not slope > 0:
        raise UsageError(
            f"the calibration slope is {slope:.3g}; responses do not rise with concentration"
        )
    pred = intercept + slope * x
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    s0, i0 = _wls(x, y, np.ones_like(x))
    resid_sd = (
        float(np.sqrt(np.sum((y - i0 - s0 * x) ** 2) / (x.size - 2)))
        if x.size > 2
        else float("nan")
    )
    back = (y - intercept) / slope
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(nonzero, 100 * back / x, np.nan)
    standards = pd.DataFrame({"conc": x, "response": y, "back_calc": back, "accuracy_pct": acc})
    return Calibration(
        slope=slope,
        intercept=intercept,
        weighting=best,
        r2=r2,
        lod=3.3 * resid_sd / s0,
        loq=10 * resid_sd / s0,
        n=int(x.size),
        standards=standards,
        criteria=criteria,
    )
