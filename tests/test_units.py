"""Quantity strings parsed at the boundary."""

from __future__ import annotations

import pytest

from pdstudy.errors import UnitError
from pdstudy.units import format_conc, parse_conc, parse_quantity


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("10 nM", "concentration", 1e-8),
        ("10 µM", "concentration", 1e-5),
        ("10 μM", "concentration", 1e-5),
        ("10uM", "concentration", 1e-5),
        ("0.5 nM", "concentration", 5e-10),
        ("1 M", "concentration", 1.0),
        ("3 pM", "concentration", 3e-12),
        ("20 min", "time", 1200.0),
        ("2 h", "time", 7200.0),
        ("90 s", "time", 90.0),
        ("200 uL", "volume", 2e-4),
        ("50 ug", "mass", 5e-5),
        ("200 ng/mL", "mass_concentration", 2e-4),
        ("1.5 uL/min", "flow", 1.5e-6 / 60),
        ("10 mg/kg", "dose", 1e-5),
        ("80 Ci/mmol", "specific_activity", 80.0),
        ("2 %", "fraction", 0.02),
        (0.02, "fraction", 0.02),
    ],
)
def test_parse_quantity(text, dimension, expected):
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "dimension", "message"),
    [
        ("10", "concentration", "has no unit"),
        (10, "concentration", "has no unit"),
        ("10 nN", "concentration", "unknown unit 'nN'"),
        ("ten nM", "concentration", "cannot read"),
        ("10 min", "concentration", "is a time, expected a concentration"),
    ],
)
def test_bad_quantities_say_what_is_wrong(text, dimension, message):
    with pytest.raises(UnitError, match=message):
        parse_quantity(text, dimension, where="binding[0].kd")


def test_error_names_the_key():
    with pytest.raises(UnitError, match=r"^binding\[0\]\.kd: "):
        parse_conc("0.8 nN", where="binding[0].kd")


def test_format_conc():
    assert format_conc(5e-10) == "0.5 nM"
    assert format_conc(1e-5) == "10 µM"
    assert format_conc(float("nan")) == "n/a"
