"""Synthetic raw data from known parameters: ground truth for tests, examples and power.

Plate simulators return frames with ``plate``, ``well``, ``cpm``, ``dpm``,
``count_time_s``, ``signal`` (what ``pdstudy.io.write_plate`` writes) plus
``true_*`` columns; defaults and their literature sources are in
:mod:`pdstudy.simulate.defaults`.
"""

from pdstudy.simulate.defaults import (
    COMPETITION,
    COUNTING,
    PROTEIN,
    SATURATION,
    UPTAKE,
    CompetitionDefaults,
    CountingDefaults,
    ProteinDefaults,
    SaturationDefaults,
    UptakeDefaults,
)
from pdstudy.simulate.plates import (
    competition_specific,
    depleted_bound,
    simulate_competition,
    simulate_protein_plate,
    simulate_saturation,
    simulate_uptake,
    simulate_uptake_kinetics,
    without_truth,
)

__all__ = [
    "COMPETITION",
    "COUNTING",
    "PROTEIN",
    "SATURATION",
    "UPTAKE",
    "CompetitionDefaults",
    "CountingDefaults",
    "ProteinDefaults",
    "SaturationDefaults",
    "UptakeDefaults",
    "competition_specific",
    "depleted_bound",
    "simulate_competition",
    "simulate_protein_plate",
    "simulate_saturation",
    "simulate_uptake",
    "simulate_uptake_kinetics",
    "without_truth",
]
