"""Residual plots of a family of concentration-response curves (one panel per section)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pdstudy.fitting.concentration_response import ResponseFits

__all__ = ["plot_residuals", "residual_frame"]


def residual_frame(fits: ResponseFits) -> Any:
    """One row per fitted point: curve label, log10 x, residual (y - chosen model's fit).

    Points left out of the fit (excluded wells) are not residuals and are not listed.
    """
    import pandas as pd

    rows = []
    for i, lab in enumerate(fits.labels):
        fit = fits.fit_of(i)
        if not fit.ok[i]:
            continue
        res = fit.residuals()[i]
        used = fit.used[i] & np.isfinite(res)
        name = " / ".join(str(v) for v in lab if str(v) not in ("", "nan"))
        for x, r in zip(fit.x[i][used], res[used], strict=True):
            rows.append({"curve": name, "model": fit.model.name, "log_x": float(x), "residual": r})
    return pd.DataFrame(rows, columns=["curve", "model", "log_x", "residual"])


def plot_residuals(
    fits: ResponseFits, *, ax: Any = None, ylabel: str = "residual (% points)"
) -> Any:
    """Residuals of every curve of ``fits`` against log10 concentration, with a zero line.

    Each curve has its own colour (as in the overlay figure); a run of residuals
    on one side of zero shows where the chosen model misses the data.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    frame = residual_frame(fits)
    for name, sub in frame.groupby("curve", sort=False):
        ax.plot(sub["log_x"], sub["residual"], "o", ms=3.5, alpha=0.8, label=str(name))
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xlabel("log10 [competitor] (M)")
    ax.set_ylabel(ylabel)
    if len(frame):
        ax.legend(fontsize=7, loc="best", frameon=False)
    return ax
