"""Uptake: the protein's uncertainty in every per-mg number; statistics beside their curve.

Before: uptake rates and Vmax (per mg protein) carried only the counts' CI even
when the protein per well was read off a standard curve with a wide interval;
and the kinetics table's R² was that of the total + nonspecific fit, not of
the specific Michaelis-Menten curve the user reads.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pdstudy.assays.protein import analyze_protein
from pdstudy.assays.uptake import analyze_uptake, analyze_uptake_kinetics
from pdstudy.design import concentration_series, saturation_layout, uptake_layout
from pdstudy.simulate import simulate_protein_plate, simulate_uptake, without_truth
from pdstudy.simulate.plates import simulate_uptake_kinetics

KM = 0.3e-6
SUSPENSION_L = 100e-6
COMMON = {"specific_activity_Ci_per_mmol": 40.0, "incubation_s": 300.0}


@pytest.fixture(scope="module")
def protein():
    plate = simulate_protein_plate(samples_ug_per_mL={"syn": 1000.0}, seed=4, cv=0.04)
    res = analyze_protein(without_truth(plate))
    _, lo, hi = res.protein_with_ci("syn")
    assert hi / lo > 1.02  # a real interval to carry
    return res


def _kinetics_plate():
    lay = saturation_layout(KM * np.geomspace(0.1, 10, 8), radioligand="[3H]NE", target="NET")
    return without_truth(simulate_uptake_kinetics(lay, seed=6))


def _log_hw(value, lo, hi):
    return math.log(value / lo), math.log(hi / value)


def test_vmax_ci_carries_the_protein_interval(protein):
    plate = _kinetics_plate()
    mg_mL, lo, hi = protein.protein_with_ci("syn")
    mg = mg_mL * SUSPENSION_L * 1e3
    exact = analyze_uptake_kinetics(plate, protein_mg_per_well=mg, **COMMON).curves.iloc[0]
    read = analyze_uptake_kinetics(
        plate, protein=protein, protein_sample="syn", suspension_volume_L=SUSPENSION_L, **COMMON
    ).curves.iloc[0]
    assert read["vmax_pmol_per_mg_per_min"] == pytest.approx(exact["vmax_pmol_per_mg_per_min"])
    assert read["km_ci_low_M"] == pytest.approx(exact["km_ci_low_M"])  # Km does not depend on it
    v = exact["vmax_pmol_per_mg_per_min"]
    d0, u0 = _log_hw(v, exact["vmax_ci_low"], exact["vmax_ci_high"])
    down = math.hypot(d0, math.log(hi / mg_mL))
    up = math.hypot(u0, math.log(mg_mL / lo))
    assert read["vmax_ci_low"] == pytest.approx(v * math.exp(-down), rel=1e-9)
    assert read["vmax_ci_high"] == pytest.approx(v * math.exp(up), rel=1e-9)
    assert read["protein_ci_low_mg_per_well"] == pytest.approx(lo * SUSPENSION_L * 1e3)
    assert np.isnan(exact["protein_ci_low_mg_per_well"])


def test_control_rate_ci_carries_the_protein_interval(protein):
    concs = concentration_series(0.5e-9, radioligand_M=15e-9, kd_M=KM)
    plate = simulate_uptake(uptake_layout(concs, compound="x", substrate_M=15e-9), seed=5)
    mg_mL, lo, hi = protein.protein_with_ci("syn")
    mg = mg_mL * SUSPENSION_L * 1e3
    kw = {"km_M": KM, **COMMON}
    exact = analyze_uptake(plate, protein_mg_per_well=mg, **kw).curves.iloc[0]
    read = analyze_uptake(
        plate, protein=protein, protein_sample="syn", suspension_volume_L=SUSPENSION_L, **kw
    ).curves.iloc[0]
    rate = exact["control_rate_pmol_per_mg_per_min"]
    # the counts' own CI: control - nonspecific, by hand from the QC table
    qc = analyze_uptake(plate, protein_mg_per_well=mg, **kw).qc.iloc[0]
    se = math.sqrt(
        qc["control_rate_sd"] ** 2 / qc["n_control"]
        + qc["nonspecific_rate_sd"] ** 2 / qc["n_nonspecific"]
    )
    half = stats.t.ppf(0.975, qc["n_control"] + qc["n_nonspecific"] - 2) * se
    assert exact["control_rate_ci_low"] == pytest.approx(rate - half, rel=1e-9)
    d0, u0 = _log_hw(rate, rate - half, rate + half)
    assert read["control_rate_ci_low"] == pytest.approx(
        rate * math.exp(-math.hypot(d0, math.log(hi / mg_mL))), rel=1e-9
    )
    assert read["control_rate_ci_high"] == pytest.approx(
        rate * math.exp(math.hypot(u0, math.log(mg_mL / lo))), rel=1e-9
    )


def test_kinetics_r_squared_describes_the_specific_curve():
    plate = _kinetics_plate()
    res = analyze_uptake_kinetics(plate, protein_mg_per_well=0.1, nonspecific="linear", **COMMON)
    row = res.curves.iloc[0]
    pts = res.points[res.points["role"] == "total"]
    y = pts["specific_rate_pmol_per_mg_per_min"].to_numpy()
    s = pts["substrate_M"].to_numpy()
    pred = row["vmax_pmol_per_mg_per_min"] * s / (row["km_M"] + s)
    by_hand = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert row["r_squared"] == pytest.approx(by_hand, rel=1e-9)
    # the global fit's own R² (total and nonspecific wells) is kept, under its own name
    fit = res.fits["linear"]
    assert row["r_squared_fit"] == pytest.approx(float(fit.r_squared()[0]), rel=1e-12)
    assert row["r_squared"] < row["r_squared_fit"]
