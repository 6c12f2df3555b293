"""Radioligand binding: competition curves to Ki, saturation to Kd and Bmax, QC, aggregation.

Competition (:func:`analyze_competition`)
    Input: a tidy plate merged with its layout (``pdstudy.io.merge_layout``):
    ``plate, well, role`` (total, nsb, competition, blank), ``compound``,
    ``conc_M``, ``signal`` (CPM) and optionally ``dpm``, ``count_time_s``,
    ``experiment``, ``target``, ``radioligand_M``, ``kd_M``. Per plate,
    specific binding = signal - mean NSB and % specific binding =
    100 (signal - mean NSB) / (mean total - mean NSB). Every curve (one
    compound in one experiment at one target) is fitted in a single batch:
    one site (Hill -1) and variable slope on % specific binding (replicates as
    separate points), chosen by the extra sum-of-squares F test; log Ki fitted
    directly in the one-site Ki form with [L] and Kd, so Ki has its own
    profile-likelihood CI; ROUT outliers (Q = 1 %) and a two-site comparison.

Weighting
    Scintillation counts are heteroscedastic: the SD grows with the count
    (pipetting and well-to-well variation are proportional; counting noise is
    Poisson). Unweighted fits then give too-narrow CIs and ROUT removes the
    noisiest top wells as "outliers". By default (``weighting="auto"``) each
    point is weighted by ``1 / var`` with ``var = c^2 S^2 + S * 60 / T`` of its
    *predicted* count ``S`` (``T`` the counting time, ``c`` estimated per
    curve); when the file gives no counting time, ``T`` = 1 min (the usual
    counter setting) is assumed. (Relative ``1 / S^2`` weighting, without the
    Poisson part, makes the low-count wells at the bottom of the curve look
    like outliers to ROUT.) ``"none"`` gives
    Prism's default unweighted fit. Validated by the coverage test in
    ``tests/test_assays_binding_coverage.py``.

QC flags (curve rows, ``flags`` and ``flag_reasons`` columns)
    ``incomplete_curve``: > 20 % specific binding left at the highest
    concentration, or IC50 within half a log of the highest (or lowest)
    concentration, or < 80 % at the lowest; ``hill_far_from_1``: the
    variable-slope model is preferred (F test P < 0.05) and |Hill| is outside
    0.5-1.5, or the F test rejects a slope of 1 at P < 0.001; ``high_nsb``:
    NSB > 50 % of total; ``poor_z``: Z' of total vs NSB < 0.5;
    ``high_cv``: median replicate CV of the counts > 20 %; ``ligand_depletion``:
    > 10 % of the added radioligand bound in the total wells (needs DPM or an
    efficiency, the specific activity, the volume and [L]); ``outliers``: ROUT
    excluded wells (named); ``two_site_preferred``: two sites fit
    better (F test P < 0.01, stricter than the 0.05 used to report the
    preference, so one clean curve in 20 is not flagged) with both fractions > 5 %;
    ``not_converged``: the fit's status is not ``converged``. Thresholds are
    in :class:`QCThresholds`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy import columns as C
from pdstudy.assays.contract import ResultBase, headline_frame
from pdstudy.assays.curve_options import ci_words, fit_options_text
from pdstudy.assays.exclusions import (
    Exclusion,
    apply_exclusions,
    exclusion_table,
    exclusions_from_rows,
    mark_rows,
    reader_exclusions,
    with_excluded_curves,
    z_prime_exclusions,
    z_prime_rule_words,
)
from pdstudy.assays.plates import (
    DPM_PER_CI,
    count_weighting,
    dpm_to_fmol,
    input_files,
    percent_of_control,
    prepare_plate_frame,
    read_merged,
)
from pdstudy.assays.plotting import plot_concentration_response
from pdstudy.assays.qc import (
    Flag,
    cheng_prusoff_flags,
    hill_flags,
    incomplete_curve_flags,
    join_flags,
    open_ci_flags,
    replicate_cv,
    rout_refusal,
)
from pdstudy.errors import LayoutError, ModelError, UsageError
from pdstudy.fitting.concentration_response import (
    USABLE_STATUSES,
    ResponseFits,
    fit_concentration_response,
)
from pdstudy.io.jsonsafe import frame_records, json_safe
from pdstudy.units import format_estimate as ki_annotation

__all__ = [
    "CURVE_COLUMNS",
    "DPM_PER_CI",
    "CompetitionResult",
    "QCThresholds",
    "aggregate_experiments",
    "pool_ki",
    "analyze_competition",
    "analyze_competition_files",
    "dpm_to_fmol",
    "plot_competition",
]

CURVE_COLUMNS = (
    "experiment",
    "compound",
    "target",
    "model",
    "log_ic50",
    "ic50_M",
    "ic50_ci_low_M",
    "ic50_ci_high_M",
    "hill",
    "hill_ci_low",
    "hill_ci_high",
    "ki_M",
    "ki_ci_low_M",
    "ki_ci_high_M",
    "pki",
    "pki_ci_low",
    "pki_ci_high",
    "f_test_p",
    "two_site_p",
    "n_points",
    "status",
    "reason",
    "flags",
    "flag_reasons",
)
"""Leading columns of :attr:`CompetitionResult.curves` (more follow: plates, fit details)."""

_ROLES = ("total", "nsb", "competition", "blank")


@dataclass(frozen=True)
class QCThresholds:
    """Limits of the QC flags (see the module docstring)."""

    bottom_plateau_pct: float = 20.0
    top_plateau_pct: float = 80.0
    ic50_margin_log: float = 0.5
    hill_low: float = 0.5
    hill_high: float = 1.5
    hill_strong_p: float = 0.001
    nsb_max_pct: float = 50.0
    z_prime_min: float = 0.5
    cv_max_pct: float = 20.0
    depletion_max: float = 0.10
    two_site_p: float = 0.01


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CompetitionResult(ResultBase):
    """Competition binding results.

    Attributes
    ----------
    curves
        One row per curve (:data:`CURVE_COLUMNS` first, then fit details).
    qc
        One row per plate: total and NSB means, NSB % of total, specific
        window, Z', replicate CV, bound fraction of the radioligand, flags.
    points
        One row per well: ``plate, well, experiment, compound, target, role,
        conc_M, signal, specific, pct_specific, excluded, exclude_reason,
        excluded_by``.
    fits
        The batched fits (one site, variable slope, Ki form, two sites) and
        the F tests; ``None`` when the frame has no competition wells.
    options
        The analysis options ([L], Kd, weighting, thresholds...).
    """

    curves: pd.DataFrame
    qc: pd.DataFrame
    points: pd.DataFrame
    fits: ResponseFits | None
    options: Mapping[str, Any] = field(default_factory=dict)
    exclusions: pd.DataFrame | None = None

    kind: ClassVar[str] = "binding"

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``curves``, ``aggregate`` (mean pKi over experiments), ``qc`` (plates), ``wells``,
        ``exclusions`` (every well or experiment left out, with its reason)."""
        return {
            "curves": self.curves,
            "aggregate": aggregate_experiments(
                self.curves, level=float(self.options.get("confidence", 0.95))
            ),
            "qc": self.qc,
            "wells": self.points,
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.options

    def headline_rows(self) -> pd.DataFrame:
        """One ``"ki"`` row per curve with a finite Ki (pooled per target by the headline)."""
        cols = [
            c
            for c in (
                "experiment",
                "compound",
                "target",
                "status",
                "ic50_M",
                "ki_M",
                "ki_ci_low_M",
                "ki_ci_high_M",
                "pki",
                "pki_ci_low",
                "pki_ci_high",
            )
            if c in self.curves.columns
        ]
        rows = self.curves[cols].copy()
        rows = rows[np.isfinite(pd.to_numeric(rows["ki_M"], errors="coerce").to_numpy(float))]
        rows["role"] = "ki"
        rows["label"] = rows["compound"].astype(str) + " at " + rows["target"].astype(str)
        rows["n"] = 1.0
        return headline_frame(rows.to_dict("records"))

    def summary(self) -> str:
        """A few lines: one per curve (Ki with CI, model, flags), then the plates' QC."""
        lines = [f"competition binding: {len(self.curves)} curve(s), {len(self.qc)} plate(s)"]
        for _, r in self.curves.iterrows():
            name = " / ".join(
                str(r[k]) for k in ("experiment", "compound", "target") if str(r[k]) != ""
            )
            ki = ki_annotation(r["ki_M"], r["ki_ci_low_M"], r["ki_ci_high_M"])
            pki = f"pKi {r['pki']:.2f}" if np.isfinite(r["pki"]) else "pKi n.d."
            flags = f" [{r['flags']}]" if r["flags"] else ""
            lines.append(f"  {name}: {ki}; {pki}; {r['model']}; {r['status']}{flags}")
        for _, q in self.qc.iterrows():
            lines.append(
                f"  plate {q['plate']}: window {q['window_cpm']:.0f} CPM, NSB "
                f"{q['nsb_pct_of_total']:.0f} % of total, Z' {q['z_prime']:.2f}"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: options, curves, QC and excluded wells."""
        ex = self.points[self.points["excluded"]] if len(self.points) else self.points
        return {
            "assay": "competition_binding",
            "options": json_safe(dict(self.options)),
            "curves": frame_records(self.curves),
            "qc": frame_records(self.qc),
            "excluded_wells": frame_records(ex[[C.PLATE, C.WELL]]) if len(ex) else [],
        }

    def write_json(self, path: str | PathLike[str]) -> Path:
        p = Path(path)
        p.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")
        return p


# ---------------------------------------------------------------- input checks


def _plate_means(df: pd.DataFrame, function: str) -> pd.DataFrame:
    """Per plate: count, mean and SD of the total, NSB and blank wells (errors name the plate)."""
    where = df.attrs.get("plate_path") or df.attrs.get("layout_path")
    plates = pd.Index(list(dict.fromkeys(df[C.PLATE])), name=C.PLATE)
    ctl = df[df[C.ROLE].isin(("total", "nsb", "blank")) & df[C.SIGNAL].notna()]
    if C.EXCLUDED in ctl.columns:
        ctl = ctl[~ctl[C.EXCLUDED].astype(bool)]
    st = ctl.groupby([C.PLATE, C.ROLE])[C.SIGNAL].agg(["count", "mean", "std"]).unstack(C.ROLE)
    st = st.reindex(plates)
    out = pd.DataFrame(index=plates)
    for role, name in (("total", "total"), ("nsb", "nsb"), ("blank", "blank")):
        for stat, col in (("count", "n"), ("mean", "mean"), ("std", "sd")):
            key = (stat, role)
            vals = st[key] if key in st.columns else pd.Series(np.nan, index=plates)
            out[f"{col}_{name}" if col == "n" else f"{name}_{col}"] = vals.to_numpy()
    alive = (
        set(df.loc[~df[C.EXCLUDED].astype(bool), C.PLATE])
        if C.EXCLUDED in df.columns
        else set(plates)
    )
    for what in ("total", "nsb"):
        n = out[f"n_{what}"].fillna(0)
        n = n[n.index.isin(alive)]  # a plate whose every well is excluded has no means
        if (n == 0).any():
            plate = n.index[n.to_numpy() == 0][0]
            raise LayoutError(
                f"{function}: plate {plate} has no {what} wells (role = '{what}'); "
                "% specific binding needs total and NSB wells on every plate",
                where,
                f"plate {plate}",
            )
    for c in ("n_total", "n_nsb", "n_blank"):
        out[c] = out[c].fillna(0).astype(int)
    return out.reset_index()


def _plate_qc(
    df: pd.DataFrame,
    means: pd.DataFrame,
    th: QCThresholds,
    radioligand_M: float | None,
    specific_activity: float | None,
    volume_L: float | None,
    efficiency: float | None,
) -> tuple[pd.DataFrame, dict[str, list[Flag]]]:
    """Per-plate QC table and the flags of each plate."""
    q = means.set_index(C.PLATE)
    blank = q["blank_mean"].fillna(0.0)
    with np.errstate(all="ignore"):
        q["total_cv_pct"] = 100 * q["total_sd"] / q["total_mean"].abs()
        q["nsb_cv_pct"] = 100 * q["nsb_sd"] / q["nsb_mean"].abs()
        q["nsb_pct_of_total"] = 100.0 * (q["nsb_mean"] - blank) / (q["total_mean"] - blank)
        q["window_cpm"] = q["total_mean"] - q["nsb_mean"]
        gap = q["window_cpm"].abs()
        q["z_prime"] = np.where(
            (q["n_total"] > 1) & (q["n_nsb"] > 1) & (gap > 0),
            1.0 - 3.0 * (q["total_sd"] + q["nsb_sd"]) / gap,
            np.nan,
        )
    rep = df[df[C.ROLE].isin(("total", "nsb", "competition"))]
    if "excluded" in rep.columns:
        rep = rep[~rep["excluded"].astype(bool)]
    cvt = replicate_cv(rep, [C.PLATE, C.ROLE, C.COMPOUND, C.CONC_M], C.SIGNAL)
    cv_stats = cvt.dropna(subset=["cv_pct"]).groupby(C.PLATE)["cv_pct"].agg(["median", "max"])
    q["cv_median_pct"] = cv_stats["median"].reindex(q.index)
    q["cv_max_pct"] = cv_stats["max"].reindex(q.index)

    # radioligand bound in the total wells, as a fraction of the radioligand added
    lig = pd.Series(np.nan, index=q.index)
    if radioligand_M is not None:
        lig[:] = radioligand_M
    elif "radioligand_M" in df.columns:
        per = pd.to_numeric(df["radioligand_M"], errors="coerce").groupby(df[C.PLATE]).first()
        lig = per.reindex(q.index)
    dpm_tot = pd.Series(np.nan, index=q.index)
    if C.DPM in df.columns and pd.to_numeric(df[C.DPM], errors="coerce").notna().any():
        dpm = pd.to_numeric(df[C.DPM], errors="coerce")
        by = dpm.groupby([df[C.PLATE], df[C.ROLE]]).mean().unstack(C.ROLE)
        dpm_tot = by["total"].reindex(q.index) if "total" in by.columns else dpm_tot
        if "blank" in by.columns:
            dpm_tot = dpm_tot - by["blank"].reindex(q.index).fillna(0.0)
    elif efficiency:
        dpm_tot = (q["total_mean"] - blank) / efficiency
    q["bound_fraction"] = np.nan
    if specific_activity and volume_L:
        bound_fmol = dpm_to_fmol(dpm_tot.to_numpy(dtype=float), specific_activity)
        q["bound_fraction"] = bound_fmol / (lig.to_numpy(dtype=float) * volume_L * 1e15)

    flags_of: dict[str, list[Flag]] = {}
    names, reasons = [], []
    for plate, m in q.iterrows():
        fl: list[Flag] = []
        nsb_pct, zp, window = m["nsb_pct_of_total"], m["z_prime"], m["window_cpm"]
        if np.isfinite(nsb_pct) and nsb_pct > th.nsb_max_pct:
            fl.append(
                Flag(
                    "high_nsb",
                    f"plate {plate}: NSB is {nsb_pct:.0f} % of total (limit {th.nsb_max_pct:g} %)",
                )
            )
        if np.isfinite(zp) and zp < th.z_prime_min:
            fl.append(
                Flag("poor_z", f"plate {plate}: Z' {zp:.2f} < {th.z_prime_min:g} (total vs NSB)")
            )
        elif not np.isfinite(zp) and window <= 0:
            fl.append(Flag("poor_z", f"plate {plate}: no window (total {window:+.0f} CPM vs NSB)"))
        cv_med = m["cv_median_pct"]
        if np.isfinite(cv_med) and cv_med > th.cv_max_pct:
            fl.append(
                Flag(
                    "high_cv",
                    f"plate {plate}: median replicate CV {cv_med:.0f} % > {th.cv_max_pct:g} %",
                )
            )
        bf = m["bound_fraction"]
        if np.isfinite(bf) and bf > th.depletion_max:
            fl.append(
                Flag(
                    "ligand_depletion",
                    f"plate {plate}: {100 * bf:.0f} % of the added radioligand is bound "
                    f"in the total wells (limit {100 * th.depletion_max:g} %); Ki is then "
                    "overestimated; use less membrane or a larger volume",
                )
            )
        flags_of[str(plate)] = fl
        a, b = join_flags(fl)
        names.append(a)
        reasons.append(b)
    q["flags"] = names
    q["flag_reasons"] = reasons
    cols = [
        "n_total",
        "total_mean",
        "total_sd",
        "total_cv_pct",
        "n_nsb",
        "nsb_mean",
        "nsb_sd",
        "nsb_cv_pct",
        "n_blank",
        "blank_mean",
        "nsb_pct_of_total",
        "window_cpm",
        "z_prime",
        "cv_median_pct",
        "cv_max_pct",
        "bound_fraction",
        "flags",
        "flag_reasons",
    ]
    return q[cols].reset_index(), flags_of


# ---------------------------------------------------------------- competition


def _constant_from(
    value: float | None, df: pd.DataFrame, column: str, name: str
) -> tuple[float | str | None, str]:
    """A scalar given by the caller, else a layout column, else None; with a description."""
    if value is not None:
        v = float(value)
        if not (math.isfinite(v) and v > 0):
            raise ModelError(f"{name} must be a positive molar concentration, got {value!r}")
        return v, f"{v:g} M"
    if column in df.columns and pd.to_numeric(df[column], errors="coerce").notna().any():
        return column, f"from the layout column {column!r}"
    return None, "not given"


def analyze_competition(
    frame: pd.DataFrame,
    *,
    radioligand_M: float | None = None,
    kd_M: float | None = None,
    rout: bool = False,
    q: float = 0.01,
    two_site: bool = True,
    alpha: float = 0.05,
    weighting: str = "auto",
    specific_activity_Ci_per_mmol: float | None = None,
    volume_L: float | None = None,
    efficiency: float | None = None,
    thresholds: QCThresholds | None = None,
    level: float = 0.95,
    exclusions: Sequence[Exclusion] = (),
    exclude_z_below: float | None = None,
    model: str = "auto",
    fixed: Mapping[str, float] | None = None,
) -> CompetitionResult:
    """Analyse competition binding plates: % specific binding, fits, Ki, QC flags.

    Parameters
    ----------
    frame
        Plate(s) merged with the layout (see the module docstring). Each
        combination of ``experiment`` (default: the plate), ``compound`` and
        ``target`` among the competition wells is one curve.
    radioligand_M, kd_M
        Radioligand concentration and its Kd (molar) for Ki; by default the
        layout's ``radioligand_M`` / ``kd_M`` columns; without them Ki is not
        computed (NaN, and the reason says so).
    rout, q
        ROUT outlier removal (default off, Q = 1 %).
    two_site
        Also fit two sites and compare with one site.
    alpha
        Level of the F tests.
    weighting
        ``"auto"`` (counting variance when ``count_time_s`` is known, else
        relative 1/Y^2 of the predicted counts), ``"counts"``, ``"relative"``
        or ``"none"`` (see the module docstring).
    specific_activity_Ci_per_mmol, volume_L, efficiency
        For the ligand-depletion check (bound / added radioligand): specific
        activity, assay volume (L) and counting efficiency (used when the data
        have no ``dpm`` column).
    thresholds
        QC limits (:class:`QCThresholds`).
    level
        Confidence level of every interval (curves and the mean over experiments).
    exclusions
        Wells or experiments left out (:mod:`pdstudy.assays.exclusions`): kept in
        ``points`` with their reason, left out of the plate means, the fits and
        the mean pKi; an experiment with every competition well excluded is a
        curve with status ``excluded``.
    exclude_z_below
        Opt-in QC rule: every well of a plate whose Z' (total vs NSB, after the
        declared exclusions) is below this value is excluded (``excluded_by =
        "qc"``), and listed as an exclusion with the rule. ``None``: plates are only
        flagged (``poor_z``).
    model, fixed
        ``"auto"`` (one site or variable slope by the F test), ``"one_site"`` or
        ``"variable_slope"`` for every curve, and the parameters held constant
        (``{"bottom": 0, "top": 100, "hill": -1}``, in % specific binding); see
        :func:`~pdstudy.fitting.concentration_response.fit_concentration_response`.

    Returns
    -------
    CompetitionResult
    """
    th = thresholds or QCThresholds()
    df = prepare_plate_frame(frame, "analyze_competition")
    df = df[df[C.ROLE].isin(_ROLES)].reset_index(drop=True)
    df = apply_exclusions(df, exclusions)
    reader = reader_exclusions(df)
    means = _plate_means(df, "analyze_competition")
    qc_ex = z_prime_exclusions(df, _z_by_plate(means), exclude_z_below, _Z_GROUPS)
    lig, lig_txt = _constant_from(radioligand_M, df, "radioligand_M", "radioligand_M")
    kd, kd_txt = _constant_from(kd_M, df, "kd_M", "kd_M")
    if efficiency is not None and not 0 < efficiency <= 1:
        raise ModelError(f"efficiency must be in (0, 1], got {efficiency!r}")

    m = means.set_index(C.PLATE)
    df["_nsb_mean"] = df[C.PLATE].map(m["nsb_mean"])
    df["_total_mean"] = df[C.PLATE].map(m["total_mean"])
    df["_scale"] = (df["_total_mean"] - df["_nsb_mean"]) / 100.0
    df["specific"] = df[C.SIGNAL] - df["_nsb_mean"]
    df["pct_specific"] = percent_of_control(df[C.SIGNAL], df["_total_mean"], df["_nsb_mean"])

    # the one counting-variance rule of count-based assays (assays.plates.count_weighting)
    mode, weighting_text = count_weighting(df, weighting, "analyze_competition")

    if rout and mode == "none":
        raise UsageError(rout_refusal("binding"))

    comp = df[(df[C.ROLE] == "competition") & (df[C.CONC_M] > 0)]
    keys = (C.EXPERIMENT, C.COMPOUND, C.TARGET)
    fits: ResponseFits | None = None
    kept = comp[~comp[C.EXCLUDED].to_numpy(dtype=bool)]
    rout_ex: list[Exclusion] = []
    if kept.empty:
        curves = pd.DataFrame(columns=list(CURVE_COLUMNS))
    else:
        ki_kw: dict[str, Any] = {}
        if lig is not None and kd is not None:
            ki_kw = {"ligand_M": lig, "ligand_k_M": kd}
        fits = fit_concentration_response(
            kept,
            keys=keys,
            y="pct_specific",
            conc=C.CONC_M,
            rout=rout,
            q=q,
            two_site=two_site,
            alpha=alpha,
            level=level,
            well=C.WELL,
            weighting="counts" if mode == "counts_1min" else mode,
            signal_scale="_scale" if mode != "none" else None,
            signal_offset="_nsb_mean" if mode != "none" else None,
            count_time=C.COUNT_TIME if mode == "counts" else 60.0,
            model=model,
            fixed=fixed,
            **ki_kw,
        )
        out = df.index.isin(fits.excluded.index[fits.excluded.to_numpy()])
        rule = f"ROUT, Q = {100 * q:g} %"
        mark_rows(df, out, f"outlier ({rule})", "rout")
        rout_ex = exclusions_from_rows(
            df, out, (C.PLATE, C.WELL), f"outlier ({rule})", "rout", rule
        )
        curves = fits.curves.copy()
        if not ki_kw:
            curves["reason"] = curves["reason"] + (
                "; Ki not computed: give the radioligand concentration and its Kd"
            )

    qc, plate_flags = _plate_qc(
        df,
        means,
        th,
        lig if isinstance(lig, float) else None,
        specific_activity_Ci_per_mmol,
        volume_L,
        efficiency,
    )
    if len(curves):
        curves = _curve_flags(curves, df, plate_flags, th)
        cols = list(CURVE_COLUMNS) + [c for c in curves.columns if c not in CURVE_COLUMNS]
        curves = curves[cols]
    else:
        curves["flags"] = pd.Series(dtype=str)
        curves["flag_reasons"] = pd.Series(dtype=str)
    curves = with_excluded_curves(curves, comp, kept, keys)

    point_cols = [
        C.PLATE,
        C.WELL,
        C.EXPERIMENT,
        C.COMPOUND,
        C.TARGET,
        C.ROLE,
        C.CONC_M,
        C.SIGNAL,
        "specific",
        "pct_specific",
        C.EXCLUDED,
        C.EXCLUDE_REASON,
        C.EXCLUDED_BY,
    ]
    points = df[point_cols + [c for c in (C.DPM, C.COUNT_TIME) if c in df.columns]].copy()
    options = {
        "radioligand_M": lig_txt,
        "kd_M": kd_txt,
        "rout": rout,
        "rout_q": q,
        "two_site": two_site,
        "alpha": alpha,
        "weighting": mode,
        "weighting_text": weighting_text,
        "confidence": level,
        "model": model,
        "fixed": {k: float(v) for k, v in (fixed or {}).items()},
        "specific_activity_Ci_per_mmol": specific_activity_Ci_per_mmol,
        "volume_L": volume_L,
        "efficiency": efficiency,
        "thresholds": th.__dict__,
        "ki_method": (
            "per curve, from the model chosen by the F test: one site (Hill -1), log Ki "
            "fitted with [L] and Kd held constant, IC50 = Ki (1 + [L]/Kd); or variable "
            "slope, Ki = IC50 / (1 + [L]/Kd) from its IC50 (flagged cheng_prusoff_assumption)"
        ),
        "fit_text": fit_options_text(
            model, fixed, level, response="% specific binding", alpha=alpha
        ),
    }
    rules = _rules(rout, q, exclusions)
    if exclude_z_below is not None:
        rules.append(z_prime_rule_words(exclude_z_below, _Z_GROUPS))
    options["exclusion_rules"] = rules
    options["exclude_z_below"] = exclude_z_below
    table = exclusion_table([*exclusions, *reader, *qc_ex, *rout_ex], df)
    return CompetitionResult(
        curves=curves, qc=qc, points=points, fits=fits, options=options, exclusions=table
    )


_Z_GROUPS = "total vs NSB"


def _z_by_plate(means: pd.DataFrame) -> dict[str, float]:
    """Each plate's Z' (total vs NSB, after the declared exclusions); NaN when not computable."""
    out = {}
    for rec in means.to_dict("records"):
        gap = abs(rec["total_mean"] - rec["nsb_mean"])
        ok = rec["n_total"] > 1 and rec["n_nsb"] > 1 and gap > 0
        zp = 1.0 - 3.0 * (rec["total_sd"] + rec["nsb_sd"]) / gap if ok else math.nan
        out[str(rec[C.PLATE])] = zp
    return out


def _rules(rout: bool, q: float, exclusions: Sequence[Exclusion]) -> list[str]:
    """The exclusion rules of the analysis, as the Methods text states them."""
    out = []
    if exclusions:
        out.append(f"{len(exclusions)} declared exclusion(s), each with its reason")
    out.append(f"ROUT outlier removal at Q = {100 * q:g} %" if rout else "no ROUT outlier removal")
    return out


def _curve_flags(
    curves: pd.DataFrame,
    df: pd.DataFrame,
    plate_flags: Mapping[str, list[Flag]],
    th: QCThresholds,
) -> pd.DataFrame:
    out = curves.copy()
    names_col, reasons_col, plates_col = [], [], []
    comp = df[df[C.ROLE] == "competition"]
    keys = [C.EXPERIMENT, C.COMPOUND, C.TARGET]
    groups = {k: v for k, v in comp.groupby(keys, sort=False)}
    kept = comp[~comp["excluded"].astype(bool)]
    cvt = replicate_cv(kept, [*keys, C.PLATE, C.CONC_M], C.SIGNAL)
    cv_curve = cvt.groupby(keys, sort=False)["cv_pct"].median()
    for _, r in out.iterrows():
        key = (r[C.EXPERIMENT], r[C.COMPOUND], r[C.TARGET])
        sub = groups[key]
        plates = list(dict.fromkeys(sub[C.PLATE].astype(str)))
        fl: list[Flag] = []
        if r["status"] != "converged":
            fl.append(Flag("not_converged", f"fit status {r['status']}: {r['reason']}"))
        fl += incomplete_curve_flags(
            r["log_ic50"],
            math.log10(r["x_min_M"]) if r["x_min_M"] > 0 else math.nan,
            math.log10(r["x_max_M"]) if r["x_max_M"] > 0 else math.nan,
            r["y_at_max"],
            bottom_threshold=th.bottom_plateau_pct,
            margin_log=th.ic50_margin_log,
            y_at_min=r["y_at_min"],
            top_threshold=th.top_plateau_pct,
        )
        hill = r["hill_four_pl"]
        p = r["f_test_p"]
        hf = hill_flags(
            hill,
            p,
            low=th.hill_low,
            high=th.hill_high,
            strong_p=th.hill_strong_p,
        )
        # outside 0.5-1.5 counts only where the data prefer (or the user asked for) a free
        # variable slope
        if hf and not (
            (np.isfinite(p) and p < th.hill_strong_p)
            or (r["model"] == "four_pl" and not r.get("hill_fixed", False))
        ):
            hf = []
        fl += hf
        fl += cheng_prusoff_flags(
            r["model"],
            r["hill"],
            p,
            r["ki_M"],
            "Ki = IC50 / (1 + [L]/Kd)",
            hill_fixed=bool(r.get("hill_fixed", False)),
        )
        fl += open_ci_flags("Ki", r["ki_M"], r["ki_ci_low_M"], r["ki_ci_high_M"])
        if not np.isfinite(r["ki_M"]):
            fl += open_ci_flags("IC50", r["ic50_M"], r["ic50_ci_low_M"], r["ic50_ci_high_M"])
        # replicate CV of this curve's counts (outliers left out)
        cvm = float(cv_curve.get(key, math.nan))
        if np.isfinite(cvm) and cvm > th.cv_max_pct:
            fl.append(
                Flag(
                    "high_cv",
                    f"median replicate CV of the curve {cvm:.0f} % > {th.cv_max_pct:g} %",
                )
            )
        for pl in plates:
            fl += list(plate_flags.get(pl, []))
        if r["n_excluded"]:
            fl.append(
                Flag("outliers", f"ROUT excluded {r['n_excluded']} well(s): {r['excluded_wells']}")
            )
        if r.get("two_site_preferred", False) and r["two_site_p"] < th.two_site_p:
            fl.append(
                Flag(
                    "two_site_preferred",
                    f"two sites fit better than one (F test P = {r['two_site_p']:.2g})",
                )
            )
        n, why = join_flags(fl)
        names_col.append(n)
        reasons_col.append(why)
        plates_col.append(";".join(plates))
    out["flags"] = names_col
    out["flag_reasons"] = reasons_col
    out["plates"] = plates_col
    return out


def analyze_competition_files(
    plate_paths: Sequence[str | PathLike[str]] | str | PathLike[str],
    layout_path: str | PathLike[str],
    *,
    format: str = "auto",
    **kwargs: Any,
) -> CompetitionResult:
    """Read plate files and a layout, merge them and run :func:`analyze_competition`.

    The files are read by :func:`pdstudy.assays.plates.read_merged` (each
    file one independent experiment unless the layout has an ``experiment``
    field); the result's ``inputs`` hold their SHA-256. Errors name the file
    at fault.
    """
    frame = read_merged(plate_paths, layout_path, format=format)
    return analyze_competition(frame, **kwargs).with_inputs(input_files(frame))


# ---------------------------------------------------------------- aggregation


def aggregate_experiments(
    curves: pd.DataFrame, *, by: Sequence[str] = (C.COMPOUND, C.TARGET), level: float = 0.95
) -> pd.DataFrame:
    """Mean pKi over independent experiments, per compound x target.

    Only curves with a usable status (converged or at a bound) and a finite
    pKi count. ``ki_geomean_M = 10**-mean(pKi)`` and its CI comes from the t
    distribution on pKi: ``mean +/- t(level, n-1) * SEM``.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``n``, ``pki_mean``, ``pki_sd``, ``pki_sem``,
        ``pki_ci_low``, ``pki_ci_high``, ``ki_geomean_M``, ``ki_ci_low_M``,
        ``ki_ci_high_M``, ``confidence``, ``experiments`` (";"-joined),
        ``n_excluded_curves``.
    """
    need = [*by, "pki", "status"]
    missing = [c for c in need if c not in curves.columns]
    if missing:
        raise ModelError(f"aggregate_experiments: the curves have no column(s) {missing}")
    df = curves.copy()
    for k in by:
        df[k] = df[k].where(df[k].notna(), "").astype(str)
    pk = pd.to_numeric(df["pki"], errors="coerce")
    usable = df["status"].isin(USABLE_STATUSES) & np.isfinite(pk)
    rows = []
    for key, sub in df.groupby(list(by), sort=False):
        keyt = key if isinstance(key, tuple) else (key,)
        ok = usable.loc[sub.index]
        vals = pk.loc[sub.index][ok].to_numpy(dtype=float)
        n = int(vals.size)
        mean = float(vals.mean()) if n else math.nan
        sd = float(vals.std(ddof=1)) if n > 1 else math.nan
        sem = sd / math.sqrt(n) if n > 1 else math.nan
        t = float(stats.t.ppf(0.5 + level / 2, n - 1)) if n > 1 else math.nan
        lo, hi = mean - t * sem, mean + t * sem
        exps = (
            sub.loc[ok[ok].index, C.EXPERIMENT].astype(str).tolist()
            if C.EXPERIMENT in sub.columns
            else []
        )
        rec: dict[str, Any] = dict(zip(by, keyt, strict=True))
        rec.update(
            n=n,
            pki_mean=mean,
            pki_sd=sd,
            pki_sem=sem,
            pki_ci_low=lo,
            pki_ci_high=hi,
            ki_geomean_M=10.0**-mean if n else math.nan,
            ki_ci_low_M=10.0**-hi,
            ki_ci_high_M=10.0**-lo,
            confidence=level,
            experiments=";".join(exps),
            n_excluded_curves=int((~ok).sum()),
        )
        rows.append(rec)
    cols = [
        *by,
        "n",
        "pki_mean",
        "pki_sd",
        "pki_sem",
        "pki_ci_low",
        "pki_ci_high",
        "ki_geomean_M",
        "ki_ci_low_M",
        "ki_ci_high_M",
        "confidence",
        "experiments",
        "n_excluded_curves",
    ]
    return pd.DataFrame(rows, columns=cols)


#: columns of :func:`pool_ki`
POOLED_KI_COLUMNS = (
    "target",
    "ki_M",
    "ki_ci_low_M",
    "ki_ci_high_M",
    "n",
    "pki_mean",
    "pki_sem",
    "sections",
)


def pool_ki(curves: pd.DataFrame | None, compound: str) -> pd.DataFrame:
    """Ki of ``compound`` per target, pooled over independent experiments (curves).

    ``curves`` has one row per experiment (``target``, ``compound``, ``status``,
    ``pki``, ``ki_M``, ``ki_ci_low_M``, ``ki_ci_high_M``, optionally ``section``),
    from any number of sections. Per target: the geometric-mean Ki with its
    t-based 95 % CI (:func:`aggregate_experiments`); a single experiment keeps
    its own fitted CI. Columns: :data:`POOLED_KI_COLUMNS`.
    """
    columns = list(POOLED_KI_COLUMNS)
    if curves is None or curves.empty:
        return pd.DataFrame(columns=columns)
    curves = curves[curves["compound"].astype(str).str.casefold() == compound.casefold()]
    if curves.empty:
        return pd.DataFrame(columns=columns)
    agg = aggregate_experiments(curves, by=("target",))
    rows = []
    for rec in agg.to_dict("records"):
        if rec["n"] < 1:
            continue
        sub = curves[curves["target"].astype(str) == str(rec["target"])]
        if rec["n"] == 1:
            one = sub[sub["status"].isin(USABLE_STATUSES)].iloc[0]
            ki, lo, hi = float(one["ki_M"]), float(one["ki_ci_low_M"]), float(one["ki_ci_high_M"])
        else:
            ki, lo, hi = rec["ki_geomean_M"], rec["ki_ci_low_M"], rec["ki_ci_high_M"]
        rows.append(
            {
                "target": rec["target"],
                "ki_M": ki,
                "ki_ci_low_M": lo,
                "ki_ci_high_M": hi,
                "n": rec["n"],
                "pki_mean": rec["pki_mean"],
                "pki_sem": rec["pki_sem"],
                "sections": ", ".join(dict.fromkeys(sub["section"].astype(str)))
                if "section" in sub.columns
                else "",
            }
        )
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- figures


def _curve_index(result: CompetitionResult, curve: Any) -> int:
    n = len(result.curves)
    if isinstance(curve, int | np.integer):
        if not 0 <= int(curve) < n:
            raise ModelError(f"curve {curve} out of range: the result has {n} curve(s)")
        return int(curve)
    if isinstance(curve, tuple):
        want = tuple(str(v) for v in curve)
        for i, r in enumerate(
            result.curves[[C.EXPERIMENT, C.COMPOUND, C.TARGET]].astype(str).itertuples(index=False)
        ):
            if tuple(r) == want:
                return i
        raise ModelError(f"no curve {curve!r} (experiment, compound, target) in the result")
    hits = [
        i
        for i, r in enumerate(result.curves.itertuples(index=False))
        if curve in (getattr(r, C.COMPOUND), getattr(r, C.EXPERIMENT), getattr(r, C.TARGET))
    ]
    if len(hits) != 1:
        raise ModelError(
            f"curve {curve!r} matches {len(hits)} curves; give an index or an "
            "(experiment, compound, target) tuple"
        )
    return hits[0]


def plot_competition(result: CompetitionResult, curve: Any = None, ax: Any = None) -> Any:
    """Competition curve(s): mean +/- SD of % specific binding per concentration,
    the fitted curve with its confidence band (at the result's level), ROUT-excluded wells marked,
    and the Ki with its CI.

    ``curve``: an index, an (experiment, compound, target) tuple or a name
    matching one curve; ``None`` draws every curve on one Axes (overlay).
    """
    import matplotlib.pyplot as plt

    if not len(result.curves):
        raise ModelError("the result has no competition curve to plot")
    if result.fits is None:
        if curve is None:
            raise ModelError("every curve of the result is excluded: nothing fitted to plot")
        curve = _curve_index(result, curve)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    n_fitted = 0 if result.fits is None else len(result.fits.labels)
    idx = list(range(n_fitted)) if curve is None else [_curve_index(result, curve)]
    comp = result.points[result.points[C.ROLE] == "competition"]
    notes = []
    if any(i >= n_fitted for i in idx):  # an excluded experiment: its wells, open, no curve
        r = result.curves.iloc[idx[0]]
        sel = np.ones(len(comp), dtype=bool)
        for k in (C.EXPERIMENT, C.COMPOUND, C.TARGET):
            sel &= (comp[k].astype(str) == str(r[k])).to_numpy()
        sub = comp[sel & (comp[C.CONC_M] > 0).to_numpy()]
        ax.scatter(
            np.log10(sub[C.CONC_M].to_numpy(dtype=float)),
            sub["pct_specific"],
            marker="o",
            facecolors="none",
            edgecolors="crimson",
            label=f"excluded: {r[C.EXCLUDE_REASON]}",
        )
        ax.set_title(f"{r[C.COMPOUND]} / {r[C.TARGET]} (experiment {r[C.EXPERIMENT]}; excluded)")
        ax.set_xlabel("log10 [competitor] (M)")
        ax.set_ylabel("specific binding (% of total - NSB)")
        ax.legend(fontsize=7, loc="lower left", frameon=False)
        return ax
    assert result.fits is not None  # every curve drawn from here on was fitted
    for n, i in enumerate(idx):
        r = result.curves.iloc[i]
        ann = ki_annotation(r["ki_M"], r["ki_ci_low_M"], r["ki_ci_high_M"])
        if len(idx) > 1:
            label = " / ".join(
                str(v) for v in (r[C.EXPERIMENT], r[C.COMPOUND], r[C.TARGET]) if str(v)
            )
            notes.append(f"{label}: {ann}")
        else:
            label = str(r[C.COMPOUND])
        plot_concentration_response(
            result.fits,
            comp,
            i,
            y="pct_specific",
            conc=C.CONC_M,
            ax=ax,
            label=label,
            ylabel="specific binding (% of total - NSB)",
            annotation=ann if len(idx) == 1 else None,
            excluded=comp["excluded"],
            band_label=ci_words(result.options.get("confidence", 0.95)) if n == 0 else None,
        )
    if notes:
        ax.text(
            0.98,
            0.98,
            "\n".join(notes),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9},
        )
    if len(idx) == 1:
        r = result.curves.iloc[idx[0]]
        title = " / ".join(str(v) for v in (r[C.COMPOUND], r[C.TARGET]) if str(v))
        ax.set_title(f"{title} (experiment {r[C.EXPERIMENT]}; {r['model']})", fontsize=9)
    ax.set_xlabel("log10 [competitor] (M)")
    return ax
