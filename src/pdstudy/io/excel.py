"""Result tables -> one Excel workbook: a sheet per table, units in the headers.

Column names keep pdstudy's names (so a sheet matches its CSV) and gain the
unit their suffix states: ``ki_M`` -> ``ki_M (M)``, ``rate_pmol_per_mg_per_min``
-> ``rate_pmol_per_mg_per_min (pmol/mg/min)``, ``total_cv_pct`` ->
``total_cv_pct (%)``. Sheet names are made valid for Excel (31 characters, no
``[]:*?/\\``) and unique; a first sheet ``contents`` lists each sheet with the
full name of its table. Missing values are empty cells.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["column_unit", "header_with_unit", "sheet_names", "split_unit", "write_workbook"]

#: unit tokens of column-name suffixes and how they are written
_UNITS = {
    "M": "M",
    "nM": "nM",
    "uM": "µM",
    "s": "s",
    "min": "min",
    "h": "h",
    "L": "L",
    "mL": "mL",
    "uL": "µL",
    "g": "g",
    "mg": "mg",
    "ug": "µg",
    "ng": "ng",
    "kg": "kg",
    "mol": "mol",
    "mmol": "mmol",
    "nmol": "nmol",
    "pmol": "pmol",
    "fmol": "fmol",
    "cpm": "CPM",
    "dpm": "DPM",
    "Ci": "Ci",
    "C": "°C",
    "pct": "%",
    "well": "well",
}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def column_unit(name: str) -> str | None:
    """The unit a column name's suffix states (``"ki_M"`` -> ``"M"``), or None."""
    return split_unit(name)[1]


def split_unit(name: str) -> tuple[str, str | None]:
    """A column name's stem and the unit its suffix states: ``"ki_ci_low_M"`` ->
    ``("ki_ci_low", "M")``; ``("hill", None)`` when it states none."""
    tokens = name.split("_")
    for start in range(1, len(tokens)):
        tail = tokens[start:]
        units = tail[0::2]
        pers = tail[1::2]
        if (
            units
            and all(u in _UNITS for u in units)
            and all(p == "per" for p in pers)
            and len(units) == len(pers) + 1
        ):
            return "_".join(tokens[:start]), "/".join(_UNITS[u] for u in units)
    return name, None


def header_with_unit(name: str) -> str:
    unit = column_unit(str(name))
    return f"{name} ({unit})" if unit else str(name)


def sheet_names(names: list[str]) -> list[str]:
    """Valid, unique Excel sheet names for ``names`` (in order)."""
    out: list[str] = []
    for name in names:
        base = _BAD_SHEET.sub("_", name).strip("'") or "table"
        cand = base[:31]
        k = 2
        while cand.lower() in {o.lower() for o in out} or cand.lower() == "contents":
            suffix = f"~{k}"
            cand = base[: 31 - len(suffix)] + suffix
            k += 1
        out.append(cand)
    return out


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, (list, tuple, dict, set)):
        return str(value)
    return value if isinstance(value, str) else str(value)


def write_workbook(
    path: str | PathLike[str],
    tables: Mapping[str, pd.DataFrame],
    *,
    title: str | None = None,
) -> Path:
    """Write ``tables`` (name -> frame, in order) as one workbook with a sheet per table.

    Parameters
    ----------
    path
        The ``.xlsx`` file (overwritten).
    tables
        Table name -> tidy frame. The name is the sheet name (made valid and
        unique) and is listed in full on the ``contents`` sheet.
    title
        A line at the top of the ``contents`` sheet (the study or section).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    import openpyxl
    from openpyxl.styles import Font

    p = Path(path)
    wb = openpyxl.Workbook()
    contents = wb.active
    assert contents is not None
    contents.title = "contents"
    bold = Font(bold=True)
    if title:
        contents.append([title])
        contents["A1"].font = bold
        contents.append([])
    contents.append(["sheet", "table", "rows", "columns"])
    for c in contents[contents.max_row]:
        c.font = bold
    names = list(tables)
    for sheet, name in zip(sheet_names(names), names, strict=True):
        frame = tables[name]
        ws = wb.create_sheet(sheet)
        ws.append([header_with_unit(str(c)) for c in frame.columns])
        for c in ws[1]:
            c.font = bold
        for row in frame.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for j, col in enumerate(frame.columns, start=1):
            width = min(max(len(header_with_unit(str(col))), 8) + 2, 40)
            ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = width
        contents.append([sheet, name, len(frame), len(frame.columns)])
    contents.column_dimensions["A"].width = 34
    contents.column_dimensions["B"].width = 48
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    return p
