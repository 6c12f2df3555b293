"""ROUT (opt-in) on clean simulated competition curves, for every weighting pdstudy offers.

Target: its share of clean curves with any well removed stays within 2 x Q
(Q = 1 %) for each weighting (the unweighted fit of counts is refused, with
the reason), and one well planted at 1.5x is still found in about 99 % of the
curves, on two independent sets of seeds.

Before (residuals scaled by RSDR and tested against t(0.54 (N - K))): 2.5 %
(counting time from the file), 2.5 % (1-minute count assumed) and 2.8 %
(relative) of the first 600 clean curves lost a well, and the same 2.8 % with
every well weighted by its exact simulated variance: the weights were not the
cause, the test's imprecise scale was (``pdstudy.fitting.robust``). Planted
well found in 0.980 (auto) and 0.967 (relative) of 300 curves. Now (the
test scaled by the residuals' SD winsorized at 2.576 RSDR, and the counts' CV
of each curve's weights from one winsorized moment step): 2.0 %, 2.0 %, 1.7 %
of the first 600 clean curves (at the limit for counting weights), 0.8 %,
0.8 %, 1.0 % of the second 600; planted well found in 0.990 and 0.987 (auto),
0.980 and 0.983 (relative). The tests print them (``-s``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdstudy.assays.binding import analyze_competition
from pdstudy.design import competition_layout
from pdstudy.errors import UsageError
from pdstudy.simulate import simulate_competition

KD, LIG = 0.8e-9, 1e-9
N = 600
Q = 0.01

pytestmark = pytest.mark.slow


def _plates(n: int, seed: int, planted: bool = False) -> tuple[pd.DataFrame, list[int]]:
    rng = np.random.default_rng(seed)
    layouts, truth = [], {}
    for e in range(n):
        log_ki = rng.uniform(-10, -7)
        concs = 10 ** np.arange(log_ki - 3, log_ki + 3 + 1e-9, 0.5)
        lay = competition_layout(concs, compound=f"c{e}", replicates=3)
        lay["plate"] = f"e{e}"
        layouts.append(lay)
        truth[f"c{e}"] = 10**log_ki
    frame = simulate_competition(
        pd.concat(layouts, ignore_index=True),
        ki_M=truth,
        kd_M=KD,
        radioligand_M=LIG,
        bmax_cpm=3000,
        nsb_fraction=0.2,
        rng=rng,
    )
    idx: list[int] = []
    if planted:  # one competition well per curve, mid curve, at 1.5x its count
        for _, g in frame[frame["role"] == "competition"].groupby("plate", sort=False):
            idx.append(int(g.index[len(g) // 2]))
        frame.loc[idx, ["signal", "cpm", "dpm"]] *= 1.5
    return frame, idx


WEIGHTINGS = {
    "counting time from the file": ("auto", False),
    "1-minute count assumed": ("auto", True),
    "relative (1/Y^2)": ("relative", False),
}
#: (clean curves, planted curves): the first set, and a second one never used to choose anything
SEEDS = {"first seeds": (20261203, 20261204), "second seeds": (31415, 27182)}


@pytest.mark.parametrize("seeds", list(SEEDS))
@pytest.mark.parametrize("name", list(WEIGHTINGS))
def test_clean_curves_lose_a_well_in_at_most_2q(name, seeds):
    weighting, drop_time = WEIGHTINGS[name]
    frame, _ = _plates(N, seed=SEEDS[seeds][0])
    if drop_time:
        frame = frame.drop(columns="count_time_s")
    res = analyze_competition(
        frame, radioligand_M=LIG, kd_M=KD, rout=True, q=Q, weighting=weighting
    )
    share = res.points.groupby("compound")["excluded"].any().mean()
    print(f"ROUT Q = 1 %, {name}, {seeds}: {share:.3f} of {N} clean curves lose a well")
    assert share <= 2 * Q, share


@pytest.mark.parametrize("seeds", list(SEEDS))
@pytest.mark.parametrize("weighting", ["auto", "relative"])
def test_a_planted_well_at_1_5x_is_found(weighting, seeds):
    frame, idx = _plates(300, seed=SEEDS[seeds][1], planted=True)
    res = analyze_competition(
        frame, radioligand_M=LIG, kd_M=KD, rout=True, q=Q, weighting=weighting
    )
    found = res.points.loc[idx, "excluded"].mean()
    print(f"ROUT Q = 1 %, {weighting}, {seeds}: planted 1.5x well found in {found:.3f} of 300")
    assert found >= 0.98, found


def test_unweighted_counts_are_refused():
    frame, _ = _plates(2, seed=1)
    with pytest.raises(UsageError, match="high-count wells for outliers"):
        analyze_competition(frame, radioligand_M=LIG, kd_M=KD, rout=True, weighting="none")
