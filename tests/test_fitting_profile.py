"""Profile-likelihood limits: bracketed, then refined; open only when the data leave them open.

The curves of the batch below are clean and well designed (the concentrations
span the Ki by 1,000-fold on each side); before the limit search bracketed the
crossing, three of them got an infinite upper pKi limit in this batch ("Ki 0.27 nM
(95 % CI 0 to 0.31 nM)"), because every probe of the search landed just below
the F threshold and the search gave up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from pdstudy.assays.binding import analyze_competition
from pdstudy.design import competition_layout, concentration_series
from pdstudy.fitting import ONE_SITE, fit_curves, profile_ci, user_model
from pdstudy.simulate import simulate_competition

KD = 0.8e-9
LIG = 1e-9


def simulate_batch(
    n: int, seed: int, span_log: tuple[float, float] | None = None
) -> tuple[pd.DataFrame, dict]:
    """``n`` one-plate experiments (8 concentrations a log apart, triplicates), one
    compound each, true Ki log-uniform in 0.1 nM - 1 uM."""
    rng = np.random.default_rng(seed)
    layouts, truth = [], {}
    for e in range(n):
        log_ki = rng.uniform(-10, -6)
        expected = 10 ** (log_ki + rng.uniform(-0.3, 0.3))
        if span_log is None:
            concs = concentration_series(expected, radioligand_M=LIG, kd_M=KD, n=8, spacing_log=1.0)
        else:  # from span_log[0] to span_log[1] log units about the Ki, half-log steps
            concs = 10 ** np.arange(log_ki + span_log[0], log_ki + span_log[1] + 1e-9, 0.5)
        lay = competition_layout(concs, compound=f"c{e}", replicates=3, plate_format=96)
        lay["plate"] = f"e{e}"
        layouts.append(lay)
        truth[f"c{e}"] = -log_ki
    frame = simulate_competition(
        pd.concat(layouts, ignore_index=True),
        ki_M={c: 10**-v for c, v in truth.items()},
        kd_M=KD,
        radioligand_M=LIG,
        bmax_cpm=3000,
        nsb_fraction=0.2,
        cv=0.05,
        pipetting_cv=0.02,
        count_time_s=60,
        rng=rng,
    )
    return frame, truth


@pytest.fixture(scope="module")
def batch():
    frame, truth = simulate_batch(500, seed=2)
    # the 200 plates that hold the three curves that used to get an infinite limit
    keep = [f"e{i}" for i in range(200, 400)]
    return frame[frame["plate"].isin(keep)].reset_index(drop=True), truth


def test_no_infinite_limit_in_a_batch_of_200(batch):
    frame, _ = batch
    curves = analyze_competition(frame, radioligand_M=LIG, kd_M=KD).curves
    assert len(curves) == 200
    for col in ("pki_ci_low", "pki_ci_high", "ki_ci_low_M", "ki_ci_high_M"):
        assert np.isfinite(curves[col]).all(), curves.loc[~np.isfinite(curves[col]), "reason"]
    assert (curves["ki_ci_low_M"] > 0).all()
    assert not curves["flags"].str.contains("ci_open").any()


@pytest.mark.parametrize("compound", ["c293", "c351", "c385"])
def test_same_ci_alone_and_in_a_batch_of_200(batch, compound):
    frame, _ = batch
    whole = analyze_competition(frame, radioligand_M=LIG, kd_M=KD).curves.set_index("compound")
    plate = frame[frame["plate"] == frame.loc[frame["compound"] == compound, "plate"].iloc[0]]
    alone = analyze_competition(plate, radioligand_M=LIG, kd_M=KD).curves.set_index("compound")
    for col in ("pki", "pki_ci_low", "pki_ci_high", "log_ic50", "ic50_ci_low_M", "ic50_ci_high_M"):
        a, b = float(alone.loc[compound, col]), float(whole.loc[compound, col])
        assert np.isfinite(a) and a == pytest.approx(b, rel=1e-6, abs=1e-6 * abs(b)), col


def test_limits_match_a_root_finder_on_one_curve():
    """The limit is where the profile SS crosses Prism's threshold, to 1e-6 log units:
    checked against scipy's brentq on the same profile, computed independently
    (a fresh two-parameter fit at each fixed log IC50)."""
    rng = np.random.default_rng(11)
    x = np.repeat(np.linspace(-11, -5, 7), 3)
    y = ONE_SITE(x, np.array([0.0, 100.0, -8.2])) + rng.normal(0, 6, x.size)
    fit = profile_ci(fit_curves(ONE_SITE, x, y))
    th, ssmin, df = float(fit.param("log_ic50")[0]), float(fit.ssr[0]), float(fit.df[0])
    target = ssmin * (1 + stats.f.ppf(0.95, 1, df) / df)

    def excess(v: float) -> float:
        def res(p: np.ndarray) -> np.ndarray:
            return y - ONE_SITE(x, np.array([p[0], p[1], v]))

        sol = optimize.least_squares(res, [0.0, 100.0], xtol=1e-14, ftol=1e-14, gtol=1e-14)
        return float(np.sum(sol.fun**2)) - target

    low = optimize.brentq(excess, th - 3, th, xtol=1e-10)
    high = optimize.brentq(excess, th, th + 3, xtol=1e-10)
    assert fit.profile_low[0] == pytest.approx(low, abs=1e-6)
    assert fit.profile_high[0] == pytest.approx(high, abs=1e-6)


def test_a_slowly_rising_profile_is_bracketed():
    """A model whose SS rises ever more slowly away from the estimate (the quadratic
    guess of the crossing always falls short) still gets a finite limit, equal to
    the root a root finder finds."""

    def slow(x, a, b, lk):
        # the response depends on lk only through a bounded, flattening function
        return a + b * np.tanh(x - 0.2 * np.arcsinh(5 * lk))

    model = user_model(slow, ["a", "b", "lk"], name="slow_profile", potency="lk")
    rng = np.random.default_rng(3)
    x = np.repeat(np.linspace(-2, 2, 9), 2)
    y = slow(x, 1.0, 2.0, 0.3) + rng.normal(0, 0.05, x.size)
    fit = profile_ci(fit_curves(model, x, y, p0={"a": 1.0, "b": 2.0, "lk": 0.3}))
    assert np.isfinite(fit.profile_low[0]) and np.isfinite(fit.profile_high[0])
    th, ssmin, df = float(fit.param("lk")[0]), float(fit.ssr[0]), float(fit.df[0])
    target = ssmin * (1 + stats.f.ppf(0.95, 1, df) / df)

    def excess(v: float) -> float:
        sol = optimize.least_squares(
            lambda p: y - slow(x, p[0], p[1], v), [1.0, 2.0], xtol=1e-14, ftol=1e-14, gtol=1e-14
        )
        return float(np.sum(sol.fun**2)) - target

    assert fit.profile_high[0] == pytest.approx(optimize.brentq(excess, th, th + 6), abs=1e-5)
    assert fit.profile_low[0] == pytest.approx(optimize.brentq(excess, th - 6, th), abs=1e-5)


def test_an_open_limit_is_flagged_with_a_reason():
    """A curve with no bottom plateau: the upper limit of log IC50 is truly open,
    reported as infinite, with the reason in the curve's reason and a flag."""
    rng = np.random.default_rng(2)
    x = np.repeat(np.linspace(-11, -7.5, 6), 3)
    y = ONE_SITE(x, np.array([0.0, 100.0, -7.0])) + rng.normal(0, 5, x.size)
    fit = profile_ci(fit_curves(ONE_SITE, x, y))
    assert np.isinf(fit.profile_high[0]) and fit.profile_high[0] > 0
    assert "upper limit of log_ic50 is open" in fit.reason[0]
    assert np.isfinite(fit.profile_low[0])
    # and the open side is really open: the profile SS 6 log units out is below the threshold
    th, ssmin, df = float(fit.param("log_ic50")[0]), float(fit.ssr[0]), float(fit.df[0])
    far = fit_curves(ONE_SITE, x, y, fixed={"log_ic50": th + 6.0})
    assert far.ssr[0] < ssmin * (1 + stats.f.ppf(0.95, 1, df) / df)


def test_a_curve_without_bottom_plateau_is_flagged_ci_open():
    """Concentrations that stop below the IC50: the lower Ki limit is open, the curve
    says so (``ci_open`` flag with its reason), and the open limit is 0 M."""
    frame, _ = simulate_batch(1, seed=7, span_log=(-4.0, -0.5))
    curves = analyze_competition(frame, radioligand_M=LIG, kd_M=KD).curves
    row = curves.iloc[0]
    assert "ci_open" in row["flags"].split(";")
    assert "confidence limit of Ki is open" in row["flag_reasons"]
    assert row["ki_ci_low_M"] == 0 or row["ki_ci_high_M"] == np.inf
