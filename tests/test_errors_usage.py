"""Bad parameters of the functions a user calls are pdstudy UsageErrors (still ValueErrors)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdstudy.design.plates import (
    PLATE_GEOMETRIES,
    competition_layout,
    concentration_series,
    plate_shape,
)
from pdstudy.errors import PdStudyError, UsageError
from pdstudy.io import read_plate, write_plate
from pdstudy.io.wells import STANDARD_PLATES
from pdstudy.pharmacology import SynapseParams, simulate_synapse
from pdstudy.simulate import simulate_competition


def test_usage_error_is_a_value_error():
    assert issubclass(UsageError, ValueError) and issubclass(UsageError, PdStudyError)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plate_shape(100), "plate_format=100 is not a known plate"),
        (lambda: concentration_series(1e-9, n=1), "at least 2 concentrations"),
        (lambda: competition_layout([1e-9], compound="x", fill="diagonal"), "fill="),
        (
            lambda: simulate_competition(
                competition_layout([1e-9], compound="x"), seed=1, rng=np.random.default_rng(1)
            ),
            "either rng or seed",
        ),
        (lambda: simulate_synapse(SynapseParams(), [0.0, 0.0, 1.0]), "strictly increasing"),
        (lambda: read_plate("any.csv", format="nope"), "unknown plate format 'nope'"),
        (lambda: read_plate("any.csv", plate_size=100), "plate_size must be one of"),
        (
            lambda: write_plate(pd.DataFrame({"well": ["A1"], "signal": [1.0]}), "x", "csv"),
            "unknown plate write format 'csv'",
        ),
        (
            lambda: write_plate(pd.DataFrame({"well": ["Q99"], "signal": [1.0]}), "x", "long_csv"),
            "'Q99' is not a well name",
        ),
    ],
)
def test_bad_parameters_are_usage_errors(call, match):
    with pytest.raises(UsageError, match=match):
        call()


def test_design_geometries_come_from_the_one_geometry_module():
    assert PLATE_GEOMETRIES == {s: STANDARD_PLATES[s] for s in (6, 12, 24, 48, 96, 384)}
