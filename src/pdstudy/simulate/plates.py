"""Synthetic raw plates from known parameters: binding, uptake and protein assays.

Each simulator takes a layout frame (from :mod:`pdstudy.design.plates` or a
layout file) and returns a copy with the measured columns a plate reader or
scintillation counter would give, plus the ground truth:

measured
    ``cpm``, ``dpm``, ``count_time_s``, ``signal`` (= ``cpm``) for the
    radioactive assays; ``signal`` (absorbance) for the protein plate.
truth
    ``true_*`` columns, one value per well: ``true_specific_cpm``,
    ``true_nonspecific_cpm``, ``true_cpm`` (the noise-free expectation of
    ``cpm``, background included), ``true_outlier`` (bool: the well was replaced
    by a wild value), plus assay-specific ones. Scalar parameters (IC50 per
    compound, receptor concentration, seed...) are in ``frame.attrs["truth"]``
    (a dict; pandas may drop ``attrs`` in some operations, the columns stay).
    :func:`without_truth` strips both, leaving what an instrument would write.

Noise model, applied per well in this order (every draw from one
``numpy.random.Generator``, so the same ``seed`` gives the same plate):

1. the radioactivity that reaches the filter, ``specific + nonspecific``, is
   multiplied by ``(1 + pipetting_cv * z1)`` (volume error of the dispensed
   solutions) and by ``(1 + cv * z2)`` (other well-to-well variation), z
   standard normal; the mean is unchanged, the variance of the product is
   ``mu**2 * ((1 + pipetting_cv**2) * (1 + cv**2) - 1)``;
2. the counter background ``background_cpm`` is added;
3. ``outliers`` wells (a count, or a fraction of the wells) are replaced by a
   wild value ``true_cpm * 10**(+-U(0.5, 1))``;
4. counting noise: ``counts ~ Poisson(cpm * count_time_s / 60)`` and
   ``cpm = counts * 60 / count_time_s`` (variance ``cpm / (count_time_s / 60)``).

``dpm = cpm / efficiency`` (constant efficiency, no background subtraction).
With ``cv=0, pipetting_cv=0, counting_noise=False`` the output equals the
analytic model exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.design.plates import BCA_STANDARDS_UG_PER_ML, protein_layout
from pdstudy.errors import LayoutError, UsageError
from pdstudy.io.wells import require_well
from pdstudy.simulate.defaults import (
    COMPETITION,
    COUNTING,
    DPM_PER_CI,
    PROTEIN,
    SATURATION,
    UPTAKE,
)

__all__ = [
    "competition_specific",
    "depleted_bound",
    "simulate_competition",
    "simulate_protein_plate",
    "simulate_saturation",
    "simulate_uptake",
    "without_truth",
]

Rng = np.random.Generator
PerCompound = float | Mapping[str, float]


# ------------------------------------------------------------------ pure models


def competition_specific(
    conc_M: np.ndarray | float, *, window: float, ic50_M: float, hill: float = 1.0
) -> np.ndarray:
    """Specific signal left at competitor ``conc_M``: ``window / (1 + 10**((logX - logIC50) * hill))``.

    ``conc_M == 0`` gives ``window``.
    """
    x = np.asarray(conc_M, dtype=float)
    with np.errstate(divide="ignore"):
        ratio = np.where(x > 0, (x / ic50_M) ** hill, 0.0)
    return np.asarray(window / (1.0 + ratio))


def depleted_bound(
    receptor_M: np.ndarray | float, ligand_M: np.ndarray | float, kd_M: np.ndarray | float
) -> np.ndarray:
    """Bound ligand (M) with ligand depletion: the exact root of the mass-action quadratic.

    Solves ``B = R (L - B) / (Kd + L - B)`` for ``0 <= B <= min(R, L)``, i.e.
    ``B**2 - (R + L + Kd) B + R L = 0``, written as
    ``B = 2 R L / (b + sqrt(b**2 - 4 R L))`` with ``b = R + L + Kd`` (no
    cancellation when R or L is small).
    """
    r = np.asarray(receptor_M, dtype=float)
    lig = np.asarray(ligand_M, dtype=float)
    k = np.asarray(kd_M, dtype=float)
    b = r + lig + k
    disc = np.maximum(b * b - 4.0 * r * lig, 0.0)
    denom = b + np.sqrt(disc)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(denom > 0, 2.0 * r * lig / denom, 0.0)
    return np.asarray(out)


# ------------------------------------------------------------------ helpers


def _rng(rng: Rng | None, seed: int | None) -> Rng:
    if rng is not None and seed is not None:
        raise UsageError("pass either rng or seed, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        return rng
    return np.random.default_rng(seed)


def _prepare(layout: pd.DataFrame, roles: Iterable[str], function: str) -> pd.DataFrame:
    """Copy the layout, check wells and roles; name the well at fault in errors."""
    if not isinstance(layout, pd.DataFrame):
        raise TypeError(f"{function}: layout must be a pandas DataFrame")
    if layout.empty:
        raise LayoutError("the layout has no wells", where=function)
    for col in ("well", "role"):
        if col not in layout.columns:
            raise LayoutError(f"the layout has no {col!r} column", where=function)
    frame = layout.copy().reset_index(drop=True)
    if "plate" not in frame.columns:
        frame.insert(0, "plate", "1")
    allowed = tuple(roles)
    seen: set[tuple[str, tuple[int, int]]] = set()
    for plate, well, role in zip(frame["plate"], frame["well"], frame["role"], strict=True):
        where = f"plate {plate}, well {well}"
        key = (str(plate), require_well(str(well), where=where))
        if key in seen:
            raise LayoutError("the well appears twice in the layout", where=where)
        seen.add(key)
        if role not in allowed:
            raise LayoutError(
                f"role {role!r} is not a role of this assay ({', '.join(allowed)})", where=where
            )
    return frame


def _concs(frame: pd.DataFrame, mask: np.ndarray, function: str, what: str) -> np.ndarray:
    if "conc_M" not in frame.columns:
        raise LayoutError(f"the layout has no 'conc_M' column ({what})", where=function)
    conc = pd.to_numeric(frame["conc_M"], errors="coerce").to_numpy(dtype=float)
    bad = mask & ~(np.isfinite(conc) & (conc >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = frame["conc_M"].iloc[i]
        raw = raw.item() if isinstance(raw, np.generic) else raw
        raise LayoutError(
            f"conc_M={raw!r} is not a concentration >= 0 ({what})",
            where=f"plate {frame['plate'].iloc[i]}, well {frame['well'].iloc[i]}",
        )
    return conc


def _per_compound(
    value: PerCompound, compounds: Sequence[str], name: str, frame: pd.DataFrame, mask: np.ndarray
) -> dict[str, float]:
    if isinstance(value, Mapping):
        out = {}
        for c in compounds:
            if c not in value:
                i = int(np.flatnonzero(mask & (frame["compound"].astype(str) == c).to_numpy())[0])
                raise LayoutError(
                    f"no {name} given for compound {c!r} (known: {', '.join(map(str, value))})",
                    where=f"plate {frame['plate'].iloc[i]}, well {frame['well'].iloc[i]}",
                )
            out[c] = float(value[c])
    else:
        out = {c: float(value) for c in compounds}
    for c, v in out.items():
        if not (math.isfinite(v) and v > 0):
            raise UsageError(f"{name} for {c!r} is {v!r}; it must be positive and finite")
    return out


def _from_layout(
    frame: pd.DataFrame, column: str, value: float | None, default: float, function: str
) -> float:
    """A scalar that may also be declared in the layout (e.g. ``radioligand_M``)."""
    declared = None
    if column in frame.columns:
        vals = pd.to_numeric(frame[column], errors="coerce").dropna().unique()
        if len(vals) > 1:
            raise LayoutError(
                f"the layout has several {column} values {list(vals)}", where=function
            )
        if len(vals) == 1:
            declared = float(vals[0])
    if value is None:
        value = declared if declared is not None else default
    elif declared is not None and not math.isclose(value, declared, rel_tol=1e-9):
        raise LayoutError(
            f"{column}={value!r} contradicts the layout's {column} column ({declared!r})",
            where=function,
        )
    if not (math.isfinite(value) and value > 0):
        raise UsageError(f"{column}={value!r} must be a positive concentration")
    return float(value)


def _check_nonneg(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise UsageError(f"{name}={v!r} must be a finite number >= 0")


def _check_pos(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise UsageError(f"{name}={v!r} must be a positive, finite number")


def _n_outliers(outliers: float, n: int) -> int:
    if isinstance(outliers, bool) or not isinstance(outliers, (int, float, np.integer)):
        raise UsageError(f"outliers={outliers!r}: give a number of wells or a fraction in [0, 1)")
    if isinstance(outliers, (int, np.integer)):
        k = int(outliers)
    elif 0 <= outliers < 1:
        k = int(round(outliers * n))
    else:
        raise UsageError(f"outliers={outliers!r}: a fraction must be in [0, 1); give counts as int")
    if not 0 <= k <= n:
        raise UsageError(f"outliers={outliers!r}: the plate has {n} wells")
    return k


def _noisy(
    bound_cpm: np.ndarray,
    background_cpm: float,
    *,
    cv: float,
    pipetting_cv: float,
    counting_noise: bool,
    count_time_s: float,
    outliers: float,
    rng: Rng,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the module's noise model; return (cpm, outlier mask)."""
    n = bound_cpm.size
    z_pip = rng.standard_normal(n)
    z_cv = rng.standard_normal(n)
    factor = np.clip(1.0 + pipetting_cv * z_pip, 0.0, None) * np.clip(1.0 + cv * z_cv, 0.0, None)
    cpm = bound_cpm * factor + background_cpm
    k = _n_outliers(outliers, n)
    mask = np.zeros(n, dtype=bool)
    if k:
        idx = rng.choice(n, size=k, replace=False)
        mask[idx] = True
        sign = rng.choice(np.array([-1.0, 1.0]), size=k)
        cpm[idx] = (bound_cpm[idx] + background_cpm) * 10.0 ** (sign * rng.uniform(0.5, 1.0, k))
    if counting_noise:
        minutes = count_time_s / 60.0
        cpm = rng.poisson(cpm * minutes) / minutes
    return cpm, mask


def _measure(
    frame: pd.DataFrame,
    *,
    specific: np.ndarray,
    nonspecific: np.ndarray,
    background_cpm: float,
    efficiency: float,
    cv: float,
    pipetting_cv: float,
    counting_noise: bool,
    count_time_s: float,
    outliers: float,
    rng: Rng,
    truth: dict[str, Any],
) -> pd.DataFrame:
    _check_nonneg(cv=cv, pipetting_cv=pipetting_cv, background_cpm=background_cpm)
    _check_pos(count_time_s=count_time_s)
    if not (0 < efficiency <= 1):
        raise UsageError(f"efficiency={efficiency!r} must be in (0, 1]")
    cpm, mask = _noisy(
        specific + nonspecific,
        background_cpm,
        cv=cv,
        pipetting_cv=pipetting_cv,
        counting_noise=counting_noise,
        count_time_s=count_time_s,
        outliers=outliers,
        rng=rng,
    )
    frame["cpm"] = cpm
    frame["dpm"] = cpm / efficiency
    frame["count_time_s"] = float(count_time_s)
    frame["signal"] = cpm
    frame["true_specific_cpm"] = specific
    frame["true_nonspecific_cpm"] = nonspecific
    frame["true_cpm"] = specific + nonspecific + background_cpm
    frame["true_outlier"] = mask
    truth.update(
        {
            "efficiency": efficiency,
            "background_cpm": background_cpm,
            "cv": cv,
            "pipetting_cv": pipetting_cv,
            "counting_noise": counting_noise,
            "count_time_s": count_time_s,
            "outlier_wells": [
                f"{p}:{w}" for p, w in zip(frame["plate"][mask], frame["well"][mask], strict=True)
            ],
        }
    )
    frame.attrs["truth"] = truth
    return frame


def without_truth(frame: pd.DataFrame) -> pd.DataFrame:
    """The simulated plate without ``true_*`` columns and ``attrs["truth"]``: what an instrument gives."""
    out = frame.drop(columns=[c for c in frame.columns if str(c).startswith("true_")])
    out.attrs = {k: v for k, v in frame.attrs.items() if k != "truth"}
    return out


def _dpm_per_mol(specific_activity_Ci_per_mmol: float) -> float:
    return specific_activity_Ci_per_mmol * 1e3 * DPM_PER_CI


# ------------------------------------------------------------------ competition


def simulate_competition(
    layout: pd.DataFrame,
    *,
    ki_M: PerCompound = COMPETITION.ki_M,
    kd_M: float = COMPETITION.kd_M,
    radioligand_M: float | None = None,
    hill: PerCompound = COMPETITION.hill,
    bmax_cpm: float = COMPETITION.bmax_cpm,
    nsb_fraction: float = COMPETITION.nsb_fraction,
    background_cpm: float = COUNTING.background_cpm,
    cv: float = COUNTING.cv,
    pipetting_cv: float = COUNTING.pipetting_cv,
    counting_noise: bool = True,
    count_time_s: float = COUNTING.count_time_s,
    outliers: float = 0,
    depletion: bool = False,
    specific_activity_Ci_per_mmol: float = COMPETITION.specific_activity_Ci_per_mmol,
    volume_uL: float = COMPETITION.volume_uL,
    efficiency: float = COUNTING.efficiency,
    rng: Rng | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a radioligand competition plate (scintillation counts per well).

    Model (roles of :func:`pdstudy.design.plates.competition_layout`):

    - ``competition``: ``specific = bmax_cpm / (1 + 10**((logX - logIC50) * hill))``
      with ``IC50 = Ki (1 + [L]/Kd)`` (Cheng-Prusoff), plus NSB;
    - ``total``: ``bmax_cpm`` + NSB; ``nsb``: NSB only (the 10 µM blocker is
      taken to block completely); ``blank``: background only;
    - NSB (CPM) is ``nsb_fraction / (1 - nsb_fraction) * bmax_cpm``, constant,
      so that NSB / total = ``nsb_fraction`` at zero competitor (background
      excluded).

    With ``depletion=True`` the radioligand is depleted by binding: the
    radioligand added is ``[L] * volume`` in DPM from the specific activity,
    the receptor concentration ``R`` is chosen so that the bound CPM at zero
    competitor is still ``bmax_cpm``, and each well's bound radioligand is the
    exact quadratic root (:func:`depleted_bound`) with the competitor raising
    the apparent Kd to ``Kd (1 + (X/K*)**hill)``, ``K* = Ki (1 + [L]/Kd)**(1 - 1/hill)``
    (``K* = Ki`` for hill 1, and the curve reduces to the Hill equation above
    when ``R -> 0``). The competitor is not depleted. The bound fraction of
    the added radioligand is in ``attrs["truth"]["bound_fraction"]``.

    Parameters
    ----------
    layout
        Layout frame with ``well``, ``role``, ``compound``, ``conc_M``.
    ki_M, hill
        Per compound (mapping) or one value for all competition wells.
        Default: norclomipramine at NET, 0.5 nM (see ``simulate.defaults``).
    kd_M
        Radioligand Kd (default [3H]nisoxetine 0.8 nM, Tejani-Butt 1992).
    radioligand_M
        Radioligand concentration; default from the layout's ``radioligand_M``
        column, else 1 nM (protocol: 1-5 nM).
    bmax_cpm
        Specific binding window at zero competitor, CPM.
    nsb_fraction
        NSB as a fraction of total binding, in [0, 1).
    background_cpm, cv, pipetting_cv, counting_noise, count_time_s, outliers
        Noise model (module docstring). ``outliers``: an int number of wells or
        a float fraction of wells.
    depletion, specific_activity_Ci_per_mmol, volume_uL, efficiency
        Ligand-depletion model and the conversion counts <-> moles.
    rng, seed
        Random source; the same seed gives the same plate.

    Returns
    -------
    pandas.DataFrame
        The layout plus ``cpm``, ``dpm``, ``count_time_s``, ``signal`` and the
        ``true_*`` columns (including ``true_ic50_M``, NaN outside competition
        wells); scalars in ``attrs["truth"]``.
    """
    function = "simulate_competition"
    frame = _prepare(layout, ("total", "nsb", "competition", "blank"), function)
    gen = _rng(rng, seed)
    role = frame["role"].to_numpy()
    comp_mask = role == "competition"
    conc = _concs(frame, comp_mask, function, "competitor concentration")
    if comp_mask.any() and "compound" not in frame.columns:
        raise LayoutError("the layout has no 'compound' column", where=function)
    compounds = (
        list(dict.fromkeys(frame.loc[comp_mask, "compound"].astype(str))) if comp_mask.any() else []
    )
    kis = _per_compound(ki_M, compounds, "ki_M", frame, comp_mask)
    hills = _per_compound(hill, compounds, "hill", frame, comp_mask)
    lig = _from_layout(frame, "radioligand_M", radioligand_M, COMPETITION.radioligand_M, function)
    _check_pos(kd_M=kd_M, bmax_cpm=bmax_cpm, volume_uL=volume_uL)
    if not (0 <= nsb_fraction < 1):
        raise UsageError(f"nsb_fraction={nsb_fraction!r} must be in [0, 1)")
    if not (0 < efficiency <= 1):
        raise UsageError(f"efficiency={efficiency!r} must be in (0, 1]")

    ic50s = {c: kis[c] * (1.0 + lig / kd_M) for c in compounds}
    x = np.where(comp_mask, conc, 0.0)
    ic50_col = np.full(len(frame), np.nan)
    hill_col = np.ones(len(frame))
    ki_col = np.full(len(frame), np.nan)
    names = frame["compound"].astype(str).to_numpy() if "compound" in frame.columns else None
    for c in compounds:
        sel = comp_mask & (names == c)
        ic50_col[sel] = ic50s[c]
        hill_col[sel] = hills[c]
        ki_col[sel] = kis[c]

    truth: dict[str, Any] = {
        "assay": "competition",
        "ki_M": kis,
        "ic50_M": ic50s,
        "hill": hills,
        "kd_M": kd_M,
        "radioligand_M": lig,
        "bmax_cpm": bmax_cpm,
        "nsb_fraction": nsb_fraction,
        "depletion": depletion,
        "seed": seed,
    }
    volume_L = volume_uL * 1e-6
    cpm_per_M = volume_L * _dpm_per_mol(specific_activity_Ci_per_mmol) * efficiency
    added_cpm = lig * cpm_per_M
    truth["added_cpm"] = added_cpm

    if depletion:
        _check_pos(specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol)
        b0 = bmax_cpm / cpm_per_M
        if b0 >= lig:
            raise UsageError(
                f"bmax_cpm={bmax_cpm:g} is more than the radioligand added "
                f"({added_cpm:.0f} CPM at {lig:g} M in {volume_uL:g} µL); "
                "lower bmax_cpm or raise radioligand_M / specific activity"
            )
        receptor = b0 * (kd_M + lig - b0) / (lig - b0)
        k_star = np.where(comp_mask, ki_col * (1.0 + lig / kd_M) ** (1.0 - 1.0 / hill_col), 1.0)
        with np.errstate(divide="ignore"):
            occ_ratio = np.where(comp_mask & (x > 0), (x / k_star) ** hill_col, 0.0)
        kd_app = kd_M * (1.0 + occ_ratio)
        specific = depleted_bound(receptor, lig, kd_app) * cpm_per_M
        truth.update({"receptor_M": receptor, "bound_fraction": b0 / lig})
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(comp_mask & (x > 0), (x / ic50_col) ** hill_col, 0.0)
        specific = bmax_cpm / (1.0 + ratio)
        truth["bound_fraction"] = bmax_cpm / added_cpm
    specific = np.where((role == "nsb") | (role == "blank"), 0.0, specific)
    nsb_cpm = nsb_fraction / (1.0 - nsb_fraction) * bmax_cpm
    nonspecific = np.where(role == "blank", 0.0, nsb_cpm)
    truth["nsb_cpm"] = nsb_cpm

    frame["true_ic50_M"] = ic50_col
    return _measure(
        frame,
        specific=specific,
        nonspecific=nonspecific,
        background_cpm=background_cpm,
        efficiency=efficiency,
        cv=cv,
        pipetting_cv=pipetting_cv,
        counting_noise=counting_noise,
        count_time_s=count_time_s,
        outliers=outliers,
        rng=gen,
        truth=truth,
    )


# ------------------------------------------------------------------ saturation


def simulate_saturation(
    layout: pd.DataFrame,
    *,
    kd_M: float = SATURATION.kd_M,
    bmax_fmol_per_mg: float = SATURATION.bmax_fmol_per_mg,
    protein_mg_per_well: float = SATURATION.protein_mg_per_well,
    specific_activity_Ci_per_mmol: float = SATURATION.specific_activity_Ci_per_mmol,
    efficiency: float = COUNTING.efficiency,
    ns_slope: float = SATURATION.ns_slope,
    volume_uL: float = SATURATION.volume_uL,
    depletion: bool = False,
    background_cpm: float = COUNTING.background_cpm,
    cv: float = COUNTING.cv,
    pipetting_cv: float = COUNTING.pipetting_cv,
    counting_noise: bool = True,
    count_time_s: float = COUNTING.count_time_s,
    outliers: float = 0,
    rng: Rng | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a saturation binding plate (layout of :func:`~pdstudy.design.plates.saturation_layout`).

    ``conc_M`` is the radioligand concentration [L] of each ``total``/``nsb``
    well. In moles per well:

    - specific = ``Bmax * [L] / (Kd + [L])``, ``Bmax = bmax_fmol_per_mg * protein``
      (``nsb`` wells: 0, fully blocked); with ``depletion=True`` the exact
      quadratic root with ``R = Bmax / volume`` (:func:`depleted_bound`);
    - nonspecific = ``ns_slope * [L] * volume`` (linear in [L]);
    - CPM = moles x specific activity x 2.22e12 DPM/Ci x efficiency.

    Extra columns: ``added_dpm`` (radioligand added per well, what counting
    an aliquot of the radioligand gives), ``true_specific_fmol``,
    ``true_free_M`` (``[L]`` minus specifically bound, i.e. ``[L]`` without
    depletion).
    """
    function = "simulate_saturation"
    frame = _prepare(layout, ("total", "nsb", "blank"), function)
    gen = _rng(rng, seed)
    role = frame["role"].to_numpy()
    lig_mask = role != "blank"
    lig = np.where(lig_mask, _concs(frame, lig_mask, function, "radioligand concentration"), 0.0)
    _check_pos(
        kd_M=kd_M,
        bmax_fmol_per_mg=bmax_fmol_per_mg,
        protein_mg_per_well=protein_mg_per_well,
        specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol,
        volume_uL=volume_uL,
    )
    _check_nonneg(ns_slope=ns_slope)
    if not (0 < efficiency <= 1):
        raise UsageError(f"efficiency={efficiency!r} must be in (0, 1]")
    volume_L = volume_uL * 1e-6
    bmax_mol = bmax_fmol_per_mg * 1e-15 * protein_mg_per_well
    receptor_M = bmax_mol / volume_L
    if depletion:
        bound_M = depleted_bound(receptor_M, lig, kd_M)
    else:
        bound_M = receptor_M * lig / (kd_M + lig)
    bound_M = np.where(role == "total", bound_M, 0.0)
    cpm_per_mol = _dpm_per_mol(specific_activity_Ci_per_mmol) * efficiency
    specific = bound_M * volume_L * cpm_per_mol
    nonspecific = ns_slope * lig * volume_L * cpm_per_mol
    frame["added_dpm"] = lig * volume_L * _dpm_per_mol(specific_activity_Ci_per_mmol)
    frame["true_specific_fmol"] = bound_M * volume_L * 1e15
    frame["true_free_M"] = np.where(lig_mask, lig - (bound_M if depletion else 0.0), 0.0)
    truth: dict[str, Any] = {
        "assay": "saturation",
        "kd_M": kd_M,
        "bmax_fmol_per_mg": bmax_fmol_per_mg,
        "protein_mg_per_well": protein_mg_per_well,
        "bmax_cpm": bmax_mol * cpm_per_mol,
        "receptor_M": receptor_M,
        "specific_activity_Ci_per_mmol": specific_activity_Ci_per_mmol,
        "ns_slope": ns_slope,
        "volume_uL": volume_uL,
        "depletion": depletion,
        "seed": seed,
    }
    return _measure(
        frame,
        specific=specific,
        nonspecific=nonspecific,
        background_cpm=background_cpm,
        efficiency=efficiency,
        cv=cv,
        pipetting_cv=pipetting_cv,
        counting_noise=counting_noise,
        count_time_s=count_time_s,
        outliers=outliers,
        rng=gen,
        truth=truth,
    )


# ------------------------------------------------------------------ uptake


def simulate_uptake(
    layout: pd.DataFrame,
    *,
    ki_M: PerCompound | None = None,
    ic50_M: PerCompound | None = None,
    substrate_M: float | None = None,
    km_M: float = UPTAKE.km_M,
    hill: PerCompound = UPTAKE.hill,
    vmax_pmol_per_mg_per_min: float = UPTAKE.vmax_pmol_per_mg_per_min,
    protein_mg_per_well: float = UPTAKE.protein_mg_per_well,
    incubation_s: float = UPTAKE.incubation_s,
    specific_activity_Ci_per_mmol: float = UPTAKE.specific_activity_Ci_per_mmol,
    efficiency: float = COUNTING.efficiency,
    nonspecific_fraction: float = UPTAKE.nonspecific_fraction,
    background_cpm: float = COUNTING.background_cpm,
    cv: float = COUNTING.cv,
    pipetting_cv: float = COUNTING.pipetting_cv,
    counting_noise: bool = True,
    count_time_s: float = COUNTING.count_time_s,
    outliers: float = 0,
    rng: Rng | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a synaptosomal [3H]-NE uptake-inhibition plate (layout of ``uptake_layout``).

    Specific (transporter-mediated) uptake in a control well over the
    incubation, in pmol: ``Vmax * S / (Km + S) * protein * t`` (initial-rate
    regime); an inhibitor at X leaves ``1 / (1 + (X/IC50)**hill)`` of it, with
    ``IC50 = Ki (1 + S/Km)`` for a competitive inhibitor when ``ki_M`` is given
    (default: norclomipramine 0.5 nM), or ``ic50_M`` directly.
    Nonspecific uptake (diffusion, binding, non-NET uptake) is the same in
    every well: ``nonspecific_fraction`` of control uptake (default 0.66, since
    only ~34 % of cortical uptake is desipramine-sensitive, Michel 1984).
    Roles: ``control`` = specific + nonspecific, ``nsb`` (desipramine or
    4 °C) = nonspecific, ``competition`` = inhibited specific + nonspecific,
    ``blank`` = background. Extra column ``true_specific_fmol``.
    """
    function = "simulate_uptake"
    frame = _prepare(layout, ("control", "nsb", "competition", "blank"), function)
    gen = _rng(rng, seed)
    role = frame["role"].to_numpy()
    comp_mask = role == "competition"
    conc = _concs(frame, comp_mask, function, "inhibitor concentration")
    if comp_mask.any() and "compound" not in frame.columns:
        raise LayoutError("the layout has no 'compound' column", where=function)
    compounds = (
        list(dict.fromkeys(frame.loc[comp_mask, "compound"].astype(str))) if comp_mask.any() else []
    )
    if ki_M is not None and ic50_M is not None:
        raise UsageError("give ki_M or ic50_M, not both")
    sub = _from_layout(frame, "substrate_M", substrate_M, UPTAKE.substrate_M, function)
    _check_pos(
        km_M=km_M,
        vmax_pmol_per_mg_per_min=vmax_pmol_per_mg_per_min,
        protein_mg_per_well=protein_mg_per_well,
        incubation_s=incubation_s,
        specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol,
    )
    if not (0 <= nonspecific_fraction < 1):
        raise UsageError(f"nonspecific_fraction={nonspecific_fraction!r} must be in [0, 1)")
    if not (0 < efficiency <= 1):
        raise UsageError(f"efficiency={efficiency!r} must be in (0, 1]")
    hills = _per_compound(hill, compounds, "hill", frame, comp_mask)
    if ic50_M is not None:
        ic50s = _per_compound(ic50_M, compounds, "ic50_M", frame, comp_mask)
        kis = {c: v / (1.0 + sub / km_M) for c, v in ic50s.items()}
    else:
        kis = _per_compound(
            UPTAKE.ki_M if ki_M is None else ki_M, compounds, "ki_M", frame, comp_mask
        )
        ic50s = {c: v * (1.0 + sub / km_M) for c, v in kis.items()}

    ic50_col = np.full(len(frame), np.nan)
    hill_col = np.ones(len(frame))
    if compounds:
        names = frame["compound"].astype(str).to_numpy()
        for c in compounds:
            sel = comp_mask & (names == c)
            ic50_col[sel] = ic50s[c]
            hill_col[sel] = hills[c]
    control_pmol = (
        vmax_pmol_per_mg_per_min * sub / (km_M + sub) * protein_mg_per_well * incubation_s / 60.0
    )
    x = np.where(comp_mask, conc, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(comp_mask & (x > 0), (x / ic50_col) ** hill_col, 0.0)
    specific_pmol = np.where((role == "control") | comp_mask, control_pmol / (1.0 + ratio), 0.0)
    cpm_per_pmol = 1e-12 * _dpm_per_mol(specific_activity_Ci_per_mmol) * efficiency
    specific = specific_pmol * cpm_per_pmol
    ns_cpm = nonspecific_fraction / (1.0 - nonspecific_fraction) * control_pmol * cpm_per_pmol
    nonspecific = np.where(role == "blank", 0.0, ns_cpm)
    frame["true_ic50_M"] = ic50_col
    frame["true_specific_fmol"] = specific_pmol * 1e3
    truth: dict[str, Any] = {
        "assay": "uptake",
        "ki_M": kis,
        "ic50_M": ic50s,
        "hill": hills,
        "substrate_M": sub,
        "km_M": km_M,
        "control_specific_pmol": control_pmol,
        "control_specific_cpm": control_pmol * cpm_per_pmol,
        "nonspecific_cpm": ns_cpm,
        "nonspecific_fraction": nonspecific_fraction,
        "seed": seed,
    }
    return _measure(
        frame,
        specific=specific,
        nonspecific=nonspecific,
        background_cpm=background_cpm,
        efficiency=efficiency,
        cv=cv,
        pipetting_cv=pipetting_cv,
        counting_noise=counting_noise,
        count_time_s=count_time_s,
        outliers=outliers,
        rng=gen,
        truth=truth,
    )


# ------------------------------------------------------------------ protein


def simulate_protein_plate(
    layout: pd.DataFrame | None = None,
    *,
    samples_ug_per_mL: Mapping[str, float] | None = None,
    standards_ug_per_mL: Sequence[float] = BCA_STANDARDS_UG_PER_ML,
    standard_replicates: int = 2,
    sample_replicates: int = 3,
    plate_format: int = 96,
    blank_absorbance: float = PROTEIN.blank_absorbance,
    slope_per_ug_per_mL: float = PROTEIN.slope_per_ug_per_mL,
    curvature_per_ug2_per_mL2: float = PROTEIN.curvature_per_ug2_per_mL2,
    cv: float = PROTEIN.cv,
    sd_absorbance: float = PROTEIN.sd_absorbance,
    outliers: float = 0,
    rng: Rng | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a BCA/Bradford standard-curve plate (absorbance per well).

    Without ``layout`` one is built with
    :func:`~pdstudy.design.plates.protein_layout` from the standards and the
    sample names. Response: ``A = blank + slope * c + curvature * c**2``
    (mildly saturating; must rise over the concentrations used), then
    ``signal = A * (1 + cv * z1) + sd_absorbance * z2``; outlier wells get
    ``A * 10**(+-U(0.3, 0.6))``.

    Returns
    -------
    pandas.DataFrame
        Layout columns (``role`` blank/standard/sample, ``sample``,
        ``protein_ug_per_mL``: known for blanks and standards, NaN for samples)
        plus ``signal`` (absorbance), ``true_protein_ug_per_mL``,
        ``true_signal``, ``true_outlier``; coefficients in ``attrs["truth"]``.
    """
    function = "simulate_protein_plate"
    samples = dict(PROTEIN.samples_ug_per_mL if samples_ug_per_mL is None else samples_ug_per_mL)
    for name, v in samples.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise UsageError(f"sample {name!r}: true concentration {v!r} must be >= 0 µg/mL")
    if layout is None:
        layout = protein_layout(
            list(samples),
            standards_ug_per_mL=standards_ug_per_mL,
            standard_replicates=standard_replicates,
            sample_replicates=sample_replicates,
            plate_format=plate_format,
        )
    frame = _prepare(layout, ("blank", "standard", "sample"), function)
    gen = _rng(rng, seed)
    _check_nonneg(cv=cv, sd_absorbance=sd_absorbance)
    role = frame["role"].to_numpy()
    known = (
        pd.to_numeric(frame["protein_ug_per_mL"], errors="coerce").to_numpy(dtype=float)
        if "protein_ug_per_mL" in frame.columns
        else np.full(len(frame), np.nan)
    )
    true = np.where(role == "blank", 0.0, known)
    for i in np.flatnonzero(role == "standard"):
        if not (math.isfinite(true[i]) and true[i] >= 0):
            raise LayoutError(
                "standard well without a protein_ug_per_mL value",
                where=f"plate {frame['plate'].iloc[i]}, well {frame['well'].iloc[i]}",
            )
    if (role == "sample").any() and "sample" not in frame.columns:
        raise LayoutError("the layout has sample wells but no 'sample' column", where=function)
    for i in np.flatnonzero(role == "sample"):
        name = str(frame["sample"].iloc[i])
        if name not in samples:
            raise LayoutError(
                f"no true concentration for sample {name!r} (give samples_ug_per_mL)",
                where=f"plate {frame['plate'].iloc[i]}, well {frame['well'].iloc[i]}",
            )
        true[i] = samples[name]
    top = float(np.nanmax(true))
    if curvature_per_ug2_per_mL2 < 0:
        vertex = -slope_per_ug_per_mL / (2 * curvature_per_ug2_per_mL2)
        if top > vertex:
            raise UsageError(
                f"the quadratic response peaks at {vertex:.0f} µg/mL, below the top "
                f"concentration {top:g} µg/mL; reduce the curvature"
            )
    absorb = blank_absorbance + slope_per_ug_per_mL * true + curvature_per_ug2_per_mL2 * true**2
    n = len(frame)
    signal = absorb * (1.0 + cv * gen.standard_normal(n)) + sd_absorbance * gen.standard_normal(n)
    k = _n_outliers(outliers, n)
    mask = np.zeros(n, dtype=bool)
    if k:
        idx = gen.choice(n, size=k, replace=False)
        mask[idx] = True
        sign = gen.choice(np.array([-1.0, 1.0]), size=k)
        signal[idx] = absorb[idx] * 10.0 ** (sign * gen.uniform(0.3, 0.6, k))
    frame["signal"] = signal
    frame["true_protein_ug_per_mL"] = true
    frame["true_signal"] = absorb
    frame["true_outlier"] = mask
    frame.attrs["truth"] = {
        "assay": "protein",
        "blank_absorbance": blank_absorbance,
        "slope_per_ug_per_mL": slope_per_ug_per_mL,
        "curvature_per_ug2_per_mL2": curvature_per_ug2_per_mL2,
        "samples_ug_per_mL": samples,
        "cv": cv,
        "sd_absorbance": sd_absorbance,
        "outlier_wells": [
            f"{p}:{w}" for p, w in zip(frame["plate"][mask], frame["well"][mask], strict=True)
        ],
        "seed": seed,
    }
    return frame


# ------------------------------------------------------------------ uptake kinetics


def simulate_uptake_kinetics(
    layout: pd.DataFrame,
    *,
    km_M: float = UPTAKE.km_M,
    vmax_pmol_per_mg_per_min: float = UPTAKE.vmax_pmol_per_mg_per_min,
    protein_mg_per_well: float = UPTAKE.protein_mg_per_well,
    incubation_s: float = UPTAKE.incubation_s,
    specific_activity_Ci_per_mmol: float = UPTAKE.specific_activity_Ci_per_mmol,
    hot_substrate_M: float | None = None,
    nonspecific_fraction: float = UPTAKE.nonspecific_fraction,
    efficiency: float = COUNTING.efficiency,
    background_cpm: float = COUNTING.background_cpm,
    cv: float = COUNTING.cv,
    pipetting_cv: float = COUNTING.pipetting_cv,
    counting_noise: bool = True,
    count_time_s: float = COUNTING.count_time_s,
    outliers: float = 0,
    rng: Rng | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a substrate-saturation (Km, Vmax) uptake plate.

    Layout: roles ``total`` (uptake at substrate concentration ``conc_M``),
    ``nsb`` (nonspecific uptake at ``conc_M``: desipramine or 4 °C) and
    ``blank``, e.g. :func:`~pdstudy.design.plates.saturation_layout` with the
    substrate as the "radioligand". In pmol per well over the incubation:

    - specific = ``Vmax * S / (Km + S) * protein * t`` (``nsb`` wells: 0);
    - nonspecific = ``k_ns * S * protein * t``, linear in S (diffusion and
      non-transporter uptake), with ``k_ns`` set so that nonspecific uptake is
      ``nonspecific_fraction`` of total uptake as S -> 0
      (``k_ns = f / (1 - f) * Vmax / Km``; default 0.66, Michel et al. 1984);
    - counts: without ``hot_substrate_M`` all substrate is labelled at
      ``specific_activity_Ci_per_mmol``; with it, wells above that
      concentration are isotopically diluted with unlabelled substrate, the
      specific activity falling to ``SA * hot / S``.

    Extra columns ``true_specific_fmol``, ``true_rate_pmol_per_mg_per_min``
    (specific); truth (Km, Vmax, k_ns...) in ``attrs["truth"]``.
    """
    function = "simulate_uptake_kinetics"
    frame = _prepare(layout, ("total", "nsb", "blank"), function)
    gen = _rng(rng, seed)
    role = frame["role"].to_numpy()
    sub_mask = role != "blank"
    s = np.where(sub_mask, _concs(frame, sub_mask, function, "substrate concentration"), 0.0)
    _check_pos(
        km_M=km_M,
        vmax_pmol_per_mg_per_min=vmax_pmol_per_mg_per_min,
        protein_mg_per_well=protein_mg_per_well,
        incubation_s=incubation_s,
        specific_activity_Ci_per_mmol=specific_activity_Ci_per_mmol,
    )
    if hot_substrate_M is not None:
        _check_pos(hot_substrate_M=hot_substrate_M)
    if not (0 <= nonspecific_fraction < 1):
        raise UsageError(f"nonspecific_fraction={nonspecific_fraction!r} must be in [0, 1)")
    if not (0 < efficiency <= 1):
        raise UsageError(f"efficiency={efficiency!r} must be in (0, 1]")
    minutes = incubation_s / 60.0
    rate = vmax_pmol_per_mg_per_min * s / (km_M + s)
    specific_pmol = np.where(role == "total", rate * protein_mg_per_well * minutes, 0.0)
    k_ns = nonspecific_fraction / (1.0 - nonspecific_fraction) * vmax_pmol_per_mg_per_min / km_M
    ns_pmol = np.where(sub_mask, k_ns * s * protein_mg_per_well * minutes, 0.0)
    sa = np.full(len(frame), float(specific_activity_Ci_per_mmol))
    if hot_substrate_M is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            sa = np.where(s > hot_substrate_M, sa * hot_substrate_M / s, sa)
    cpm_per_pmol = 1e-12 * sa * 1e3 * DPM_PER_CI * efficiency
    frame["true_specific_fmol"] = specific_pmol * 1e3
    frame["true_rate_pmol_per_mg_per_min"] = np.where(role == "total", rate, 0.0)
    truth: dict[str, Any] = {
        "assay": "uptake_kinetics",
        "km_M": km_M,
        "vmax_pmol_per_mg_per_min": vmax_pmol_per_mg_per_min,
        "protein_mg_per_well": protein_mg_per_well,
        "incubation_s": incubation_s,
        "specific_activity_Ci_per_mmol": specific_activity_Ci_per_mmol,
        "hot_substrate_M": hot_substrate_M,
        "nonspecific_per_M_pmol_per_mg_per_min": k_ns,
        "nonspecific_fraction": nonspecific_fraction,
        "seed": seed,
    }
    return _measure(
        frame,
        specific=specific_pmol * cpm_per_pmol,
        nonspecific=ns_pmol * cpm_per_pmol,
        background_cpm=background_cpm,
        efficiency=efficiency,
        cv=cv,
        pipetting_cv=pipetting_cv,
        counting_noise=counting_noise,
        count_time_s=count_time_s,
        outliers=outliers,
        rng=gen,
        truth=truth,
    )
