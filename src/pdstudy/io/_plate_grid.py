"""Plate grids (8x12, 16x24, 32x48 blocks), as plate readers export them.

A grid block is a header row ``1, 2, ..., N`` (N = 12, 24 or 48) followed by
rows whose first cell is a row letter (A, B, ...; BMG writes rows 27-32 of a
1536-well plate as a..f). Several blocks may follow one another, separated by
blank lines or a title line (``Plate 1``, ``Raw Data (450)``); the title gives
the plate id (a leading word "Plate" is dropped), else plates are numbered
1, 2, 3. Empty cells are wells that were not read and are left out.

The same block finder serves the TopCount and MicroBeta readers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pdstudy import columns as C
from pdstudy.errors import InputFileError

from ._plate_frame import (
    WellValue,
    build_frame,
    format_number,
    plate_groups,
    size_of,
)
from ._plate_table import Table, cell_text, load_table, to_number
from .registry import Format
from .wells import PLATE_SHAPES, SIZE_BY_COLUMNS, parse_well, row_index, row_label, well_name

_HEADER_RE = re.compile(r"(^|[\t,;])[ ]*1[ ]*[\t,;][ ]*2[ ]*[\t,;][ ]*3[ ]*[\t,;]", re.MULTILINE)
_PLATE_TITLE = re.compile(r"^plate\b\s*[:#]?\s*(\S.*?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class GridBlock:
    """Where one grid sits in a table."""

    header: int  # row index of the 1..N header
    label_col: int  # column of the row letters
    first_col: int  # column of plate column 1
    n_cols: int
    rows: tuple[tuple[int, int], ...]  # (table row, 0-based plate row)
    title: str | None

    @property
    def end(self) -> int:
        """Table row just after the block."""
        return self.rows[-1][0] + 1

    @property
    def size(self) -> int:
        return SIZE_BY_COLUMNS[self.n_cols]


def _header_at(table: Table, i: int) -> tuple[int, int] | None:
    """(column of "1", N) when row ``i`` is a ``1..N`` header with N in 12, 24, 48."""
    texts = [_unpad(cell_text(c)) for c in table.rows[i]]
    try:
        j = texts.index("1")
    except ValueError:
        return None
    before = [t for t in texts[:j] if t]
    if len(before) > 1 or (before and _is_number(before[0])):
        return None
    n = 0
    while j + n < len(texts) and texts[j + n] == str(n + 1):
        n += 1
    if any(texts[j + n :]) or n not in SIZE_BY_COLUMNS:
        return None
    return j, n


def _unpad(text: str) -> str:
    """ "01" -> "1" (EnVision pads its column numbers), other text unchanged."""
    return text.lstrip("0") if text.isdigit() and text.strip("0") else text


def _is_number(text: str) -> bool:
    try:
        return to_number(text) is not None
    except ValueError:
        return False


def _grid_row(label: str, n_cols: int) -> int | None:
    if n_cols == 48 and len(label) == 1 and "a" <= label <= "f":
        return 26 + ord(label) - ord("a")  # BMG's rows 27-32 of a 1536-well plate
    return row_index(label) if label else None


def _title_above(table: Table, i: int, floor: int) -> str | None:
    for k in range(i - 1, floor - 1, -1):
        cells = table.nonempty(k)
        if not cells:
            continue
        if len(cells) == 1 and not _is_number(cell_text(cells[0][1])):
            return cell_text(cells[0][1])
        return None
    return None


def find_grid_blocks(
    table: Table,
    start: int = 0,
    stop: int | None = None,
    *,
    trailing_label: bool = False,
    continuation: bool = False,
) -> list[GridBlock]:
    """All grid blocks between rows ``start`` and ``stop`` of ``table``.

    ``trailing_label`` allows one text cell after the last column (Gen5 names
    the data set there); ``continuation`` skips rows with no row letter inside
    a block (Gen5 writes further data sets of a row under it). Raises
    :class:`InputFileError` for a row letter out of order or outside the
    plate the header implies, and for ragged rows.
    """
    stop = len(table.rows) if stop is None else stop
    blocks: list[GridBlock] = []
    floor = start
    i = start
    while i < stop:
        hdr = _header_at(table, i)
        if hdr is None:
            i += 1
            continue
        j, n = hdr
        label_col, first = (j - 1, j) if j >= 1 else (0, 1)
        n_rows = PLATE_SHAPES[SIZE_BY_COLUMNS[n]][0]
        rows: list[tuple[int, int]] = []
        k = i + 1
        while k < stop:
            label = table.text(k, label_col)
            ri = _grid_row(label, n)
            if continuation and rows and label == "" and not table.is_blank(k):
                k += 1
                continue
            if ri is None or any(table.text(k, c) for c in range(label_col)):
                break
            if ri >= n_rows:
                raise InputFileError(
                    f"row {label} does not exist on a {SIZE_BY_COLUMNS[n]}-well plate "
                    f"(the header has {n} columns, so rows A-{row_label(n_rows - 1)})",
                    table.path,
                    table.where(k, label_col),
                )
            if rows and ri <= rows[-1][1]:
                raise InputFileError(
                    f"row {label} comes after row {row_label(rows[-1][1])}; grid rows must be in order",
                    table.path,
                    table.where(k, label_col),
                )
            _check_ragged(table, k, label, first, n, 1 if trailing_label else 0)
            rows.append((k, ri))
            k += 1
        if rows:
            title = _title_above(table, i, floor)
            blocks.append(GridBlock(i, label_col, first, n, tuple(rows), title))
            floor = k
        i = max(k, i + 1)
    return blocks


def _check_ragged(table: Table, k: int, label: str, first: int, n: int, spare: int) -> None:
    """Row ``k`` must have ``n`` value cells, and at most ``spare`` non-empty cells after them."""
    row = table.rows[k]
    if table.is_text and table.widths[k] < first + n:
        have = max(table.widths[k] - first, 0)
        raise InputFileError(
            f"ragged grid: row {label} has {have} cells, the header has {n} columns",
            table.path,
            table.where(k),
        )
    extra = [c for c in row[first + n :] if cell_text(c) != ""]
    if len(extra) > spare or (extra and cell_text(row[first + n]) == ""):
        raise InputFileError(
            f"ragged grid: row {label} has values beyond the header's {n} columns "
            f"(first extra: {cell_text(extra[0])!r})",
            table.path,
            table.where(k),
        )


def grid_cells(
    table: Table, block: GridBlock
) -> list[tuple[int, int, float | None, str, str | None]]:
    """(row, column, value, location, flag reason) of each non-empty cell of a block.

    A cell holding a flag the reader software writes instead of a value
    (``OVRFLW``, ``MISSED``, ``*0.356*``...) has value None and the reason;
    any other text is an error naming the cell and the well.
    """
    decimal_comma = table.delimiter in (";", "\t")
    out: list[tuple[int, int, float | None, str, str | None]] = []
    for k, ri in block.rows:
        for cj in range(block.n_cols):
            c = block.first_col + cj
            cell = table.cell(k, c)
            where = f"{table.where(k, c)} (well {well_name(ri, cj)})"
            try:
                value = to_number(cell, decimal_comma)
            except ValueError:
                text = cell_text(cell)
                reason = flag_reason(text)
                if reason is None:
                    raise InputFileError(f"{text!r} is not a number", table.path, where) from None
                out.append((ri, cj, None, where, reason))
                continue
            if value is not None:
                out.append((ri, cj, value, where, None))
    return out


def grid_values(table: Table, block: GridBlock) -> list[tuple[int, int, float, str]]:
    """(row, column, value, location) of each non-empty cell; a flag is an error (counters)."""
    out = []
    for ri, cj, value, where, reason in grid_cells(table, block):
        if value is None:
            raise InputFileError(f"not a number: {reason}", table.path, where)
        out.append((ri, cj, value, where))
    return out


_OVERFLOW = {"OVRFLW", "OVER", "OVERFLOW", "SAT", "OVRF", "OVFL", "OVERRANGE", "RANGE?"}
_MISSED = {"MISSED", "MISSING", "N/A", "NA", "-", "--", "NAN", "NOT READ"}


def flag_reason(text: str) -> str | None:
    """Why a well holds a flag instead of a value, or None when ``text`` is no known flag."""
    t = text.strip()
    u = t.upper()
    if u in _OVERFLOW:
        return f"overflow: the well saturated the detector ({t})"
    if u in _MISSED:
        return f"not measured by the reader ({t})"
    if len(t) > 2 and t.startswith("*") and t.endswith("*"):
        return f"masked in the reader software ({t})"
    if u.startswith((">", "<")) and _is_number(u[1:]):
        return f"out of the reader's range ({t})"
    if len(t) >= 3 and set(t) == {"?"}:
        return f"the reader software could not compute a value ({t})"
    return None


def flag_hint(text: str) -> str:
    """A short explanation of a flag, for messages (empty when ``text`` is no known flag)."""
    reason = flag_reason(text)
    return f" ({reason})" if reason else ""


def plate_title(title: str | None) -> str | None:
    """Plate id from a title line: "Plate 3" -> "3", "Raw Data (450)" unchanged."""
    if title is None:
        return None
    m = _PLATE_TITLE.match(title)
    return m.group(1) if m else title.strip()


# --- the grid format ---------------------------------------------------------------


def sniff_grid(path: Path, head: str) -> bool:
    return bool(_HEADER_RE.search(head)) and bool(
        re.search(r"^\s*[A-P]\s*([\t,;]|$)", head, re.MULTILINE)
    )


def read_grid(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    blocks = find_grid_blocks(table)
    if not blocks:
        raise InputFileError(
            "no plate grid found (a header row 1..12, 1..24 or 1..48 followed by rows A, B, ...)",
            path,
        )
    _refuse_well_table(table, blocks)
    titles = [plate_title(b.title) for b in blocks]
    named = [t for t in titles if t]
    unique = len(set(named)) == len(named)
    ids = [t if (t and unique) else str(n) for n, t in enumerate(titles, start=1)]
    return blocks_frame(table, blocks, ids, fmt="grid")


def _refuse_well_table(table: Table, blocks: list[GridBlock]) -> None:
    """Refuse a sheet that also holds values labelled by well name outside its grids.

    Such a sheet is some other export (e.g. a kinetic well list) with a grid
    a user added; reading the grid would give the wrong wells.
    """
    inside = {k for b in blocks for k in [b.header, *(r for r, _ in b.rows)]}
    for k, row in enumerate(table.rows):
        if k in inside:
            continue
        for j, cell in enumerate(row):
            if isinstance(cell, str) and parse_well(cell) and _is_number(table.text(k, j + 1)):
                raise InputFileError(
                    f"besides a grid, the sheet holds values labelled by well ({cell!r} then "
                    f"{table.text(k, j + 1)}); it is not a plain grid file (name its --format)",
                    table.path,
                    table.where(k, j),
                )


def blocks_frame(
    table: Table, blocks: list[GridBlock], plate_ids: list[str], *, fmt: str
) -> pd.DataFrame:
    """Tidy table of absorbance-like grids (negative values allowed), one plate per block."""
    readings: list[WellValue] = []
    for block, plate in zip(blocks, plate_ids, strict=True):
        for ri, cj, value, where, reason in grid_cells(table, block):
            values = {} if value is None else {C.SIGNAL: value}
            readings.append(WellValue(plate, well_name(ri, cj), where, values, excluded=reason))
    return build_frame(readings, table.path, counts=False, fmt=fmt)


def grid_rows(group: pd.DataFrame, size: int, values: str = C.SIGNAL) -> list[list[str]]:
    """The text cells of one plate's grid: header row then one row per plate row."""
    n_rows, n_cols = PLATE_SHAPES[size]
    cells = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    for i, j, v in zip(group["row_i"], group["col_j"], group[values], strict=True):
        cells[i][j] = format_number(v)
    out = [[""] + [str(c + 1) for c in range(n_cols)]]
    out += [[row_label(i)] + cells[i] for i in range(n_rows)]
    return out


def write_grid_csv(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for k, (plate, group) in enumerate(plate_groups(frame)):
            if k:
                w.writerow([])
            w.writerow([f"Plate {plate}"])
            w.writerows(grid_rows(group, size_of(group, plate_size)))


def write_grid_xlsx(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "plates"
    r = 1
    for plate, group in plate_groups(frame):
        ws.cell(r, 1, f"Plate {plate}")
        r += 1
        size = size_of(group, plate_size)
        n_rows, n_cols = PLATE_SHAPES[size]
        for c in range(n_cols):
            ws.cell(r, c + 2, c + 1)
        for i, j, v in zip(group["row_i"], group["col_j"], group[C.SIGNAL], strict=True):
            ws.cell(r + 1 + i, j + 2, float(v))
        for i in range(n_rows):
            ws.cell(r + 1 + i, 1, row_label(i))
        r += n_rows + 2
    wb.save(path)


#: the plate formats of this module, registered by pdstudy.io.plates
FORMATS = [
    Format(
        name="grid",
        extensions=(".csv", ".tsv", ".xlsx"),
        description=(
            "plate grids in CSV/TSV or XLSX: a 1..12 (1..24, 1..48) header and rows A..H "
            "(..P, ..AF), one block per plate, titled e.g. 'Plate 1' (BMG MARS CSV reads too)"
        ),
        sniff=sniff_grid,
        read=read_grid,
        priority=90,
        writers={"grid_csv": write_grid_csv, "grid_xlsx": write_grid_xlsx},
    ),
]
