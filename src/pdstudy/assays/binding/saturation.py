"""Saturation binding: Kd and Bmax from total and nonspecific binding fitted together.

Re-exported by :mod:`pdstudy.assays.binding`; see :func:`analyze_saturation`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.assays.contract import ResultBase
from pdstudy.assays.exclusions import (
    Exclusion,
    apply_exclusions,
    exclusion_table,
    reader_exclusions,
)
from pdstudy.assays.plates import count_weighting, dpm_to_fmol, prepare_plate_frame
from pdstudy.assays.qc import Flag, join_flags
from pdstudy.errors import LayoutError, ModelError
from pdstudy.fitting import SATURATION, SATURATION_TOTAL_NSB, BatchFit, fit_curves, profile_ci
from pdstudy.fitting.concentration_response import count_weights as _count_weights
from pdstudy.fitting.concentration_response import pack_curves, pooled_count_cv2
from pdstudy.io.jsonsafe import frame_records, json_safe

if TYPE_CHECKING:
    from pdstudy.assays.protein import ProteinResult

__all__ = ["SaturationResult", "analyze_saturation", "plot_saturation", "plot_scatchard"]

METHODS = ("total_nsb", "specific")
"""``total_nsb``: total and NSB fitted together (shared Bmax, Kd, NS slope,
background), the reported method; ``specific``: one site fitted to total - mean
NSB at each concentration, for comparison."""


@dataclass(frozen=True)
class SaturationResult(ResultBase):
    """Saturation binding results.

    Attributes
    ----------
    params
        One row per experiment and method (``total_nsb``, ``specific``): Kd and
        Bmax (CPM, and fmol/mg protein when the conversion is known) with CIs,
        NS slope, background, status, reason, flags.
    points
        One row per well: ``plate, well, experiment, role, conc_M, free_M,
        signal, specific`` (total wells: signal - mean NSB at that
        concentration), ``bound_fmol`` when known.
    fits
        ``{(experiment, method): BatchFit}``.
    options
        Conversion factors and options used.
    protein
        The protein plate's result when the protein per well was read off a
        standard curve (keyword only; ``None`` when the amount was given).
    """

    params: pd.DataFrame
    points: pd.DataFrame
    fits: Mapping[tuple[str, str], BatchFit]
    options: Mapping[str, Any] = field(default_factory=dict)
    protein: ProteinResult | None = field(default=None, kw_only=True)
    exclusions: pd.DataFrame | None = field(default=None, kw_only=True)

    kind: ClassVar[str] = "saturation"

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``params`` (Kd, Bmax per experiment and method), ``wells`` (one row per well),
        ``exclusions`` (every well or experiment left out, with its reason)."""
        return {
            "params": self.params,
            "wells": self.points,
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.options

    def summary(self) -> str:
        lines = [f"saturation binding: {self.params[C.EXPERIMENT].nunique()} experiment(s)"]
        for _, r in self.params.iterrows():
            kd = f"Kd {r['kd_M'] * 1e9:.3g} nM ({r['kd_ci_low_M'] * 1e9:.3g}-{r['kd_ci_high_M'] * 1e9:.3g})"
            if np.isfinite(r["bmax_fmol_per_mg"]):
                bm = (
                    f"Bmax {r['bmax_fmol_per_mg']:.4g} fmol/mg "
                    f"({r['bmax_ci_low_fmol_per_mg']:.4g}-{r['bmax_ci_high_fmol_per_mg']:.4g})"
                )
            else:
                bm = f"Bmax {r['bmax_cpm']:.4g} CPM"
            fl = f" [{r['flags']}]" if r["flags"] else ""
            lines.append(f"  {r[C.EXPERIMENT]} {r['method']}: {kd}; {bm}; {r['status']}{fl}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "assay": "saturation_binding",
            "options": json_safe(dict(self.options)),
            "params": frame_records(self.params),
        }
        if self.protein is not None:
            doc["protein"] = self.protein.to_json()
        return doc

    def write_json(self, path: str | PathLike[str]) -> Path:
        p = Path(path)
        p.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")
        return p


def _efficiency_of(df: pd.DataFrame, efficiency: float | None) -> float | None:
    """The counting efficiency given, else CPM/DPM of the data (median), else None."""
    if efficiency is not None:
        if not 0 < efficiency <= 1:
            raise ModelError(f"efficiency must be in (0, 1], got {efficiency!r}")
        return float(efficiency)
    if C.DPM in df.columns:
        dpm = pd.to_numeric(df[C.DPM], errors="coerce")
        ok = (dpm > 0) & df[C.SIGNAL].notna()
        if ok.any():
            ratio = (df.loc[ok, C.SIGNAL] / dpm[ok]).median()
            if 0 < ratio <= 1.0001:
                return float(min(ratio, 1.0))
    return None


def analyze_saturation(
    frame: pd.DataFrame,
    *,
    specific_activity_Ci_per_mmol: float | None = None,
    efficiency: float | None = None,
    protein_mg_per_well: float | None = None,
    volume_L: float | None = None,
    free_correction: bool = False,
    protein_ci_mg_per_well: tuple[float, float] | None = None,
    weighting: str = "auto",
    depletion_max: float = 0.10,
    nsb_max_pct: float = 50.0,
    level: float = 0.95,
    exclusions: Sequence[Exclusion] = (),
) -> SaturationResult:
    """Kd and Bmax from a saturation binding plate.

    Parameters
    ----------
    frame
        Plate merged with a saturation layout: ``role`` total and nsb wells,
        ``conc_M`` the radioligand concentration of each well, ``signal``
        (CPM), optional ``dpm``, ``count_time_s``, ``experiment`` (default: the
        plate), ``target``, ``compound`` (the radioligand).
    specific_activity_Ci_per_mmol, efficiency, protein_mg_per_well
        Convert Bmax from CPM to fmol/mg protein: CPM / efficiency = DPM;
        DPM / (2.22e12 DPM/Ci x SA) = mmol; / protein. ``efficiency`` defaults
        to CPM/DPM of the data when they have a ``dpm`` column.
    protein_ci_mg_per_well
        The CI of the protein per well (e.g. a protein plate's calibration
        interval x the volume of suspension): carried into the CI of Bmax in
        fmol/mg (on the log scale, the two taken as independent). Without it
        the protein is treated as known exactly.
    volume_L
        Assay volume; with the specific activity it gives the bound
        radioligand as a concentration (for ``free_correction`` and the
        depletion flag).
    free_correction
        Fit against free radioligand, ``[L] - bound`` of each well, instead of
        the added concentration.
    weighting
        ``"auto"``, ``"counts"``, ``"relative"`` or ``"none"``: the one rule of
        every count-based assay (:func:`pdstudy.assays.plates.count_weighting`):
        ``"auto"`` weights by the Poisson and proportional variance of the
        counts, with each well's counting time or, when the file gives none, a
        1-minute count. The total and NSB weights are normalised once over
        both curves, which are one problem.
    depletion_max, nsb_max_pct
        Flags: bound > ``depletion_max`` of added at the lowest concentration
        (``ligand_depletion``); NSB > ``nsb_max_pct`` % of total at the
        concentration nearest Kd (``high_nsb``). Also ``incomplete_saturation``
        when the highest concentration is below 5 x Kd (Bmax is extrapolated)
        and ``not_converged``.
    level
        Confidence level. Kd and Bmax CIs are profile likelihood (for
        ``total_nsb`` the total + NSB pair is profiled as one problem).
    exclusions
        Wells or experiments left out (:mod:`pdstudy.assays.exclusions`): kept in
        ``points`` with their reason (``excluded``), left out of the fits; an
        experiment with every well excluded has rows with status ``excluded``.
    """
    df = prepare_plate_frame(frame, "analyze_saturation")
    df = df[df[C.ROLE].isin(("total", "nsb", "blank"))].reset_index(drop=True)
    df = apply_exclusions(df, exclusions)
    every = df
    reader = reader_exclusions(df)
    df = df[~df[C.EXCLUDED].to_numpy(dtype=bool)]
    sat = df[df[C.ROLE].isin(("total", "nsb")) & (df[C.CONC_M] > 0)].copy()
    where = frame.attrs.get("plate_path") or frame.attrs.get("layout_path")
    if sat.empty:
        raise LayoutError(
            "analyze_saturation: no total or nsb wells with a radioligand concentration "
            "(conc_M > 0)",
            where,
        )
    for exp, sub in sat.groupby(C.EXPERIMENT, sort=False):
        for role in ("total", "nsb"):
            n = sub.loc[sub[C.ROLE] == role, C.CONC_M].nunique()
            if n < 3:
                raise LayoutError(
                    f"analyze_saturation: experiment {exp} has {role} wells at {n} "
                    "concentration(s); a saturation curve needs at least 3",
                    where,
                    f"experiment {exp}",
                )
    eff = _efficiency_of(df, efficiency)
    sa = specific_activity_Ci_per_mmol
    if sa is not None and not sa > 0:
        raise ModelError(f"specific activity must be > 0 Ci/mmol, got {sa!r}")
    if protein_mg_per_well is not None and not protein_mg_per_well > 0:
        raise ModelError(f"protein per well must be > 0 mg, got {protein_mg_per_well!r}")
    if volume_L is not None and not volume_L > 0:
        raise ModelError(f"assay volume must be > 0 L, got {volume_L!r}")
    blank = df.loc[df[C.ROLE] == "blank", C.SIGNAL].mean() if (df[C.ROLE] == "blank").any() else 0.0

    # bound radioligand per well (fmol) and free concentration
    sat["bound_fmol"] = np.nan
    if sa is not None and eff is not None:
        if C.DPM in sat.columns and pd.to_numeric(sat[C.DPM], errors="coerce").notna().all():
            dpm = pd.to_numeric(sat[C.DPM], errors="coerce") - (blank / eff)
        else:
            dpm = (sat[C.SIGNAL] - blank) / eff
        sat["bound_fmol"] = dpm_to_fmol(dpm.clip(lower=0), sa)
    sat["free_M"] = sat[C.CONC_M].astype(float)
    if free_correction:
        if not (sa and eff and volume_L):
            raise ModelError(
                "free_correction needs the specific activity, the counting efficiency "
                "(or DPM in the data) and the assay volume"
            )
        sat["free_M"] = sat[C.CONC_M] - sat["bound_fmol"] * 1e-15 / volume_L
        if (sat["free_M"] <= 0).any():
            bad_wells = sat.loc[sat["free_M"] <= 0, C.WELL].head(5).astype(str).tolist()
            raise ModelError(
                f"free radioligand <= 0 after subtracting bound in well(s) {', '.join(bad_wells)}: "
                "check the specific activity, efficiency and volume"
            )
    nsb_mean = sat[sat[C.ROLE] == "nsb"].groupby([C.EXPERIMENT, C.CONC_M])[C.SIGNAL].mean()
    key = list(zip(sat[C.EXPERIMENT], sat[C.CONC_M], strict=True))
    sat["nsb_mean_at_conc"] = [nsb_mean.get(k, np.nan) for k in key]
    sat["specific"] = np.where(
        sat[C.ROLE] == "total", sat[C.SIGNAL] - sat["nsb_mean_at_conc"], np.nan
    )

    # the one counting-variance rule of count-based assays (assays.plates.count_weighting)
    mode, weighting_text = count_weighting(sat, weighting, "analyze_saturation")

    fits: dict[tuple[str, str], BatchFit] = {}
    rows: list[dict[str, Any]] = []
    experiments = list(dict.fromkeys(sat[C.EXPERIMENT]))
    # global total + NSB fit, one experiment at a time (parameters shared within it)
    problems: list[dict[str, Any]] = []
    for exp in experiments:
        sub = sat[sat[C.EXPERIMENT] == exp].reset_index(drop=True)
        sub["_curve"] = np.where(sub[C.ROLE] == "total", 0, 1)
        sub["_x_nM"] = sub["free_M"] * 1e9  # nM: parameters of order 1 fit (and profile) better
        labels, xx, yy, prow = pack_curves(sub, ["_curve"], "_x_nM", C.SIGNAL)
        spec = np.array([1.0 if lab[0] == 0 else 0.0 for lab in labels])
        kw: dict[str, Any] = {
            "constants": {"specific": spec},
            "shared": SATURATION_TOTAL_NSB.params,
            "labels": [f"{exp}:{'total' if s else 'nsb'}" for s in spec],
            "level": level,
            "p0": _total_nsb_start(sub),
        }
        fit = fit_curves(SATURATION_TOTAL_NSB, xx, yy, **kw)
        problems.append(
            {
                "exp": exp,
                "sub": sub,
                "xx": xx,
                "yy": yy,
                "kw": kw,
                "fit": fit,
                "t": _times(sub, prow, mode),
            }
        )
    # The proportional CV of the counts is one property of the assay, estimated once over
    # every experiment (a plate's weights estimated from its own residuals make its CIs
    # too narrow: Bmax covered 0.92 on 1,000 simulated plates); each plate is then
    # weighted by the Poisson and proportional variance of its predicted counts.
    c2 = math.nan
    if mode != "none":
        for _ in range(2):
            c2 = pooled_count_cv2(
                [
                    (pr["fit"], np.ones_like(pr["xx"]), np.zeros_like(pr["xx"]), pr["t"])
                    for pr in problems
                ]
            )
            for pr in problems:
                fit = pr["fit"]
                if not fit.ok.all():
                    continue
                # one problem: weights normalised once over total and NSB together
                w = _count_weights(
                    fit,
                    np.ones_like(pr["xx"]),
                    np.zeros_like(pr["xx"]),
                    pr["t"],
                    mode,
                    joint=True,
                    c2=c2,
                )
                pr["kw"]["p0"] = {k: float(fit.param(k)[0]) for k in SATURATION_TOTAL_NSB.params}
                pr["fit"] = fit_curves(
                    SATURATION_TOTAL_NSB, pr["xx"], pr["yy"], weights=w, **pr["kw"]
                )
    for pr in problems:
        exp, sub, fit = pr["exp"], pr["sub"], pr["fit"]
        bmax_ci = None
        if fit.ok.all():
            # the batch (total + NSB) profiled as one problem, for Bmax and for Kd
            prof_b = profile_ci(fit, "bmax")
            bmax_ci = (prof_b.profile_low, prof_b.profile_high)
            fit = profile_ci(fit, "kd")
        fits[(str(exp), "total_nsb")] = fit
        rows.append(
            _param_row(
                exp,
                "total_nsb",
                fit,
                0,
                sub,
                eff,
                sa,
                protein_mg_per_well,
                bmax_ci,
                protein_ci_mg_per_well,
            )
        )

    # one site on specific binding, every experiment in one batch
    tot = sat[sat[C.ROLE] == "total"].reset_index(drop=True)
    tot["_x_nM"] = tot["free_M"] * 1e9
    slabels, xx, yy, prow = pack_curves(tot, [C.EXPERIMENT], "_x_nM", "specific")
    names = [lab[0] for lab in slabels]
    sfit = fit_curves(SATURATION, xx, yy, labels=names, level=level)
    if mode != "none":
        off = np.where(prow >= 0, tot["nsb_mean_at_conc"].to_numpy()[np.maximum(prow, 0)], 0.0)
        tcount = _times(tot, prow, mode)
        for _ in range(2):
            w = _count_weights(sfit, np.ones_like(xx), off, tcount, mode)
            start = {
                "bmax": np.nan_to_num(sfit.param("bmax"), nan=1.0),
                "kd": np.nan_to_num(sfit.param("kd"), nan=float(np.nanmedian(xx))),
            }
            sfit = fit_curves(
                SATURATION,
                xx,
                yy,
                weights=w,
                p0=start,
                labels=names,
                level=level,
            )
    prof_b = profile_ci(sfit, "bmax")
    sbmax_ci = (prof_b.profile_low, prof_b.profile_high)
    sfit = profile_ci(sfit, "kd")
    for i, exp in enumerate(names):
        fits[(str(exp), "specific")] = sfit
        sub = sat[sat[C.EXPERIMENT] == exp]
        rows.append(
            _param_row(
                exp,
                "specific",
                sfit,
                i,
                sub,
                eff,
                sa,
                protein_mg_per_well,
                sbmax_ci,
                protein_ci_mg_per_well,
            )
        )

    params = pd.DataFrame(rows)
    params = _saturation_flags(params, sat, volume_L, depletion_max, nsb_max_pct)
    params = params.sort_values([C.EXPERIMENT, "method"], key=_method_order).reset_index(drop=True)
    point_cols = [
        C.PLATE,
        C.WELL,
        C.EXPERIMENT,
        C.TARGET,
        C.COMPOUND,
        C.ROLE,
        C.CONC_M,
        "free_M",
        C.SIGNAL,
        "specific",
        "bound_fmol",
        C.EXCLUDED,
        C.EXCLUDE_REASON,
        C.EXCLUDED_BY,
    ]
    left_out = every[
        every[C.ROLE].isin(("total", "nsb")) & (every[C.CONC_M] > 0) & every[C.EXCLUDED]
    ].copy()
    left_out["free_M"] = left_out[C.CONC_M].astype(float)
    for col in ("specific", "bound_fmol"):
        left_out[col] = np.nan
    points = pd.concat([sat, left_out]).sort_index()[point_cols].reset_index(drop=True)
    gone = [e for e in dict.fromkeys(left_out[C.EXPERIMENT]) if e not in set(sat[C.EXPERIMENT])]
    if gone:
        extra = []
        for e in gone:
            why = "; ".join(
                dict.fromkeys(left_out.loc[left_out[C.EXPERIMENT] == e, C.EXCLUDE_REASON])
            )
            for method in ("total_nsb", "specific"):
                extra.append(
                    {
                        C.EXPERIMENT: e,
                        "method": method,
                        "status": "excluded",
                        "reason": f"every well excluded: {why}",
                        "flags": "",
                        "flag_reasons": "",
                    }
                )
        params = pd.concat([params, pd.DataFrame(extra)], ignore_index=True)
    options: dict[str, Any] = {
        "specific_activity_Ci_per_mmol": sa,
        "efficiency": eff,
        "protein_mg_per_well": protein_mg_per_well,
        "volume_L": volume_L,
        "free_correction": free_correction,
        "weighting": mode,
        "weighting_text": weighting_text,
        "count_cv": math.sqrt(c2) if np.isfinite(c2) else math.nan,
        "confidence": level,
        "methods": {
            "total_nsb": "total and NSB fitted together, Bmax, Kd, NS, background shared",
            "specific": "one site on total - mean NSB at each concentration",
        },
    }
    options["exclusion_rules"] = (
        [f"{len(exclusions)} declared exclusion(s), each with its reason"] if exclusions else []
    )
    table = exclusion_table([*exclusions, *reader], every)
    return SaturationResult(
        params=params, points=points, fits=fits, options=options, exclusions=table
    )


def _method_order(s: pd.Series) -> pd.Series:
    if s.name == "method":
        return s.map({m: i for i, m in enumerate(METHODS)})
    return s


def _times(sub: pd.DataFrame, prow: np.ndarray, mode: str) -> np.ndarray:
    if mode != "counts":
        return np.full(prow.shape, 60.0)
    t = pd.to_numeric(sub[C.COUNT_TIME], errors="coerce").to_numpy(dtype=float)
    return np.where(prow >= 0, t[np.maximum(prow, 0)], 60.0)


def _total_nsb_start(sub: pd.DataFrame) -> dict[str, float]:
    """Starting values: NS slope and background from a line through the NSB wells,
    Bmax and Kd from the specific binding."""
    nsb = sub[sub[C.ROLE] == "nsb"]
    x = nsb["_x_nM"].to_numpy(dtype=float)
    y = nsb[C.SIGNAL].to_numpy(dtype=float)
    try:
        slope, icpt = np.polyfit(x, y, 1)
    except (np.linalg.LinAlgError, ValueError):
        slope, icpt = 0.0, float(np.nanmin(y))
    slope = max(float(slope), 0.0)
    spec = sub[sub[C.ROLE] == "total"].groupby("_x_nM")["specific"].mean()
    bmax = float(spec.max()) * 1.2 if len(spec) and spec.max() > 0 else float(np.nanmax(y))
    half = (
        spec.index.to_numpy()[np.argmin(np.abs(spec.to_numpy() - bmax / 2))] if len(spec) else 1e-9
    )
    return {"bmax": bmax, "kd": float(half), "ns": slope, "background": float(icpt)}


def _param_row(
    exp: Any,
    method: str,
    fit: BatchFit,
    i: int,
    sub: pd.DataFrame,
    eff: float | None,
    sa: float | None,
    protein: float | None,
    bmax_ci: tuple[Any, Any] | None = None,
    protein_ci: tuple[float, float] | None = None,
) -> dict[str, Any]:
    def par(name: str) -> tuple[float, float, float]:
        if name not in fit.model.params:
            return math.nan, math.nan, math.nan
        k = fit.model.index(name)
        return float(fit.params[i, k]), float(fit.ci_low[i, k]), float(fit.ci_high[i, k])

    kd, kd_lo, kd_hi = par("kd")  # the fits run in nM
    if fit.profile_param == "kd" and fit.profile_low is not None and fit.profile_high is not None:
        kd_lo, kd_hi = float(fit.profile_low[i]), float(fit.profile_high[i])
    kd, kd_lo, kd_hi = kd * 1e-9, kd_lo * 1e-9, kd_hi * 1e-9
    kd_lo = max(kd_lo, 0.0) if np.isfinite(kd_lo) else kd_lo
    bmax, b_lo, b_hi = par("bmax")
    if bmax_ci is not None and bmax_ci[0] is not None and bmax_ci[1] is not None:
        b_lo, b_hi = float(bmax_ci[0][i]), float(bmax_ci[1][i])  # profile likelihood
    ns = par("ns")[0] * 1e9  # CPM per nM -> CPM per M
    bg, _, _ = par("background")
    fac = math.nan  # CPM -> fmol/mg
    fmol_fac = math.nan  # CPM -> fmol per well
    if eff and sa:
        fmol_fac = float(dpm_to_fmol(1.0 / eff, sa))
        if protein:
            fac = fmol_fac / protein
    # Bmax per mg: the counts' CI combined with the protein's, on the log scale
    mg_lo, mg_hi = b_lo * fac, b_hi * fac
    p_lo = p_hi = math.nan
    if protein and protein_ci is not None and bmax > 0:
        p_lo, p_hi = float(protein_ci[0]), float(protein_ci[1])
        if p_lo > 0 and p_hi > 0 and b_lo > 0 and np.isfinite(b_hi):
            down = math.hypot(math.log(bmax / b_lo), math.log(p_hi / protein))
            up = math.hypot(math.log(b_hi / bmax), math.log(protein / p_lo))
            mg_lo, mg_hi = bmax * fac * math.exp(-down), bmax * fac * math.exp(up)
        else:  # the protein's CI is open: so is the per-mg one
            mg_lo, mg_hi = 0.0, math.inf
    first = sub.iloc[0]
    return {
        C.EXPERIMENT: exp,
        C.TARGET: first.get(C.TARGET, ""),
        "radioligand": first.get(C.COMPOUND, ""),
        "method": method,
        "kd_M": kd,
        "kd_ci_low_M": kd_lo,
        "kd_ci_high_M": kd_hi,
        "pkd": -math.log10(kd) if kd > 0 else math.nan,
        "bmax_cpm": bmax,
        "bmax_ci_low_cpm": b_lo,
        "bmax_ci_high_cpm": b_hi,
        "bmax_fmol_per_well": bmax * fmol_fac,
        "bmax_fmol_per_mg": bmax * fac,
        "bmax_ci_low_fmol_per_mg": mg_lo,
        "bmax_ci_high_fmol_per_mg": mg_hi,
        "protein_mg_per_well": protein if protein else math.nan,
        "protein_ci_low_mg_per_well": p_lo,
        "protein_ci_high_mg_per_well": p_hi,
        "ns_cpm_per_M": ns,
        "background_cpm": bg,
        "x_max_M": float(sub["free_M"].max()),
        "x_min_M": float(sub["free_M"].min()),
        "n_points": int(fit.n_points.sum()) if fit.shared else int(fit.n_points[i]),
        "r_squared": float(fit.r_squared()[i]),
        "status": fit.status[i],
        "reason": fit.reason[i],
    }


def _saturation_flags(
    params: pd.DataFrame,
    sat: pd.DataFrame,
    volume_L: float | None,
    depletion_max: float,
    nsb_max_pct: float,
) -> pd.DataFrame:
    names, reasons = [], []
    for _, r in params.iterrows():
        sub = sat[sat[C.EXPERIMENT] == r[C.EXPERIMENT]]
        fl: list[Flag] = []
        if r["status"] != "converged":
            fl.append(Flag("not_converged", f"fit status {r['status']}: {r['reason']}"))
        kd = r["kd_M"]
        if np.isfinite(kd) and r["x_max_M"] < 5 * kd:
            fl.append(
                Flag(
                    "incomplete_saturation",
                    f"highest concentration {r['x_max_M'] * 1e9:.3g} nM is below 5 x Kd "
                    f"({5 * kd * 1e9:.3g} nM): Bmax is an extrapolation",
                )
            )
        tot = sub[sub[C.ROLE] == "total"]
        if volume_L and tot["bound_fmol"].notna().any():
            lowest = tot[C.CONC_M].min()
            at = tot[tot[C.CONC_M] == lowest]
            frac = float(at["bound_fmol"].mean()) / (lowest * volume_L * 1e15)
            if frac > depletion_max:
                fl.append(
                    Flag(
                        "ligand_depletion",
                        f"{100 * frac:.0f} % of the radioligand added is bound at the lowest "
                        f"concentration (limit {100 * depletion_max:g} %): fit free "
                        "radioligand (free_correction) or use less membrane",
                    )
                )
        if np.isfinite(kd) and len(tot):
            concs = np.sort(tot[C.CONC_M].unique())
            c = concs[np.argmin(np.abs(np.log(concs / kd)))]
            t = tot.loc[tot[C.CONC_M] == c, C.SIGNAL].mean()
            n = sub.loc[(sub[C.ROLE] == "nsb") & (sub[C.CONC_M] == c), C.SIGNAL].mean()
            if t > 0 and 100 * n / t > nsb_max_pct:
                fl.append(
                    Flag(
                        "high_nsb",
                        f"NSB is {100 * n / t:.0f} % of total at {c * 1e9:.3g} nM "
                        f"(nearest Kd; limit {nsb_max_pct:g} %)",
                    )
                )
        a, b = join_flags(fl)
        names.append(a)
        reasons.append(b)
    out = params.copy()
    out["flags"] = names
    out["flag_reasons"] = reasons
    return out


# ---------------------------------------------------------------- figures


def _experiment(result: SaturationResult, experiment: Any) -> str:
    exps = list(dict.fromkeys(result.params[C.EXPERIMENT].astype(str)))
    if experiment is None:
        return exps[0]
    if str(experiment) not in exps:
        raise ModelError(f"no experiment {experiment!r}; experiments: {', '.join(exps)}")
    return str(experiment)


def plot_saturation(result: SaturationResult, experiment: Any = None, ax: Any = None) -> Any:
    """Total, nonspecific and specific binding (mean +/- SD per concentration) with
    the global fit (total and NSB lines; specific = Bmax [L] / (Kd + [L])).
    Returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    exp = _experiment(result, experiment)
    pts = result.points[result.points[C.EXPERIMENT].astype(str) == exp]
    row = result.params[
        (result.params[C.EXPERIMENT].astype(str) == exp) & (result.params["method"] == "total_nsb")
    ].iloc[0]
    xmax = float(pts["free_M"].max())
    grid = np.linspace(0, xmax * 1.05, 200)
    bmax, kd, ns, bg = row["bmax_cpm"], row["kd_M"], row["ns_cpm_per_M"], row["background_cpm"]
    series = (
        ("total", pts[pts[C.ROLE] == "total"], C.SIGNAL, "tab:blue"),
        ("nonspecific", pts[pts[C.ROLE] == "nsb"], C.SIGNAL, "tab:gray"),
        ("specific", pts[pts[C.ROLE] == "total"], "specific", "tab:red"),
    )
    out = pts[pts[C.EXCLUDED].astype(bool)] if C.EXCLUDED in pts.columns else pts.iloc[:0]
    pts = pts[~pts.index.isin(out.index)]
    series = (
        ("total", pts[pts[C.ROLE] == "total"], C.SIGNAL, "tab:blue"),
        ("nonspecific", pts[pts[C.ROLE] == "nsb"], C.SIGNAL, "tab:gray"),
        ("specific", pts[pts[C.ROLE] == "total"], "specific", "tab:red"),
    )
    if len(out):
        ax.scatter(
            out["free_M"].to_numpy(dtype=float) * 1e9,
            out[C.SIGNAL],
            s=36,
            marker="o",
            facecolors="none",
            edgecolors="crimson",
            linewidths=1.5,
            label="excluded",
            zorder=3,
        )
    for name, sub, col, color in series:
        if sub.empty:
            continue
        g = sub.groupby("free_M")[col].agg(["mean", "std"])
        ax.errorbar(
            g.index.to_numpy() * 1e9,
            g["mean"],
            yerr=g["std"].fillna(0),
            fmt="o",
            color=color,
            capsize=3,
            ms=4,
            label=f"{name} (mean ± SD)",
        )
    if np.isfinite(bmax) and np.isfinite(kd):
        spec = bmax * grid / (kd + grid)
        nsl = ns * grid + bg
        ax.plot(grid * 1e9, spec + nsl, "-", color="tab:blue", lw=1.2)
        ax.plot(grid * 1e9, nsl, "-", color="tab:gray", lw=1.2)
        ax.plot(grid * 1e9, spec, "-", color="tab:red", lw=1.2)
        txt = f"Kd = {kd * 1e9:.3g} nM ({row['kd_ci_low_M'] * 1e9:.3g}–{row['kd_ci_high_M'] * 1e9:.3g})"
        if np.isfinite(row["bmax_fmol_per_mg"]):
            txt += (
                f"\nBmax = {row['bmax_fmol_per_mg']:.4g} fmol/mg "
                f"({row['bmax_ci_low_fmol_per_mg']:.4g}–{row['bmax_ci_high_fmol_per_mg']:.4g})"
            )
        else:
            txt += f"\nBmax = {bmax:.4g} CPM"
        ax.text(
            0.97,
            0.5,
            txt,
            transform=ax.transAxes,
            ha="right",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9},
        )
    free = "free " if result.options.get("free_correction") else ""
    ax.set_xlabel(f"[radioligand] {free}(nM)")
    ax.set_ylabel("bound (CPM)")
    ax.set_title(f"saturation binding, experiment {exp}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax


def plot_scatchard(result: SaturationResult, experiment: Any = None, ax: Any = None) -> Any:
    """Rosenthal (Scatchard) plot of specific binding: bound/free vs bound, with the
    line implied by the nonlinear fit. For display only: Kd and Bmax come from
    the nonlinear fit, as the title says. Returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    exp = _experiment(result, experiment)
    pts = result.points[
        (result.points[C.EXPERIMENT].astype(str) == exp) & (result.points[C.ROLE] == "total")
    ]
    row = result.params[
        (result.params[C.EXPERIMENT].astype(str) == exp) & (result.params["method"] == "total_nsb")
    ].iloc[0]
    conv = (
        row["bmax_fmol_per_mg"] / row["bmax_cpm"] if np.isfinite(row["bmax_fmol_per_mg"]) else 1.0
    )
    unit = "fmol/mg" if np.isfinite(row["bmax_fmol_per_mg"]) else "CPM"
    g = pts.groupby("free_M")["specific"].mean()
    bound = g.to_numpy() * conv
    free_nM = g.index.to_numpy() * 1e9
    ax.plot(bound, bound / free_nM, "o", color="tab:red", label="specific binding (means)")
    bmax, kd = row["bmax_cpm"] * conv, row["kd_M"] * 1e9
    if np.isfinite(bmax) and np.isfinite(kd) and kd > 0:
        b = np.linspace(0, bmax, 50)
        ax.plot(b, (bmax - b) / kd, "-", color="0.3", lw=1, label="from the nonlinear fit")
    ax.set_xlabel(f"bound ({unit})")
    ax.set_ylabel(f"bound / free ({unit} per nM)")
    ax.set_title(
        "Rosenthal (Scatchard) plot, display only:\nKd and Bmax come from the nonlinear fit",
        fontsize=9,
    )
    ax.legend(fontsize=7, frameon=False)
    return ax
