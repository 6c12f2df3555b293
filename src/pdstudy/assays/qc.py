"""QC of plate assays: replicate CVs, Z', and the curve flags with their reasons.

A flag is a :class:`Flag` (name, reason); :func:`join_flags` makes the
``flags`` and ``flag_reasons`` columns (``;``-separated) of a result table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.assays.schema import Key
from pdstudy.errors import LayoutError
from pdstudy.units import format_conc

__all__ = [
    "BINDING_QC",
    "UPTAKE_QC",
    "Flag",
    "PlateQC",
    "cheng_prusoff_flags",
    "cv_percent",
    "hill_flags",
    "incomplete_curve_flags",
    "join_flags",
    "open_ci_flags",
    "qc_key",
    "replicate_cv",
    "rout_refusal",
    "z_prime",
]


def cv_percent(values: Any) -> float:
    """Coefficient of variation (sample SD / mean, %) of finite values; NaN for < 2 values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return math.nan
    m = float(v.mean())
    if m == 0:
        return math.nan
    return float(100.0 * v.std(ddof=1) / abs(m))


def z_prime(high: Any, low: Any) -> float:
    """Z' factor (Zhang, Chung & Oldenburg 1999): ``1 - 3 (sd_h + sd_l) / |mean_h - mean_l|``.

    NaN when either group has fewer than two finite values or the means are equal.
    """
    h = np.asarray(high, dtype=float)
    lo = np.asarray(low, dtype=float)
    h, lo = h[np.isfinite(h)], lo[np.isfinite(lo)]
    if h.size < 2 or lo.size < 2:
        return math.nan
    gap = abs(float(h.mean() - lo.mean()))
    if gap == 0:
        return math.nan
    return float(1.0 - 3.0 * (h.std(ddof=1) + lo.std(ddof=1)) / gap)


def replicate_cv(frame: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """CV (%) of ``value`` over the replicate wells of each group of ``by``.

    Returns the groups with columns ``n`` (finite values), ``mean``, ``sd`` and ``cv_pct``.
    """
    missing = [c for c in [*by, value] if c not in frame.columns]
    if missing:
        raise LayoutError(f"replicate_cv: the data have no column(s) {', '.join(missing)}")
    g = frame.groupby(list(by), sort=False, dropna=False)[value]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    with np.errstate(all="ignore"):
        out["cv_pct"] = 100.0 * out["sd"] / out["mean"].abs()
    return out


@dataclass(frozen=True)
class Flag:
    """A QC flag raised on a curve or plate, with the reason a user can act on."""

    name: str
    reason: str


def join_flags(flags: Sequence[Flag]) -> tuple[str, str]:
    """``(names, reasons)``: ``"a;b"`` and ``"a: why; b: why"`` (both ``""`` when no flag)."""
    uniq: dict[str, str] = {}
    for f in flags:
        uniq[f.name] = f"{uniq[f.name]}; {f.reason}" if f.name in uniq else f.reason
    return ";".join(uniq), " | ".join(f"{k}: {v}" for k, v in uniq.items())


def incomplete_curve_flags(
    log_ic50: float,
    log_x_min: float,
    log_x_max: float,
    y_at_max: float,
    *,
    bottom_threshold: float = 20.0,
    margin_log: float = 0.5,
    y_at_min: float | None = None,
    top_threshold: float = 80.0,
) -> list[Flag]:
    """``incomplete_curve`` when the data show no bottom (or top) plateau.

    Bottom: the mean response (% of control) at the highest concentration is
    above ``bottom_threshold`` %, or the fitted IC50 lies within ``margin_log``
    log units of the highest concentration (or above it). Top (when
    ``y_at_min`` is given): the mean response at the lowest concentration is
    below ``top_threshold`` %, or the IC50 lies within ``margin_log`` of the
    lowest concentration.
    """
    why: list[str] = []
    if np.isfinite(y_at_max) and y_at_max > bottom_threshold:
        why.append(
            f"{y_at_max:.0f} % left at the highest concentration "
            f"({format_conc(10.0**log_x_max)}; no bottom plateau, threshold {bottom_threshold:g} %)"
        )
    if np.isfinite(log_ic50) and log_ic50 > log_x_max - margin_log:
        why.append(
            f"IC50 {format_conc(10.0**log_ic50)} within {margin_log:g} log of the highest "
            f"concentration {format_conc(10.0**log_x_max)}"
        )
    if y_at_min is not None and np.isfinite(y_at_min) and y_at_min < top_threshold:
        why.append(
            f"only {y_at_min:.0f} % at the lowest concentration ({format_conc(10.0**log_x_min)}; "
            f"no top plateau, threshold {top_threshold:g} %)"
        )
    if np.isfinite(log_ic50) and log_ic50 < log_x_min + margin_log:
        why.append(
            f"IC50 {format_conc(10.0**log_ic50)} within {margin_log:g} log of the lowest "
            f"concentration {format_conc(10.0**log_x_min)}"
        )
    return [Flag("incomplete_curve", "; ".join(why))] if why else []


def hill_flags(
    hill: float,
    f_test_p: float,
    *,
    low: float = 0.5,
    high: float = 1.5,
    strong_p: float = 0.001,
) -> list[Flag]:
    """``hill_far_from_1`` when the variable-slope fit's |Hill| lies outside
    ``[low, high]``, or the F test rejects a slope of 1 strongly (P < ``strong_p``).

    A P value just under 0.05 picks the variable-slope model but is not, on
    its own, a reason to doubt a curve (it happens in 1 of 20 clean curves).
    """
    if not np.isfinite(hill):
        return []
    why = []
    if not (low <= abs(hill) <= high):
        why.append(f"|Hill slope| {abs(hill):.2f} outside {low:g}-{high:g}")
    if np.isfinite(f_test_p) and f_test_p < strong_p:
        why.append(f"F test rejects slope 1 (P = {f_test_p:.2g} < {strong_p:g})")
    return [Flag("hill_far_from_1", "; ".join(why))] if why else []


def open_ci_flags(
    name: str, value: float, ci_low: float, ci_high: float, positive: bool = True
) -> list[Flag]:
    """``ci_open`` when a limit of a fitted potency's confidence interval is open.

    A profile-likelihood limit is open (infinite, or zero for a quantity in
    molar, ``positive``) only when the sum of squares stays below the threshold all the way
    to the parameter's bound: the data do not bound it on that side (no
    plateau on that side of the curve, too few points...).
    """
    if not np.isfinite(value):
        return []
    why = []
    for side, lim in (("lower", ci_low), ("upper", ci_high)):
        if np.isnan(lim):
            continue
        if not np.isfinite(lim) or (side == "lower" and positive and lim <= 0):
            why.append(f"the {side} 95 % confidence limit of {name} is open")
    if not why:
        return []
    return [
        Flag(
            "ci_open",
            "; ".join(why) + ": the data do not bound it (the profile of the sum of squares "
            "stays below the threshold to the end of the search); extend the concentrations",
        )
    ]


def cheng_prusoff_flags(
    model: str, hill: float, f_test_p: float, ki: float, equation: str, hill_fixed: bool = False
) -> list[Flag]:
    """``cheng_prusoff_assumption`` when Ki comes from a variable-slope fit.

    The Cheng-Prusoff relation (``equation``, e.g. ``Ki = IC50 / (1 + [L]/Kd)``)
    holds for competitive binding at one site, where the Hill slope is 1; when
    the data prefer a slope different from 1, the Ki computed from the IC50
    carries that assumption, which the data do not support.
    """
    if model != "four_pl" or not np.isfinite(ki):
        return []
    if hill_fixed:
        p = "held there by the analysis"
    elif np.isfinite(f_test_p):
        p = f"F test P = {f_test_p:.2g}"
    else:
        p = "the variable-slope model was used without an F test"
    return [
        Flag(
            "cheng_prusoff_assumption",
            f"the Hill slope ({hill:.2f}) differs from 1 ({p}); Ki is computed from this "
            f"fit's IC50 by {equation}, which assumes competitive binding with a slope of 1",
        )
    ]


def rout_refusal(assay: str) -> str:
    """Why ROUT is refused with unweighted fits of scintillation counts (``assay`` names the plate)."""
    return (
        f"ROUT outlier removal with weighting 'none' is refused for {assay} counts: the SD "
        "of a count grows with the count, so an unweighted fit takes the high-count wells "
        "for outliers (on clean simulated plates ROUT then removes wells from about 40 % "
        "of the curves, against the 1 % its Q promises). Use weighting 'auto' (the Poisson "
        "and proportional variance of the counts) with ROUT, or leave ROUT off"
    )


# ---------------------------------------------------------------- plate thresholds


@dataclass(frozen=True)
class PlateQC:
    """The QC thresholds of one kind of plate, each with the reason for its default.

    ``min_z_prime``: Z' of the high (total, or vehicle control) vs the
    nonspecific wells below it is flagged ``poor_z``; ``max_cv``: a replicate
    CV above it is flagged ``high_cv``; ``max_nonspecific_fraction``:
    nonspecific signal above this fraction of the total (or control) is
    flagged ``high_nsb``. Each is a key of the assay's study-file section and
    an option of its command (:func:`qc_key`).
    """

    kind: str
    min_z_prime: float
    max_cv: float
    max_nonspecific_fraction: float
    why: Mapping[str, str]


BINDING_QC = PlateQC(
    kind="binding",
    min_z_prime=0.5,
    max_cv=0.20,
    max_nonspecific_fraction=0.50,
    why={
        "min_z_prime": "Z' >= 0.5 is an excellent assay (Zhang, Chung & Oldenburg 1999); a "
        "membrane binding plate with NSB ~10 % of total and a 5 % CV gives Z' ~ 0.8",
        "max_cv": "replicate counts of a filtration assay usually agree within 10 %; above "
        "20 % a pipetting or harvesting fault is likely",
        "max_nonspecific_fraction": "with NSB above half of the total the specific window is "
        "too small for a reliable Ki (a radioligand's NSB should be < 50 % of total near Kd)",
    },
)
"""Radioligand binding plates (competition; saturation uses ``max_nonspecific_fraction``)."""

UPTAKE_QC = PlateQC(
    kind="uptake",
    min_z_prime=0.2,
    max_cv=0.20,
    max_nonspecific_fraction=0.80,
    why={
        "min_z_prime": "in rat cortical synaptosomes only ~34 % of [3H]-NE uptake is "
        "desipramine-sensitive (Michel et al. 1984), so the window is narrow: with 66 % "
        "nonspecific uptake and a 5 % CV a normal plate has a true Z' of ~0.2 and, from "
        "triplicates, a median Z' of 0.31 (0.1-0.5 on simulated plates; binding's 0.5 would "
        "flag 75 % of them). Below 0.2 the control and nonspecific bands overlap more than a "
        "normal preparation's do (a plate at Z' 0.15 is flagged); Z' from 3 + 3 wells varies "
        "by about +/-0.3, so the flag asks for a look at the plate, it does not reject it",
        "max_cv": "as for binding: replicate rates above 20 % CV suggest a pipetting or "
        "filtration fault",
        "max_nonspecific_fraction": "~66 % nonspecific uptake is the normal state of a "
        "cortical preparation (Michel et al. 1984); above 80 % the specific window is under a "
        "fifth of the counts, and a 5 % CV of the counts becomes >= 25 percentage points of % "
        "control per well",
    },
)
"""Synaptosomal uptake plates (inhibition)."""

_QC_KEY_DOC = {
    "min_z_prime": "QC: Z' of the high vs the nonspecific wells below this is flagged (poor_z)",
    "max_cv": "QC: replicate CV above this is flagged (high_cv)",
    "max_nonspecific_fraction": "QC: nonspecific / total (or control) above this is flagged "
    "(high_nsb)",
}


def qc_key(name: str, defaults: PlateQC) -> Key:
    """The study-file key of one QC threshold, with its default from ``defaults``."""
    value = float(getattr(defaults, name))
    doc = f"{_QC_KEY_DOC[name]}; default {value:g} for {defaults.kind} plates"
    if name == "min_z_prime":
        return Key(name, "number", default=value, doc=doc, example=f"{value:g}")
    return Key(name, "fraction", default=value, positive=True, doc=doc, example=f"{value:g}")
