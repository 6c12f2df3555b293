"""Protein samples read near the lowest standard are flagged; the weighting follows the residuals.

Before: a sample read just above the lowest standard, where the calibration
interval is widest relative to the value, carried no flag.
"""

from __future__ import annotations

import pytest

from pdstudy.assays.protein import analyze_protein
from pdstudy.assays.protein.analysis import NEAR_LOWEST_FACTOR
from pdstudy.simulate import simulate_protein_plate, without_truth


def _result(**kw):
    plate = simulate_protein_plate(
        samples_ug_per_mL={"low": 35.0, "mid": 900.0}, seed=11, cv=0.0, sd_absorbance=0.0, **kw
    )
    return analyze_protein(without_truth(plate))


def test_a_sample_near_the_lowest_standard_is_flagged_with_its_interval():
    res = _result()
    rows = res.samples.set_index("sample")
    assert rows.loc["low", "conc_in_well_ug_per_mL"] == pytest.approx(35.0, rel=1e-6)
    assert 35.0 < NEAR_LOWEST_FACTOR * 25.0
    assert "near_lowest_standard" in rows.loc["low", "flags"].split(";")
    assert "lowest standard (25 µg/mL)" in rows.loc["low", "reason"]
    assert "near_lowest_standard" not in rows.loc["mid", "flags"]
    by = res.by_sample().set_index("sample")
    assert by.loc["low", "flags"] == "near_lowest_standard"
    assert by.loc["mid", "flags"] == ""


def test_auto_weighting_follows_the_standards_residuals():
    # proportional absorbance noise: the standards' residuals support relative weights (the
    # back-calculated standards' errors are still shown beside the likelihoods)
    picks = []
    for seed in range(6):
        plate = simulate_protein_plate(
            samples_ug_per_mL={"s": 900.0}, seed=seed, cv=0.04, sd_absorbance=0.0005
        )
        res = analyze_protein(without_truth(plate), weights="auto")
        picks.append(res.weighting)
        assert "back-calculated standards" in res.weighting_selection
    assert picks.count("1/y2") >= 5, picks
