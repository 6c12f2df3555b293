"""The figure of a concentration-response curve: mean +/- SD points, fitted curve, CI band."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pdstudy.fitting.concentration_response import ResponseFits

__all__ = ["plot_concentration_response"]


def plot_concentration_response(
    fits: ResponseFits,
    frame: pd.DataFrame,
    i: int,
    *,
    y: str,
    conc: str = "conc_M",
    ax: Any = None,
    color: str | None = None,
    label: str | None = None,
    ylabel: str = "% of control",
    annotation: str | None = None,
    excluded: pd.Series | None = None,
    band_label: str | None = "95 % CI",
) -> Any:
    """Curve ``i`` of ``fits``: mean +/- SD per concentration, the chosen model's curve,
    its confidence band (at the fit's level, named by ``band_label``), excluded wells
    (declared or ROUT) as open circles, and an
    optional annotation (e.g. the Ki). ``frame`` is the frame given to
    :func:`fit_concentration_response`. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.8))
    lab = fits.labels[i]
    sel = np.ones(len(frame), dtype=bool)
    for k, v in zip(fits.keys, lab, strict=True):
        col = frame[k]
        sel &= (col.isna() & pd.isna(v)).to_numpy() | (col == v).to_numpy()
    cvals = pd.to_numeric(frame[conc], errors="coerce")
    sel &= (cvals > 0).to_numpy()
    sub = frame[sel]
    ex = (excluded if excluded is not None else fits.excluded).reindex(sub.index).fillna(False)
    ex = ex.astype(bool)
    logx = np.log10(pd.to_numeric(sub[conc]).to_numpy(dtype=float))
    yv = pd.to_numeric(sub[y], errors="coerce").to_numpy(dtype=float)
    keep = ~ex.to_numpy()
    g = pd.DataFrame({"x": logx[keep], "y": yv[keep]}).groupby("x")["y"].agg(["mean", "std"])
    txt = (
        label if label is not None else " / ".join(str(v) for v in lab if str(v) not in ("", "nan"))
    )
    line = ax.errorbar(
        g.index.to_numpy(),
        g["mean"].to_numpy(),
        yerr=g["std"].fillna(0).to_numpy(),
        fmt="o",
        color=color,
        capsize=3,
        ms=5,
        label=f"{txt} (mean ± SD)" if txt else "mean ± SD",
    )
    col = line[0].get_color()
    if (~keep).any():
        ax.scatter(
            logx[~keep],
            yv[~keep],
            s=42,
            marker="o",
            facecolors="none",
            edgecolors="crimson",
            linewidths=1.5,
            label="excluded" if band_label else None,
            zorder=3,
        )
    fit = fits.fit_of(i)
    if fit.ok[i] and logx.size:
        lo, hi = float(np.nanmin(logx)) - 0.5, float(np.nanmax(logx)) + 0.5
        grid = np.linspace(lo, hi, 200)
        yhat, blo, bhi = fit.band(grid, i)
        ax.plot(grid, yhat, "-", color=col, lw=1.5)
        ok = np.isfinite(blo) & np.isfinite(bhi)
        ax.fill_between(grid[ok], blo[ok], bhi[ok], color=col, alpha=0.18, lw=0, label=band_label)
    ax.set_xlabel("log10 [competitor] (M)")
    ax.set_ylabel(ylabel)
    if annotation:
        ax.text(
            0.97,
            0.95,
            annotation,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9},
        )
    ax.axhline(0, color="0.6", lw=0.6, ls=":")
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    return ax
