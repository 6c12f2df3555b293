"""Target-affinity profile: selectivity and predicted occupancy at a free concentration.

Pure numerics on tidy frames; files are read by :func:`pdstudy.io.profiles.read_profile`
(or :func:`pdstudy.data.load_profile` for the shipped compounds).

Occupancy follows the law of mass action for a competitive ligand at
equilibrium, ``occ = Cu / (Cu + Ki)``, where ``Cu`` is the *unbound*
concentration at the target: only free drug binds (free-drug hypothesis).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes

from pdstudy.errors import UsageError
from pdstudy.units import format_conc

__all__ = [
    "LIABILITIES",
    "ProfileResult",
    "compute_profile",
    "free_from_total",
    "liability",
    "liability_table",
    "merge_measured",
    "molecular_weight",
    "occupancy",
    "plot_occupancy",
]

ArrayLike = npt.ArrayLike


# --------------------------------------------------------------------------- basic numerics


def occupancy(conc_free_M: ArrayLike, ki_M: ArrayLike) -> Any:
    """Fractional occupancy ``Cu / (Cu + Ki)`` of a target by a competitive ligand.

    Parameters
    ----------
    conc_free_M
        Unbound (free) concentration at the target, molar. Broadcasts with ``ki_M``.
    ki_M
        Equilibrium inhibition (dissociation) constant, molar, > 0.

    Returns
    -------
    float or numpy.ndarray
        Occupancy in [0, 1); a float when both inputs are scalars.

    Raises
    ------
    UsageError
        A concentration is negative or not finite, or a Ki is not positive.
    """
    cu = np.asarray(conc_free_M, dtype=float)
    ki = np.asarray(ki_M, dtype=float)
    if np.any(~np.isfinite(cu)) or np.any(cu < 0):
        raise UsageError("free concentration must be finite and >= 0 (molar)")
    if np.any(~np.isfinite(ki)) or np.any(ki <= 0):
        raise UsageError("Ki must be finite and > 0 (molar)")
    occ = cu / (cu + ki)
    return float(occ) if occ.ndim == 0 else occ


def free_from_total(total_g_per_L: ArrayLike, mw_g_per_mol: float, fu: float) -> Any:
    """Unbound molar concentration from a total (bound + free) mass concentration.

    ``Cu = total / MW * fu``. Note 1 ng/mL = 1e-6 g/L.

    Parameters
    ----------
    total_g_per_L
        Total concentration in g/L (e.g. plasma; 4.4 ng/mL = 4.4e-6 g/L).
    mw_g_per_mol
        Molecular weight of the form that was measured (normally the free base:
        norclomipramine 300.8, clomipramine 314.9 g/mol; also in the profile's
        ``attrs["mw_g_per_mol"]``, see :func:`molecular_weight`).
    fu
        Unbound fraction in (0, 1] (plasma protein binding 98 % -> fu = 0.02).

    Returns
    -------
    float or numpy.ndarray
        Free concentration, molar.
    """
    total = np.asarray(total_g_per_L, dtype=float)
    if np.any(~np.isfinite(total)) or np.any(total < 0):
        raise UsageError("total concentration must be finite and >= 0 (g/L)")
    if not (math.isfinite(mw_g_per_mol) and mw_g_per_mol > 0):
        raise UsageError(f"molecular weight must be > 0 g/mol, got {mw_g_per_mol!r}")
    if not (0 < fu <= 1):
        raise UsageError(f"unbound fraction fu must be in (0, 1], got {fu!r}")
    free = total / mw_g_per_mol * fu
    return float(free) if free.ndim == 0 else free


def molecular_weight(profile_df: pd.DataFrame) -> float:
    """Molecular weight (g/mol) written in a profile file's header (``mw_g_per_mol``).

    Raises
    ------
    UsageError
        The profile carries no molecular weight (pass ``mw_g_per_mol`` explicitly).
    """
    mw = profile_df.attrs.get("mw_g_per_mol")
    if mw is None:
        raise UsageError(
            "the profile has no 'mw_g_per_mol' (add '# mw_g_per_mol: <value>' to the file "
            "header, or pass the molecular weight explicitly)"
        )
    return float(mw)


# --------------------------------------------------------------------------- profile result


def _check_profile(profile_df: pd.DataFrame, needed: Sequence[str] = ("target", "ki_M")) -> None:
    if not isinstance(profile_df, pd.DataFrame):
        raise UsageError(f"expected a profile DataFrame, got {type(profile_df).__name__}")
    missing = [c for c in needed if c not in profile_df.columns]
    if missing:
        raise UsageError(
            f"profile frame lacks column(s) {missing}; read it with "
            "pdstudy.io.profiles.read_profile or pdstudy.data.load_profile"
        )
    if profile_df.empty:
        raise UsageError("profile frame has no targets")
    ki = profile_df["ki_M"].to_numpy(dtype=float)
    bad = ~(np.isfinite(ki) & (ki > 0))
    if bad.any():
        targets = profile_df.loc[bad, "target"].tolist()
        raise UsageError(f"Ki must be finite and > 0 (molar); bad target(s): {targets}")
    dup = profile_df["target"].astype(str).str.casefold().duplicated()
    if dup.any():
        raise UsageError(f"duplicated target(s): {profile_df.loc[dup, 'target'].tolist()}")


def _column(profile_df: pd.DataFrame, name: str, default: str = "") -> tuple[str, ...]:
    if name not in profile_df.columns:
        return tuple(default for _ in range(len(profile_df)))
    return tuple("" if pd.isna(v) else str(v) for v in profile_df[name])


@dataclass(frozen=True)
class ProfileResult:
    """Selectivity and predicted occupancy of every target at one free concentration.

    Attributes
    ----------
    compound
        Compound name from the profile's metadata ("" when unknown).
    conc_free_M
        Unbound concentration at the targets, molar.
    reference_target
        Target the selectivity ratios refer to (``None``: no ratios).
    targets, ki_M, pki, selectivity, occupancy, status, source, species, assay
        One entry per target, in profile order. ``pki = -log10(Ki)``;
        ``selectivity = Ki(target) / Ki(reference)``, i.e. how many-fold the
        compound prefers the reference target (> 1: weaker at this target);
        ``occupancy = Cu / (Cu + Ki)``.
    """

    compound: str
    conc_free_M: float
    reference_target: str | None
    targets: tuple[str, ...]
    ki_M: tuple[float, ...]
    pki: tuple[float, ...]
    selectivity: tuple[float, ...]
    occupancy: tuple[float, ...]
    status: tuple[str, ...]
    source: tuple[str, ...]
    species: tuple[str, ...]
    assay: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per target: ``target, ki_M, pki, selectivity, occupancy, status,
        source, species, assay, conc_free_M, reference_target, compound``."""
        n = len(self.targets)
        return pd.DataFrame(
            {
                "target": list(self.targets),
                "ki_M": np.asarray(self.ki_M, dtype=float),
                "pki": np.asarray(self.pki, dtype=float),
                "selectivity": np.asarray(self.selectivity, dtype=float),
                "occupancy": np.asarray(self.occupancy, dtype=float),
                "status": list(self.status),
                "source": list(self.source),
                "species": list(self.species),
                "assay": list(self.assay),
                "conc_free_M": [self.conc_free_M] * n,
                "reference_target": [self.reference_target or ""] * n,
                "compound": [self.compound] * n,
            }
        )

    def summary(self) -> str:
        """A few lines: the free concentration and the most-occupied targets."""
        d = self.digest()
        top = list(d["occupancy"].items())[:5]
        lines = [
            f"{self.compound}: {len(self.targets)} target(s) at Cu = {format_conc(self.conc_free_M)}"
        ]
        lines += [f"  {t}: {100 * o:.1f} % occupied" for t, o in top]
        if d["unverified_targets"]:
            lines.append(f"  unverified Ki: {', '.join(d['unverified_targets'])}")
        return "\n".join(lines)

    def digest(self) -> dict[str, Any]:
        """JSON-safe digest: concentration, most-occupied targets, counts by status."""
        order = np.argsort(self.occupancy)[::-1]
        statuses = {s: self.status.count(s) for s in sorted(set(self.status))}
        return {
            "compound": self.compound,
            "conc_free_M": float(self.conc_free_M),
            "reference_target": self.reference_target,
            "n_targets": len(self.targets),
            "occupancy": {self.targets[i]: round(float(self.occupancy[i]), 4) for i in order},
            "n_by_status": statuses,
            "unverified_targets": [
                t for t, s in zip(self.targets, self.status, strict=True) if s != "verified"
            ],
        }


def compute_profile(
    profile_df: pd.DataFrame, conc_free_M: float, reference_target: str | None = "NET"
) -> ProfileResult:
    """Occupancy of every target at a free concentration, with Ki-based selectivity.

    Parameters
    ----------
    profile_df
        A profile frame (``target``, ``ki_M``; ``status``, ``source``,
        ``species``, ``assay`` carried through when present).
    conc_free_M
        Unbound concentration at the targets, molar (see :func:`free_from_total`).
    reference_target
        Target the selectivity ratios are relative to (matched case-insensitively);
        ``None`` leaves the ratios as NaN.

    Returns
    -------
    ProfileResult

    Raises
    ------
    UsageError
        Missing columns, non-positive Ki, negative concentration, or a
        reference target that is not in the profile.
    """
    _check_profile(profile_df)
    cu = float(conc_free_M)
    if not (math.isfinite(cu) and cu >= 0):
        raise UsageError(f"free concentration must be finite and >= 0 (molar), got {conc_free_M!r}")
    targets = tuple(str(t) for t in profile_df["target"])
    ki = profile_df["ki_M"].to_numpy(dtype=float)
    if reference_target is None:
        selectivity = np.full(ki.shape, np.nan)
        ref_name = None
    else:
        folded = [t.casefold() for t in targets]
        if reference_target.casefold() not in folded:
            raise UsageError(
                f"reference target {reference_target!r} is not in the profile "
                f"(targets: {', '.join(targets)})"
            )
        i_ref = folded.index(reference_target.casefold())
        ref_name = targets[i_ref]
        selectivity = ki / ki[i_ref]
    occ = np.asarray(occupancy(cu, ki), dtype=float)
    return ProfileResult(
        compound=str(profile_df.attrs.get("compound", "")),
        conc_free_M=cu,
        reference_target=ref_name,
        targets=targets,
        ki_M=tuple(float(v) for v in ki),
        pki=tuple(float(v) for v in -np.log10(ki)),
        selectivity=tuple(float(v) for v in selectivity),
        occupancy=tuple(float(v) for v in occ),
        status=_column(profile_df, "status", "unknown"),
        source=_column(profile_df, "source"),
        species=_column(profile_df, "species"),
        assay=_column(profile_df, "assay"),
    )


# --------------------------------------------------------------------------- liabilities

#: (pattern on the normalised target name, category, expected effects of occupying it)
LIABILITIES: tuple[tuple[str, str, str], ...] = (
    (
        r"^net$",
        "noradrenergic (intended target)",
        "antidepressant action; tachycardia, sweating, tremor, urinary hesitancy",
    ),
    (
        r"^sert$",
        "serotonergic",
        "serotonergic effects: nausea, sexual dysfunction; serotonin syndrome with other "
        "serotonergic drugs",
    ),
    (
        r"^dat$",
        "dopaminergic",
        "dopaminergic effects: psychomotor activation, abuse liability at high occupancy",
    ),
    (r"^h1$", "antihistaminergic", "sedation, weight gain"),
    (
        r"^m[1-5]?$|^muscarinic",
        "anticholinergic",
        "anticholinergic effects: dry mouth, constipation, blurred vision, urinary retention, "
        "cognitive impairment",
    ),
    (r"^alpha1", "alpha1-adrenergic blockade", "orthostatic hypotension, dizziness"),
    (
        r"^d[23]$",
        "antidopaminergic",
        "antidopaminergic effects: extrapyramidal symptoms, hyperprolactinaemia",
    ),
)


def _normalise_target(name: str) -> str:
    name = name.replace("α", "alpha").replace("β", "beta").casefold()
    return re.sub(r"[^a-z0-9]", "", name)


def liability(target: str) -> tuple[str, str]:
    """``(category, effects)`` expected from occupying ``target``; empty strings if unknown.

    Names are matched loosely: ``"alpha1A"``, ``"α1a"`` and ``"alpha-1B"`` all map to
    alpha1 blockade, ``"M1"``..``"M5"`` to anticholinergic effects.
    """
    key = _normalise_target(target)
    for pattern, category, effects in LIABILITIES:
        if re.search(pattern, key):
            return category, effects
    return "", ""


def liability_table(result: ProfileResult, threshold: float = 0.5) -> pd.DataFrame:
    """Targets occupied above ``threshold`` at the result's concentration, with expected effects.

    Parameters
    ----------
    result
        From :func:`compute_profile`.
    threshold
        Occupancy in [0, 1]; targets with occupancy strictly above it are listed.

    Returns
    -------
    pandas.DataFrame
        Columns ``target, occupancy, ki_M, status, source, category, effects``,
        most-occupied first. Targets with no catalogued liability are kept with
        ``category == "not catalogued"``; check ``status``: vendor-reported Ki
        values are unverified.
    """
    if not (0 <= threshold <= 1):
        raise UsageError(f"threshold is an occupancy in [0, 1], got {threshold!r}")
    rows = []
    for i, target in enumerate(result.targets):
        if result.occupancy[i] <= threshold:
            continue
        category, effects = liability(target)
        rows.append(
            {
                "target": target,
                "occupancy": result.occupancy[i],
                "ki_M": result.ki_M[i],
                "status": result.status[i],
                "source": result.source[i],
                "category": category or "not catalogued",
                "effects": effects,
            }
        )
    columns = ["target", "occupancy", "ki_M", "status", "source", "category", "effects"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("occupancy", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- measured vs literature


_MEASURED = ("target", "ki_M", "ki_ci_low_M", "ki_ci_high_M", "n")


def merge_measured(profile_df: pd.DataFrame, measured_df: pd.DataFrame) -> pd.DataFrame:
    """Put Ki values measured by pdstudy's binding analyses beside the literature values.

    Parameters
    ----------
    profile_df
        Literature profile (``target``, ``ki_M``, ``status``, ``source``).
    measured_df
        One row per target: ``target``, ``ki_M``, ``ki_ci_low_M``,
        ``ki_ci_high_M``, ``n`` (independent experiments). Aggregate repeated
        experiments first.

    Returns
    -------
    pandas.DataFrame
        One row per target found in either frame (targets matched
        case-insensitively; literature order first), columns
        ``target, literature_ki_M, literature_pki, status, source,
        measured_ki_M, measured_ki_ci_low_M, measured_ki_ci_high_M, measured_pki,
        n, fold_vs_literature, literature_in_ci``. ``fold_vs_literature`` is
        measured / literature Ki; ``literature_in_ci`` is ``True``/``False``
        when both exist and ``pd.NA`` otherwise. Missing sides are NaN.
    """
    _check_profile(profile_df)
    missing = [c for c in _MEASURED if c not in measured_df.columns]
    if missing:
        raise UsageError(f"measured frame lacks column(s) {missing}; needs {list(_MEASURED)}")
    meas = measured_df.loc[:, list(_MEASURED)].copy()
    meas["target"] = meas["target"].astype(str).str.strip()
    for col in ("ki_M", "ki_ci_low_M", "ki_ci_high_M", "n"):
        meas[col] = pd.to_numeric(meas[col], errors="coerce").astype(float)
    ki_meas = meas["ki_M"].to_numpy(dtype=float)
    ci_low = meas["ki_ci_low_M"].to_numpy(dtype=float)
    ci_high = meas["ki_ci_high_M"].to_numpy(dtype=float)
    bad_ki = ~(np.isfinite(ki_meas) & (ki_meas > 0))
    bad_ci = (np.isfinite(ci_low) & (ci_low > ki_meas)) | (
        np.isfinite(ci_high) & (ci_high < ki_meas)
    )
    for i in np.flatnonzero(bad_ki | bad_ci):
        where = f"measured row {i} (target {meas['target'].iloc[i]!r})"
        if bad_ki[i]:
            raise UsageError(f"{where}: ki_M must be > 0, got {ki_meas[i]!r}")
        raise UsageError(
            f"{where}: CI [{ci_low[i]:g}, {ci_high[i]:g}] does not contain ki_M {ki_meas[i]:g}"
        )
    key = meas["target"].str.casefold()
    if key.duplicated().any():
        raise UsageError(
            f"measured frame repeats target(s) {meas.loc[key.duplicated(), 'target'].tolist()}; "
            "aggregate experiments to one row per target first"
        )

    lit = pd.DataFrame(
        {
            "target": profile_df["target"].astype(str).to_numpy(),
            "literature_ki_M": profile_df["ki_M"].to_numpy(dtype=float),
            "status": list(_column(profile_df, "status", "unknown")),
            "source": list(_column(profile_df, "source")),
        }
    )
    lit["_key"] = lit["target"].str.casefold()
    meas = meas.rename(
        columns={
            "target": "measured_target",
            "ki_M": "measured_ki_M",
            "ki_ci_low_M": "measured_ki_ci_low_M",
            "ki_ci_high_M": "measured_ki_ci_high_M",
        }
    )
    meas["_key"] = key.to_numpy()
    out = lit.merge(meas, on="_key", how="outer", sort=False)
    # literature order first, then measured-only targets in their order
    order: dict[str, int] = {}
    for k in list(lit["_key"]) + list(meas["_key"]):
        order.setdefault(k, len(order))
    out = out.iloc[np.argsort([order[k] for k in out["_key"]], kind="stable")]
    out["target"] = out["target"].fillna(out["measured_target"])
    out["literature_pki"] = -np.log10(out["literature_ki_M"])
    out["measured_pki"] = -np.log10(out["measured_ki_M"])
    out["fold_vs_literature"] = out["measured_ki_M"] / out["literature_ki_M"]
    both = out["literature_ki_M"].notna() & out["measured_ki_M"].notna()
    lit_ki = out["literature_ki_M"].to_numpy(dtype=float)
    low = out["measured_ki_ci_low_M"].to_numpy(dtype=float)
    high = out["measured_ki_ci_high_M"].to_numpy(dtype=float)
    has_ci = ~(np.isnan(low) & np.isnan(high))
    inside = (lit_ki >= np.nan_to_num(low, nan=-np.inf)) & (
        lit_ki <= np.nan_to_num(high, nan=np.inf)
    )
    out["literature_in_ci"] = pd.array(
        [bool(v) if ok else pd.NA for v, ok in zip(inside, both.to_numpy() & has_ci, strict=True)],
        dtype="boolean",
    )
    out["status"] = out["status"].fillna("")
    out["source"] = out["source"].fillna("")
    columns = [
        "target",
        "literature_ki_M",
        "literature_pki",
        "status",
        "source",
        "measured_ki_M",
        "measured_ki_ci_low_M",
        "measured_ki_ci_high_M",
        "measured_pki",
        "n",
        "fold_vs_literature",
        "literature_in_ci",
    ]
    return out.loc[:, columns].reset_index(drop=True)


# --------------------------------------------------------------------------- figure

_STATUS_STYLE = {"verified": "-", "approximate": "--", "vendor-reported": ":"}


def plot_occupancy(
    result_or_profile: ProfileResult | pd.DataFrame,
    conc_range: tuple[float, float] | None = None,
    ax: Axes | None = None,
    conc_free_M: float | None = None,
) -> Axes:
    """Occupancy-versus-free-concentration curve of every target.

    Parameters
    ----------
    result_or_profile
        A :class:`ProfileResult` (its concentration is marked) or a profile frame.
    conc_range
        ``(low, high)`` free concentration in molar; default two decades
        either side of the Ki values (and the marked concentration).
    ax
        Axes to draw on; a new figure when ``None``.
    conc_free_M
        Concentration to mark (overrides the result's own).

    Returns
    -------
    matplotlib.axes.Axes
        Line style encodes the status of each Ki: solid verified, dashed
        approximate, dotted vendor-reported.
    """
    mark: float | None
    if isinstance(result_or_profile, ProfileResult):
        res = result_or_profile
        mark = res.conc_free_M if conc_free_M is None else conc_free_M
    else:
        res = compute_profile(result_or_profile, 0.0, reference_target=None)
        mark = conc_free_M
    ki = np.asarray(res.ki_M, dtype=float)
    if conc_range is None:
        lows = [ki.min() / 100]
        highs = [ki.max() * 100]
        if mark:
            lows.append(mark / 10)
            highs.append(mark * 10)
        conc_range = (min(lows), max(highs))
    low, high = conc_range
    if not (0 < low < high):
        raise UsageError(f"conc_range must be (low, high) with 0 < low < high, got {conc_range}")
    if ax is None:
        import matplotlib.pyplot as plt  # deferred: keeps importing pdstudy light

        _, ax = plt.subplots(figsize=(6.4, 4.2))
    x = np.geomspace(low, high, 300)
    for i, target in enumerate(res.targets):
        style = _STATUS_STYLE.get(res.status[i], "-.")
        ax.plot(x * 1e9, occupancy(x, ki[i]), style, label=f"{target} (Ki {format_conc(ki[i])})")
    if mark is not None and mark > 0:
        ax.axvline(mark * 1e9, color="0.3", lw=1)
        ax.annotate(
            f"Cu = {format_conc(mark)}",
            xy=(mark * 1e9, 1.0),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize="small",
        )
        for i in range(len(res.targets)):
            ax.plot(mark * 1e9, occupancy(mark, ki[i]), "o", color="0.3", ms=3)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("free concentration, Cu (nM)")
    ax.set_ylabel("occupancy, Cu / (Cu + Ki) (fraction)")
    title = res.compound or "target occupancy"
    ax.set_title(
        f"{title}: solid verified, dashed approximate, dotted vendor-reported", fontsize="small"
    )
    ax.legend(fontsize="x-small", ncol=2, loc="lower right")
    return ax
