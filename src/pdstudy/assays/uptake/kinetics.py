"""Substrate kinetics of synaptosomal uptake: Km and Vmax of specific uptake.

Total (``total``/``substrate``/``control``) and nonspecific (``nsb``) wells at
several substrate concentrations. By default total and nonspecific wells are
fitted together (Michaelis-Menten plus nonspecific uptake linear in [S], model
:data:`MM_TOTAL_NS`, weighted by the counting rule of every count-based
assay, :func:`pdstudy.assays.plates.count_weighting`), so the uncertainty of the
nonspecific estimate is in the CIs; or the mean nonspecific rate at each [S]
is subtracted and the mean specific rates are fitted. Km and Vmax with
profile-likelihood CIs. [S] may be isotopically diluted (``hot_substrate_M``).
Counts become rates as in :mod:`pdstudy.assays.uptake.inhibition` (shared
helpers in :mod:`pdstudy.assays.uptake._rates`).

QC flags: ``saturation_not_reached`` (highest [S] < 2 Km), ``km_below_range``
(lowest [S] > Km / 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy import columns as C
from pdstudy.assays.contract import ResultBase, headline_frame
from pdstudy.assays.plates import count_weighting
from pdstudy.assays.qc import Flag, join_flags
from pdstudy.assays.uptake._rates import (
    COLD_C as _COLD_C,
)
from pdstudy.assays.uptake._rates import (
    _base_frame,
    _check_positive,
    _counts,
    _protein_per_well,
    _raw,
    _where,
    per_mg_ci,
    pmol_from_dpm,
    protein_ci_per_well,
)
from pdstudy.errors import LayoutError, ModelError, UsageError
from pdstudy.fitting import MICHAELIS_MENTEN, BatchFit, Model, fit_curves, profile_ci
from pdstudy.fitting.concentration_response import count_weights, pack_curves
from pdstudy.fitting.models import register_builtin_model
from pdstudy.io.jsonsafe import frame_records, json_safe
from pdstudy.units import format_conc
from pdstudy.units import format_conc_ci as conc_with_ci

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pdstudy.assays.protein import ProteinResult

__all__ = ["MM_TOTAL_NS", "KineticsResult", "analyze_uptake_kinetics", "plot_kinetics"]

#: columns of the ``points`` table (those present)
POINT_COLUMNS = (
    "plate",
    "well",
    "experiment",
    "target",
    "role",
    "substrate_M",
    "specific_activity_Ci_per_mmol",
    "dpm_used",
    "pmol",
    "protein_mg_per_well",
    "rate_pmol_per_mg_per_min",
    "nonspecific_rate_pmol_per_mg_per_min",
    "specific_rate_pmol_per_mg_per_min",
)
#: roles of a kinetics plate: total uptake at [S], nonspecific uptake at [S]
_KINETIC_TOTAL = ("total", "substrate", "control", "saturation")
# kinetics are fitted with [S] in µM: parameters of order 1 keep the solver and the
# profile-likelihood search (whose tolerances are absolute below 1) well scaled
_UM = 1e6


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
class KineticsResult(ResultBase):
    """Michaelis-Menten kinetics of specific uptake: Km and Vmax per curve.

    Attributes
    ----------
    curves
        One row per curve (``experiment``, ``target``): ``km_M``,
        ``km_ci_low_M``, ``km_ci_high_M``, ``vmax_pmol_per_mg_per_min``,
        ``vmax_ci_low``, ``vmax_ci_high`` (profile-likelihood CIs; Vmax's
        carries the protein's uncertainty when the protein per well was read
        off a protein plate: the two log-scale intervals combined as
        independent, as for Bmax), ``protein_mg_per_well``,
        ``protein_ci_low_mg_per_well``, ``protein_ci_high_mg_per_well``,
        ``ns_slope_pmol_per_mg_per_min_per_M`` (linear nonspecific uptake),
        ``s_min_M``, ``s_max_M``, ``n_points``, ``r_squared`` (of the specific
        curve: the wells' specific rates against the Michaelis-Menten curve
        shown), ``r_squared_fit`` (of the fit itself: with a linear nonspecific
        term, the total and nonspecific wells fitted together), ``model``,
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
    protein
        The protein result the protein per well was read from, or ``None``.
    """

    curves: pd.DataFrame
    points: pd.DataFrame
    fits: Mapping[str, BatchFit]
    locate: tuple[tuple[str, int], ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    level: float = 0.95
    protein: ProteinResult | None = field(default=None, kw_only=True)
    #: every well left out, with its reason (:func:`pdstudy.assays.exclusions.exclusion_table`)
    exclusions: pd.DataFrame | None = field(default=None, kw_only=True)

    kind: ClassVar[str] = "kinetics"

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``curves`` (Km, Vmax per experiment), ``points`` (every well, with its rates:
        :data:`POINT_COLUMNS` that are present; wells left out of the fit are kept with
        ``excluded``, ``exclude_reason``, ``excluded_by``) and ``exclusions``."""
        from pdstudy.assays.exclusions import exclusion_table

        cols = [c for c in POINT_COLUMNS if c in self.points.columns]
        cols += [
            c for c in (C.EXCLUDED, C.EXCLUDE_REASON, C.EXCLUDED_BY) if c in self.points.columns
        ]
        return {
            "curves": self.curves,
            "points": self.points[cols],
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.settings

    def headline_rows(self) -> pd.DataFrame:
        """One ``"effect"`` row per curve (experiment x target): Km and Vmax are in the
        label's text of the report (:mod:`pdstudy.report.sections.uptake`); the row
        names the experiment, target and status."""
        rows = [
            {
                "role": "effect",
                "label": f"uptake kinetics at {rec['target']} (experiment {rec['experiment']})",
                "compound": "",
                "target": rec["target"],
                "experiment": rec["experiment"],
                "n": 1.0,
                "status": rec["status"],
            }
            for rec in self.curves.to_dict("records")
        ]
        return headline_frame(rows)

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
    weighting: str = "auto",
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
    weighting
        The one counting rule of every count-based assay
        (:func:`pdstudy.assays.plates.count_weighting`): ``"auto"`` (default)
        weights each well by the Poisson and proportional variance of its
        *predicted* count (``c^2 S^2 + S * 60 / T``, ``S`` in CPM counted for
        ``T`` seconds: each well's ``count_time_s`` from the file, else a
        1-minute count), ``c^2`` estimated once over every experiment of the
        call (the counts' CV is a property of the assay, as for saturation
        binding); ``"counts"`` insists on the file's counting times;
        ``"relative"`` is 1/Y^2; ``"none"`` unweighted. Plates without a
        ``cpm`` column (DPM only) fall back to relative weighting under
        ``"auto"``. With ``nonspecific="per_conc"`` the fitted points are means
        of specific rates, whose variance is not that of one count: they are
        weighted relatively (1/Y^2) unless ``"none"``. On 400 simulated plates
        (``tests/test_coverage_kinetics.py``) the 95 % profile CIs of Km and
        Vmax cover the truth 0.93-0.97 with either count or relative
        weighting (``nonspecific="linear"``), about 0.70 (Vmax) unweighted.
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
        raise UsageError(f"nonspecific={nonspecific!r}: use 'auto', 'per_conc' or 'linear'")
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
    protein_ci = protein_ci_per_well(protein, protein_sample, suspension_volume_L)
    work["specific_activity_Ci_per_mmol"] = sa
    work["dpm_used"] = dpm
    work["pmol"] = pmol_from_dpm(dpm, sa)
    work["protein_mg_per_well"] = prot
    work["rate_pmol_per_mg_per_min"] = work["pmol"] / prot / (incubation_s / 60.0)
    # the one counting-variance rule of count-based assays (assays.plates.count_weighting)
    try:
        mode, weighting_text = count_weighting(work, weighting, function, counts_column="cpm")
    except ModelError as exc:
        raise UsageError(str(exc)) from exc
    if mode.startswith("counts"):
        if "cpm" not in work.columns:
            raise UsageError(
                f"{function}: weighting={weighting!r} weights by the variance of the counts, "
                "but the plate has no 'cpm' column (counted CPM of each well); use "
                "weighting='relative' for DPM-only files"
            )
        work["_rate_per_cpm"] = _rate_per_cpm(work, dpm, sa, prot, incubation_s)

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
        labels, xx, yy, prow = pack_curves(lin, keys, "_x", "rate_pmol_per_mg_per_min")
        fits["linear"] = _fit_linear(lin, labels, xx, yy, prow, mode, level)
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
            MICHAELIS_MENTEN,
            xx,
            yy,
            weights=None if mode == "none" else "1/y2",
            labels=labels,
            level=level,
        )
        for i, lab in enumerate(labels):
            locate[(str(lab[0]), str(lab[1]))] = ("per_conc", i)
    work["nonspecific_rate_pmol_per_mg_per_min"] = ns_rate
    work["specific_rate_pmol_per_mg_per_min"] = np.where(
        role == "total", work["rate_pmol_per_mg_per_min"] - ns_rate, np.nan
    )
    points = work[used].drop(columns=["_rate_per_cpm"], errors="ignore")
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
        spec_tot = work["specific_rate_pmol_per_mg_per_min"].to_numpy(dtype=float)[at][
            role[at] == "total"
        ]
        rec: dict[str, Any] = {
            "experiment": lab_t[0],
            "target": lab_t[1],
            "km_M": km,
            "km_ci_low_M": _profile(fit_km, "low", i) / _UM,
            "km_ci_high_M": _profile(fit_km, "high", i) / _UM,
            "vmax_pmol_per_mg_per_min": vmax,
            # the counts' profile CI, with the protein's uncertainty carried in (per mg)
            **dict(
                zip(
                    ("vmax_ci_low", "vmax_ci_high"),
                    per_mg_ci(
                        vmax,
                        _profile(fit_vm, "low", i),
                        _profile(fit_vm, "high", i),
                        float(np.mean(prot[at])),
                        protein_ci,
                    ),
                    strict=True,
                )
            ),
            "protein_mg_per_well": float(np.mean(prot[at])),
            "protein_ci_low_mg_per_well": protein_ci[0] if protein_ci else math.nan,
            "protein_ci_high_mg_per_well": protein_ci[1] if protein_ci else math.nan,
            "ns_slope_pmol_per_mg_per_min_per_M": float(fit.param("ns")[i]) * _UM
            if method == "linear"
            else math.nan,
            "s_min_M": float(s_tot.min()),
            "s_max_M": float(s_tot.max()),
            "n_points": int(fit.n_points[i]),
            # R² of the curve shown: the specific rates of the wells against Michaelis-Menten
            "r_squared": _r_squared(spec_tot, vmax * s_tot / (km + s_tot)),
            "r_squared_fit": float(r2[i]),
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
        "weighting": mode,
        "weighting_text": weighting_text
        + (
            "; the mean specific rates of a per-[S] fit weighted by 1/Y²"
            if plan["per_conc"] and mode.startswith("counts")
            else ""
        ),
        "level": level,
    }
    return KineticsResult(
        curves=pd.DataFrame(rows),
        points=points,
        fits=fits,
        locate=tuple(order),
        settings=settings,
        level=level,
        protein=protein,
    )


def _rate_per_cpm(
    work: pd.DataFrame, dpm: np.ndarray, sa: np.ndarray, prot: np.ndarray, incubation_s: float
) -> np.ndarray:
    """Each well's rate (pmol/mg/min) per counted CPM, so that ``rate = k * CPM``.

    ``k = pmol per DPM / protein / minutes * DPM / CPM``; where a well counted
    nothing its DPM / CPM is the median of the others (the efficiency).
    """
    cpm = pd.to_numeric(work["cpm"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cpm > 0, dpm / cpm, np.nan)
    fill = float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else 1.0
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, fill)
    per_dpm = pmol_from_dpm(np.ones(len(work)), sa) / prot / (incubation_s / 60.0)
    return np.asarray(per_dpm * ratio, dtype=float)


def _fit_linear(
    lin: pd.DataFrame,
    labels: list[Any],
    xx: np.ndarray,
    yy: np.ndarray,
    prow: np.ndarray,
    mode: str,
    level: float,
) -> BatchFit:
    """Total and nonspecific wells fitted together, weighted by the counting rule ``mode``.

    Counts: each well's rate is ``k`` times its count, so its variance is
    ``k^2 (c^2 S^2 + S * 60 / T)`` with ``S`` the *predicted* count; the
    weights start from a relative (1/Y^2) fit, ``c^2`` is pooled over every
    experiment (:func:`_pooled_cv2`), and the weights are iterated twice.
    """
    kw: dict[str, Any] = {"labels": labels, "level": level}
    if mode == "none":
        return fit_curves(MM_TOTAL_NS, xx, yy, **kw)
    fit = fit_curves(MM_TOTAL_NS, xx, yy, weights="1/y2", **kw)
    if mode == "relative":
        return fit
    at = np.maximum(prow, 0)
    k = np.where(prow >= 0, lin["_rate_per_cpm"].to_numpy(dtype=float)[at], np.nan)
    scale = np.where(np.isfinite(k) & (k > 0), 1.0 / k, np.nan)
    offset = np.zeros_like(xx)
    if mode == "counts":
        t = pd.to_numeric(lin[C.COUNT_TIME], errors="coerce").to_numpy(dtype=float)
        tcount = np.where(prow >= 0, t[at], 60.0)
    else:  # counts_1min: the usual counter setting when the file gives no counting time
        tcount = np.full(xx.shape, 60.0)
    w_prev: np.ndarray | None = None
    for _ in range(2):
        c2 = _pooled_cv2(fit, scale, tcount)
        w = count_weights(fit, scale, offset, tcount, "counts", previous=w_prev, c2=c2)
        start = {
            nm: np.where(np.isfinite(fit.params[:, j]), fit.params[:, j], 1.0)
            for j, nm in enumerate(MM_TOTAL_NS.params)
        }
        fit = fit_curves(MM_TOTAL_NS, xx, yy, weights=w, p0=start, **kw)
        w_prev = w
    return fit


def _pooled_cv2(fit: BatchFit, scale: np.ndarray, tcount: np.ndarray) -> float | None:
    """The counts' proportional variance ``c^2``, one moment estimate over every fitted curve.

    ``c^2 = (sum r^2 n / (n - p) - sum S * 60 / T) / sum S^2`` over the wells
    of the curves that converged (``r`` and ``S`` in CPM, ``S`` predicted), at
    least a CV of 0.5 %; ``None`` (each curve its own estimate) when no curve
    could be fitted.
    """
    ok = fit.ok
    if not ok.any():
        return None
    with np.errstate(all="ignore"):
        pred = fit.model.func(fit.x, fit.params, {})
        sig = np.maximum(scale * pred, 1.0)
        pois = sig * 60.0 / np.where(tcount > 0, tcount, 60.0)
        r = scale * (fit.y - pred)
    use = fit.used & ok[:, None] & np.isfinite(r) & np.isfinite(sig)
    n = int(use.sum())
    p = fit.n_free() * int(ok.sum())
    if n <= p or not np.isfinite(sig[use]).all():
        return None
    c2 = (float(np.sum(r[use] ** 2)) * n / (n - p) - float(np.sum(pois[use]))) / float(
        np.sum(sig[use] ** 2)
    )
    return max(c2, 0.005**2)


def _r_squared(y: np.ndarray, pred: np.ndarray) -> float:
    """1 - SS(residual) / SS(about the mean) over the finite points; NaN for fewer than 3."""
    ok = np.isfinite(y) & np.isfinite(pred)
    if ok.sum() < 3:
        return math.nan
    ss_tot = float(np.sum((y[ok] - y[ok].mean()) ** 2))
    return 1.0 - float(np.sum((y[ok] - pred[ok]) ** 2)) / ss_tot if ss_tot > 0 else math.nan


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
        raise UsageError(
            f"kind={kind!r}: use 'michaelis_menten', 'eadie_hofstee' or 'lineweaver_burk'"
        )
    n = len(result.curves)
    if n == 0:
        raise UsageError("the result has no curve")
    if curve is None:
        if n > 1:
            raise UsageError(f"the result has {n} curves; pass curve= (0..{n - 1})")
        curve = 0
    if not 0 <= curve < n:
        raise UsageError(f"curve={curve!r}: the result has {n} curve(s)")
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
