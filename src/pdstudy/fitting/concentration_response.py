"""Concentration-response curves of a tidy frame, fitted in one batch, with model choice.

:func:`fit_concentration_response` fits every curve of a frame (one per group
of ``keys``): one site (Hill -1) and variable slope chosen by the extra
sum-of-squares F test (or one of them for every curve, as asked), with the
Hill slope, top or bottom optionally held at a value (Prism's "constrain"),
optionally the Ki form (log Ki fitted directly with the
ligand concentration and its K held constant, so Ki has its own
profile-likelihood CI), ROUT outlier removal, count-based weights, and a
two-site comparison. :func:`pack_curves` turns a tidy frame into the ``(N, M)``
arrays the solver takes. Every curve ends as a row with a ``status`` and a
``reason``; nothing here raises for a bad curve.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.errors import ModelError
from pdstudy.fitting.compare import Comparison, f_test
from pdstudy.fitting.models import FOUR_PL, ONE_SITE, ONE_SITE_KI, TWO_SITE
from pdstudy.fitting.result import BatchFit
from pdstudy.fitting.robust import WINSOR_C, WINSOR_MEAN, rout_mask, row_percentile
from pdstudy.fitting.solver import fit_curves
from pdstudy.fitting.uncertainty import profile_ci

__all__ = [
    "FIXABLE",
    "MODEL_CHOICES",
    "USABLE_STATUSES",
    "ResponseFits",
    "count_weights",
    "fit_concentration_response",
    "pack_curves",
    "pooled_count_cv2",
]

USABLE_STATUSES = ("converged", "at_bound")
"""Curve statuses whose potency is used (e.g. in the mean pKi over experiments)."""

MODEL_CHOICES = ("auto", "one_site", "variable_slope")
"""The ``model`` argument: ``auto`` (the F test chooses per curve), or one model for every
curve: ``one_site`` (Prism: log(inhibitor) vs. response, Hill slope -1) or
``variable_slope`` (Prism: log(inhibitor) vs. response -- Variable slope)."""

FIXABLE = ("bottom", "top", "hill")
"""Parameters the ``fixed`` argument may hold constant (in the response's units; Hill as
fitted, negative for an inhibition curve)."""


# ---------------------------------------------------------------- packing


def pack_curves(
    frame: pd.DataFrame, keys: Sequence[str], x: str, y: str
) -> tuple[list[tuple[Any, ...]], np.ndarray, np.ndarray, np.ndarray]:
    """Group a tidy frame into curves (one per combination of ``keys``).

    Returns ``labels`` (tuples of key values, in order of appearance),
    ``x`` and ``y`` ``(N, M)`` arrays padded with NaN, and ``rows`` ``(N, M)``
    with the positional index of each point in ``frame`` (-1 for padding).
    """
    if frame.empty:
        return [], np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0), dtype=int)
    key_cols = list(keys)
    codes = frame.groupby(key_cols, sort=False, dropna=False).ngroup().to_numpy()
    xs = frame[x].to_numpy(dtype=float)
    # by curve, then by x (the engine does not need sorted x, but reads better)
    order = np.lexsort((np.nan_to_num(xs, nan=np.inf), codes))
    n = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=n)
    m = int(counts.max())
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(codes)) - np.repeat(start, counts)
    rows = np.full((n, m), -1, dtype=int)
    rows[codes[order], pos] = order
    ys = frame[y].to_numpy(dtype=float)
    have = rows >= 0
    xx = np.where(have, xs[np.where(have, rows, 0)], np.nan)
    yy = np.where(have, ys[np.where(have, rows, 0)], np.nan)
    first = rows[:, 0]
    labels = [tuple(frame.iloc[int(i)][k] for k in key_cols) for i in first]
    return labels, xx, yy, rows


# ---------------------------------------------------------------- fitting


@dataclass(frozen=True)
class ResponseFits:
    """Fits of every concentration-response curve of a frame.

    ``curves`` has one row per curve (the key columns first). ``excluded`` is a
    boolean Series aligned with the input frame's index: the ROUT outliers.
    The BatchFit objects keep every detail (parameters, SE, bands).
    """

    keys: tuple[str, ...]
    labels: tuple[tuple[Any, ...], ...]
    curves: pd.DataFrame
    excluded: pd.Series
    one_site: BatchFit
    four_pl: BatchFit
    ki: BatchFit | None
    two_site: BatchFit | None
    comparison: Comparison | None  # None when the model was not chosen by the F test
    two_site_comparison: Comparison | None
    rows: np.ndarray  # (N, M) positions of the points in the input frame, -1 padding
    options: Mapping[str, Any] = field(default_factory=dict)

    def index_of(self, label: Hashable) -> int:
        """Position of a curve given its label tuple (or a single key value)."""
        lab = label if isinstance(label, tuple) else (label,)
        for i, lb in enumerate(self.labels):
            if lb == lab or (len(lab) < len(lb) and lb[-len(lab) :] == lab):
                return i
        raise KeyError(f"no curve {label!r}; curves: {list(self.labels)}")

    def fit_of(self, i: int) -> BatchFit:
        """The fit of the model chosen for curve ``i`` (one site or variable slope)."""
        return self.four_pl if self.curves["model"].iloc[i] == FOUR_PL.name else self.one_site


def _per_curve_value(
    value: float | str | None, frame: pd.DataFrame, rows: np.ndarray, name: str
) -> np.ndarray:
    """A constant per curve: a scalar, or the first value of a column within each curve."""
    n = rows.shape[0]
    if value is None:
        return np.full(n, np.nan)
    if isinstance(value, str):
        if value not in frame.columns:
            raise ModelError(f"{name}: the frame has no column {value!r}")
        col = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
        return np.array([col[r[r >= 0][0]] if (r >= 0).any() else np.nan for r in rows])
    return np.full(n, float(value))


def _or_nan(a: np.ndarray | None, n: int) -> np.ndarray:
    return np.full(n, np.nan) if a is None else np.asarray(a, dtype=float)


def fit_concentration_response(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    y: str,
    conc: str = "conc_M",
    ligand_M: float | str | None = None,
    ligand_k_M: float | str | None = None,
    rout: bool = False,
    q: float = 0.01,
    two_site: bool = True,
    alpha: float = 0.05,
    level: float = 0.95,
    well: str = "well",
    weighting: str = "none",
    signal_scale: float | str | None = None,
    signal_offset: float | str | None = None,
    count_time: float | str | None = None,
    model: str = "auto",
    fixed: Mapping[str, float] | None = None,
) -> ResponseFits:
    """Fit every inhibition curve of a tidy frame in one batch per model.

    Parameters
    ----------
    frame
        One row per well (replicates as separate rows) with the ``keys`` columns,
        ``conc`` (molar, > 0) and ``y`` (e.g. % specific binding or % of control).
        Rows with a non-positive or missing concentration are not fitted.
    keys
        Columns identifying a curve (e.g. ``("experiment", "compound", "target")``).
    y
        The response column.
    ligand_M, ligand_k_M
        Concentration of the labelled ligand (radioligand, or uptake substrate)
        and its Kd (or Km), scalars or column names (first value of each
        curve); with both given, log Ki is fitted directly
        (``IC50 = Ki (1 + [L]/K)``, the Cheng-Prusoff relation), so Ki has its
        own profile-likelihood CI.
    rout, q
        ROUT outlier removal (Motulsky & Brown 2006) at false discovery rate
        ``q``, off by default (as in Prism); outliers are found on the variable-slope fit and left out of
        every model, so the models stay comparable.
    two_site
        Also fit two sites and compare with one site (F test).
    alpha
        Level of the F tests (variable slope vs one site; two sites vs one site).
    level
        Confidence level of the intervals.
    well
        Column with the well names (used in the reasons naming outliers).
    weighting
        ``"none"`` (ordinary least squares on ``y``); ``"relative"`` (variance
        proportional to the squared predicted signal, i.e. constant CV);
        ``"counts"`` (variance of a counted signal: ``c**2 S**2 + S * 60 / T``,
        proportional noise plus Poisson counting noise of a signal ``S`` in CPM
        counted for ``T`` seconds, with ``c`` estimated per curve from the
        residuals). ``S`` is the *predicted* signal of each point,
        ``signal_offset + signal_scale * y_fit`` (e.g. NSB + window / 100 * %),
        so weights never rest on one noisy observation. The weights are
        iterated twice and then held fixed for every model, so the F tests
        compare like with like.
    signal_scale, signal_offset, count_time
        Scalars or column names mapping ``y`` back to the measured signal, and
        the counting time (seconds) of each well; required by ``"relative"``
        and ``"counts"`` weighting (``count_time`` by ``"counts"`` only).

    Returns
    -------
    ResponseFits
        ``curves`` columns: the keys, ``model`` (``one_site`` or ``four_pl``,
        chosen by the F test), ``log_ic50``, ``ic50_M``, ``ic50_ci_low_M``,
        ``ic50_ci_high_M``, ``hill``, ``hill_ci_low``, ``hill_ci_high`` (the
        chosen model's: -1 with no CI for one site, ``hill_fixed`` True; the
        variable-slope estimate with its asymptotic CI is always in
        ``hill_four_pl``, ``hill_four_pl_ci_low``, ``hill_four_pl_ci_high``),
        ``bottom``, ``top`` with ``*_ci_low``/``*_ci_high`` (asymptotic, chosen model), ``ki_M``, ``ki_ci_low_M``, ``ki_ci_high_M``, ``pki``,
        ``pki_ci_low``, ``pki_ci_high`` (Ki and IC50 are one pair from the chosen
        model: one site, log Ki fitted directly and IC50 = Ki (1 + [L]/K); or
        variable slope, Ki = IC50 / (1 + [L]/K) from its IC50), ``ki_method``,
        ``ki_one_site_M``, ``pki_one_site`` (the one-site Ki fit, for reference), ``f_test_p``,
        ``two_site_p``, ``two_site_preferred``, ``log_ic50_one_site``,
        ``log_ic50_four_pl``, ``hill_four_pl``, ``r_squared``, ``n_points``,
        ``n_excluded``, ``excluded_wells``, ``x_min_M``, ``x_max_M``,
        ``y_at_min``, ``y_at_max``, ``top_fixed``, ``bottom_fixed``,
        ``confidence`` (the level of every CI of the row), ``status``,
        ``reason``. Potency CIs are profile-likelihood intervals; the Hill
        slope, top and bottom CIs are asymptotic.
    """
    keys = tuple(keys)
    need = [*keys, conc, y]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ModelError(f"fit_concentration_response: no column(s) {', '.join(missing)}")
    if (ligand_M is None) != (ligand_k_M is None):
        raise ModelError("give both ligand_M and ligand_k_M (for Ki) or neither")
    if not 0 < q < 1:
        raise ModelError(f"ROUT q={q!r} must be between 0 and 1 (e.g. 0.01 for 1 %)")
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise ModelError(f"level={level!r} must be between 0 and 1 (e.g. 0.95 for 95 %)")
    forced, plateaus, four_fixed = _model_plan(model, fixed)
    work = frame.reset_index(drop=True).copy()
    cvals = pd.to_numeric(work[conc], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        work["_logx"] = np.where(cvals > 0, np.log10(np.where(cvals > 0, cvals, 1.0)), np.nan)
    work["_y"] = pd.to_numeric(work[y], errors="coerce")
    work = work[np.isfinite(work["_logx"])]
    orig_index = frame.index[work.index.to_numpy()]
    work = work.reset_index(drop=True)

    labels, xx, yy, rows = pack_curves(work, keys, "_logx", "_y")
    n = len(labels)
    excluded = pd.Series(False, index=frame.index, name="excluded")
    if n == 0:
        raise ModelError(
            "fit_concentration_response: no curve to fit (no row with a positive concentration)"
        )
    labs = [lab for lab in labels]
    common: dict[str, Any] = {"labels": labs, "level": level}

    wmode = weighting.lower()
    if wmode not in ("none", "relative", "counts"):
        raise ModelError(f"weighting={weighting!r}: use 'none', 'relative' or 'counts'")
    weights: np.ndarray | None = None
    if wmode != "none":
        if signal_scale is None or signal_offset is None:
            raise ModelError(f"weighting={weighting!r} needs signal_scale and signal_offset")
        if wmode == "counts" and count_time is None:
            raise ModelError("weighting='counts' needs count_time (seconds, value or column)")
        scale = _per_point(signal_scale, work, rows, "signal_scale")
        offset = _per_point(signal_offset, work, rows, "signal_offset")
        tsec: float | str = count_time if count_time is not None and wmode == "counts" else 60.0
        tcount = _per_point(tsec, work, rows, "count_time")
        # first weights from a robust (outlier-resistant) fit: weights that rest on
        # the prediction of a fit pulled by a wild well would protect that well
        _, rob = _rout_mask(
            FOUR_PL, xx, yy, None, q, {**common, "fixed": four_fixed}, robust_iterations=6
        )
        weights = count_weights(rob, scale, offset, tcount, wmode, robust=True)

    # outliers: on the most flexible model, then the same points left out everywhere
    mask = np.zeros(xx.shape, dtype=bool)
    if rout:
        mask = _rout_mask(FOUR_PL, xx, yy, weights, q, {**common, "fixed": four_fixed})[0] & (
            rows >= 0
        )
    exclude = mask if mask.any() else None
    if weights is not None:  # second pass of the weights, outliers left out
        four1 = fit_curves(
            FOUR_PL, xx, yy, weights=weights, exclude=exclude, fixed=four_fixed, **common
        )
        weights = count_weights(four1, scale, offset, tcount, wmode, previous=weights)
    common["weights"] = weights
    four = fit_curves(FOUR_PL, xx, yy, exclude=exclude, fixed=four_fixed, **common)
    one = fit_curves(ONE_SITE, xx, yy, exclude=exclude, fixed=plateaus, **common)
    # a second 4PL start from the one-site answer; keep the better of the two
    four_b = fit_curves(
        FOUR_PL,
        xx,
        yy,
        exclude=exclude,
        p0={
            "bottom": np.nan_to_num(one.param("bottom")),
            "top": np.nan_to_num(one.param("top"), nan=100.0),
            "log_ic50": np.nan_to_num(one.param("log_ic50"), nan=float(np.nanmedian(xx))),
            "hill": -1.0,
        },
        fixed=four_fixed,
        **common,
    )
    four = _better(four, four_b)
    # the F test only where it chooses the model (a forced model is reported as it is)
    comp = f_test(one, four, alpha=alpha) if forced is None else None

    ki_fit = None
    lig = _per_curve_value(ligand_M, work, rows, "ligand_M")
    kk = _per_curve_value(ligand_k_M, work, rows, "ligand_k_M")
    if ligand_M is not None:
        bad = ~(np.isfinite(lig) & (lig >= 0) & np.isfinite(kk) & (kk > 0))
        consts = {
            "radioligand_M": np.where(bad, 0.0, lig),
            "kd_M": np.where(bad, 1.0, kk),
        }
        ki_fit = fit_curves(
            ONE_SITE_KI, xx, yy, exclude=exclude, constants=consts, fixed=plateaus, **common
        )
        ki_fit = profile_ci(ki_fit)
        # the one-site fit is the Ki fit shifted by log10(1 + [L]/K): same profile, shifted
        shift = np.log10(1.0 + consts["radioligand_M"] / consts["kd_M"])
        assert ki_fit.profile_low is not None and ki_fit.profile_high is not None
        same = ki_fit.ok & one.ok
        low = np.where(same, ki_fit.profile_low + shift, np.nan)
        high = np.where(same, ki_fit.profile_high + shift, np.nan)
        if (~same & one.ok).any():
            rest = _profile_subset(one, np.flatnonzero(~same & one.ok))
            low = np.where(same, low, rest[0])
            high = np.where(same, high, rest[1])
        one = dataclasses.replace(one, profile_low=low, profile_high=high, profile_param="log_ic50")
    else:
        one = profile_ci(one)
    # the variable-slope profile only where that model is chosen (profiles are costly)
    if comp is not None:
        chosen = np.array([p == FOUR_PL.name for p in comp.preferred_f])
    else:
        chosen = np.full(n, forced == FOUR_PL.name)
    low4, high4 = _profile_subset(four, np.flatnonzero(chosen & four.ok))
    four = dataclasses.replace(four, profile_low=low4, profile_high=high4, profile_param="log_ic50")

    ts = tcomp = None
    if two_site:
        ts = fit_curves(
            TWO_SITE,
            xx,
            yy,
            exclude=exclude,
            p0={
                "bottom": np.nan_to_num(one.param("bottom")),
                "top": np.nan_to_num(one.param("top"), nan=100.0),
                "frac_high": 0.5,
                "log_ic50_high": np.nan_to_num(one.param("log_ic50"), nan=-8.0) - 1.0,
                "log_ic50_low": np.nan_to_num(one.param("log_ic50"), nan=-8.0) + 1.0,
            },
            fixed=plateaus,
            **common,
        )
        tcomp = f_test(one, ts, alpha=alpha)

    # ---------------------------------------------------------------- curves table
    wells = work[well].astype(str).to_numpy() if well in work.columns else None
    recs: list[dict[str, Any]] = []
    for i, lab in enumerate(labels):
        rec: dict[str, Any] = dict(zip(keys, lab, strict=True))
        p_f = float(comp.p_value[i]) if comp is not None else math.nan
        pick_four = bool(chosen[i])
        fit = four if pick_four else one
        k_ic = fit.model.index("log_ic50")
        lic = float(fit.params[i, k_ic])
        assert fit.profile_low is not None and fit.profile_high is not None
        lo, hi = float(fit.profile_low[i]), float(fit.profile_high[i])
        ki_cols = _ki_columns(i, ki_fit, lig, kk)
        if not pick_four and np.isfinite(ki_cols["ki_M"]):
            # one site: IC50 is the Ki fit's, shifted by log10(1 + [L]/K), so the pair
            # obeys Cheng-Prusoff exactly
            cp_shift = math.log10(1.0 + float(lig[i]) / float(kk[i]))
            lic = math.log10(ki_cols["ki_M"]) + cp_shift
            lo = (
                math.log10(ki_cols["ki_ci_low_M"]) + cp_shift
                if ki_cols["ki_ci_low_M"] > 0
                else -math.inf
            )
            hi = math.log10(ki_cols["ki_ci_high_M"]) + cp_shift
        elif pick_four and ki_fit is not None and np.isfinite(lig[i]) and kk[i] > 0:
            # variable slope: Ki from this model's IC50 (and CI), so Ki and IC50 come from
            # the same fit; Cheng-Prusoff then assumes a slope of 1 (flagged by the assay)
            ki_cols = _ki_from_ic50_columns(
                lic,
                lo,
                hi,
                float(lig[i]),
                float(kk[i]),
                float(fit.param("hill")[i]),
                hill_fixed="hill" in four_fixed,
            )
        rec["model"] = fit.model.name
        rec["log_ic50"] = lic
        rec["ic50_M"] = 10.0**lic
        rec["ic50_ci_low_M"] = 10.0**lo
        rec["ic50_ci_high_M"] = 10.0**hi
        # the parameters of the model the row reports: one site has its Hill slope fixed
        # at -1 (no CI); the variable-slope estimate stays in hill_four_pl*
        kh = FOUR_PL.index("hill")
        if pick_four:
            rec["hill"] = float(four.params[i, kh])
            rec["hill_ci_low"] = float(four.ci_low[i, kh])
            rec["hill_ci_high"] = float(four.ci_high[i, kh])
        else:
            rec["hill"] = -1.0
            rec["hill_ci_low"] = rec["hill_ci_high"] = math.nan
        rec["hill_fixed"] = not pick_four or "hill" in four_fixed
        for name in ("bottom", "top"):
            k = fit.model.index(name)
            rec[name] = float(fit.params[i, k])
            rec[f"{name}_ci_low"] = float(fit.ci_low[i, k])
            rec[f"{name}_ci_high"] = float(fit.ci_high[i, k])
            rec[f"{name}_fixed"] = name in plateaus
        # one Ki/IC50 pair per curve, from the model chosen for it
        rec.update(ki_cols)
        one_site_ki = _ki_columns(i, ki_fit, lig, kk)
        rec["ki_one_site_M"] = one_site_ki["ki_M"]
        rec["pki_one_site"] = one_site_ki["pki"]
        rec["f_test_p"] = p_f
        rec["two_site_p"] = float(tcomp.p_value[i]) if tcomp is not None else np.nan
        rec["two_site_preferred"] = bool(
            tcomp is not None
            and ts is not None
            and tcomp.preferred_f[i] == TWO_SITE.name
            and 0.05 < ts.param("frac_high")[i] < 0.95
        )
        rec["log_ic50_one_site"] = float(one.param("log_ic50")[i])
        rec["log_ic50_four_pl"] = float(four.param("log_ic50")[i])
        rec["hill_four_pl"] = float(four.params[i, kh])
        rec["hill_four_pl_ci_low"] = float(four.ci_low[i, kh])
        rec["hill_four_pl_ci_high"] = float(four.ci_high[i, kh])
        rec["r_squared"] = float(fit.r_squared()[i])
        used = fit.used[i]
        rec["n_points"] = int(used.sum())
        ex = mask[i] & (rows[i] >= 0)
        rec["n_excluded"] = int(ex.sum())
        if wells is not None:
            rec["excluded_wells"] = ";".join(wells[rows[i][ex]].tolist())
        else:
            rec["excluded_wells"] = ";".join(str(int(r)) for r in rows[i][ex])
        xi, yi = xx[i][used], yy[i][used]
        if xi.size:
            rec["x_min_M"] = 10.0 ** float(xi.min())
            rec["x_max_M"] = 10.0 ** float(xi.max())
            rec["y_at_min"] = float(yi[xi == xi.min()].mean())
            rec["y_at_max"] = float(yi[xi == xi.max()].mean())
        else:
            rec["x_min_M"] = rec["x_max_M"] = rec["y_at_min"] = rec["y_at_max"] = np.nan
        rec["confidence"] = float(level)
        status, reason = _status(
            i, fit, one if pick_four else four, pick_four, p_f, alpha, _forced_words(forced, fixed)
        )
        if ki_fit is not None and not ki_fit.ok[i] and fit.ok[i]:
            status = ki_fit.status[i]
            reason = f"{reason}; Ki fit: {ki_fit.reason[i]}"
        elif ki_fit is not None and "profile" in ki_fit.reason[i]:
            notes = [t for t in ki_fit.reason[i].split("; ") if t.startswith("profile")]
            reason = "; ".join([reason, *notes])
        if rec["n_excluded"]:
            reason = f"{reason}; ROUT (Q = {100 * q:g} %) excluded {rec['excluded_wells']}"
        rec["status"] = status
        rec["reason"] = reason
        recs.append(rec)
    curves = pd.DataFrame(recs)

    flat = rows[mask & (rows >= 0)]
    excluded.loc[orig_index[flat]] = True
    return ResponseFits(
        keys=keys,
        labels=tuple(labels),
        curves=curves,
        excluded=excluded,
        one_site=one,
        four_pl=four,
        ki=ki_fit,
        two_site=ts,
        comparison=comp,
        two_site_comparison=tcomp,
        rows=rows,
        options={
            "rout": rout,
            "q": q,
            "alpha": alpha,
            "level": level,
            "two_site": two_site,
            "model": model,
            "forced_model": forced,
            "fixed": {k: float(v) for k, v in (fixed or {}).items()},
        },
    )


def _model_plan(
    model: str, fixed: Mapping[str, float] | None
) -> tuple[str | None, dict[str, float], dict[str, float]]:
    """The model every curve must take (``None``: the F test chooses), the plateaus held in
    every model, and the parameters held in the variable-slope fit."""
    if model not in MODEL_CHOICES:
        raise ModelError(f"model={model!r}: use one of {', '.join(MODEL_CHOICES)}")
    fx = dict(fixed or {})
    unknown = sorted(set(fx) - set(FIXABLE))
    if unknown:
        raise ModelError(
            f"cannot fix {', '.join(unknown)}: the parameters that can be fixed are "
            f"{', '.join(FIXABLE)}"
        )
    for name, value in fx.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ModelError(f"fixed {name} = {value!r} must be a finite number")
    plateaus: dict[str, float] = {k: float(fx[k]) for k in ("bottom", "top") if k in fx}
    if "bottom" in plateaus and "top" in plateaus and plateaus["top"] == plateaus["bottom"]:
        raise ModelError("fixed top and bottom are equal: the curve would be flat")
    hill = fx.get("hill")
    forced = {"auto": None, "one_site": ONE_SITE.name, "variable_slope": FOUR_PL.name}[model]
    if hill is None:
        return forced, plateaus, dict(plateaus)
    hill = float(hill)
    if hill == 0:
        raise ModelError("a Hill slope fixed at 0 is a flat line; inhibition curves have -1")
    if hill == -1.0:  # a slope held at -1 is the one-site model (its Ki fitted directly)
        return ONE_SITE.name, plateaus, dict(plateaus)
    if model == "one_site":
        raise ModelError(
            f"the one-site model has its Hill slope at -1; a slope fixed at {hill:g} needs "
            "model variable_slope (or auto)"
        )
    return FOUR_PL.name, plateaus, {**plateaus, "hill": hill}


def _forced_words(forced: str | None, fixed: Mapping[str, float] | None) -> str | None:
    """How a forced model is said in a curve's reason (``None`` when the F test chose)."""
    if forced is None:
        return None
    hill = (fixed or {}).get("hill")
    if forced == ONE_SITE.name:
        return "one site (Hill -1) as asked; no F test"
    if hill is not None:
        return f"variable slope with the Hill slope fixed at {float(hill):g} as asked; no F test"
    return "variable slope as asked; no F test"


def _per_point(value: float | str, frame: pd.DataFrame, rows: np.ndarray, name: str) -> np.ndarray:
    """A scalar, or a column of ``frame`` laid out like the packed ``(N, M)`` curves."""
    if isinstance(value, str):
        if value not in frame.columns:
            raise ModelError(f"{name}: the frame has no column {value!r}")
        col = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
        return np.where(rows >= 0, col[np.where(rows >= 0, rows, 0)], np.nan)
    return np.full(rows.shape, float(value))


def count_weights(
    fit: BatchFit,
    scale: np.ndarray,
    offset: np.ndarray,
    tcount: np.ndarray,
    mode: str,
    previous: np.ndarray | None = None,
    robust: bool = False,
    joint: bool = False,
    c2: float | None = None,
) -> np.ndarray:
    """Weights ``1 / var(y)`` from the predicted signal of each point (module docstring).

    The proportional part ``c**2`` is a moment estimate from the residuals,
    or with ``robust`` one that a few wild wells cannot inflate: a
    median-based start (median of a chi-square(1) variable is 0.455), then
    one moment step with each squared residual capped at
    ``WINSOR_C**2`` (2.576 ** 2) times its variance under that start (the
    median alone is imprecise: with ROUT on, per-curve weights from it made
    clean curves lose a well more often than with the exact variance).

    With ``joint`` the curves are one problem (a global fit, e.g. total and
    nonspecific binding with shared parameters): ``c**2`` is estimated once
    from all of them, and the weights are normalised once, to a mean of 1
    over every point fitted together, so the curves keep their relative
    weights (the NSB wells, with fewer counts, weigh more per point than the
    total wells). Without it, each curve is its own problem and its weights
    are normalised to a mean of 1 within it.

    ``c2``, when given, is the proportional part ``c**2`` estimated elsewhere
    (e.g. :func:`pooled_count_cv2` over every experiment of an assay) and is
    used as it is, instead of an estimate from this fit's residuals.
    """
    consts = {k: np.asarray(v).reshape(-1, 1) for k, v in fit.constants.items()}
    with np.errstate(all="ignore"):
        pred = fit.model.func(fit.x, fit.params, consts)
        sig = offset + scale * pred
        # a floor of 1 CPM keeps a curve predicted at (or below) zero signal finite
        sig = np.where(np.isfinite(sig), np.maximum(sig, 1.0), np.nan)
        if mode == "relative":
            var_sig = sig**2
        else:
            pois = sig * 60.0 / np.where(tcount > 0, tcount, 60.0)
            r_sig = scale * (fit.y - pred)
            use = fit.used & np.isfinite(r_sig) & np.isfinite(sig)
            n = use.sum(axis=1)
            k = fit.n_free()
            if c2 is not None:
                cc = np.full(fit.n_curves, float(c2))
            elif joint:
                # one problem: pooled residuals, the global number of parameters
                n_glob = int(use.sum())
                k_glob = _global_free(fit)
                if robust:
                    ratio = (r_sig**2 * n_glob / max(n_glob - k_glob, 1) - pois * 0.455) / sig**2
                    cc = np.full(fit.n_curves, float(np.median(ratio[use])) / 0.455)
                else:
                    excess = float(np.sum(r_sig[use] ** 2)) * n_glob / max(n_glob - k_glob, 1)
                    excess -= float(np.sum(pois[use]))
                    cc = np.full(fit.n_curves, excess / float(np.sum(sig[use] ** 2)))
            elif robust:
                ratio = np.where(
                    use,
                    (r_sig**2 * n[:, None] / np.maximum(n - k, 1)[:, None] - pois * 0.455) / sig**2,
                    np.nan,
                )
                cc = row_percentile(ratio, 50.0) / 0.455
                # one winsorized moment step from the median: each squared residual capped
                # at WINSOR_C^2 times its variance under the median estimate, so a wild well
                # counts little and the estimate is nearly as precise as the moment one
                cc0 = np.where(np.isfinite(cc), np.maximum(cc, 0.005**2), 0.05**2)
                var0 = cc0[:, None] * sig**2 + pois
                r2 = r_sig**2 * n[:, None] / np.maximum(n - k, 1)[:, None]
                capped = np.where(use, np.minimum(r2, WINSOR_C**2 * var0), 0.0)
                excess = capped.sum(axis=1) / WINSOR_MEAN - np.where(use, pois, 0.0).sum(axis=1)
                cc = excess / np.where(use, sig**2, 0.0).sum(axis=1)
            else:
                excess = np.where(use, r_sig**2, 0.0).sum(axis=1) * n / np.maximum(n - k, 1)
                excess -= np.where(use, pois, 0.0).sum(axis=1)
                cc = excess / np.where(use, sig**2, 0.0).sum(axis=1)
            # a proportional CV of at least 0.5 % (pipetting is never perfect)
            cc = np.where(np.isfinite(cc), np.maximum(cc, 0.005**2), 0.05**2)
            var_sig = cc[:, None] * sig**2 + pois
        w = scale**2 / var_sig
    w = np.where(np.isfinite(w) & (w > 0), w, np.nan)
    # curves that could not be fitted keep their previous (or unit) weights
    fallback = previous if previous is not None else np.ones_like(w)
    bad = ~np.isfinite(w).all(axis=1, where=fit.used) | ~fit.ok
    w = np.where(bad[:, None] | ~np.isfinite(w), fallback, w)
    # normalise to a mean of 1 per problem (the scale is estimated from the residuals)
    if joint:
        mean_all = float(np.nanmean(np.where(fit.used, w, np.nan)))
        return np.asarray(w / (mean_all if np.isfinite(mean_all) and mean_all > 0 else 1.0))
    mean = np.nanmean(np.where(fit.used, w, np.nan), axis=1)
    return np.asarray(w / np.where(np.isfinite(mean) & (mean > 0), mean, 1.0)[:, None])


def pooled_count_cv2(
    problems: Sequence[tuple[BatchFit, np.ndarray, np.ndarray, np.ndarray]],
) -> float:
    """The proportional part ``c**2`` of the counting variance, estimated once over many fits.

    ``problems`` holds ``(fit, scale, offset, tcount)`` of each fit (as for
    :func:`count_weights`); each fit is one problem (its curves pooled, its
    parameters counted once, shared ones once). The moment estimate
    ``c**2 = (sum r**2 n / (n - k) - sum Poisson) / sum S**2`` runs over every
    point of every problem, with ``n`` and ``k`` the total points and
    parameters. The variance model of a count is a property of the assay
    (pipetting, filtration, counter), not of one curve: estimated from the
    wells of several plates it is close to known, and the weights of each
    plate no longer depend on that plate's own residuals. A radioligand
    assay's response-error relationship is pooled over assays in the same way
    (Rodbard & Frazier 1975, Methods Enzymol 37:3). Fits that failed are left
    out; with none usable the result is NaN (:func:`count_weights` then
    falls back to a 5 % CV).
    """
    r2 = pois_sum = sig2 = 0.0
    n_all = k_all = 0
    for fit, scale, offset, tcount in problems:
        if not fit.ok.all():
            continue
        consts = {k: np.asarray(v).reshape(-1, 1) for k, v in fit.constants.items()}
        with np.errstate(all="ignore"):
            pred = fit.model.func(fit.x, fit.params, consts)
            sig = offset + scale * pred
            sig = np.where(np.isfinite(sig), np.maximum(sig, 1.0), np.nan)
            pois = sig * 60.0 / np.where(tcount > 0, tcount, 60.0)
            r_sig = scale * (fit.y - pred)
        use = fit.used & np.isfinite(r_sig) & np.isfinite(sig)
        r2 += float(np.sum(r_sig[use] ** 2))
        pois_sum += float(np.sum(pois[use]))
        sig2 += float(np.sum(sig[use] ** 2))
        n_all += int(use.sum())
        k_all += _global_free(fit) if fit.shared else fit.n_free() * fit.n_curves
    if n_all == 0 or sig2 <= 0:
        return math.nan
    c2 = (r2 * n_all / max(n_all - k_all, 1) - pois_sum) / sig2
    return float(max(c2, 0.005**2))


def _global_free(fit: BatchFit) -> int:
    """Free parameters of a fit as one problem: each curve's own, plus the shared once."""
    shared = sum(1 for nm in fit.shared if fit.free[fit.model.index(nm)])
    return (fit.n_free() - shared) * fit.n_curves + shared


def _rout_mask(
    model: Any,
    xx: np.ndarray,
    yy: np.ndarray,
    weights: np.ndarray | None,
    q: float,
    common: Mapping[str, Any],
    robust_iterations: int = 12,
) -> tuple[np.ndarray, BatchFit]:
    """ROUT outliers on weighted residuals, and the robust fit (see ``fitting.rout_mask``)."""
    return rout_mask(
        model, xx, yy, q=q, weights=weights, robust_iterations=robust_iterations, **common
    )


def _profile_subset(fit: BatchFit, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood limits of the potency for the curves ``idx`` only (NaN elsewhere)."""
    low = np.full(fit.n_curves, np.nan)
    high = np.full(fit.n_curves, np.nan)
    if idx.size == 0:
        return low, high
    per_curve = (
        "x",
        "y",
        "used",
        "weights",
        "params",
        "se",
        "ci_low",
        "ci_high",
        "cov",
        "ssr",
        "n_points",
        "df",
        "n_iter",
    )
    sub = dataclasses.replace(
        fit,
        labels=tuple(fit.labels[i] for i in idx),
        status=tuple(fit.status[i] for i in idx),
        reason=tuple(fit.reason[i] for i in idx),
        constants={k: np.asarray(v)[idx] for k, v in fit.constants.items()},
        excluded=None if fit.excluded is None else fit.excluded[idx],
        **{name: np.asarray(getattr(fit, name))[idx] for name in per_curve},
    )
    prof = profile_ci(sub)
    assert prof.profile_low is not None and prof.profile_high is not None
    low[idx] = prof.profile_low
    high[idx] = prof.profile_high
    return low, high


def _better(a: BatchFit, b: BatchFit) -> BatchFit:
    """Per curve, the fit with the lower SSR among two runs of one model on the same data."""

    sa = np.where(a.ok, np.nan_to_num(a.ssr, nan=np.inf), np.inf)
    sb = np.where(b.ok, np.nan_to_num(b.ssr, nan=np.inf), np.inf)
    take_b = sb < sa * (1 - 1e-9)
    if not take_b.any():
        return a
    if take_b.all():
        return b

    def pick(x: Any, y: Any) -> Any:
        xa, ya = np.asarray(x), np.asarray(y)
        sel = take_b.reshape((-1,) + (1,) * (xa.ndim - 1))
        return np.where(sel, ya, xa)

    return dataclasses.replace(
        a,
        params=pick(a.params, b.params),
        se=pick(a.se, b.se),
        ci_low=pick(a.ci_low, b.ci_low),
        ci_high=pick(a.ci_high, b.ci_high),
        cov=pick(a.cov, b.cov),
        ssr=pick(a.ssr, b.ssr),
        df=pick(a.df, b.df),
        n_iter=pick(a.n_iter, b.n_iter),
        status=tuple(b.status[i] if take_b[i] else a.status[i] for i in range(a.n_curves)),
        reason=tuple(b.reason[i] if take_b[i] else a.reason[i] for i in range(a.n_curves)),
    )


def _ki_columns(
    i: int,
    ki_fit: BatchFit | None,
    lig: np.ndarray,
    kk: np.ndarray,
) -> dict[str, Any]:
    nan = math.nan
    out: dict[str, Any] = {
        "ki_M": nan,
        "ki_ci_low_M": nan,
        "ki_ci_high_M": nan,
        "pki": nan,
        "pki_ci_low": nan,
        "pki_ci_high": nan,
        "ki_method": "",
    }
    if ki_fit is None or not (np.isfinite(lig[i]) and np.isfinite(kk[i]) and kk[i] > 0):
        return out
    assert ki_fit.profile_low is not None and ki_fit.profile_high is not None
    lk = float(ki_fit.param("log_ki")[i])
    lo, hi = float(ki_fit.profile_low[i]), float(ki_fit.profile_high[i])
    out.update(
        ki_M=10.0**lk,
        ki_ci_low_M=10.0**lo,
        ki_ci_high_M=10.0**hi,
        pki=-lk,
        pki_ci_low=-hi,
        pki_ci_high=-lo,
        ki_method="one site (Hill -1), log Ki fitted directly (profile-likelihood CI)",
    )
    return out


def _ki_from_ic50_columns(
    log_ic50: float,
    lo: float,
    hi: float,
    lig: float,
    k: float,
    hill: float,
    hill_fixed: bool = False,
) -> dict[str, Any]:
    """Ki columns by Cheng-Prusoff from a variable-slope log IC50 and its CI (a shift on
    the log scale, [L] and K taken as known)."""
    shift = math.log10(1.0 + lig / k)
    lk, lk_lo, lk_hi = log_ic50 - shift, lo - shift, hi - shift
    return {
        "ki_M": 10.0**lk,
        "ki_ci_low_M": 10.0**lk_lo,
        "ki_ci_high_M": 10.0**lk_hi,
        "pki": -lk,
        "pki_ci_low": -lk_hi,
        "pki_ci_high": -lk_lo,
        "ki_method": (
            f"variable slope (Hill {'fixed at ' if hill_fixed else ''}{hill:.2f}): Ki = IC50 / (1 + [L]/K) from this fit's IC50 "
            "and its profile-likelihood CI (Cheng-Prusoff assumes a slope of 1)"
        ),
    }


def _status(
    i: int,
    fit: BatchFit,
    other: BatchFit,
    pick_four: bool,
    p: float,
    alpha: float,
    forced: str | None = None,
) -> tuple[str, str]:
    st, why = fit.status[i], fit.reason[i]
    if forced is not None:
        choice = forced
    elif np.isfinite(p):
        choice = (
            f"variable slope preferred (F test P = {p:.3g} < {alpha:g})"
            if pick_four
            else f"one site (Hill -1) kept (F test P = {p:.3g})"
        )
    elif pick_four:
        choice = f"variable slope used: the one-site fit did not work ({other.reason[i]})"
    elif fit.ok[i]:
        choice = f"one site used: the variable-slope fit did not work ({other.reason[i]})"
    else:
        choice = "no model could be fitted"
    return st, f"{why}; {choice}" if why and why != "converged" else f"{st}; {choice}"
