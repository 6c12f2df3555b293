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


# --- datasheet units, mistakes a lab makes, and hints that keep the magnitude ------------------


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("3.7 GBq/mmol", "specific_activity", 0.1),  # 1 Ci = 37 GBq
        ("1 TBq/mmol", "specific_activity", 1e12 / 3.7e10),
        ("37 MBq/umol", "specific_activity", 1.0),
        ("1.85 TBq/mmol", "specific_activity", 50.0),
        ("1 d", "time", 86400.0),
        ("2 days", "time", 172800.0),
        ("10 micromolar", "concentration", 1e-5),
        ("10 microM", "concentration", 1e-5),
        ("5 nanomolar", "concentration", 5e-9),
    ],
)
def test_datasheet_units_and_spelled_out_units(text, dimension, expected):
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10 um", r"did you mean '10 uM'\?"),
        ("10 UM", r"did you mean '10 uM'\?"),
        ("10 nm", r"did you mean '10 nM'\?"),
        ("10 nmol", r"'10 nmol' is an amount, not a concentration"),
        ("1,5 nM", r"decimal comma; write a decimal point: '1.5 nM'"),
        ("10 MM", r"unknown unit 'MM'"),  # never megamolar
        ("10 MBq", r"unknown unit"),
    ],
)
def test_concentration_mistakes_get_a_pointed_message(text, message):
    with pytest.raises(UnitError, match=message):
        parse_conc(text)


@pytest.mark.parametrize(
    ("raw", "dimension"),
    [
        (1e-5, "concentration"),
        ("1e-5", "concentration"),
        (3e-10, "concentration"),
        ("30", "time"),
        (2e-4, "volume"),
        ("80", "specific_activity"),
    ],
)
def test_no_unit_hint_never_changes_the_magnitude(raw, dimension):
    import re

    with pytest.raises(UnitError, match="has no unit") as info:
        parse_quantity(raw, dimension)
    suggestion = re.search(r"write '([^']+)'", str(info.value)).group(1)
    # following the hint gives the number as pdstudy would have read it in its base unit
    assert parse_quantity(suggestion, dimension) == pytest.approx(float(raw), rel=1e-12)


def test_no_unit_hint_for_1e5_shows_the_molar_reading():
    with pytest.raises(UnitError) as info:
        parse_conc("1e-5")
    assert "(= 10 µM)" in str(info.value) and "nM" not in str(info.value)


def test_implausible_values_of_a_radioligand_assay():
    from pdstudy.units import implausible

    assert implausible("radioligand_conc", 1e-9) is None
    assert "10 mM" in implausible("radioligand_conc", 1e-2)
    assert implausible("kd", 0.8e-9) is None
    assert "Kd" in implausible("kd", 5e-6)
    assert "2 mL" in implausible("volume", 2e-3)
    assert implausible("volume", 2e-4) is None
    assert implausible("specific_activity", 80.0) is None
    assert "5000 Ci/mmol" in implausible("specific_activity", 5000.0)
    assert implausible("specific_activity", 0.5) is not None
    assert implausible("other_key", 1e9) is None
