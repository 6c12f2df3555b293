"""The two-way repeated-measures ANOVA of the dialysis statistics, against the textbook sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdstudy.errors import UsageError
from pdstudy.stats.timecourse import rm_anova


def _design(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g, rise in (("vehicle", 0.0), ("drug", 60.0)):
        for i in range(5):
            level = rng.normal(0, 12)  # the animal's own level
            for t in (1200.0, 2400.0, 3600.0, 4800.0):
                effect = rise * np.exp(-(((t - 2400) / 1800) ** 2))
                rows.append((f"{g}{i}", g, t, 100 + level + effect + rng.normal(0, 10)))
    return pd.DataFrame(rows, columns=["animal", "group", "time_s", "pct_baseline"])


def test_rm_anova_reproduces_the_textbook_split_plot_sums_of_squares():
    """The split-plot ANOVA by its sums of squares (Maxwell & Delaney, Designing Experiments
    and Analyzing Data, ch. 12): F(group) = MS(group) / MS(subjects within groups),
    F(time) and F(group:time) over the residual mean square (what ``afex::aov_ez(id =
    "animal", dv = "pct", between = "group", within = "time")`` computes)."""
    d = _design()
    got = rm_anova(d, value="pct_baseline").set_index("term")
    y = d["pct_baseline"]
    grand = y.mean()
    n_t = d["time_s"].nunique()
    by_g = d.groupby("group")["pct_baseline"]
    by_s = d.groupby("animal")["pct_baseline"].mean()
    g_of_s = d.groupby("animal")["group"].first()
    ss_g = (by_g.count() * (by_g.mean() - grand) ** 2).sum()
    ss_s = n_t * ((by_s - by_g.mean()[g_of_s].to_numpy()) ** 2).sum()
    ss_t = (
        d.groupby("time_s")["pct_baseline"].agg(lambda v: len(v) * (v.mean() - grand) ** 2)
    ).sum()
    ss_cells = (
        d.groupby(["group", "time_s"])["pct_baseline"]
        .agg(lambda v: len(v) * (v.mean() - grand) ** 2)
        .sum()
    )
    ss_gt = ss_cells - ss_g - ss_t
    ss_res = ((y - grand) ** 2).sum() - ss_g - ss_s - ss_t - ss_gt
    f_group = (ss_g / 1) / (ss_s / 8)
    f_time = (ss_t / 3) / (ss_res / 24)
    f_int = (ss_gt / 3) / (ss_res / 24)
    assert got.loc["group", "statistic"] == pytest.approx(f_group, rel=1e-8)
    assert got.loc["time", "statistic"] == pytest.approx(f_time, rel=1e-8)
    assert got.loc["group:time", "statistic"] == pytest.approx(f_int, rel=1e-8)
    assert got.loc["group", "df_num"] == 1 and got.loc["group", "df_den"] == 8
    assert got.loc["time", "df_num"] == 3 and got.loc["time", "df_den"] == 24
    assert got.loc["group", "p_value"] == pytest.approx(stats.f.sf(f_group, 1, 8), rel=1e-8)
    assert got.loc["group:time", "p_value"] == pytest.approx(stats.f.sf(f_int, 3, 24), rel=1e-8)
    # Greenhouse-Geisser: 1/(k-1) <= eps <= 1, so the corrected p is never smaller
    eps = got.loc["time", "eps"]
    assert 1 / 3 <= eps <= 1
    assert (
        got.loc[["time", "group:time"], "p_adj"]
        >= got.loc[["time", "group:time"], "p_value"] - 1e-12
    ).all()
    assert got.loc["group:time", "p_value"] < 0.01  # the simulated drug effect over time
    assert (got["n"] == 10).all()


def test_rm_anova_refuses_an_incomplete_design():
    d = _design().drop(index=5)  # the sixth row: vehicle1 at 2400 s
    with pytest.raises(UsageError, match="incomplete design: subject 'vehicle1'.*2400"):
        rm_anova(d, value="pct_baseline")
    with pytest.raises(UsageError, match="2 or more groups"):
        rm_anova(_design().query("group == 'drug'"), value="pct_baseline")
