"""The day-by-day schedule of an in vivo design: dosing, test and sampling times per animal.

:func:`study_schedule` puts the allocated animals (blinded: codes only) on
their test days (the ``day`` blocking factor, else one day), in their random
test order, with each animal dosed its group's pre-treatment time before its
test; :func:`dialysis_samples` is the sampling schedule of one microdialysis
animal (stabilisation, baseline samples, dose, post-dose samples).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pdstudy.design.allocation import schedule_test_day
from pdstudy.errors import UsageError

__all__ = ["SCHEDULE_COLUMNS", "clock", "dialysis_samples", "parse_clock", "study_schedule"]

#: columns of :func:`study_schedule`
SCHEDULE_COLUMNS = ("day", "time", "time_s", "code", "event", "section", "detail")


def parse_clock(text: str) -> float:
    """``"09:00"`` -> seconds from midnight."""
    try:
        hours, minutes = (int(x) for x in str(text).split(":"))
    except ValueError:
        raise UsageError(f"{text!r} is not a time of day like '09:00'") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise UsageError(f"{text!r} is not a time of day like '09:00'")
    return hours * 3600.0 + minutes * 60.0


def clock(seconds: float) -> str:
    """Seconds from midnight -> ``"HH:MM"`` (past midnight wraps)."""
    m = int(round(seconds / 60))
    return f"{m // 60 % 24:02d}:{m % 60:02d}"


def dialysis_samples(
    stabilisation_s: float,
    n_baseline: int,
    interval_s: float,
    n_post: int,
    flow_L_per_s: float,
) -> pd.DataFrame:
    """One animal's microdialysis samples, times relative to the dose (s).

    Columns ``sample`` (1-based), ``start_s``, ``end_s``, ``mid_s``, ``phase``
    (``baseline`` or ``post``), ``volume_L``. Perfusion starts
    ``stabilisation_s + n_baseline * interval_s`` before the dose.
    """
    if n_baseline < 1 or n_post < 1 or interval_s <= 0 or flow_L_per_s <= 0:
        raise UsageError("dialysis sampling needs >= 1 baseline and post sample, interval > 0")
    k = np.arange(-n_baseline, n_post)
    start = k * interval_s
    return pd.DataFrame(
        {
            "sample": np.arange(1, n_baseline + n_post + 1),
            "start_s": start,
            "end_s": start + interval_s,
            "mid_s": start + interval_s / 2,
            "phase": np.where(k < 0, "baseline", "post"),
            "volume_L": flow_L_per_s * interval_s,
        }
    ).assign(perfusion_start_s=-(stabilisation_s + n_baseline * interval_s))


def study_schedule(
    allocation: pd.DataFrame,
    pretreatment_s: Mapping[str, float],
    tests: Sequence[tuple[str, float]],
    *,
    start_s: float = 9 * 3600.0,
    changeover_s: float = 120.0,
    apparatus: int = 1,
    dialysis: Mapping[str, pd.DataFrame] | None = None,
    day_factor: str = "day",
) -> pd.DataFrame:
    """Dosing, tests and dialysis samples of every animal, day by day, codes only.

    Parameters
    ----------
    allocation
        :func:`~pdstudy.design.allocation.allocate_design`'s table.
    pretreatment_s
        Pre-treatment time of each group (dose to first test).
    tests
        ``(section, session length in s)`` of each behavioural test, run one
        after the other for each animal.
    dialysis
        Sampling schedule (:func:`dialysis_samples`) per microdialysis
        section: each animal is dosed after its baseline samples.
    day_factor
        The blocking factor that names test days; without it every animal is
        on day 1.

    Returns
    -------
    pandas.DataFrame
        :data:`SCHEDULE_COLUMNS`, sorted by day and time. The group is never
        shown (the schedule goes to the blinded experimenter).
    """
    days = (
        allocation[day_factor].astype(str)
        if day_factor in allocation.columns
        else pd.Series("1", index=allocation.index)
    )
    rows: list[tuple[object, ...]] = []
    session = sum(s for _, s in tests) if tests else 0.0
    pre = allocation["group"].map(pretreatment_s).astype(float)
    longest = float(pre.max()) if len(pre) else 0.0
    for day, idx in allocation.groupby(days, sort=True).groups.items():
        part = allocation.loc[idx].sort_values("order")
        if tests:
            sched = schedule_test_day(
                part,
                start_s=start_s,
                pretreatment_s=longest,
                session_s=session,
                changeover_s=changeover_s,
                apparatus=apparatus,
            )
            for (_, r), p in zip(sched.iterrows(), pre.loc[part.index], strict=True):
                test_t = float(r["test_time_s"])
                rows.append(
                    (day, test_t - p, r["code"], "dose", "", f"pre-treatment {p / 60:g} min")
                )
                t = test_t
                for name, length in tests:
                    rows.append((day, t, r["code"], "test", name, f"{length / 60:g} min session"))
                    t += length
        for name, samples in (dialysis or {}).items():
            lead = -float(samples["perfusion_start_s"].iloc[0])
            for k, (_, r) in enumerate(part.iterrows()):
                # one probe line per animal, animals started 10 min apart
                dose_t = start_s + lead + k * 600.0
                rows.append((day, dose_t - lead, r["code"], "perfusion start", name, ""))
                n_base = int((samples["phase"] == "baseline").sum())
                for number, begin, phase, volume in zip(
                    samples["sample"].astype(int),
                    samples["start_s"].astype(float),
                    samples["phase"].astype(str),
                    samples["volume_L"].astype(float),
                    strict=True,
                ):
                    rows.append(
                        (
                            day,
                            dose_t + begin,
                            r["code"],
                            "sample",
                            name,
                            f"{r['code']}_S{number:02d} ({phase}, {volume * 1e6:g} µL)",
                        )
                    )
                    if number == n_base:
                        rows.append((day, dose_t, r["code"], "dose", name, "after the baseline"))
    out = pd.DataFrame(rows, columns=["day", "time_s", "code", "event", "section", "detail"])
    out["time"] = [clock(t) for t in out["time_s"]]
    out = out.sort_values(["day", "time_s", "code"], kind="stable").reset_index(drop=True)
    return out[list(SCHEDULE_COLUMNS)]
