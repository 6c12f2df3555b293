"""ROUT's test uses the degrees of freedom of its robust scale (RSDR), not N - K.

RSDR (the 68.27th percentile of |residual|) is a less precise scale estimate
than an SD: about 0.54 (N - K) degrees of freedom. Testing the residuals
against t(N - K), as before, removed a well from 2.3 % of clean 39-point
curves with Gaussian scatter at Q = 1 % (and from 3-5 % of clean count
curves), above the 2 x Q a false-discovery rate of Q allows.
"""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.fitting import FOUR_PL
from pdstudy.fitting.robust import RSDR_DF_FRACTION, rout_mask

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
