"""Plate files of counters and plate readers -> one tidy table, and back.

One front door, :func:`read_plate`, for every format: it reads the first lines
of the file and asks each registered format whether the file is its kind
(most specific formats first), then calls that format's reader. ``format=``
skips the sniffing. :func:`list_plate_formats` lists them:

- counters: ``hidex`` (Hidex 300 SL MikroWin CSV), ``microbeta`` (PerkinElmer
  MicroBeta2 Workstation .txt), ``topcount`` (PerkinElmer TopCount), ``counter``
  (any export with preamble lines and a table with one row per well);
- plate readers: ``gen5`` (BioTek Gen5 text), ``bmg_mars`` (BMG MARS CSV),
  ``bmg_cycles`` (BMG MARS Table All Cycles), ``envision`` (PerkinElmer
  EnVision CSV), ``softmax`` (SoftMax Pro text), ``magellan_list`` and
  ``magellan_kinetic`` (Tecan Magellan), ``skanit_text`` and ``skanit_kinetic``
  (Thermo SkanIt / Multiskan); kinetic files take ``cycle=`` (default: the last);
- generic: ``long`` (CSV/XLSX, one row per well), ``grid`` (CSV/XLSX plate
  grids, several plates per file).

Every reader returns the same tidy long table:

==============  =======  =====================================================
column          dtype    meaning
==============  =======  =====================================================
plate           str      plate id ("1" when the file holds one unnamed plate)
well            str      canonical well name, "A1" (no zero padding)
row             str      row letter(s), "A"
col             int64    column number, 1-based
signal          float64  the measured value: CPM for counters, absorbance...
cpm             float64  counts per minute, when the file has them
dpm             float64  disintegrations per minute, when the file has them
count_time_s    float64  counting time of the well (s), when the file has it
excluded        bool     the well holds a flag (masked ``*0.356*``, ``OVRFLW``,
                         ``MISSED``...) instead of a value: it is not analysed
exclude_reason  str      why ("" for the wells that are analysed)
==============  =======  =====================================================

Rows are ordered by plate (as in the file), row and column. Optional columns
are present only when the file has them, and then have a value for every
well that is not excluded; an excluded well's values are NaN, so that the
rest of the plate can be analysed and the well reported with its reason. Wells that a grid leaves empty were not read and are left
out. ``frame.attrs`` records the ``path`` and ``format`` read.

:func:`write_plate` writes a tidy table in any of the formats, so simulated
plates can be written as an instrument would and read back.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from pdstudy.errors import UsageError

from . import _plate_counters, _plate_grid, _plate_long, _plate_readers, _plate_vendors
from ._plate_frame import check_plate_size, frame_to_write
from ._plate_table import check_file, head_text
from .registry import FormatRegistry
from .wells import PLATE_SHAPES

__all__ = ["read_plate", "write_plate", "list_plate_formats", "PLATE_FORMATS"]

#: the registry of plate file formats (the sniffing order is their priority)
PLATE_FORMATS = FormatRegistry(
    "plate",
    hint=(
        'name the format with --format on the command line, format = "..." in the study '
        "file, or format= in Python"
    ),
)
for _module in (_plate_counters, _plate_vendors, _plate_readers, _plate_long, _plate_grid):
    for _fmt in _module.FORMATS:
        PLATE_FORMATS.register(_fmt)

#: write formats whose signal is a count (negative values refused)
_COUNT_FORMATS = {"microbeta", "topcount", "hidex", "counter_csv"}


def _check_size(plate_size: int | None) -> None:
    if plate_size is not None and plate_size not in PLATE_SHAPES:
        raise UsageError(f"plate_size must be one of {sorted(PLATE_SHAPES)}, not {plate_size!r}")


def read_plate(
    path: str | PathLike[str],
    *,
    format: str = "auto",
    sheet: str | int | None = None,
    plate_size: int | None = None,
    cycle: int | None = None,
) -> pd.DataFrame:
    """Read a plate file of a counter or plate reader into a tidy table.

    Parameters
    ----------
    path
        The file: CSV/TSV/text export or an ``.xlsx`` workbook.
    format
        ``"auto"`` (recognise the file from its content) or a format name from
        :func:`list_plate_formats` (``long``, ``grid``, ``microbeta``,
        ``topcount``, ``hidex``, ``counter``, ``gen5``, ``bmg_mars``; the
        write names ``long_csv``, ``grid_xlsx``... are accepted too).
    sheet
        Sheet name or 0-based index of an Excel workbook (default: the first).
    plate_size
        96, 384 or 1536 to check that every well lies on a plate of that size;
        by default the size is not checked beyond the 1536-well limit.
    cycle
        For kinetic files: the read to use (1-based), by default the last.
        Formats that hold one read per well refuse it.

    Returns
    -------
    pandas.DataFrame
        Columns ``plate, well, row, col, signal`` and, when the file has them,
        ``cpm, dpm, count_time_s`` and ``excluded, exclude_reason`` (see the
        module documentation).

    Raises
    ------
    InputFileError
        The file is missing, empty or malformed; the message names the file
        and the line, cell or well at fault.
    UnknownFormatError
        No format recognises the file (the message lists the formats tried).
    """
    _check_size(plate_size)
    p = Path(path)
    if format == "auto":
        check_file(p)
        fmt = PLATE_FORMATS.sniff(p, head_text(p, sheet))
    else:
        fmt = PLATE_FORMATS.get(format)
    if cycle is not None and "cycle" not in fmt.options:
        raise UsageError(
            f"cycle {cycle!r} was given, but {p.name} is read as {fmt.name!r}, "
            "a format with one read per well (no cycles to choose from)"
        )
    frame = fmt.read(p, sheet=sheet, cycle=cycle) if cycle is not None else fmt.read(p, sheet=sheet)
    if plate_size is not None:
        check_plate_size(frame, plate_size, p)
    return frame


def write_plate(
    frame: pd.DataFrame,
    path: str | PathLike[str],
    format: str,
    *,
    plate_size: int | None = None,
) -> Path:
    """Write a tidy plate table in one of the plate formats.

    Parameters
    ----------
    frame
        Tidy plate table: ``well`` and ``signal`` (or ``cpm``), optionally
        ``plate`` (default "1"), ``cpm``, ``dpm``, ``count_time_s``. Other
        columns are ignored.
    path
        File to write (overwritten).
    format
        ``long_csv``, ``long_xlsx``, ``grid_csv``, ``grid_xlsx``,
        ``microbeta``, ``topcount`` (one plate per file), ``hidex`` or
        ``counter_csv``. Counter formats write ``cpm`` (or ``signal`` when
        there is no ``cpm`` column) as the counts; grids hold ``signal`` only.
    plate_size
        Size of the written grids; by default the smallest standard plate
        (96, 384, 1536) holding each plate's wells.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    _check_size(plate_size)
    _, writer = PLATE_FORMATS.writer(format)
    data = frame_to_write(frame, counts=format in _COUNT_FORMATS)
    p = Path(path)
    writer(data, p, plate_size)
    return p


def list_plate_formats() -> pd.DataFrame:
    """The plate formats pdstudy reads, in the order they are tried.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``description`` and ``writers`` (the ``format=``
        names of :func:`write_plate` that write it, comma separated).
    """
    return PLATE_FORMATS.table()[["name", "description", "writers"]]
