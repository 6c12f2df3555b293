"""Competition binding analysis, QC flags, aggregation and figures (pdstudy.assays.binding).

Truth comes from pdstudy.simulate (known Ki, Kd, [L]) or from hand / scipy
computations written out in the tests.
"""

from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

matplotlib.use("Agg")

from pdstudy.assays import binding  # noqa: E402
from pdstudy.assays.binding import (  # noqa: E402
    CURVE_COLUMNS,
    QCThresholds,
    aggregate_experiments,
    analyze_competition,
    analyze_competition_files,
    dpm_to_fmol,
    plot_competition,
)
from pdstudy.assays.plates import percent_of_control  # noqa: E402
from pdstudy.assays.qc import cv_percent, replicate_cv, z_prime  # noqa: E402
from pdstudy.design import competition_layout, concentration_series  # noqa: E402
from pdstudy.errors import InputFileError, LayoutError, ModelError  # noqa: E402
from pdstudy.fitting.concentration_response import (  # noqa: E402
    fit_concentration_response,
    pack_curves,
)
from pdstudy.io import write_layout, write_plate  # noqa: E402
from pdstudy.io.jsonsafe import frame_records  # noqa: E402
from pdstudy.simulate import simulate_competition, without_truth  # noqa: E402
from pdstudy.units import format_conc_ci as conc_with_ci  # noqa: E402
from pdstudy.units import format_estimate as ki_annotation  # noqa: E402

KI, KD, LIG = 0.5e-9, 0.8e-9, 1e-9  # norclomipramine at NET, [3H]nisoxetine
TRUE_PKI = -math.log10(KI)


def _layout(ki=KI, **kw):
    concs = concentration_series(ki, radioligand_M=LIG, kd_M=KD)
    return competition_layout(
        concs, compound=kw.pop("compound", "norclomipramine"), target="NET", radioligand_M=LIG, **kw
    )


def _plates(n=3, seed=1, ki=KI, layout=None, **kw):
    layout = _layout() if layout is None else layout
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        sim = simulate_competition(layout, ki_M=ki, kd_M=KD, radioligand_M=LIG, rng=rng, **kw)
        sim["plate"] = f"p{i + 1}"
        frames.append(sim)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def clean():
    return analyze_competition(_plates(bmax_cpm=1500.0), kd_M=KD)


# ---------------------------------------------------------------- helpers


def test_percent_of_control_by_hand():
    out = percent_of_control([1100.0, 600.0, 100.0], 1100.0, 100.0)
    np.testing.assert_allclose(out, [100.0, 50.0, 0.0])
    assert np.isnan(percent_of_control([5.0], 3.0, 3.0)[0])  # no window: NaN, not inf


def test_z_prime_and_cv_by_hand():
    hi, lo = [100.0, 110.0, 90.0], [10.0, 12.0, 8.0]
    # Zhang 1999: 1 - 3 (sd_h + sd_l) / |mean_h - mean_l| = 1 - 3 (10 + 2) / 90
    assert z_prime(hi, lo) == pytest.approx(1 - 36 / 90)
    assert cv_percent(hi) == pytest.approx(100 * np.std(hi, ddof=1) / 100)
    assert math.isnan(cv_percent([5.0]))
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "v": [1.0, 3.0, 2.0, 2.0]})
    out = replicate_cv(df, ["g"], "v").set_index("g")
    assert out.loc["a", "cv_pct"] == pytest.approx(100 * np.std([1, 3], ddof=1) / 2)
    assert out.loc["b", "cv_pct"] == 0


def test_pack_curves_groups_and_sorts():
    df = pd.DataFrame({"k": ["a", "b", "a", "a"], "x": [3.0, 1.0, 1.0, 2.0], "y": [30, 10, 10, 20]})
    labels, x, y, rows = pack_curves(df, ["k"], "x", "y")
    assert labels == [("a",), ("b",)]
    np.testing.assert_array_equal(x[0], [1, 2, 3])
    np.testing.assert_array_equal(y[1, :1], [10])
    assert np.isnan(x[1, 1]) and rows[1, 1] == -1


def test_dpm_to_fmol_by_hand():
    # 1 fmol of an 80 Ci/mmol ligand: 1e-12 mmol * 80 Ci/mmol * 2.22e12 dpm/Ci = 177.6 dpm
    assert float(dpm_to_fmol(177.6, 80.0)) == pytest.approx(1.0)
    with pytest.raises(ModelError, match="specific activity"):
        dpm_to_fmol(1.0, 0.0)


def test_annotations():
    assert ki_annotation(0.52e-9, 0.41e-9, 0.66e-9) == "Ki = 0.52 nM (95 % CI 0.41–0.66 nM)"
    assert conc_with_ci(2.5e-7, 1e-7, 5e-7) == "0.25 µM (0.1–0.5 µM)"
    assert "not determined" in ki_annotation(float("nan"), 1, 2)


# ---------------------------------------------------------------- competition


def test_clean_plates_recover_ki_without_flags(clean):
    c = clean.curves
    assert list(c.columns[: len(CURVE_COLUMNS)]) == list(CURVE_COLUMNS)
    assert len(c) == 3 and (c["status"] == "converged").all()
    assert (c["flags"] == "").all(), c["flag_reasons"].tolist()
    assert (c["model"] == "one_site").all()
    assert ((c["pki_ci_low"] < c["pki"]) & (c["pki"] < c["pki_ci_high"])).all()
    assert np.abs(c["pki"] - TRUE_PKI).max() < 0.15
    # Ki and pKi agree; IC50 = Ki (1 + [L]/Kd) (Cheng-Prusoff, Hill -1)
    np.testing.assert_allclose(c["pki"], -np.log10(c["ki_M"]))
    np.testing.assert_allclose(c["ic50_M"], c["ki_M"] * (1 + LIG / KD), rtol=1e-4)
    np.testing.assert_allclose(c["ki_ci_low_M"], 10 ** -c["pki_ci_high"])
    assert (c["n_points"] == 30).all()
    assert c["radioligand_M" if "radioligand_M" in c else "target"].notna().all()


def test_ki_read_from_layout_columns(clean):
    assert clean.options["radioligand_M"] == "from the layout column 'radioligand_M'"
    assert clean.options["weighting"] == "counts"


def test_qc_table_by_hand(clean):
    pts = clean.points
    q = clean.qc.set_index("plate").loc["p1"]
    tot = pts[(pts.plate == "p1") & (pts.role == "total")]["signal"]
    nsb = pts[(pts.plate == "p1") & (pts.role == "nsb")]["signal"]
    assert q["total_mean"] == pytest.approx(tot.mean())
    assert q["nsb_pct_of_total"] == pytest.approx(100 * nsb.mean() / tot.mean())
    assert q["window_cpm"] == pytest.approx(tot.mean() - nsb.mean())
    assert q["z_prime"] == pytest.approx(z_prime(tot, nsb))
    assert q["n_total"] == 3 and q["flags"] == ""


def test_points_percent_specific_by_hand(clean):
    pts = clean.points
    p1 = pts[pts.plate == "p1"]
    t = p1[p1.role == "total"].signal.mean()
    n = p1[p1.role == "nsb"].signal.mean()
    np.testing.assert_allclose(p1.specific, p1.signal - n)
    np.testing.assert_allclose(p1.pct_specific, 100 * (p1.signal - n) / (t - n))


def test_f_test_p_matches_scipy(clean):
    fits = clean.fits
    one, four = fits.one_site, fits.four_pl
    f = ((one.ssr - four.ssr) / (one.df - four.df)) / (four.ssr / four.df)
    p = stats.f.sf(f, one.df - four.df, four.df)
    np.testing.assert_allclose(clean.curves["f_test_p"], p, rtol=1e-8)
    assert np.isfinite(clean.curves["two_site_p"]).all()


def test_summary_and_json(clean):
    text = clean.summary()
    assert "3 curve(s)" in text and "Ki = " in text and "plate p1" in text
    js = clean.to_json()
    json.dumps(js)  # JSON-safe
    assert js["curves"][0]["compound"] == "norclomipramine"
    assert 0 <= js["curves"][0]["two_site_p"] <= 1  # finite for every curve of `clean`
    bad = clean.curves.assign(pki=np.nan)
    assert frame_records(bad)[0]["pki"] is None  # NaN -> null
    assert len(clean.to_frame()) == 3


def test_unweighted_and_relative_weighting_agree_roughly():
    frame = _plates(n=1, seed=3)
    a = analyze_competition(frame, kd_M=KD, weighting="none").curves.iloc[0]
    b = analyze_competition(frame, kd_M=KD, weighting="relative").curves.iloc[0]
    assert abs(a["pki"] - b["pki"]) < 0.1
    with pytest.raises(ModelError, match="count_time_s"):
        analyze_competition(frame.drop(columns="count_time_s"), kd_M=KD, weighting="counts")


def test_steep_curve_prefers_variable_slope_and_is_flagged():
    res = analyze_competition(_plates(n=1, seed=4, hill=2.0), kd_M=KD)
    r = res.curves.iloc[0]
    assert r["model"] == "four_pl" and r["f_test_p"] < 0.001
    assert r["hill"] == pytest.approx(-2.0, abs=0.3)
    assert r["hill_ci_low"] < r["hill"] < r["hill_ci_high"]
    assert "hill_far_from_1" in r["flags"] and "F test rejects slope 1" in r["flag_reasons"]


def test_two_site_curve_is_detected():
    lay = _layout(ki=3e-9)
    lay = lay.copy()
    concs = concentration_series(3e-9, radioligand_M=LIG, kd_M=KD, n=12, spacing_log=0.5)
    lay = competition_layout(concs, compound="mix", radioligand_M=LIG)
    rng = np.random.default_rng(5)
    x = lay["conc_M"].to_numpy()
    spec = np.where(
        lay.role == "competition",
        0.5 / (1 + x / 1e-10) + 0.5 / (1 + x / 1e-7),
        np.where(lay.role == "total", 1.0, 0.0),
    )
    lay["signal"] = (300 + 5000 * spec) * (1 + 0.02 * rng.standard_normal(len(lay)))
    res = analyze_competition(lay, kd_M=KD)
    r = res.curves.iloc[0]
    assert r["two_site_p"] < 1e-6
    assert "two_site_preferred" in r["flags"]


def test_flags_ligand_depletion():
    frame = _plates(n=1, seed=6, depletion=True, bmax_cpm=6000.0)
    res = analyze_competition(frame, kd_M=KD, specific_activity_Ci_per_mmol=80, volume_L=200e-6)
    q = res.qc.iloc[0]
    # bound fraction by hand: mean total DPM -> fmol, over [L] x volume
    tot = frame[frame.role == "total"]["dpm"].mean()
    expected = tot / (2.22e12 * 80) * 1e12 / (LIG * 200e-6 * 1e15)
    assert q["bound_fraction"] == pytest.approx(expected)
    assert "ligand_depletion" in res.curves.iloc[0]["flags"]
    # without specific activity and volume the check cannot be made: no flag
    res2 = analyze_competition(frame, kd_M=KD)
    assert "ligand_depletion" not in res2.curves.iloc[0]["flags"]
    # the efficiency route (no DPM column) gives the same fraction
    res3 = analyze_competition(
        frame.drop(columns="dpm"),
        kd_M=KD,
        specific_activity_Ci_per_mmol=80,
        volume_L=200e-6,
        efficiency=0.45,
    )
    assert res3.qc.iloc[0]["bound_fraction"] == pytest.approx(expected, rel=0.05)


def test_flags_incomplete_curve():
    # concentrations designed for 0.5 nM, but the compound is 1000x weaker
    res = analyze_competition(_plates(n=1, seed=7, ki=0.5e-6), kd_M=KD)
    r = res.curves.iloc[0]
    assert "incomplete_curve" in r["flags"]
    assert "highest concentration" in r["flag_reasons"]


def test_flags_outliers_name_the_wells():
    frame = _plates(n=1, seed=8, outliers=2)
    wild = frame[frame.true_outlier & (frame.role == "competition")]
    res = analyze_competition(frame, kd_M=KD, rout=True)
    r = res.curves.iloc[0]
    assert "outliers" in r["flags"]
    excluded = set(r["excluded_wells"].split(";"))
    assert set(wild["well"]) <= excluded
    assert set(res.points[res.points.excluded].well) == excluded
    assert abs(r["pki"] - TRUE_PKI) < 0.2
    # without ROUT nothing is excluded
    r2 = analyze_competition(frame, kd_M=KD, rout=False).curves.iloc[0]
    assert r2["n_excluded"] == 0 and "outliers" not in r2["flags"]


def test_flags_high_nsb_and_poor_window():
    res = analyze_competition(_plates(n=1, seed=9, nsb_fraction=0.7, bmax_cpm=600.0), kd_M=KD)
    r = res.curves.iloc[0]
    assert "high_nsb" in r["flags"]
    assert res.qc.iloc[0]["nsb_pct_of_total"] > 50


def test_thresholds_are_configurable(clean):
    frame = _plates(n=1, seed=1, bmax_cpm=1500.0)
    res = analyze_competition(frame, kd_M=KD, thresholds=QCThresholds(z_prime_min=0.99))
    assert "poor_z" in res.curves.iloc[0]["flags"]


def test_failed_curve_is_a_row_not_a_crash():
    frame = _plates(n=1, seed=10)
    # a second compound with three wells only: too few points for any model
    extra = frame[frame.role == "competition"].head(3).copy()
    extra["compound"] = "scarce"
    extra["conc_M"] = [1e-9, 1e-8, 1e-7]
    extra["well"] = [f"H{i}" for i in range(1, 4)]
    res = analyze_competition(pd.concat([frame, extra], ignore_index=True), kd_M=KD)
    c = res.curves.set_index("compound")
    assert c.loc["norclomipramine", "status"] == "converged"
    assert c.loc["scarce", "status"] == "failed"
    assert "free parameters" in c.loc["scarce", "reason"]
    assert "not_converged" in c.loc["scarce", "flags"]


def test_no_ki_without_radioligand_and_kd():
    frame = _plates(n=1, seed=11).drop(columns="radioligand_M")
    r = analyze_competition(frame).curves.iloc[0]
    assert np.isnan(r["pki"]) and "Ki not computed" in r["reason"]
    assert np.isfinite(r["ic50_M"])


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda f: f[f.role != "nsb"], "plate p1 has no nsb wells"),
        (lambda f: f.drop(columns="role"), "no column"),
        (lambda f: f.assign(signal=f.signal.astype(object).where(f.well != "A1", "x")), "A1"),
    ],
)
def test_bad_input_messages(change, match):
    frame = _plates(n=1, seed=12)
    with pytest.raises((LayoutError, InputFileError), match=match):
        analyze_competition(change(frame), kd_M=KD)


def test_bad_options():
    frame = _plates(n=1, seed=12)
    with pytest.raises(ModelError, match="kd_M"):
        analyze_competition(frame, kd_M=-1.0)
    with pytest.raises(ModelError, match="weighting"):
        analyze_competition(frame, kd_M=KD, weighting="bogus")
    with pytest.raises(ModelError, match="ROUT"):
        fit_concentration_response(
            frame[frame.role == "competition"], keys=["compound"], y="signal", q=2.0
        )


# ---------------------------------------------------------------- files


@pytest.mark.parametrize(
    "fmt, ext", [("microbeta", ".txt"), ("long_csv", ".csv"), ("hidex", ".csv")]
)
def test_analyze_files_round_trip(tmp_path, fmt, ext):
    layout = _layout()
    write_layout(layout, tmp_path / "layout.toml")
    paths = []
    for i in range(2):
        sim = simulate_competition(layout, ki_M=KI, kd_M=KD, seed=100 + i)
        p = tmp_path / f"run{i}{ext}"
        write_plate(without_truth(sim), p, fmt)
        paths.append(p)
    res = analyze_competition_files(paths, tmp_path / "layout.toml", kd_M=KD)
    assert list(res.curves["experiment"]) == ["run0", "run1"]
    assert (np.abs(res.curves["pki"] - TRUE_PKI) < 0.2).all()


def test_files_errors_name_the_file(tmp_path):
    write_layout(_layout(), tmp_path / "layout.toml")
    bad = tmp_path / "garbage.csv"
    bad.write_text("nothing,here\n1,2\n")
    with pytest.raises(InputFileError, match="garbage.csv"):
        analyze_competition_files([bad], tmp_path / "layout.toml", kd_M=KD)
    with pytest.raises(InputFileError, match="missing.csv"):
        analyze_competition_files([tmp_path / "missing.csv"], tmp_path / "layout.toml")


def test_experiment_field_groups_plates():
    frame = _plates(n=2, seed=13)
    frame["experiment"] = "exp1"  # two plates, one experiment: one curve with both
    res = analyze_competition(frame, kd_M=KD)
    assert len(res.curves) == 1
    assert res.curves.iloc[0]["n_points"] == 60
    assert res.curves.iloc[0]["plates"] == "p1;p2"


# ---------------------------------------------------------------- aggregation


def test_aggregate_matches_scipy():
    curves = pd.DataFrame(
        {
            "experiment": ["e1", "e2", "e3", "e4", "e5"],
            "compound": ["a", "a", "a", "a", "b"],
            "target": ["NET"] * 5,
            "pki": [9.1, 9.4, 9.25, 12.0, 7.0],
            "status": ["converged", "converged", "at_bound", "failed", "converged"],
        }
    )
    out = aggregate_experiments(curves).set_index("compound")
    vals = np.array([9.1, 9.4, 9.25])
    a = out.loc["a"]
    assert a["n"] == 3 and a["n_excluded_curves"] == 1
    assert a["experiments"] == "e1;e2;e3"
    assert a["pki_mean"] == pytest.approx(vals.mean())
    assert a["pki_sd"] == pytest.approx(vals.std(ddof=1))
    assert a["pki_sem"] == pytest.approx(stats.sem(vals))
    lo, hi = stats.t.interval(0.95, 2, loc=vals.mean(), scale=stats.sem(vals))
    assert a["ki_ci_low_M"] == pytest.approx(10**-hi)
    assert a["ki_ci_high_M"] == pytest.approx(10**-lo)
    assert a["ki_geomean_M"] == pytest.approx(stats.gmean(10**-vals))
    b = out.loc["b"]
    assert b["n"] == 1 and np.isnan(b["pki_sem"]) and b["ki_geomean_M"] == pytest.approx(1e-7)


def test_aggregate_of_analysis(clean):
    agg = aggregate_experiments(clean.curves)
    assert len(agg) == 1 and agg.iloc[0]["n"] == 3
    assert agg.iloc[0]["pki_ci_low"] < TRUE_PKI < agg.iloc[0]["pki_ci_high"]


# ---------------------------------------------------------------- figures


def test_plots_return_axes(clean):
    import matplotlib.pyplot as plt

    ax = plot_competition(clean, 0)
    assert "Ki = " in " ".join(t.get_text() for t in ax.texts)
    assert "log10" in ax.get_xlabel() and "(M)" in ax.get_xlabel()
    plt.close(ax.figure)
    ax = plot_competition(clean)  # overlay
    assert len(ax.lines) >= 3
    plt.close(ax.figure)
    ax = plot_competition(clean, ("p2", "norclomipramine", "NET"))
    plt.close(ax.figure)
    with pytest.raises(ModelError, match="matches 3 curves"):
        plot_competition(clean, "norclomipramine")


def test_plot_marks_excluded_points():
    import matplotlib.pyplot as plt

    res = analyze_competition(_plates(n=1, seed=8, outliers=2), kd_M=KD, rout=True)
    ax = plot_competition(res, 0)
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert "excluded" in labels
    plt.close(ax.figure)


def test_binding_namespace():
    assert {"analyze_competition", "analyze_saturation", "aggregate_experiments"} <= set(
        binding.__all__
    )


def test_without_counting_times_a_one_minute_count_is_assumed():
    # CPM-only exports (long/grid CSV) carry no counting time; the weights then
    # assume a 1-minute count, and the answer matches the one with the times given
    frame = _plates(n=4, seed=11, bmax_cpm=1500.0)
    with_time = analyze_competition(frame, kd_M=KD)
    without = analyze_competition(frame.drop(columns=["count_time_s"]), kd_M=KD)
    assert with_time.options["weighting"] == "counts"
    assert without.options["weighting"] == "counts_1min"
    # the simulator counts for 60 s, so the two weightings are the same
    np.testing.assert_allclose(without.curves["pki"], with_time.curves["pki"], atol=1e-6)
    assert (without.curves["pki_ci_low"] <= TRUE_PKI + 0.3).all()
