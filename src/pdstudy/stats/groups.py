"""Group comparisons against a control: one-way designs of independent animals.

:func:`compare_to_control` checks the assumptions (Shapiro-Wilk on the
residuals standardised within group, Levene and Brown-Forsythe for equal variances), then runs

- ``"anova"``: one-way ANOVA + Dunnett's test against the control
  (:func:`scipy.stats.dunnett`);
- ``"welch"``: Welch's ANOVA + Games-Howell (pingouin), when variances differ;
- ``"kruskal"``: Kruskal-Wallis + Dunn's test (Holm-adjusted), when residuals
  are not normal;

(``"auto"`` picks by the checks), with Hedges' g and its 95 % CI against the
control for every group, and a dose-response trend test (linear regression
of the outcome on dose, or on the group's rank when doses are not given).
Every table has fixed column names.

Dunn's test is written here (rank z statistics with the tie correction of
Dunn 1964); the packages that ship it do not install with this project's
statsmodels. For two groups its z squared equals Kruskal-Wallis H, which
the tests check against :func:`scipy.stats.kruskal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.errors import UsageError

__all__ = [
    "ASSUMPTION_COLUMNS",
    "CONTRAST_COLUMNS",
    "DESCRIPTIVE_COLUMNS",
    "OMNIBUS_COLUMNS",
    "GroupComparison",
    "compare_to_control",
    "DunnettContrasts",
    "dunn_test",
    "dunnett",
    "hedges_g",
]

DESCRIPTIVE_COLUMNS = ("group", "n", "mean", "sd", "sem", "median")
OMNIBUS_COLUMNS = ("test", "statistic", "df1", "df2", "p_value")
ASSUMPTION_COLUMNS = ("check", "statistic", "p_value", "passed")
CONTRAST_COLUMNS = (
    "group",
    "control",
    "test",
    "difference",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "hedges_g",
    "g_ci_low",
    "g_ci_high",
    "significant",
)
TREND_COLUMNS = ("test", "slope", "ci_low", "ci_high", "p_value", "dose_scale")


@dataclass(frozen=True)
class GroupComparison:
    """Descriptives, assumption checks, omnibus test, contrasts with the control, trend."""

    method: str
    reason: str
    descriptives: pd.DataFrame
    assumptions: pd.DataFrame
    omnibus: pd.DataFrame
    contrasts: pd.DataFrame
    trend: pd.DataFrame
    alpha: float


def hedges_g(x: Sequence[float], control: Sequence[float], confidence: float = 0.95):
    """Hedges' g of ``x`` against ``control`` (pooled SD, small-sample corrected) and its CI
    (normal approximation of Hedges & Olkin 1985)."""
    a, b = np.asarray(x, float), np.asarray(control, float)
    n1, n2 = a.size, b.size
    if n1 < 2 or n2 < 2:
        return float("nan"), float("nan"), float("nan")
    sp = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    if sp == 0:
        return float("nan"), float("nan"), float("nan")
    d = (a.mean() - b.mean()) / sp
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = d * j
    se = np.sqrt((n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2)))
    z = stats.norm.ppf(0.5 + confidence / 2)
    return float(g), float(g - z * se), float(g + z * se)


def dunn_test(samples: Sequence[np.ndarray], control: int = 0) -> pd.DataFrame:
    """Dunn's z test of every group against ``control`` (Holm-adjusted p across groups).

    Columns ``index``, ``z``, ``p_value`` (unadjusted), ``p_adjusted``.
    """
    from statsmodels.stats.multitest import multipletests

    allv = np.concatenate(samples)
    ranks = stats.rankdata(allv)
    n = allv.size
    _, counts = np.unique(allv, return_counts=True)
    tie = np.sum(counts**3 - counts) / (12 * (n - 1))
    var = n * (n + 1) / 12 - tie
    bounds = np.cumsum([0] + [len(s) for s in samples])
    mean_rank = [ranks[bounds[i] : bounds[i + 1]].mean() for i in range(len(samples))]
    rows = []
    for i in range(len(samples)):
        if i == control:
            continue
        se = np.sqrt(var * (1 / len(samples[i]) + 1 / len(samples[control])))
        z = (mean_rank[i] - mean_rank[control]) / se
        rows.append((i, z, 2 * stats.norm.sf(abs(z))))
    df = pd.DataFrame(rows, columns=["index", "z", "p_value"])
    df["p_adjusted"] = multipletests(df["p_value"], method="holm")[1] if len(df) else []
    return df


@dataclass(frozen=True)
class DunnettContrasts:
    """Dunnett's test of each group against the control: arrays in the order given."""

    statistic: np.ndarray
    p_adj: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def dunnett(
    others: Sequence[np.ndarray], control: np.ndarray, *, level: float = 0.95, seed: int = 0
) -> DunnettContrasts:
    """Dunnett's many-to-one comparisons (``scipy.stats.dunnett``) with simultaneous CIs
    of each group's mean minus the control's at ``level``.

    scipy integrates the multivariate t by quasi-Monte Carlo; the fixed ``seed``
    keeps the p-values and limits deterministic. The one implementation behind
    :func:`compare_to_control` and :func:`pdstudy.stats.dunnett_vs_control`.
    """
    import warnings

    res = stats.dunnett(*others, control=control, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when the CI search stops near the level
        ci = res.confidence_interval(level)
    return DunnettContrasts(
        statistic=np.asarray(res.statistic, float),
        p_adj=np.asarray(res.pvalue, float),
        ci_low=np.asarray(ci.low, float),
        ci_high=np.asarray(ci.high, float),
    )


def _descriptives(samples: Mapping[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for g, x in samples.items():
        n = x.size
        sd = float(x.std(ddof=1)) if n > 1 else float("nan")
        rows.append((g, n, float(x.mean()), sd, sd / np.sqrt(n), float(np.median(x))))
    return pd.DataFrame(rows, columns=list(DESCRIPTIVE_COLUMNS))


def _assumptions(samples: Sequence[np.ndarray], alpha: float) -> pd.DataFrame:
    # residuals standardised within group, so that unequal variances (Levene's business)
    # do not read as heavy tails
    resid = np.concatenate([(x - x.mean()) / (x.std(ddof=1) or 1.0) for x in samples])
    rows = []
    if min(x.size for x in samples) >= 3 and np.ptp(resid) > 0:
        w, p = stats.shapiro(resid)
        rows.append(("shapiro_wilk_residuals", float(w), float(p), bool(p >= alpha)))
    for name, center in (("levene", "mean"), ("brown_forsythe", "median")):
        # with 2 animals a group's absolute deviations are equal: no spread to compare
        if all(x.size >= 3 for x in samples) and any(np.ptp(x) > 0 for x in samples):
            s, p = stats.levene(*samples, center=center)
            rows.append((name, float(s), float(p), bool(p >= alpha)))
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def compare_to_control(
    data: pd.DataFrame,
    *,
    dv: str = "immobility_s",
    group: str = "group",
    control: str = "vehicle",
    order: Sequence[str] | None = None,
    doses: Mapping[str, float] | None = None,
    method: str = "auto",
    alpha: float = 0.05,
) -> GroupComparison:
    """Compare every group with the control group.

    Parameters
    ----------
    data
        One row per animal with columns ``dv`` and ``group``.
    order
        Group order in the tables (default: control first, then as they appear).
    doses
        Dose of each group (control: 0) for the trend test; default: rank in ``order``.
    method
        ``"auto"``, ``"anova"``, ``"welch"`` or ``"kruskal"``.
    """
    if method not in ("auto", "anova", "welch", "kruskal"):
        raise UsageError(f"method must be auto, anova, welch or kruskal, got {method!r}")
    for col in (dv, group):
        if col not in data.columns:
            raise UsageError(f"the table has no column {col!r}")
    df = data[[group, dv]].dropna()
    df = df.assign(**{group: df[group].astype(str)})
    groups = list(order) if order else list(dict.fromkeys(df[group]))
    if control not in groups:
        raise UsageError(f"no control group {control!r} among {groups}")
    groups = [control] + [g for g in groups if g != control]
    samples = {g: df.loc[df[group] == g, dv].to_numpy(float) for g in groups}
    small = [g for g, x in samples.items() if x.size < 2]
    if small:
        raise UsageError(f"group {small[0]!r} has fewer than 2 animals")
    if len(groups) < 2:
        raise UsageError("at least two groups are needed")
    xs = list(samples.values())
    assumptions = _assumptions(xs, alpha)
    chosen, reason = method, "requested"
    if method == "auto":
        passed = dict(zip(assumptions["check"], assumptions["passed"], strict=True))
        if not passed.get("shapiro_wilk_residuals", True):
            chosen, reason = "kruskal", "residuals not normal (Shapiro-Wilk)"
        elif not (passed.get("levene", True) and passed.get("brown_forsythe", True)):
            chosen, reason = "welch", "unequal variances (Levene / Brown-Forsythe)"
        else:
            chosen, reason = "anova", "normal residuals and equal variances"

    contrasts: list[tuple[Any, ...]] = []
    omnibus: list[tuple[Any, ...]]
    ctrl = samples[control]
    if chosen == "anova":
        f, p = stats.f_oneway(*xs)
        n = sum(x.size for x in xs)
        omnibus = [("one-way ANOVA", float(f), len(xs) - 1, n - len(xs), float(p))]
        dn = dunnett(xs[1:], ctrl, level=1 - alpha)
        for k, g in enumerate(groups[1:]):
            contrasts.append(
                (
                    g,
                    "Dunnett",
                    float(samples[g].mean() - ctrl.mean()),
                    float(dn.ci_low[k]),
                    float(dn.ci_high[k]),
                    float(dn.statistic[k]),
                    float(dn.p_adj[k]),
                )
            )
    elif chosen == "welch":
        import pingouin as pg

        w = pg.welch_anova(data=df, dv=dv, between=group)
        omnibus = [
            (
                "Welch ANOVA",
                float(w["F"].iloc[0]),
                float(w["ddof1"].iloc[0]),
                float(w["ddof2"].iloc[0]),
                float(w["p-unc"].iloc[0]),
            )
        ]
        gh = pg.pairwise_gameshowell(data=df, dv=dv, between=group)
        for g in groups[1:]:
            row = gh[
                ((gh["A"] == g) & (gh["B"] == control)) | ((gh["A"] == control) & (gh["B"] == g))
            ]
            r = row.iloc[0]
            sign = 1.0 if r["A"] == g else -1.0
            diff = float(samples[g].mean() - ctrl.mean())
            se = float(r["se"])
            # Games-Howell interval: studentized range with Welch df
            q = stats.studentized_range.ppf(1 - alpha, len(groups), float(r["df"])) / np.sqrt(2)
            contrasts.append(
                (
                    g,
                    "Games-Howell",
                    diff,
                    diff - q * se,
                    diff + q * se,
                    sign * float(r["T"]),
                    float(r["pval"]),
                )
            )
    else:
        h, p = stats.kruskal(*xs)
        omnibus = [("Kruskal-Wallis", float(h), len(xs) - 1, float("nan"), float(p))]
        dunn = dunn_test(xs, control=0)
        for _, r in dunn.iterrows():
            g = groups[int(r["index"])]
            diff = float(np.median(samples[g]) - np.median(ctrl))
            contrasts.append(
                (
                    g,
                    "Dunn (Holm)",
                    diff,
                    float("nan"),
                    float("nan"),
                    float(r["z"]),
                    float(r["p_adjusted"]),
                )
            )
    rows = []
    for g, test, diff, lo, hi, st, p in contrasts:
        eff, glo, ghi = hedges_g(samples[g], ctrl)
        rows.append((g, control, test, diff, lo, hi, st, p, eff, glo, ghi, bool(p < alpha)))
    contrast_df = pd.DataFrame(rows, columns=list(CONTRAST_COLUMNS))
    trend = _trend(samples, groups, doses)
    return GroupComparison(
        method=chosen,
        reason=reason,
        descriptives=_descriptives(samples),
        assumptions=assumptions,
        omnibus=pd.DataFrame(omnibus, columns=list(OMNIBUS_COLUMNS)),
        contrasts=contrast_df,
        trend=trend,
        alpha=alpha,
    )


def _trend(
    samples: Mapping[str, np.ndarray], groups: Sequence[str], doses: Mapping[str, float] | None
) -> pd.DataFrame:
    import statsmodels.api as sm

    if len(groups) < 3:
        return pd.DataFrame(columns=list(TREND_COLUMNS))
    if doses is not None:
        missing = [g for g in groups if g not in doses]
        if missing:
            raise UsageError(f"no dose for group {missing[0]!r}")
        x_of = {g: float(doses[g]) for g in groups}
        scale = "dose"
    else:
        x_of = {g: float(k) for k, g in enumerate(groups)}
        scale = "rank"
    x = np.concatenate([np.full(samples[g].size, x_of[g]) for g in groups])
    y = np.concatenate([samples[g] for g in groups])
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    lo, hi = fit.conf_int()[1]
    return pd.DataFrame(
        [
            (
                "linear trend (OLS)",
                float(fit.params[1]),
                float(lo),
                float(hi),
                float(fit.pvalues[1]),
                scale,
            )
        ],
        columns=list(TREND_COLUMNS),
    )
