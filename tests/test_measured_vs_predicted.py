"""Measured dialysate NE beside the synapse model's prediction (the synapse section's figure)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from pdstudy.report.pharmacology import plot_measured_vs_predicted  # noqa: E402
from pdstudy.study.pharmacology import measured_ne_course  # noqa: E402


def _outcome() -> SimpleNamespace:
    rng = np.random.default_rng(3)
    rows = []
    for group in ("vehicle", "drug"):
        for a in range(4):
            for t in (-1200, 0, 1200, 2400):
                rows.append(
                    {
                        "animal": f"{group[0]}{a}",
                        "group": group,
                        "analyte": "NE",
                        "time_s": t,
                        "pct_baseline": 100 + rng.normal(0, 10) + (80 if group == "drug" else 0),
                        "excluded": group == "drug" and a == 0 and t == 1200,
                    }
                )
                rows.append({**rows[-1], "analyte": "DA", "pct_baseline": 1000.0})
    res = SimpleNamespace(percent_baseline=pd.DataFrame(rows))
    return SimpleNamespace(ok=True, kind="microdialysis", key="microdialysis[1]", result=res)


def test_course_is_mean_and_sem_over_animals_without_excluded_rows() -> None:
    o = _outcome()
    course = measured_ne_course([o])
    pct = o.result.percent_baseline
    ne = pct[(pct["analyte"] == "NE") & ~pct["excluded"]]
    for rec in course.to_dict("records"):
        vals = ne[(ne["group"] == rec["group"]) & (ne["time_s"] == rec["time_s"])]["pct_baseline"]
        assert rec["n"] == len(vals)
        assert rec["mean_pct"] == pytest.approx(vals.mean())
        assert rec["sem_pct"] == pytest.approx(stats.sem(vals))
    row = course[(course["group"] == "drug") & (course["time_s"] == 1200)].iloc[0]
    assert row["n"] == 3  # one sample excluded


def test_figure_draws_each_group_and_the_prediction() -> None:
    course = measured_ne_course([_outcome()])
    samples = pd.DataFrame({"sample_end_s": [600, 1200, 1800], "ne_pct_baseline": [150, 220, 200]})
    ax = plot_measured_vs_predicted(course, samples)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) == {
        "measured: vehicle",
        "measured: drug",
        "synapse model (predicted dialysate)",
    }
