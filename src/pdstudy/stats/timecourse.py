"""Group comparisons; every table has ``term``/``group``, ``estimate``, ``ci_low``, ``ci_high``,
``p_value`` (and ``p_adj`` where corrected)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.errors import UsageError
from pdstudy.stats.groups import dunnett

__all__ = [
    "STAT_COLUMNS",
    "compare_to_control_by_time",
    "dunnett_vs_control",
    "holm",
    "mixed_model",
    "rm_anova",
]

STAT_COLUMNS = (
    "test",
    "term",
    "group",
    "time_s",
    "estimate",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "p_adj",
    "n",
)


def _check(frame: pd.DataFrame, cols: list[str]) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise UsageError(f"the frame has no column(s) {', '.join(missing)}")


def holm(p: np.ndarray | list[float]) -> np.ndarray:
    """Holm-adjusted p-values (as statsmodels ``multipletests(method="holm")`` and R's
    ``p.adjust(p, "holm")``); NaN stays NaN.

    Computed here rather than by ``multipletests``, which runs a full garbage
    collection on every call (a large share of a microdialysis section's time in
    a process holding many objects).
    """
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = np.isfinite(arr)
    vals = arr[ok]
    m = vals.size
    if m:
        order = np.argsort(vals, kind="mergesort")
        stepped = np.maximum.accumulate((m - np.arange(m)) * vals[order])
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
        out[ok] = adjusted
    return out


def mixed_model(
    frame: pd.DataFrame,
    *,
    value: str,
    group: str = "group",
    time: str = "time_s",
    subject: str = "animal",
    control: str | None = None,
) -> pd.DataFrame:
    """Linear mixed model ``value ~ group * factor(time) + (1 | subject)`` (REML).

    The equivalent of ``lme4::lmer(value ~ group * factor(time) + (1 | subject))``;
    rows with a missing value are left out (the model copes with missing samples).
    ``control`` is the reference level of the group (default: the first in sorted order).
    Returns the fixed effects: ``term``, ``estimate``, ``se``, ``ci_low``, ``ci_high``
    (Wald 95 %), ``statistic`` (z), ``p_value``.
    """
    import statsmodels.formula.api as smf

    _check(frame, [value, group, time, subject])
    data = frame[[value, group, time, subject]].dropna().copy()
    data.columns = ["y", "g", "t", "s"]
    data["g"] = data["g"].astype(str)
    levels = sorted(data["g"].unique())
    ref = control if control is not None else levels[0]
    if ref not in levels:
        raise UsageError(f"control group {ref!r} is not in the data (groups: {', '.join(levels)})")
    if len(levels) < 2 or data["s"].nunique() < 3:
        raise UsageError("a mixed model needs 2 or more groups and 3 or more subjects")
    data["t"] = data["t"].map(lambda v: f"{v:g}")
    formula = f"y ~ C(g, Treatment('{ref}')) * C(t)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.mixedlm(formula, data, groups=data["s"]).fit(reml=True)
    ci = fit.conf_int()
    names = [n for n in fit.fe_params.index]
    out = pd.DataFrame(
        {
            "test": "mixed model",
            "term": [_term_name(n, ref) for n in names],
            "estimate": fit.fe_params.to_numpy(),
            "se": fit.bse_fe.to_numpy(),
            "ci_low": ci.loc[names, 0].to_numpy(),
            "ci_high": ci.loc[names, 1].to_numpy(),
            "statistic": fit.tvalues[names].to_numpy(),
            "p_value": fit.pvalues[names].to_numpy(),
        }
    )
    out.attrs["converged"] = bool(fit.converged)
    out.attrs["group_var"] = float(fit.cov_re.iloc[0, 0])
    out.attrs["scale"] = float(fit.scale)
    return out


def _term_name(name: str, ref: str) -> str:
    return (
        name.replace(f"C(g, Treatment('{ref}'))", "group")
        .replace("C(t)", "time")
        .replace("[T.", "[")
    )


def compare_to_control_by_time(
    frame: pd.DataFrame,
    *,
    value: str,
    control: str,
    group: str = "group",
    time: str = "time_s",
) -> pd.DataFrame:
    """At each time, each group against ``control`` (Welch's t test), Holm-corrected
    over the time points of each group. ``estimate`` is the difference of means."""
    _check(frame, [value, group, time])
    rows = []
    data = frame.dropna(subset=[value])
    if control not in set(data[group].astype(str)):
        raise UsageError(f"control group {control!r} is not in the data")
    for g in sorted(set(data[group].astype(str)) - {control}):
        part = []
        for t in sorted(data[time].unique()):
            a = data.loc[(data[group].astype(str) == g) & (data[time] == t), value].to_numpy(float)
            b = data.loc[(data[group].astype(str) == control) & (data[time] == t), value].to_numpy(
                float
            )
            if a.size < 2 or b.size < 2:
                part.append(
                    {
                        "test": "welch t",
                        "group": g,
                        "time_s": t,
                        "estimate": np.nan,
                        "ci_low": np.nan,
                        "ci_high": np.nan,
                        "statistic": np.nan,
                        "p_value": np.nan,
                        "n": a.size + b.size,
                    }
                )
                continue
            res = stats.ttest_ind(a, b, equal_var=False)
            ci = res.confidence_interval(0.95)
            part.append(
                {
                    "test": "welch t",
                    "group": g,
                    "time_s": t,
                    "estimate": a.mean() - b.mean(),
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                    "statistic": res.statistic,
                    "p_value": res.pvalue,
                    "n": a.size + b.size,
                }
            )
        adj = holm([r["p_value"] for r in part])
        for r, pa in zip(part, adj, strict=True):
            r["p_adj"] = pa
        rows += part
    return pd.DataFrame(
        rows,
        columns=[
            "test",
            "group",
            "time_s",
            "estimate",
            "ci_low",
            "ci_high",
            "statistic",
            "p_value",
            "p_adj",
            "n",
        ],
    )


def dunnett_vs_control(
    frame: pd.DataFrame, *, value: str, control: str, group: str = "group", seed: int = 0
) -> pd.DataFrame:
    """One-way ANOVA over the groups (first row) and Dunnett's test of each group against
    ``control`` (``scipy.stats.dunnett``; ``p_adj`` is Dunnett's adjusted p-value)."""
    _check(frame, [value, group])
    data = frame.dropna(subset=[value])
    groups = sorted(set(data[group].astype(str)))
    if control not in groups or len(groups) < 2:
        raise UsageError(f"need the control group {control!r} and one more group")
    samples = {g: data.loc[data[group].astype(str) == g, value].to_numpy(float) for g in groups}
    others = [g for g in groups if g != control]
    anova = stats.f_oneway(*samples.values())
    rows = [
        {
            "test": "one-way ANOVA",
            "group": "all",
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "statistic": anova.statistic,
            "p_value": anova.pvalue,
            "p_adj": anova.pvalue,
            "n": sum(v.size for v in samples.values()),
        }
    ]
    res = dunnett([samples[g] for g in others], samples[control], level=0.95, seed=seed)
    for k, g in enumerate(others):
        rows.append(
            {
                "test": "Dunnett",
                "group": g,
                "estimate": samples[g].mean() - samples[control].mean(),
                "ci_low": res.ci_low[k],
                "ci_high": res.ci_high[k],
                "statistic": res.statistic[k],
                "p_value": res.p_adj[k],
                "p_adj": res.p_adj[k],
                "n": samples[g].size + samples[control].size,
            }
        )
    return pd.DataFrame(rows)


def rm_anova(
    frame: pd.DataFrame,
    *,
    value: str,
    group: str = "group",
    time: str = "time_s",
    subject: str = "animal",
) -> pd.DataFrame:
    """Two-way repeated-measures ANOVA: ``group`` between subjects, ``time`` within.

    ``pingouin.mixed_anova`` (the split-plot ANOVA of ``afex::aov_ez(id, dv, data,
    between = "group", within = "time")``). It needs a complete design: every
    subject has a value at every time (use :func:`mixed_model` otherwise); a gap
    raises :class:`UsageError` naming the subject and the time. One row per term
    (``group``, ``time``, ``group:time``): ``statistic`` (F), ``df_num``,
    ``df_den``, ``p_value`` (uncorrected), ``p_adj`` (Greenhouse-Geisser corrected
    for the within terms, the same epsilon for both; the group's p unchanged),
    ``eps`` and ``np2`` (partial eta squared), ``n`` (subjects).
    """
    import pingouin as pg

    _check(frame, [value, group, time, subject])
    data = frame[[subject, group, time, value]].copy()
    data.columns = ["s", "g", "t", "y"]
    data["g"] = data["g"].astype(str)
    if data["g"].nunique() < 2:
        raise UsageError("a repeated-measures ANOVA needs 2 or more groups")
    times = sorted(data["t"].unique())
    if len(times) < 2:
        raise UsageError("a repeated-measures ANOVA needs 2 or more time points")
    for s_id, part in data.groupby("s", sort=True):
        if part["g"].nunique() != 1:
            raise UsageError(f"subject {s_id!r} is in more than one group")
        have = part.dropna(subset=["y"])
        missing = sorted(set(times) - set(have["t"]))
        if missing or len(have) != len(times):
            where = f"time {missing[0]:g}" if missing else "a time given twice"
            raise UsageError(
                f"incomplete design: subject {s_id!r} has no single value at {where}; "
                "use the mixed model"
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aov = pg.mixed_anova(data, dv="y", within="t", subject="s", between="g", correction=True)
    eps = float(aov.loc[aov["Source"] == "t", "eps"].iloc[0])
    rows = []
    for src, term in (("g", "group"), ("t", "time"), ("Interaction", "group:time")):
        r = aov.loc[aov["Source"] == src].iloc[0]
        f, d1, d2 = float(r["F"]), float(r["DF1"]), float(r["DF2"])
        p = float(r["p-unc"])
        p_adj = p if term == "group" else float(stats.f.sf(f, eps * d1, eps * d2))
        rows.append(
            {
                "test": "two-way RM ANOVA",
                "term": term,
                "estimate": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "statistic": f,
                "df_num": d1,
                "df_den": d2,
                "p_value": p,
                "p_adj": p_adj,
                "eps": np.nan if term == "group" else eps,
                "np2": float(r["np2"]),
                "n": int(data["s"].nunique()),
            }
        )
    return pd.DataFrame(rows)
