"""Synaptosomal uptake inhibition: rates, % of control, IC50 and Ki (Cheng-Prusoff).

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
    fitted by :func:`pdstudy.fitting.concentration_response.fit_concentration_response`: one
    site (Hill -1) vs variable slope by the F test, ROUT outliers, profile-
    likelihood CIs, and log Ki fitted directly with
    ``Ki = IC50 / (1 + [S]/Km)`` (Cheng & Prusoff 1973, for an inhibitor
    competitive with the substrate; [S] and Km are taken as known, as Kd is in
    binding).

Kinetics (Km, Vmax of the substrate) are in :mod:`pdstudy.assays.uptake.kinetics`.

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
    default 0.2 (binding: 0.5; :data:`pdstudy.assays.qc.UPTAKE_QC` says why).
    With 66 % nonspecific uptake and a 5 % CV a normal cortical plate has a
    true Z' of ~0.2 and a median Z' from triplicates of 0.31 (0.1-0.5 on
    simulated plates), so binding's 0.5 would flag ~75 % of normal plates;
    below 0.2 the bands overlap more than a normal preparation's do (a plate
    at Z' = 0.15 is flagged). Z' from 3 + 3 wells is itself uncertain (about
    +/-0.3), so the flag asks for a look at the plate; it does not reject it.
    ``high_cv``: median replicate CV of a curve's rates above ``max_cv_pct``
    (20 %; per plate: control or nonspecific wells); ``incomplete_curve``,
    ``hill_far_from_1``, ``outliers`` (ROUT), ``two_site_preferred``,
    ``not_converged``: as in binding (:mod:`pdstudy.assays.qc`).
    Kinetics: ``saturation_not_reached`` (highest [S] < 2 Km),
    ``km_below_range`` (lowest [S] > Km / 2).
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
from pdstudy.assays.plates import DPM_PER_CI, count_weighting, percent_of_control
from pdstudy.assays.plotting import plot_concentration_response
from pdstudy.assays.qc import (
    UPTAKE_QC,
    Flag,
    cheng_prusoff_flags,
    cv_percent,
    hill_flags,
    incomplete_curve_flags,
    join_flags,
    open_ci_flags,
    rout_refusal,
    z_prime,
)
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
from pdstudy.fitting.concentration_response import ResponseFits, fit_concentration_response
from pdstudy.io.jsonsafe import frame_records, json_safe
from pdstudy.units import format_conc
from pdstudy.units import format_estimate as ki_annotation

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pdstudy.assays.protein import ProteinResult

__all__ = [
    "DPM_PER_CI",
    "UptakeResult",
    "aggregate_uptake",
    "analyze_uptake",
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


# ------------------------------------------------------------------ rates


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
        raise UsageError(
            f"{_where(work, i)}: no {what}; give {column}= (e.g. on the command line) "
            f"or a {column} column in the layout"
        )
    return out


# ------------------------------------------------------------------ inhibition result


@dataclass(frozen=True)
class UptakeResult(ResultBase):
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
        :func:`~pdstudy.fitting.concentration_response.fit_concentration_response`.
    wells
        The input wells with ``dpm_used``, ``pmol``, ``protein_mg_per_well``,
        ``rate_pmol_per_mg_per_min``, ``specific_rate_pmol_per_mg_per_min``,
        ``pct_control``, ``excluded``, ``exclude_reason`` and ``excluded_by``
        (declared, the plate reader's, or ROUT).
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
    protein
        The protein result the protein per well was read from (its standard
        curve is drawn in the report), or ``None``.
    """

    curves: pd.DataFrame
    wells: pd.DataFrame
    qc: pd.DataFrame
    fits: ResponseFits | None
    settings: Mapping[str, Any] = field(default_factory=dict)
    level: float = 0.95
    protein: ProteinResult | None = field(default=None, kw_only=True)
    exclusions: pd.DataFrame | None = field(default=None, kw_only=True)

    kind: ClassVar[str] = "uptake"

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``curves``, ``aggregate`` (experiments combined), ``qc`` (plates), ``wells``,
        ``exclusions`` (every well or experiment left out, with its reason)."""
        return {
            "curves": self.curves,
            "aggregate": aggregate_uptake(self.curves, level=self.level),
            "qc": self.qc,
            "wells": self.wells,
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.settings

    def headline_rows(self) -> pd.DataFrame:
        """One ``"effect"`` row per compound x target of :meth:`tables` ``["aggregate"]``:
        IC50 and Ki (geometric means), pKi mean ± SEM, n (a functional read-out, not
        pooled with equilibrium binding Ki)."""
        rows = []
        for agg in aggregate_uptake(self.curves, level=self.level).to_dict("records"):
            rows.append(
                {
                    "role": "effect",
                    "label": f"{agg['compound']}: uptake at {agg['target']}",
                    "compound": agg["compound"],
                    "target": agg["target"],
                    "experiment": str(agg.get("experiments", "")),
                    "n": float(agg["n"]),
                    "status": "ok" if agg["n"] > 0 else "no usable curve",
                    "ic50_M": agg["ic50_geomean_M"],
                    "ki_M": agg["ki_geomean_M"],
                    "ki_ci_low_M": agg["ki_ci_low_M"],
                    "ki_ci_high_M": agg["ki_ci_high_M"],
                    "pki": agg["pki_mean"],
                    "pki_ci_low": agg["pki_ci_low"],
                    "pki_ci_high": agg["pki_ci_high"],
                    "pki_sem": agg["pki_sem"],
                }
            )
        return headline_frame(rows)

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
    rout: bool = False,
    q: float = 0.01,
    two_site: bool = False,
    alpha: float = 0.05,
    level: float = 0.95,
    max_nonspecific_fraction: float = UPTAKE_QC.max_nonspecific_fraction,
    min_z_prime: float = UPTAKE_QC.min_z_prime,
    max_cv_pct: float = 100.0 * UPTAKE_QC.max_cv,
    hill_range: tuple[float, float] = (0.5, 1.5),
    exclusions: Sequence[Exclusion] = (),
    exclude_z_below: float | None = None,
    model: str = "auto",
    fixed: Mapping[str, float] | None = None,
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
        The one rule of every count-based assay
        (:func:`pdstudy.assays.plates.count_weighting`): ``"auto"`` weights
        each point by the variance of its predicted count (proportional plus
        Poisson counting noise, with each well's counting time or, when the
        file gives none, a 1-minute count; relative 1/Y² when the plate has
        no CPM); ``"none"`` is Prism's unweighted fit; ``"relative"``, ``"counts"``.
    rout, q, two_site, alpha, level, model, fixed
        Passed to :func:`~pdstudy.fitting.concentration_response.fit_concentration_response`:
        ``model`` ``"auto"`` (F test), ``"one_site"`` or ``"variable_slope"``; ``fixed``
        the parameters held constant (``{"bottom": 0, "top": 100}``, in % of control;
        ``"hill"``); ``level`` the confidence level of every CI (also the control rate's
        and the mean over experiments).
    max_nonspecific_fraction, min_z_prime, max_cv_pct, hill_range
        QC thresholds (see the module documentation for the choice of the
        defaults).
    exclusions
        Wells or experiments left out (:mod:`pdstudy.assays.exclusions`): kept in
        ``wells`` with their reason, left out of the plate means, QC and fits;
        an experiment with every competition well excluded is a curve with
        status ``excluded``.

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
    work = apply_exclusions(_base_frame(frame, function, target), exclusions)
    reader = reader_exclusions(work)
    _check_positive(
        specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol, incubation_s=incubation_s
    )
    if not 0 < max_nonspecific_fraction <= 1:
        raise UsageError(f"max_nonspecific_fraction={max_nonspecific_fraction!r} must be in (0, 1]")
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
    protein_ci = protein_ci_per_well(protein, protein_sample, suspension_volume_L)
    pmol = pmol_from_dpm(dpm, specific_activity_Ci_per_mmol)
    work["dpm_used"] = dpm
    work["pmol"] = pmol
    work["protein_mg_per_well"] = prot
    rate = pmol / prot / (incubation_s / 60.0)
    work["rate_pmol_per_mg_per_min"] = rate

    kept = ~work[C.EXCLUDED].to_numpy(dtype=bool)
    qc, means = _plate_qc(work[kept], function, max_nonspecific_fraction, min_z_prime, max_cv_pct)
    qc_ex = z_prime_exclusions(work, _z_by_plate(qc), exclude_z_below, _Z_GROUPS)
    kept = ~work[C.EXCLUDED].to_numpy(dtype=bool)
    key = list(zip(work["experiment"], work["plate"], strict=True))
    gone = (math.nan,) * 4
    ctl, nsb, sig_ctl, sig_nsb = (np.array([means.get(k, gone)[j] for k in key]) for j in range(4))
    work["specific_rate_pmol_per_mg_per_min"] = rate - nsb
    work["pct_control"] = percent_of_control(rate, ctl, nsb)
    # the counted signal each % maps back to, for the weights of the fit
    work["_sig_nsb"] = sig_nsb
    work["_sig_scale"] = (sig_ctl - sig_nsb) / 100.0
    # the one counting-variance rule of count-based assays (assays.plates.count_weighting)
    try:
        mode, weighting_text = count_weighting(work, weighting, function, counts_column="cpm")
    except ModelError as exc:
        raise UsageError(str(exc)) from exc

    if rout and mode == "none":
        raise UsageError(rout_refusal("uptake"))

    fits: ResponseFits | None = None
    rows: list[dict[str, Any]] = []
    rout_ex: list[Exclusion] = []
    if (comp & kept).any():
        sub = work[comp & kept]
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
            weighting="counts" if mode == "counts_1min" else mode,
            signal_scale="_sig_scale" if mode != "none" else None,
            signal_offset="_sig_nsb" if mode != "none" else None,
            count_time="count_time_s" if mode == "counts" else 60.0,
            model=model,
            fixed=fixed,
        )
        out = work.index.isin(fits.excluded.index[fits.excluded.to_numpy()])
        rule = f"ROUT, Q = {100 * q:g} %"
        mark_rows(work, out, f"outlier ({rule})", "rout")
        rout_ex = exclusions_from_rows(
            work, out, (C.PLATE, C.WELL), f"outlier ({rule})", "rout", rule
        )
        sub = work[comp & kept]
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
                    protein_ci=protein_ci,
                    level=level,
                )
            )
    curves = pd.DataFrame(rows)
    if curves.empty:
        curves = pd.DataFrame(columns=_CURVE_COLUMNS)
    else:
        extra = [c for c in curves.columns if c not in _CURVE_COLUMNS]
        curves = curves[_CURVE_COLUMNS + extra]
    curves = with_excluded_curves(curves, work[comp], work[comp & kept], _KEYS)
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
        "model": model,
        "fixed": {k: float(v) for k, v in (fixed or {}).items()},
        "fit_text": fit_options_text(model, fixed, level, response="% of control", alpha=alpha),
        "weighting": mode,
        "weighting_text": weighting_text,
        "max_nonspecific_fraction": max_nonspecific_fraction,
        "min_z_prime": min_z_prime,
        "max_cv_pct": max_cv_pct,
        "hill_range": list(hill_range),
        "notes": notes,
        "ki_equation": "Ki = IC50 / (1 + [S]/Km) (Cheng & Prusoff 1973, competitive inhibition)",
        "exclusion_rules": (
            (
                [f"{len(exclusions)} declared exclusion(s), each with its reason"]
                if exclusions
                else []
            )
            + [f"ROUT outlier removal at Q = {100 * q:g} %" if rout else "no ROUT outlier removal"]
            + (
                [z_prime_rule_words(exclude_z_below, _Z_GROUPS)]
                if exclude_z_below is not None
                else []
            )
        ),
        "exclude_z_below": exclude_z_below,
    }
    work = work.drop(columns=["_sig_nsb", "_sig_scale"])
    return UptakeResult(
        curves=curves,
        wells=work,
        qc=qc,
        fits=fits,
        settings=settings,
        level=level,
        protein=protein,
        exclusions=exclusion_table([*exclusions, *reader, *qc_ex, *rout_ex], work),
    )


def aggregate_uptake(curves: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Independent experiments combined per compound x target: the columns of
    :func:`pdstudy.assays.binding.aggregate_experiments` (pKi mean ± SEM, geometric-mean Ki
    with its CI at ``level``) plus ``ic50_geomean_M`` (10 ** mean log IC50 of the usable
    curves)."""
    from pdstudy.assays.binding.competition import aggregate_experiments

    if curves.empty:
        return pd.DataFrame(columns=["compound", "target", "n", "ic50_geomean_M"])
    agg = aggregate_experiments(curves, level=level)
    usable = curves[curves["status"].isin(("converged", "at_bound"))]
    ic50 = usable.groupby(["compound", "target"], sort=False)["log_ic50"].mean()
    agg["ic50_geomean_M"] = [
        10.0 ** ic50.get((c, t), float("nan"))
        for c, t in zip(agg["compound"], agg["target"], strict=True)
    ]
    return agg


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
    protein_ci: tuple[float, float] | None = None,
    level: float = 0.95,
) -> dict[str, Any]:
    """One row of the curves table: the fit's columns, the QC of the curve's plates, flags."""
    rec = dict(rec)
    rec["substrate_M"] = float(wells["substrate_M"].iloc[0])
    rec["km_M"] = float(wells["km_M"].iloc[0])
    rec["control_rate_pmol_per_mg_per_min"] = ctl = float(qsel["specific_rate"].mean())
    # its CI (at ``level``): control - nonspecific means (t, pooled over the plates), then the
    # protein's uncertainty carried in on the log scale (the rate is per mg)
    var = (
        qsel["control_rate_sd"] ** 2 / qsel["n_control"]
        + qsel["nonspecific_rate_sd"] ** 2 / qsel["n_nonspecific"]
    ).sum() / max(len(qsel), 1) ** 2
    df = int((qsel["n_control"] + qsel["n_nonspecific"] - 2).sum())
    half = float(stats.t.ppf(0.5 + level / 2, df) * math.sqrt(var)) if df > 0 else math.nan
    prot = float(wells["protein_mg_per_well"].mean())
    lo, hi = per_mg_ci(ctl, ctl - half, ctl + half, prot, protein_ci)
    rec["control_rate_ci_low"], rec["control_rate_ci_high"] = lo, hi
    rec["protein_ci_low_mg_per_well"] = protein_ci[0] if protein_ci else math.nan
    rec["protein_ci_high_mg_per_well"] = protein_ci[1] if protein_ci else math.nan
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
    # outside the range counts only where the data prefer (or the user asked for) a free
    # variable slope (as in binding)
    if hf and not (
        (math.isfinite(p) and p < 0.001)
        or (rec["model"] == "four_pl" and not rec.get("hill_fixed", False))
    ):
        hf = []
    flags += hf
    flags += cheng_prusoff_flags(
        rec["model"],
        rec["hill"],
        p,
        rec["ki_M"],
        "Ki = IC50 / (1 + [S]/Km)",
        hill_fixed=bool(rec.get("hill_fixed", False)),
    )
    flags += open_ci_flags("Ki", rec["ki_M"], rec["ki_ci_low_M"], rec["ki_ci_high_M"])
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
            raise UsageError(f"curve={curve!r}: the result has {len(curves)} curve(s)")
        return int(curve)
    if isinstance(curve, str):
        hits = [i for i, c in enumerate(curves["compound"].astype(str)) if c == curve]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise UsageError(
                f"no curve of compound {curve!r} (compounds: "
                f"{', '.join(dict.fromkeys(curves['compound'].astype(str)))})"
            )
        raise UsageError(f"compound {curve!r} has {len(hits)} curves; pass the curve index")
    return fits.index_of(curve)


def plot_uptake(result: UptakeResult, curve: Any = None, ax: Axes | None = None) -> Axes:
    """Specific uptake (% of control) vs log inhibitor: mean ± SD, fit, its confidence band
    (at the result's level), Ki.

    ``curve`` is an index, a compound name or a label tuple
    ``(experiment, compound, target)``; ``None`` draws every curve (the
    IC50/Ki annotation only when there is one).
    """
    import matplotlib.pyplot as plt

    if result.fits is None or result.curves.empty:
        raise UsageError("the result has no inhibition curve to plot")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.0))
    idx = (
        list(range(len(result.fits.labels)))
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
            band_label=ci_words(result.level),
        )
    ax.set_xlabel("log10 [inhibitor] (M)")
    ax.set_title("synaptosomal uptake inhibition")
    return ax


_Z_GROUPS = "control vs nonspecific uptake"


def _z_by_plate(qc: pd.DataFrame) -> dict[str, float]:
    """Each plate's Z' from the plate QC table (none when the table has no Z')."""
    if qc.empty or "z_prime" not in qc.columns:
        return {}
    return {str(p): float(z) for p, z in zip(qc[C.PLATE], qc["z_prime"], strict=True)}
