"""Figures of a behaviour result: groups with every animal, motion trace, ethogram."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_ethogram", "plot_groups", "plot_motion"]


def _ax(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 4))
    return ax


def plot_groups(result: Any, ax: Any = None) -> Any:
    """Immobility per group: every animal a point, mean ± SEM as a bar and whisker;
    excluded animals as open circles (left out of the mean and the statistics)."""
    ax = _ax(ax)
    ok = result.animals[result.animals["status"] == "ok"]
    if "excluded" in ok.columns:
        out = ok[ok["excluded"].astype(bool)]
        ok = ok[~ok["excluded"].astype(bool)]
    else:
        out = ok.iloc[:0]
    order = list(result.groups["group"])
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every run
    for k, g in enumerate(order):
        y = ok.loc[ok["group"] == g, "immobility_s"].to_numpy(float)
        row = result.groups.iloc[k]
        ax.bar(k, row["mean"], width=0.6, color="0.85", edgecolor="0.3")
        ax.errorbar(k, row["mean"], yerr=row["sem"], color="0.2", capsize=4)
        ax.scatter(k + rng.uniform(-0.15, 0.15, y.size), y, s=18, color="C0", zorder=3)
        gone = out.loc[out["group"] == g, "immobility_s"].to_numpy(float)
        if gone.size:
            ax.scatter(
                k + rng.uniform(-0.15, 0.15, gone.size),
                gone,
                s=22,
                facecolors="none",
                edgecolors="crimson",
                linewidths=1.2,
                zorder=3,
                label="excluded" if "excluded" not in ax.get_legend_handles_labels()[1] else None,
            )
    for r in result.contrasts.itertuples(index=False):
        if r.significant:
            k = order.index(r.group)
            top = ok.loc[ok["group"] == r.group, "immobility_s"].max()
            ax.text(k, top * 1.04 + 1, "*", ha="center", fontsize=14)
    ax.set_xticks(range(len(order)), order)
    lo, hi = result.settings["window_start_s"], result.settings["window_end_s"]
    ax.set_ylabel(f"immobility (s, {lo:g}-{hi:g} s)")
    ax.set_title(f"{result.test.upper()}: immobility per group")
    if len(out):
        ax.legend(fontsize=7, frameon=False)
    return ax


def plot_motion(result: Any, video: str, animal: str, ax: Any = None) -> Any:
    """One animal's motion signal with the threshold and its immobile bouts shaded."""
    ax = _ax(ax)
    m = result.motion
    sel = m[(m["video"] == video) & (m["animal"] == animal)]
    t = sel["time_s"].to_numpy(float)
    ax.plot(t, 100 * sel["motion"].to_numpy(float), lw=0.5, color="0.2")
    imm = sel["state"].to_numpy() == 0
    ax.fill_between(
        t,
        0,
        1,
        where=imm,
        color="C1",
        alpha=0.3,
        transform=ax.get_xaxis_transform(),
        step="post",
        label="immobile",
    )
    ax.axhline(100 * result.settings["threshold"], color="C3", lw=1, label="threshold")
    high = result.settings.get("high_threshold")
    if high is not None:
        ax.axhline(100 * high, color="C4", lw=1, ls="--", label="vigorous above")
    ax.axvspan(
        result.settings["window_start_s"], result.settings["window_end_s"], color="C0", alpha=0.05
    )
    ax.set_xlabel("time since the animal was placed (s)")
    ax.set_ylabel("motion (% of region changing)")
    ax.set_title(f"{video} / {animal}")
    ax.legend(loc="upper right", fontsize=7)
    return ax


def plot_ethogram(result: Any, ax: Any = None) -> Any:
    """Raster of the immobile bouts of every video-scored animal, grouped by dose group."""
    ax = _ax(ax)
    m = result.motion
    a = result.animals[(result.animals["status"] == "ok") & (result.animals["source"] == "video")]
    order = [str(g) for g in result.groups["group"]]
    order += sorted(set(a["group"].astype(str)) - set(order))
    rank = {g: k for k, g in enumerate(order)}
    a = a.assign(_rank=a["group"].astype(str).map(rank)).sort_values(["_rank", "animal"])
    labels: list[str] = []
    for r in a.itertuples(index=False):
        k = len(labels)  # this animal's row
        sel = m[(m["video"] == r.video) & (m["animal"] == r.animal)]
        t = sel["time_s"].to_numpy(float)
        st = sel["state"].to_numpy()
        if t.size < 2:  # shown, with why it has no bars
            labels.append(f"{r.group}: {r.animal} ({t.size} frame{'' if t.size == 1 else 's'})")
            continue
        dt = float(np.median(np.diff(t)))
        imm = np.flatnonzero(st == 0)
        if imm.size:
            breaks = np.flatnonzero(np.diff(imm) > 1)
            starts = np.r_[imm[0], imm[breaks + 1]]
            stops = np.r_[imm[breaks], imm[-1]]
            ax.broken_barh(
                [(t[s], t[e] - t[s] + dt) for s, e in zip(starts, stops, strict=True)],
                (k - 0.4, 0.8),
                color=f"C{rank[str(r.group)]}",
            )
        labels.append(f"{r.group}: {r.animal}")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()  # the first group on top
    ax.set_xlabel("time since the animal was placed (s)")
    ax.set_title("immobile bouts")
    return ax
