"""One counting-time rule for every count-based assay, and ROUT opt-in (Prism's default).

Before: competition assumed a 1-minute count when the file gave no counting
time while saturation fell back to relative (1/Y²) weighting, the Methods text
printed the option's internal name (``counts_1min``), and ROUT was on by default
(with ``weighting='none'`` it removed wells from ~40 % of clean curves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdstudy.assays.binding import analyze_competition, analyze_saturation
from pdstudy.assays.binding.sections import BINDING as BINDING_SCHEMA
from pdstudy.assays.uptake import analyze_uptake
from pdstudy.assays.uptake.sections import UPTAKE as UPTAKE_SCHEMA
from pdstudy.design import (
    competition_layout,
    concentration_series,
    saturation_layout,
    uptake_layout,
)
from pdstudy.errors import UsageError
from pdstudy.simulate import simulate_competition, simulate_saturation, simulate_uptake

WORDS_1MIN = (
    "weighted by the Poisson and proportional variance of the counts (a 1-minute count "
    "assumed, the usual counter setting, as the file gives no counting time)"
)
KD, LIG = 0.8e-9, 1e-9


def _competition(**kw) -> pd.DataFrame:
    lay = competition_layout(concentration_series(0.5e-9, radioligand_M=LIG, kd_M=KD), compound="x")
    return simulate_competition(lay, kd_M=KD, radioligand_M=LIG, seed=3, **kw)


def _saturation() -> pd.DataFrame:
    lay = saturation_layout(1e-9 * np.geomspace(0.05, 10, 8), replicates=2)
    return simulate_saturation(lay, kd_M=1e-9, seed=4)


def test_every_count_based_assay_assumes_a_1_minute_count_without_counting_times():
    comp = analyze_competition(
        _competition().drop(columns="count_time_s"), radioligand_M=LIG, kd_M=KD
    )
    sat = analyze_saturation(_saturation().drop(columns="count_time_s"))
    concs = concentration_series(0.5e-9, radioligand_M=15e-9, kd_M=0.3e-6)
    up_plate = simulate_uptake(uptake_layout(concs, compound="x", substrate_M=15e-9), seed=5)
    up = analyze_uptake(
        up_plate.drop(columns="count_time_s"),
        km_M=0.3e-6,
        specific_activity_Ci_per_mmol=40.0,
        incubation_s=300.0,
        protein_mg_per_well=0.1,
    )
    for options in (comp.options, sat.options, up.settings):
        assert options["weighting"] == "counts_1min"
        assert options["weighting_text"] == WORDS_1MIN


def test_saturation_without_counting_times_equals_a_60_s_count():
    plate = _saturation()
    plate["count_time_s"] = 60.0
    given = analyze_saturation(plate).params
    assumed = analyze_saturation(plate.drop(columns="count_time_s")).params
    for col in ("kd_M", "kd_ci_low_M", "kd_ci_high_M", "bmax_cpm", "bmax_ci_high_cpm"):
        np.testing.assert_allclose(assumed[col], given[col], rtol=1e-9)


def test_counting_times_from_the_file_are_said_so():
    res = analyze_competition(_competition(count_time_s=30.0), radioligand_M=LIG, kd_M=KD)
    assert res.options["weighting"] == "counts"
    assert "counting time from the file" in res.options["weighting_text"]


def test_rout_is_off_by_default():
    assert BINDING_SCHEMA.key("rout").default is False
    assert UPTAKE_SCHEMA.key("rout").default is False
    res = analyze_competition(_competition(outliers=1), radioligand_M=LIG, kd_M=KD)
    assert res.options["rout"] is False
    assert not res.points["excluded"].any()
    # opted in, the planted well is found
    res = analyze_competition(_competition(outliers=1), radioligand_M=LIG, kd_M=KD, rout=True)
    assert res.points["excluded"].sum() >= 1


def test_rout_with_unweighted_counts_is_refused_with_the_reason():
    with pytest.raises(UsageError, match="high-count wells for outliers"):
        analyze_competition(_competition(), radioligand_M=LIG, kd_M=KD, rout=True, weighting="none")
    concs = concentration_series(0.5e-9, radioligand_M=15e-9, kd_M=0.3e-6)
    plate = simulate_uptake(uptake_layout(concs, compound="x", substrate_M=15e-9), seed=5)
    with pytest.raises(UsageError, match="refused for uptake counts"):
        analyze_uptake(
            plate,
            km_M=0.3e-6,
            specific_activity_Ci_per_mmol=40.0,
            incubation_s=300.0,
            protein_mg_per_well=0.1,
            rout=True,
            weighting="none",
        )
