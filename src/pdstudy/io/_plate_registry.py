"""The registry of plate formats: each reader module adds itself here.

A format is a name, a description, a ``sniff(path, head_text) -> bool`` that
says whether a file is of this kind (from its first lines), a
``read(path, sheet=None) -> DataFrame`` and optionally writers. ``read_plate``
asks the sniffers in order of ``priority`` (most specific first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

Sniffer = Callable[[Path, str], bool]
Reader = Callable[..., pd.DataFrame]
Writer = Callable[[pd.DataFrame, Path, "int | None"], None]


@dataclass(frozen=True)
class PlateFormat:
    """One plate file format pdstudy reads (and possibly writes)."""

    name: str
    description: str
    sniff: Sniffer
    read: Reader
    priority: int
    #: write-format name -> writer(frame, path, plate_size)
    writers: dict[str, Writer] = field(default_factory=dict)


PLATE_FORMATS: dict[str, PlateFormat] = {}


def register_plate_format(fmt: PlateFormat) -> PlateFormat:
    """Add a format to :data:`PLATE_FORMATS` (names are unique)."""
    if fmt.name in PLATE_FORMATS:
        raise ValueError(f"plate format {fmt.name!r} is registered twice")
    PLATE_FORMATS[fmt.name] = fmt
    return fmt


def formats_by_priority() -> list[PlateFormat]:
    return sorted(PLATE_FORMATS.values(), key=lambda f: f.priority)
