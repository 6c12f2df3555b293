"""Group statistics and power against scipy, statsmodels and pingouin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdstudy.errors import UsageError
from pdstudy.stats.groups import CONTRAST_COLUMNS, compare_to_control, dunn_test, hedges_g
from pdstudy.stats.power import sample_size, simulate_power, t_test_power


def _frame(groups: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(g, v) for g, vals in groups.items() for v in vals], columns=["group", "immobility_s"]
    )


# Dunnett's (1955) example of scipy.stats.dunnett's documentation: blood counts
CONTROL = [7.40, 8.50, 7.20, 8.24, 9.84, 8.32]
DRUG_A = [9.76, 8.80, 7.68, 9.36]
DRUG_B = [12.80, 9.68, 12.16, 9.20, 10.55]


def test_dunnett_reproduces_scipy_and_the_published_example():
    res = compare_to_control(_frame({"vehicle": CONTROL, "A": DRUG_A, "B": DRUG_B}), method="anova")
    ref = stats.dunnett(DRUG_A, DRUG_B, control=CONTROL, rng=np.random.default_rng(0))
    c = res.contrasts.set_index("group")
    assert tuple(res.contrasts.columns) == CONTRAST_COLUMNS
    np.testing.assert_allclose(c.loc[["A", "B"], "p_value"], ref.pvalue, rtol=1e-3)
    # scipy's documentation of stats.dunnett, on Dunnett's (1955) example:
    # res.pvalue -> array([0.62004941, 0.0059035 ]) (a quasi-Monte Carlo integral)
    assert c.loc["A", "p_value"] == pytest.approx(0.62005, abs=2e-3)
    assert c.loc["B", "p_value"] == pytest.approx(0.0059, abs=5e-4)
    assert bool(c.loc["B", "significant"]) and not bool(c.loc["A", "significant"])
    f, p = stats.f_oneway(CONTROL, DRUG_A, DRUG_B)
    assert res.omnibus["statistic"].iloc[0] == pytest.approx(f)
    assert res.omnibus["p_value"].iloc[0] == pytest.approx(p)


def test_games_howell_matches_pingouin():
    import pingouin as pg

    rng = np.random.default_rng(1)
    data = {
        "vehicle": rng.normal(150, 10, 8),
        "low": rng.normal(130, 30, 8),
        "high": rng.normal(100, 45, 8),
    }
    df = _frame({k: list(v) for k, v in data.items()})
    res = compare_to_control(df, method="welch")
    # pingouin: pg.pairwise_gameshowell(data=df, dv="immobility_s", between="group")
    gh = pg.pairwise_gameshowell(data=df, dv="immobility_s", between="group")
    for g in ("low", "high"):
        r = gh[((gh.A == g) & (gh.B == "vehicle")) | ((gh.A == "vehicle") & (gh.B == g))].iloc[0]
        mine = res.contrasts.set_index("group").loc[g]
        assert mine["p_value"] == pytest.approx(r["pval"], rel=1e-6)
    w = pg.welch_anova(data=df, dv="immobility_s", between="group")
    assert res.omnibus["p_value"].iloc[0] == pytest.approx(w["p-unc"].iloc[0])


def test_dunn_two_groups_equals_kruskal_wallis():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 9), rng.normal(1, 1, 11)
    d = dunn_test([a, b], control=0)
    h = stats.kruskal(a, b)
    assert d["z"].iloc[0] ** 2 == pytest.approx(h.statistic, rel=1e-9)
    assert d["p_value"].iloc[0] == pytest.approx(h.pvalue, rel=1e-9)


def test_auto_switches_on_failed_assumptions():
    rng = np.random.default_rng(3)
    z = stats.norm.ppf((np.arange(10) + 0.5) / 10)  # exactly normal quantiles
    normal = _frame({"vehicle": list(150 + 10 * z), "drug": list(120 + 10 * z[::-1])})
    assert compare_to_control(normal).method == "anova"
    unequal = _frame(
        {"vehicle": list(rng.normal(150, 2, 12)), "drug": list(rng.normal(120, 40, 12))}
    )
    assert compare_to_control(unequal).method == "welch"
    skewed = _frame(
        {"vehicle": list(rng.exponential(10, 30)), "drug": list(rng.exponential(10, 30) ** 2)}
    )
    res = compare_to_control(skewed)
    assert res.method == "kruskal" and "Shapiro" in res.reason


def test_hedges_g_against_pingouin():
    import pingouin as pg

    rng = np.random.default_rng(4)
    x, y = rng.normal(100, 20, 10), rng.normal(140, 20, 12)
    g, lo, hi = hedges_g(x, y)
    assert g == pytest.approx(pg.compute_effsize(x, y, eftype="hedges"), rel=1e-9)
    assert lo < g < hi


def test_trend_on_doses():
    df = _frame({"vehicle": [150, 160, 155], "1": [140, 135, 145], "10": [100, 110, 105]})
    res = compare_to_control(df, doses={"vehicle": 0, "1": 1, "10": 10})
    assert res.trend["slope"].iloc[0] < 0 and res.trend["p_value"].iloc[0] < 0.01


def test_bad_groups():
    with pytest.raises(UsageError, match="no control group 'vehicle'"):
        compare_to_control(_frame({"a": [1, 2], "b": [3, 4]}))
    with pytest.raises(UsageError, match="fewer than 2"):
        compare_to_control(_frame({"vehicle": [1, 2], "b": [3]}))


def test_simulated_power_matches_the_closed_form_for_two_groups():
    # Hedges g ~ d = 1.2, n = 10 per group
    sim = simulate_power([150.0, 126.0], 20.0, 10, n_sim=4000, seed=5)
    exact = t_test_power(1.2, 10)
    assert sim.power[0] == pytest.approx(exact, abs=0.025)


def test_dunnett_power_and_sample_size():
    res = simulate_power([150.0, 130.0, 110.0], 20.0, 8, n_sim=2000, seed=6)
    assert res.test == "Dunnett" and res.power[0] < res.power[1]
    # Dunnett's critical value exceeds the t test's: less power than the closed form
    assert res.power[1] < t_test_power(2.0, 8) + 0.02
    n = sample_size([150.0, 120.0], 20.0, power=0.8, n_sim=2000, seed=7)
    assert min(n.power) >= 0.8
    assert t_test_power(1.5, n.n_per_group - 1) < 0.83


def test_the_ethogram_shows_every_video_scored_animal_on_its_own_row():
    from types import SimpleNamespace

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pdstudy.assays.behavior.plots import plot_ethogram

    animals = pd.DataFrame(
        {"video": ["v1.mp4", "v1.mp4", "v2.mp4"], "animal": ["a", "b", "c"],
         "group": ["vehicle", "vehicle", "20 mg/kg"], "status": "ok", "source": "video"}
    )  # fmt: skip
    t = np.arange(10) * 0.5
    motion = pd.concat(
        [
            pd.DataFrame({"video": "v1.mp4", "animal": "a", "time_s": t, "state": 0}),
            pd.DataFrame({"video": "v1.mp4", "animal": "b", "time_s": t[:1], "state": 0}),
            pd.DataFrame(
                {"video": "v2.mp4", "animal": "c", "time_s": t, "state": [1] * 5 + [0] * 5}
            ),
        ]
    )
    result = SimpleNamespace(
        motion=motion, animals=animals, groups=pd.DataFrame({"group": ["vehicle", "20 mg/kg"]})
    )
    fig, ax = plt.subplots()
    plot_ethogram(result, ax)
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == ["vehicle: a", "vehicle: b (1 frame)", "20 mg/kg: c"]
    # the bars of c are on c's row (2), from 2.5 s to the end
    rows = {round(float(c.get_paths()[0].vertices[:, 1].mean())): c for c in ax.collections}
    assert set(rows) == {0, 2}
    xs = rows[2].get_paths()[0].vertices[:, 0]
    assert xs.min() == pytest.approx(2.5) and xs.max() == pytest.approx(5.0)
    plt.close(fig)
