"""One trace from raw signal to integrated peaks: baseline, peaks, optionally the baseline again.

1. a first baseline (:func:`estimate_baseline`, arPLS by default) and the
   peaks it reveals (:func:`locate_peaks`);
2. the baseline fitted again (:func:`masked_baseline`) with the first fit's
   weights, set to zero over those peaks and a margin of one half-height width
   on each side: the arPLS weights are a logistic function of the residual, so
   the first baseline still leans a little into the foot and the tail of each
   peak (a few tenths of a per cent of the area); the masked fit bridges each
   peak from its flanks, while small peaks under the detection threshold keep
   the low weight arPLS gave them;
3. the peaks located and integrated on the trace corrected by the second baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .baseline import baseline_and_weights, masked_baseline
from .peaks import PeakSettings, _empty, _step, integrate_peaks, locate_peaks

__all__ = ["process_trace"]


def process_trace(
    time_s: np.ndarray,
    signal: np.ndarray,
    *,
    settings: PeakSettings | None = None,
    baseline_method: str = "arpls",
    lam: float | None = None,
    peak_width_s: float = 12.0,
    refine: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The peak table and the baseline of one raw trace (the front before ``start_s`` ignored).

    ``refine=True`` runs step 2 of the module notes (off by default: on simulated
    runs it removes the mean bias of -0.2 % of the first baseline but the bridge
    from the flanks adds as much noise to each area as it removes bias, and on
    the real Varian file it moves the smallest peak away from the vendor's
    integration).
    """
    s = settings or PeakSettings()
    t = np.asarray(time_s, dtype=float)
    y = np.asarray(signal, dtype=float)
    base, weights = baseline_and_weights(
        t, y, method=baseline_method, lam=lam, peak_width_s=peak_width_s, start_s=s.start_s
    )
    spans = locate_peaks(t, y - base, s)
    if spans is not None and refine:
        dt = _step(t)
        mask = spans.mask(y.size, spans.w_half_s / dt)
        i0 = 0 if s.start_s is None else int(np.searchsorted(t, s.start_s))
        if np.count_nonzero(weights[i0:] * ~mask[i0:]) >= 10:
            base = masked_baseline(
                t, y, mask, lam=lam, peak_width_s=peak_width_s, start_s=s.start_s, weights=weights
            )
            spans = locate_peaks(t, y - base, s, sigma=spans.sigma)
    if spans is None:
        return _empty(), base
    return integrate_peaks(t, y - base, spans, s), base
