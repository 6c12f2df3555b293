"""Chromatogram files -> :class:`Chromatogram` (times in s, signal, metadata).

One front door, :func:`read_chromatogram`, recognises the format from the
content (:data:`CHROMATOGRAM_FORMATS`, :func:`list_chromatogram_formats`):

- ``andi``: ANDI/AIA netCDF (.cdf), with the vendor's integrated peaks;
- ``shimadzu_ascii``: Shimadzu LabSolutions ASCII export;
- ``chromeleon_text``: Chromeleon text export (tab or semicolon, decimal comma);
- ``two_column``: CSV/TSV of time and signal, header optional.

:func:`read_sequence` reads the sequence table of a batch (one row per
injection) and :func:`read_method` the HPLC method file (TOML: analyte windows,
sampling, processing settings).

:func:`write_chromatogram` writes ``andi`` or ``two_column``, so simulated
runs are written as an instrument would write them and read back.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.errors import InputFileError

from . import _chrom_andi, _chrom_text
from ._chrom_model import Chromatogram
from ._chrom_sequence import PROCESSING_KEYS, HplcMethod, Sequence, read_method, read_sequence
from ._plate_table import check_file
from .registry import FormatRegistry

__all__ = [
    "CHROMATOGRAM_FORMATS",
    "PROCESSING_KEYS",
    "Chromatogram",
    "HplcMethod",
    "Sequence",
    "read_method",
    "read_sequence",
    "list_chromatogram_formats",
    "read_chromatogram",
    "write_chromatogram",
]

#: the registry of chromatogram formats (the sniffing order is their priority)
CHROMATOGRAM_FORMATS = FormatRegistry(
    "chromatogram", hint="pass format= to force one; see list_chromatogram_formats()"
)
for _module in (_chrom_andi, _chrom_text):
    for _fmt in _module.FORMATS:
        CHROMATOGRAM_FORMATS.register(_fmt)

_HEAD_BYTES = 8192


def read_chromatogram(
    path: str | PathLike[str], *, format: str = "auto", time_unit: str | None = None
) -> Chromatogram:
    """Read one chromatogram file.

    Parameters
    ----------
    path
        The file.
    format
        ``"auto"`` (sniff the content) or a name of :func:`list_chromatogram_formats`.
    time_unit
        For ``two_column`` files whose header has no time unit (or no header):
        ``"min"`` (the default) or ``"s"``.

    Raises
    ------
    InputFileError
        Missing, empty, truncated or malformed files, naming the place at fault.
    UnknownFormatError
        No format recognises the content.
    """
    p = Path(path)
    check_file(p)
    if format == "auto":
        with p.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
        fmt = CHROMATOGRAM_FORMATS.sniff(p, head)
    else:
        fmt = CHROMATOGRAM_FORMATS.get(format)
    options: dict[str, Any] = {}
    if time_unit is not None and fmt.name == "two_column":  # the other formats state their unit
        options["time_unit"] = time_unit
    result = fmt.read(p, **options)
    if not isinstance(result, Chromatogram):  # pragma: no cover - registry misuse
        raise InputFileError("reader returned no chromatogram", p)
    return result


def write_chromatogram(
    time_s: np.ndarray,
    signal: np.ndarray,
    path: str | PathLike[str],
    *,
    format: str = "two_column",
    **options: Any,
) -> Path:
    """Write a trace in ``format`` (``two_column`` or ``andi``); returns the path."""
    p = Path(path)
    _fmt, writer = CHROMATOGRAM_FORMATS.writer(format)
    writer(np.asarray(time_s, dtype=float), np.asarray(signal, dtype=float), p, **options)
    return p


def list_chromatogram_formats() -> pd.DataFrame:
    """The chromatogram formats in sniffing order (name, description, extensions, writers)."""
    return CHROMATOGRAM_FORMATS.table()
