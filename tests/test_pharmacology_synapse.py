"""Synapse model: steady states against closed forms, feedback range, PK against Bateman."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pdstudy.errors import ModelError  # noqa: E402
from pdstudy.pharmacology import (  # noqa: E402
    MicrodialysisPrediction,
    PKParams,
    SynapseParams,
    dialysate_samples,
    fold_change_vs_occupancy,
    plot_fold_change,
    plot_pathway,
    plot_prediction,
    simulate_microdialysis,
    simulate_synapse,
    steady_state,
)

OCCUPANCIES = np.array([0.0, 0.1, 0.3, 0.5, 2 / 3, 0.8, 0.9, 0.95, 0.99])
NET_KI = 0.32e-9  # norclomipramine hNET, approximate (pharmacology.md)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- steady state


def test_no_feedback_steady_state_is_exactly_one_over_one_minus_occupancy():
    """Constant release R0, k_diff = 0: R0 = Vmax C / (Km/(1-occ) + C) gives
    C = R0 Km / ((1 - occ)(Vmax - R0)), hence C/C0 = 1/(1 - occ) exactly (and for C << Km
    the textbook C ~ R0 Km_app / Vmax)."""
    p = SynapseParams(feedback=False, k_diff_per_s=0.0)
    r0, vmax, km = p.r0_M_per_s, p.vmax_M_per_s, p.km_M
    for occ in OCCUPANCIES:
        analytic = r0 * (km / (1 - occ)) / (vmax - r0)
        assert steady_state(p, occ) == pytest.approx(analytic, rel=1e-9)
    np.testing.assert_allclose(
        fold_change_vs_occupancy(p, OCCUPANCIES), 1 / (1 - OCCUPANCIES), rtol=1e-6, atol=0
    )
    # C << Km: the linear approximation is within C/Km of the exact value
    c0 = steady_state(p, 0.0)
    assert c0 == pytest.approx(p.basal_M, rel=1e-12)
    assert c0 == pytest.approx(r0 * km / vmax, rel=2 * c0 / km)


def test_no_feedback_with_diffusion_matches_quadratic_root():
    """R0 = Vmax C/(K + C) + k C  ->  k C^2 + (Vmax + k K - R0) C - R0 K = 0."""
    p = SynapseParams(feedback=False, k_diff_per_s=0.02)
    r0, vmax, k = p.r0_M_per_s, p.vmax_M_per_s, p.k_diff_per_s
    for occ in OCCUPANCIES:
        kapp = p.km_M / (1 - occ)
        b = vmax + k * kapp - r0
        root = (-b + math.sqrt(b * b + 4 * k * r0 * kapp)) / (2 * k)
        assert steady_state(p, occ) == pytest.approx(root, rel=1e-9)
    # full block: only diffusion clears NE
    assert steady_state(p, 1.0) == pytest.approx(r0 / k, rel=1e-9)


@pytest.mark.parametrize("feedback", [False, True])
@pytest.mark.parametrize("occ", [0.0, 0.5, 0.9, 0.97])
def test_ode_reaches_steady_state(feedback, occ):
    p = SynapseParams(feedback=feedback)
    t = np.linspace(0.0, 20000.0, 201)
    c = simulate_synapse(p, t, occupancy=occ)
    assert c[0] == pytest.approx(p.basal_M)
    assert c[-1] == pytest.approx(steady_state(p, occ), rel=1e-6)
    # starting above the steady state it comes down to the same level
    c_hi = simulate_synapse(p, t, occupancy=occ, c0_M=10 * steady_state(p, occ))
    assert c_hi[-1] == pytest.approx(steady_state(p, occ), rel=1e-6)


def test_default_feedback_matches_in_vivo_range():
    """pharmacology.md: acute NE rises in vivo are 2-4x (reboxetine +242 %, atomoxetine ~3x)."""
    p = SynapseParams()
    fold_90 = float(fold_change_vs_occupancy(p, [0.9])[0])
    assert 2.0 < fold_90 < 4.0
    assert fold_change_vs_occupancy(p, [0.0])[0] == pytest.approx(1.0, rel=1e-12)
    # without feedback the same synapse follows ~1/(1 - occ) (NET dominates clearance)
    no_fb = fold_change_vs_occupancy(replace(p, feedback=False), OCCUPANCIES[:-2])
    np.testing.assert_allclose(no_fb, 1 / (1 - OCCUPANCIES[:-2]), rtol=0.1)
    # alpha2 blockade (no feedback) at high occupancy gives the 10-16x-like rise
    assert fold_change_vs_occupancy(replace(p, feedback=False), [0.93])[0] > 10


@settings(max_examples=40, deadline=None)
@given(
    ec50=st.floats(0.05e-9, 20e-9),
    hill=st.floats(0.5, 4.0),
    k_diff=st.floats(0.0, 0.05),
    basal=st.floats(0.1e-9, 5e-9),
)
def test_fold_change_monotone_and_feedback_dampens(ec50, hill, k_diff, basal):
    p = SynapseParams(ec50_M=ec50, hill_n=hill, k_diff_per_s=k_diff, basal_M=basal)
    with_fb = fold_change_vs_occupancy(p, OCCUPANCIES)
    without = fold_change_vs_occupancy(replace(p, feedback=False), OCCUPANCIES)
    assert np.all(np.diff(with_fb) > 0)
    assert np.all(np.diff(without) > 0)
    assert np.all(with_fb <= without * (1 + 1e-9))
    assert np.all(without <= 1 / (1 - OCCUPANCIES) * (1 + 1e-9))


@given(
    vmax1=st.floats(1e-9, 1e-6),
    vmax2=st.floats(1e-9, 1e-6),
)
@settings(max_examples=30, deadline=None)
def test_more_uptake_capacity_needs_more_release(vmax1, vmax2):
    """R0 is set by the basal level: more uptake capacity needs more release."""
    lo, hi = sorted((vmax1, vmax2))
    assert SynapseParams(vmax_M_per_s=lo).r0_M_per_s <= SynapseParams(vmax_M_per_s=hi).r0_M_per_s
    assert steady_state(SynapseParams(vmax_M_per_s=lo), 0.0) == pytest.approx(0.5e-9, rel=1e-9)


def test_steady_state_errors():
    p = SynapseParams(k_diff_per_s=0.0)
    with pytest.raises(ModelError, match="no finite steady state"):
        steady_state(p, 1.0)
    with pytest.raises(ValueError, match="occupancy"):
        steady_state(p, 1.5)
    with pytest.raises(ModelError, match="km_M"):
        SynapseParams(km_M=0.0)
    with pytest.raises(ModelError, match="k_diff_per_s"):
        SynapseParams(k_diff_per_s=-1.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        simulate_synapse(SynapseParams(), [0.0, 0.0, 1.0])


# --------------------------------------------------------------------------- PK


def bateman(t, pk: PKParams):
    """Closed-form one-compartment, first-order absorption plasma conc. (g/L)."""
    d = pk.dose_g_per_kg / pk.v_L_per_kg
    ka, ke = pk.ka_per_s, pk.ke_per_s
    return d * ka / (ka - ke) * (np.exp(-ke * t) - np.exp(-ka * t))


PK_CASES = [
    PKParams(),
    PKParams(dose_g_per_kg=10e-3, ka_per_s=1 / 300, ke_per_s=1 / 20000, v_L_per_kg=15.0),
    PKParams(ka_per_s=2e-4, ke_per_s=1e-4, mw_g_per_mol=314.9),
]


@pytest.mark.parametrize("pk", PK_CASES)
def test_pk_matches_bateman_cmax_tmax(pk):
    t = np.arange(0.0, 6 * 3600.0 + 1, 1.0)
    res = simulate_microdialysis(SynapseParams(), pk, NET_KI, t)
    ka, ke = pk.ka_per_s, pk.ke_per_s
    tmax = math.log(ka / ke) / (ka - ke)
    cmax = pk.dose_g_per_kg / pk.v_L_per_kg * (ka / ke) ** (-ke / (ka - ke))  # g/L
    s = res.digest()
    assert abs(s["tmax_plasma_s"] - tmax) <= 1.0  # 1-s grid
    assert s["cmax_plasma_total_M"] * pk.mw_g_per_mol == pytest.approx(cmax, rel=1e-6)
    np.testing.assert_allclose(
        res.plasma_total_M * pk.mw_g_per_mol, bateman(t, pk), rtol=1e-6, atol=cmax * 1e-9
    )
    free = bateman(t, pk) / pk.mw_g_per_mol * pk.fu * pk.brain_plasma_ratio
    np.testing.assert_allclose(res.brain_free_M, free, rtol=1e-6, atol=1e-18)
    np.testing.assert_allclose(res.occupancy, free / (free + NET_KI), rtol=1e-6, atol=1e-12)


def test_microdialysis_prediction_defaults():
    res = simulate_microdialysis(SynapseParams(), PKParams(), NET_KI)
    assert isinstance(res, MicrodialysisPrediction)
    pre = res.time_s < 0
    assert pre.any() and res.time_s[0] == -3600.0
    np.testing.assert_allclose(res.ne_pct_baseline[pre], 100.0)
    np.testing.assert_allclose(res.occupancy[pre], 0.0)
    s = res.digest()
    json.dumps(s)
    # NE tracks the occupancy (NE kinetics are seconds, PK hours): at the peak it sits
    # close to the steady state of the occupancy reached
    i = int(np.argmax(res.ne_pct_baseline))
    quasi = fold_change_vs_occupancy(SynapseParams(), [res.occupancy[i]])[0]
    assert res.ne_pct_baseline[i] == pytest.approx(100 * quasi, rel=0.02)
    # the illustrative defaults land in the measured 2-4x range
    assert 200 < s["ne_peak_pct_baseline"] < 400
    frame = res.to_frame()
    assert list(frame.columns) == [
        "time_s", "plasma_total_M", "plasma_total_ng_per_mL", "brain_free_M", "occupancy",
        "ne_M", "ne_nM", "ne_pct_baseline",
    ]  # fmt: skip
    np.testing.assert_allclose(frame["ne_nM"], frame["ne_M"] * 1e9)
    with pytest.raises(ValueError):
        res.ne_M[0] = 1.0  # read-only


def test_microdialysis_monotone_in_dose_and_zero_dose_flat():
    t = np.arange(0.0, 4 * 3600.0, 120.0)
    peaks = [
        simulate_microdialysis(SynapseParams(), PKParams(dose_g_per_kg=d), NET_KI, t).digest()[
            "ne_peak_pct_baseline"
        ]
        for d in (0.0, 0.3e-3, 1e-3, 3e-3)
    ]
    assert peaks[0] == pytest.approx(100.0, rel=1e-9)
    assert np.all(np.diff(peaks) > 0)
    # weaker inhibitor, smaller rise
    weak = simulate_microdialysis(SynapseParams(), PKParams(), 38e-9, t).digest()
    assert weak["ne_peak_pct_baseline"] < peaks[2]


def test_dialysate_samples_average_the_time_course():
    res = simulate_microdialysis(SynapseParams(), PKParams(), NET_KI)
    samples = dialysate_samples(res, 1200.0)
    assert list(samples.columns) == [
        "sample_start_s", "sample_end_s", "ne_M", "ne_pct_baseline", "occupancy"
    ]  # fmt: skip
    assert samples["sample_start_s"].iloc[0] == -3600.0
    np.testing.assert_allclose(samples.loc[samples["sample_end_s"] <= 0, "ne_pct_baseline"], 100)
    first = samples.loc[samples["sample_start_s"] == 0.0].iloc[0]
    window = (res.time_s >= 0) & (res.time_s <= 1200)
    direct = np.trapezoid(res.ne_pct_baseline[window], res.time_s[window]) / 1200.0
    assert first["ne_pct_baseline"] == pytest.approx(direct, rel=1e-9)


def test_pk_param_validation():
    with pytest.raises(ModelError, match="fu"):
        PKParams(fu=1.5)
    with pytest.raises(ModelError, match="ka_per_s"):
        PKParams(ka_per_s=0.0)
    with pytest.raises(ValueError, match="ki_M"):
        simulate_microdialysis(SynapseParams(), PKParams(), 0.0)


# --------------------------------------------------------------------------- figures


def test_plots_return_axes():
    res = simulate_microdialysis(SynapseParams(), PKParams(), NET_KI)
    ax = plot_prediction(res)
    assert "min" in ax.get_xlabel() and "baseline" in ax.get_ylabel()
    _, given_ax = plt.subplots()
    assert plot_fold_change(ax=given_ax) is given_ax
    ax = plot_pathway()
    texts = " ".join(t.get_text() for t in ax.texts)
    for word in ("NET blockade", "alpha2", "alpha1", "beta", "Gq", "Gs", "cAMP", "PKA", "CREB",
                 "IP3", "Ca2+", "feedback"):  # fmt: skip
        assert word in texts
