"""Sample size by simulation through pdstudy's analysis, against the closed form; the schedule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pdstudy.design.allocation import allocate_design, balance_problems, generate_animals
from pdstudy.design.sample_size import justify_sample_size
from pdstudy.design.schedule import dialysis_samples, study_schedule
from pdstudy.errors import UsageError
from pdstudy.stats.power import power_by_analysis, t_test_power


@pytest.mark.slow
def test_simulated_power_of_the_analysis_agrees_with_ttestindpower() -> None:
    # 2,000 studies, each analysed by compare_to_control (ANOVA + Dunnett = t test for two
    # groups); closed form: statsmodels TTestIndPower().power(effect_size=0.9, nobs1=15,
    # alpha=0.05) = 0.6626; simulated (seed 11): 0.657, Monte Carlo SE 0.011
    res = power_by_analysis([0.0, 0.9], 1.0, 15, n_sim=2000, seed=11)
    closed = t_test_power(0.9, 15, 0.05)
    assert abs(res.power[0] - closed) < 0.02
    assert res.mc_error[0] == pytest.approx(math.sqrt(res.power[0] * (1 - res.power[0]) / 2000))
    assert res.mc_error[0] < 0.011 and res.failed == 0


def test_the_justification_reports_power_mc_error_and_the_closed_form() -> None:
    just = justify_sample_size(
        ["vehicle", "drug"], [150.0, 110.0], 30.0, outcome="fst[1] immobility_s",
        n_per_group=10, n_sim=120, seed=2, source="pilot",
    )  # fmt: skip
    table = just.table()
    assert table["closed_form_power"].iloc[0] == pytest.approx(t_test_power(40 / 30, 10))
    p = table["power"].iloc[0]
    assert table["mc_error"].iloc[0] == pytest.approx(math.sqrt(p * (1 - p) / 120))
    text = just.text()
    assert "pilot" in text and "Monte Carlo SE" in text and "120 studies" in text


def test_power_simulations_go_through_the_mapper_and_do_not_depend_on_it() -> None:
    calls: list[int] = []

    def mapper(function, jobs):
        jobs = list(jobs)
        calls.append(len(jobs))
        return [function(j) for j in reversed(jobs)][::-1]

    a = power_by_analysis([0.0, 1.2], 1.0, 6, n_sim=40, seed=3, chunks=4, mapper=mapper)
    b = power_by_analysis([0.0, 1.2], 1.0, 6, n_sim=40, seed=3, chunks=4)
    assert calls == [4]
    assert a == b


def test_target_power_finds_the_smallest_n() -> None:
    just = justify_sample_size(
        ["c", "t"], [0.0, 1.0], 1.0, outcome="y", target_power=0.8, n_sim=400, seed=1,
        fast=True,
    )  # fmt: skip
    # statsmodels: n = 17 per group for d = 1 at 80 % (TTestIndPower().solve_power)
    assert 15 <= just.simulated.n_per_group <= 19
    assert just.simulated.power[0] >= 0.8


def test_power_rejects_bad_parameters() -> None:
    with pytest.raises(UsageError, match="method must be one of"):
        power_by_analysis([0, 1], 1, 5, method="t")
    with pytest.raises(UsageError, match="sd must be > 0"):
        power_by_analysis([0, 1], 0, 5)


def test_allocation_balances_every_combination_of_blocking_factors() -> None:
    animals = pd.DataFrame(
        {
            "animal": [f"m{i}" for i in range(24)],
            "day": [str(i // 12) for i in range(24)],
            "cohort": [str(i // 6 % 2) for i in range(24)],
        }
    )
    alloc = allocate_design(animals, ["v", "lo", "hi"], blocking=["day", "cohort"], seed=9)
    counts = alloc.groupby(["day", "cohort", "group"]).size()
    assert (counts == 2).all() and len(counts) == 12
    assert alloc["group_code"].nunique() == 3 and alloc["code"].is_unique
    again = allocate_design(animals, ["v", "lo", "hi"], blocking=["day", "cohort"], seed=9)
    pd.testing.assert_frame_equal(alloc, again)
    problems = balance_problems(animals.iloc[:23], 3, ["day", "cohort"])
    assert any("day 1, cohort 1 has 5 animals" in p for p in problems)
    with pytest.raises(UsageError, match="cannot be balanced"):
        allocate_design(animals.iloc[:23], ["v", "lo", "hi"], blocking=["day"], seed=1)


def test_dialysis_schedule_doses_after_the_baseline_samples() -> None:
    samples = dialysis_samples(7200.0, 3, 1200.0, 6, 1.5e-6 / 60)
    assert list(samples["phase"]) == ["baseline"] * 3 + ["post"] * 6
    assert samples["volume_L"].iloc[0] == pytest.approx(30e-6)  # 1.5 µL/min x 20 min
    assert samples["start_s"].iloc[3] == 0.0
    alloc = allocate_design(generate_animals(4), ["v", "d"], seed=1)
    sched = study_schedule(alloc, {"v": 0.0, "d": 0.0}, [], dialysis={"md": samples})
    one = sched[sched["code"] == alloc["code"].iloc[0]]
    dose = one.loc[one["event"] == "dose", "time_s"].iloc[0]
    starts = np.sort(one.loc[one["event"] == "sample", "time_s"].to_numpy())
    assert (starts < dose).sum() == 3 and len(starts) == 9
    assert one.loc[one["event"] == "perfusion start", "time_s"].iloc[0] == dose - 7200 - 3600
    assert not set(alloc["group"]) & set(sched.to_string().split())
