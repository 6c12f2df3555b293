"""Power and sample size of a one-way design against a control, by simulation.

:func:`simulate_power` draws normal groups with the expected means and SD,
runs the same test pdstudy reports (Dunnett against the control, or a
two-sample t test for two groups) and counts rejections; :func:`t_test_power`
is the closed form of the two-group case (statsmodels), which the simulation
reproduces. :func:`sample_size` finds the smallest n per group reaching a
target power.
:func:`power_by_analysis` simulates studies and analyses each with pdstudy's
own group comparison (:func:`pdstudy.stats.groups.compare_to_control`), with
the Monte Carlo error of the rate; its batches go through a ``mapper`` so a
cluster can run them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from pdstudy.errors import UsageError

__all__ = [
    "ANALYSIS_METHODS",
    "PowerResult",
    "SimulatedPower",
    "mc_error",
    "power_by_analysis",
    "sample_size",
    "simulate_power",
    "t_test_power",
]


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


#: the planned tests that :func:`power_by_analysis` runs (:func:`pdstudy.stats.groups.compare_to_control`)
ANALYSIS_METHODS = ("anova", "welch", "kruskal", "auto")

#: ``mapper(function, iterable) -> iterable``: the builtin ``map`` (local), an
#: executor's ``map``, or a cluster's
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


@dataclass(frozen=True)
class SimulatedPower:
    """Power of the planned analysis, by simulating studies and analysing each.

    Attributes
    ----------
    n_per_group, n_sim, alpha, method
        The design simulated and the analysis run (``compare_to_control``'s method).
    means, sd
        The expected group means (control first) and SD.
    power, mc_error
        Rejection rate of each treated group against the control, and its
        Monte Carlo standard error ``sqrt(p (1 - p) / n_sim)``.
    power_any, mc_error_any
        Rate at which any treated group is significant.
    failed
        Simulated studies the analysis could not analyse (counted as not rejected).
    """

    n_per_group: int
    n_sim: int
    alpha: float
    method: str
    means: tuple[float, ...]
    sd: float
    power: tuple[float, ...]
    mc_error: tuple[float, ...]
    power_any: float
    mc_error_any: float
    failed: int = 0


def mc_error(p: float, n_sim: int) -> float:
    """Monte Carlo standard error of a simulated rate ``p`` over ``n_sim`` runs."""
    return float(np.sqrt(max(p * (1 - p), 0.0) / n_sim))


def _analyse_chunk(
    job: tuple[tuple[float, ...], float, int, str, float, np.random.SeedSequence, int],
) -> tuple[np.ndarray, int]:
    """Simulate ``count`` studies and analyse each: (rejections (count, k - 1), failures)."""
    import pandas as pd

    from pdstudy.stats.groups import compare_to_control

    means, sd, n, method, alpha, seq, count = job
    rng = np.random.default_rng(seq)
    k = len(means)
    labels = np.repeat([f"g{i}" for i in range(k)], n)
    rej = np.zeros((count, k - 1), dtype=bool)
    failed = 0
    for s in range(count):
        y = rng.normal(np.repeat(means, n), sd)
        data = pd.DataFrame({"group": labels, "y": y})
        try:
            comp = compare_to_control(data, dv="y", control="g0", method=method, alpha=alpha)
        except (UsageError, ValueError):
            failed += 1
            continue
        p = comp.contrasts.set_index("group")["p_value"]
        rej[s] = [bool(p.get(f"g{i}", 1.0) < alpha) for i in range(1, k)]
    return rej, failed


def power_by_analysis(
    means: Sequence[float],
    sd: float,
    n_per_group: int,
    *,
    method: str = "anova",
    alpha: float = 0.05,
    n_sim: int = 2000,
    seed: int = 0,
    mapper: Mapper | None = None,
    chunks: int = 8,
) -> SimulatedPower:
    """Power of pdstudy's own group analysis, by simulation; ``means[0]`` is the control.

    Each simulated study draws ``n_per_group`` normal values per group and is
    analysed by :func:`pdstudy.stats.groups.compare_to_control` with ``method``
    (what an ``[[fst]]`` section or a microdialysis AUC comparison runs), so
    the power is that of the analysis as it will be done.

    Parameters
    ----------
    mapper
        ``mapper(function, jobs)``: how the ``chunks`` batches of simulations
        run. Default the builtin ``map`` (this process); an executor's ``map``
        or a cluster's spreads them. The result does not depend on it: each
        batch has its own seed (``SeedSequence(seed).spawn``).
    """
    if method not in ANALYSIS_METHODS:
        raise UsageError(f"method must be one of {', '.join(ANALYSIS_METHODS)}, got {method!r}")
    m = tuple(float(x) for x in means)
    if len(m) < 2:
        raise UsageError("give the control mean and at least one treated mean")
    if not sd > 0:
        raise UsageError(f"sd must be > 0, got {sd}")
    if n_per_group < 2:
        raise UsageError(f"n per group must be >= 2, got {n_per_group}")
    if n_sim < 1:
        raise UsageError(f"n_sim must be >= 1, got {n_sim}")
    chunks = max(1, min(chunks, n_sim))
    sizes = [n_sim // chunks + (1 if i < n_sim % chunks else 0) for i in range(chunks)]
    seqs = np.random.SeedSequence(seed).spawn(chunks)
    jobs = [
        (m, float(sd), n_per_group, method, alpha, q, c) for q, c in zip(seqs, sizes, strict=True)
    ]
    parts = list((mapper or map)(_analyse_chunk, jobs))
    rej = np.concatenate([r for r, _ in parts], axis=0)
    failed = int(sum(f for _, f in parts))
    power = rej.mean(axis=0)
    any_ = float(rej.any(axis=1).mean())
    return SimulatedPower(
        n_per_group=n_per_group,
        n_sim=n_sim,
        alpha=alpha,
        method=method,
        means=m,
        sd=float(sd),
        power=tuple(float(p) for p in power),
        mc_error=tuple(mc_error(float(p), n_sim) for p in power),
        power_any=any_,
        mc_error_any=mc_error(any_, n_sim),
        failed=failed,
    )
