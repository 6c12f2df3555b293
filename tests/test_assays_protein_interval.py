"""The protein calibration interval against an independent computation, and the choices behind it.

- The inverse-prediction interval of a quadratic standard curve equals the one
  obtained from statsmodels' WLS (the prediction's standard error of the mean
  curve plus the sample's own replicate variance, s² x A² / m under relative
  weighting, s² / m unweighted), inverted on a fine grid.
- With ``model="auto"`` the sample is read off both candidate curves and the
  readings are averaged with their Akaike weights (Burnham & Anderson's
  model-averaged interval), recomputed here from the single-model results.
- ``weights="auto"`` picks the variance model the standards' residuals support.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from pdstudy.assays.protein import analyze_protein
from pdstudy.assays.protein.analysis import akaike_weights
from pdstudy.simulate import simulate_protein_plate, without_truth

LEVELS = {"low": 100.0, "mid": 700.0, "high": 1800.0}


def _plate(seed: int, **kw):
    return without_truth(
        simulate_protein_plate(
            samples_ug_per_mL=LEVELS, cv=kw.pop("cv", 0.04), sd_absorbance=kw.pop("sd", 0.0005),
            seed=seed, **kw,
        )
    )  # fmt: skip


def _statsmodels_interval(plate, weighted: bool):
    """(estimate, low, high) in µg/mL in the well per sample, from statsmodels WLS."""
    blank = float(plate.loc[plate["role"] == "blank", "signal"].mean())
    st = plate[plate["role"] == "standard"]
    x = st["protein_ug_per_mL"].to_numpy(dtype=float)
    y = st["signal"].to_numpy(dtype=float) - blank
    w = 1.0 / (y + blank) ** 2 if weighted else np.ones_like(y)
    design = np.column_stack([np.ones_like(x), x, x * x])
    fit = sm.WLS(y, design, weights=w).fit()
    grid = np.linspace(0.0, 3000.0, 300001)
    pred = fit.get_prediction(np.column_stack([np.ones_like(grid), grid, grid * grid]))
    f, se = pred.predicted_mean, pred.se_mean
    rising = np.concatenate([[True], np.diff(f) > 0])
    stop = int(np.argmin(rising)) if not rising.all() else len(grid)
    grid, f, se = grid[:stop], f[:stop], se[:stop]
    t = stats.t.ppf(0.975, fit.df_resid)
    out = {}
    for name in LEVELS:
        a = plate.loc[plate["sample"] == name, "signal"].to_numpy(dtype=float) - blank
        ybar, m = float(a.mean()), len(a)
        new_var = fit.scale * ((ybar + blank) ** 2 if weighted else 1.0) / m
        inside = np.flatnonzero(np.abs(ybar - f) <= t * np.sqrt(new_var + se**2))
        est = float(np.interp(ybar, f, grid))
        out[name] = (est, float(grid[inside.min()]), float(grid[inside.max()]))
    return out


@pytest.mark.parametrize("weighted", [True, False], ids=["1/y2", "none"])
@pytest.mark.parametrize("seed", [3, 17])
def test_quadratic_interval_equals_statsmodels_wls_inverted(seed, weighted):
    plate = _plate(seed)
    res = analyze_protein(plate, model="quadratic", weights="1/y2" if weighted else None)
    ref = _statsmodels_interval(plate, weighted)
    rows = res.samples.set_index("sample")
    for name, (est, lo, hi) in ref.items():
        assert rows.loc[name, "conc_in_well_ug_per_mL"] == pytest.approx(est, abs=0.02)
        # the grid above is 0.01 µg/mL: agreement to its spacing
        assert rows.loc[name, "ci_low_mg_per_mL"] * 1e3 == pytest.approx(lo, abs=0.02)
        assert rows.loc[name, "ci_high_mg_per_mL"] * 1e3 == pytest.approx(hi, abs=0.02)


def test_the_interval_includes_the_samples_own_replicate_noise():
    # more replicate wells of the same sample: only the sample's own term shrinks
    narrow = analyze_protein(
        without_truth(
            simulate_protein_plate(
                samples_ug_per_mL={"s": 700.0}, sample_replicates=3, cv=0.0, sd_absorbance=0.0,
                seed=1,
            )
        ),
        model="quadratic",
    )  # fmt: skip
    assert narrow.samples["conc_in_well_ug_per_mL"].iloc[0] == pytest.approx(700.0, rel=1e-6)
    widths = []
    for reps in (2, 8):
        plate = _plate(5, sample_replicates=reps)
        res = analyze_protein(plate, model="quadratic", weights="1/y2")
        mid = res.samples.set_index("sample").loc["mid"]
        widths.append((mid["ci_high_mg_per_mL"] - mid["ci_low_mg_per_mL"]) / 2)
    assert widths[1] < widths[0]


def _by_hand_average(plate, res_auto):
    """Burnham & Anderson's model-averaged interval from the two single-model analyses."""
    models = res_auto.models.set_index("model")
    poly = "quadratic" if models.loc["quadratic", "f_test_p"] < 0.05 else "linear"
    w = akaike_weights({poly: models.loc[poly, "aicc"], "four_pl": models.loc["four_pl", "aicc"]})
    single = {
        m: analyze_protein(plate, model=m, weights=res_auto.weighting).samples.set_index("sample")
        for m in w
    }
    t = stats.t.ppf(0.975, int(models.loc[res_auto.chosen["1"], "df"]))
    out = {}
    for name in LEVELS:
        r = {m: single[m].loc[name] for m in w}
        x = {m: r[m]["conc_in_well_ug_per_mL"] for m in w}
        lo = {m: r[m]["ci_low_mg_per_mL"] * 1e3 for m in w}
        hi = {m: r[m]["ci_high_mg_per_mL"] * 1e3 for m in w}
        xbar = sum(w[m] * x[m] for m in w)
        lo_half = sum(w[m] * math.sqrt((x[m] - lo[m]) ** 2 + t**2 * (x[m] - xbar) ** 2) for m in w)
        hi_half = sum(w[m] * math.sqrt((hi[m] - x[m]) ** 2 + t**2 * (x[m] - xbar) ** 2) for m in w)
        out[name] = (xbar, xbar - lo_half, xbar + hi_half)
    return w, out


def test_auto_model_reads_samples_model_averaged():
    # find a plate where the 4PL carries real weight (it does on a few plates in ten)
    for seed in range(40):
        plate = _plate(seed)
        res = analyze_protein(plate, weights="1/y2")
        w, ref = _by_hand_average(plate, res)
        if len(w) == 2 and min(w.values()) > 0.2:
            break
    else:  # pragma: no cover - the simulator's noise makes such plates common
        pytest.fail("no plate with two well-supported standard curves")
    assert "model-averaged, Akaike weights" in " ".join(res.models["selection"])
    rows = res.samples.set_index("sample")
    for name, (x, lo, hi) in ref.items():
        assert rows.loc[name, "conc_in_well_ug_per_mL"] == pytest.approx(x, rel=1e-9)
        assert rows.loc[name, "ci_low_mg_per_mL"] * 1e3 == pytest.approx(lo, rel=1e-9)
        assert rows.loc[name, "ci_high_mg_per_mL"] * 1e3 == pytest.approx(hi, rel=1e-9)


def test_akaike_weights():
    w = akaike_weights({"a": 10.0, "b": 12.0, "c": math.inf})
    assert set(w) == {"a", "b"}
    assert w["a"] == pytest.approx(1 / (1 + math.exp(-1)))
    assert akaike_weights({"a": 0.0, "b": 100.0}) == {"a": 1.0}


def test_auto_weighting_picks_the_variance_model_of_the_noise():
    proportional = [analyze_protein(_plate(seed), weights="auto").weighting for seed in range(12)]
    assert proportional.count("1/y2") >= 11, proportional
    additive = [
        analyze_protein(_plate(seed, cv=0.0, sd=0.01), weights="auto").weighting
        for seed in range(12)
    ]
    assert additive.count("none") >= 9, additive
    res = analyze_protein(_plate(0), weights="auto")
    assert "-2 log likelihood of the standards' residuals" in res.weighting_selection
    assert "SD proportional to the absorbance" in res.weighting_selection
