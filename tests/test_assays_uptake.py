"""Synaptosomal uptake: pdstudy.assays.uptake (inhibition, Ki, kinetics, QC).

Validated against the simulators' known parameters (pdstudy.simulate), hand
arithmetic for the unit conversions, and CI coverage over many simulated
experiments.
"""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pdstudy.assays.protein import analyze_protein
from pdstudy.assays.uptake import (
    DPM_PER_CI,
    KineticsResult,
    UptakeResult,
    analyze_uptake,
    analyze_uptake_kinetics,
    plot_kinetics,
    plot_uptake,
    pmol_from_dpm,
    uptake_rates,
)
from pdstudy.design.plates import concentration_series, saturation_layout, uptake_layout
from pdstudy.errors import LayoutError, UsageError
from pdstudy.simulate import simulate_protein_plate, simulate_uptake, without_truth
from pdstudy.simulate.plates import simulate_uptake_kinetics

QUIET = {"cv": 0.0, "pipetting_cv": 0.0, "counting_noise": False}
S_M, KM_M, KI_M = 15e-9, 0.3e-6, 0.5e-9
CONSTS = {"km_M": KM_M, "specific_activity_Ci_per_mmol": 40.0, "incubation_s": 300.0}


def _layout(ki: float = KI_M, **kw) -> pd.DataFrame:
    concs = concentration_series(ki, radioligand_M=S_M, kd_M=KM_M)
    return uptake_layout(concs, compound="norclomipramine", substrate_M=S_M, target="NET", **kw)


def _experiments(n: int, seed: int, ki_values=(KI_M,), **sim) -> pd.DataFrame:
    """``n`` independent simulated plates per Ki value, each its own experiment."""
    rng = np.random.default_rng(seed)
    frames = []
    for ki in ki_values:
        lay = _layout(ki)
        for e in range(n):
            f = simulate_uptake(lay, ki_M=ki, rng=rng, **sim)
            name = f"ki{ki:g}-{e}"
            f["plate"] = name
            f["experiment"] = name
            f["true_ki"] = ki
            frames.append(f)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def default_plate() -> pd.DataFrame:
    """One noisy norclomipramine plate at the simulator's (cortical) defaults."""
    return without_truth(simulate_uptake(_layout(), ki_M=KI_M, seed=20))


@pytest.fixture(scope="module")
def default_result(default_plate) -> UptakeResult:
    return analyze_uptake(default_plate, protein_mg_per_well=0.1, **CONSTS)


# ------------------------------------------------------------------ unit conversions


def test_pmol_from_dpm_by_hand():
    # 10,000 DPM / 2.22e12 DPM/Ci = 4.5045e-9 Ci; / 30 Ci/mmol = 1.5015e-10 mmol = 0.15015 pmol
    assert DPM_PER_CI == 2.22e12  # 3.7e10 Bq/Ci x 60 s/min
    assert pmol_from_dpm(10_000, 30.0) == pytest.approx(0.15015015, rel=1e-7)
    assert pmol_from_dpm([0.0, 2.22e12 * 40], 40.0) == pytest.approx([0.0, 1e9])  # 1 mmol
    with pytest.raises(ValueError, match="specific activity"):
        pmol_from_dpm(1.0, 0.0)


def test_uptake_rates_by_hand():
    frame = pd.DataFrame({"well": ["A1", "A2"], "role": ["control", "nsb"], "cpm": [4500.0, 900.0]})
    out = uptake_rates(
        frame,
        specific_activity_Ci_per_mmol=30.0,
        incubation_s=300.0,
        protein_mg_per_well=0.05,
        efficiency=0.45,
    )
    # 4500 CPM / 0.45 = 10,000 DPM = 0.15015 pmol; / 0.05 mg / 5 min = 0.6006 pmol/mg/min
    assert out["dpm_used"].tolist() == pytest.approx([10_000.0, 2_000.0])
    assert out["pmol"].iloc[0] == pytest.approx(0.15015015)
    assert out["rate_pmol_per_mg_per_min"].tolist() == pytest.approx([0.6006006, 0.12012012])
    # DPM column wins when present ("auto")
    frame["dpm"] = [20_000.0, 4_000.0]
    out = uptake_rates(
        frame, specific_activity_Ci_per_mmol=30.0, incubation_s=300.0, protein_mg_per_well=0.05
    )
    assert out["rate_pmol_per_mg_per_min"].iloc[0] == pytest.approx(1.2012012)
    with pytest.raises(ValueError, match="counting efficiency"):
        uptake_rates(
            frame.drop(columns="dpm"),
            specific_activity_Ci_per_mmol=30.0,
            incubation_s=300.0,
            protein_mg_per_well=0.05,
        )


def test_noise_free_plate_gives_the_true_rates_ic50_and_ki():
    plate = simulate_uptake(_layout(), ki_M=KI_M, **QUIET)
    res = analyze_uptake(without_truth(plate), protein_mg_per_well=0.1, rout=False, **CONSTS)
    assert isinstance(res, UptakeResult)
    c = res.curves.iloc[0]
    # Vmax S / (Km + S) = 2 * 15 / 315 pmol/mg/min (simulator default Vmax 2, 0.1 mg, 5 min)
    assert c["control_rate_pmol_per_mg_per_min"] == pytest.approx(2 * 15 / 315, rel=1e-9)
    ic50 = KI_M * (1 + S_M / KM_M)
    assert c["ic50_M"] == pytest.approx(ic50, rel=1e-5)
    assert c["ki_M"] == pytest.approx(KI_M, rel=1e-5)
    assert c["pki"] == pytest.approx(-math.log10(KI_M), abs=1e-5)
    assert c["substrate_M"] == S_M and c["km_M"] == KM_M
    # nonspecific share: the simulator's 0.66 of counts plus the counter background
    t = plate.attrs["truth"]
    ns = t["nonspecific_cpm"] + t["background_cpm"]
    expected = ns / (t["control_specific_cpm"] + ns)
    assert c["nonspecific_fraction"] == pytest.approx(expected, rel=1e-9)
    # % of control: 100 at control, 0 at NSB
    w = res.wells
    assert w.loc[w["role"] == "control", "pct_control"].to_numpy() == pytest.approx(100.0)
    assert w.loc[w["role"] == "nsb", "pct_control"].to_numpy() == pytest.approx(0.0, abs=1e-9)


def test_cpm_with_efficiency_equals_counter_dpm(default_plate, default_result):
    plate = default_plate
    a = default_result
    b = analyze_uptake(plate, protein_mg_per_well=0.1, counts="cpm", efficiency=0.45, **CONSTS)
    np.testing.assert_allclose(
        a.wells["rate_pmol_per_mg_per_min"], b.wells["rate_pmol_per_mg_per_min"], rtol=1e-12
    )
    assert a.curves["pki"].iloc[0] == pytest.approx(b.curves["pki"].iloc[0], abs=1e-9)
    assert "DPM from the counter" in a.settings["counts"]
    assert "CPM / efficiency 0.45" in b.settings["counts"]


def test_protein_from_a_protein_plate(default_plate, default_result):
    prot = analyze_protein(
        without_truth(simulate_protein_plate(samples_ug_per_mL={"syn": 1000.0}, seed=2))
    )
    plate = default_plate
    res = analyze_uptake(plate, protein=prot, suspension_volume_L=100e-6, **CONSTS)
    mg = prot.protein_mg_per_mL("syn") * 0.1  # mg/mL x 0.1 mL
    assert res.wells["protein_mg_per_well"].to_numpy() == pytest.approx(mg)
    # rates scale as 1 / protein: compare with the 0.1 mg of the reference analysis
    ref = default_result
    assert res.curves["control_rate_pmol_per_mg_per_min"].iloc[0] == pytest.approx(
        ref.curves["control_rate_pmol_per_mg_per_min"].iloc[0] * 0.1 / mg
    )
    assert res.curves["pki"].iloc[0] == pytest.approx(ref.curves["pki"].iloc[0], abs=1e-6)
    assert "mg/mL of syn" not in res.settings["protein"]  # no sample name given: the only one
    with pytest.raises(ValueError, match="suspension_volume_L"):
        analyze_uptake(plate, protein=prot, **CONSTS)


# ------------------------------------------------------------------ recovery and coverage


def test_noisy_experiment_recovers_the_true_ki_within_its_ci(default_result):
    c = default_result.curves.iloc[0]
    assert c["ki_ci_low_M"] < KI_M < c["ki_ci_high_M"]
    assert c["pki_ci_low"] < 9.30103 < c["pki_ci_high"]
    assert c["ic50_ci_low_M"] < c["ic50_M"] < c["ic50_ci_high_M"]
    assert c["status"] == "converged"


def test_ki_ci_coverage_quick():
    """100 experiments (Ki 0.1 nM .. 1 µM) at the default noise: a quick check of the CI."""
    frame = _experiments(25, seed=2025, ki_values=(1e-10, 3e-9, 1e-7, 1e-6))
    truth = frame.groupby("experiment")["true_ki"].first()
    cu = analyze_uptake(without_truth(frame), protein_mg_per_well=0.1, **CONSTS).curves
    true = truth.reindex(cu["experiment"]).to_numpy()
    cover = ((cu["ki_ci_low_M"] <= true) & (true <= cu["ki_ci_high_M"])).mean()
    assert 0.88 <= cover <= 0.99
    assert abs((cu["pki"] + np.log10(true)).mean()) < 0.05


@pytest.mark.slow
def test_ki_ci_coverage_over_200_simulated_experiments():
    """Ki 0.1 nM .. 1 µM, 50 experiments each, default (cortical) noise: 95 % CI coverage."""
    kis = (1e-10, 3e-9, 1e-7, 1e-6)
    frame = _experiments(50, seed=2024, ki_values=kis)
    truth = frame.groupby("experiment")["true_ki"].first()
    res = analyze_uptake(without_truth(frame), protein_mg_per_well=0.1, **CONSTS)
    cu = res.curves.set_index("experiment")
    true = truth.reindex(cu.index)
    cover = ((cu["ki_ci_low_M"] <= true) & (true <= cu["ki_ci_high_M"])).mean()
    assert 0.90 <= cover <= 0.98
    bias = (cu["pki"] + np.log10(true)).mean()
    assert abs(bias) < 0.05
    assert (cu["status"] == "converged").mean() > 0.98


@pytest.mark.slow
def test_ki_ci_coverage_over_800_experiments_and_noise_levels():
    kis = (1e-10, 1e-9, 1e-8, 1e-7)
    frames = [
        _experiments(100, seed=7, ki_values=kis, nonspecific_fraction=0.5),
        _experiments(100, seed=8, ki_values=kis, nonspecific_fraction=0.66, cv=0.08),
    ]
    frames[1]["experiment"] = "b" + frames[1]["experiment"]
    frames[1]["plate"] = frames[1]["experiment"]
    frame = pd.concat(frames, ignore_index=True)
    truth = frame.groupby("experiment")["true_ki"].first()
    cu = analyze_uptake(without_truth(frame), protein_mg_per_well=0.1, **CONSTS).curves
    true = truth.reindex(cu["experiment"]).to_numpy()
    cover = ((cu["ki_ci_low_M"] <= true) & (true <= cu["ki_ci_high_M"])).mean()
    assert 0.93 <= cover <= 0.97
    assert abs((cu["pki"] + np.log10(true)).mean()) < 0.05


# ------------------------------------------------------------------ nonspecific uptake


def test_cold_wells_define_nonspecific_uptake():
    plate = without_truth(simulate_uptake(_layout(nonspecific="4C"), seed=5, **QUIET))
    assert (plate.loc[plate["role"] == "nsb", "temperature_C"] == 4.0).all()
    res = analyze_uptake(plate, protein_mg_per_well=0.1, rout=False, **CONSTS)
    assert res.curves["ki_M"].iloc[0] == pytest.approx(KI_M, rel=1e-5)
    # a control well on ice is nonspecific too
    plate2 = plate.copy()
    plate2["role"] = plate2["role"].replace({"nsb": "control"})
    res2 = analyze_uptake(plate2, protein_mg_per_well=0.1, rout=False, **CONSTS)
    assert res2.curves["ki_M"].iloc[0] == pytest.approx(KI_M, rel=1e-5)
    assert "used as nonspecific" in res2.settings["notes"][0]
    plate3 = plate.copy()
    plate3.loc[plate3.index[plate3["role"] == "competition"][0], "temperature_C"] = 4.0
    with pytest.raises(LayoutError, match="competition well at 4 °C"):
        analyze_uptake(plate3, protein_mg_per_well=0.1, **CONSTS)


# ------------------------------------------------------------------ QC flags


def test_cortical_nonspecific_share_is_not_flagged_but_90_percent_is(default_result):
    normal = default_result
    assert "high_nsb" not in normal.curves["flags"].iloc[0]
    assert 0.55 < normal.curves["nonspecific_fraction"].iloc[0] < 0.75
    bad = analyze_uptake(
        without_truth(simulate_uptake(_layout(), seed=6, nonspecific_fraction=0.9)),
        protein_mg_per_well=0.1,
        **CONSTS,
    )
    c = bad.curves.iloc[0]
    assert "high_nsb" in c["flags"]
    assert "Michel" in c["flag_reasons"]
    assert "high_nsb" in bad.qc["flags"].iloc[0]


def test_incomplete_curve_outliers_and_poor_z_are_flagged():
    # top concentration far below the IC50: no bottom plateau
    lay = uptake_layout(concentration_series(top_M=3e-10, n=8), compound="x", substrate_M=S_M)
    res = analyze_uptake(
        without_truth(simulate_uptake(lay, ki_M=5e-9, seed=1)),
        km_M=KM_M,
        specific_activity_Ci_per_mmol=40.0,
        incubation_s=300.0,
        protein_mg_per_well=0.1,
    )
    assert "incomplete_curve" in res.curves["flags"].iloc[0]
    # a wild well
    plate = without_truth(simulate_uptake(_layout(), seed=9, **QUIET))
    i = plate.index[plate["role"] == "competition"][7]
    plate.loc[i, ["cpm", "dpm", "signal"]] *= 8.0
    res = analyze_uptake(plate, protein_mg_per_well=0.1, rout=True, **CONSTS)
    c = res.curves.iloc[0]
    assert "outliers" in c["flags"] and plate.loc[i, "well"] in c["excluded_wells"]
    assert bool(res.wells.loc[i, "excluded"])
    # control and nonspecific wells that overlap: Z' far below the threshold
    plate = without_truth(simulate_uptake(_layout(), seed=9, **QUIET))
    ctl = plate.index[plate["role"] == "control"]
    plate.loc[ctl[0], ["cpm", "dpm", "signal"]] *= 0.6
    res = analyze_uptake(plate, protein_mg_per_well=0.1, rout=False, **CONSTS)
    assert "poor_z" in res.qc["flags"].iloc[0]


# ------------------------------------------------------------------ results and figures


def test_curves_table_json_and_summary(default_result):
    res = default_result
    need = [
        "experiment", "compound", "target", "model", "log_ic50", "ic50_M", "ic50_ci_low_M",
        "ic50_ci_high_M", "hill", "ki_M", "ki_ci_low_M", "ki_ci_high_M", "pki", "pki_ci_low",
        "pki_ci_high", "status", "reason", "flags", "substrate_M", "km_M",
        "control_rate_pmol_per_mg_per_min", "nonspecific_fraction",
    ]  # fmt: skip
    assert list(res.to_frame().columns[: len(need) - 4]) == need[:-4]
    assert set(need) <= set(res.to_frame().columns)
    doc = json.loads(json.dumps(res.to_json(), allow_nan=False))
    assert doc["assay"] == "uptake_inhibition"
    assert doc["curves"][0]["compound"] == "norclomipramine"
    assert doc["settings"]["specific_activity_Ci_per_mmol"] == 40.0
    text = res.summary()
    assert "IC50" in text and "pKi" in text and "pmol/mg/min" in text


def test_plot_uptake():
    frame = _experiments(2, seed=3)
    res = analyze_uptake(without_truth(frame), protein_mg_per_well=0.1, **CONSTS)
    ax = plot_uptake(res, curve=0)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Ki =" in texts and "IC50 =" in texts and "pmol/mg/min" in texts
    assert ax.get_ylabel() == "specific uptake (% of control)"
    ax = plot_uptake(res)  # both curves, no annotation
    assert not ax.texts
    with pytest.raises(ValueError, match="2 curves"):
        plot_uptake(res, curve="norclomipramine")
    with pytest.raises(ValueError, match="curve=5"):
        plot_uptake(res, curve=5)
    plt.close("all")


# ------------------------------------------------------------------ bad input


def _plate() -> pd.DataFrame:
    return without_truth(simulate_uptake(_layout(), seed=1, **QUIET))


def _set(col, value, role=None):
    def edit(f):
        if role is None:
            f[col] = value
        else:
            f.loc[f.index[f["role"] == role][0], col] = value
        return f

    return edit


@pytest.mark.parametrize(
    ("edit", "kw", "error", "match"),
    [
        (_set("role", "saturation", "nsb"), {}, LayoutError, "role 'saturation' is not a role"),
        (lambda f: f.drop(f.index[f["role"] == "nsb"]), {}, LayoutError,
         "no nonspecific-uptake wells"),
        (lambda f: f.drop(f.index[f["role"] == "control"]), {}, LayoutError,
         "no control"),
        (_set("conc_M", 0.0, "competition"), {}, LayoutError, r"well A7: competition well with"),
        (_set("dpm", -5.0, "control"), {}, LayoutError, r"well A1: dpm = -5.0 is not a count"),
        (_set("substrate_M", 20e-9), {"substrate_M": 15e-9}, LayoutError,
         "the layout says substrate_M"),
        (lambda f: f.drop(columns="substrate_M"), {}, ValueError,
         "no substrate concentration"),
        (None, {"km_M": None}, ValueError, "no substrate Km"),
        (None, {"protein_mg_per_well": None}, ValueError, "no protein per well"),
        (None, {"specific_activity_Ci_per_mmol": 0.0}, ValueError, "specific_activity"),
        (None, {"counts": "cpm"}, ValueError, "counting efficiency"),
        (None, {"efficiency": 1.5}, ValueError, "efficiency=1.5"),
        (None, {"weighting": "1/x"}, ValueError, "weighting"),
    ],
)  # fmt: skip
def test_bad_input_says_what_is_wrong(edit, kw, error, match):
    f = _plate()
    if edit is not None:
        f = edit(f)
    args = {**CONSTS, "protein_mg_per_well": 0.1, **kw}
    with pytest.raises(error, match=match):
        analyze_uptake(f, **args)


def test_no_competition_wells_gives_empty_curves_with_the_columns():
    f = _plate()
    res = analyze_uptake(f[f["role"] != "competition"], protein_mg_per_well=0.1, **CONSTS)
    assert res.curves.empty and "ki_M" in res.curves.columns
    assert len(res.qc) == 1
    with pytest.raises(ValueError, match="no inhibition curve"):
        plot_uptake(res)


# ------------------------------------------------------------------ kinetics


def _kin_layout() -> pd.DataFrame:
    s = KM_M * np.geomspace(0.1, 10, 8)
    return saturation_layout(s, radioligand="[3H]norepinephrine", target="NET")


KIN = {"specific_activity_Ci_per_mmol": 40.0, "incubation_s": 300.0, "protein_mg_per_well": 0.1}


def test_kinetics_simulator_matches_the_analytic_model():
    f = simulate_uptake_kinetics(_kin_layout(), **QUIET, background_cpm=0.0)
    tot = f[f["role"] == "total"]
    s = tot["conc_M"].to_numpy()
    # pmol = 2 * S/(Km+S) * 0.1 mg * 5 min; k_ns = 0.66/0.34 * 2/Km; CPM = pmol*40e3*2.22e12e-12*0.45
    spec = 2.0 * s / (KM_M + s) * 0.1 * 5
    ns = 0.66 / 0.34 * 2.0 / KM_M * s * 0.1 * 5
    np.testing.assert_allclose(tot["cpm"], (spec + ns) * 40e3 * 2.22 * 0.45, rtol=1e-12)


@pytest.mark.parametrize("nonspecific", ["linear", "per_conc"])
def test_kinetics_noise_free_recovers_km_and_vmax(nonspecific):
    f = without_truth(simulate_uptake_kinetics(_kin_layout(), **QUIET))
    res = analyze_uptake_kinetics(f, nonspecific=nonspecific, **KIN)
    assert isinstance(res, KineticsResult)
    c = res.curves.iloc[0]
    assert c["km_M"] == pytest.approx(KM_M, rel=1e-6)
    assert c["vmax_pmol_per_mg_per_min"] == pytest.approx(2.0, rel=1e-6)
    assert c["nonspecific_method"] == nonspecific
    spec = res.points.loc[res.points["role"] == "total", "specific_rate_pmol_per_mg_per_min"]
    s = res.points.loc[res.points["role"] == "total", "substrate_M"]
    np.testing.assert_allclose(spec, 2.0 * s / (KM_M + s), rtol=1e-6)


def test_kinetics_with_isotope_dilution():
    f = without_truth(simulate_uptake_kinetics(_kin_layout(), hot_substrate_M=20e-9, **QUIET))
    res = analyze_uptake_kinetics(f, hot_substrate_M=20e-9, **KIN)
    assert res.curves["km_M"].iloc[0] == pytest.approx(KM_M, rel=1e-6)
    # forgetting the isotope dilution underestimates uptake at high [S]: Km comes out wrong
    wrong = analyze_uptake_kinetics(f, **KIN)
    assert wrong.curves["km_M"].iloc[0] < 0.5 * KM_M


def test_kinetics_noisy_truth_within_ci_and_coverage():
    rng = np.random.default_rng(77)
    frames = []
    for e in range(40):
        f = without_truth(
            simulate_uptake_kinetics(_kin_layout(), nonspecific_fraction=0.3, rng=rng)
        )
        f["plate"] = f"e{e}"
        frames.append(f)
    res = analyze_uptake_kinetics(pd.concat(frames, ignore_index=True), **KIN)
    c = res.curves
    km_cover = ((c["km_ci_low_M"] <= KM_M) & (KM_M <= c["km_ci_high_M"])).mean()
    v_cover = ((c["vmax_ci_low"] <= 2.0) & (2.0 <= c["vmax_ci_high"])).mean()
    assert km_cover >= 0.85 and v_cover >= 0.85
    assert np.median(c["km_M"]) == pytest.approx(KM_M, rel=0.1)
    text = res.summary()
    assert "Km" in text and "Vmax" in text
    doc = json.loads(json.dumps(res.to_json(), allow_nan=False))
    assert doc["assay"] == "uptake_kinetics" and len(doc["curves"]) == 40


def test_kinetics_flags_a_range_that_misses_km():
    s = KM_M * np.geomspace(0.02, 0.5, 6)
    lay = saturation_layout(s, radioligand="[3H]NE")
    res = analyze_uptake_kinetics(
        without_truth(simulate_uptake_kinetics(lay, seed=3, nonspecific_fraction=0.3)), **KIN
    )
    assert "saturation_not_reached" in res.curves["flags"].iloc[0]


@pytest.fixture(scope="module")
def kinetics_result() -> KineticsResult:
    return analyze_uptake_kinetics(
        without_truth(simulate_uptake_kinetics(_kin_layout(), seed=1)), **KIN
    )


@pytest.mark.parametrize("kind", ["michaelis_menten", "eadie_hofstee", "lineweaver_burk"])
def test_plot_kinetics(kind, kinetics_result):
    ax = plot_kinetics(kinetics_result, kind=kind)
    assert ax.lines
    if kind != "michaelis_menten":
        assert "display only" in ax.get_title()
    plt.close("all")


def test_kinetics_bad_input(kinetics_result):
    f = without_truth(simulate_uptake_kinetics(_kin_layout(), seed=1))
    with pytest.raises(LayoutError, match="no nonspecific-uptake wells"):
        analyze_uptake_kinetics(f[f["role"] != "nsb"], **KIN)
    g = f.copy()
    g.loc[g.index[g["role"] == "total"][0], "role"] = "competition"
    with pytest.raises(LayoutError, match="not a role of a kinetics plate"):
        analyze_uptake_kinetics(g, **KIN)
    h = f.drop(f.index[(f["role"] == "nsb") & (f["conc_M"] == f["conc_M"].max())])
    with pytest.raises(LayoutError, match="no nonspecific wells at"):
        analyze_uptake_kinetics(h, nonspecific="per_conc", **KIN)
    assert analyze_uptake_kinetics(h, **KIN).curves["nonspecific_method"].iloc[0] == "linear"
    with pytest.raises(ValueError, match="nonspecific='x'"):
        analyze_uptake_kinetics(f, nonspecific="x", **KIN)
    with pytest.raises(ValueError, match="kind='scatchard'"):
        plot_kinetics(kinetics_result, kind="scatchard")


def test_kinetics_uses_the_one_counting_rule():
    f = without_truth(simulate_uptake_kinetics(_kin_layout(), seed=1))
    auto = analyze_uptake_kinetics(f, **KIN)
    assert auto.settings["weighting"] == "counts"
    assert auto.settings["weighting_text"].startswith(
        "weighted by the Poisson and proportional variance of the counts"
    )
    no_time = analyze_uptake_kinetics(f.drop(columns="count_time_s"), **KIN)
    assert no_time.settings["weighting"] == "counts_1min"
    assert "1-minute count assumed" in no_time.settings["weighting_text"]
    # the simulated counts are 1-minute counts: the same weights, the same fit
    assert no_time.curves["km_M"].iloc[0] == pytest.approx(auto.curves["km_M"].iloc[0], rel=1e-9)
    rel = analyze_uptake_kinetics(f, weighting="relative", **KIN)
    assert rel.settings["weighting"] == "relative"
    assert rel.curves["km_M"].iloc[0] != auto.curves["km_M"].iloc[0]
    assert rel.curves["km_M"].iloc[0] == pytest.approx(auto.curves["km_M"].iloc[0], rel=0.2)
    assert "_rate_per_cpm" not in auto.points.columns
    with pytest.raises(UsageError, match="needs a count_time_s column"):
        analyze_uptake_kinetics(f.drop(columns="count_time_s"), weighting="counts", **KIN)
    dpm_only = f.drop(columns="cpm")
    assert analyze_uptake_kinetics(dpm_only, **KIN).settings["weighting"] == "relative"
    with pytest.raises(UsageError, match="no 'cpm' column"):
        analyze_uptake_kinetics(dpm_only, weighting="counts", **KIN)
