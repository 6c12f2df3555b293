"""Loading plate files into a table of cells that every reader can walk.

A delimited text file and an Excel sheet both become a :class:`Table`: a list
of rows of cells (``str``, or ``float`` for numeric Excel cells), with a way to
say where a cell is (``line 12, column 3`` or ``sheet 'Data', cell C12``).
Readers work on tables, so the long and grid readers handle CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from pdstudy.errors import InputFileError, UnknownFormatError

Cell = str | float

#: characters of the head that the sniffers see
HEAD_LINES = 120

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_BAD_NUMBER_WORDS = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


def check_file(path: Path) -> None:
    """Raise :class:`InputFileError` when ``path`` is missing, a folder or empty."""
    if not path.exists():
        raise InputFileError("no such file", path)
    if not path.is_file():
        raise InputFileError("is not a file", path)
    if path.stat().st_size == 0:
        raise InputFileError("file is empty", path)


def is_xlsx(path: Path) -> bool:
    """Whether ``path`` is an Excel 2007+ workbook (a zip archive), by content."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == _OLE_MAGIC:
        raise UnknownFormatError(
            "is an old binary Excel file (.xls); save it as .xlsx or CSV and read that", path
        )
    return magic == _XLSX_MAGIC


def read_text(path: Path) -> str:
    """Decode a text file: BOM-marked UTF-8/UTF-16, else UTF-8, else Latin-1."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="replace")
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    if not text.strip():
        raise InputFileError("file is empty (only blank lines)", path)
    return text


def split_lines(text: str) -> list[str]:
    """Split on any newline convention, keeping line numbering (1-based = index + 1)."""
    return text.splitlines()


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter used in most lines: tab, then semicolon, then comma on ties."""
    best, best_count = ",", 0
    for cand in ("\t", ";", ","):
        count = sum(1 for line in lines if cand in line)
        if count > best_count:
            best, best_count = cand, count
    return best


@dataclass
class Table:
    """Rows of cells from one file (or one sheet), with their locations."""

    path: Path
    rows: list[list[Cell]]
    sheet: str | None = None
    delimiter: str | None = None
    #: number of cells each text line had before trailing empty cells were cut
    widths: list[int] = field(default_factory=list)

    @property
    def is_text(self) -> bool:
        return self.sheet is None

    def where(self, i: int, j: int | None = None) -> str:
        """Location of row ``i`` (0-based) and optionally cell ``j`` in the file."""
        if self.sheet is None:
            return f"line {i + 1}" if j is None else f"line {i + 1}, column {j + 1}"
        from openpyxl.utils import get_column_letter

        if j is None:
            return f"sheet '{self.sheet}', row {i + 1}"
        return f"sheet '{self.sheet}', cell {get_column_letter(j + 1)}{i + 1}"

    def cell(self, i: int, j: int) -> Cell:
        row = self.rows[i]
        return row[j] if 0 <= j < len(row) else ""

    def text(self, i: int, j: int) -> str:
        """Cell as text ("" when empty); numbers without a needless ".0"."""
        return cell_text(self.cell(i, j))

    def is_blank(self, i: int) -> bool:
        return all(cell_text(c) == "" for c in self.rows[i])

    def nonempty(self, i: int) -> list[tuple[int, Cell]]:
        return [(j, c) for j, c in enumerate(self.rows[i]) if cell_text(c) != ""]


def cell_text(cell: Cell) -> str:
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    return cell


def to_number(cell: Cell, decimal_comma: bool = False) -> float | None:
    """A cell as a finite float; None when empty; ValueError when not a number."""
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise ValueError(cell)
        return cell
    text = cell.strip()
    if text == "":
        return None
    if text.lower() in _BAD_NUMBER_WORDS:
        raise ValueError(text)
    if decimal_comma and _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    value = float(text)  # raises ValueError
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def text_table(path: Path, text: str, delimiter: str | None = None) -> Table:
    """Split decoded text into a :class:`Table` (one row per physical line)."""
    lines = split_lines(text)
    if delimiter is None:
        delimiter = sniff_delimiter(lines[:HEAD_LINES])
    rows: list[list[Cell]] = []
    widths: list[int] = []
    for line in lines:
        cells = next(csv.reader([line], delimiter=delimiter), []) if line.strip() else []
        widths.append(len(cells))
        stripped: list[Cell] = [c.strip() for c in cells]
        while stripped and stripped[-1] == "":
            stripped.pop()
        rows.append(stripped)
    return Table(path, rows, sheet=None, delimiter=delimiter, widths=widths)


def xlsx_table(path: Path, sheet: str | int | None) -> Table:
    """One sheet of a workbook as a :class:`Table` (first sheet by default)."""
    import openpyxl

    try:
        # A file object, so that openpyxl does not judge the file by its extension.
        with path.open("rb") as fh:
            wb = openpyxl.load_workbook(fh, read_only=False, data_only=True)
    except Exception as exc:  # zip or XML damage
        raise InputFileError(f"cannot open the Excel workbook ({exc})", path) from exc
    names = wb.sheetnames
    if sheet is None:
        ws = wb.worksheets[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputFileError(
                f"sheet index {sheet} out of range; the workbook has {len(names)} sheet(s): "
                + ", ".join(repr(n) for n in names),
                path,
            )
        ws = wb.worksheets[sheet]
    else:
        if sheet not in names:
            raise InputFileError(
                f"no sheet named {sheet!r}; sheets: " + ", ".join(repr(n) for n in names), path
            )
        ws = wb[sheet]
    rows: list[list[Cell]] = []
    for values in ws.iter_rows(values_only=True):
        cells: list[Cell] = []
        for v in values:
            if v is None:
                cells.append("")
            elif isinstance(v, bool):
                cells.append(str(v))
            elif isinstance(v, (int, float)):
                cells.append(float(v))
            else:
                cells.append(str(v).strip())
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    if not any(rows):
        raise InputFileError(f"sheet '{ws.title}' is empty", path)
    return Table(path, rows, sheet=ws.title)


def load_table(path: Path, sheet: str | int | None = None, delimiter: str | None = None) -> Table:
    """Load a text or Excel file into a :class:`Table`."""
    check_file(path)
    if is_xlsx(path):
        return xlsx_table(path, sheet)
    if sheet is not None:
        raise InputFileError(
            f"sheet={sheet!r} was given but the file is not an Excel workbook", path
        )
    return text_table(path, read_text(path), delimiter)


def head_text(path: Path, sheet: str | int | None = None) -> str:
    """The first lines of a file as text, for the sniffers (Excel rows tab-joined)."""
    if is_xlsx(path):
        table = xlsx_table(path, sheet)
        return "\n".join("\t".join(cell_text(c) for c in row) for row in table.rows[:HEAD_LINES])
    return "\n".join(split_lines(read_text(path))[:HEAD_LINES])
