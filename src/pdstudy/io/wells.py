"""Well names and plate geometry: the one module that knows them.

Used by the plate readers and writers, the layouts, ``pdstudy.design`` (plate
maps) and ``pdstudy.simulate``.

Canonical well names are a row label and a 1-based column without zero
padding: ``"A1"``, ``"P24"``, ``"AF48"``. Rows run A..Z then AA..AF (1536-well
plates have 32 rows). Input is accepted case-insensitively and zero padded
(``"a01"``, ``"B007"``). :func:`parse_well` returns None for a text that is
not a well name; :func:`require_well` raises a
:class:`~pdstudy.errors.LayoutError` naming it.
"""

from __future__ import annotations

import re
from os import PathLike

from pdstudy.errors import LayoutError

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "PLATE_SHAPES",
    "SIZE_BY_COLUMNS",
    "STANDARD_PLATES",
    "canonical_well",
    "describe_plate",
    "in_plate",
    "parse_well",
    "plate_size_for",
    "require_well",
    "row_index",
    "row_label",
    "well_name",
]

#: every standard plate: size (number of wells) -> (rows, columns)
STANDARD_PLATES: dict[int, tuple[int, int]] = {
    6: (2, 3),
    12: (3, 4),
    24: (4, 6),
    48: (6, 8),
    96: (8, 12),
    384: (16, 24),
    1536: (32, 48),
}

#: the plate sizes of instrument files (readers and writers): size -> (rows, columns)
PLATE_SHAPES: dict[int, tuple[int, int]] = {s: STANDARD_PLATES[s] for s in (96, 384, 1536)}

#: columns of a grid -> plate size
SIZE_BY_COLUMNS: dict[int, int] = {cols: size for size, (_, cols) in PLATE_SHAPES.items()}

MAX_ROWS, MAX_COLS = PLATE_SHAPES[1536]

_WELL_RE = re.compile(r"^([A-Za-z]{1,2})0*(\d{1,3})$")


def row_label(i: int) -> str:
    """Row label of the 0-based row index ``i``: 0 -> "A", 25 -> "Z", 26 -> "AA"."""
    if i < 26:
        return chr(ord("A") + i)
    return "A" + chr(ord("A") + i - 26)


def row_index(label: str) -> int | None:
    """0-based index of a row label ("A" -> 0, "AF" -> 31); None if it is not one."""
    label = label.strip().upper()
    if len(label) == 1 and "A" <= label <= "Z":
        return ord(label) - ord("A")
    if len(label) == 2 and label[0] == "A" and "A" <= label[1] <= "F":
        return 26 + ord(label[1]) - ord("A")
    return None


def parse_well(text: object) -> tuple[int, int] | None:
    """0-based (row, column) of a well name such as "A1", "a01" or "AF48".

    Returns None when ``text`` is not a well name or lies outside a 1536-well
    plate, the largest plate pdstudy knows.
    """
    if not isinstance(text, str):
        return None
    m = _WELL_RE.match(text.strip())
    if not m:
        return None
    i = row_index(m.group(1))
    j = int(m.group(2)) - 1
    if i is None or not 0 <= j < MAX_COLS:
        return None
    return i, j


def require_well(
    text: object, *, path: str | PathLike[str] | None = None, where: str | None = None
) -> tuple[int, int]:
    """0-based (row, column) of a well name, like :func:`parse_well`.

    Raises
    ------
    LayoutError
        ``text`` is not a well name (of a plate of at most 1536 wells); the
        message names ``path`` and ``where`` (default: the well).
    """
    ij = parse_well(text)
    if ij is None:
        raise LayoutError(
            f"{text!r} is not a well name like 'A1'",
            path,
            where if where is not None else f"well {text!r}",
        )
    return ij


def well_name(i: int, j: int) -> str:
    """Canonical well name of 0-based (row, column)."""
    return f"{row_label(i)}{j + 1}"


def canonical_well(text: object) -> str | None:
    """Canonical name ("A1") of a well written in any accepted way, or None."""
    ij = parse_well(text)
    return None if ij is None else well_name(*ij)


def plate_size_for(max_row: int, max_col: int) -> int:
    """Smallest standard plate holding 0-based row ``max_row`` and column ``max_col``."""
    for size, (rows, cols) in PLATE_SHAPES.items():
        if max_row < rows and max_col < cols:
            return size
    raise ValueError(f"row {max_row + 1}, column {max_col + 1} lies outside a 1536-well plate")


def describe_plate(size: int) -> str:
    """Human description of a plate size: "96-well plate (rows A-H, columns 1-12)"."""
    rows, cols = PLATE_SHAPES[size]
    return f"{size}-well plate (rows A-{row_label(rows - 1)}, columns 1-{cols})"


def in_plate(i: int, j: int, size: int) -> bool:
    """Whether 0-based (row, column) lies on a plate of ``size`` wells."""
    rows, cols = PLATE_SHAPES[size]
    return 0 <= i < rows and 0 <= j < cols
