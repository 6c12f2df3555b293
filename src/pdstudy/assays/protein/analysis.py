"""Protein determination: Bradford or BCA standard curves and unknown samples.

A protein plate holds reagent blanks, BSA standards of known concentration and
the unknown preparations (membranes, synaptosomes), each read as absorbance.
:func:`analyze_protein` turns such a plate into protein concentrations:

1. **Blank subtraction**: the mean absorbance of the plate's ``blank`` wells
   (or of standards at 0 µg/mL when there are no blank wells) is subtracted
   from every well.
2. **Standard curve**: three models are fitted to the blank-subtracted
   standards with :mod:`pdstudy.fitting`, X in µg/mL (linear, not log):

   ``linear``     A = a + b c
   ``quadratic``  A = a + b c + q c**2
   ``four_pl``    A = Bottom + (Top - Bottom) / (1 + (EC50 / c)**Hill)

   The quadratic is preferred over the line when the extra sum-of-squares F
   test says so (P < ``alpha``; the models are nested); the winner is then
   compared with the 4PL by AICc (not nested). Bradford curves are usually
   visibly curved (dye depletion), BCA curves mildly so. Pass ``model=`` to
   force one; the comparison is still reported.
3. **Inverse prediction**: each sample (one name and dilution) gets the
   concentration whose fitted absorbance equals the mean of its replicate
   wells, and a calibration interval: the concentrations ``c`` with
   ``|mean A - f(c)| <= t * sqrt(s**2 / m + Var f(c))`` (``m`` replicates,
   ``s**2`` the residual variance of the standards, ``Var f`` from the fit's
   covariance), i.e. the classical inverse-prediction (Fieller-type) interval
   generalised to a nonlinear curve. With ``model="auto"`` the sample is read
   off both models of the last comparison (the polynomial the F test kept and
   the 4PL) and the two readings are averaged with their Akaike weights, the
   interval widened by the spread between them (Burnham & Anderson's
   model-averaged interval): the choice between the curves is itself
   uncertain, and a curve that wins the comparison by chance fits its
   standards too well to size its own interval. Multiplied by the
   ``dilution`` factor it gives the protein concentration of the undiluted
   preparation.

Layout fields (one row per well, e.g. from ``read_plate`` + ``merge_layout``):
``role`` (``blank``, ``standard``, ``sample``), ``signal`` (absorbance);
standards need ``protein_ug_per_mL`` (number, µg/mL; ``protein_mg_per_mL`` or a
``protein`` string with a unit such as ``"0.5 mg/mL"`` also work); samples
need ``sample`` (the preparation's name) and may give ``dilution`` (the
dilution factor, >= 1: 10 for a 1:10 dilution).

Flags of a sample (``flags`` is a ``;``-separated list, ``reason`` says why):
``extrapolated`` (the estimate lies outside the standards' range),
``near_lowest_standard`` (inside the range but below
:data:`NEAR_LOWEST_FACTOR` x the lowest standard, where the calibration
interval is widest relative to the value),
``not_interpolable`` (no concentration on the rising part of the curve gives
that absorbance), ``high_cv`` (replicate CV above ``max_cv``), ``ci_open``
(a limit of the interval lies beyond the searched range).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, stats

from pdstudy import columns as C
from pdstudy.assays.contract import ResultBase
from pdstudy.assays.exclusions import (
    Exclusion,
    apply_exclusions,
    exclusion_table,
    reader_exclusions,
)
from pdstudy.errors import LayoutError, UnitError, UsageError
from pdstudy.fitting import BatchFit, Model, f_test, fit_curves
from pdstudy.fitting.models import register_builtin_model
from pdstudy.io.jsonsafe import frame_records
from pdstudy.units import parse_quantity

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "FOUR_PL_LINEAR",
    "LINEAR",
    "QUADRATIC",
    "STANDARD_MODELS",
    "ProteinResult",
    "analyze_protein",
    "plot_protein",
]

Array = np.ndarray

NEAR_LOWEST_FACTOR = 2.0
"""A sample read below this multiple of the lowest (non-zero) standard is flagged
``near_lowest_standard``: near the bottom of the curve the absorbance changes
least relative to the blank's noise, so the relative interval is widest."""

# ------------------------------------------------------------------ standard-curve models


def _linear(x: Array, p: Array, c: Mapping[str, Array]) -> Array:
    return p[:, 0:1] + p[:, 1:2] * x


def _linear_jac(x: Array, p: Array, c: Mapping[str, Array]) -> Array:
    return np.stack([np.ones_like(x), x], axis=-1)


def _quadratic(x: Array, p: Array, c: Mapping[str, Array]) -> Array:
    return p[:, 0:1] + p[:, 1:2] * x + p[:, 2:3] * x * x


def _quadratic_jac(x: Array, p: Array, c: Mapping[str, Array]) -> Array:
    return np.stack([np.ones_like(x), x, x * x], axis=-1)


def _polyguess(degree: int) -> Any:
    def guess(x: Array, y: Array, c: Mapping[str, Array]) -> Array:
        out = np.zeros((x.shape[0], degree + 1))
        for i in range(x.shape[0]):
            ok = np.isfinite(x[i]) & np.isfinite(y[i])
            if ok.sum() > degree:
                out[i] = np.polyfit(x[i][ok], y[i][ok], degree)[::-1]
        return out

    return guess


def _four_pl_lin(x: Array, p: Array, c: Mapping[str, Array]) -> Array:
    bottom, top, log_ec50, hill = (p[:, k : k + 1] for k in range(4))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        xh = np.where(x > 0, np.power(np.where(x > 0, x, 1.0) / 10.0**log_ec50, hill), 0.0)
    return bottom + (top - bottom) * xh / (1.0 + xh)


def _four_pl_guess(x: Array, y: Array, c: Mapping[str, Array]) -> Array:
    out = np.empty((x.shape[0], 4))
    for i in range(x.shape[0]):
        ok = np.isfinite(x[i]) & np.isfinite(y[i])
        xs, ys = x[i][ok], y[i][ok]
        lo, hi = float(np.min(ys)), float(np.max(ys))
        top = lo + 2.0 * (hi - lo)
        out[i] = [lo, top, math.log10(max(float(np.max(xs)), 1e-12)), 1.0]
    return out


LINEAR = Model(
    name="linear",
    params=("intercept", "slope"),
    func=_linear,
    jac=_linear_jac,
    guess=_polyguess(1),
    equation="A = Intercept + Slope * c",
    x_is_log=False,
)
"""Straight-line standard curve (c in µg/mL)."""

QUADRATIC = Model(
    name="quadratic",
    params=("intercept", "slope", "curvature"),
    func=_quadratic,
    jac=_quadratic_jac,
    guess=_polyguess(2),
    equation="A = Intercept + Slope * c + Curvature * c^2",
    x_is_log=False,
)
"""Second-order polynomial standard curve (c in µg/mL)."""

FOUR_PL_LINEAR = Model(
    name="four_pl",
    params=("bottom", "top", "log_ec50", "hill"),
    func=_four_pl_lin,
    guess=_four_pl_guess,
    lower=(-np.inf, -np.inf, -np.inf, 0.2),
    upper=(np.inf, np.inf, np.inf, 5.0),
    equation="A = Bottom + (Top - Bottom) / (1 + (10^LogEC50 / c)^Hill)",
    x_is_log=False,
)
"""Four-parameter logistic on linear concentration (c in µg/mL, EC50 as log10 µg/mL)."""

STANDARD_MODELS: dict[str, Model] = {m.name: m for m in (LINEAR, QUADRATIC, FOUR_PL_LINEAR)}
for _name, _model in STANDARD_MODELS.items():
    register_builtin_model(_model, f"protein.{_name}")


# ------------------------------------------------------------------ result


@dataclass(frozen=True)
class ProteinResult(ResultBase):
    """Protein concentrations of the samples of one or more standard-curve plates.

    Attributes
    ----------
    standards
        One row per standard or blank well: ``plate, well, role,
        protein_ug_per_mL, signal, absorbance`` (blank-subtracted),
        ``fitted`` and ``residual`` (chosen model).
    samples
        One row per (plate, sample, dilution): ``plate, sample, dilution,
        n_wells, wells, absorbance_mean, absorbance_sd, cv,
        conc_in_well_ug_per_mL, protein_ug_per_mL, protein_mg_per_mL,
        ci_low_mg_per_mL, ci_high_mg_per_mL, confidence, model, flags,
        reason``. ``protein_*`` are corrected for the dilution.
    models
        One row per (plate, candidate model): ``plate, model, n_points, ssr,
        df, r_squared, aicc, status, reason, f_test_p`` (linear vs quadratic),
        ``chosen``, ``selection`` (why), ``blank_absorbance`` and the fitted
        parameters as ``param_<name>``.
    fits
        The :class:`~pdstudy.fitting.BatchFit` of each candidate model, one
        curve per plate (labels are the plate names).
    chosen
        Plate -> the model used for its samples.
    level
        Confidence level of the intervals.
    weighting, weighting_selection
        The standard curve's weighting (``none`` or ``1/y2``) and why (with
        ``weights="auto"``: the back-calculated standards' errors of each).
    """

    standards: pd.DataFrame
    samples: pd.DataFrame
    models: pd.DataFrame
    fits: Mapping[str, BatchFit]
    chosen: Mapping[str, str]
    level: float = 0.95
    weighting: str = field(default="none", kw_only=True)
    weighting_selection: str = field(default="", kw_only=True)
    exclusions: pd.DataFrame | None = field(default=None, kw_only=True)

    kind: ClassVar[str] = "protein"

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``samples`` (main), ``by_sample`` (mean over in-range dilutions), ``models``
        (standard-curve models compared), ``standards`` (standard and blank wells, the
        excluded ones too), ``exclusions`` (every well left out, with its reason)."""
        return {
            "samples": self.samples,
            "by_sample": self.by_sample(),
            "models": self.models,
            "standards": self.standards,
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> Mapping[str, Any]:
        return {"chosen": dict(self.chosen), "level": self.level}

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN as ``None``): chosen models, model comparison, samples."""
        return {
            "assay": "protein",
            "chosen": dict(self.chosen),
            "confidence": self.level,
            "models": frame_records(self.models),
            "samples": frame_records(self.samples),
            "by_sample": frame_records(self.by_sample()),
        }

    def write_json(self, path: str | PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path``."""
        p = Path(path)
        p.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        return p

    def by_sample(self) -> pd.DataFrame:
        """One row per (plate, sample): the mean over its dilutions that lie in range.

        The dilutions of one sample share the standard curve, so their errors
        are strongly correlated; the combined interval is the mean of their
        limits (what full correlation gives), not a narrower pooled one. When
        every dilution is flagged the mean of all of them is given, flagged.
        """
        rows = []
        for (plate, sample), grp in self.samples.groupby(["plate", "sample"], sort=False):
            ok = grp[~grp["flags"].str.contains("extrapolated|not_interpolable", regex=True)]
            use = ok if len(ok) else grp[np.isfinite(grp["protein_mg_per_mL"])]
            flags = "" if len(ok) else "extrapolated"
            if len(ok) and ok["flags"].str.contains("near_lowest_standard").all():
                flags = "near_lowest_standard"
            rows.append(
                {
                    "plate": plate,
                    "sample": sample,
                    "n_dilutions": len(use),
                    "protein_mg_per_mL": float(use["protein_mg_per_mL"].mean())
                    if len(use)
                    else math.nan,
                    "ci_low_mg_per_mL": float(use["ci_low_mg_per_mL"].mean())
                    if len(use)
                    else math.nan,
                    "ci_high_mg_per_mL": float(use["ci_high_mg_per_mL"].mean())
                    if len(use)
                    else math.nan,
                    "confidence": self.level,
                    "flags": flags if len(use) else "not_interpolable",
                }
            )
        return pd.DataFrame(rows)

    def protein_mg_per_mL(self, sample: str | None = None, plate: str | None = None) -> float:
        """Protein concentration (mg/mL) of one sample (the only one when ``sample`` is None)."""
        return self.protein_with_ci(sample, plate)[0]

    def protein_with_ci(
        self, sample: str | None = None, plate: str | None = None
    ) -> tuple[float, float, float]:
        """``(mg/mL, CI low, CI high)`` of one sample (the only one when ``sample`` is None)."""
        table = self.by_sample()
        if plate is not None:
            table = table[table["plate"].astype(str) == str(plate)]
        names = list(dict.fromkeys(table["sample"].astype(str)))
        if sample is None:
            if len(names) != 1:
                raise UsageError(
                    f"the protein plate has {len(names)} samples ({', '.join(names)}); name one"
                )
            sample = names[0]
        row = table[table["sample"].astype(str) == str(sample)]
        if row.empty:
            raise UsageError(
                f"no sample {sample!r} on the protein plate (samples: {', '.join(names)})"
            )
        if len(row) > 1:
            raise UsageError(f"sample {sample!r} is on several plates; pass plate=")
        value = float(row["protein_mg_per_mL"].iloc[0])
        if not math.isfinite(value):
            raise UsageError(
                f"sample {sample!r}: no protein concentration could be read off the standard curve"
            )
        lo = float(row["ci_low_mg_per_mL"].iloc[0])
        hi = float(row["ci_high_mg_per_mL"].iloc[0])
        return value, lo, hi

    def summary(self) -> str:
        """A few lines: the model of each plate and each sample's concentration."""
        lines = []
        for plate, model in self.chosen.items():
            m = self.models[
                (self.models["plate"].astype(str) == str(plate)) & self.models["chosen"]
            ]
            why = str(m["selection"].iloc[0]) if len(m) else ""
            r2 = float(m["r_squared"].iloc[0]) if len(m) else math.nan
            lines.append(f"plate {plate}: standard curve {model} (R² {r2:.4f}; {why})")
        for rec in self.samples.to_dict("records"):
            val = rec["protein_mg_per_mL"]
            text = (
                f"{val:.3g} mg/mL ({rec['ci_low_mg_per_mL']:.3g} to {rec['ci_high_mg_per_mL']:.3g})"
                if math.isfinite(val)
                else "n/a"
            )
            flag = f" [{rec['flags']}]" if rec["flags"] else ""
            lines.append(f"  {rec['sample']} (1:{rec['dilution']:g}): {text}{flag}")
        return "\n".join(lines)


# ------------------------------------------------------------------ input


def _raw(values: pd.Series, i: int | np.integer[Any]) -> Any:
    """The ``i``-th value as a plain Python object (for messages: 0.5, not np.float64(0.5))."""
    v = values.iloc[int(i)]
    return v.item() if isinstance(v, np.generic) else v


def _where(frame: pd.DataFrame, i: int | np.integer[Any]) -> str:
    i = int(i)
    plate = frame["plate"].iloc[i] if "plate" in frame.columns else "1"
    return f"plate {plate}, well {frame['well'].iloc[i]}" if "well" in frame.columns else f"row {i}"


def _standard_concs(frame: pd.DataFrame, mask: Array, function: str) -> Array:
    """µg/mL of each well from protein_ug_per_mL, protein_mg_per_mL or a ``protein`` string."""
    n = len(frame)
    out = np.full(n, np.nan)
    if "protein_ug_per_mL" in frame.columns:
        out = pd.to_numeric(frame["protein_ug_per_mL"], errors="coerce").to_numpy(dtype=float)
    if "protein_mg_per_mL" in frame.columns:
        mg = pd.to_numeric(frame["protein_mg_per_mL"], errors="coerce").to_numpy(dtype=float)
        out = np.where(np.isfinite(out), out, mg * 1e3)
    if "protein" in frame.columns:
        for i in np.flatnonzero(mask & ~np.isfinite(out)):
            raw = frame["protein"].iloc[i]
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                continue
            try:
                out[i] = parse_quantity(str(raw), "mass_concentration") * 1e3  # g/L -> µg/mL
            except UnitError as err:
                raise LayoutError(
                    f"cannot read protein = {raw!r}: {err.detail}", where=_where(frame, i)
                ) from None
    for i in np.flatnonzero(mask):
        if not (math.isfinite(out[i]) and out[i] >= 0):
            raise LayoutError(
                "standard well without a protein concentration >= 0 (give protein_ug_per_mL, "
                "protein_mg_per_mL or protein = '0.5 mg/mL')",
                where=_where(frame, i),
            )
    return out


def _check_frame(frame: pd.DataFrame, function: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{function}: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise LayoutError("the plate has no wells", where=function)
    for col in ("role", "signal"):
        if col not in frame.columns:
            raise LayoutError(
                f"no {col!r} column (merge the plate with its layout first)", where=function
            )
    out = frame.copy().reset_index(drop=True)
    if "plate" not in out.columns:
        out["plate"] = "1"
    out["plate"] = out["plate"].astype(str)
    if "well" not in out.columns:
        out["well"] = [f"row {i}" for i in range(len(out))]
    out["role"] = out["role"].astype(str).str.strip().str.lower()
    known = {"blank", "standard", "sample"}
    signal = pd.to_numeric(out["signal"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(out["role"].isin(known).to_numpy() & ~np.isfinite(signal))
    if bad.size:
        i = int(bad[0])
        raise LayoutError(
            f"absorbance {_raw(out['signal'], i)!r} is not a number", where=_where(out, i)
        )
    out["signal"] = signal
    return out


# ------------------------------------------------------------------ analysis


def analyze_protein(
    frame: pd.DataFrame,
    *,
    model: str = "auto",
    alpha: float = 0.05,
    level: float = 0.95,
    weights: str | None = None,
    max_cv: float = 0.15,
    search_factor: float = 3.0,
    exclusions: Sequence[Exclusion] = (),
) -> ProteinResult:
    """Read protein concentrations off a Bradford/BCA standard curve.

    Parameters
    ----------
    frame
        Tidy plate merged with its layout (see the module documentation).
        Wells with other roles are ignored. Several plates (``plate``
        column) are analysed separately, each with its own standards.
    model
        ``"auto"`` (F test linear vs quadratic, then AICc vs 4PL),
        ``"linear"``, ``"quadratic"`` or ``"four_pl"``.
    alpha
        Significance level of the F test.
    level
        Confidence level of the sample intervals.
    weights
        ``None`` (ordinary least squares, the default here; the study file's
        and the command's default is ``"auto"``), ``"1/y2"`` (relative weighting:
        absorbance noise proportional to the absorbance read, blank included)
        or ``"auto"``: both are fitted and the one whose variance model the
        standards' residuals support is kept (the smaller -2 log likelihood,
        :func:`residual_deviance`: SD constant vs SD proportional to the
        absorbance); ``weighting_selection`` gives both deviances and, for
        comparison, the back-calculated standards' sum of |relative error|.
        The sum of |relative error| (the chromatography calibration's
        criterion) is not used to choose: with 16 standard wells it picks the
        unweighted fit on about one plate in six whose noise is proportional,
        whose intervals then cover 0.75 at the top of the curve.
    max_cv
        Replicate CV of a sample's absorbance above which it is flagged.
    search_factor
        Concentrations up to ``search_factor`` times the top standard are
        searched when reading samples off the curve (extrapolation, flagged).
    exclusions
        Wells left out (:mod:`pdstudy.assays.exclusions`); the plate reader's
        masked wells are left out too. The result is the analysis of the other
        wells; excluded standard and blank wells stay in ``standards`` with
        their reason, and every exclusion is in ``exclusions``.

    Returns
    -------
    ProteinResult

    Raises
    ------
    LayoutError
        Missing columns, a standard without a concentration, a sample without
        a name, a dilution below 1, a non-numeric absorbance, fewer than three
        standard concentrations on a plate. The message names the well.
    ValueError
        Bad options.
    """
    marked = apply_exclusions(frame, exclusions)
    gone = marked[C.EXCLUDED].to_numpy(dtype=bool)
    reader = reader_exclusions(marked, [c for c in (C.PLATE, C.WELL) if c in marked.columns])
    kept = marked[~gone].drop(columns=[C.EXCLUDED, C.EXCLUDE_REASON, C.EXCLUDED_BY])
    kept.attrs = dict(frame.attrs)
    result = _analyze_protein(
        kept,
        model=model,
        alpha=alpha,
        level=level,
        weights=weights,
        max_cv=max_cv,
        search_factor=search_factor,
    )
    standards = result.standards.copy()
    standards[C.EXCLUDED] = False
    standards[C.EXCLUDE_REASON] = ""
    standards[C.EXCLUDED_BY] = ""
    out = marked[gone]
    out = out[out["role"].astype(str).str.strip().str.lower().isin(("standard", "blank"))]
    if len(out):
        role = out["role"].astype(str).str.strip().str.lower().to_numpy()
        conc = _standard_concs(out.reset_index(drop=True), np.zeros(len(out), bool), "")
        blank = result.models.groupby("plate")["blank_absorbance"].first()
        plate = out["plate"].astype(str).to_numpy() if "plate" in out else np.full(len(out), "1")
        signal = pd.to_numeric(out["signal"], errors="coerce").to_numpy(dtype=float)
        extra = pd.DataFrame(
            {
                "plate": plate,
                "well": out["well"].to_numpy(),
                "role": role,
                "protein_ug_per_mL": np.where(role == "blank", 0.0, conc),
                "signal": signal,
                "absorbance": signal - blank.reindex(plate).to_numpy(dtype=float),
                "fitted": np.nan,
                "residual": np.nan,
                C.EXCLUDED: True,
                C.EXCLUDE_REASON: out[C.EXCLUDE_REASON].to_numpy(),
                C.EXCLUDED_BY: out[C.EXCLUDED_BY].to_numpy(),
            }
        )
        standards = pd.concat([standards, extra], ignore_index=True)
    table = exclusion_table([*exclusions, *reader], marked)
    return replace(result, standards=standards, exclusions=table)


def _analyze_protein(
    frame: pd.DataFrame,
    *,
    model: str,
    alpha: float,
    level: float,
    weights: str | None,
    max_cv: float,
    search_factor: float,
) -> ProteinResult:
    function = "analyze_protein"
    if weights == "auto":
        # both weightings, then the variance model the standards' residuals support best (the
        # larger Gaussian likelihood: SD constant vs SD proportional to the absorbance read)
        kw: dict[str, Any] = {"model": model, "alpha": alpha, "level": level, "max_cv": max_cv}
        tried = {
            w: analyze_protein(frame, weights=w, search_factor=search_factor, **kw)
            for w in (None, "1/y2")
        }
        scores = {w: residual_deviance(r) for w, r in tried.items()}
        best = min(scores, key=lambda w: (scores[w], w is not None))
        text = "; ".join(
            f"{_VARIANCE_WORDS[w]} {v:.1f}" if math.isfinite(v) else f"{_VARIANCE_WORDS[w]} n/a"
            for w, v in scores.items()
        )
        back = "; ".join(
            f"{'none' if w is None else w} {back_calculated_error_pct(r):.1f} %"
            for w, r in tried.items()
        )
        return dataclasses.replace(
            tried[best],
            weighting="none" if best is None else best,
            weighting_selection="-2 log likelihood of the standards' residuals: "
            f"{text}: {'none' if best is None else best} chosen "
            f"(sum of |relative error| of the back-calculated standards: {back})",
        )
    if model != "auto" and model not in STANDARD_MODELS:
        raise UsageError(f"model={model!r}: use 'auto' or one of {', '.join(STANDARD_MODELS)}")
    if weights not in (None, "1/y2"):
        raise UsageError(f"weights={weights!r}: use None, '1/y2' or 'auto'")
    if not (0 < level < 1 and 0 < alpha < 1):
        raise UsageError("level and alpha must lie between 0 and 1")
    if not (search_factor >= 1):
        raise UsageError(f"search_factor={search_factor!r} must be >= 1")
    df = _check_frame(frame, function)
    role = df["role"].to_numpy()
    std_mask = role == "standard"
    if not std_mask.any():
        raise LayoutError("no standard wells (role = 'standard')", where=function)
    conc = _standard_concs(df, std_mask, function)
    sample_mask = role == "sample"
    if sample_mask.any() and "sample" not in df.columns:
        raise LayoutError("sample wells but no 'sample' column naming them", where=function)
    dilution = np.ones(len(df))
    if "dilution" in df.columns:
        dil = pd.to_numeric(df["dilution"], errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(sample_mask):
            d = dil[i]
            if math.isnan(d):
                continue
            if not (math.isfinite(d) and d >= 1):
                raise LayoutError(
                    f"dilution {_raw(df['dilution'], i)!r} must be a dilution factor >= 1 "
                    "(10 for a 1:10 dilution; a fraction such as 0.1 is its inverse)",
                    where=_where(df, i),
                )
            dilution[i] = d
    names = np.array([""] * len(df), dtype=object)
    if sample_mask.any():
        for i in np.flatnonzero(sample_mask):
            v = df["sample"].iloc[i]
            if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "":
                raise LayoutError("sample well without a sample name", where=_where(df, i))
            names[i] = str(v)

    plates = list(dict.fromkeys(df["plate"]))
    # blank per plate
    blank_of: dict[str, float] = {}
    blank_note: dict[str, str] = {}
    for plate in plates:
        on = (df["plate"] == plate).to_numpy()
        blanks = on & (role == "blank")
        zero_std = on & std_mask & (conc == 0)
        if blanks.any():
            blank_of[plate] = float(np.mean(df["signal"].to_numpy()[blanks]))
            blank_note[plate] = f"mean of {int(blanks.sum())} blank well(s)"
        elif zero_std.any():
            blank_of[plate] = float(np.mean(df["signal"].to_numpy()[zero_std]))
            blank_note[plate] = f"mean of {int(zero_std.sum())} standard(s) at 0 µg/mL"
        else:
            blank_of[plate] = 0.0
            blank_note[plate] = "no blank wells: not blank-subtracted (the intercept absorbs it)"
        levels = np.unique(conc[on & std_mask])
        if levels.size < 3:
            raise LayoutError(
                f"plate {plate} has {levels.size} standard concentration(s); a standard curve "
                "needs at least 3",
                where=function,
            )
    absorb = df["signal"].to_numpy() - np.array([blank_of[p] for p in df["plate"]])

    # standards as an (N plates, M points) batch padded with NaN
    fit_mask = std_mask
    per_plate = [np.flatnonzero((df["plate"] == p).to_numpy() & fit_mask) for p in plates]
    m = max(len(ix) for ix in per_plate)
    xs = np.full((len(plates), m), np.nan)
    ys = np.full((len(plates), m), np.nan)
    for k, ix in enumerate(per_plate):
        xs[k, : len(ix)] = conc[ix]
        ys[k, : len(ix)] = absorb[ix]
    fits: dict[str, BatchFit] = {}
    # relative weighting by the absorbance read (blank included): the noise of a well is
    # proportional to what the reader measures, not to the blank-subtracted value (1/y² of
    # that overweights the lowest standards several-fold and mis-sizes every interval)
    w_fit: Array | None = None
    if weights == "1/y2":
        raw = ys + np.array([blank_of[p] for p in plates])[:, None]
        w_fit = np.where(np.isfinite(raw) & (raw > 0), 1.0 / np.where(raw > 0, raw, 1.0) ** 2, 1.0)
    for name, mdl in STANDARD_MODELS.items():
        fits[name] = fit_curves(mdl, xs, ys, weights=w_fit, labels=plates, level=level)

    cmp = f_test(fits["linear"], fits["quadratic"], alpha=alpha)
    chosen: dict[str, str] = {}
    selection: dict[str, str] = {}
    # with model="auto" the samples are read off both models of the last comparison (the
    # polynomial the F test kept and the 4PL), averaged with their Akaike weights
    candidates: dict[str, dict[str, float]] = {}
    for k, plate in enumerate(plates):
        if model != "auto":
            chosen[plate] = model
            selection[plate] = "chosen by the user"
            candidates[plate] = {model: 1.0}
            continue
        p = float(cmp.p_value[k])
        poly = cmp.preferred_f[k]
        if poly == "none":
            poly = "linear"
        why = (
            f"F test linear vs quadratic P = {p:.3g} "
            f"({'<' if p < alpha else '>='} {alpha:g}: {poly})"
        )
        a_poly = float(fits[poly].aicc()[k])
        a_4pl = float(fits["four_pl"].aicc()[k])
        if fits["four_pl"].status[k] == "converged" and math.isfinite(a_4pl) and a_4pl < a_poly:
            chosen[plate] = "four_pl"
            why += f"; AICc four_pl {a_4pl:.1f} < {poly} {a_poly:.1f}"
        else:
            chosen[plate] = poly
            if math.isfinite(a_4pl) and fits["four_pl"].status[k] == "converged":
                why += f"; AICc {poly} {a_poly:.1f} <= four_pl {a_4pl:.1f}"
            else:
                why += f"; four_pl not usable ({fits['four_pl'].status[k]})"
        weights_k = akaike_weights(
            {poly: a_poly, "four_pl": a_4pl}
            if (fits["four_pl"].status[k] == "converged" and math.isfinite(a_4pl))
            else {poly: a_poly}
        )
        candidates[plate] = weights_k
        if len(weights_k) > 1:
            why += "; samples model-averaged, Akaike weights " + ", ".join(
                f"{m} {w:.2f}" for m, w in weights_k.items()
            )
        selection[plate] = why

    model_rows = []
    for name, fit in fits.items():
        aicc = fit.aicc()
        r2 = fit.r_squared()
        for k, plate in enumerate(plates):
            row: dict[str, Any] = {
                "plate": plate,
                "model": name,
                "n_points": int(fit.n_points[k]),
                "ssr": float(fit.ssr[k]),
                "df": int(fit.df[k]),
                "r_squared": float(r2[k]),
                "aicc": float(aicc[k]),
                "status": fit.status[k],
                "reason": fit.reason[k],
                "f_test_p": float(cmp.p_value[k]),
                "chosen": chosen[plate] == name,
                "selection": selection[plate] if chosen[plate] == name else "",
                "blank_absorbance": blank_of[plate],
                "blank": blank_note[plate],
            }
            for j, pname in enumerate(fit.model.params):
                row[f"param_{pname}"] = float(fit.params[k, j])
            model_rows.append(row)
    models = pd.DataFrame(model_rows)

    # standards table (per well)
    plate_index = {p: k for k, p in enumerate(plates)}
    sel = np.flatnonzero(std_mask | (role == "blank"))
    x_std = np.where(role[sel] == "blank", 0.0, conc[sel])
    plate_col = df["plate"].to_numpy()[sel]
    fitted = np.full(sel.size, np.nan)
    for plate in plates:
        on = plate_col == plate
        if on.any():
            fitted[on] = fits[chosen[plate]].predict(x_std[on], plate_index[plate])
    standards = pd.DataFrame(
        {
            "plate": plate_col,
            "well": df["well"].to_numpy()[sel],
            "role": role[sel],
            "protein_ug_per_mL": x_std,
            "signal": df["signal"].to_numpy()[sel],
            "absorbance": absorb[sel],
            "fitted": fitted,
            "residual": absorb[sel] - fitted,
        }
    )

    # samples
    smp_rows = []
    if sample_mask.any():
        keys = pd.DataFrame(
            {"plate": df["plate"], "sample": names, "dilution": dilution, "i": np.arange(len(df))}
        )[sample_mask]
        tables: dict[str, _Curve | None] = {}
        for (plate, sample, dil), grp in keys.groupby(["plate", "sample", "dilution"], sort=False):
            idx = grp["i"].to_numpy()
            k = plate_index[str(plate)]
            std_levels = conc[per_plate[k]]
            fit = fits[chosen[str(plate)]]
            if str(plate) not in tables:
                tables[str(plate)] = _curve_table(
                    fit, k, float(np.max(std_levels)) * search_factor, level
                )
                for name_m in candidates[str(plate)]:
                    if name_m != chosen[str(plate)]:
                        tables[f"{plate}\0{name_m}"] = _curve_table(
                            fits[name_m], k, float(np.max(std_levels)) * search_factor, level
                        )
            cand = candidates[str(plate)]
            others = [
                (tables[f"{plate}\0{m}"], w) for m, w in cand.items() if m != chosen[str(plate)]
            ]
            smp_rows.append(
                _read_sample(
                    fit,
                    k,
                    tables[str(plate)],
                    absorb[idx],
                    plate=str(plate),
                    sample=str(sample),
                    dilution=float(dil),
                    wells=[str(w) for w in df["well"].to_numpy()[idx]],
                    std_range=(
                        float(np.min(std_levels[std_levels > 0], initial=np.inf)),
                        float(np.max(std_levels)),
                    ),
                    weights=weights,
                    level=level,
                    max_cv=max_cv,
                    blank=blank_of[str(plate)],
                    weight=cand.get(chosen[str(plate)], 1.0),
                    others=others,
                )
            )
    sample_cols = [
        "plate",
        "sample",
        "dilution",
        "n_wells",
        "wells",
        "absorbance_mean",
        "absorbance_sd",
        "cv",
        "conc_in_well_ug_per_mL",
        "protein_ug_per_mL",
        "protein_mg_per_mL",
        "ci_low_mg_per_mL",
        "ci_high_mg_per_mL",
        "confidence",
        "model",
        "flags",
        "reason",
    ]
    samples = pd.DataFrame(smp_rows, columns=sample_cols)
    return ProteinResult(
        standards=standards,
        samples=samples,
        models=models,
        fits=fits,
        chosen=chosen,
        level=level,
        weighting="none" if weights is None else weights,
        weighting_selection="chosen by the user",
    )


_VARIANCE_WORDS = {None: "SD constant", "1/y2": "SD proportional to the absorbance"}


def residual_deviance(result: ProteinResult) -> float:
    """-2 log likelihood of the standards' residuals under the result's variance model.

    The variance of a standard well is ``sigma**2`` (``weighting="none"``) or
    ``sigma**2 * A**2`` (``"1/y2"``, ``A`` the fitted absorbance read, blank
    included), ``sigma**2`` at its maximum-likelihood value on each plate. Both
    weightings have the same number of parameters (the curve's and one
    variance), so the smaller deviance is the variance model the standards
    support (a likelihood comparison of the two variance functions, as AIC
    would make it). ``inf`` when the model does not apply (a fitted
    absorbance <= 0 under relative weighting, or a failed fit).
    """
    total = 0.0
    std = result.standards[result.standards["role"] == "standard"]
    if C.EXCLUDED in std.columns:
        std = std[~std[C.EXCLUDED].astype(bool)]
    blank = result.models.groupby("plate")["blank_absorbance"].first()
    for plate, grp in std.groupby("plate", sort=False):
        r = grp["residual"].to_numpy(dtype=float)
        if r.size == 0 or not np.isfinite(r).all():
            return math.inf
        if result.weighting == "1/y2":
            read = grp["fitted"].to_numpy(dtype=float) + float(blank[plate])
            if not (read > 0).all():
                return math.inf
            v = read**2
        else:
            v = np.ones_like(r)
        s2 = float(np.mean(r**2 / v))
        if not s2 > 0:
            return math.inf
        total += float(np.sum(np.log(2.0 * math.pi * s2 * v) + 1.0))
    return total


def back_calculated_error_pct(result: ProteinResult) -> float:
    """Sum over the standards (> 0) of |back-calculated - nominal| / nominal, in %.

    Each standard's absorbance is read back off its plate's chosen curve (the
    rising part); a standard that cannot be read back counts 100 %.
    """
    total = 0.0
    std = result.standards[result.standards["role"] == "standard"]
    for plate, grp in std.groupby("plate", sort=False):
        fit = result.fits[result.chosen[str(plate)]]
        k = [str(lab) for lab in fit.labels].index(str(plate))
        x = grp["protein_ug_per_mL"].to_numpy(dtype=float)
        grid = np.linspace(0.0, 1.5 * float(np.max(x)), 4001)
        f = fit.predict(grid, k)
        rising = np.diff(f) > 0
        stop = int(np.argmin(rising)) if not rising.all() else len(rising)
        grid, f = grid[: stop + 1], f[: stop + 1]
        a = grp["absorbance"].to_numpy(dtype=float)
        pos = x > 0
        if stop == 0:
            total += 100.0 * int(pos.sum())
            continue
        back = np.interp(a[pos], f, grid, left=np.nan, right=np.nan)
        err = np.abs(back - x[pos]) / x[pos]
        total += float(np.sum(np.where(np.isfinite(err), err, 1.0))) * 100.0
    return total


def _read_sample(
    fit: BatchFit,
    k: int,
    table: _Curve | None,
    values: Array,
    *,
    plate: str,
    sample: str,
    dilution: float,
    wells: list[str],
    std_range: tuple[float, float],
    weights: str | None,
    level: float,
    max_cv: float,
    blank: float = 0.0,
    weight: float = 1.0,
    others: Sequence[tuple[_Curve | None, float]] = (),
) -> dict[str, Any]:
    """Inverse prediction of one sample group (replicate wells of one dilution).

    ``others``: the other candidate curves and their Akaike weights (``weight`` is the
    chosen curve's); the estimate and interval are then model-averaged
    (:func:`_model_average`)."""
    n = len(values)
    ybar = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if n > 1 else math.nan
    cv = sd / abs(ybar) if n > 1 and ybar != 0 else math.nan
    flags: list[str] = []
    reasons: list[str] = []
    lo_std, hi_std = std_range
    x_est = lo = hi = math.nan
    if table is None:
        flags.append("not_interpolable")
        reasons.append(f"the standard curve did not fit ({fit.status[k]}: {fit.reason[k]})")
    else:
        x_est, lo, hi, why = _inverse(table, ybar, n, weights, blank)
        if not why and others:
            reads = [
                (_inverse(c, ybar, n, weights, blank)[:3], w) for c, w in others if c is not None
            ]
            x_est, lo, hi = _model_average((x_est, lo, hi), weight, reads, table.t)
        if why:
            flags.append(why[0])
            reasons.append(why[1])
        if math.isfinite(x_est) and not (lo_std * (1 - 1e-9) <= x_est <= hi_std * (1 + 1e-9)):
            flags.append("extrapolated")
            side = "below the lowest" if x_est < lo_std else "above the highest"
            reasons.append(
                f"{x_est:.4g} µg/mL in the well is {side} standard "
                f"({lo_std:g}-{hi_std:g} µg/mL); dilute or concentrate the sample"
            )
        elif math.isfinite(x_est) and x_est < NEAR_LOWEST_FACTOR * lo_std:
            flags.append("near_lowest_standard")
            rel = (hi - lo) / (2 * x_est) if math.isfinite(hi) and math.isfinite(lo) else math.inf
            reasons.append(
                f"{x_est:.4g} µg/mL in the well is within {NEAR_LOWEST_FACTOR:g}x of the lowest "
                f"standard ({lo_std:g} µg/mL), where the curve is least precise relative to the "
                f"value (interval +/-{100 * rel:.0f} %); a less diluted sample reads more precisely"
            )
        if math.isfinite(x_est) and (not math.isfinite(lo) or not math.isfinite(hi)):
            flags.append("ci_open")
            reasons.append("a limit of the calibration interval is beyond the searched range")
    if math.isfinite(cv) and cv > max_cv:
        flags.append("high_cv")
        reasons.append(f"replicate CV {100 * cv:.1f} % > {100 * max_cv:g} %")
    return {
        "plate": plate,
        "sample": sample,
        "dilution": dilution,
        "n_wells": n,
        "wells": ",".join(wells),
        "absorbance_mean": ybar,
        "absorbance_sd": sd,
        "cv": cv,
        "conc_in_well_ug_per_mL": x_est,
        "protein_ug_per_mL": x_est * dilution,
        "protein_mg_per_mL": x_est * dilution / 1e3,
        "ci_low_mg_per_mL": lo * dilution / 1e3,
        "ci_high_mg_per_mL": hi * dilution / 1e3,
        "confidence": level,
        "model": fit.model.name,
        "flags": ";".join(dict.fromkeys(flags)),
        "reason": "; ".join(reasons),
    }


def akaike_weights(aicc: Mapping[str, float]) -> dict[str, float]:
    """Akaike weights ``exp(-dAICc/2)`` normalised to sum 1, of the models with a finite AICc
    (Burnham & Anderson 2002, section 2.9); a model whose weight is below 1e-9 is left out."""
    finite = {m: a for m, a in aicc.items() if math.isfinite(a)}
    if not finite:
        return {m: 1.0 / len(aicc) for m in aicc}
    best = min(finite.values())
    raw = {m: math.exp(-0.5 * (a - best)) for m, a in finite.items()}
    total = sum(raw.values())
    out = {m: w / total for m, w in raw.items() if w / total >= 1e-9}
    total = sum(out.values())
    return {m: w / total for m, w in out.items()}


def _model_average(
    main: tuple[float, float, float],
    weight: float,
    others: Sequence[tuple[tuple[float, float, float], float]],
    t: float,
) -> tuple[float, float, float]:
    """Model-averaged estimate and interval (Burnham & Anderson 2002, eq. 4.9, each side).

    ``x = sum w_i x_i``; each half-width is ``sum w_i sqrt(h_i**2 + t**2 (x_i - x)**2)``
    with ``h_i`` model ``i``'s half-width on that side: the interval carries the
    uncertainty of which model describes the standards, which the chosen model's own
    interval leaves out (on simulated BCA plates a 4PL that wins the AICc comparison by
    chance has intervals that cover about 0.7). Models whose reading is not finite
    (not interpolable, an open limit) are left out; the chosen one must be finite.
    """
    if not all(math.isfinite(v) for v in main):
        return main
    items = [(main, weight)] + [(r, w) for r, w in others if all(math.isfinite(v) for v in r)]
    total = sum(w for _, w in items)
    if len(items) == 1 or not total > 0:
        return main
    x = sum(w * r[0] for r, w in items) / total
    lo_half = sum(w * math.hypot(r[0] - r[1], t * (r[0] - x)) for r, w in items) / total
    hi_half = sum(w * math.hypot(r[2] - r[0], t * (r[0] - x)) for r, w in items) / total
    return x, max(x - lo_half, 0.0), x + hi_half


@dataclass(frozen=True)
class _Curve:
    """The fitted standard curve of one plate tabulated on a fine grid (shared by its samples)."""

    fit: BatchFit
    k: int
    grid: Array  # concentrations, 0 .. x_max, on the rising part of the curve only
    f: Array  # fitted absorbance
    var_f: Array  # variance of the fitted absorbance (delta method)
    s2: float  # residual variance of the standards
    t: float  # t quantile of the interval
    level: float
    rises: bool


def _curve_table(fit: BatchFit, k: int, x_max: float, level: float) -> _Curve | None:
    if not (fit.ok[k] and math.isfinite(float(fit.ssr[k])) and fit.df[k] > 0):
        return None
    grid = np.linspace(0.0, x_max, 4001)
    f, _lo, hi = fit.band(grid, k, level=level)
    df = float(fit.df[k])
    t = float(stats.t.ppf(0.5 + level / 2.0, df))
    var_f = ((hi - f) / t) ** 2
    # the curve must rise: keep the increasing branch from 0 (a quadratic turns over)
    rising = np.diff(f) > 0
    stop = int(np.argmin(rising)) if not rising.all() else len(rising)
    return _Curve(
        fit=fit,
        k=k,
        grid=grid[: stop + 1],
        f=f[: stop + 1],
        var_f=var_f[: stop + 1],
        s2=float(fit.ssr[k]) / df,
        t=t,
        level=level,
        rises=stop > 0,
    )


def _inverse(
    c: _Curve, ybar: float, m: int, weights: str | None, blank: float = 0.0
) -> tuple[float, float, float, tuple[str, str] | None]:
    """Concentration giving ``ybar`` on the rising part of the curve, and its calibration interval."""
    nan = math.nan
    if not c.rises:
        return nan, nan, nan, ("not_interpolable", "the standard curve does not rise")
    g, fg = c.grid, c.f
    if ybar < fg[0] or ybar > fg[-1]:
        where_ = "below the curve at 0 µg/mL" if ybar < fg[0] else "above the top of the curve"
        return (
            nan,
            nan,
            nan,
            ("not_interpolable", f"mean absorbance {ybar:.4g} is {where_} (blank-subtracted)"),
        )
    j = min(max(int(np.searchsorted(fg, ybar)), 1), len(g) - 1)

    def resid(x: float) -> float:
        return float(c.fit.predict([x], c.k)[0]) - ybar

    a, b = float(g[j - 1]), float(g[j])
    if resid(a) * resid(b) <= 0:
        x_est = float(optimize.brentq(resid, a, b, xtol=1e-12 * max(1.0, b)))
    else:  # pragma: no cover - searchsorted guarantees a bracket on the rising branch
        x_est = b
    new_var = c.s2 * ((ybar + blank) ** 2 if weights == "1/y2" else 1.0) / m
    # h <= 0 inside the interval: |ybar - f(c)| <= t * sqrt(s2/m + Var f(c))
    h = np.abs(ybar - fg) - c.t * np.sqrt(new_var + c.var_f)
    lo = _edge(c, h, j - 1 if h[j - 1] <= h[j] else j, -1, ybar, new_var)
    hi = _edge(c, h, j if h[j] <= h[j - 1] else j - 1, +1, ybar, new_var)
    return x_est, lo, hi, None


def _edge(c: _Curve, h: Array, start: int, step: int, ybar: float, new_var: float) -> float:
    """Where ``h`` turns positive walking from ``start`` in direction ``step``, refined on a
    finer grid between the two bracketing points (linear interpolation of ``h``)."""
    g = c.grid
    if h[start] > 0:  # the interval is narrower than the grid spacing: refine around start
        i = start
    else:
        i = start
        while 0 <= i + step < len(g) and h[i + step] <= 0:
            i += step
        if not 0 <= i + step < len(g):
            return 0.0 if step < 0 else math.inf
    a, b = sorted((float(g[max(i - 1, 0)]), float(g[min(i + 1, len(g) - 1)])))
    fine = np.linspace(a, b, 401)
    f, _lo, hi = c.fit.band(fine, c.k, level=c.level)
    hf = np.abs(ybar - f) - c.t * np.sqrt(new_var + ((hi - f) / c.t) ** 2)
    inside = np.flatnonzero(hf <= 0)
    if inside.size == 0:  # pragma: no cover - the estimate itself is always inside
        return float(g[i])
    e = int(inside.min()) if step < 0 else int(inside.max())
    n = e + step
    if not 0 <= n < len(fine):
        return float(fine[e])
    # linear interpolation of h between the last point inside and the first outside
    w = hf[e] / (hf[e] - hf[n])
    return float(fine[e] + w * (fine[n] - fine[e]))


# ------------------------------------------------------------------ figure


def plot_protein(
    result: ProteinResult, ax: Axes | None = None, *, plate: str | None = None
) -> Axes:
    """Standard curve (mean ± SD of the standards, fit and confidence band) with the samples.

    Samples are drawn at their mean absorbance and estimated in-well
    concentration with the calibration interval as horizontal error bars;
    flagged samples are hollow.
    """
    import matplotlib.pyplot as plt

    plates = list(result.chosen)
    if plate is None:
        if len(plates) > 1:
            raise UsageError(
                f"the result has {len(plates)} plates ({', '.join(plates)}); pass plate="
            )
        plate = plates[0]
    plate = str(plate)
    if plate not in result.chosen:
        raise UsageError(f"no plate {plate!r} in the result (plates: {', '.join(plates)})")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.0))
    k = plates.index(plate)
    fit = result.fits[result.chosen[plate]]
    st = result.standards[result.standards["plate"] == plate]
    if C.EXCLUDED in st.columns:
        out = st[st[C.EXCLUDED].astype(bool)]
        st = st[~st[C.EXCLUDED].astype(bool)]
        if len(out):
            ax.scatter(
                out["protein_ug_per_mL"],
                out["absorbance"],
                s=36,
                marker="o",
                facecolors="none",
                edgecolors="crimson",
                linewidths=1.5,
                label="excluded",
                zorder=3,
            )
    agg = st.groupby("protein_ug_per_mL")["absorbance"].agg(["mean", "std"]).reset_index()
    ax.errorbar(
        agg["protein_ug_per_mL"],
        agg["mean"],
        yerr=agg["std"].fillna(0.0),
        fmt="o",
        color="#333333",
        capsize=3,
        label="standards (mean ± SD)",
    )
    smp = result.samples[result.samples["plate"] == plate]
    top = float(agg["protein_ug_per_mL"].max())
    finite = smp["conc_in_well_ug_per_mL"][np.isfinite(smp["conc_in_well_ug_per_mL"])]
    xmax = max(top, float(finite.max()) if len(finite) else top) * 1.05
    grid = np.linspace(0.0, xmax, 300)
    y, lo, hi = fit.band(grid, k)
    ax.plot(grid, y, color="#4e79a7", label=f"{fit.model.name} fit")
    ax.fill_between(grid, lo, hi, color="#4e79a7", alpha=0.2, lw=0, label=f"{result.level:.0%} CI")
    for rec in smp.to_dict("records"):
        x = rec["conc_in_well_ug_per_mL"]
        if not math.isfinite(x):
            continue
        flagged = bool(rec["flags"])
        d = rec["dilution"]
        lo_x = rec["ci_low_mg_per_mL"] * 1e3 / d
        hi_x = rec["ci_high_mg_per_mL"] * 1e3 / d
        xerr = np.array(
            [[x - lo_x if math.isfinite(lo_x) else 0.0], [hi_x - x if math.isfinite(hi_x) else 0.0]]
        )
        ax.errorbar(
            [x],
            [rec["absorbance_mean"]],
            xerr=xerr,
            fmt="s",
            mfc="white" if flagged else "#e15759",
            mec="#e15759",
            ecolor="#e15759",
            capsize=2,
        )
        ax.annotate(
            f"{rec['sample']}" + (f" 1:{d:g}" if d != 1 else ""),
            (x, rec["absorbance_mean"]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
        )
    ax.set_xlabel("protein in well (µg/mL BSA equivalent)")
    ax.set_ylabel("absorbance (blank-subtracted)")
    ax.set_title(f"protein standard curve, plate {plate}")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax
