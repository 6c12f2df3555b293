"""Protein determination (Bradford/BCA standard curves): pdstudy.assays.protein.

Validated against the simulator's known concentrations, against numpy's
least-squares polynomial fit, and against BioTek Gen5's own standard-curve
results exported in a real file of ../shared/testdata.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from pdstudy.assays.protein import ProteinResult, analyze_protein, plot_protein
from pdstudy.design.plates import protein_layout
from pdstudy.errors import LayoutError
from pdstudy.simulate import simulate_protein_plate, without_truth

SHARED = Path(__file__).resolve().parents[2] / "shared"
PLATES = SHARED / "testdata" / "plates"


def _multi(n: int, seed: int, **kw) -> pd.DataFrame:
    """``n`` simulated plates (plate "p0".."p<n-1>") in one frame."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n):
        f = simulate_protein_plate(rng=rng, **kw)
        f["plate"] = f"p{k}"
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ exact cases


def test_noise_free_quadratic_plate_gives_the_true_concentrations():
    plate = simulate_protein_plate(seed=1, cv=0.0, sd_absorbance=0.0)
    res = analyze_protein(without_truth(plate))
    assert res.chosen == {"1": "quadratic"}
    truth = plate.attrs["truth"]["samples_ug_per_mL"]
    for rec in res.samples.to_dict("records"):
        assert rec["protein_ug_per_mL"] == pytest.approx(truth[rec["sample"]], rel=1e-6)
        assert rec["protein_mg_per_mL"] == pytest.approx(truth[rec["sample"]] / 1e3, rel=1e-6)
        assert rec["flags"] == ""


def test_linear_fit_equals_numpy_polyfit():
    plate = without_truth(simulate_protein_plate(seed=3))
    res = analyze_protein(plate, model="linear")
    st = res.standards[res.standards["role"] == "standard"]
    # numpy: ordinary least squares of the blank-subtracted standards
    slope, icpt = np.polyfit(st["protein_ug_per_mL"], st["absorbance"], 1)
    lin = res.models[res.models["model"] == "linear"].iloc[0]
    assert lin["param_slope"] == pytest.approx(slope, rel=1e-8)
    assert lin["param_intercept"] == pytest.approx(icpt, rel=1e-6, abs=1e-10)
    blank = plate.loc[plate["role"] == "blank", "signal"].mean()
    assert lin["blank_absorbance"] == pytest.approx(blank)
    # inverse of the line, by hand
    s1 = res.samples[res.samples["sample"] == "S1"].iloc[0]
    mean_a = plate.loc[plate["sample"] == "S1", "signal"].mean() - blank
    assert s1["conc_in_well_ug_per_mL"] == pytest.approx((mean_a - icpt) / slope, rel=1e-6)


def test_dilution_factor_multiplies_and_samples_agree_across_dilutions():
    lay = protein_layout(["A", "B"], sample_replicates=3)
    # the same preparation measured neat and diluted 1:4
    lay["sample"] = lay["sample"].replace({"B": "A"})
    lay["dilution"] = np.where(
        lay["role"] == "sample", np.where(lay["replicate"].isin([1, 2, 3]), 1.0, np.nan), np.nan
    )
    samples = lay[lay["role"] == "sample"].index
    lay.loc[samples[3:], "dilution"] = 4.0
    plate = simulate_protein_plate(lay, samples_ug_per_mL={"A": 1200.0}, cv=0, sd_absorbance=0)
    # the simulator gives the in-well concentration: make the diluted wells read 300 µg/mL
    diluted = simulate_protein_plate(lay, samples_ug_per_mL={"A": 300.0}, cv=0, sd_absorbance=0)
    plate.loc[samples[3:], "signal"] = diluted.loc[samples[3:], "signal"]
    res = analyze_protein(without_truth(plate))
    got = res.samples.set_index("dilution")["protein_mg_per_mL"]
    assert got[1.0] == pytest.approx(1.2, rel=1e-6)
    assert got[4.0] == pytest.approx(1.2, rel=1e-6)
    assert res.samples.set_index("dilution")["conc_in_well_ug_per_mL"][4.0] == pytest.approx(300)
    comb = res.by_sample()
    assert len(comb) == 1 and comb["n_dilutions"].iloc[0] == 2
    assert res.protein_mg_per_mL("A") == pytest.approx(1.2, rel=1e-6)


# ------------------------------------------------------------------ model choice


def test_auto_picks_quadratic_for_a_curved_bca_plate_and_linear_for_a_straight_one():
    curved = analyze_protein(without_truth(_multi(20, seed=5)))
    assert sum(m == "quadratic" for m in curved.chosen.values()) >= 18
    straight = analyze_protein(
        without_truth(_multi(20, seed=6, curvature_per_ug2_per_mL2=0.0, cv=0.0, sd_absorbance=0.01))
    )
    # the F test keeps the line unless P < 0.05: about 1 plate in 20 goes quadratic by chance
    assert sum(m == "linear" for m in straight.chosen.values()) >= 16
    row = straight.models[straight.models["chosen"]].iloc[0]
    assert "F test linear vs quadratic" in row["selection"]
    assert set(straight.models["model"]) == {"linear", "quadratic", "four_pl"}


def test_forced_model_is_used_and_reported():
    res = analyze_protein(without_truth(simulate_protein_plate(seed=2)), model="four_pl")
    assert res.chosen == {"1": "four_pl"}
    assert res.samples["model"].eq("four_pl").all()
    assert res.models.loc[res.models["chosen"], "selection"].iloc[0] == "chosen by the user"


# ------------------------------------------------------------------ intervals


def test_calibration_interval_covers_the_truth_about_95_percent():
    """Homoscedastic noise (the model's assumption): 200 plates x 3 samples."""
    frame = _multi(200, seed=11, cv=0.0, sd_absorbance=0.01)
    res = analyze_protein(without_truth(frame), model="quadratic")
    truth = dict(simulate_protein_plate(seed=0).attrs["truth"]["samples_ug_per_mL"])
    s = res.samples
    true = s["sample"].map(truth) / 1e3
    cover = ((s["ci_low_mg_per_mL"] <= true) & (true <= s["ci_high_mg_per_mL"])).mean()
    assert 0.92 <= cover <= 0.98
    bias = (s["protein_mg_per_mL"] / true - 1).mean()
    assert abs(bias) < 0.005


def test_default_noisy_plate_recovers_samples_within_a_few_percent():
    plate = simulate_protein_plate(seed=4)
    res = analyze_protein(without_truth(plate))
    truth = plate.attrs["truth"]["samples_ug_per_mL"]
    for rec in res.samples.to_dict("records"):
        assert rec["protein_ug_per_mL"] == pytest.approx(truth[rec["sample"]], rel=0.06)
        assert rec["ci_low_mg_per_mL"] < rec["protein_mg_per_mL"] < rec["ci_high_mg_per_mL"]


# ------------------------------------------------------------------ flags


def test_samples_outside_the_standards_are_flagged():
    plate = simulate_protein_plate(
        samples_ug_per_mL={"low": 10.0, "ok": 800.0, "high": 2600.0}, seed=8
    )
    res = analyze_protein(without_truth(plate), model="quadratic")
    flags = res.samples.set_index("sample")["flags"]
    assert "extrapolated" in flags["low"]
    assert "extrapolated" in flags["high"]
    assert flags["ok"] == ""
    reason = res.samples.set_index("sample")["reason"]
    assert "below the lowest standard" in reason["low"]
    assert "above the highest standard" in reason["high"]


def test_absorbance_above_the_curve_is_not_interpolable():
    plate = without_truth(simulate_protein_plate(seed=9))
    plate.loc[plate["role"] == "sample", "signal"] = 9.0
    res = analyze_protein(plate, model="quadratic")
    assert res.samples["flags"].str.contains("not_interpolable").all()
    assert res.samples["protein_mg_per_mL"].isna().all()
    with pytest.raises(ValueError, match="no protein concentration could be read off"):
        res.protein_mg_per_mL("S1")


def test_high_replicate_cv_is_flagged():
    plate = without_truth(simulate_protein_plate(seed=10))
    i = plate.index[plate["sample"] == "S2"][0]
    plate.loc[i, "signal"] *= 1.6
    res = analyze_protein(plate)
    row = res.samples.set_index("sample").loc["S2"]
    assert "high_cv" in row["flags"]
    assert "replicate CV" in row["reason"]


# ------------------------------------------------------------------ results and figure


def test_result_tables_json_and_summary():
    res = analyze_protein(without_truth(simulate_protein_plate(seed=12)))
    assert isinstance(res, ProteinResult)
    frame = res.to_frame()
    for col in ("sample", "protein_mg_per_mL", "ci_low_mg_per_mL", "ci_high_mg_per_mL", "flags"):
        assert col in frame.columns
    doc = json.loads(json.dumps(res.to_json(), allow_nan=False))
    assert doc["chosen"] == {"1": "quadratic"}
    assert len(doc["samples"]) == 3
    text = res.summary()
    assert "quadratic" in text and "S1" in text and "mg/mL" in text
    with pytest.raises(ValueError, match="3 samples"):
        res.protein_mg_per_mL()
    with pytest.raises(ValueError, match="no sample 'S9'"):
        res.protein_mg_per_mL("S9")


def test_plot_protein_returns_axes():
    res = analyze_protein(without_truth(simulate_protein_plate(seed=13)))
    ax = plot_protein(res)
    assert ax.get_xlabel().startswith("protein in well")
    assert len(ax.lines) >= 1
    two = analyze_protein(without_truth(_multi(2, seed=1)))
    with pytest.raises(ValueError, match="pass plate="):
        plot_protein(two)
    assert plot_protein(two, plate="p1").get_title().endswith("p1")
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------------ bad input


def _plate() -> pd.DataFrame:
    return without_truth(simulate_protein_plate(seed=1))


def _bad_standard(f):
    f.loc[f["role"] == "standard", "protein_ug_per_mL"] = np.nan
    return f


def _two_levels(f):
    return f.drop(f.index[(f["role"] == "standard") & (f["protein_ug_per_mL"] > 125)])


def _no_name(f):
    f.loc[f.index[f["role"] == "sample"][0], "sample"] = ""
    return f


def _fraction_dilution(f):
    f["dilution"] = np.where(f["role"] == "sample", 0.5, np.nan)
    return f


def _text_signal(f):
    f["signal"] = f["signal"].astype(object)
    f.loc[f.index[f["role"] == "standard"][0], "signal"] = "OVRFLW"
    return f


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda f: f.drop(columns="role"), LayoutError, "no 'role' column"),
        (_bad_standard, LayoutError, r"plate 1, well A3: standard well without"),
        (_two_levels, LayoutError, "2 standard concentration"),
        (_no_name, LayoutError, "sample well without a sample name"),
        (_fraction_dilution, LayoutError, "dilution factor >= 1"),
        (_text_signal, LayoutError, "'OVRFLW' is not a number"),
        (
            lambda f: f.drop(f.index[f["role"] == "standard"]),
            LayoutError,
            "no standard",
        ),
    ],
)
def test_bad_input_names_the_problem(edit, error, match):
    f = edit(_plate())
    with pytest.raises(error, match=match):
        analyze_protein(f)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"model": "cubic"}, "model='cubic'"),
        ({"weights": "1/x"}, "weights"),
        ({"level": 1.5}, "level"),
    ],
)
def test_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        analyze_protein(_plate(), **kw)


def test_protein_string_column_with_units():
    f = _plate()
    f["protein"] = [f"{v / 1000:g} mg/mL" if v == v else None for v in f["protein_ug_per_mL"]]
    f = f.drop(columns="protein_ug_per_mL")
    res = analyze_protein(f)
    ref = analyze_protein(_plate())
    pd.testing.assert_series_equal(
        res.samples["protein_mg_per_mL"], ref.samples["protein_mg_per_mL"]
    )
    f.loc[f.index[f["role"] == "standard"][0], "protein"] = "5 nM"
    with pytest.raises(LayoutError, match="is a concentration, expected a mass concentration"):
        analyze_protein(f)


# ------------------------------------------------------------------ real files


def _gen5_layout() -> pd.DataFrame:
    """The layout the Gen5 mock-BCA export describes in its 'Layout' block."""
    std = [2000, 666.67, 222.22, 74.074, 24.691, 8.2305, 2.7435]  # µg/mL, rows A-G
    rows = []
    for r, letter in enumerate("ABCDEFGH"):
        for c in range(1, 13):
            well = f"{letter}{c}"
            if c <= 3:
                if letter == "H":
                    rows.append({"well": well, "role": "blank", "protein_ug_per_mL": 0.0})
                else:
                    rows.append({"well": well, "role": "standard", "protein_ug_per_mL": std[r]})
            else:
                group = (c - 4) // 3 + (1 if r < 4 else 4)
                # 'Conc/Dil' 1, 0.5, 0.25, 0.125 is the fraction; the factor is its inverse
                rows.append(
                    {
                        "well": well,
                        "role": "sample",
                        "sample": f"SPL{group}",
                        "dilution": 2.0 ** (r % 4),
                    }
                )
    return pd.DataFrame(rows)


def _gen5_merged(tmp_path: Path) -> pd.DataFrame:
    from pdstudy.io import merge_layout, read_layout, read_plate, write_layout

    path = PLATES / "gen5_mockBCA_abs_stdcurve_simulated.txt"
    if not path.is_file():
        pytest.skip(f"shared test data not available ({path})")
    write_layout(_gen5_layout(), tmp_path / "bca.toml")
    return merge_layout(read_plate(path), read_layout(tmp_path / "bca.toml"))


def test_gen5_mock_bca_matches_gen5s_own_standard_curve(tmp_path):
    res = analyze_protein(_gen5_merged(tmp_path), model="linear")
    lin = res.models[res.models["model"] == "linear"].iloc[0]
    # Gen5 'StdCurve Fitting Results': Y = A*X + B, A = 0.00168, B = -0.000723 (3 digits shown)
    assert lin["param_slope"] == pytest.approx(0.00168, abs=0.000006)
    assert lin["param_intercept"] == pytest.approx(-0.000723, abs=0.0003)
    assert lin["r_squared"] > 0.9999
    # Gen5 '[Concentration]' rows, per well; the mean of the triplicate is ours (a line)
    gen5 = {
        ("SPL1", 1.0): (1185.551, 1200.645, 1232.046),
        ("SPL3", 1.0): (1843.220, 1796.302, 1792.346),
        ("SPL1", 8.0): (148.194, 150.080, 154.005),
        ("SPL5", 2.0): (814.405, 812.317, 831.466),
        ("SPL6", 8.0): (114.830, 115.801, 115.184),
    }
    got = res.samples.set_index(["sample", "dilution"])["conc_in_well_ug_per_mL"]
    for key, values in gen5.items():
        assert got[key] == pytest.approx(np.mean(values), rel=0.002), key


def test_gen5_mock_bca_dilutions_agree(tmp_path):
    res = analyze_protein(_gen5_merged(tmp_path))
    assert res.chosen == {"1": "linear"}  # the simulated data are straight
    per = res.samples.groupby("sample")["protein_mg_per_mL"]
    assert (per.max() / per.min()).max() < 1.01
    assert res.protein_mg_per_mL("SPL1") == pytest.approx(1.206, rel=0.005)


def test_gen5_lowry_file_with_a_masked_value_excludes_that_well():
    from pdstudy.io import read_plate

    path = PLATES / "gen5_lowry_protein_abs660_stdcurve.txt"
    if not path.is_file():
        pytest.skip(f"shared test data not available ({path})")
    frame = read_plate(path)
    flagged = frame[frame["excluded"]]
    assert flagged["well"].tolist() == ["H3"]
    assert "*0.356*" in flagged["exclude_reason"].iloc[0]
    assert frame["signal"].notna().sum() == 95
