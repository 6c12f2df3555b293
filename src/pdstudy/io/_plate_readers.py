"""Plate readers for absorbance and luminescence: BMG LABTECH MARS and BioTek Gen5.

Read-only formats (no writer): exports of real instruments, for protein
assays (Bradford, BCA, Lowry) and other plate-reader measurements.

**BMG MARS CSV**: ``User:``/``Test name:``/``Test run no.:`` header lines,
then one grid per data set titled e.g. ``Raw Data (450)``. A single grid is
plate "1"; several grids (channels, wavelengths) are plates named after
their titles. 1536-well exports label rows 27-32 ``a``-``f``; they become
``AA``-``AF``.

**BioTek Gen5 text export**: ``Software Version``, ``Plate Number``,
``Procedure Details``, a ``Layout`` grid (skipped), then the data: a
``Results`` grid whose lettered rows hold the first data set (the raw read;
further data sets on unlettered rows below are skipped), or one grid per data
set (the first is used). Each grid row ends with the data-set name. Kinetic
reads are refused (they are not one value per well). Flags such
as ``OVRFLW``, ``MISSED`` or ``*0.356*`` are not numbers: those wells are kept
as excluded wells (``excluded``, ``exclude_reason`` naming the flag), and the
rest of the plate is analysed. The plate id comes from ``Plate Number`` ("Plate 1"
-> "1").
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pdstudy.errors import InputFileError

from ._plate_grid import GridBlock, blocks_frame, find_grid_blocks, plate_title
from ._plate_table import Table, load_table
from .registry import Format

_GRID_HEADER = re.compile(r"(^|[\t,;])[ ]*1[ ]*[\t,;][ ]*2[ ]*[\t,;][ ]*3[ ]*[\t,;]", re.MULTILINE)


# --- BMG MARS -----------------------------------------------------------------------


def sniff_bmg(path: Path, head: str) -> bool:
    return (
        bool(re.search(r"^\W*Test name:", head, re.MULTILINE))
        and "Test run no." in head
        and bool(_GRID_HEADER.search(head))
    )


def read_bmg(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    blocks = find_grid_blocks(table)
    if not blocks:
        raise InputFileError("no data grid found after the BMG header", path)
    if len(blocks) == 1:
        ids = ["1"]
    else:
        titles = [b.title or str(n) for n, b in enumerate(blocks, start=1)]
        ids = (
            titles if len(set(titles)) == len(titles) else [str(n + 1) for n in range(len(blocks))]
        )
    return blocks_frame(table, blocks, ids, fmt="bmg_mars")


# --- Gen5 ---------------------------------------------------------------------------


def sniff_gen5(path: Path, head: str) -> bool:
    return bool(re.search(r"^\s*Software Version\b", head, re.MULTILINE)) and bool(
        re.search(r"^\s*(Plate Number|Procedure Details)\b", head, re.MULTILINE)
    )


def _gen5_sections(table: Table) -> list[tuple[str, int, int]]:
    """(plate id, first row, end row) for each ``Plate Number`` section."""
    starts: list[tuple[str, int]] = []
    for i, row in enumerate(table.rows):
        if row and isinstance(row[0], str) and row[0].strip() == "Plate Number":
            name = table.text(i, 1) or str(len(starts) + 1)
            starts.append((plate_title(name) or name, i))
    if not starts:
        return [("1", 0, len(table.rows))]
    ends = [s for _, s in starts[1:]] + [len(table.rows)]
    return [(p, s, e) for (p, s), e in zip(starts, ends, strict=True)]


def read_gen5(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet, delimiter="\t")
    for i, row in enumerate(table.rows):
        if any(isinstance(c, str) and c.strip().lower() == "start kinetic" for c in row):
            raise InputFileError(
                "a kinetic read; pdstudy reads endpoint plates (export the endpoint data, "
                "or a long table of the values to analyse)",
                path,
                table.where(i),
            )
    chosen: list[GridBlock] = []
    ids: list[str] = []
    for plate, start, end in _gen5_sections(table):
        blocks = find_grid_blocks(table, start, end, trailing_label=True, continuation=True)
        data = [b for b in blocks if (b.title or "").strip().lower() != "layout"]
        if not data:
            raise InputFileError(
                f"plate {plate}: no data grid (only a layout)", path, table.where(start)
            )
        chosen.append(data[0])
        ids.append(plate)
    if len(set(ids)) != len(ids):
        ids = [str(n + 1) for n in range(len(ids))]
    return blocks_frame(table, chosen, ids, fmt="gen5")


#: the plate formats of this module, registered by pdstudy.io.plates
FORMATS = [
    Format(
        name="bmg_mars",
        extensions=(".csv",),
        description=(
            "BMG LABTECH MARS CSV export: header lines (Test name, Test run no.), then grids "
            "titled 'Raw Data (450)'; one grid is plate '1'"
        ),
        sniff=sniff_bmg,
        read=read_bmg,
        priority=70,
    ),
    Format(
        name="gen5",
        extensions=(".txt",),
        description=(
            "BioTek Gen5 text export: 'Plate Number', a Layout grid (skipped) and the first "
            "data grid (raw read); OVRFLW, MISSED and masked (*0.356*) cells are excluded "
            "wells with the reason"
        ),
        sniff=sniff_gen5,
        read=read_gen5,
        priority=40,
    ),
]
