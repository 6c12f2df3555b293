"""Protein concentration intervals cover the truth at low, mid and high concentrations.

Simulated BCA plates (the simulator's curved response, 4 % proportional noise
plus 0.0005 AU reader noise) with samples at 100, 700 and 1800 µg/mL, each
plate analysed with ``weights="auto"`` (the weighting the standards' residuals
choose). Before, with the unweighted curve, the upper standards' intervals
covered 0.885 under proportional noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.assays.protein import analyze_protein
from pdstudy.simulate import simulate_protein_plate, without_truth

LEVELS = {"low": 100.0, "mid": 700.0, "high": 1800.0}
N = 300

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coverage():
    rng = np.random.default_rng(20261205)
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
    return {k: float(np.mean(v)) for k, v in hits.items()}


@pytest.mark.parametrize("level", list(LEVELS))
def test_protein_interval_covers_93_to_97_percent(coverage, level):
    print(
        f"protein CI coverage at {LEVELS[level]:g} µg/mL ({level}): {coverage[level]:.3f} ({N} plates)"
    )
    assert 0.93 <= coverage[level] <= 0.97, coverage
