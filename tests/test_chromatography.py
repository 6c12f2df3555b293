"""The chromatography engine against simulator truth, statsmodels and real vendor-integrated files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.integrate import quad

from pdstudy.chromatography import (
    PeakSettings,
    Window,
    assign_peaks,
    emg,
    estimate_baseline,
    fit_calibration,
    process_trace,
    recentre_windows,
    resolution,
)
from pdstudy.errors import UsageError
from pdstudy.io import read_chromatogram
from pdstudy.simulate.chromatograms import SimPeak, simulate_trace

CHROM = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "chromatography"


def shared(name: str) -> Path:
    path = CHROM / name
    if not path.exists():
        pytest.skip(f"shared test data {path} not present (only in the project workspace)")
    return path


def test_emg_has_its_area_and_no_overflow():
    total, _ = quad(
        lambda x: float(emg(np.array([x]), 2.5, 100.0, 2.0, 1.5)[0]), 50, 200, limit=200
    )
    assert total == pytest.approx(2.5, rel=1e-8)
    far = emg(np.array([0.0, 1e4]), 1.0, 100.0, 0.5, 0.01)  # extreme tail, no inf/nan
    assert np.all(np.isfinite(far))


def _half_width(sigma, tau):
    t = np.linspace(0, 200, 200001)
    y = emg(t, 1.0, 100.0, sigma, tau)
    above = t[y >= y.max() / 2]
    return above[-1] - above[0]


def _pair(separation, seed, sigma=2.5, tau=1.5):
    peaks = [
        SimPeak(1.0, 200.0, sigma, tau),
        SimPeak(0.5, 420.0, sigma, tau),
        SimPeak(0.6, 420.0 + separation, sigma, tau),
    ]
    return peaks, simulate_trace(peaks, seed=seed)


@pytest.mark.parametrize("seed", range(5))
def test_resolved_peaks_within_1_percent_of_truth(seed):
    peaks, (t, y) = _pair(40.0, seed)
    table, _ = process_trace(t, y, settings=PeakSettings(start_s=60))
    assert len(table) == 3
    for p, area in zip(peaks, table["area"], strict=True):
        assert area == pytest.approx(p.area, rel=0.01)
    assert (table["method"] == "trapezoid").all()


def test_resolved_peaks_above_snr_100_are_all_within_1_percent():
    """The integrator's own error, once detector noise no longer dominates.

    An area's error is bounded below by its noise (``area_sd``, about 0.6 % at
    S/N 35, where the worst of 120 peaks is 1.6-2.2 %: the test below shows
    the scatter is the noise's). At S/N >= 100 every one of 120 resolved peaks
    (40 runs, resolution >= 3.5) is within 1 % of its true area.
    """
    rel, snr = [], []
    for seed in range(40):
        peaks = [SimPeak(1.0, 200.0, 2.5, 1.5), SimPeak(0.5, 420.0, 2.5, 1.5)]
        peaks.append(SimPeak(0.6, 460.0, 2.5, 1.5))
        t, y = simulate_trace(peaks, noise_sd=0.0005, seed=1000 + seed)
        table, _ = process_trace(t, y, settings=PeakSettings(start_s=60))
        assert len(table) == 3
        assert (table["resolution"].iloc[1:] >= 1.5).all()
        rel += [abs(a / p.area - 1) for p, a in zip(peaks, table["area"], strict=True)]
        snr += list(table["snr"])
    print(f"S/N {min(snr):.0f}-{max(snr):.0f}: median {np.median(rel):.2%}, worst {max(rel):.2%}")
    assert min(snr) >= 100
    assert max(rel) < 0.01
    assert np.median(rel) < 0.003


@pytest.mark.parametrize("seed", range(5))
def test_fused_pair_rs_1_deconvolved_within_3_percent(seed):
    w = _half_width(2.5, 1.5)
    sep = 1.0 * 2 * w / 1.18  # true resolution 1.0
    peaks, (t, y) = _pair(sep, seed)
    table, _ = process_trace(t, y, settings=PeakSettings(start_s=60))
    assert len(table) == 3
    assert table["resolution"].iloc[2] < 1.5  # measured on the fused pair: deconvolution applies
    assert list(table["method"].iloc[1:]) == ["emg_fit", "emg_fit"]
    for p, area in zip(peaks[1:], table["area"].iloc[1:], strict=True):
        assert area == pytest.approx(p.area, rel=0.03)


def test_perpendicular_drop_when_deconvolution_is_off():
    w = _half_width(2.5, 1.5)
    peaks, (t, y) = _pair(1.2 * 2 * w / 1.18, 0)
    table, _ = process_trace(t, y, settings=PeakSettings(start_s=60, deconvolve_below=0))
    assert list(table["boundary"].iloc[1:]) == ["drop", "drop"]
    assert (table["method"] == "trapezoid").all()
    # the two areas share the valley: together they are the pair's area
    assert table["area"].iloc[1:].sum() == pytest.approx(1.1, rel=0.01)


def test_baseline_follows_drift_and_skips_the_front():
    peaks = [SimPeak(1.0, 300.0)]
    t, y = simulate_trace(peaks, noise_sd=0.001, drift=0.3, curvature=0.1, seed=2)
    t0, clean = simulate_trace([], noise_sd=0.0, drift=0.3, curvature=0.1, solvent_front=0, seed=2)
    base = estimate_baseline(t, y, start_s=60)
    late = t > 60
    # the background moves by 0.4 nA over the run; the baseline follows it within 0.002
    assert np.max(np.abs(base[late] - clean[late])) < 0.002


def test_block_baseline_matches_the_full_resolution_fit():
    peaks = [SimPeak(0.2, 190.0), SimPeak(0.16, 330.0), SimPeak(0.12, 560.0)]
    t, y = simulate_trace(peaks, noise_sd=0.0005, seed=4)
    fast = estimate_baseline(t, y, start_s=60)  # default: block means of 6 points at 10 Hz
    full = estimate_baseline(t, y, start_s=60, block=1)
    late = t > 60
    # the two fits agree to a tenth of the noise
    assert np.max(np.abs(fast[late] - full[late])) < 0.1 * 0.0005
    with pytest.raises(UsageError, match="block"):
        estimate_baseline(t, y, block=0)


def test_area_errors_scatter_as_area_sd_says_without_bias():
    """The area error on simulated runs is the noise's: z = error / area_sd ~ N(0, 1)."""
    z, rel = [], []
    for seed in range(20):
        peaks, (t, y) = _pair(40.0, 100 + seed)
        table, _ = process_trace(t, y, settings=PeakSettings(start_s=60))
        for p, area, sd in zip(peaks, table["area"], table["area_sd"], strict=True):
            z.append((area - p.area) / sd)
            rel.append(area / p.area - 1)
    z_arr, rel_arr = np.array(z), np.array(rel)
    assert 0.6 < z_arr.std() < 1.5  # the scatter is the noise's (60 peaks)
    assert abs(np.mean(rel_arr)) < 0.003  # no bias beyond 0.3 %
    assert np.median(np.abs(rel_arr)) < 0.006


def test_refined_baseline_is_an_option_and_keeps_the_areas():
    peaks, (t, y) = _pair(40.0, 3)
    table, base = process_trace(t, y, settings=PeakSettings(start_s=60), refine=True)
    assert len(table) == 3
    for p, area in zip(peaks, table["area"], strict=True):
        assert area == pytest.approx(p.area, rel=0.02)
    with pytest.raises(UsageError, match="tail_extend"):
        PeakSettings(tail_extend=-1)


def test_resolution_formula():
    assert resolution(100.0, 110.0, 5.0, 5.0) == pytest.approx(1.18)


def test_settings_are_checked():
    with pytest.raises(UsageError, match="integration"):
        PeakSettings(integration="skim")
    with pytest.raises(UsageError, match="baseline method"):
        estimate_baseline(np.arange(100.0), np.ones(100), method="magic")


# --- assignment -----------------------------------------------------------------------------


def test_windows_recentred_on_drifting_standards_and_interferent_unassigned():
    windows = {"NE": Window(190.0, 15.0), "DA": Window(400.0, 15.0)}
    standards = [
        pd.DataFrame({"rt_s": [201.0, 411.0]}),
        pd.DataFrame({"rt_s": [203.0, 413.0]}),
        pd.DataFrame({"rt_s": [202.0, 412.0]}),
    ]
    moved = recentre_windows(windows, standards)
    assert moved["NE"].rt_s == pytest.approx(202.0)
    assert moved["DA"].rt_s == pytest.approx(412.0)
    sample = pd.DataFrame({"rt_s": [203.5, 214.0, 411.0, 600.0]})
    out = assign_peaks(sample, moved)
    assert list(out["analyte"]) == ["NE", "", "DA", ""]


# --- calibration ----------------------------------------------------------------------------


@pytest.mark.parametrize("weighting", ["none", "1/x", "1/x^2"])
def test_calibration_matches_statsmodels_wls(weighting):
    x = np.array([0.5, 1, 2, 5, 10, 20.0])
    y = np.array([0.052, 0.098, 0.205, 0.49, 1.03, 1.96])
    cal = fit_calibration(x, y, weighting=weighting)
    w = {"none": np.ones_like(x), "1/x": 1 / x, "1/x^2": 1 / x**2}[weighting]
    ref = sm.WLS(y, sm.add_constant(x), weights=w).fit()
    assert cal.intercept == pytest.approx(ref.params[0], rel=1e-9, abs=1e-12)
    assert cal.slope == pytest.approx(ref.params[1], rel=1e-9)


def test_auto_weighting_picks_1_over_x2_for_proportional_noise():
    rng = np.random.default_rng(4)
    x = np.repeat([0.5, 1, 2, 5, 10, 20, 50.0], 2)
    y = 0.1 * x * (1 + rng.normal(0, 0.03, x.size)) + 0.002
    cal = fit_calibration(x, y)
    assert cal.weighting in ("1/x", "1/x^2")
    assert cal.criteria[cal.weighting] < cal.criteria["none"]
    assert np.all(np.abs(cal.standards["accuracy_pct"] - 100) < 10)
    assert cal.r2 > 0.99


def test_calibration_needs_two_levels():
    with pytest.raises(UsageError, match="2 or more"):
        fit_calibration([1.0, 1.0], [2.0, 2.1])


def test_simulated_standards_back_calculate_within_5_percent():
    levels = [1.0, 2.0, 5.0, 10.0, 20.0]  # nM
    k = 0.1  # area per nM
    rng = np.random.default_rng(7)
    areas = []
    for c in levels:
        t, y = simulate_trace([SimPeak(k * c, 300.0)], noise_sd=0.0005, seed=rng)
        table, _ = process_trace(t, y, settings=PeakSettings(start_s=60))
        areas.append(float(table["area"].iloc[0]))
    cal = fit_calibration(levels, areas)
    assert np.all(np.abs(cal.standards["accuracy_pct"] - 100) < 5)
    t, y = simulate_trace([SimPeak(k * 7.0, 300.0)], noise_sd=0.0005, seed=99)
    table, _ = process_trace(t, y, settings=PeakSettings(start_s=60))
    assert float(cal.concentration(table["area"].iloc[0])) == pytest.approx(7.0, rel=0.05)


# --- real files ----------------------------------------------------------------------------


def _lactose_area(path: Path) -> float:
    c = read_chromatogram(path)
    table, _ = process_trace(c.time_s, c.signal, settings=PeakSettings(min_snr=20), peak_width_s=30)
    return float(table.loc[table["area"].idxmax(), "area"])


def test_real_lactose_quantified_within_6_percent():
    folder = shared("lactose")
    conc = lambda p: float(re.search(r"mM_([\d.]+)\.csv$", p.name).group(1))  # noqa: E731
    cal_files = sorted(folder.glob("calibration_*.csv"))
    cal = fit_calibration([conc(p) for p in cal_files], [_lactose_area(p) for p in cal_files])
    assert cal.r2 > 0.99
    for path in sorted(folder.glob("test_*.csv")):
        found = float(cal.concentration(_lactose_area(path)))
        assert found == pytest.approx(conc(path), rel=0.06), path.name


def test_real_varian_area_ratios_against_vendor_integration():
    c = read_chromatogram(shared("andi_varian1.cdf"))
    vendor = c.peaks
    assert vendor is not None
    # the vendor integrated with perpendicular drops: so does this comparison
    table, _ = process_trace(
        c.time_s, c.signal, settings=PeakSettings(min_snr=20, deconvolve_below=0)
    )
    match = [int(np.argmin(np.abs(table["rt_s"].to_numpy() - rt))) for rt in vendor["rt_s"]]
    assert len(set(match)) == 8
    np.testing.assert_allclose(table["rt_s"].to_numpy()[match], vendor["rt_s"], atol=1.0)
    ours = table["area"].to_numpy()[match]
    ours = ours / ours.sum()
    theirs = (vendor["area"] / vendor["area"].sum()).to_numpy()
    rel = np.abs(ours / theirs - 1)
    big = theirs > 0.05
    # median 0.3 %; worst of the seven main peaks 2.5 % (the peak at 118 s shares a drop
    # with a small peak the vendor did not report); the 0.9 % peak at 443 s within 6 %
    assert np.median(rel) < 0.01
    assert rel[big].max() < 0.03
    assert rel.max() < 0.06
