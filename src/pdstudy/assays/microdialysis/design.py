"""The sampling schedule of a microdialysis experiment, before it is run.

After the probe is perfused, the tissue and the probe need a stabilisation
period (typically 1-3 h) that is not sampled; then ``n_baseline`` samples of
``interval_min`` each, the dose ``dose_after_baseline`` minutes after the end
of the last baseline sample (0: at once), and ``n_post`` samples from the dose
on. Times are minutes relative to the dose (negative before it), the
convention of the sequence table's ``time_min`` column; the volume of a sample
is flow x interval.

:func:`sampling_schedule` returns one row per sample (``sample``, ``start_min``,
``end_min``, ``mid_min``, ``phase`` = ``baseline`` or ``post``, ``volume_uL``);
its ``attrs`` hold ``perfusion_start_min`` (when the perfusion starts, relative
to the dose) and ``dose_min`` (0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pdstudy.errors import UsageError

__all__ = ["SCHEDULE_COLUMNS", "sampling_schedule"]

#: the columns of :func:`sampling_schedule`
SCHEDULE_COLUMNS = ["sample", "start_min", "end_min", "mid_min", "phase", "volume_uL"]


def _where(names: Mapping[str, str] | None, param: str) -> str:
    return (names or {}).get(param, param)


def sampling_schedule(
    stabilisation_min: float,
    n_baseline: int,
    interval_min: float,
    dose_after_baseline: float,
    n_post: int,
    flow_uL_min: float,
    *,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One animal's samples, times in minutes relative to the dose (see the module notes).

    Parameters
    ----------
    stabilisation_min
        Perfusion before the first baseline sample, not sampled (>= 0).
    n_baseline
        Baseline samples before the dose (>= 1).
    interval_min
        The length of each sample (> 0).
    dose_after_baseline
        Minutes from the end of the last baseline sample to the dose (>= 0).
    n_post
        Samples from the dose on (>= 1).
    flow_uL_min
        Perfusion flow (uL/min, > 0).
    names
        What to call each parameter in error messages (e.g. the command's options).

    Raises
    ------
    UsageError
        A value out of range, naming the parameter (or its name in ``names``).
    """
    checks = [
        ("stabilisation_min", stabilisation_min, "must be >= 0 min", lambda v: v >= 0),
        ("n_baseline", n_baseline, "must be a whole number >= 1", lambda v: v >= 1),
        ("interval_min", interval_min, "must be > 0 min", lambda v: v > 0),
        ("dose_after_baseline", dose_after_baseline, "must be >= 0 min", lambda v: v >= 0),
        ("n_post", n_post, "must be a whole number >= 1", lambda v: v >= 1),
        ("flow_uL_min", flow_uL_min, "must be > 0 uL/min", lambda v: v > 0),
    ]
    for param, value, rule, ok in checks:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{value!r} is not a number", where=_where(names, param)) from None
        if isinstance(value, bool) or not math.isfinite(number) or not ok(number):
            raise UsageError(f"{value!r}: {rule}", where=_where(names, param))
        if param.startswith("n_") and number != int(number):
            raise UsageError(f"{value!r}: {rule}", where=_where(names, param))
    nb, npost = int(n_baseline), int(n_post)
    step = float(interval_min)
    gap = float(dose_after_baseline)
    base_start = -gap - step * np.arange(nb, 0, -1)
    post_start = step * np.arange(npost)
    start = np.concatenate([base_start, post_start])
    out = pd.DataFrame(
        {
            "sample": np.arange(1, nb + npost + 1),
            "start_min": start,
            "end_min": start + step,
            "mid_min": start + step / 2,
            "phase": ["baseline"] * nb + ["post"] * npost,
            "volume_uL": float(flow_uL_min) * step,
        },
        columns=SCHEDULE_COLUMNS,
    )
    out.attrs["perfusion_start_min"] = float(base_start[0] - float(stabilisation_min))
    out.attrs["dose_min"] = 0.0
    return out
