"""One trace from raw signal to integrated peaks: baseline, then peaks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .baseline import estimate_baseline
from .peaks import PeakSettings, detect_peaks

__all__ = ["process_trace"]


def process_trace(
    time_s: np.ndarray,
    signal: np.ndarray,
    *,
    settings: PeakSettings | None = None,
    baseline_method: str = "arpls",
    lam: float | None = None,
    peak_width_s: float = 12.0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The peak table and the baseline of one raw trace (the front before ``start_s`` ignored)."""
    s = settings or PeakSettings()
    base = estimate_baseline(
        time_s,
        signal,
        method=baseline_method,
        lam=lam,
        peak_width_s=peak_width_s,
        start_s=s.start_s,
    )
    return detect_peaks(time_s, np.asarray(signal, dtype=float) - base, s), base
