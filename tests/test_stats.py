"""pdstudy.stats reproduces independent results (R outputs and textbook examples quoted)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from pdstudy.errors import UsageError
from pdstudy.stats import compare_to_control_by_time, dunnett_vs_control, holm, mixed_model


def test_holm_matches_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")  ->  0.03 0.06 0.06 0.02
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm([0.01, np.nan])[1])


def test_holm_equals_statsmodels_on_random_p_values_with_ties():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    for m in (1, 2, 3, 7, 20):
        p = rng.uniform(0, 0.2, m)
        p[: m // 3] = p[0]  # ties
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)
    assert holm([]).shape == (0,)


def test_welch_matches_r_t_test_on_the_sleep_data():
    # R: t.test(extra ~ group, data = sleep)
    #   t = -1.8608, df = 17.776, p-value = 0.07939
    #   95 percent confidence interval: -3.3654832  0.2054832
    g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    frame = pd.DataFrame({"value": g1 + g2, "group": ["1"] * 10 + ["2"] * 10, "time_s": 0.0})
    out = compare_to_control_by_time(frame, value="value", control="2").iloc[0]
    assert out["estimate"] == pytest.approx(-1.58)
    assert out["statistic"] == pytest.approx(-1.8608, abs=1e-4)
    assert out["p_value"] == pytest.approx(0.07939, abs=1e-5)
    assert out["ci_low"] == pytest.approx(-3.3654832, abs=1e-6)
    assert out["ci_high"] == pytest.approx(0.2054832, abs=1e-6)
    assert out["p_adj"] == pytest.approx(out["p_value"])  # one time point: nothing to correct


def test_dunnett_matches_dunnett_1955():
    # Dunnett (1955) J Am Stat Assoc 50:1096, blood counts; the scipy.stats.dunnett docs
    # give p = 0.62004941 (drug a) and 0.0059035 (drug b) against the control
    control = [7.40, 8.50, 7.20, 8.24, 9.84, 8.32]
    a = [9.76, 8.80, 7.68, 9.36]
    b = [12.80, 9.68, 12.16, 9.20, 10.55]
    frame = pd.DataFrame({"auc": control + a + b, "group": ["control"] * 6 + ["a"] * 4 + ["b"] * 5})
    out = dunnett_vs_control(frame, value="auc", control="control").set_index("group")
    assert out.loc["a", "p_adj"] == pytest.approx(0.62004941, abs=2e-3)
    assert out.loc["b", "p_adj"] == pytest.approx(0.0059035, abs=5e-4)
    assert out.loc["b", "estimate"] == pytest.approx(np.mean(b) - np.mean(control))
    # one-way ANOVA of the three groups, as R's summary(aov(auc ~ group)): F on 2 and 12 df
    from scipy.stats import f_oneway

    assert out.loc["all", "statistic"] == pytest.approx(f_oneway(control, a, b).statistic)


def _balanced(seed=0, n=5):
    rng = np.random.default_rng(seed)
    rows = []
    for g, shift in (("vehicle", 0.0), ("drug", 60.0)):
        for k in range(n):
            u = rng.normal(0, 15)
            for t, w in ((1200.0, 1.0), (2400.0, 0.7), (3600.0, 0.3)):
                rows.append({"animal": f"{g}{k}", "group": g, "time_s": t,
                             "pct": 100 + shift * w + u + rng.normal(0, 8)})  # fmt: skip
    return pd.DataFrame(rows)


def test_mixed_model_fixed_effects_equal_cell_means_when_balanced():
    # with every animal at every time, the REML fixed effects of
    # lme4::lmer(pct ~ group * factor(time) + (1 | animal)) are the OLS cell-mean contrasts
    frame = _balanced()
    mm = mixed_model(frame, value="pct", control="vehicle").set_index("term")
    ols = smf.ols("pct ~ C(group, Treatment('vehicle')) * C(time_s)", frame).fit()
    np.testing.assert_allclose(mm["estimate"].to_numpy(), ols.params.to_numpy(), rtol=1e-5)
    drug = frame[(frame["group"] == "drug") & (frame["time_s"] == 1200)]["pct"].mean()
    veh = frame[(frame["group"] == "vehicle") & (frame["time_s"] == 1200)]["pct"].mean()
    assert mm.loc["group[drug]", "estimate"] == pytest.approx(drug - veh, rel=1e-6)
    assert mm.attrs["converged"]


def test_mixed_model_copes_with_missing_samples():
    frame = _balanced(seed=2).drop(index=[3, 7, 20]).reset_index(drop=True)
    mm = mixed_model(frame, value="pct", control="vehicle").set_index("term")
    assert mm.loc["group[drug]", "p_value"] < 0.01
    assert (mm["ci_low"] < mm["estimate"]).all() and (mm["estimate"] < mm["ci_high"]).all()


def test_bad_arguments_are_usage_errors():
    frame = _balanced()
    with pytest.raises(UsageError, match="control group 'saline'"):
        mixed_model(frame, value="pct", control="saline")
    with pytest.raises(UsageError, match="no column"):
        dunnett_vs_control(frame, value="auc", control="vehicle")
