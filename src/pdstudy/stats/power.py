"""Power and sample size of a one-way design against a control, by simulation.

:func:`simulate_power` draws normal groups with the expected means and SD,
runs the same test pdstudy reports (Dunnett against the control, or a
two-sample t test for two groups) and counts rejections; :func:`t_test_power`
is the closed form of the two-group case (statsmodels), which the simulation
reproduces. :func:`sample_size` finds the smallest n per group reaching a
target power.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from pdstudy.errors import UsageError

__all__ = ["PowerResult", "sample_size", "simulate_power", "t_test_power"]


@dataclass(frozen=True)
class PowerResult:
    """Power of each treated group (rejection rate against the control) and of any."""

    n_per_group: int
    power: tuple[float, ...]
    power_any: float
    n_sim: int
    test: str


def t_test_power(effect_size: float, n_per_group: int, alpha: float = 0.05) -> float:
    """Closed-form power of a two-sided two-sample t test (statsmodels TTestIndPower)."""
    from statsmodels.stats.power import TTestIndPower

    return float(
        TTestIndPower().power(effect_size=abs(effect_size), nobs1=n_per_group, alpha=alpha, ratio=1)
    )


def simulate_power(
    means: Sequence[float],
    sd: float,
    n_per_group: int,
    *,
    alpha: float = 0.05,
    n_sim: int = 2000,
    seed: int | np.random.Generator = 0,
) -> PowerResult:
    """Power by simulation; ``means[0]`` is the control group.

    Two groups: two-sample t test; more: Dunnett's test against the control
    (vectorised: the Dunnett critical value is computed once for the design).
    """
    m = np.asarray(means, float)
    if m.size < 2:
        raise UsageError("give the control mean and at least one treated mean")
    if not sd > 0:
        raise UsageError(f"sd must be > 0, got {sd}")
    if n_per_group < 2:
        raise UsageError(f"n per group must be >= 2, got {n_per_group}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    k, n = m.size, n_per_group
    y = rng.normal(m[None, :, None], sd, size=(n_sim, k, n))
    means_hat = y.mean(axis=2)
    s2 = y.var(axis=2, ddof=1).mean(axis=1)  # pooled over groups (equal n)
    df = k * (n - 1)
    t = (means_hat[:, 1:] - means_hat[:, :1]) / np.sqrt(s2[:, None] * 2 / n)
    if k == 2:
        crit = stats.t.ppf(1 - alpha / 2, 2 * (n - 1))
        # the t test of two groups pools their variances only
        s2_2 = y.var(axis=2, ddof=1).mean(axis=1)
        t = (means_hat[:, 1:] - means_hat[:, :1]) / np.sqrt(s2_2[:, None] * 2 / n)
        test = "two-sample t test"
    else:
        crit = _dunnett_critical(k - 1, df, alpha, rng)
        test = "Dunnett"
    rej = np.abs(t) > crit
    return PowerResult(
        n, tuple(rej.mean(axis=0).tolist()), float(rej.any(axis=1).mean()), n_sim, test
    )


def _dunnett_critical(n_treated: int, df: int, alpha: float, rng: np.random.Generator) -> float:
    """Two-sided Dunnett critical value for equal n (equicorrelated t, rho = 1/2)."""
    corr = np.full((n_treated, n_treated), 0.5)
    np.fill_diagonal(corr, 1.0)
    mvt = stats.multivariate_t(shape=corr, df=df, seed=rng)

    def miss(c: float) -> float:
        lo, hi = np.full(n_treated, -c), np.full(n_treated, c)
        return 1 - float(mvt.cdf(hi, lower_limit=lo)) - alpha

    from scipy.optimize import brentq

    return float(brentq(miss, 1.0, 10.0, xtol=1e-4))


def sample_size(
    means: Sequence[float],
    sd: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    n_max: int = 60,
    n_sim: int = 2000,
    seed: int = 0,
) -> PowerResult:
    """The smallest n per group whose simulated power for every treated group reaches ``power``."""
    if not 0 < power < 1:
        raise UsageError(f"power must be in (0, 1), got {power}")
    last = None
    for n in range(2, n_max + 1):
        last = simulate_power(means, sd, n, alpha=alpha, n_sim=n_sim, seed=seed)
        if min(last.power) >= power:
            return last
    raise UsageError(f"power {power:g} is not reached with {n_max} animals per group")
