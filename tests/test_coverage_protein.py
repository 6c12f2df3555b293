"""Protein concentration intervals cover the truth at low, mid and high concentrations.

Simulated BCA plates (the simulator's curved response, 4 % proportional noise
plus 0.0005 AU reader noise) with samples at 100, 700 and 1800 µg/mL, each
plate analysed with ``weights="auto"`` (the study file's default). Two causes
made the intervals too narrow (0.920, 0.937, 0.907 on 300 plates):

- the weighting was chosen by the back-calculated standards' sum of |relative
  error|, which picked the unweighted fit on 17 % of these plates although the
  noise is proportional (their intervals cover 0.75 at 1800 µg/mL); it is now
  the variance model with the larger likelihood of the standards' residuals;
- the 4PL won the AICc comparison on ~7 % of the plates, by chance (the truth
  is quadratic), and then fitted its standards too well to size its own
  intervals (coverage ~0.7 on those plates); the samples are now read off both
  candidate curves, model-averaged with their Akaike weights.

Measured, 1,000 plates each (100 / 700 / 1800 µg/mL): seed 20261205 0.952,
0.939, 0.942; seed 8 0.948, 0.950, 0.933. The high level is the closest to the
bound: on ~3.5 % of plates the likelihood still prefers the unweighted fit,
whose intervals cover ~0.75 there. The interval arithmetic itself is checked
against statsmodels in tests/test_assays_protein_interval.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.assays.protein import analyze_protein
from pdstudy.simulate import simulate_protein_plate, without_truth

LEVELS = {"low": 100.0, "mid": 700.0, "high": 1800.0}
N = 1000
SEEDS = (20261205,)  # seed 8 (above) is the check on fresh draws; one set keeps CI short

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def coverage(request):
    rng = np.random.default_rng(request.param)
    hits: dict[str, list[bool]] = {k: [] for k in LEVELS}
    for _ in range(N):
        plate = simulate_protein_plate(
            samples_ug_per_mL=LEVELS, cv=0.04, sd_absorbance=0.0005, rng=rng
        )
        res = analyze_protein(without_truth(plate), weights="auto")
        for _, row in res.samples.iterrows():
            truth = LEVELS[row["sample"]] / 1e3
            hits[row["sample"]].append(
                bool(row["ci_low_mg_per_mL"] <= truth <= row["ci_high_mg_per_mL"])
            )
    return request.param, {k: float(np.mean(v)) for k, v in hits.items()}


@pytest.mark.parametrize("level", list(LEVELS))
def test_protein_interval_covers_93_to_97_percent(coverage, level):
    seed, cov = coverage
    print(
        f"protein CI coverage at {LEVELS[level]:g} µg/mL ({level}), seed {seed}: "
        f"{cov[level]:.3f} ({N} plates)"
    )
    assert 0.93 <= cov[level] <= 0.97, cov
