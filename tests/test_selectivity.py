"""Measured selectivity ratios with CIs, checked against scipy's Welch interval."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdstudy.assays.binding import pool_ki, selectivity_ratios


def _curves(pki: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for target, values in pki.items():
        for i, p in enumerate(values):
            rows.append(
                {
                    "compound": "drug",
                    "target": target,
                    "experiment": f"{target}_{i}",
                    "status": "converged",
                    "pki": p,
                    "ki_M": 10.0**-p,
                    "ki_ci_low_M": 10.0 ** -(p + 0.1),
                    "ki_ci_high_M": 10.0 ** -(p - 0.1),
                }
            )
    return pd.DataFrame(rows)


def test_ratio_and_ci_equal_scipy_welch() -> None:
    net = [9.31, 9.22, 9.27]
    sert = [7.55, 7.41]
    out = selectivity_ratios(pool_ki(_curves({"NET": net, "SERT": sert}), "drug"), "NET")
    assert list(out["target"]) == ["SERT"]
    row = out.iloc[0]
    welch = stats.ttest_ind(net, sert, equal_var=False)
    ci = welch.confidence_interval(0.95)
    diff = np.mean(net) - np.mean(sert)
    assert row["log_ratio"] == pytest.approx(diff, abs=1e-12)
    assert row["selectivity"] == pytest.approx(10**diff, rel=1e-10)
    assert row["df"] == pytest.approx(welch.df, rel=1e-10)
    assert math.log10(row["selectivity_ci_low"]) == pytest.approx(ci.low, abs=1e-10)
    assert math.log10(row["selectivity_ci_high"]) == pytest.approx(ci.high, abs=1e-10)


def test_single_experiment_uses_its_profile_ci_as_normal() -> None:
    out = selectivity_ratios(pool_ki(_curves({"NET": [9.0], "SERT": [7.0]}), "drug"))
    row = out.iloc[0]
    assert row["selectivity"] == pytest.approx(100.0)
    # each CI is +/- 0.1 log: SE 0.1 / z each, combined sqrt(2) * 0.1 / z, z again
    assert math.log10(row["selectivity_ci_high"]) - 2.0 == pytest.approx(0.1 * math.sqrt(2))
    assert math.isinf(row["df"])


def test_no_reference_gives_empty_table() -> None:
    out = selectivity_ratios(pool_ki(_curves({"SERT": [7.0, 7.1]}), "drug"), "NET")
    assert out.empty
