"""The batched fitting engine against scipy, statsmodels and simulated truth."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from pdstudy.errors import ModelError
from pdstudy.fitting import (
    FOUR_PL,
    MICHAELIS_MENTEN,
    ONE_SITE,
    ONE_SITE_KI,
    SATURATION,
    SATURATION_TOTAL_NSB,
    TWO_SITE,
    TWO_SITE_KI,
    SolverOptions,
    f_test,
    fit_curves,
    fit_rout,
    ki_from_ic50,
    profile_ci,
    replicate_weights,
    user_model,
)

X12 = np.linspace(-11.0, -5.5, 12)
X36 = np.repeat(X12, 3)


def simulate_4pl(rng: np.random.Generator, n: int, sd: float = 4.0, hill=None):
    true = np.column_stack(
        [
            rng.uniform(-5, 10, n),
            rng.uniform(90, 110, n),
            rng.uniform(-9.5, -7.0, n),
            -rng.uniform(0.6, 1.5, n) if hill is None else np.full(n, hill),
        ]
    )
    y = FOUR_PL(np.broadcast_to(X36, (n, X36.size)), true) + rng.normal(0, sd, (n, X36.size))
    return true, y


def test_four_pl_matches_scipy_least_squares_on_1000_curves():
    rng = np.random.default_rng(20261128)
    true, y = simulate_4pl(rng, 1000)
    fit = fit_curves(FOUR_PL, X36, y)
    assert all(s == "converged" for s in fit.status)
    worst = 0.0
    for i in range(1000):
        ref = optimize.least_squares(
            lambda p, i=i: FOUR_PL(X36, p) - y[i],
            true[i],  # scipy starts from the truth, we from our own guess
            xtol=1e-15,
            ftol=1e-15,
            gtol=1e-15,
        )
        worst = max(worst, float(np.abs(ref.x[2:] - fit.params[i, 2:]).max()))
    assert worst < 1e-6


def test_log_ic50_ci_coverage_on_2000_curves():
    rng = np.random.default_rng(7)
    true, y = simulate_4pl(rng, 2000)
    fit = fit_curves(FOUR_PL, X36, y)
    k = FOUR_PL.index("log_ic50")
    cover = np.mean((fit.ci_low[:, k] <= true[:, k]) & (true[:, k] <= fit.ci_high[:, k]))
    assert 0.93 <= cover <= 0.97


def test_standard_errors_match_scipy_curve_fit():
    rng = np.random.default_rng(3)
    _, y = simulate_4pl(rng, 5)
    fit = fit_curves(FOUR_PL, X36, y)
    for i in range(5):
        popt, pcov = optimize.curve_fit(
            lambda x, *p: FOUR_PL(x, np.array(p)), X36, y[i], p0=fit.params[i]
        )
        np.testing.assert_allclose(fit.params[i], popt, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(fit.se[i], np.sqrt(np.diag(pcov)), rtol=1e-4)


def test_one_site_ki_form_is_shifted_ic50_with_same_ci_width():
    rng = np.random.default_rng(11)
    true, y = simulate_4pl(rng, 50, hill=-1.0)
    lig, kd = 1e-9, 0.8e-9
    f_ic = fit_curves(ONE_SITE, X36, y)
    f_ki = fit_curves(ONE_SITE_KI, X36, y, constants={"radioligand_M": lig, "kd_M": kd})
    shift = np.log10(1 + lig / kd)
    np.testing.assert_allclose(f_ki.param("log_ki"), f_ic.param("log_ic50") - shift, atol=1e-7)
    np.testing.assert_allclose(f_ki.se[:, 2], f_ic.se[:, 2], rtol=1e-5)
    ki, pki = ki_from_ic50(f_ic.param("log_ic50"), f_ic.ci_low[:, 2], f_ic.ci_high[:, 2], lig, kd)
    np.testing.assert_allclose(np.log10(ki.value), f_ki.param("log_ki"), atol=1e-7)
    np.testing.assert_allclose(pki.ci_low, -f_ki.ci_high[:, 2], atol=1e-6)


def test_per_curve_constants_in_ki_form():
    x = np.broadcast_to(X36, (2, X36.size))
    true = np.array([[0, 100, -9.0], [0, 100, -9.0]])
    lig = np.array([1e-9, 5e-9])
    kd = 1e-9
    y = ONE_SITE_KI(x, true, {"radioligand_M": lig, "kd_M": np.full(2, kd)})
    fit = fit_curves(ONE_SITE_KI, X36, y, constants={"radioligand_M": lig, "kd_M": kd})
    np.testing.assert_allclose(fit.param("log_ki"), -9.0, atol=1e-8)


def test_two_site_recovers_truth_and_f_test_prefers_it():
    rng = np.random.default_rng(5)
    x = np.repeat(np.linspace(-12, -4, 17), 3)
    true = np.array([0.0, 100.0, 0.4, -10.0, -7.0])
    y = TWO_SITE(x, true) + rng.normal(0, 1.5, x.size)
    two = fit_curves(TWO_SITE, x, y)
    one = fit_curves(ONE_SITE, x, y)
    assert two.status[0] == "converged"
    assert abs(two.param("log_ic50_high")[0] + 10.0) < 0.2
    assert abs(two.param("frac_high")[0] - 0.4) < 0.05
    cmp = f_test(one, two)
    assert cmp.preferred_f[0] == "two_site"
    assert cmp.p_value[0] < 1e-6
    lig, kd = 2e-9, 1e-9
    twok = fit_curves(TWO_SITE_KI, x, y, constants={"radioligand_M": lig, "kd_M": kd})
    np.testing.assert_allclose(
        twok.param("log_ki_high"), two.param("log_ic50_high") - np.log10(3.0), atol=1e-6
    )


def test_f_test_agrees_with_statsmodels_for_nested_polynomials():
    rng = np.random.default_rng(8)
    x = np.linspace(0, 10, 30)
    y = 1.0 + 0.5 * x + 0.08 * x**2 + rng.normal(0, 1.0, x.size)
    lin = user_model(lambda x, a, b: a + b * x, ["a", "b"])
    quad = user_model(lambda x, a, b, c: a + b * x + c * x**2, ["a", "b", "c"])
    cmp = f_test(fit_curves(lin, x, y), fit_curves(quad, x, y))
    # R: anova(lm(y ~ x), lm(y ~ x + I(x^2)))
    r_lin = sm.OLS(y, sm.add_constant(x)).fit()
    r_quad = sm.OLS(y, np.column_stack([np.ones_like(x), x, x**2])).fit()
    f_sm, p_sm, _ = r_quad.compare_f_test(r_lin)
    np.testing.assert_allclose(cmp.f[0], f_sm, rtol=1e-6)
    np.testing.assert_allclose(cmp.p_value[0], p_sm, rtol=1e-5)
    # AICc: Prism's K = parameters + 1
    n, k, ss = 30, 4, fit_curves(quad, x, y).ssr[0]
    expected = n * np.log(ss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    np.testing.assert_allclose(cmp.aicc_complex[0], expected, rtol=1e-10)


def test_shared_hill_matches_a_global_scipy_fit():
    rng = np.random.default_rng(9)
    n = 4
    true = np.column_stack(
        [np.zeros(n), np.full(n, 100.0), np.array([-9.0, -8.5, -8.0, -7.5]), np.full(n, -0.8)]
    )
    y = FOUR_PL(np.broadcast_to(X36, (n, X36.size)), true) + rng.normal(0, 3, (n, X36.size))
    fit = fit_curves(FOUR_PL, X36, y, shared=("hill",))
    hill = fit.param("hill")
    assert np.ptp(hill) == 0
    assert fit.status == ("converged",) * n

    def resid(th):
        loc = th[:-1].reshape(n, 3)
        p = np.column_stack([loc, np.full(n, th[-1])])
        return (FOUR_PL(np.broadcast_to(X36, (n, X36.size)), p) - y).ravel()

    th0 = np.concatenate([fit.params[:, :3].ravel(), [-1.0]])
    ref = optimize.least_squares(resid, th0 + 0.05, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    np.testing.assert_allclose(hill[0], ref.x[-1], atol=1e-6)
    np.testing.assert_allclose(fit.params[:, 2], ref.x[:-1].reshape(n, 3)[:, 2], atol=1e-6)
    assert fit.df[0] == n * X36.size - (3 * n + 1)


def test_saturation_total_and_nsb_fitted_together():
    rng = np.random.default_rng(10)
    conc = np.repeat(np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8]) * 1e-9, 3)
    bmax, kd, ns, bg = 5000.0, 0.8e-9, 1.5e11, 50.0
    total = bmax * conc / (kd + conc) + ns * conc + bg
    nsb = ns * conc + bg
    y = np.vstack([total, nsb]) * (1 + rng.normal(0, 0.03, (2, conc.size)))
    names = ("bmax", "kd", "ns", "background")
    fit = fit_curves(
        SATURATION_TOTAL_NSB, conc, y, shared=names, constants={"specific": [1.0, 0.0]}
    )
    assert fit.status[0] == "converged"
    assert abs(fit.param("kd")[0] / kd - 1) < 0.2
    assert abs(fit.param("bmax")[0] / bmax - 1) < 0.1

    def resid(p):  # scipy in nM, with NS per nM, where its default scaling suits the problem
        b, k, s, g = p
        c = conc * 1e9
        return np.concatenate([b * c / (k + c) + s * c + g - y[0], s * c + g - y[1]])

    ref = optimize.least_squares(resid, [4000, 1.0, 100, 0], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    np.testing.assert_allclose(fit.params[0], ref.x * [1, 1e-9, 1e9, 1], rtol=1e-6)


def test_specific_saturation_and_michaelis_menten_match_curve_fit():
    rng = np.random.default_rng(12)
    s = np.array([0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2]) * 1e-6
    v = 12.0 * s / (0.3e-6 + s) * (1 + rng.normal(0, 0.04, s.size))
    # scipy in micromolar units, where its default scaling suits the problem
    popt, _ = optimize.curve_fit(lambda x, a, b: a * x / (b + x), s * 1e6, v, p0=[10, 0.1])
    for model in (MICHAELIS_MENTEN, SATURATION):
        fit = fit_curves(model, s, v)
        np.testing.assert_allclose(fit.params[0], [popt[0], popt[1] * 1e-6], rtol=1e-6)


def test_relative_weighting_matches_curve_fit_sigma():
    rng = np.random.default_rng(13)
    true, y = simulate_4pl(rng, 1, sd=0.0)
    y = y * (1 + rng.normal(0, 0.05, y.shape)) + 5.0
    fit = fit_curves(FOUR_PL, X36, y, weights="1/y2")
    popt, _ = optimize.curve_fit(
        lambda x, *p: FOUR_PL(x, np.array(p)), X36, y[0], p0=fit.params[0] + 0.1, sigma=y[0]
    )
    np.testing.assert_allclose(fit.params[0], popt, rtol=1e-5)


def test_replicate_sd_weights():
    y = np.array([[1.0, 3.0, 10.0, 14.0, 5.0]])
    x = np.array([0.0, 0.0, 1.0, 1.0, 2.0])
    w = replicate_weights(x, y)
    sd0, sd1 = np.std([1, 3], ddof=1), np.std([10, 14], ddof=1)
    pooled = np.sqrt((sd0**2 + sd1**2) / 2)
    np.testing.assert_allclose(w[0], 1 / np.array([sd0, sd0, sd1, sd1, pooled]) ** 2)


def test_fixed_parameters_per_curve():
    rng = np.random.default_rng(14)
    true, y = simulate_4pl(rng, 3)
    fit = fit_curves(FOUR_PL, X36, y, fixed={"bottom": [0.0, 1.0, 2.0], "top": 100.0})
    np.testing.assert_array_equal(fit.param("bottom"), [0.0, 1.0, 2.0])
    assert np.isnan(fit.se[:, 0]).all()
    assert fit.df[0] == X36.size - 2


def test_profile_ci_matches_a_brute_force_profile():
    rng = np.random.default_rng(15)
    true, y = simulate_4pl(rng, 3, hill=-1.0, sd=6.0)
    fit = profile_ci(fit_curves(ONE_SITE, X36, y))
    i = 0
    ssmin, df = fit.ssr[i], fit.df[i]
    target = ssmin * (1 + stats.f.ppf(0.95, 1, df) / df)

    def prof(v):
        r = optimize.least_squares(
            lambda p: ONE_SITE(X36, np.array([p[0], p[1], v])) - y[i], fit.params[i, :2]
        )
        return 2 * r.cost - target

    hi = optimize.brentq(prof, fit.params[i, 2], fit.params[i, 2] + 2)
    lo = optimize.brentq(prof, fit.params[i, 2] - 2, fit.params[i, 2])
    np.testing.assert_allclose([fit.profile_low[i], fit.profile_high[i]], [lo, hi], atol=1e-5)
    frame = fit.to_frame()
    row = frame[(frame.curve == 0) & (frame.parameter == "log_ic50")].iloc[0]
    assert row.profile_ci_low == pytest.approx(lo, abs=1e-5)


def test_profile_ci_is_open_for_an_incomplete_curve():
    x = np.repeat(np.linspace(-11, -8, 8), 3)
    rng = np.random.default_rng(16)
    y = ONE_SITE(x, np.array([0, 100, -7.0])) + rng.normal(0, 3, x.size)
    fit = profile_ci(fit_curves(ONE_SITE, x, y))
    assert np.isinf(fit.profile_high[0]) or fit.profile_high[0] - fit.params[0, 2] > 0.5
    if np.isinf(fit.profile_high[0]):
        assert "limit of log_ic50 is open" in fit.reason[0]


def test_rout_finds_a_planted_outlier_and_says_so():
    rng = np.random.default_rng(17)
    true, y = simulate_4pl(rng, 20, sd=3.0)
    y[:, 7] += 50.0
    fit = fit_rout(FOUR_PL, X36, y)
    assert fit.excluded is not None
    assert fit.excluded[:, 7].all()
    assert fit.excluded.sum() <= 20 + 5  # few false positives at Q = 1 %
    assert "ROUT" in fit.reason[0] and "outlier" in fit.reason[0]
    clean = fit_curves(FOUR_PL, X36, y, exclude=fit.excluded)
    np.testing.assert_allclose(clean.params, fit.params)
    # excluding the outlier is the same as leaving the point out of the data
    keep = np.ones(X36.size, dtype=bool)
    keep[7] = False
    dropped = fit_curves(
        FOUR_PL,
        X36[keep],
        y[:, keep],
        exclude=fit.excluded[:, keep] if fit.excluded.any() else None,
    )
    np.testing.assert_allclose(dropped.params, fit.params, rtol=1e-6, atol=1e-8)


BAD = [
    ("all_nan", "failed", "no data"),
    ("too_few", "failed", "point(s) for 4 free parameters"),
    ("constant", "ambiguous", "do not determine"),
    ("infinite", "failed", "infinite value"),
    ("raises", "failed", "raised ValueError"),
]


def test_bad_curves_get_a_status_and_the_rest_of_the_batch_is_fitted():
    rng = np.random.default_rng(18)
    true, y = simulate_4pl(rng, 8)
    y[0] = np.nan
    y[1, 3:] = np.nan
    y[2] = 42.0
    y[3, 5] = np.inf
    fit = fit_curves(FOUR_PL, X36, y)
    for i, (_, status, text) in enumerate(BAD[:4]):
        assert fit.status[i] == status, (i, fit.reason[i])
        assert text in fit.reason[i]
    assert all(s == "converged" for s in fit.status[4:])
    good = fit_curves(FOUR_PL, X36, y[4:])
    np.testing.assert_allclose(fit.params[4:], good.params)
    df = fit.params_frame()
    assert list(df.status[:4]) == ["failed", "failed", "ambiguous", "failed"]
    assert df.reason.str.len().gt(0).all()


def test_a_user_model_that_raises_fails_only_that_curve():
    def picky(x, a, b):
        if np.any(np.abs(a) > 50):  # stands for any user-side error
            raise ValueError("a is out of the range this model accepts")
        return a + b * x

    x = np.linspace(0, 1, 6)
    y = np.vstack([1 + 2 * x, 100 + 2 * x, 3 - x])
    m = user_model(picky, ["a", "b"], p0={"a": 1.0, "b": 1.0})
    fit = fit_curves(m, x, y)
    assert fit.status[1] == "failed" and "raised ValueError" in fit.reason[1]
    np.testing.assert_allclose(fit.params[0], [1, 2], atol=1e-8)
    np.testing.assert_allclose(fit.params[2], [3, -1], atol=1e-8)


def test_unsorted_and_duplicated_x_fit_like_sorted():
    rng = np.random.default_rng(19)
    true, y = simulate_4pl(rng, 1)
    order = rng.permutation(X36.size)
    fit_sorted = fit_curves(FOUR_PL, X36, y)
    fit_shuffled = fit_curves(FOUR_PL, X36[order], y[:, order])
    np.testing.assert_allclose(fit_sorted.params, fit_shuffled.params, atol=1e-8)
    assert fit_shuffled.status[0] == "converged"
    assert "not sorted" in fit_shuffled.reason[0]


def test_parameter_at_bound_is_reported():
    rng = np.random.default_rng(20)
    true, y = simulate_4pl(rng, 1, hill=-1.0)
    fit = fit_curves(FOUR_PL, X36, y, bounds={"hill": (-0.5, 0.5)})
    assert fit.status[0] == "at_bound"
    assert "hill" in fit.reason[0]


def test_curves_with_different_numbers_of_points():
    rng = np.random.default_rng(21)
    true, y = simulate_4pl(rng, 3)
    y[1, ::4] = np.nan
    fit = fit_curves(FOUR_PL, X36, y)
    assert list(fit.n_points) == [36, 27, 36]
    ref = fit_curves(FOUR_PL, X36[~np.isnan(y[1])], y[1][~np.isnan(y[1])])
    np.testing.assert_allclose(fit.params[1], ref.params[0], atol=1e-8)


def test_confidence_band_contains_the_curve_and_widens_off_data():
    rng = np.random.default_rng(22)
    true, y = simulate_4pl(rng, 1)
    fit = fit_curves(FOUR_PL, X36, y)
    grid = np.linspace(-13, -3, 50)
    yhat, lo, hi = fit.band(grid, 0)
    assert np.all(lo <= yhat) and np.all(yhat <= hi)
    width = hi - lo
    assert width[0] > width[np.argmin(np.abs(grid + 8))]


def test_errors_for_invalid_options():
    with pytest.raises(ModelError, match="has no parameter 'slope'"):
        fit_curves(FOUR_PL, X36, np.zeros(36), fixed={"slope": 1.0})
    with pytest.raises(ModelError, match="needs the constant 'radioligand_M'"):
        fit_curves(ONE_SITE_KI, X36, np.zeros(36))
    with pytest.raises(ModelError, match="x has shape"):
        fit_curves(FOUR_PL, X12, np.zeros(36))
    with pytest.raises(ModelError, match="unknown weighting"):
        fit_curves(FOUR_PL, X36, np.zeros(36), weights="1/x")


def test_summary_and_frames():
    rng = np.random.default_rng(23)
    _, y = simulate_4pl(rng, 3)
    fit = fit_curves(FOUR_PL, X36, y, labels=["a", "b", "c"], options=SolverOptions(max_iter=100))
    tidy = fit.to_frame()
    assert len(tidy) == 3 * 4 and set(tidy.curve) == {"a", "b", "c"}
    assert "converged 3" in fit.summary()


def test_compiled_kernel_matches_the_numpy_jacobian():
    from pdstudy.fitting import _kernels
    from pdstudy.fitting.solver import _normal

    rng = np.random.default_rng(24)
    n = 50
    true, y = simulate_4pl(rng, n)
    x = np.broadcast_to(X36, y.shape)
    sw = rng.uniform(0.5, 2.0, y.shape)
    sw[:, ::7] = 0.0  # missing points
    f, j = FOUR_PL.fjac(x, true, {})
    ssr, a, g = _normal((y - f) * sw, j * sw[..., None])
    for kernel in (_kernels._normal_ser, _kernels._normal_par):
        k_ssr, k_a, k_g = kernel(x, y, sw, true)
        np.testing.assert_allclose(k_ssr, ssr, rtol=1e-10)
        np.testing.assert_allclose(k_a, a, rtol=1e-9, atol=1e-12 * np.abs(a).max())
        np.testing.assert_allclose(k_g, g, rtol=1e-9, atol=1e-9 * np.abs(g).max())
    m = a + np.eye(4) * 1e-3
    np.testing.assert_allclose(
        _kernels.batched_solve(a, g, np.full(g.shape, 1e-3)),
        np.linalg.solve(m, g[..., None])[..., 0],
        rtol=1e-8,
    )
    np.testing.assert_allclose(_kernels.batched_inv(m), np.linalg.inv(m), rtol=1e-7, atol=1e-12)


def test_profile_ci_of_a_shared_parameter_in_a_global_fit():
    rng = np.random.default_rng(10)
    conc = np.repeat(np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8]) * 1e-9, 3)
    total = 5000.0 * conc / (0.8e-9 + conc) + 1.5e11 * conc + 50.0
    nsb = 1.5e11 * conc + 50.0
    y = np.vstack([total, nsb]) * (1 + rng.normal(0, 0.03, (2, conc.size)))
    names = ("bmax", "kd", "ns", "background")
    fit = fit_curves(
        SATURATION_TOTAL_NSB, conc, y, shared=names, constants={"specific": [1.0, 0.0]}
    )
    prof = profile_ci(fit, "kd")
    assert prof.profile_low[0] == prof.profile_low[1]  # one interval for the batch
    # brute force in nM with scipy: total SS with Kd held, the rest re-optimised
    c = conc * 1e9
    ssmin = float(np.sum(fit.ssr))
    df = 2 * conc.size - 4
    target = ssmin * (1 + stats.f.ppf(0.95, 1, df) / df)

    def prof_ss(kd_nm):
        def resid(p):
            b, s, g = p
            return np.concatenate([b * c / (kd_nm + c) + s * c + g - y[0], s * c + g - y[1]])

        start = [fit.param("bmax")[0], fit.param("ns")[0] * 1e-9, fit.param("background")[0]]
        r = optimize.least_squares(resid, start, xtol=1e-14, ftol=1e-14, gtol=1e-14)
        return 2 * r.cost - target

    kd_nm = fit.param("kd")[0] * 1e9
    lo = optimize.brentq(prof_ss, kd_nm * 0.2, kd_nm)
    hi = optimize.brentq(prof_ss, kd_nm, kd_nm * 5)
    np.testing.assert_allclose(
        [prof.profile_low[0] * 1e9, prof.profile_high[0] * 1e9], [lo, hi], rtol=1e-4
    )
    with pytest.raises(ModelError, match="shared parameter"):
        profile_ci(
            fit_curves(FOUR_PL, X36, simulate_4pl(np.random.default_rng(1), 2)[1], shared=("hill",))
        )


# ---------------------------------------------------------------- numpy and compiled paths

NUMPY = SolverOptions(backend="numpy")
COMPILED = SolverOptions(backend="compiled")


@pytest.mark.parametrize("model", ["four_pl", "one_site", "one_site_ki"])
def test_numpy_and_compiled_paths_give_the_same_fit(model):
    rng = np.random.default_rng(25)
    true, y = simulate_4pl(rng, 60, hill=None if model == "four_pl" else -1.0)
    w = rng.uniform(0.5, 2.0, y.shape)
    y[::5, ::7] = np.nan  # missing points on some curves
    mdl = {"four_pl": FOUR_PL, "one_site": ONE_SITE, "one_site_ki": ONE_SITE_KI}[model]
    consts = {"radioligand_M": 1e-9, "kd_M": 2e-9} if model == "one_site_ki" else None
    cases = [{}, {"fixed": {"bottom": 0.0}, "bounds": {"top": (0.0, 103.0)}}]
    for kw in cases:
        # the same iterations: four steps (still far from the minimum), no stopping rule
        same = SolverOptions(max_iter=4, ftol=0.0, xtol=0.0, gtol=0.0)
        steps = [
            fit_curves(mdl, X36, y, weights=w, constants=consts, options=o, **kw)
            for o in (dataclasses.replace(same, backend=b) for b in ("numpy", "compiled"))
        ]
        np.testing.assert_allclose(steps[0].params, steps[1].params, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(steps[0].se, steps[1].se, rtol=1e-10)
        # to convergence: the same status, and estimates that differ far below their
        # standard errors (near the minimum the SSR tests of the stopping rules see
        # rounding, so the last accepted step, ~1e-8 relative, may differ)
        fits = [
            fit_curves(mdl, X36, y, weights=w, constants=consts, options=o, **kw)
            for o in (NUMPY, COMPILED)
        ]
        assert fits[0].status == fits[1].status
        assert {"converged", "at_bound"} >= set(fits[0].status)
        np.testing.assert_allclose(fits[0].params, fits[1].params, rtol=1e-6)
        free = fits[0].free
        diff = np.abs(fits[0].params - fits[1].params)[:, free] / fits[1].se[:, free]
        assert diff.max() < 1e-6
        np.testing.assert_allclose(fits[0].se, fits[1].se, rtol=1e-6)
        np.testing.assert_allclose(fits[0].ssr, fits[1].ssr, rtol=1e-12)


def test_numpy_linear_algebra_matches_the_compiled_kernels():
    from pdstudy.fitting import _kernels, _linalg

    rng = np.random.default_rng(26)
    j = rng.normal(size=(40, 9, 4))
    a = j.transpose(0, 2, 1) @ j
    g = rng.normal(size=(40, 4))
    damp = rng.uniform(0, 1e-2, (40, 4))
    hold = rng.uniform(size=(40, 4)) < 0.2
    a[3], damp[3], hold[3] = 0.0, 0.0, False  # singular: NaN on both paths, no other row
    want = _kernels.batched_solve(a, g, damp, hold)
    got = _linalg.batched_solve(a, g, damp, hold)
    assert np.isnan(got[3]).all() and np.isnan(want[3]).all()
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert (got[hold] == 0.0).all()
    np.testing.assert_allclose(
        _linalg.batched_inv(a[4:]), _kernels.batched_inv(a[4:]), rtol=1e-9, atol=1e-12
    )
    assert np.isnan(_linalg.batched_inv(a)[3]).all()


def test_the_path_is_chosen_by_batch_size_and_can_be_forced():
    from pdstudy.fitting import solver

    with pytest.raises(ModelError, match="unknown solver backend"):
        SolverOptions(backend="gpu")
    small = 12 * X36.size
    assert small < solver.COMPILED_MIN_POINTS  # a lab's few plates stay on numpy


def test_a_small_batch_never_imports_numba():
    # a fresh interpreter: importing the engine and fitting 12 curves (the size of a
    # few plates) leaves numba unimported, so a first run compiles nothing
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import pdstudy.fitting as f
        assert "numba" not in sys.modules, "importing pdstudy.fitting imported numba"
        x = np.repeat(np.linspace(-11.0, -5.5, 12), 3)
        rng = np.random.default_rng(27)
        true = np.array([0.0, 100.0, -8.0, -1.0])
        y = f.FOUR_PL(np.broadcast_to(x, (12, x.size)), np.tile(true, (12, 1)))
        fit = f.fit_curves(f.FOUR_PL, x, y + rng.normal(0, 4, y.shape))
        fit = f.profile_ci(fit)
        f.fit_rout(f.FOUR_PL, x, y + rng.normal(0, 4, y.shape))
        assert all(s == "converged" for s in fit.status), fit.status
        print("numba" in sys.modules)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- starting values


def test_a_crashing_guess_is_reported_and_the_fit_starts_from_defaults():
    def guess(x, y, c):
        if np.nanmax(y) > 50:  # stands for a bug in a user's guess
            raise RuntimeError("plateau detection failed")
        return np.tile([1.0, 0.5], (x.shape[0], 1))

    base = user_model(lambda x, a, b: a + b * x, ["a", "b"])
    m = dataclasses.replace(base, guess=guess, defaults={"a": 2.0})
    x = np.linspace(0, 1, 6)
    y = np.vstack([1 + 2 * x, 100 + 2 * x, 3 - x])
    fit = fit_curves(m, x, y)
    assert fit.status == ("converged",) * 3
    # only the curve on which the guess raised is told, with the exception and the starts
    assert fit.reason[0] == "converged" and fit.reason[2] == "converged"
    assert fit.reason[1] == (
        "converged; initial guess failed: RuntimeError: plateau detection failed; "
        "started from defaults (a = 2, b = 1)"
    )
    np.testing.assert_allclose(fit.params[1], [100, 2], atol=1e-8)
    # starting values given by the caller are not defaults
    fit = fit_curves(m, x, y, p0={"a": 90.0})
    assert fit.reason[1].endswith("started from defaults (b = 1)")
    fit = fit_curves(m, x, y, p0={"a": 90.0, "b": 1.0})
    assert fit.reason[1] == "converged"


def test_a_guess_without_a_value_is_reported():
    base = user_model(lambda x, a, b: a + b * x, ["a", "b"])
    m = dataclasses.replace(base, guess=lambda x, y, c: np.tile([np.nan, 1.0], (x.shape[0], 1)))
    x = np.linspace(0, 1, 6)
    fit = fit_curves(m, x, 1 + 2 * x)
    assert fit.status[0] == "converged"
    assert "initial guess gave no value for a; started from defaults (a = 1)" in fit.reason[0]
