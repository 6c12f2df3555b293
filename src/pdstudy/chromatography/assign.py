"""Analyte assignment by retention-time windows, re-centred on the batch's standards.

Retention drifts across a batch (column temperature, mobile phase), so each
analyte's window is first re-centred on where the standards of the batch put
it: :func:`recentre_windows` moves the window centre by the median offset of
the standards' peak nearest to it (within the window widened twice). Then
:func:`assign_peaks` gives each window the peak closest to its centre; every
other peak stays unassigned (``analyte`` empty), so an interfering peak is
reported, not hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Window", "assign_peaks", "recentre_windows"]


@dataclass(frozen=True)
class Window:
    """Expected retention time and half-width (s)."""

    rt_s: float
    tolerance_s: float

    def contains(self, rt: np.ndarray) -> np.ndarray:
        return np.abs(np.asarray(rt, dtype=float) - self.rt_s) <= self.tolerance_s


def recentre_windows(
    windows: Mapping[str, Window], standard_peaks: Iterable[pd.DataFrame]
) -> dict[str, Window]:
    """Windows moved to the median retention of each analyte in the standards."""
    tables = list(standard_peaks)
    out: dict[str, Window] = {}
    for name, w in windows.items():
        offsets = []
        wide = Window(w.rt_s, 2 * w.tolerance_s)
        for pk in tables:
            rt = pk["rt_s"].to_numpy(dtype=float)
            inside = wide.contains(rt)
            if inside.any():
                cand = rt[inside]
                offsets.append(float(cand[np.argmin(np.abs(cand - w.rt_s))] - w.rt_s))
        shift = float(np.median(offsets)) if offsets else 0.0
        out[name] = Window(w.rt_s + shift, w.tolerance_s)
    return out


def assign_peaks(peaks: pd.DataFrame, windows: Mapping[str, Window]) -> pd.DataFrame:
    """The peak table with an ``analyte`` column ("" for unassigned peaks)."""
    out = peaks.copy()
    labels = np.array([""] * len(out), dtype=object)
    rt = out["rt_s"].to_numpy(dtype=float)
    for name, w in windows.items():
        inside = np.flatnonzero(w.contains(rt) & (labels == ""))
        if inside.size:
            labels[inside[np.argmin(np.abs(rt[inside] - w.rt_s))]] = name
    out["analyte"] = labels
    return out
