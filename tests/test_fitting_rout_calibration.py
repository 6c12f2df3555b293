"""ROUT's test: its scale, the degrees of freedom of that scale, and what it finds.

RSDR (the 68.27th percentile of |residual|) is a less precise scale estimate
than an SD: about 0.54 (N - K) degrees of freedom. Testing the residuals
against t(N - K), as before, removed a well from 2.3 % of clean 39-point
curves with Gaussian scatter at Q = 1 % (and from 3-5 % of clean count
curves), above the 2 x Q a false-discovery rate of Q allows. The test now
scales the residuals by their SD winsorized at 2.576 RSDR (0.97 (N - K)
degrees of freedom), which keeps clean curves near Q and finds wild wells,
one or several, in a curve.
"""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.fitting import FOUR_PL
from pdstudy.fitting.robust import (
    RSDR_DF_FRACTION,
    TEST_DF_FRACTION,
    rout_mask,
    winsorized_scale,
)

X = np.repeat(np.arange(-11, -4.99, 0.5), 3)  # 13 concentrations in triplicate
TRUTH = np.array([0.0, 100.0, -8.0, -1.0])


def _curves(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = FOUR_PL(np.broadcast_to(X, (n, X.size)), np.tile(TRUTH, (n, 1)))
    return mean + rng.normal(0.0, 5.0, (n, X.size))


def test_rsdr_degrees_of_freedom_follow_from_the_percentile():
    # relative variance of the 68.27th percentile of |Z|: p (1 - p) / (n f^2), f = 2 phi(1);
    # an SD with nu degrees of freedom: 1 / (2 nu)
    rng = np.random.default_rng(3)
    n = 200
    z = np.abs(rng.standard_normal((8000, n)))
    rel_var = np.var(np.percentile(z, 68.27, axis=1)) * n
    assert 1.0 / (2.0 * RSDR_DF_FRACTION) == pytest.approx(rel_var, rel=0.06)


def test_clean_gaussian_curves_lose_a_well_in_about_q_of_the_cases():
    y = _curves(4000, seed=11)
    mask, _ = rout_mask(FOUR_PL, X, y, q=0.01)
    share = mask.any(axis=1).mean()
    print(f"ROUT Q = 1 %: {share:.4f} of 4,000 clean curves lose a well")
    assert share <= 0.015, share


def test_a_wild_well_is_still_found():
    y = _curves(500, seed=12)
    y[:, 19] += 40.0  # 8 SD at the midpoint
    mask, _ = rout_mask(FOUR_PL, X, y, q=0.01)
    assert mask[:, 19].mean() >= 0.98


def test_the_test_scale_has_the_degrees_of_freedom_it_is_tested_with():
    # relative variance of an SD with nu degrees of freedom: 1 / (2 nu)
    rng = np.random.default_rng(4)
    n = 200
    z = rng.standard_normal((8000, n))
    s = winsorized_scale(z, np.ones_like(z, dtype=bool), 0)
    assert np.mean(s) == pytest.approx(1.0, abs=0.01)  # consistent for Gaussian residuals
    rel_var = np.var(s) / np.mean(s) ** 2 * n
    assert 1.0 / (2.0 * TEST_DF_FRACTION) == pytest.approx(rel_var, rel=0.06)


def test_several_wild_wells_do_not_hide_one_another():
    y = _curves(500, seed=13)
    wild = [4, 19, 33]  # top plateau, midpoint, bottom plateau
    y[:, wild] += 40.0  # 8 SD each
    mask, _ = rout_mask(FOUR_PL, X, y, q=0.01)
    assert mask[:, wild].all(axis=1).mean() >= 0.95
    assert mask[:, wild].mean() >= 0.98
