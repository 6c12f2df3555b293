"""Residual plots of a curve family: the residuals are the data minus the chosen model."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import optimize  # noqa: E402

from pdstudy.assays.binding import analyze_competition  # noqa: E402
from pdstudy.assays.residuals import plot_residuals, residual_frame  # noqa: E402
from pdstudy.design import competition_layout, concentration_series  # noqa: E402
from pdstudy.simulate import simulate_competition  # noqa: E402

KD, LIG = 0.8e-9, 1e-9


@pytest.fixture(scope="module")
def result():
    concs = concentration_series(0.5e-9, radioligand_M=LIG, kd_M=KD)
    layout = competition_layout(concs, compound="drug", target="NET", radioligand_M=LIG)
    rng = np.random.default_rng(5)
    frames = []
    for i in range(2):
        sim = simulate_competition(layout, ki_M=0.5e-9, kd_M=KD, radioligand_M=LIG, rng=rng)
        sim["plate"] = f"p{i + 1}"
        frames.append(sim)
    return analyze_competition(pd.concat(frames, ignore_index=True), kd_M=KD, weighting="none")


def test_residuals_match_an_independent_one_site_fit(result) -> None:
    res = residual_frame(result.fits)
    assert set(res["curve"]) and len(res) == int(result.curves["n_points"].sum())
    assert (result.curves["model"] == "one_site").any()
    for i, name in enumerate(res["curve"].unique()):
        sub = res[res["curve"] == name]
        rec = result.curves.iloc[i]
        if rec["model"] != "one_site":
            continue
        x = sub["log_x"].to_numpy()
        # the data back from residual + fit, refitted by scipy: the same residuals
        y = sub["residual"].to_numpy() + result.fits.fit_of(i).predict(x, i)

        def one_site(x, bottom, top, log_ic50):
            return bottom + (top - bottom) / (1 + 10 ** (x - log_ic50))

        p, _ = optimize.curve_fit(one_site, x, y, p0=[0, 100, -9])
        assert sub["residual"].to_numpy() == pytest.approx(y - one_site(x, *p), abs=1e-3)


def test_plot_has_one_series_per_curve_and_a_zero_line(result) -> None:
    ax = plot_residuals(result.fits)
    series = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    assert len(series) == len(result.curves)
    assert any(np.allclose(ln.get_ydata(), 0) for ln in ax.get_lines() if ln not in series)
