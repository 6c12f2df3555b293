"""Tests of pdstudy.simulate.plates against hand-written analytic models and statistics."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import pdstudy.simulate.defaults as defaults_module
from pdstudy.design.plates import (
    competition_layout,
    concentration_series,
    saturation_layout,
    saturation_series,
    uptake_layout,
)
from pdstudy.errors import LayoutError
from pdstudy.simulate import (
    COMPETITION,
    depleted_bound,
    simulate_competition,
    simulate_protein_plate,
    simulate_saturation,
    simulate_uptake,
    without_truth,
)

QUIET = {"cv": 0.0, "pipetting_cv": 0.0, "counting_noise": False}
DPM_PER_CI = 2.22e12  # 3.7e10 Bq/Ci x 60 s/min


@pytest.fixture
def comp_layout() -> pd.DataFrame:
    concs = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9)
    return competition_layout(concs, compound="norclomipramine", n_blank=2)


def _hill(x, window, ic50, h):
    """The brief's model, written independently of the code under test."""
    out = np.full_like(x, window, dtype=float)
    pos = x > 0
    out[pos] = window / (1 + 10 ** ((np.log10(x[pos]) - np.log10(ic50)) * h))
    return out


# ------------------------------------------------------------ competition: exact model


@pytest.mark.parametrize("hill", [1.0, 0.8, 1.4])
def test_competition_zero_noise_equals_analytic_model(comp_layout, hill):
    ki, kd, lig, window, f_nsb, bg = 0.5e-9, 0.8e-9, 1e-9, 6000.0, 0.1, 20.0
    plate = simulate_competition(
        comp_layout,
        ki_M=ki,
        kd_M=kd,
        radioligand_M=lig,
        hill=hill,
        bmax_cpm=window,
        nsb_fraction=f_nsb,
        background_cpm=bg,
        seed=0,
        **QUIET,
    )
    ic50 = ki * (1 + lig / kd)  # Cheng-Prusoff: 1.125 nM
    nsb = f_nsb / (1 - f_nsb) * window
    comp = plate[plate.role == "competition"]
    expected = _hill(comp["conc_M"].to_numpy(), window, ic50, hill)
    np.testing.assert_allclose(comp["cpm"] - nsb - bg, expected, rtol=1e-12)
    # specific = total - NSB as an analyst computes it from the plate itself
    nsb_wells = plate.loc[plate.role == "nsb", "cpm"].mean()
    np.testing.assert_allclose(comp["cpm"] - nsb_wells, expected, rtol=1e-12)
    tot = plate.loc[plate.role == "total", "cpm"]
    np.testing.assert_allclose(tot, window + nsb + bg)
    assert (nsb_wells - bg) / (tot.mean() - bg) == pytest.approx(f_nsb)
    np.testing.assert_allclose(plate.loc[plate.role == "blank", "cpm"], bg)
    np.testing.assert_allclose(plate["cpm"], plate["true_cpm"], rtol=1e-12)
    np.testing.assert_allclose(plate["dpm"], plate["cpm"] / 0.45)
    assert (plate["signal"] == plate["cpm"]).all()
    assert plate.attrs["truth"]["ic50_M"] == {"norclomipramine": pytest.approx(1.125e-9)}
    comp_ic50 = plate.loc[plate.role == "competition", "true_ic50_M"]
    assert np.allclose(comp_ic50, 1.125e-9)


def test_competition_several_compounds_per_compound_ki():
    lay = competition_layout([1e-7, 1e-8, 1e-9], compound=["a", "b"])
    plate = simulate_competition(
        lay, ki_M={"a": 1e-9, "b": 1e-8}, kd_M=1e-9, radioligand_M=1e-9, seed=1, **QUIET
    )
    assert plate.attrs["truth"]["ic50_M"] == {"a": pytest.approx(2e-9), "b": pytest.approx(2e-8)}
    # at X = IC50 of b (2e-8 is not on the grid); at X = 1e-8, b keeps 1/(1+0.5) of the window
    b = plate[(plate.compound == "b") & np.isclose(plate.conc_M, 1e-8, rtol=1e-12, atol=0)]
    np.testing.assert_allclose(b["true_specific_cpm"], COMPETITION.bmax_cpm / 1.5)
    with pytest.raises(LayoutError, match="no ki_M given for compound 'b'"):
        simulate_competition(lay, ki_M={"a": 1e-9}, seed=1)


# ------------------------------------------------------------ depletion


def test_depleted_bound_solves_mass_action_and_matches_brentq():
    rng = np.random.default_rng(3)
    r = 10 ** rng.uniform(-11, -8, 50)
    lig = 10 ** rng.uniform(-11, -8, 50)
    kd = 10 ** rng.uniform(-10, -8, 50)
    b = depleted_bound(r, lig, kd)
    # B = R (L - B) / (Kd + L - B), the definition, with free ligand L - B
    np.testing.assert_allclose(b, r * (lig - b) / (kd + lig - b), rtol=1e-9)
    for i in range(0, 50, 7):
        root = optimize.brentq(
            lambda x, i=i: x * (kd[i] + lig[i] - x) - r[i] * (lig[i] - x),
            0.0,
            min(r[i], lig[i]),
            xtol=1e-30,
            rtol=1e-14,
        )
        assert b[i] == pytest.approx(root, rel=1e-9)
    assert np.all((b >= 0) & (b <= np.minimum(r, lig)))


def test_competition_depletion(comp_layout):
    kw = {"kd_M": 0.8e-9, "radioligand_M": 1e-9, "ki_M": 0.5e-9, "seed": 0, **QUIET}
    dep = simulate_competition(comp_layout, depletion=True, **kw)
    plain = simulate_competition(comp_layout, depletion=False, **kw)
    truth = dep.attrs["truth"]
    # the window at zero competitor is still bmax_cpm
    tot = dep.loc[dep.role == "total", "true_specific_cpm"]
    np.testing.assert_allclose(tot, COMPETITION.bmax_cpm, rtol=1e-9)
    # bound fraction = window / radioligand added, added = 1 nM x 200 uL x 80 Ci/mmol x 0.45
    added_cpm = 1e-9 * 200e-6 * 80e3 * DPM_PER_CI * 0.45
    assert truth["added_cpm"] == pytest.approx(added_cpm)
    assert truth["bound_fraction"] == pytest.approx(COMPETITION.bmax_cpm / added_cpm)
    # each competition well satisfies mass action with Kd_app = Kd (1 + X/Ki)
    comp = dep[dep.role == "competition"]
    cpm_per_M = added_cpm / 1e-9
    b = comp["true_specific_cpm"].to_numpy() / cpm_per_M
    kd_app = 0.8e-9 * (1 + comp["conc_M"].to_numpy() / 0.5e-9)
    r = truth["receptor_M"]
    np.testing.assert_allclose(b, r * (1e-9 - b) / (kd_app + 1e-9 - b), rtol=1e-9)
    # depletion moves the curve right: more specific binding left at every X > 0
    p = plain[plain.role == "competition"]
    assert np.all(comp["true_specific_cpm"].to_numpy() > p["true_specific_cpm"].to_numpy())


def test_depletion_vanishes_with_little_receptor(comp_layout):
    kw = {"bmax_cpm": 1e-3, "seed": 0, **QUIET}
    dep = simulate_competition(comp_layout, depletion=True, **kw)
    plain = simulate_competition(comp_layout, depletion=False, **kw)
    np.testing.assert_allclose(dep["true_specific_cpm"], plain["true_specific_cpm"], rtol=1e-6)
    with pytest.raises(ValueError, match="more than the radioligand added"):
        simulate_competition(comp_layout, depletion=True, bmax_cpm=1e6, seed=0)


# ------------------------------------------------------------ noise: statistics


def test_means_over_seeds_converge_to_truth(comp_layout):
    # Mean of N plates per well vs true_cpm. Under the documented noise model
    # Var(cpm) = mu_b^2 ((1+p^2)(1+c^2) - 1) + mu / t_min, mu_b = specific + NSB.
    # The z-score of each well mean is ~N(0,1); with 38 wells, max |z| > 4.5 has
    # probability < 38 * 7e-6 = 3e-4 for a correct simulator (and the seeds are
    # fixed, so the test is deterministic), while a bias of 1 % of the signal
    # (~0.45 SD of one plate; 9 SDs of the mean) would fail.
    n = 400
    cv, pip = 0.05, 0.02
    sims = np.stack(
        [
            simulate_competition(comp_layout, seed=s, cv=cv, pipetting_cv=pip)["cpm"]
            for s in range(n)
        ]
    )
    truth = simulate_competition(comp_layout, seed=0)
    mu = truth["true_cpm"].to_numpy()
    mu_b = (truth["true_specific_cpm"] + truth["true_nonspecific_cpm"]).to_numpy()
    var = mu_b**2 * ((1 + pip**2) * (1 + cv**2) - 1) + mu / 1.0
    z = (sims.mean(axis=0) - mu) / np.sqrt(var / n)
    assert np.max(np.abs(z)) < 4.5
    # the variance formula holds too: sample var / predicted var ~ chi2(n-1)/(n-1);
    # its 0.05 %-99.95 % range for n = 400 is about 0.78-1.25
    ratio = sims.var(axis=0, ddof=1) / var
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], n - 1) / (n - 1)
    assert np.all((ratio > lo) & (ratio < hi)), ratio


@pytest.mark.parametrize("count_time_s", [60.0, 240.0, 15.0])
def test_poisson_counting_variance(count_time_s):
    # 360 total wells of the same mean: with only counting noise, counts are Poisson,
    # so Var(cpm) = cpm / t_min. (n-1) s^2 / sigma^2 ~ chi2(n-1): two-sided 0.1 % bounds.
    lay = competition_layout([1e-9], compound="x", n_total=360, plate_format=384)
    plate = simulate_competition(
        lay, cv=0.0, pipetting_cv=0.0, count_time_s=count_time_s, seed=11, bmax_cpm=3000.0
    )
    tot = plate[plate.role == "total"]
    mu = tot["true_cpm"].iloc[0]
    minutes = count_time_s / 60
    counts = tot["cpm"] * minutes
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)  # whole counts
    n = len(tot)
    stat = (n - 1) * tot["cpm"].var(ddof=1) / (mu / minutes)
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], n - 1)
    assert lo < stat < hi
    assert abs(tot["cpm"].mean() - mu) < 4 * np.sqrt(mu / minutes / n)
    assert (plate["count_time_s"] == count_time_s).all()


def test_outliers_are_recorded(comp_layout):
    plate = simulate_competition(comp_layout, outliers=5, seed=4, **QUIET)
    out = plate["true_outlier"]
    assert out.sum() == 5
    assert sorted(plate.attrs["truth"]["outlier_wells"]) == sorted(
        f"{p}:{w}" for p, w in zip(plate.plate[out], plate.well[out], strict=True)
    )
    ratio = plate["cpm"] / plate["true_cpm"]
    np.testing.assert_allclose(ratio[~out], 1.0)
    assert np.all(np.abs(np.log10(ratio[out])) >= 0.5 - 1e-12)
    frac = simulate_competition(comp_layout, outliers=0.1, seed=4)
    assert frac["true_outlier"].sum() == round(0.1 * len(comp_layout))


@pytest.mark.parametrize("bad", [1.5, -1, True, "3"])
def test_outliers_bad(comp_layout, bad):
    with pytest.raises(ValueError, match="outliers"):
        simulate_competition(comp_layout, outliers=bad, seed=0)


def test_same_seed_same_plate(comp_layout):
    a = simulate_competition(comp_layout, seed=42, outliers=2)
    b = simulate_competition(comp_layout, seed=42, outliers=2)
    pd.testing.assert_frame_equal(a, b)
    c = simulate_competition(comp_layout, rng=np.random.default_rng(42), outliers=2)
    pd.testing.assert_frame_equal(a, c)
    d = simulate_competition(comp_layout, seed=43, outliers=2)
    assert not np.array_equal(a["cpm"], d["cpm"])
    with pytest.raises(ValueError, match="either rng or seed"):
        simulate_competition(comp_layout, seed=1, rng=np.random.default_rng(1))


def test_without_truth_leaves_instrument_columns(comp_layout):
    plate = simulate_competition(comp_layout, seed=1)
    raw = without_truth(plate)
    assert not [c for c in raw.columns if c.startswith("true_")]
    assert {"plate", "well", "cpm", "dpm", "count_time_s", "signal"} <= set(raw.columns)
    assert "truth" not in raw.attrs and "truth" in plate.attrs


# ------------------------------------------------------------ layout errors


def test_bad_layouts_name_the_well(comp_layout):
    lay = comp_layout.copy()
    lay.loc[5, "role"] = "control"
    with pytest.raises(LayoutError, match=r"well A6: role 'control'"):
        simulate_competition(lay, seed=0)
    dup = pd.concat([comp_layout, comp_layout.iloc[[3]]])
    with pytest.raises(LayoutError, match="appears twice"):
        simulate_competition(dup, seed=0)
    neg = comp_layout.copy()
    neg.loc[neg.role == "competition", "conc_M"] = -1.0
    with pytest.raises(LayoutError, match="conc_M=-1.0"):
        simulate_competition(neg, seed=0)
    with pytest.raises(LayoutError, match="no 'role' column"):
        simulate_competition(comp_layout.drop(columns="role"), seed=0)


def test_radioligand_from_layout():
    lay = competition_layout([1e-8], compound="x", radioligand_M=3e-9)
    plate = simulate_competition(lay, seed=0, **QUIET)
    assert plate.attrs["truth"]["radioligand_M"] == 3e-9
    with pytest.raises(LayoutError, match="contradicts"):
        simulate_competition(lay, radioligand_M=1e-9, seed=0)


# ------------------------------------------------------------ saturation


def test_saturation_zero_noise_hand_arithmetic():
    lay = saturation_layout([0.8e-9, 8e-9], n_blank=1)
    plate = simulate_saturation(
        lay,
        kd_M=0.8e-9,
        bmax_fmol_per_mg=2000,
        protein_mg_per_well=0.035,
        specific_activity_Ci_per_mmol=80,
        efficiency=0.45,
        ns_slope=0.02,
        background_cpm=0.0,
        seed=0,
        **QUIET,
    )
    at_kd = plate[np.isclose(plate.conc_M, 0.8e-9, rtol=1e-12, atol=0)]
    # Bmax = 2000 fmol/mg x 0.035 mg = 70 fmol; at L = Kd half bound: 35 fmol.
    # 35e-15 mol x 80e3 Ci/mol x 2.22e12 dpm/Ci = 6216 dpm; x 0.45 = 2797.2 cpm
    tot = at_kd[at_kd.role == "total"]
    np.testing.assert_allclose(tot["true_specific_fmol"], 35.0)
    np.testing.assert_allclose(tot["true_specific_cpm"], 2797.2)
    # NS: 0.02 x 0.8 nM x 200 uL = 3.2 fmol -> 568.32 dpm -> 255.744 cpm
    nsb = at_kd[at_kd.role == "nsb"]
    np.testing.assert_allclose(nsb["cpm"], 255.744)
    np.testing.assert_allclose(tot["cpm"], 2797.2 + 255.744)
    # radioligand added: 0.8 nM x 200 uL = 160 fmol -> 28416 dpm
    np.testing.assert_allclose(at_kd["added_dpm"], 28416.0)
    # NS linear in [L]: the 10x concentration gives 10x the NSB
    high = plate[(plate.role == "nsb") & np.isclose(plate.conc_M, 8e-9, rtol=1e-12, atol=0)]
    np.testing.assert_allclose(high["cpm"], 2557.44)
    # total specific at 10 Kd: 70 x 10/11 fmol
    high_t = plate[(plate.role == "total") & np.isclose(plate.conc_M, 8e-9, rtol=1e-12, atol=0)]
    np.testing.assert_allclose(high_t["true_specific_fmol"], 700 / 11)
    assert (plate.loc[plate.role == "blank", "cpm"] == 0).all()


def test_saturation_depletion_mass_action():
    lay = saturation_layout(saturation_series(0.8e-9))
    plate = simulate_saturation(lay, depletion=True, seed=0, **QUIET)
    tot = plate[plate.role == "total"]
    r = plate.attrs["truth"]["receptor_M"]
    b = tot["true_specific_fmol"].to_numpy() * 1e-15 / 200e-6
    lig = tot["conc_M"].to_numpy()
    np.testing.assert_allclose(b, r * (lig - b) / (0.8e-9 + lig - b), rtol=1e-9)
    np.testing.assert_allclose(tot["true_free_M"], lig - b)


# ------------------------------------------------------------ uptake


def test_uptake_zero_noise_hand_arithmetic():
    lay = uptake_layout([0.525e-9, 1e-6], compound="norclomipramine", substrate_M=15e-9)
    plate = simulate_uptake(lay, ki_M=0.5e-9, km_M=0.3e-6, background_cpm=0.0, seed=0, **QUIET)
    # control specific: 2 pmol/mg/min x 15/(300+15) x 0.1 mg x 5 min = 0.047619 pmol
    # -> 0.047619e-12 mol x 40e3 Ci/mol x 2.22e12 dpm/Ci x 0.45 = 1902.857 cpm
    specific = 1902.857  # the hand arithmetic above, not recomputed from the code's constants
    ctl = plate.loc[plate.role == "control", "cpm"].to_numpy()
    nsb = plate.loc[plate.role == "nsb", "cpm"].to_numpy()
    # Michel 1984: only 34 % desipramine-sensitive -> NSB is 66 % of control uptake
    np.testing.assert_allclose(nsb / ctl, 0.66)
    np.testing.assert_allclose(ctl - nsb, specific, rtol=1e-6)
    # IC50 = Ki (1 + S/Km) = 0.5 nM x 1.05 = 0.525 nM: half of the specific uptake left
    at_ic50 = plate[(plate.role == "competition") & (plate.conc_M < 1e-8)]
    np.testing.assert_allclose(at_ic50["cpm"] - nsb.mean(), specific / 2)
    assert plate.attrs["truth"]["ic50_M"]["norclomipramine"] == pytest.approx(0.525e-9)


def test_uptake_ic50_direct_and_errors():
    lay = uptake_layout([0.37e-9], compound="desipramine", nonspecific="4C")
    plate = simulate_uptake(lay, ic50_M=0.37e-9, background_cpm=0.0, seed=0, **QUIET)
    comp = plate[plate.role == "competition"]
    ctl = plate[plate.role == "control"]
    np.testing.assert_allclose(comp["true_specific_cpm"], ctl["true_specific_cpm"].iloc[0] / 2)
    with pytest.raises(ValueError, match="not both"):
        simulate_uptake(lay, ki_M=1e-9, ic50_M=1e-9, seed=0)
    with pytest.raises(LayoutError, match="role 'total'"):
        simulate_uptake(competition_layout([1e-9], compound="x"), seed=0)


# ------------------------------------------------------------ protein plate


def test_protein_plate_zero_noise_and_truth():
    plate = simulate_protein_plate(
        samples_ug_per_mL={"m1": 400.0, "m2": 1200.0}, cv=0.0, sd_absorbance=0.0, seed=0
    )
    assert plate["role"].value_counts().to_dict() == {"standard": 16, "sample": 6, "blank": 2}
    c = plate["true_protein_ug_per_mL"]
    np.testing.assert_allclose(plate["signal"], 0.10 + 1.0e-3 * c - 1.5e-7 * c**2)
    # A(2000) = 0.1 + 2 - 0.6 = 1.5 by hand
    top = plate[plate.protein_ug_per_mL == 2000]
    np.testing.assert_allclose(top["signal"], 1.5)
    samples = plate[plate.role == "sample"]
    assert samples["protein_ug_per_mL"].isna().all()
    assert samples.groupby("sample")["true_protein_ug_per_mL"].first().to_dict() == {
        "m1": 400.0,
        "m2": 1200.0,
    }


def test_protein_plate_noise_outliers_and_errors():
    a = simulate_protein_plate(seed=5, outliers=3)
    b = simulate_protein_plate(seed=5, outliers=3)
    pd.testing.assert_frame_equal(a, b)
    assert a["true_outlier"].sum() == 3 == len(a.attrs["truth"]["outlier_wells"])
    resid = (a["signal"] - a["true_signal"])[~a["true_outlier"]]
    assert resid.abs().max() < 0.2 and resid.std() > 0
    with pytest.raises(ValueError, match="peaks at"):
        simulate_protein_plate(curvature_per_ug2_per_mL2=-5e-7, seed=0)
    with pytest.raises(LayoutError, match="no true concentration for sample 'S1'"):
        from pdstudy.design.plates import protein_layout

        simulate_protein_plate(protein_layout(["S1"]), samples_ug_per_mL={"S2": 1.0}, seed=0)


# ------------------------------------------------------------ defaults


def test_defaults_are_frozen_and_sourced():
    with pytest.raises(dataclasses.FrozenInstanceError):
        COMPETITION.ki_M = 1.0  # type: ignore[misc]
    src = inspect.getsource(defaults_module)
    for source in ("Tejani-Butt 1992", "Coyle & Axelrod 1971", "Michel et al. 1984", "protocol"):
        assert source in src
    assert COMPETITION.kd_M == 0.8e-9
    assert defaults_module.UPTAKE.km_M == 0.3e-6
    assert defaults_module.UPTAKE.desipramine_ic50_M == 0.37e-9
    assert defaults_module.UPTAKE.nonspecific_fraction == pytest.approx(1 - 0.34)


def test_simulated_plate_round_trips_through_io_write_plate(tmp_path, comp_layout):
    io = pytest.importorskip("pdstudy.io", reason="pdstudy.io not available")
    if not hasattr(io, "write_plate") or not hasattr(io, "read_plate"):
        pytest.skip("pdstudy.io has no write_plate/read_plate yet")
    plate = simulate_competition(comp_layout, seed=8)
    path = io.write_plate(without_truth(plate), tmp_path / "plate.csv", "long_csv")
    back = io.read_plate(path)
    merged = plate.merge(back, on=["plate", "well"], suffixes=("", "_read"))
    assert len(merged) == len(plate)
    np.testing.assert_allclose(merged["cpm_read"], merged["cpm"], rtol=1e-9)
