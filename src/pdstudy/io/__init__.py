"""Readers and writers of file formats, returning pdstudy's tidy tables.

Plates (counters and plate readers): :func:`read_plate`, :func:`write_plate`,
:func:`list_plate_formats`. Plate layouts (wellmap TOML): :func:`read_layout`,
:func:`write_layout`, :func:`merge_layout`. Chromatograms (ANDI netCDF, text exports):
:func:`read_chromatogram`, :func:`write_chromatogram`, :func:`list_chromatogram_formats`.

Every data kind keeps its formats in one :class:`pdstudy.io.registry.FormatRegistry`
(plates: ``pdstudy.io.plates.PLATE_FORMATS``); well names and plate geometry are
in :mod:`pdstudy.io.wells`.

The names are imported on first use (a module of this package, such as
:mod:`pdstudy.io.videos`, does not import the others and their dependencies).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chromatograms import list_chromatogram_formats, read_chromatogram, write_chromatogram
    from .layout import merge_layout, read_layout, write_layout
    from .plates import list_plate_formats, read_plate, write_plate

_HOMES = {
    "list_chromatogram_formats": "chromatograms",
    "read_chromatogram": "chromatograms",
    "write_chromatogram": "chromatograms",
    "merge_layout": "layout",
    "read_layout": "layout",
    "write_layout": "layout",
    "list_plate_formats": "plates",
    "read_plate": "plates",
    "write_plate": "plates",
}

__all__ = [
    "list_chromatogram_formats",
    "read_chromatogram",
    "write_chromatogram",
    "list_plate_formats",
    "merge_layout",
    "read_layout",
    "read_plate",
    "write_layout",
    "write_plate",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"pdstudy.io.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'pdstudy.io' has no attribute {name!r}")
