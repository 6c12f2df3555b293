"""Tables with one row per well: "long" CSV/XLSX and generic counter exports.

Both share one parser. A *long* table has its header on the first line; a
*counter* export has free preamble lines (instrument, protocol, date) before
the header. The header must name a well column (``Well``, ``WELL``, ``Pos``,
``Position``, ``WName``...; or ``row`` + ``col``) and a value column:

=================  ==========================================================
column             header names (case-insensitive)
=================  ==========================================================
plate (optional)   plate, plate id, plate name, plate number, barcode
signal             signal; else cpm/ccpm (CCPM1...), counts, dpm, od/abs/
                   absorbance (OD450, Abs 450 nm...), value; else the single
                   numeric column
cpm                ccpm (corrected, preferred) or cpm
dpm                dpm
count_time_s       count_time_s, time, ctime, count time, counting time;
                   "(min)" in the name means minutes, otherwise seconds
=================  ==========================================================
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pdstudy import columns as C
from pdstudy.errors import InputFileError

from ._plate_frame import VALUE_COLUMNS, WellValue, build_frame, format_number, plate_id
from ._plate_table import HEAD_LINES, Table, cell_text, load_table, text_table, to_number
from .registry import Format
from .wells import parse_well, row_label

_WELL = {
    "well",
    "wells",
    "well id",
    "wellid",
    "well name",
    "wellname",
    "wname",
    "well position",
    "wellposition",
    "well pos",
    "position",
    "pos",
    "location",
}
_PLATE = {
    "plate",
    "plate id",
    "plateid",
    "plate name",
    "plate number",
    "plate no",
    "plate nr",
    "plate barcode",
    "barcode",
}
_TIME = re.compile(
    r"^(count time|counting time|ctime|time|count time s)"
    r"\s*(?:\(?\s*(s|sec|secs|seconds|min|mins|minutes)\s*\)?)?$"
)
_ABS = re.compile(r"^(od|abs|absorbance)\b|^(od|abs)\d+")
_COUNTS_KINDS = ("ccpm", "cpm", "counts", "dpm")


def _norm(name: str) -> str:
    n = re.sub(r"[_\-\s]+", " ", name.strip().lower())
    return re.sub(r"\s*([()\[\]])\s*", r"\1", n).replace("[", "(").replace("]", ")").strip()


def classify(name: str) -> tuple[str, float] | None:
    """What a header names: (kind, factor); factor converts times to seconds."""
    n = _norm(name)
    if not n:
        return None
    if n in _WELL:
        return "well", 1.0
    if n == "row":
        return "row", 1.0
    if n in ("col", "column"):
        return "col", 1.0
    if n in _PLATE:
        return "plate", 1.0
    if n == "signal":
        return "signal", 1.0
    if re.fullmatch(r"ccpm ?\d*", n):
        return "ccpm", 1.0
    if re.fullmatch(r"cpm ?\d*", n):
        return "cpm", 1.0
    if re.fullmatch(r"dpm ?\d*", n):
        return "dpm", 1.0
    if n in ("counts", "count"):
        return "counts", 1.0
    m = _TIME.fullmatch(n.replace("(", " (").replace("  ", " "))
    if m:
        unit = m.group(2) or "s"
        return "time", 60.0 if unit.startswith("min") else 1.0
    if _ABS.match(n):
        return "abs", 1.0
    if n in ("value", "values"):
        return "value", 1.0
    return None


@dataclass(frozen=True)
class Header:
    """Columns found in a header row."""

    row: int
    kinds: dict[str, list[int]]  # kind -> column indices
    factors: dict[int, float]  # column -> time factor

    def one(self, kind: str) -> int | None:
        cols = self.kinds.get(kind, [])
        return cols[0] if cols else None

    @property
    def has_well(self) -> bool:
        return "well" in self.kinds or ("row" in self.kinds and "col" in self.kinds)

    @property
    def has_counts(self) -> bool:
        return any(k in self.kinds for k in _COUNTS_KINDS)


def parse_header(table: Table, i: int) -> Header | None:
    """The header at row ``i``, or None when the row names no well column."""
    kinds: dict[str, list[int]] = {}
    factors: dict[int, float] = {}
    for j, cell in enumerate(table.rows[i]):
        if isinstance(cell, float):
            continue
        got = classify(cell)
        if got is None:
            continue
        kinds.setdefault(got[0], []).append(j)
        factors[j] = got[1]
    header = Header(i, kinds, factors)
    return header if header.has_well else None


def _first_nonblank(table: Table) -> int | None:
    return next((i for i in range(len(table.rows)) if not table.is_blank(i)), None)


# --- sniffers -----------------------------------------------------------------------


def _head_table(path: Path, head: str) -> Table:
    return text_table(path, head)


def sniff_long(path: Path, head: str) -> bool:
    table = _head_table(path, head)
    i = _first_nonblank(table)
    return i is not None and parse_header(table, i) is not None


def sniff_counter(path: Path, head: str) -> bool:
    table = _head_table(path, head)
    first = _first_nonblank(table)
    if first is None:
        return False
    for i in range(first + 1, min(len(table.rows), HEAD_LINES)):
        h = parse_header(table, i)
        if h is not None and h.has_counts:
            return True
    return False


# --- reader -------------------------------------------------------------------------


def _choose_signal(table: Table, header: Header, body: list[int]) -> tuple[int, str]:
    """(column, kind) of the signal."""
    for kind in ("signal", "ccpm", "cpm", "counts", "dpm", "abs", "value"):
        cols = header.kinds.get(kind, [])
        if len(cols) > 1:
            names = ", ".join(repr(table.text(header.row, j)) for j in cols)
            raise InputFileError(
                f"several columns could hold the signal ({names}); rename the one to use 'signal'",
                table.path,
                table.where(header.row),
            )
        if cols:
            return cols[0], kind
    known = {j for cols in header.kinds.values() for j in cols}
    width = max((len(table.rows[k]) for k in body), default=0)
    numeric = []
    for j in range(width):
        if j in known:
            continue
        vals = [table.cell(k, j) for k in body]
        try:
            nums = [to_number(v, True) for v in vals]
        except ValueError:
            continue
        if any(x is not None for x in nums):
            numeric.append(j)
    if len(numeric) == 1:
        return numeric[0], "value"
    names = ", ".join(repr(table.text(header.row, j)) for j in numeric)
    hint = f"numeric columns: {names}" if numeric else "no numeric column"
    raise InputFileError(
        "cannot tell which column holds the signal "
        f"({hint}); name it signal, cpm, counts, od, absorbance or value",
        table.path,
        table.where(header.row),
    )


def _parse_rows(table: Table, header: Header, *, stop_at_blank: bool, fmt: str) -> pd.DataFrame:
    body: list[int] = []
    for k in range(header.row + 1, len(table.rows)):
        if table.is_blank(k):
            if stop_at_blank and body:
                break
            continue
        body.append(k)
    if not body:
        raise InputFileError(
            "the table has a header but no rows", table.path, table.where(header.row)
        )
    sig_col, sig_kind = _choose_signal(table, header, body)
    cpm_col = header.one("ccpm") if "ccpm" in header.kinds else header.one("cpm")
    columns: dict[str, int] = {C.SIGNAL: sig_col}
    if cpm_col is not None:
        columns[C.CPM] = cpm_col
    if (dpm := header.one("dpm")) is not None:
        columns[C.DPM] = dpm
    if (tcol := header.one("time")) is not None:
        columns[C.COUNT_TIME] = tcol
    plate_col = header.one("plate")
    well_col = header.one("well")
    decimal_comma = table.delimiter in (";", "\t")
    readings: list[WellValue] = []
    for k in body:
        if well_col is not None:
            well = table.text(k, well_col)
            wj = well_col
        else:
            r_col, c_col = header.one("row"), header.one("col")
            assert r_col is not None and c_col is not None
            well = table.text(k, r_col) + table.text(k, c_col)
            wj = r_col
        if well == "":
            raise InputFileError("no well name in this row", table.path, table.where(k, wj))
        ij = parse_well(well)
        label = well if ij is None else f"{row_label(ij[0])}{ij[1] + 1}"
        plate = plate_id(table.cell(k, plate_col)) if plate_col is not None else "1"
        if plate == "":
            raise InputFileError(
                f"well {label} has no plate id", table.path, table.where(k, plate_col)
            )
        values: dict[str, float] = {}
        for key, j in columns.items():
            cell = table.cell(k, j)
            where = f"{table.where(k, j)} (well {label})"
            try:
                v = to_number(cell, decimal_comma)
            except ValueError:
                raise InputFileError(
                    f"{cell_text(cell)!r} is not a number", table.path, where
                ) from None
            if v is None:
                if key == C.SIGNAL:
                    raise InputFileError(
                        f"no value in column {table.text(header.row, j)!r}", table.path, where
                    )
                continue
            values[key] = v * header.factors.get(j, 1.0) if key == C.COUNT_TIME else v
        readings.append(WellValue(plate, well, table.where(k), values))
    return build_frame(readings, table.path, counts=sig_kind in _COUNTS_KINDS, fmt=fmt)


def read_long(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    i = _first_nonblank(table)
    header = None if i is None else parse_header(table, i)
    if header is None:
        raise InputFileError(
            "the first line is not a header naming a well column (well, pos, position...)",
            path,
            None if i is None else table.where(i),
        )
    return _parse_rows(table, header, stop_at_blank=False, fmt="long")


def read_counter(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    for i in range(len(table.rows)):
        header = parse_header(table, i)
        if header is not None and header.has_counts:
            return _parse_rows(table, header, stop_at_blank=True, fmt="counter")
    raise InputFileError(
        "no header row with a well/position column and a CPM (or counts/DPM) column", path
    )


# --- writers ------------------------------------------------------------------------


def _long_columns(frame: pd.DataFrame) -> list[str]:
    return [C.PLATE, C.WELL, C.ROW, C.COL] + [c for c in VALUE_COLUMNS if c in frame.columns]


def _long_records(frame: pd.DataFrame) -> list[list[str | float | int]]:
    cols = [c for c in VALUE_COLUMNS if c in frame.columns]
    out: list[list[str | float | int]] = []
    for d in frame.to_dict("records"):
        out.append(
            [d[C.PLATE], d[C.WELL], row_label(d["row_i"]), int(d["col_j"]) + 1]
            + [float(d[c]) for c in cols]
        )
    return out


def write_long_csv(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(_long_columns(frame))
        for rec in _long_records(frame):
            w.writerow([format_number(v) if isinstance(v, float) else v for v in rec])


def write_long_xlsx(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "plate"
    ws.append(_long_columns(frame))
    for rec in _long_records(frame):
        ws.append(rec)
    wb.save(path)


def write_counter(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    header = ["Plate", "Well", "CPM"]
    cols = [C.CPM if C.CPM in frame.columns else C.SIGNAL]
    if C.DPM in frame.columns:
        header.append("DPM")
        cols.append(C.DPM)
    if C.COUNT_TIME in frame.columns:
        header.append("Time (s)")
        cols.append(C.COUNT_TIME)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["Counter export"])
        w.writerow(["Software:", "pdstudy"])
        w.writerow(["Plates:", str(frame[C.PLATE].nunique())])
        w.writerow([])
        w.writerow(header)
        for d in frame.to_dict("records"):
            well0 = f"{row_label(d['row_i'])}{int(d['col_j']) + 1:02d}"
            w.writerow([d[C.PLATE], well0] + [format_number(d[c]) for c in cols])


#: the plate formats of this module, registered by pdstudy.io.plates
FORMATS = [
    Format(
        name="counter",
        extensions=(".txt", ".csv", ".tsv"),
        description=(
            "counter export: preamble lines, then a table with one row per well and a "
            "well/position column and a CPM column (optional DPM, counting time); "
            "tab, comma or semicolon separated"
        ),
        sniff=sniff_counter,
        read=read_counter,
        priority=50,
        writers={"counter_csv": write_counter},
    ),
    Format(
        name="long",
        extensions=(".csv", ".tsv", ".xlsx"),
        description=(
            "long CSV/XLSX: header on the first line, one row per well; a well column "
            "(A1 or A01) and a value column (signal, cpm, ccpm, counts, value, od, "
            "absorbance, abs, or the single numeric column); optional plate, dpm, time"
        ),
        sniff=sniff_long,
        read=read_long,
        priority=60,
        writers={"long_csv": write_long_csv, "long_xlsx": write_long_xlsx},
    ),
]
