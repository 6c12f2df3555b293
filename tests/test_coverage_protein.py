"""Protein concentration intervals cover the truth at low, mid and high concentrations.

Simulated BCA plates (the simulator's curved response, 4 % proportional noise
plus 0.0005 AU reader noise) with samples at 100, 700 and 1800 µg/mL, each
plate analysed with ``weights="auto"`` (the weighting the standards' residuals
choose; relative weights by the absorbance read, blank included). Measured:
0.920 (100 µg/mL), 0.937 (700), 0.907 (1800); with relative weights on the
blank-subtracted absorbance 0.880, 0.987, 0.937. The low and high levels are
still open, marked with their numbers.
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


def _open(measured: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(
        strict=True,
        reason=f"open (issue 8): the calibration interval covers {measured} at this level on "
        "these 300 plates (target 0.93-0.97)",
    )


@pytest.mark.parametrize(
    "level",
    [
        pytest.param("low", marks=_open("0.920")),
        "mid",
        pytest.param("high", marks=_open("0.907")),
    ],
)
def test_protein_interval_covers_93_to_97_percent(coverage, level):
    print(
        f"protein CI coverage at {LEVELS[level]:g} µg/mL ({level}): {coverage[level]:.3f} ({N} plates)"
    )
    assert 0.93 <= coverage[level] <= 0.97, coverage
