"""Figures of a microdialysis result: time course, AUC, calibration, a chromatogram."""

from __future__ import annotations

from typing import Any

import numpy as np

from .analysis import DialysisResult

__all__ = ["plot_auc", "plot_calibration", "plot_chromatogram", "plot_time_course"]


def _axes(ax: Any, size: tuple[float, float] = (5.5, 3.8)) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_time_course(
    result: DialysisResult, ax: Any = None, *, analyte: str = "NE", prediction: Any = None
) -> Any:
    """Mean +/- SEM % baseline per group against time (min); the dose at 0 (dashed);
    excluded samples as open circles (left out of the means).

    ``prediction``: an optional frame with ``time_s`` and ``ne_pct_baseline`` (the
    synapse model's predicted time course), drawn as a line.
    """
    ax = _axes(ax)
    pct = result.percent_baseline
    part = pct[pct["analyte"] == analyte]
    if "excluded" in part.columns:
        out = part[part["excluded"].astype(bool)]
        part = part[~part["excluded"].astype(bool)]
        if len(out):
            ax.scatter(
                out["time_s"] / 60,
                out["pct_baseline"],
                s=30,
                marker="o",
                facecolors="none",
                edgecolors="crimson",
                linewidths=1.2,
                label=f"excluded ({out['animal'].nunique()} animal(s))",
                zorder=3,
            )
    for group, g in part.groupby("group"):
        agg = g.groupby("time_s")["pct_baseline"].agg(["mean", "sem", "count"])
        ax.errorbar(
            agg.index / 60,
            agg["mean"],
            yerr=agg["sem"].fillna(0),
            marker="o",
            capsize=3,
            label=f"{group} (n={g['animal'].nunique()})",
        )
    if prediction is not None and len(prediction):
        ax.plot(
            prediction["time_s"] / 60,
            prediction["ne_pct_baseline"],
            color="0.3",
            lw=1.2,
            ls="-.",
            label="synapse model",
        )
    ax.axvline(0, color="0.5", ls="--", lw=1)
    ax.axhline(100, color="0.8", lw=0.8)
    ax.set_xlabel("time after dose (min)")
    ax.set_ylabel(f"{analyte} (% of baseline)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False)
    else:  # a plain quantification: no animals, no time course
        ax.text(0.5, 0.5, "no dosed animals in this batch", ha="center", transform=ax.transAxes)
    return ax


def plot_auc(result: DialysisResult, ax: Any = None, *, analyte: str = "NE") -> Any:
    """AUC of % baseline per animal (dots) and group mean (bar); flagged animals hollow."""
    ax = _axes(ax, (4.0, 3.6))
    part = result.auc[result.auc["analyte"] == analyte]
    groups = sorted(part["group"].unique())
    for i, g in enumerate(groups):
        vals = part[part["group"] == g]
        x = i + np.linspace(-0.12, 0.12, max(len(vals), 1))[: len(vals)]
        flagged = vals["flags"].astype(str) != ""
        ax.scatter(
            x[~flagged.to_numpy()], vals.loc[~flagged, "auc_pct_min"], color=f"C{i}", zorder=3
        )
        ax.scatter(
            x[flagged.to_numpy()],
            vals.loc[flagged, "auc_pct_min"],
            facecolor="none",
            edgecolor=f"C{i}",
            zorder=3,
        )
        ax.hlines(vals["auc_pct_min"].mean(), i - 0.25, i + 0.25, color="k")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(f"{analyte} AUC (% baseline x min above 100 %)")
    return ax


def plot_calibration(result: DialysisResult, ax: Any = None, *, analyte: str = "NE") -> Any:
    """Standards' area against their level, and the calibration line."""
    ax = _axes(ax, (4.5, 3.6))
    s = result.samples
    std = s[(s["kind"] == "standard") & (s["analyte"] == analyte)]
    cal = result.calibration[result.calibration["analyte"] == analyte]
    x = std["conc_nM"].to_numpy()
    ax.scatter(std["conc_nM"], std["area"], label="standards (back-calculated)")
    if len(cal) and cal["status"].iloc[0] == "ok":
        r = cal.iloc[0]
        xx = np.linspace(0, np.nanmax(x) * 1.05 if len(x) else 1, 50)
        ax.plot(
            xx,
            r["intercept"] + r["slope"] * xx,
            color="k",
            lw=1,
            label=f"fit ({r['weighting']}), R² {r['r2']:.4f}",
        )
    ax.set_xlabel(f"{analyte} (nM)")
    ax.set_ylabel("peak area")
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_chromatogram(result: DialysisResult, ax: Any = None, *, file: str | None = None) -> Any:
    """One chromatogram with its baseline and the integrated peaks shaded (needs traces)."""
    ax = _axes(ax, (6.5, 3.2))
    if not result.traces:
        ax.text(0.5, 0.5, "no traces kept", ha="center", transform=ax.transAxes)
        return ax
    name = file if file is not None else next(iter(result.traces))
    t, y, base = result.traces[name]
    ax.plot(t / 60, y, lw=0.7, color="k")
    ax.plot(t / 60, base, lw=0.8, color="C3", ls="--", label="baseline")
    pk = result.peaks[result.peaks["file"] == name]
    for r in pk.to_dict("records"):
        m = (t >= r["start_s"]) & (t <= r["end_s"])
        ax.fill_between(t[m] / 60, base[m], y[m], alpha=0.4, color="C0" if r["analyte"] else "0.6")
        if r["analyte"]:
            ax.annotate(
                r["analyte"],
                (r["rt_s"] / 60, float(np.interp(r["rt_s"], t, y))),
                fontsize=8,
                ha="center",
                va="bottom",
            )
    ax.set_xlabel("time (min)")
    ax.set_ylabel("signal")
    ax.set_title(name, fontsize=9)
    return ax
