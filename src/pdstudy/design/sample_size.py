"""The sample-size justification of a design: power of the planned analysis, by simulation.

:func:`justify_sample_size` finds (or takes) the animals per group, then
simulates the study ``n_sim`` times and analyses each simulated study with
pdstudy's own group comparison (:func:`pdstudy.stats.power.power_by_analysis`),
reporting each treated group's power with its Monte Carlo error, the effect
and SD assumed and their source, and, for two groups, the closed form
(statsmodels' ``TTestIndPower``) beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pdstudy.errors import UsageError
from pdstudy.stats.power import (
    Mapper,
    SimulatedPower,
    mc_error,
    power_by_analysis,
    sample_size,
    simulate_power,
    t_test_power,
)

__all__ = ["JUSTIFICATION_COLUMNS", "SampleSizeJustification", "justify_sample_size"]

#: columns of :meth:`SampleSizeJustification.table`
JUSTIFICATION_COLUMNS = (
    "group",
    "control",
    "expected_mean",
    "difference",
    "sd",
    "effect_size_d",
    "n_per_group",
    "power",
    "mc_error",
    "closed_form_power",
)

_TEST_NAMES = {
    "anova": "one-way ANOVA with Dunnett's test against the control",
    "welch": "Welch's ANOVA with Games-Howell against the control",
    "kruskal": "Kruskal-Wallis with Dunn's test (Holm) against the control",
    "auto": "the group comparison chosen by the assumption checks (ANOVA + Dunnett, Welch + "
    "Games-Howell or Kruskal-Wallis + Dunn)",
}


@dataclass(frozen=True)
class SampleSizeJustification:
    """Why the design has the animals per group it has.

    Attributes
    ----------
    groups
        Group labels, the control first.
    outcome
        The primary outcome the power is for (``"fst[1] immobility_s"``).
    simulated
        The power of the planned analysis by simulation.
    target_power
        The power aimed at (``None`` when the n was given).
    source
        Where the effect and SD come from.
    closed_form
        Power of the two-sample t test (two groups only), else ``None``.
    """

    groups: tuple[str, ...]
    outcome: str
    simulated: SimulatedPower
    target_power: float | None
    source: str
    closed_form: float | None

    def table(self) -> pd.DataFrame:
        """One row per treated group (:data:`JUSTIFICATION_COLUMNS`)."""
        s = self.simulated
        rows = []
        for i, g in enumerate(self.groups[1:]):
            diff = s.means[i + 1] - s.means[0]
            rows.append(
                (
                    g,
                    self.groups[0],
                    s.means[i + 1],
                    diff,
                    s.sd,
                    diff / s.sd,
                    s.n_per_group,
                    s.power[i],
                    s.mc_error[i],
                    self.closed_form if self.closed_form is not None else float("nan"),
                )
            )
        return pd.DataFrame(rows, columns=list(JUSTIFICATION_COLUMNS))

    def text(self) -> str:
        """The justification as a sentence for the methods and the ARRIVE checklist."""
        s = self.simulated
        powers = ", ".join(
            f"{g} {100 * p:.1f} % (Monte Carlo SE {100 * e:.1f} %)"
            for g, p, e in zip(self.groups[1:], s.power, s.mc_error, strict=True)
        )
        diffs = ", ".join(f"{m - s.means[0]:+g}" for m in s.means[1:])
        aim = (
            f"the smallest number reaching a power of {100 * self.target_power:g} % for every "
            "treated group"
            if self.target_power is not None
            else "as planned"
        )
        closed = (
            f" The closed form for two groups (two-sample t test, statsmodels TTestIndPower) "
            f"gives {100 * self.closed_form:.1f} %."
            if self.closed_form is not None
            else ""
        )
        source = f" (source: {self.source})" if self.source else " (source not stated)"
        return (
            f"{s.n_per_group} animals per group ({aim}). Power for {self.outcome} was estimated "
            f"by simulating {s.n_sim} studies with normal outcomes (expected differences from "
            f"{self.groups[0]} {diffs}, SD {s.sd:g}{source}) and analysing each with "
            f"{_TEST_NAMES.get(s.method, s.method)} at alpha {s.alpha:g}, as the study will be "
            f"analysed: {powers}.{closed}"
        )


def justify_sample_size(
    groups: Sequence[str],
    means: Sequence[float],
    sd: float,
    *,
    outcome: str,
    n_per_group: int | None = None,
    target_power: float | None = None,
    method: str = "anova",
    alpha: float = 0.05,
    n_sim: int = 2000,
    seed: int = 0,
    source: str = "",
    mapper: Mapper | None = None,
    fast: bool = False,
) -> SampleSizeJustification:
    """The power of the planned analysis at ``n_per_group``, or at the n reaching ``target_power``.

    With ``target_power`` the n is searched with the vectorised simulation of
    the test (:func:`pdstudy.stats.power.sample_size`), then its power is
    simulated through the analysis itself; ``mapper`` spreads those
    simulations (default: this process). ``fast`` simulates with the
    vectorised replica of the test instead (:func:`pdstudy.stats.power.simulate_power`:
    the t test or Dunnett's test, the ANOVA plan exactly), in a fraction of a second.
    """
    if len(groups) != len(means):
        raise UsageError(f"{len(groups)} groups but {len(means)} expected means")
    if (n_per_group is None) == (target_power is None):
        raise UsageError("give n_per_group or target_power")
    n = n_per_group
    if n is None:
        assert target_power is not None
        n = sample_size(
            means, sd, power=target_power, alpha=alpha, n_sim=n_sim, seed=seed
        ).n_per_group
    if fast:
        quick = simulate_power(means, sd, n, alpha=alpha, n_sim=n_sim, seed=seed)
        sim = SimulatedPower(
            n_per_group=n,
            n_sim=n_sim,
            alpha=alpha,
            method="anova",
            means=tuple(float(m) for m in means),
            sd=float(sd),
            power=quick.power,
            mc_error=tuple(mc_error(p, n_sim) for p in quick.power),
            power_any=quick.power_any,
            mc_error_any=mc_error(quick.power_any, n_sim),
        )
    else:
        sim = power_by_analysis(
            means, sd, n, method=method, alpha=alpha, n_sim=n_sim, seed=seed, mapper=mapper
        )
    closed = t_test_power((means[1] - means[0]) / sd, n, alpha) if len(means) == 2 else None
    return SampleSizeJustification(
        groups=tuple(groups),
        outcome=outcome,
        simulated=sim,
        target_power=target_power,
        source=source,
        closed_form=closed,
    )
