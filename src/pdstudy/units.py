"""Quantities with units, parsed at the boundary (study file, CLI, layouts).

Inside pdstudy concentrations are molar floats, times seconds, volumes litres,
masses grams. These helpers turn strings such as ``"10 nM"``, ``"2.5 µM"``,
``"200 ng/mL"``, ``"20 min"`` into those base units and say clearly what is
wrong when they cannot.

One parser serves the study file, the CLI and the layouts. It is pdstudy's
own rather than pint's: the units a pharmacology lab writes are a short list
(molar, litres, grams, curies and becquerels, seconds to days, rates), and what
matters is what the parser *refuses* and how it says so: ``10 um`` is a
micrometre to pint but almost always a mistyped ``µM`` here, ``10 nmol`` must
be refused as an amount where a concentration is expected, ``MM`` must never
become megamolar, and ``1,5 nM`` is a decimal comma, not a syntax error.
Values scale by exact powers of ten (``10 µM == 1e-5`` exactly), and nothing
is loaded at import time (pint builds a registry of ~1,000 units in every
process, including each worker).
"""

from __future__ import annotations

import math
import re

from pdstudy.errors import UnitError

_PREFIX = {  # power of ten of each SI prefix
    "": 0,
    "k": 3,
    "m": -3,
    "u": -6,
    "µ": -6,
    "μ": -6,
    "n": -9,
    "p": -12,
    "f": -15,
    # only before Bq (see _split_unit): M is molar on its own, and MM is no unit
    "M": 6,
    "G": 9,
    "T": 12,
}
_LARGE_PREFIXES = ("M", "G", "T")

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PATTERN = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")

# base unit symbol -> (dimension, factor to SI base used inside pdstudy)
_BASE = {
    "M": ("concentration", 1.0),
    "mol/L": ("concentration", 1.0),
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "hr": ("time", 3600.0),
    "d": ("time", 86400.0),
    "day": ("time", 86400.0),
    "days": ("time", 86400.0),
    "L": ("volume", 1.0),
    "l": ("volume", 1.0),
    "g": ("mass", 1.0),
    "g/L": ("mass_concentration", 1.0),
    "g/mL": ("mass_concentration", 1e3),
    "g/kg": ("dose", 1e-3),  # stored as g/g
    "Ci/mmol": ("specific_activity", 1.0),
    "Ci/mol": ("specific_activity", 1e-3),
    "Bq/mol": ("specific_activity", 1.0 / 3.7e10 * 1e-3),
    "mol": ("amount", 1.0),
    "L/min": ("flow", 1.0 / 60.0),
    "L/h": ("flow", 1.0 / 3600.0),
    "/h": ("rate", 1.0 / 3600.0),
    "/min": ("rate", 1.0 / 60.0),
    "/s": ("rate", 1.0),
    "1/h": ("rate", 1.0 / 3600.0),
    "1/min": ("rate", 1.0 / 60.0),
    "1/s": ("rate", 1.0),
    "L/kg": ("specific_volume", 1.0),
    "M/s": ("concentration_rate", 1.0),
    "M/min": ("concentration_rate", 1.0 / 60.0),
    "%": ("fraction", 0.01),
}

_SPECIAL = {"min", "h", "hr", "s", "sec", "%", "M", "/h", "/min", "/s", "1/h", "1/min", "1/s"}

#: spelled-out or mistyped units: accepted when unambiguous (value) or refused with a hint
_ALIASES = {
    "molar": "M",
    "millimolar": "mM",
    "micromolar": "µM",
    "microm": "µM",
    "nanomolar": "nM",
    "nanom": "nM",
    "picomolar": "pM",
    "femtomolar": "fM",
}
#: units that are something else (um is a micrometre) or in the wrong case: did you mean
_DID_YOU_MEAN = {"um": "uM", "nm": "nM", "pm": "pM", "mm": "mM", "fm": "fM", "m": "M"}
_NO_PREFIX = ("min", "h", "hr", "%", "d", "day", "days")
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*\S*")


def _split_unit(unit: str) -> tuple[int, str] | None:
    """(power of ten, base unit) of a unit string such as 'nM' or 'ng/mL'."""
    unit = unit.replace("μ", "µ").replace("mcg", "µg")
    if unit in _BASE:
        return 0, unit
    if unit.lower() in _ALIASES:
        return _split_unit(_ALIASES[unit.lower()])
    # prefixed numerator, optionally a prefixed denominator (ng/mL, mg/kg, µL/min)
    num, _, den = unit.partition("/")
    for p_num, f_num in _PREFIX.items():
        if not num.startswith(p_num) or len(num) <= len(p_num):
            continue
        base_num = num[len(p_num) :]
        if p_num in _LARGE_PREFIXES and base_num != "Bq":
            continue
        if not den:
            if base_num in _BASE and base_num not in _NO_PREFIX:
                return f_num, base_num
            continue
        for p_den, f_den in _PREFIX.items():
            if not den.startswith(p_den) or len(den) <= len(p_den):
                continue
            if p_den in _LARGE_PREFIXES:
                continue
            base = f"{base_num}/{den[len(p_den) :]}"
            if base in _BASE:
                return f_num - f_den, base
    return None


def parse_quantity(text: str | float | int, dimension: str, where: str | None = None) -> float:
    """Parse ``text`` (e.g. ``"10 nM"``) into pdstudy's base unit of ``dimension``.

    Parameters
    ----------
    text
        A number followed by a unit. Plain numbers are accepted only for
        dimensionless quantities (``"fraction"``).
    dimension
        One of ``concentration`` (molar), ``time`` (s), ``volume`` (L),
        ``mass`` (g), ``mass_concentration`` (g/L), ``dose`` (g/g),
        ``specific_activity`` (Ci/mmol), ``flow`` (L/s), ``rate`` (1/s),
        ``specific_volume`` (L/kg), ``concentration_rate`` (M/s), ``fraction``.
    where
        The place the string came from (TOML key, column), named in errors.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if dimension == "fraction":
            return float(text)
        raise UnitError(_no_unit(repr(text), float(text), dimension), where=where)
    if not isinstance(text, str):
        raise UnitError(f"expected a quantity string, got {type(text).__name__}", where=where)
    if _DECIMAL_COMMA.match(text):
        fixed = text.replace(",", ".", 1).strip()
        raise UnitError(
            f"{text!r} has a decimal comma; write a decimal point: '{fixed}'", where=where
        )
    m = _PATTERN.match(text)
    if not m:
        raise UnitError(f"cannot read {text!r} as a number with a unit", where=where)
    value = float(m.group(1))
    unit = m.group(2).replace(" ", "")
    if not unit:
        if dimension == "fraction":
            return value
        raise UnitError(_no_unit(repr(text.strip()), value, dimension), where=where)
    parsed = _split_unit(unit)
    if parsed is None:
        guess = _DID_YOU_MEAN.get(unit.lower()) if dimension == "concentration" else None
        if guess is not None:
            raise UnitError(
                f"unknown unit {unit!r} in {text!r}; did you mean '{m.group(1)} {guess}'?",
                where=where,
            )
        raise UnitError(f"unknown unit {unit!r} in {text!r}", where=where)
    power, base = parsed
    dim, base_factor = _BASE[base]
    if dim != dimension:
        if dim == "amount":
            raise UnitError(
                f"{text!r} is an amount, not {_article(dimension)} "
                f"(e.g. '{m.group(1)} {example_unit(dimension)}')",
                where=where,
            )
        raise UnitError(
            f"{text!r} is {_article(dim)}, expected {_article(dimension)} "
            f"(e.g. '{example_unit(dimension)}')",
            where=where,
        )
    # dividing by an exact power of ten rounds correctly: 10 µM == 1e-5 exactly
    scaled = value * 10.0**power if power >= 0 else value / 10.0 ** (-power)
    if base == "Bq/mol":  # 1 Ci = 3.7e10 Bq exactly: divide, so 3.7 GBq/mmol is 0.1 Ci/mmol
        out = scaled / 3.7e13
    else:
        out = scaled * base_factor if base_factor != 1.0 else scaled
    if not math.isfinite(out):
        raise UnitError(f"{text!r} is not a finite quantity", where=where)
    return out


#: the base unit inside pdstudy of each dimension (what a bare number would mean)
BASE_UNIT = {
    "concentration": "M",
    "time": "s",
    "volume": "L",
    "mass": "g",
    "mass_concentration": "g/L",
    "specific_activity": "Ci/mmol",
    "rate": "1/s",
    "specific_volume": "L/kg",
    "concentration_rate": "M/s",
    "amount": "mol",
}


def _article(dimension: str) -> str:
    name = dimension.replace("_", " ")
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _no_unit(text: str, value: float, dimension: str) -> str:
    """The message for a bare number: never a hint that changes its magnitude."""
    base = BASE_UNIT.get(dimension)
    msg = f"{text} has no unit; {_article(dimension)} needs one"
    if base is None:
        return f"{msg}, e.g. '{text} {example_unit(dimension)}'"
    msg += f": if you mean {value:g} {base}, write '{value:g} {base}'"
    if dimension == "concentration" and value != 0:
        msg += f" (= {format_conc(value)})"
    return msg


def example_unit(dimension: str) -> str:
    return {
        "concentration": "nM",
        "time": "min",
        "volume": "µL",
        "mass": "mg",
        "mass_concentration": "ng/mL",
        "dose": "mg/kg",
        "specific_activity": "Ci/mmol",
        "flow": "µL/min",
        "rate": "1/h",
        "specific_volume": "L/kg",
        "concentration_rate": "nM/s",
        "fraction": "%",
        "amount": "nmol",
    }.get(dimension, "?")


def parse_conc(text: str | float | int, where: str | None = None) -> float:
    """Molar concentration from a string such as ``"10 nM"``."""
    return parse_quantity(text, "concentration", where)


def format_conc(molar: float, digits: int = 3) -> str:
    """Format a molar concentration with a readable prefix (the one concentration formatter;
    :func:`conc_text`, :func:`format_conc_ci`, :func:`format_estimate` and
    :func:`format_conc_short` build on the same prefixes): ``format_conc(5e-10) == '0.5 nM'``."""
    if not math.isfinite(molar):
        return "n/a"
    if molar == 0:
        return "0 M"
    for prefix, factor in (
        ("", 1.0),
        ("m", 1e-3),
        ("µ", 1e-6),
        ("n", 1e-9),
        ("p", 1e-12),
        ("f", 1e-15),
    ):
        if abs(molar) >= 0.1 * factor:
            return f"{molar / factor:.{digits}g} {prefix}M"
    return f"{molar:.{digits}g} M"


#: text of a missing value in tables and sentences
MISSING = "–"


def conc_text(molar: float | None, digits: int = 3, missing: str = MISSING) -> str:
    """:func:`format_conc`, with ``missing`` (a dash) for a missing or non-finite value."""
    if molar is None or not math.isfinite(float(molar)):
        return missing
    return format_conc(float(molar), digits)


def format_conc_short(molar: float) -> str:
    """Compact label (plate maps, axis ticks): ``"200nM"``, ``"63nM"``, ``"6.3pM"``."""
    for prefix, factor in (("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15)):
        if molar >= factor * (1 - 1e-9):
            v = molar / factor
            text = f"{v:.0f}" if v >= 9.95 else f"{v:.2g}"
            return f"{text}{prefix}M"
    return f"{molar:.2g}M"


def _unit_for(v: float) -> tuple[str, float]:
    for unit, fac in (("M", 1.0), ("mM", 1e-3), ("µM", 1e-6), ("nM", 1e-9), ("pM", 1e-12)):
        if abs(v) >= fac * 0.0999:
            return unit, fac
    return "fM", 1e-15


def conc_unit(values_M: object) -> tuple[str, float]:
    """One unit for a set of molar concentrations (a table column): (symbol, factor).

    The unit suits the median magnitude of the finite, non-zero values, so a
    column reads ``90``, ``100``, ``2,000`` nM rather than ``90 nM``, ``0.1 µM``.
    """
    import numpy as np

    v = np.abs(np.asarray(values_M, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return "M", 1.0
    median = float(np.median(v))
    # the unit in which the median is >= 1; below nM only when it is under 0.01 nM
    for unit, fac in (("M", 1.0), ("mM", 1e-3), ("µM", 1e-6), ("nM", 1e-9)):
        if median >= fac * 0.9999:
            return unit, fac
    return ("nM", 1e-9) if median >= 1e-11 else _unit_for(median)


def format_conc_ci(value_M: float, low_M: float, high_M: float) -> str:
    """``"0.52 nM (0.41–0.66 nM)"``: a concentration and its CI in one unit that suits the value.

    An infinite upper limit is shown as ``∞``, an undetermined one as ``?``.
    """
    if not math.isfinite(value_M):
        return "n.d."
    unit, fac = _unit_for(value_M)

    def f(v: float) -> str:
        if not math.isfinite(v):
            return "∞" if v > 0 else "?"
        return f"{v / fac:.3g}"

    return f"{f(value_M)} {unit} ({f(low_M)}–{f(high_M)} {unit})"


def format_estimate(value_M: float, low_M: float, high_M: float, name: str = "Ki") -> str:
    """``"Ki = 0.52 nM (95 % CI 0.41–0.66 nM)"`` in a unit that suits the value."""
    if not math.isfinite(value_M):
        return f"{name} not determined"
    text = format_conc_ci(value_M, low_M, high_M)
    return f"{name} = {text.replace(' (', ' (95 % CI ', 1)}"


class PlausibilityWarning(UserWarning):
    """A value a lab almost never means (e.g. a radioligand at 10 mM); not an error."""


#: key -> (low, high, what a lab uses) in pdstudy's base units; outside: a warning
_PLAUSIBLE = {
    "radioligand_conc": (0.0, 1e-6, "a radioligand is used at pM to nM (at most ~1 µM)"),
    "kd": (0.0, 1e-6, "a radioligand's Kd is pM to nM; above 1 µM it is hardly a radioligand"),
    "volume": (0.0, 1e-3, "a well of a 96-well plate holds at most ~0.35 mL"),
    "specific_activity": (1.0, 3000.0, "tritium and iodine-125 ligands lie within 1-3,000 Ci/mmol"),
}


def implausible(key: str, value: float) -> str | None:
    """Why ``value`` of a radioligand assay's ``key`` is implausible, or None when it is not.

    Values are in pdstudy's base units (molar, litres, Ci/mmol).
    """
    rule = _PLAUSIBLE.get(key)
    if rule is None or not math.isfinite(value):
        return None
    low, high, why = rule
    if low <= value <= high:
        return None
    shown = {
        "radioligand_conc": lambda v: format_conc(v),
        "kd": lambda v: format_conc(v),
        "volume": lambda v: f"{v * 1e3:g} mL",
        "specific_activity": lambda v: f"{v:g} Ci/mmol",
    }[key](value)
    return f"{key} = {shown} is unusual: {why}; check the unit"
