"""Selectivity ratios from measured Ki, with confidence intervals.

The selectivity of a compound for a reference target over another target is
``Ki(target) / Ki(reference)``: how many-fold weaker it binds the target. On the
log scale that is ``pKi(reference) - pKi(target)``, the difference of two means
over independent experiments, and its CI is Welch's (unequal variances,
Welch-Satterthwaite degrees of freedom), the same interval as
``scipy.stats.ttest_ind(ref, target, equal_var=False).confidence_interval()``
on the experiments' pKi values.

A target measured in a single experiment has no between-experiment SEM; its
profile-likelihood CI stands in, read as a normal interval on pKi (its
half-width / z), with infinite degrees of freedom.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

#: columns of :func:`selectivity_ratios`
SELECTIVITY_COLUMNS = (
    "target",
    "reference",
    "selectivity",
    "selectivity_ci_low",
    "selectivity_ci_high",
    "log_ratio",
    "log_ratio_se",
    "df",
    "confidence",
)


def _log_se(rec: pd.Series, level: float) -> tuple[float, float]:
    """SE of the mean pKi and its degrees of freedom (inf for a single experiment)."""
    n = int(rec["n"])
    if n > 1 and np.isfinite(rec["pki_sem"]):
        return float(rec["pki_sem"]), float(n - 1)
    lo, hi = float(rec["ki_ci_low_M"]), float(rec["ki_ci_high_M"])
    if not (lo > 0 and np.isfinite(hi) and hi > lo):
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    return (math.log10(hi) - math.log10(lo)) / (2 * z), math.inf


def selectivity_ratios(
    pooled: pd.DataFrame, reference: str = "NET", *, level: float = 0.95
) -> pd.DataFrame:
    """``Ki(target) / Ki(reference)`` for every other target of ``pooled``, with a CI.

    Parameters
    ----------
    pooled
        One row per target, as :func:`pdstudy.assays.binding.pool_ki` returns
        (``target``, ``ki_M``, ``ki_ci_low_M``, ``ki_ci_high_M``, ``n``,
        ``pki_mean``, ``pki_sem``).
    reference
        The target the ratios are taken against (matched without regard to case).
    level
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        :data:`SELECTIVITY_COLUMNS`; empty when the reference was not measured.
        A ratio whose CI cannot be formed (a single experiment without a finite
        CI) has NaN limits and ``df`` NaN.
    """
    cols = list(SELECTIVITY_COLUMNS)
    if pooled is None or pooled.empty:
        return pd.DataFrame(columns=cols)
    key = pooled["target"].astype(str).str.casefold()
    ref = pooled[key == reference.casefold()]
    if ref.empty:
        return pd.DataFrame(columns=cols)
    r = ref.iloc[0]
    se_r, df_r = _log_se(r, level)
    p_r = -math.log10(float(r["ki_M"]))
    rows = []
    for _, rec in pooled[key != reference.casefold()].iterrows():
        se_t, df_t = _log_se(rec, level)
        diff = p_r + math.log10(float(rec["ki_M"]))  # pKi(ref) - pKi(target)
        se = math.hypot(se_r, se_t)
        terms = [s**4 / d for s, d in ((se_r, df_r), (se_t, df_t)) if math.isfinite(d) and d > 0]
        df = se**4 / sum(terms) if terms else math.inf
        if not np.isfinite(se):
            df = math.nan
        q = float(stats.t.ppf(0.5 + level / 2, df)) if np.isfinite(se) else math.nan
        rows.append(
            {
                "target": rec["target"],
                "reference": r["target"],
                "selectivity": 10.0**diff,
                "selectivity_ci_low": 10.0 ** (diff - q * se),
                "selectivity_ci_high": 10.0 ** (diff + q * se),
                "log_ratio": diff,
                "log_ratio_se": se,
                "df": df,
                "confidence": level,
            }
        )
    return pd.DataFrame(rows, columns=cols)
