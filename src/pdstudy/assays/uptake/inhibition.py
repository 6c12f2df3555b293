"""Synaptosomal uptake: inhibition (IC50, Ki) and substrate kinetics (Km, Vmax).

The protocol (../shared/seed): synaptosomes are pre-incubated with the test
compound or vehicle, [3H]-norepinephrine is added (~10-20 nM final), uptake
runs for 5-10 min at 37 °C, and the filters are counted. Nonspecific uptake is
measured in wells with a saturating NET blocker (10 µM desipramine) or kept at
4 °C.

From counts to rates
    ``DPM = CPM / efficiency`` (or the counter's DPM column), then
    ``pmol = DPM / (2.22e12 DPM/Ci * SA Ci/mmol) * 1e9 pmol/mmol`` and
    ``rate = pmol / protein (mg) / incubation (min)`` in pmol/mg protein/min
    (:func:`uptake_rates`). Protein per well is given directly, comes from a
    :class:`~pdstudy.assays.protein.ProteinResult` (mg/mL of the preparation
    times the suspension volume per well), or from a ``protein_mg_per_well``
    column.

Inhibition (:func:`analyze_uptake`)
    Per plate, the mean nonspecific rate (``nsb`` wells, or wells marked
    ``temperature_C`` < 20) is subtracted and each well is expressed as % of
    the specific uptake of the ``control`` (vehicle) wells. The curves are
    fitted by :func:`pdstudy.assays._common.fit_concentration_response`: one
    site (Hill -1) vs variable slope by the F test, ROUT outliers, profile-
    likelihood CIs, and log Ki fitted directly with
    ``Ki = IC50 / (1 + [S]/Km)`` (Cheng & Prusoff 1973, for an inhibitor
    competitive with the substrate; [S] and Km are taken as known, as Kd is in
    binding).

Kinetics (:func:`analyze_uptake_kinetics`)
    Total (``total``/``substrate``/``control``) and nonspecific (``nsb``)
    wells at several substrate concentrations. By default total and
    nonspecific wells are fitted together (Michaelis-Menten plus nonspecific
    uptake linear in [S], model :data:`MM_TOTAL_NS`, relative weighting), so
    the uncertainty of the nonspecific estimate is in the CIs; or the mean
    nonspecific rate at each [S] is subtracted and the mean specific rates are
    fitted. Km and Vmax with profile-likelihood CIs. [S] may be isotopically
    diluted (``hot_substrate_M``).

Weighting
    As in binding: scintillation counts scatter in proportion to the count
    (plus Poisson counting noise), so by default each % of control point is
    weighted by the variance of its *predicted* count (``weighting="auto"``);
    ``"none"`` is GraphPad Prism's unweighted fit.

QC flags (``flags``, ``;``-separated; ``flag_reasons`` says why; names as in binding)
    ``high_nsb``: nonspecific uptake above ``max_nonspecific_fraction`` of
    control uptake. The default is 0.80, not the 0.5 binding uses: in rat
    cortical synaptosomes only ~34 % of [3H]-NE uptake is desipramine-
    sensitive (Michel et al. 1984 Brain Res 301:149), so ~66 % nonspecific is
    the normal state of the preparation. Above 80 % the specific window is
    under a fifth of the counts, and a 5 % well-to-well CV of the counts
    becomes >= 25 percentage points of % control per well (CV x total /
    specific), too noisy for a usable IC50.
    ``poor_z``: Z' of control vs nonspecific rates below ``min_z_prime``,
    default -0.5 (binding: 0.5). With 66 % nonspecific uptake and 5 % CV a
    good cortical plate has Z' ~ 0.3 (median over simulated plates), and Z'
    from triplicates is itself very uncertain: a threshold of 0 flags ~19 %
    of such normal plates, -0.5 ~2.5 %, while still flagging ~30 % of plates
    at 80 % and ~85 % at 90 % nonspecific uptake.
    ``high_cv``: median replicate CV of a curve's rates above ``max_cv_pct``
    (20 %; per plate: control or nonspecific wells); ``incomplete_curve``,
    ``hill_far_from_1``, ``outliers`` (ROUT), ``two_site_preferred``,
    ``not_converged``: as in binding (:mod:`pdstudy.assays._common`).
    Kinetics: ``saturation_not_reached`` (highest [S] < 2 Km),
    ``km_below_range`` (lowest [S] > Km / 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.assays._common import (
    DPM_PER_CI,
    Flag,
    ResponseFits,
    conc_with_ci,
    cv_percent,
    fit_concentration_response,
    frame_records,
    hill_flags,
    incomplete_curve_flags,
    join_flags,
    json_safe,
    ki_annotation,
    pack_curves,
    percent_of_control,
    plot_concentration_response,
    prepare_plate_frame,
    z_prime,
)
from pdstudy.errors import LayoutError
from pdstudy.fitting import MICHAELIS_MENTEN, BatchFit, Model, fit_curves, profile_ci
from pdstudy.fitting.models import register_builtin_model
from pdstudy.units import format_conc

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pdstudy.assays.protein import ProteinResult

__all__ = [
    "DPM_PER_CI",
    "MM_TOTAL_NS",
    "KineticsResult",
    "UptakeResult",
    "analyze_uptake",
    "analyze_uptake_kinetics",
    "plot_kinetics",
    "plot_uptake",
    "pmol_from_dpm",
    "uptake_rates",
]

#: layout roles of the inhibition assay, and synonyms accepted
_INHIBITION_ROLES = {
    "control": "control",
    "total": "control",
    "nsb": "nsb",
    "competition": "competition",
    "blank": "blank",
}
#: roles of a kinetics plate: total uptake at [S], nonspecific uptake at [S]
_KINETIC_TOTAL = ("total", "substrate", "control", "saturation")
_COLD_C = 20.0  # wells below this temperature measure nonspecific uptake (4 °C controls)
# kinetics are fitted with [S] in µM: parameters of order 1 keep the solver and the
# profile-likelihood search (whose tolerances are absolute below 1) well scaled
_UM = 1e6

_KEYS = ("experiment", "compound", "target")
_CURVE_COLUMNS = [
    "experiment",
    "compound",
    "target",
    "model",
    "log_ic50",
    "ic50_M",
    "ic50_ci_low_M",
    "ic50_ci_high_M",
    "hill",
    "ki_M",
    "ki_ci_low_M",
    "ki_ci_high_M",
    "pki",
    "pki_ci_low",
    "pki_ci_high",
    "status",
    "reason",
    "flags",
    "flag_reasons",
    "substrate_M",
    "km_M",
    "control_rate_pmol_per_mg_per_min",
    "nonspecific_rate_pmol_per_mg_per_min",
    "nonspecific_fraction",
    "z_prime",
    "median_cv_pct",
]


# ------------------------------------------------------------------ conversions


def pmol_from_dpm(dpm: Any, specific_activity_Ci_per_mmol: Any) -> np.ndarray:
    """Picomoles of tracer from DPM: ``DPM / (2.22e12 DPM/Ci * SA Ci/mmol) * 1e9 pmol/mmol``."""
    d = np.asarray(dpm, dtype=float)
    sa = np.asarray(specific_activity_Ci_per_mmol, dtype=float)
    if np.any(~np.isfinite(sa)) or np.any(sa <= 0):
        raise ValueError("the specific activity must be a positive number of Ci/mmol")
    return np.asarray(d / (DPM_PER_CI * sa) * 1e9)


def _raw(values: pd.Series, i: int | np.integer[Any]) -> Any:
    """The ``i``-th value as a plain Python object (for messages: 0.5, not np.float64(0.5))."""
    v = values.iloc[int(i)]
    return v.item() if isinstance(v, np.generic) else v


def _where(frame: pd.DataFrame, i: int | np.integer[Any]) -> str:
    i = int(i)
    return f"plate {frame['plate'].iloc[i]}, well {frame['well'].iloc[i]}"


def _counts(
    frame: pd.DataFrame, efficiency: float | None, counts: str, function: str
) -> tuple[np.ndarray, str]:
    """DPM per well and a note saying where they came from."""
    if counts not in ("auto", "dpm", "cpm"):
        raise ValueError(f"counts={counts!r}: use 'auto', 'dpm' or 'cpm'")
    if efficiency is not None and not (
        isinstance(efficiency, (int, float)) and 0 < efficiency <= 1
    ):
        raise ValueError(f"efficiency={efficiency!r} must be a fraction in (0, 1] (e.g. 0.45)")
    has_dpm = "dpm" in frame.columns and bool(
        np.isfinite(pd.to_numeric(frame["dpm"], errors="coerce")).all()
    )
    use_dpm = counts == "dpm" or (counts == "auto" and has_dpm)
    if use_dpm:
        if "dpm" not in frame.columns:
            raise LayoutError("counts='dpm' but the plate has no 'dpm' column", where=function)
        col, note = "dpm", "DPM from the counter"
        if efficiency is not None:
            note += f" (efficiency {efficiency:g} not used: the counter's DPM already corrects)"
    else:
        col = "cpm" if "cpm" in frame.columns else "signal"
        if col not in frame.columns:
            raise LayoutError("the plate has no 'cpm', 'dpm' or 'signal' column", where=function)
        if efficiency is None:
            raise ValueError(
                "the plate has CPM but no DPM: give the counting efficiency (e.g. efficiency=0.45 "
                "for tritium on filters) to convert CPM to DPM"
            )
        note = f"DPM = {col.upper()} / efficiency {efficiency:g}"
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
    for i in range(len(frame)):
        if not (math.isfinite(values[i]) and values[i] >= 0):
            raise LayoutError(
                f"{col} = {_raw(frame[col], i)!r} is not a count >= 0", where=_where(frame, i)
            )
    dpm = values if use_dpm else values / float(efficiency)  # type: ignore[arg-type]
    return dpm, note


def _protein_per_well(
    frame: pd.DataFrame,
    protein_mg_per_well: float | None,
    protein: ProteinResult | None,
    protein_sample: str | None,
    suspension_volume_L: float | None,
    function: str,
) -> tuple[np.ndarray, str]:
    given = [protein_mg_per_well is not None, protein is not None]
    if all(given):
        raise ValueError("give protein_mg_per_well or a protein result, not both")
    if protein_mg_per_well is not None:
        if not (math.isfinite(protein_mg_per_well) and protein_mg_per_well > 0):
            raise ValueError(f"protein_mg_per_well={protein_mg_per_well!r} must be positive")
        return (
            np.full(len(frame), float(protein_mg_per_well)),
            f"{1e3 * protein_mg_per_well:.4g} µg protein per well (given)",
        )
    if protein is not None:
        if suspension_volume_L is None or not (
            math.isfinite(suspension_volume_L) and suspension_volume_L > 0
        ):
            raise ValueError(
                "with a protein result, give suspension_volume_L: the volume of synaptosome "
                "suspension added per well (e.g. 100e-6 for 100 µL)"
            )
        mg_per_mL = protein.protein_mg_per_mL(protein_sample)
        mg = mg_per_mL * suspension_volume_L * 1e3
        return (
            np.full(len(frame), mg),
            f"{1e3 * mg:.4g} µg protein per well ({mg_per_mL:.4g} mg/mL"
            f"{f' of {protein_sample}' if protein_sample else ''} x "
            f"{suspension_volume_L * 1e6:g} µL)",
        )
    if "protein_mg_per_well" in frame.columns:
        vals = pd.to_numeric(frame["protein_mg_per_well"], errors="coerce").to_numpy(dtype=float)
        for i in range(len(frame)):
            if not (math.isfinite(vals[i]) and vals[i] > 0):
                raise LayoutError(
                    f"protein_mg_per_well = {_raw(frame['protein_mg_per_well'], i)!r} is not a "
                    "positive mass in mg",
                    where=_where(frame, i),
                )
        return vals, "protein per well from the layout's protein_mg_per_well column"
    raise ValueError(
        "no protein per well: give protein_mg_per_well, a protein result (with "
        "suspension_volume_L), or a protein_mg_per_well column in the layout"
    )


def _base_frame(frame: pd.DataFrame, function: str, target: str | None = None) -> pd.DataFrame:
    """The checked plate (:func:`~pdstudy.assays._common.prepare_plate_frame`: ``experiment``
    defaults to the plate, as in binding), with a positional index."""
    if isinstance(frame, pd.DataFrame) and frame.empty:
        raise LayoutError("the plate has no wells", where=function)
    out = prepare_plate_frame(frame, function).reset_index(drop=True)
    out["well"] = out["well"].astype(str)
    if target:
        out["target"] = out["target"].where(out["target"] != "", target)
    return out


def uptake_rates(
    frame: pd.DataFrame,
    *,
    specific_activity_Ci_per_mmol: float,
    incubation_s: float,
    protein_mg_per_well: float | None = None,
    efficiency: float | None = None,
    counts: str = "auto",
) -> pd.DataFrame:
    """Uptake rate of every well in pmol/mg protein/min.

    Adds ``dpm_used``, ``pmol``, ``protein_mg_per_well`` and
    ``rate_pmol_per_mg_per_min``. ``counts="auto"`` uses the ``dpm`` column
    when every well has one, otherwise ``cpm / efficiency``. Without
    ``protein_mg_per_well`` the frame's ``protein_mg_per_well`` column is used.
    """
    work = _base_frame(frame, "uptake_rates")
    _check_positive(specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol)
    _check_positive(incubation_s=incubation_s)
    dpm, _ = _counts(work, efficiency, counts, "uptake_rates")
    prot, _ = _protein_per_well(work, protein_mg_per_well, None, None, None, "uptake_rates")
    pmol = pmol_from_dpm(dpm, specific_activity_Ci_per_mmol)
    work["dpm_used"] = dpm
    work["pmol"] = pmol
    work["protein_mg_per_well"] = prot
    work["rate_pmol_per_mg_per_min"] = pmol / prot / (incubation_s / 60.0)
    return work


def _check_positive(**values: Any) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
            raise ValueError(f"{name}={v!r} must be a positive number")
        if not (math.isfinite(float(v)) and v > 0):
            raise ValueError(f"{name}={v!r} must be a positive, finite number")


def _scalar_or_column(
    work: pd.DataFrame, column: str, value: float | None, mask: np.ndarray, what: str, function: str
) -> np.ndarray:
    """A per-well value from a scalar argument and/or a layout column (they must agree)."""
    col = (
        pd.to_numeric(work[column], errors="coerce").to_numpy(dtype=float)
        if column in work.columns
        else np.full(len(work), np.nan)
    )
    if value is not None:
        _check_positive(**{column: value})
        clash = mask & np.isfinite(col) & ~np.isclose(col, value, rtol=1e-6, atol=0)
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            raise LayoutError(
                f"the layout says {column} = {col[i]:g} but {value:g} was given ({what})",
                where=_where(work, i),
            )
        out = np.where(np.isfinite(col), col, value)
    else:
        out = col
    missing = mask & ~(np.isfinite(out) & (out > 0))
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{_where(work, i)}: no {what}; give {column}= (e.g. on the command line) "
            f"or a {column} column in the layout"
        )
    return out


# ------------------------------------------------------------------ inhibition result


@dataclass(frozen=True)
class UptakeResult:
    """Uptake-inhibition results: one row per curve, wells, plate QC.

    Attributes
    ----------
    curves
        One row per (experiment, compound, target): the binding columns
        (``model, log_ic50, ic50_M, ic50_ci_low_M, ic50_ci_high_M, hill, ki_M,
        ki_ci_low_M, ki_ci_high_M, pki, pki_ci_low, pki_ci_high, status,
        reason, flags``) plus ``flag_reasons``, ``substrate_M``, ``km_M``,
        ``control_rate_pmol_per_mg_per_min`` (specific uptake of the control
        wells: control - nonspecific), ``nonspecific_rate_pmol_per_mg_per_min``,
        ``nonspecific_fraction`` (nonspecific / control total), ``z_prime``,
        ``max_cv_pct`` and the fit details of
        :func:`~pdstudy.assays._common.fit_concentration_response`.
    wells
        The input wells with ``dpm_used``, ``pmol``, ``protein_mg_per_well``,
        ``rate_pmol_per_mg_per_min``, ``specific_rate_pmol_per_mg_per_min``,
        ``pct_control`` and ``excluded`` (ROUT outlier).
    qc
        One row per (experiment, plate): means, SDs and CVs of the control and
        nonspecific rates, ``nonspecific_fraction``, ``z_prime``, ``flags``.
    fits
        The concentration-response fits (``None`` without competition wells).
    settings
        The conversion constants used (specific activity, incubation, protein,
        counts note, thresholds), for the report and provenance.
    level
        Confidence level.
    """

    curves: pd.DataFrame
    wells: pd.DataFrame
    qc: pd.DataFrame
    fits: ResponseFits | None
    settings: Mapping[str, Any] = field(default_factory=dict)
    level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """The curves table (one row per curve)."""
        return self.curves.copy()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN as ``None``): settings, curves, plate QC, excluded wells."""
        ex = self.wells[self.wells["excluded"]]
        return {
            "assay": "uptake_inhibition",
            "settings": json_safe(dict(self.settings)),
            "curves": frame_records(self.curves),
            "qc": frame_records(self.qc),
            "excluded_wells": frame_records(ex[["plate", "well"]]) if len(ex) else [],
        }

    def write_json(self, path: str | PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path``."""
        p = Path(path)
        p.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        return p

    def summary(self) -> str:
        """One line per curve: IC50, Ki and pKi with CIs, control uptake, flags."""
        lines = [
            f"uptake inhibition: {len(self.curves)} curve(s); "
            f"{self.settings.get('counts', '')}; {self.settings.get('protein', '')}"
        ]
        for rec in self.curves.to_dict("records"):
            name = " / ".join(
                str(rec[k]) for k in _KEYS if str(rec.get(k, "")) not in ("", "nan", "None")
            )
            lines.append(
                f"  {name}: IC50 {format_conc(rec['ic50_M'])} "
                f"({format_conc(rec['ic50_ci_low_M'])}-{format_conc(rec['ic50_ci_high_M'])}), "
                f"Ki {format_conc(rec['ki_M'])}, pKi {rec['pki']:.2f} "
                f"({rec['pki_ci_low']:.2f}-{rec['pki_ci_high']:.2f}); "
                f"control {rec['control_rate_pmol_per_mg_per_min']:.3g} pmol/mg/min, "
                f"nonspecific {100 * rec['nonspecific_fraction']:.0f} %; {rec['status']}"
                + (f" [{rec['flags']}]" if rec["flags"] else "")
            )
        return "\n".join(lines)


# ------------------------------------------------------------------ inhibition analysis


def analyze_uptake(
    frame: pd.DataFrame,
    *,
    km_M: float | None,
    specific_activity_Ci_per_mmol: float,
    incubation_s: float,
    substrate_M: float | None = None,
    protein_mg_per_well: float | None = None,
    protein: ProteinResult | None = None,
    protein_sample: str | None = None,
    suspension_volume_L: float | None = None,
    efficiency: float | None = None,
    counts: str = "auto",
    target: str | None = None,
    weighting: str = "auto",
    rout: bool = True,
    q: float = 0.01,
    two_site: bool = False,
    alpha: float = 0.05,
    level: float = 0.95,
    max_nonspecific_fraction: float = 0.80,
    min_z_prime: float = -0.5,
    max_cv_pct: float = 20.0,
    hill_range: tuple[float, float] = (0.5, 1.5),
) -> UptakeResult:
    """Analyse a synaptosomal uptake-inhibition experiment (one or more plates).

    Parameters
    ----------
    frame
        Tidy plate(s) merged with the layout: ``plate, well, role`` (``control``
        — ``total`` is accepted as a synonym —, ``nsb``, ``competition``,
        ``blank``), ``compound``, ``conc_M`` (inhibitor), ``cpm`` and/or
        ``dpm``; optional ``experiment``, ``target``, ``temperature_C`` (wells
        below 20 °C are nonspecific), ``substrate_M``, ``km_M``,
        ``protein_mg_per_well``.
    km_M
        Km of the substrate at the transporter (M; NE at NET in rat brain
        0.3 µM, Coyle & Axelrod 1971), or ``None`` when the layout has a
        ``km_M`` column.
    specific_activity_Ci_per_mmol
        Specific activity of the labelled substrate.
    incubation_s
        Uptake time (s).
    substrate_M
        Final substrate concentration, unless the layout has ``substrate_M``.
    protein_mg_per_well, protein, protein_sample, suspension_volume_L
        Protein per well: given in mg, or from a protein result (sample name
        and volume of suspension per well, L), or a ``protein_mg_per_well``
        column.
    efficiency
        Counting efficiency (needed when the plate has CPM only).
    counts
        ``"auto"`` (DPM when present), ``"dpm"`` or ``"cpm"``.
    target
        Target name for curves whose layout has no ``target`` field.
    weighting
        As in binding: ``"auto"`` weights each point by the variance of its
        predicted count (proportional plus Poisson counting noise, with the
        counting time) or, without counting times, relatively; ``"none"``
        is Prism's unweighted fit; ``"relative"``, ``"counts"``.
    rout, q, two_site, alpha, level
        Passed to :func:`~pdstudy.assays._common.fit_concentration_response`.
    max_nonspecific_fraction, min_z_prime, max_cv_pct, hill_range
        QC thresholds (see the module documentation for the choice of the
        defaults).

    Returns
    -------
    UptakeResult

    Raises
    ------
    LayoutError
        Missing roles or columns, unknown roles, a competition well at 4 °C,
        counts that are not numbers; the message names the well.
    ValueError
        Missing or invalid constants (Km, [S], specific activity, protein...).
    """
    function = "analyze_uptake"
    work = _base_frame(frame, function, target)
    _check_positive(
        specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol, incubation_s=incubation_s
    )
    if not 0 < max_nonspecific_fraction <= 1:
        raise ValueError(f"max_nonspecific_fraction={max_nonspecific_fraction!r} must be in (0, 1]")
    roles = []
    for i, r in enumerate(work["role"]):
        if r not in _INHIBITION_ROLES:
            raise LayoutError(
                f"role {r!r} is not a role of an uptake-inhibition plate "
                f"({', '.join(_INHIBITION_ROLES)})",
                where=_where(work, i),
            )
        roles.append(_INHIBITION_ROLES[r])
    role = np.array(roles, dtype=object)
    notes: list[str] = []
    if "temperature_C" in work.columns:
        temp = pd.to_numeric(work["temperature_C"], errors="coerce").to_numpy(dtype=float)
        cold = np.isfinite(temp) & (temp < _COLD_C)
        bad = cold & (role == "competition")
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LayoutError(
                f"competition well at {temp[i]:g} °C: cold wells measure nonspecific uptake; "
                "mark them role = 'nsb'",
                where=_where(work, i),
            )
        moved = cold & (role == "control")
        if moved.any():
            notes.append(
                f"{int(moved.sum())} control well(s) below {_COLD_C:g} °C used as nonspecific"
            )
        role = np.where(cold & (role != "blank"), "nsb", role)
    work["role"] = role
    comp = role == "competition"
    if comp.any():
        cvals = pd.to_numeric(work["conc_M"], errors="coerce").to_numpy(dtype=float)
        bad = comp & ~(np.isfinite(cvals) & (cvals > 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LayoutError(
                f"competition well with conc_M = {_raw(work['conc_M'], i)!r}; it needs a "
                "concentration > 0",
                where=_where(work, i),
            )
    work["substrate_M"] = _scalar_or_column(
        work, "substrate_M", substrate_M, comp, "substrate concentration [S]", function
    )
    work["km_M"] = _scalar_or_column(work, "km_M", km_M, comp, "substrate Km", function)

    dpm, counts_note = _counts(work, efficiency, counts, function)
    prot, protein_note = _protein_per_well(
        work, protein_mg_per_well, protein, protein_sample, suspension_volume_L, function
    )
    pmol = pmol_from_dpm(dpm, specific_activity_Ci_per_mmol)
    work["dpm_used"] = dpm
    work["pmol"] = pmol
    work["protein_mg_per_well"] = prot
    rate = pmol / prot / (incubation_s / 60.0)
    work["rate_pmol_per_mg_per_min"] = rate

    qc, means = _plate_qc(work, function, max_nonspecific_fraction, min_z_prime, max_cv_pct)
    key = list(zip(work["experiment"], work["plate"], strict=True))
    ctl, nsb, sig_ctl, sig_nsb = (np.array([means[k][j] for k in key]) for j in range(4))
    work["specific_rate_pmol_per_mg_per_min"] = rate - nsb
    work["pct_control"] = percent_of_control(rate, ctl, nsb)
    work["excluded"] = False
    # the counted signal each % maps back to, for the weights of the fit
    work["_sig_nsb"] = sig_nsb
    work["_sig_scale"] = (sig_ctl - sig_nsb) / 100.0
    mode = weighting.lower()
    if mode not in ("auto", "none", "relative", "counts"):
        raise ValueError(f"weighting={weighting!r}: use 'auto', 'none', 'relative' or 'counts'")
    has_time = "count_time_s" in work.columns and bool(
        (pd.to_numeric(work["count_time_s"], errors="coerce") > 0).all()
    )
    if mode == "auto":
        mode = "counts" if has_time and "cpm" in work.columns else "relative"
    if mode == "counts" and not has_time:
        raise ValueError(
            "weighting='counts' needs a count_time_s column (counting time of every well)"
        )

    fits: ResponseFits | None = None
    rows: list[dict[str, Any]] = []
    if comp.any():
        sub = work[comp]
        fits = fit_concentration_response(
            sub,
            keys=_KEYS,
            y="pct_control",
            ligand_M="substrate_M",
            ligand_k_M="km_M",
            rout=rout,
            q=q,
            two_site=two_site,
            alpha=alpha,
            level=level,
            weighting=mode,
            signal_scale="_sig_scale" if mode != "none" else None,
            signal_offset="_sig_nsb" if mode != "none" else None,
            count_time="count_time_s" if mode == "counts" else None,
        )
        work.loc[fits.excluded.index, "excluded"] = fits.excluded.to_numpy()
        sub = work[comp]
        members = sub.groupby(list(_KEYS), sort=False).indices
        qc_at = {
            (e, p): k for k, (e, p) in enumerate(zip(qc["experiment"], qc["plate"], strict=True))
        }
        for raw_rec in fits.curves.to_dict("records"):
            rec = {str(k): v for k, v in raw_rec.items()}
            lab = tuple(rec[k] for k in _KEYS)
            wells = sub.iloc[members[lab]]
            rows.append(
                _curve_row(
                    rec,
                    wells,
                    qc.iloc[
                        sorted(
                            {
                                qc_at[k]
                                for k in zip(wells["experiment"], wells["plate"], strict=True)
                            }
                        )
                    ],
                    hill_range=hill_range,
                    max_nonspecific_fraction=max_nonspecific_fraction,
                    min_z_prime=min_z_prime,
                    max_cv_pct=max_cv_pct,
                    q=q,
                )
            )
    curves = pd.DataFrame(rows)
    if curves.empty:
        curves = pd.DataFrame(columns=_CURVE_COLUMNS)
    else:
        extra = [c for c in curves.columns if c not in _CURVE_COLUMNS]
        curves = curves[_CURVE_COLUMNS + extra]
    settings = {
        "specific_activity_Ci_per_mmol": float(specific_activity_Ci_per_mmol),
        "incubation_s": float(incubation_s),
        "efficiency": efficiency,
        "counts": counts_note,
        "protein": protein_note,
        "km_M": km_M,
        "substrate_M": substrate_M,
        "rout": rout,
        "q": q,
        "alpha": alpha,
        "level": level,
        "weighting": mode,
        "max_nonspecific_fraction": max_nonspecific_fraction,
        "min_z_prime": min_z_prime,
        "max_cv_pct": max_cv_pct,
        "hill_range": list(hill_range),
        "notes": notes,
        "ki_equation": "Ki = IC50 / (1 + [S]/Km) (Cheng & Prusoff 1973, competitive inhibition)",
    }
    work = work.drop(columns=["_sig_nsb", "_sig_scale"])
    return UptakeResult(curves=curves, wells=work, qc=qc, fits=fits, settings=settings, level=level)


def _plate_qc(
    work: pd.DataFrame,
    function: str,
    max_nonspecific_fraction: float,
    min_z_prime: float,
    max_cv_pct: float,
) -> tuple[pd.DataFrame, dict[tuple[str, str], tuple[float, float, float, float]]]:
    """Per (experiment, plate): QC row, and the means (control rate, nonspecific rate,
    control signal, nonspecific signal). A plate without control or nonspecific wells
    uses its experiment's."""
    rate = work["rate_pmol_per_mg_per_min"].to_numpy()
    sig = work["signal"].to_numpy(dtype=float)
    role = work["role"].to_numpy()
    exp = work["experiment"].to_numpy()
    plate = work["plate"].to_numpy()
    means: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    rows = []
    for e in dict.fromkeys(exp):
        in_e = exp == e
        for p in dict.fromkeys(plate[in_e]):
            on = in_e & (plate == p)
            c, n = on & (role == "control"), on & (role == "nsb")
            note = []
            if not c.any():
                c = in_e & (role == "control")
                note.append("no control wells on this plate: the experiment's used")
            if not n.any():
                n = in_e & (role == "nsb")
                note.append("no nonspecific wells on this plate: the experiment's used")
            if not c.any():
                raise LayoutError(
                    f"experiment {e}: no control (vehicle, 100 % uptake) wells (role 'control')",
                    where=function,
                )
            if not n.any():
                raise LayoutError(
                    f"experiment {e}: no nonspecific-uptake wells (role 'nsb': desipramine or "
                    "4 °C)",
                    where=function,
                )
            cm, nm = float(rate[c].mean()), float(rate[n].mean())
            means[(e, p)] = (cm, nm, float(sig[c].mean()), float(sig[n].mean()))
            frac = nm / cm if cm > 0 else math.nan
            zp = z_prime(rate[c], rate[n])
            flags = _window_flags(frac, zp, max_nonspecific_fraction, min_z_prime, f"plate {p}")
            c_cv, n_cv = cv_percent(rate[c]), cv_percent(rate[n])
            for label, cv in (("control", c_cv), ("nonspecific", n_cv)):
                if math.isfinite(cv) and cv > max_cv_pct:
                    flags.append(
                        Flag(
                            "high_cv", f"plate {p}: {label} wells CV {cv:.0f} % > {max_cv_pct:g} %"
                        )
                    )
            names, reasons = join_flags(flags)
            rows.append(
                {
                    "experiment": e,
                    "plate": p,
                    "n_control": int(c.sum()),
                    "n_nonspecific": int(n.sum()),
                    "control_rate_mean": cm,
                    "control_rate_sd": _sd(rate[c]),
                    "control_cv_pct": c_cv,
                    "nonspecific_rate_mean": nm,
                    "nonspecific_rate_sd": _sd(rate[n]),
                    "nonspecific_cv_pct": n_cv,
                    "specific_rate": cm - nm,
                    "nonspecific_fraction": frac,
                    "z_prime": zp,
                    "flags": names,
                    "flag_reasons": reasons,
                    "note": "; ".join(note),
                }
            )
    return pd.DataFrame(rows), means


def _window_flags(
    frac: float, zp: float, max_fraction: float, min_z: float, where: str
) -> list[Flag]:
    flags = []
    if not (math.isfinite(frac) and frac <= max_fraction):
        flags.append(
            Flag(
                "high_nsb",
                f"{where}: nonspecific uptake is {100 * frac:.0f} % of control uptake "
                f"(threshold {100 * max_fraction:.0f} %; ~66 % is normal in cortical "
                "synaptosomes, Michel et al. 1984)",
            )
        )
    if math.isfinite(zp) and zp < min_z:
        flags.append(Flag("poor_z", f"{where}: Z' {zp:.2f} < {min_z:g} (control vs nonspecific)"))
    return flags


def _sd(v: np.ndarray) -> float:
    return float(np.std(v, ddof=1)) if v.size > 1 else math.nan


def _cv(v: np.ndarray) -> float:
    m = float(np.mean(v)) if v.size else math.nan
    return 100.0 * _sd(v) / abs(m) if v.size > 1 and m != 0 else math.nan


def _curve_row(
    rec: dict[str, Any],
    wells: pd.DataFrame,
    qsel: pd.DataFrame,
    *,
    hill_range: tuple[float, float],
    max_nonspecific_fraction: float,
    min_z_prime: float,
    max_cv_pct: float,
    q: float,
) -> dict[str, Any]:
    """One row of the curves table: the fit's columns, the QC of the curve's plates, flags."""
    rec = dict(rec)
    rec["substrate_M"] = float(wells["substrate_M"].iloc[0])
    rec["km_M"] = float(wells["km_M"].iloc[0])
    rec["control_rate_pmol_per_mg_per_min"] = float(qsel["specific_rate"].mean())
    rec["nonspecific_rate_pmol_per_mg_per_min"] = float(qsel["nonspecific_rate_mean"].mean())
    frac = float(qsel["nonspecific_rate_mean"].mean() / qsel["control_rate_mean"].mean())
    rec["nonspecific_fraction"] = frac
    zp = float(qsel["z_prime"].min()) if len(qsel) else math.nan
    rec["z_prime"] = zp
    kept = wells[~wells["excluded"].to_numpy(dtype=bool)]
    cvs = kept.groupby(["plate", "conc_M"])["rate_pmol_per_mg_per_min"].apply(cv_percent)
    cvs = cvs.dropna()
    rec["median_cv_pct"] = float(cvs.median()) if len(cvs) else math.nan
    plates = ";".join(dict.fromkeys(qsel["plate"].astype(str)))
    rec["plates"] = plates

    flags: list[Flag] = []
    if rec["status"] != "converged":
        flags.append(Flag("not_converged", f"fit status {rec['status']}: {rec['reason']}"))
    flags += _window_flags(frac, zp, max_nonspecific_fraction, min_z_prime, f"plate(s) {plates}")
    if math.isfinite(rec["median_cv_pct"]) and rec["median_cv_pct"] > max_cv_pct:
        flags.append(
            Flag(
                "high_cv",
                f"median replicate CV of the curve's rates {rec['median_cv_pct']:.0f} % "
                f"> {max_cv_pct:g} %",
            )
        )
    flags += incomplete_curve_flags(
        rec["log_ic50"],
        math.log10(rec["x_min_M"]) if rec["x_min_M"] > 0 else math.nan,
        math.log10(rec["x_max_M"]) if rec["x_max_M"] > 0 else math.nan,
        rec["y_at_max"],
        y_at_min=rec["y_at_min"],
    )
    p = rec["f_test_p"]
    hf = hill_flags(rec["hill_four_pl"], p, low=hill_range[0], high=hill_range[1])
    # outside the range counts only where the data prefer the variable slope (as in binding)
    if hf and not (math.isfinite(p) and (p < 0.001 or rec["model"] == "four_pl")):
        hf = []
    flags += hf
    if rec.get("n_excluded", 0):
        flags.append(
            Flag(
                "outliers",
                f"ROUT (Q = {100 * q:g} %) excluded {rec['n_excluded']} well(s): "
                f"{rec['excluded_wells']}",
            )
        )
    if rec.get("two_site_preferred") and rec["two_site_p"] < 0.01:
        flags.append(
            Flag(
                "two_site_preferred",
                f"two sites fit better than one (F test P = {rec['two_site_p']:.2g})",
            )
        )
    rec["flags"], rec["flag_reasons"] = join_flags(flags)
    return rec


# ------------------------------------------------------------------ inhibition figure


def _curve_index(fits: ResponseFits, curves: pd.DataFrame, curve: Any) -> int:
    if isinstance(curve, (int, np.integer)) and not isinstance(curve, bool):
        if not 0 <= int(curve) < len(curves):
            raise ValueError(f"curve={curve!r}: the result has {len(curves)} curve(s)")
        return int(curve)
    if isinstance(curve, str):
        hits = [i for i, c in enumerate(curves["compound"].astype(str)) if c == curve]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise ValueError(
                f"no curve of compound {curve!r} (compounds: "
                f"{', '.join(dict.fromkeys(curves['compound'].astype(str)))})"
            )
        raise ValueError(f"compound {curve!r} has {len(hits)} curves; pass the curve index")
    return fits.index_of(curve)


def plot_uptake(result: UptakeResult, curve: Any = None, ax: Axes | None = None) -> Axes:
    """Specific uptake (% of control) vs log inhibitor: mean ± SD, fit, 95 % band, Ki.

    ``curve`` is an index, a compound name or a label tuple
    ``(experiment, compound, target)``; ``None`` draws every curve (the
    IC50/Ki annotation only when there is one).
    """
    import matplotlib.pyplot as plt

    if result.fits is None or result.curves.empty:
        raise ValueError("the result has no inhibition curve to plot")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.0))
    idx = (
        list(range(len(result.curves)))
        if curve is None
        else [_curve_index(result.fits, result.curves, curve)]
    )
    sub = result.wells[result.wells["role"] == "competition"]
    for i in idx:
        rec = result.curves.iloc[i]
        note = None
        if len(idx) == 1:
            note = (
                ki_annotation(rec["ic50_M"], rec["ic50_ci_low_M"], rec["ic50_ci_high_M"], "IC50")
                + "\n"
                + ki_annotation(rec["ki_M"], rec["ki_ci_low_M"], rec["ki_ci_high_M"], "Ki")
                + f"\n[S] {format_conc(rec['substrate_M'])}, Km {format_conc(rec['km_M'])}"
                + f"\ncontrol {rec['control_rate_pmol_per_mg_per_min']:.3g} pmol/mg/min"
            )
        plot_concentration_response(
            result.fits,
            sub,
            i,
            y="pct_control",
            ax=ax,
            ylabel="specific uptake (% of control)",
            annotation=note,
            excluded=result.wells["excluded"],
        )
    ax.set_xlabel("log10 [inhibitor] (M)")
    ax.set_title("synaptosomal uptake inhibition")
    return ax


# ------------------------------------------------------------------ kinetics


def _mm_total_ns(x: np.ndarray, p: np.ndarray, c: Mapping[str, np.ndarray]) -> np.ndarray:
    s = np.abs(x)
    total = (x > 0).astype(float)
    vmax, km, ns, bg = (p[:, k : k + 1] for k in range(4))
    return total * vmax * s / (km + s) + ns * s + bg


def _mm_total_ns_jac(x: np.ndarray, p: np.ndarray, c: Mapping[str, np.ndarray]) -> np.ndarray:
    s = np.abs(x)
    total = (x > 0).astype(float)
    vmax, km = p[:, 0:1], p[:, 1:2]
    den = km + s
    j = np.empty(x.shape + (4,))
    j[..., 0] = total * s / den
    j[..., 1] = -total * vmax * s / (den * den)
    j[..., 2] = s
    j[..., 3] = 1.0
    return j


def _mm_total_ns_guess(x: np.ndarray, y: np.ndarray, c: Mapping[str, np.ndarray]) -> np.ndarray:
    """Straight line through the nonspecific points; Vmax and Km from what is left (vectorised)."""
    ok = np.isfinite(x) & np.isfinite(y)
    s = np.where(ok, np.abs(x), np.nan)
    ns = ok & (x < 0)
    with np.errstate(all="ignore"):
        n = ns.sum(axis=1)
        sx = np.where(ns, s, 0.0).sum(axis=1)
        sy = np.where(ns, y, 0.0).sum(axis=1)
        sxx = np.where(ns, s * s, 0.0).sum(axis=1)
        sxy = np.where(ns, s * y, 0.0).sum(axis=1)
        den = n * sxx - sx * sx
        slope = np.where((n >= 2) & (den > 0), (n * sxy - sx * sy) / den, 0.0)
        icpt = np.where(n >= 1, (sy - slope * sx) / np.maximum(n, 1), 0.0)
        tot = ok & (x > 0)
        spec = np.where(tot, y - (icpt[:, None] + slope[:, None] * s), np.nan)
        vmax = np.nanmax(np.where(tot, spec, -np.inf), axis=1) * 1.2
        vmax = np.where(np.isfinite(vmax) & (vmax > 0), vmax, 1.0)
        dist = np.where(tot, np.abs(spec - vmax[:, None] / 2), np.inf)
        j = np.argmin(dist, axis=1)
        km = s[np.arange(x.shape[0]), j]
        km = np.where(np.isfinite(km) & (km > 0), km, np.nanmedian(s, axis=1))
    return np.column_stack([vmax, km, np.maximum(slope, 0.0), icpt])


#: Michaelis-Menten uptake with nonspecific uptake linear in [S], total and nonspecific
#: wells fitted together. X ([S], in µM as used here) carries the kind of well in its
#: sign: +[S] for a total well, -[S] for a nonspecific well (an internal encoding that lets one curve hold
#: both, so the fit is an ordinary independent one with profile-likelihood CIs).
MM_TOTAL_NS = Model(
    name="michaelis_menten_total_ns",
    params=("vmax", "km", "ns", "background"),
    func=_mm_total_ns,
    jac=_mm_total_ns_jac,
    guess=_mm_total_ns_guess,
    lower=(0.0, 0.0, 0.0, -np.inf),
    upper=(np.inf, np.inf, np.inf, np.inf),
    potency="km",
    equation="Total = Vmax * S / (Km + S) + NS * S + Background; Nonspecific = NS * S + Background",
    x_is_log=False,
)
register_builtin_model(MM_TOTAL_NS, "uptake.michaelis_menten_total_ns")


@dataclass(frozen=True)
class KineticsResult:
    """Michaelis-Menten kinetics of specific uptake: Km and Vmax per curve.

    Attributes
    ----------
    curves
        One row per curve (``experiment``, ``target``): ``km_M``,
        ``km_ci_low_M``, ``km_ci_high_M``, ``vmax_pmol_per_mg_per_min``,
        ``vmax_ci_low``, ``vmax_ci_high`` (profile-likelihood CIs),
        ``ns_slope_pmol_per_mg_per_min_per_M`` (linear nonspecific uptake),
        ``s_min_M``, ``s_max_M``, ``n_points``, ``r_squared``, ``model``,
        ``nonspecific_method`` (``linear`` or ``per_conc``), ``method`` (in
        words), ``status``, ``reason``, ``flags``, ``flag_reasons``.
    points
        Every total and nonspecific well: ``substrate_M``,
        ``rate_pmol_per_mg_per_min``, ``nonspecific_rate_pmol_per_mg_per_min``
        (the estimate subtracted), ``specific_rate_pmol_per_mg_per_min``
        (total wells).
    fits
        The fits by nonspecific method: ``"linear"`` (model
        :data:`MM_TOTAL_NS`, one curve per experiment holding its total and
        nonspecific wells) and/or ``"per_conc"`` (Michaelis-Menten on the mean
        specific rate per [S]).
    locate
        For each row of ``curves``: (key of ``fits``, curve index in that fit).
    settings
        Conversion constants used.
    level
        Confidence level.
    """

    curves: pd.DataFrame
    points: pd.DataFrame
    fits: Mapping[str, BatchFit]
    locate: tuple[tuple[str, int], ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    level: float = 0.95

    def specific_curve(self, i: int, substrate_M: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fitted specific rate ``Vmax S / (Km + S)`` of curve ``i`` and its confidence band."""
        method, k = self.locate[i]
        fit = self.fits[method]
        s = _UM * np.atleast_1d(np.asarray(substrate_M, dtype=float))
        if method == "per_conc":
            return fit.band(s, k, level=self.level)
        vmax, km = fit.params[k, 0], fit.params[k, 1]
        y = vmax * s / (km + s)
        jac = np.zeros((s.size, 4))
        jac[:, 0] = s / (km + s)
        jac[:, 1] = -vmax * s / (km + s) ** 2
        cov = np.nan_to_num(fit.cov[k])
        half = stats.t.ppf(0.5 + self.level / 2, fit.df[k]) * np.sqrt(
            np.clip(np.einsum("mk,kl,ml->m", jac, cov, jac), 0, None)
        )
        return y, y - half, y + half

    def to_frame(self) -> pd.DataFrame:
        """The curves table."""
        return self.curves.copy()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN as ``None``): settings and curves."""
        return {
            "assay": "uptake_kinetics",
            "settings": json_safe(dict(self.settings)),
            "curves": frame_records(self.curves),
        }

    def write_json(self, path: str | PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path``."""
        p = Path(path)
        p.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        return p

    def summary(self) -> str:
        """One line per curve: Km and Vmax with CIs."""
        lines = [f"uptake kinetics: {len(self.curves)} curve(s)"]
        for rec in self.curves.to_dict("records"):
            name = " / ".join(
                str(rec[k]) for k in ("experiment", "target") if str(rec[k]) not in ("", "nan")
            )
            lines.append(
                f"  {name}: Km {format_conc(rec['km_M'])} ({format_conc(rec['km_ci_low_M'])}-"
                f"{format_conc(rec['km_ci_high_M'])}), Vmax "
                f"{rec['vmax_pmol_per_mg_per_min']:.3g} ({rec['vmax_ci_low']:.3g}-"
                f"{rec['vmax_ci_high']:.3g}) pmol/mg/min; {rec['status']}"
                + (f" [{rec['flags']}]" if rec["flags"] else "")
            )
        return "\n".join(lines)


def analyze_uptake_kinetics(
    frame: pd.DataFrame,
    *,
    specific_activity_Ci_per_mmol: float,
    incubation_s: float,
    protein_mg_per_well: float | None = None,
    protein: ProteinResult | None = None,
    protein_sample: str | None = None,
    suspension_volume_L: float | None = None,
    efficiency: float | None = None,
    counts: str = "auto",
    hot_substrate_M: float | None = None,
    nonspecific: str = "auto",
    target: str | None = None,
    weights: str | None = "1/y2",
    level: float = 0.95,
) -> KineticsResult:
    """Km and Vmax of specific uptake from a substrate-saturation experiment.

    Parameters
    ----------
    frame
        Tidy plate(s) merged with the layout: roles ``total`` (also
        ``substrate``, ``control``, ``saturation``: uptake at [S]) and ``nsb``
        (nonspecific uptake at [S]; desipramine or 4 °C), ``blank`` ignored.
        [S] is ``conc_M`` (as in :func:`~pdstudy.design.plates.saturation_layout`),
        or a ``substrate_M`` column when it varies between wells.
    specific_activity_Ci_per_mmol, incubation_s, protein_mg_per_well, protein,
    protein_sample, suspension_volume_L, efficiency, counts
        As in :func:`analyze_uptake`.
    hot_substrate_M
        Concentration of labelled substrate when higher [S] are made by adding
        unlabelled substrate (isotope dilution): the specific activity at [S]
        is then ``SA * hot / [S]``. ``None``: all substrate is labelled.
    nonspecific
        ``"linear"``: total and nonspecific wells fitted together, nonspecific
        uptake ``NS * [S] + background`` (diffusion is linear in [S]; Prism's
        "total and nonspecific" approach); every well is one point, so the
        CIs account for the uncertainty of the nonspecific estimate.
        ``"per_conc"``: the mean nonspecific rate at each [S] is subtracted
        and the mean specific rates (one point per [S]) are fitted; use it
        when nonspecific uptake is not linear in [S]. Its CIs are
        approximate (the scatter of the means is not constant; about 80-90 %
        coverage on simulated plates). ``"auto"``: linear when nonspecific
        wells are at >= 2 concentrations, else per_conc.
    target
        Target name when the layout has no ``target`` field.
    weights
        ``"1/y2"`` (default: relative weighting, since the scatter of counts is
        proportional to the counts, and nonspecific uptake grows with [S]) or
        ``None``. On simulated plates the 95 % profile CIs of Km and Vmax
        cover the truth in ~95 % of experiments with relative weighting
        (``nonspecific="linear"``) but only ~70 % (Vmax) unweighted.
    level
        Confidence level.

    Returns
    -------
    KineticsResult
    """
    function = "analyze_uptake_kinetics"
    work = _base_frame(frame, function, target)
    _check_positive(
        specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol, incubation_s=incubation_s
    )
    if nonspecific not in ("auto", "per_conc", "linear"):
        raise ValueError(f"nonspecific={nonspecific!r}: use 'auto', 'per_conc' or 'linear'")
    role = work["role"].to_numpy().astype(object)
    for i, r in enumerate(role):
        if r not in (*_KINETIC_TOTAL, "nsb", "blank"):
            raise LayoutError(
                f"role {r!r} is not a role of a kinetics plate (total uptake: "
                f"{', '.join(_KINETIC_TOTAL)}; nsb; blank)",
                where=_where(work, i),
            )
    role = np.where(np.isin(role, _KINETIC_TOTAL), "total", role)
    if "temperature_C" in work.columns:
        temp = pd.to_numeric(work["temperature_C"], errors="coerce").to_numpy(dtype=float)
        role = np.where(np.isfinite(temp) & (temp < _COLD_C) & (role == "total"), "nsb", role)
    work["role"] = role
    used = role != "blank"
    if not (role == "total").any():
        raise LayoutError("no total-uptake wells (role 'total' or 'substrate')", where=function)

    s = _substrate_column(work, used, function)
    work["substrate_M"] = s
    sa = np.full(len(work), float(specific_activity_Ci_per_mmol))
    if hot_substrate_M is not None:
        _check_positive(hot_substrate_M=hot_substrate_M)
        sa = np.where(s > hot_substrate_M, sa * hot_substrate_M / np.where(s > 0, s, 1.0), sa)
    dpm, counts_note = _counts(work, efficiency, counts, function)
    prot, protein_note = _protein_per_well(
        work, protein_mg_per_well, protein, protein_sample, suspension_volume_L, function
    )
    work["specific_activity_Ci_per_mmol"] = sa
    work["dpm_used"] = dpm
    work["pmol"] = pmol_from_dpm(dpm, sa)
    work["protein_mg_per_well"] = prot
    work["rate_pmol_per_mg_per_min"] = work["pmol"] / prot / (incubation_s / 60.0)

    keys = ["experiment", "target"]
    ns_rate = np.full(len(work), np.nan)
    plan: dict[str, list[tuple[str, str]]] = {"linear": [], "per_conc": []}
    for lab, grp in work[used].groupby(keys, sort=False):
        lab_t = (str(lab[0]), str(lab[1]))
        tot = grp[grp["role"] == "total"]
        nsb = grp[grp["role"] == "nsb"]
        if tot.empty or nsb.empty:
            kind = "total-uptake wells" if tot.empty else "nonspecific-uptake wells (role 'nsb')"
            raise LayoutError(f"experiment {lab_t[0]}: no {kind}", where=function)
        per = nsb.groupby("substrate_M")["rate_pmol_per_mg_per_min"].mean()
        missing = sorted(set(tot["substrate_M"]) - set(per.index))
        method = nonspecific
        if method == "auto":
            method = "linear" if per.size >= 2 else "per_conc"
        if method == "per_conc" and missing:
            raise LayoutError(
                f"experiment {lab_t[0]}: no nonspecific wells at [S] = "
                f"{', '.join(format_conc(m) for m in missing[:5])}; use nonspecific='linear'",
                where=function,
            )
        if method == "linear" and per.size < 2:
            raise LayoutError(
                f"experiment {lab_t[0]}: a straight line through the nonspecific rates needs "
                "them at >= 2 substrate concentrations",
                where=function,
            )
        if method == "per_conc":
            ns_rate[grp.index.to_numpy()] = per.reindex(grp["substrate_M"]).to_numpy()
        plan[method].append(lab_t)

    fits: dict[str, BatchFit] = {}
    locate: dict[tuple[str, str], tuple[str, int]] = {}
    sub = work[used]
    lab_of = list(zip(sub["experiment"].astype(str), sub["target"].astype(str), strict=True))
    position: dict[tuple[str, str], list[int]] = {}
    for pos, lab_s in zip(sub.index.to_numpy(), lab_of, strict=True):
        position.setdefault(lab_s, []).append(int(pos))
    if plan["linear"]:
        want = set(plan["linear"])
        lin = sub[[lab in want for lab in lab_of]].copy()
        lin["_x"] = _UM * np.where(lin["role"] == "total", lin["substrate_M"], -lin["substrate_M"])
        labels, xx, yy, _ = pack_curves(lin, keys, "_x", "rate_pmol_per_mg_per_min")
        fits["linear"] = fit_curves(
            MM_TOTAL_NS, xx, yy, weights=weights, labels=labels, level=level
        )
        for i, lab in enumerate(labels):
            lab_s = (str(lab[0]), str(lab[1]))
            locate[lab_s] = ("linear", i)
            idx = position[lab_s]
            ns_p = fits["linear"].params[i, 2:4]
            ns_rate[idx] = ns_p[1] + ns_p[0] * _UM * s[idx]
    if plan["per_conc"]:
        want = set(plan["per_conc"])
        pc = sub[[lab in want for lab in lab_of]].copy()
        pc["_spec"] = pc["rate_pmol_per_mg_per_min"] - ns_rate[pc.index.to_numpy()]
        means = (
            pc[pc["role"] == "total"]
            .groupby([*keys, "substrate_M"], sort=False)["_spec"]
            .mean()
            .reset_index()
        )
        means["_x"] = _UM * means["substrate_M"]
        labels, xx, yy, _ = pack_curves(means, keys, "_x", "_spec")
        fits["per_conc"] = fit_curves(
            MICHAELIS_MENTEN, xx, yy, weights=weights, labels=labels, level=level
        )
        for i, lab in enumerate(labels):
            locate[(str(lab[0]), str(lab[1]))] = ("per_conc", i)
    work["nonspecific_rate_pmol_per_mg_per_min"] = ns_rate
    work["specific_rate_pmol_per_mg_per_min"] = np.where(
        role == "total", work["rate_pmol_per_mg_per_min"] - ns_rate, np.nan
    )
    points = work[used].copy()
    prof = {m: (profile_ci(f, "km"), profile_ci(f, "vmax"), f.r_squared()) for m, f in fits.items()}
    method_text = {
        "linear": "total and nonspecific fitted together, nonspecific = NS * [S] + background",
        "per_conc": "Michaelis-Menten fit of the mean specific rate at each [S] (total - "
        "mean nonspecific at that [S])",
    }
    rows = []
    order: list[tuple[str, int]] = []
    for lab_t in position:
        method, i = locate[lab_t]
        fit = fits[method]
        fit_km, fit_vm, r2 = prof[method]
        order.append((method, i))
        km = float(fit.param("km")[i]) / _UM
        vmax = float(fit.param("vmax")[i])
        at = np.asarray(position[lab_t])
        s_tot = s[at][role[at] == "total"]
        rec: dict[str, Any] = {
            "experiment": lab_t[0],
            "target": lab_t[1],
            "km_M": km,
            "km_ci_low_M": _profile(fit_km, "low", i) / _UM,
            "km_ci_high_M": _profile(fit_km, "high", i) / _UM,
            "vmax_pmol_per_mg_per_min": vmax,
            "vmax_ci_low": _profile(fit_vm, "low", i),
            "vmax_ci_high": _profile(fit_vm, "high", i),
            "ns_slope_pmol_per_mg_per_min_per_M": float(fit.param("ns")[i]) * _UM
            if method == "linear"
            else math.nan,
            "s_min_M": float(s_tot.min()),
            "s_max_M": float(s_tot.max()),
            "n_points": int(fit.n_points[i]),
            "r_squared": float(r2[i]),
            "model": fit.model.name,
            "nonspecific_method": method,
            "method": method_text[method],
            "status": fit.status[i],
            "reason": _merge_reasons(fit.reason[i], fit_km.reason[i], fit_vm.reason[i]),
        }
        flags: list[Flag] = []
        if math.isfinite(km):
            if rec["s_max_M"] < 2 * km:
                flags.append(
                    Flag(
                        "saturation_not_reached",
                        f"highest [S] {format_conc(rec['s_max_M'])} is below 2 x Km "
                        f"({format_conc(2 * km)}): Vmax is an extrapolation",
                    )
                )
            if rec["s_min_M"] > km / 2:
                flags.append(
                    Flag(
                        "km_below_range",
                        f"lowest [S] {format_conc(rec['s_min_M'])} is above Km / 2: the rising "
                        "part of the curve is not sampled",
                    )
                )
        rec["flags"], rec["flag_reasons"] = join_flags(flags)
        rows.append(rec)
    settings = {
        "specific_activity_Ci_per_mmol": float(specific_activity_Ci_per_mmol),
        "hot_substrate_M": hot_substrate_M,
        "incubation_s": float(incubation_s),
        "efficiency": efficiency,
        "counts": counts_note,
        "protein": protein_note,
        "nonspecific": nonspecific,
        "level": level,
    }
    return KineticsResult(
        curves=pd.DataFrame(rows),
        points=points,
        fits=fits,
        locate=tuple(order),
        settings=settings,
        level=level,
    )


def _profile(fit: BatchFit, side: str, i: int) -> float:
    arr = fit.profile_low if side == "low" else fit.profile_high
    return float(arr[i]) if arr is not None else math.nan


def _merge_reasons(*reasons: str) -> str:
    parts: list[str] = []
    for r in reasons:
        for p in r.split("; "):
            if p and p not in parts:
                parts.append(p)
    return "; ".join(parts)


def _substrate_column(work: pd.DataFrame, used: np.ndarray, function: str) -> np.ndarray:
    """[S] of each used well: ``substrate_M`` when it varies between wells, else ``conc_M``."""
    col = None
    if "substrate_M" in work.columns:
        s = pd.to_numeric(work["substrate_M"], errors="coerce").to_numpy(dtype=float)
        if np.unique(s[used & np.isfinite(s)]).size > 1:
            col = "substrate_M"
    if col is None:
        if "conc_M" not in work.columns:
            raise LayoutError(
                "no substrate concentrations: give conc_M (or substrate_M) per well", where=function
            )
        col = "conc_M"
    s = pd.to_numeric(work[col], errors="coerce").to_numpy(dtype=float)
    bad = used & ~(np.isfinite(s) & (s > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LayoutError(
            f"{col} = {_raw(work[col], i)!r} is not a substrate concentration > 0",
            where=_where(work, i),
        )
    return np.where(used, s, np.nan)


def plot_kinetics(
    result: KineticsResult,
    curve: int | None = None,
    ax: Axes | None = None,
    *,
    kind: str = "michaelis_menten",
) -> Axes:
    """Specific uptake rate vs [S].

    ``kind="michaelis_menten"`` (default): mean ± SD, the fitted hyperbola and
    its 95 % band, Km and Vmax marked. ``"eadie_hofstee"`` (v vs v/[S]) and
    ``"lineweaver_burk"`` (1/v vs 1/[S]) are displays only: the points are
    drawn with the line implied by the nonlinear fit, never a regression on
    the transformed data.
    """
    import matplotlib.pyplot as plt

    if kind not in ("michaelis_menten", "eadie_hofstee", "lineweaver_burk"):
        raise ValueError(
            f"kind={kind!r}: use 'michaelis_menten', 'eadie_hofstee' or 'lineweaver_burk'"
        )
    n = len(result.curves)
    if n == 0:
        raise ValueError("the result has no curve")
    if curve is None:
        if n > 1:
            raise ValueError(f"the result has {n} curves; pass curve= (0..{n - 1})")
        curve = 0
    if not 0 <= curve < n:
        raise ValueError(f"curve={curve!r}: the result has {n} curve(s)")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.0))
    rec = result.curves.iloc[curve]
    pts = result.points[
        (result.points["role"] == "total")
        & (result.points["experiment"].astype(str) == str(rec["experiment"]))
        & (result.points["target"].astype(str) == str(rec["target"]))
    ]
    agg = pts.groupby("substrate_M")["specific_rate_pmol_per_mg_per_min"].agg(["mean", "std"])
    s_uM = agg.index.to_numpy() * 1e6
    v, sd = agg["mean"].to_numpy(), agg["std"].fillna(0.0).to_numpy()
    km, vmax = float(rec["km_M"]), float(rec["vmax_pmol_per_mg_per_min"])
    method, k = result.locate[curve]
    ok = bool(result.fits[method].ok[k])
    unit = "pmol/mg/min"
    if kind == "michaelis_menten":
        ax.errorbar(s_uM, v, yerr=sd, fmt="o", color="#333333", capsize=3, label="mean ± SD")
        if ok:
            grid = np.linspace(0.0, float(agg.index.max()) * 1.1, 200)
            y, lo, hi = result.specific_curve(curve, grid)
            ax.plot(grid * 1e6, y, color="#4e79a7", label="Michaelis-Menten fit")
            good = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(
                grid[good] * 1e6,
                lo[good],
                hi[good],
                color="#4e79a7",
                alpha=0.2,
                lw=0,
                label=f"{result.level:.0%} CI",
            )
            ax.axhline(vmax, color="0.5", ls="--", lw=0.8)
            ax.axvline(km * 1e6, color="0.5", ls=":", lw=0.8)
        ax.set_xlabel("[substrate] (µM)")
        ax.set_ylabel(f"specific uptake ({unit})")
        ax.text(
            0.97,
            0.05,
            f"Km = {conc_with_ci(km, rec['km_ci_low_M'], rec['km_ci_high_M'])}\n"
            f"Vmax = {vmax:.3g} {unit} ({rec['vmax_ci_low']:.3g}–{rec['vmax_ci_high']:.3g})",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
        )
        ax.set_title("uptake kinetics")
    elif kind == "eadie_hofstee":
        ratio = v / s_uM
        ax.plot(ratio, v, "o", color="#333333", label="means")
        if ok:
            r = np.linspace(0.0, max(float(np.nanmax(ratio)), vmax / (km * 1e6)) * 1.05, 50)
            ax.plot(r, vmax - km * 1e6 * r, color="#4e79a7", label="from the nonlinear fit")
        ax.set_xlabel(f"v / [S] ({unit} per µM)")
        ax.set_ylabel(f"v ({unit})")
        ax.set_title("Eadie-Hofstee (display only)")
    else:
        pos = v > 0
        inv_s, inv_v = 1.0 / s_uM[pos], 1.0 / v[pos]
        ax.plot(inv_s, inv_v, "o", color="#333333", label="means")
        if ok and inv_s.size:
            xi = np.linspace(0.0, float(np.max(inv_s)) * 1.05, 50)
            ax.plot(
                xi,
                km * 1e6 / vmax * xi + 1.0 / vmax,
                color="#4e79a7",
                label="from the nonlinear fit",
            )
        ax.set_xlabel("1 / [S] (1/µM)")
        ax.set_ylabel(f"1 / v (1 / ({unit}))")
        ax.set_title("Lineweaver-Burk (display only)")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax
