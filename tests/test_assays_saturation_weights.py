"""Saturation: the total and NSB weights are normalised once over everything fitted together.

The total + NSB global fit is one problem. Before, the count weights were
rescaled to a mean of 1 within each curve, which threw away the relative
weighting of the two curves (NSB, with far fewer counts and so a smaller
variance, was underweighted ~12-19-fold), and Kd and Bmax CIs undercovered
(Kd 0.90 on 1,000 simulated plates). Checked against R's ``nls`` with the same
weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdstudy.assays.binding import analyze_saturation
from pdstudy.design import saturation_layout
from pdstudy.fitting import SATURATION_TOTAL_NSB, fit_curves
from pdstudy.simulate import simulate_saturation

# The weighted total + NSB data of the plate below, as pdstudy fits them (x in nM),
# written out with the weights the analysis chose (mean 1 over all 32 points).
ROWS = [
    # spec, x (nM), y (CPM), weight
    (1, 0.05000000000000001, 331, 0.7039861784667869),
    (1, 0.05000000000000001, 283, 0.7039861784667869),
    (1, 0.1065831558266921, 554, 0.3014016642110908),
    (1, 0.1065831558266921, 602, 0.3014016642110908),
    (1, 0.22719938211953852, 1090, 0.1205868624742778),
    (1, 0.22719938211953852, 1147, 0.1205868624742778),
    (1, 0.4843125429634986, 1900, 0.04847785263459978),
    (1, 0.4843125429634986, 1985, 0.04847785263459978),
    (1, 1.0323911847100018, 3050, 0.021580973784116247),
    (1, 1.0323911847100018, 3006, 0.021580973784116247),
    (1, 2.2007102102809877, 4793, 0.011210963228890525),
    (1, 2.2007102102809877, 4584, 0.011210963228890525),
    (1, 4.691172785435415, 6139, 0.006483730591334696),
    (1, 4.691172785435415, 6426, 0.006483730591334696),
    (1, 10.0, 8171, 0.0036795722112131597),
    (1, 10.0, 8178, 0.0036795722112131597),
    (0, 0.05000000000000001, 53, 5.968016654907426),
    (0, 0.05000000000000001, 36, 5.968016654907426),
    (0, 0.1065831558266921, 58, 4.160989813267795),
    (0, 0.1065831558266921, 49, 4.160989813267795),
    (0, 0.22719938211953852, 92, 2.48274861095006),
    (0, 0.22719938211953852, 112, 2.48274861095006),
    (0, 0.4843125429634986, 200, 1.2781071936988415),
    (0, 0.4843125429634986, 175, 1.2781071936988415),
    (0, 1.0323911847100018, 390, 0.5736847417704282),
    (0, 1.0323911847100018, 305, 0.5736847417704282),
    (0, 2.2007102102809877, 735, 0.22324824700458942),
    (0, 2.2007102102809877, 660, 0.22324824700458942),
    (0, 4.691172785435415, 1744, 0.0744072245584466),
    (0, 4.691172785435415, 1466, 0.0744072245584466),
    (0, 10.0, 3064, 0.021389716240101813),
    (0, 10.0, 3073, 0.021389716240101813),
]

# R version 4.2.2, stats::nls and minpack.lm 1.2-3 nlsLM on ROWS (d: data frame spec, x, y, w):
#   fit <- nls(y ~ spec * bmax * x / (kd + x) + ns * x + bg, data = d, weights = w,
#              start = list(bmax = 6000, kd = 1, ns = 300, bg = 20),
#              control = nls.control(tol = 1e-8, maxiter = 200))
#   formatC(coef(fit), digits = 12, format = "g")
#   #> 5706.79769458 1.06650298825 314.979917288 27.1827640102
#   fl <- minpack.lm::nlsLM(<same formula, data, weights, start>,
#              control = nls.lm.control(ftol = 1e-15, ptol = 1e-15, maxiter = 200))
#   formatC(sqrt(diag(vcov(fl))), digits = 10, format = "g")
#   #> 201.3158849 0.0642626955  7.00712539 4.429037674
R_NLS = {
    "bmax": 5706.79769458,
    "kd": 1.06650298825,
    "ns": 314.979917288,
    "background": 27.1827640102,
}
R_SE = {"bmax": 201.3158849, "kd": 0.0642626955, "ns": 7.00712539, "background": 4.429037674}


def _plate():
    lay = saturation_layout(1e-9 * np.geomspace(0.05, 10, 8), replicates=2)
    return simulate_saturation(lay, kd_M=1e-9, seed=20261201)


def _arrays():
    rows = np.array(ROWS, dtype=float)
    tot, nsb = rows[rows[:, 0] == 1], rows[rows[:, 0] == 0]
    return (np.vstack([tot[:, k], nsb[:, k]]) for k in (1, 2, 3))


def test_the_analysis_normalises_the_weights_once_over_total_and_nsb():
    res = analyze_saturation(_plate())
    fit = res.fits[(str(res.params["experiment"].iloc[0]), "total_nsb")]
    x, y, w = _arrays()
    np.testing.assert_allclose(fit.x, x, rtol=1e-12)
    np.testing.assert_allclose(fit.y, y, rtol=1e-12)
    np.testing.assert_allclose(fit.weights, w, rtol=1e-6)
    assert np.mean(fit.weights) == pytest.approx(1.0, rel=1e-9)
    # NSB wells hold far fewer counts, so each weighs more (per curve normalisation gave 1)
    assert fit.weights[1].mean() / fit.weights[0].mean() > 5
    # and the reported Kd is R's nls Kd with the same weights
    row = res.params[res.params["method"] == "total_nsb"].iloc[0]
    assert row["kd_M"] * 1e9 == pytest.approx(R_NLS["kd"], rel=1e-5)
    assert row["bmax_cpm"] == pytest.approx(R_NLS["bmax"], rel=1e-5)


def test_the_engine_matches_r_nls_with_the_same_weights():
    x, y, w = _arrays()
    fit = fit_curves(
        SATURATION_TOTAL_NSB,
        x,
        y,
        weights=w,
        shared=SATURATION_TOTAL_NSB.params,
        constants={"specific": [1.0, 0.0]},
        p0={"bmax": 6000.0, "kd": 1.0, "ns": 300.0, "background": 20.0},
    )
    assert fit.status == ("converged", "converged")
    for name, value in R_NLS.items():
        assert fit.param(name)[0] == pytest.approx(value, rel=1e-7), name
        k = SATURATION_TOTAL_NSB.index(name)
        assert fit.se[0, k] == pytest.approx(R_SE[name], rel=1e-6), name


def test_the_counts_proportional_cv_is_estimated_once_over_every_experiment():
    # 12 plates of one section: one CV for all, near the simulator's (5 % x 2 % pipetting)
    lay0 = saturation_layout(1e-9 * np.geomspace(0.05, 10, 8), replicates=2)
    lays = [lay0.assign(plate=f"p{e}") for e in range(12)]
    frame = simulate_saturation(pd.concat(lays, ignore_index=True), kd_M=1e-9, seed=31)
    res = analyze_saturation(frame)
    true_cv = np.sqrt((1 + 0.02**2) * (1 + 0.05**2) - 1)
    assert res.options["count_cv"] == pytest.approx(true_cv, rel=0.2)
    # every plate's weights are the counting rule's with that one CV (normalised per plate)
    c2 = res.options["count_cv"] ** 2
    for (_, method), fit in res.fits.items():
        if method != "total_nsb":
            continue
        consts = {k: np.asarray(v).reshape(-1, 1) for k, v in fit.constants.items()}
        pred = np.maximum(fit.model.func(fit.x, fit.params, consts), 1.0)
        w = 1.0 / (c2 * pred**2 + pred)
        np.testing.assert_allclose(fit.weights, w / w.mean(), rtol=3e-2)  # one IRLS step apart
