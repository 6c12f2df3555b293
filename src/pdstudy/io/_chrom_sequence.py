"""The sequence table (one row per injection) and the HPLC method file (TOML).

Sequence (CSV or XLSX): ``file`` (relative to the sequence file), ``kind``
(``standard``, ``sample`` or ``blank``), ``animal``, ``group``, ``sample``,
the time from dosing as ``time_min`` or ``time_s`` (negative before the dose),
and for standards one column per analyte, ``<analyte>_<unit>`` with a molar
unit (``NE_nM``, ``5-HT_nM``, ``lactose_mM``).

Method (TOML): ``[analytes.<name>]`` with ``rt`` and ``tolerance`` (times
with units); ``[sampling]`` with ``flow`` and ``interval``; ``[processing]``
(see :data:`PROCESSING_KEYS`).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.errors import InputFileError, UnitError
from pdstudy.units import parse_quantity

from ._plate_table import check_file, is_xlsx

__all__ = ["PROCESSING_KEYS", "HplcMethod", "Sequence", "read_method", "read_sequence"]

KINDS = ("standard", "sample", "blank")
_MOLAR = {"M": 1.0, "mM": 1e-3, "uM": 1e-6, "µM": 1e-6, "nM": 1e-9, "pM": 1e-12, "fM": 1e-15}
_CONC_COL = re.compile(r"^(?P<analyte>.+)_(?P<unit>[a-zA-Zµ]+)$")
_RESERVED = {"file", "kind", "animal", "group", "sample", "time_min", "time_s", "notes", "comment"}

#: [processing] keys: name -> (kind, default, doc)
PROCESSING_KEYS: dict[str, tuple[str, Any, str]] = {
    "start": ("time", 0.0, "ignore the trace before this time (the solvent front)"),
    "end": ("time", None, "ignore the trace after this time"),
    "peak_width": ("time", 12.0, "typical base width of a peak (sets the baseline smoothness)"),
    "baseline": ("text", "arpls", "pybaselines method: arpls, asls, airpls, iarpls, psalsa"),
    "lam": ("number", None, "baseline smoothness (default from peak_width)"),
    "min_snr": ("number", 10.0, "peaks lower than min_snr x noise are not reported"),
    "integration": ("text", "drop", "fused peaks: drop (perpendicular) or valley"),
    "deconvolve_below": ("number", 1.5, "EMG-fit fused clusters with resolution below this"),
    "weighting": ("text", "auto", "calibration weighting: auto, none, 1/x, 1/x^2"),
    "drift_tolerance": (
        "number",
        0.15,
        "bracketing standards deviating more than this are flagged",
    ),
}


@dataclass(frozen=True)
class Sequence:
    """The injections of a batch: ``table`` (one row per injection, paths resolved)."""

    table: pd.DataFrame
    #: analyte -> molar factor of its standards' column unit
    units: dict[str, float]
    path: Path


@dataclass(frozen=True)
class HplcMethod:
    """Analyte windows (s), sampling (L/s, s) and processing settings."""

    analytes: dict[str, tuple[float, float]]
    flow_L_per_s: float | None = None
    interval_s: float | None = None
    processing: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_sequence(path: str | Path) -> Sequence:
    """Read a sequence table; errors name the row and column."""
    p = Path(path)
    check_file(p)
    try:
        raw = (
            pd.read_excel(p, dtype=object)
            if is_xlsx(p)
            else pd.read_csv(p, dtype=str, keep_default_na=False, sep=None, engine="python")
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(f"cannot read the sequence table: {exc}", p) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for col in ("file", "kind"):
        if col not in raw.columns:
            raise InputFileError(f"no '{col}' column (columns: {', '.join(raw.columns)})", p)
    if "time_min" in raw.columns and "time_s" in raw.columns:
        raise InputFileError("give time_min or time_s, not both", p)
    units: dict[str, float] = {}
    for col in raw.columns:
        if col in _RESERVED:
            continue
        m = _CONC_COL.match(col)
        if not m or m.group("unit") not in _MOLAR:
            raise InputFileError(
                f"column {col!r} is not <analyte>_<molar unit> (e.g. NE_nM, lactose_mM)",
                p,
                f"column '{col}'",
            )
        units[m.group("analyte")] = _MOLAR[m.group("unit")]
    rows = []
    for i, rec in enumerate(raw.to_dict("records")):
        where = f"row {i + 2}"  # the header is line 1
        kind = _cell(rec.get("kind")).lower()
        if kind not in KINDS:
            raise InputFileError(
                f"kind {kind!r} is not standard, sample or blank", p, f"{where}, column 'kind'"
            )
        name = _cell(rec.get("file"))
        if not name:
            raise InputFileError("no file named", p, f"{where}, column 'file'")
        time_s = math.nan
        for col, factor in (("time_min", 60.0), ("time_s", 1.0)):
            text = _cell(rec.get(col))
            if text:
                try:
                    time_s = float(text) * factor
                except ValueError:
                    raise InputFileError(
                        f"{text!r} is not a number", p, f"{where}, column '{col}'"
                    ) from None
        row: dict[str, Any] = {
            "row": i + 2,
            "file": str((p.parent / name).resolve()) if not Path(name).is_absolute() else name,
            "file_name": name,
            "kind": kind,
            "animal": _cell(rec.get("animal")),
            "group": _cell(rec.get("group")),
            "sample": _cell(rec.get("sample")),
            "time_s": time_s,
        }
        for analyte, factor in units.items():
            col = next(c for c in raw.columns if c.startswith(analyte + "_") and c not in _RESERVED)
            text = _cell(rec.get(col))
            value = math.nan
            if text:
                try:
                    value = float(text.replace(",", ".")) * factor
                except ValueError:
                    raise InputFileError(
                        f"{text!r} is not a number", p, f"{where}, column '{col}'"
                    ) from None
            row[f"std_{analyte}_M"] = value
        rows.append(row)
    if not rows:
        raise InputFileError("the sequence table has no rows", p)
    return Sequence(pd.DataFrame(rows), units, p)


def _time(value: Any, where: str, p: Path) -> float:
    try:
        return parse_quantity(value, "time", where=where)
    except UnitError as exc:
        raise InputFileError(exc.detail, p, where) from None


def read_method(path: str | Path) -> HplcMethod:
    """Read a method TOML (see the module notes); unknown keys and bad units name the key."""
    p = Path(path)
    check_file(p)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"not valid TOML: {exc}", p) from None
    return method_from_mapping(doc, p)


def method_from_mapping(doc: dict[str, Any], p: Path, prefix: str = "") -> HplcMethod:
    """An :class:`HplcMethod` from a parsed TOML table (a method file, or a study section)."""
    for key in doc:
        if key not in ("analytes", "sampling", "processing"):
            raise InputFileError(
                "unknown key (use analytes, sampling, processing)", p, f"key '{prefix}{key}'"
            )
    analytes: dict[str, tuple[float, float]] = {}
    table = doc.get("analytes")
    if not isinstance(table, dict) or not table:
        raise InputFileError("no [analytes.<name>] table", p, f"key '{prefix}analytes'")
    for name, spec in table.items():
        where = f"key '{prefix}analytes.{name}'"
        if not isinstance(spec, dict):
            raise InputFileError("expected a table with rt and tolerance", p, where)
        for k in spec:
            if k not in ("rt", "tolerance"):
                raise InputFileError(
                    "unknown key (use rt, tolerance)", p, f"key '{prefix}analytes.{name}.{k}'"
                )
        if "rt" not in spec:
            raise InputFileError("missing rt", p, where)
        rt = _time(spec["rt"], f"key '{prefix}analytes.{name}.rt'", p)
        tol = _time(spec.get("tolerance", "15 s"), f"key '{prefix}analytes.{name}.tolerance'", p)
        analytes[str(name)] = (rt, tol)
    sampling = doc.get("sampling", {})
    flow = interval = None
    for k, v in sampling.items():
        where = f"key '{prefix}sampling.{k}'"
        if k == "flow":
            try:
                flow = parse_quantity(v, "flow", where=where)
            except UnitError as exc:
                raise InputFileError(exc.detail, p, where) from None
        elif k == "interval":
            interval = _time(v, where, p)
        else:
            raise InputFileError("unknown key (use flow, interval)", p, where)
    processing: dict[str, Any] = {k: v[1] for k, v in PROCESSING_KEYS.items()}
    for k, v in doc.get("processing", {}).items():
        where = f"key '{prefix}processing.{k}'"
        if k not in PROCESSING_KEYS:
            raise InputFileError(f"unknown key (known: {', '.join(PROCESSING_KEYS)})", p, where)
        kind = PROCESSING_KEYS[k][0]
        if kind == "time":
            processing[k] = _time(v, where, p)
        elif kind == "number":
            if not isinstance(v, int | float) or isinstance(v, bool):
                raise InputFileError(f"expected a number, got {v!r}", p, where)
            processing[k] = float(v)
        else:
            processing[k] = str(v)
    return HplcMethod(analytes, flow, interval, processing, p)
