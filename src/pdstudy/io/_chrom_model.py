"""The chromatogram every chromatography reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.errors import InputFileError

__all__ = ["Chromatogram", "check_trace"]


@dataclass(frozen=True, eq=False)
class Chromatogram:
    """One detector trace: times in seconds, the signal in the file's unit.

    ``metadata`` holds what the file says about the run (sample name, detector,
    injection time...), as text or numbers; ``peaks`` the peaks the vendor's
    software integrated when the file has them (columns ``rt_s``, ``area``,
    ``height``, ``name``, ``start_s``, ``end_s``; NaN where the file has a null
    marker), else None.
    """

    time_s: np.ndarray
    signal: np.ndarray
    path: Path
    format: str
    signal_unit: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    peaks: pd.DataFrame | None = None

    @property
    def n_points(self) -> int:
        return int(self.time_s.size)

    @property
    def sampling_interval_s(self) -> float:
        """The median time step (s)."""
        return float(np.median(np.diff(self.time_s))) if self.time_s.size > 1 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The trace as a table with columns ``time_s`` and ``signal``."""
        frame = pd.DataFrame({"time_s": self.time_s, "signal": self.signal})
        frame.attrs.update({"path": str(self.path), "format": self.format})
        return frame


def check_trace(
    time_s: np.ndarray, signal: np.ndarray, path: Path, where: str, first_line: int | None = None
) -> None:
    """Raise :class:`InputFileError` unless the trace is usable.

    ``where`` names the place in messages (a variable, a section);
    ``first_line`` (1-based) turns point indices into file lines for text files.
    """
    if time_s.size < 3:
        raise InputFileError(
            f"only {time_s.size} data point(s); a chromatogram needs 3 or more", path, where
        )
    if time_s.size != signal.size:
        raise InputFileError(f"{time_s.size} times but {signal.size} signal values", path, where)
    bad = np.flatnonzero(~np.isfinite(signal) | ~np.isfinite(time_s))
    if bad.size:
        i = int(bad[0])
        place = f"line {first_line + i}" if first_line is not None else f"point {i}"
        raise InputFileError(f"{place}: value is not a finite number", path, where)
    steps = np.diff(time_s)
    back = np.flatnonzero(steps <= 0)
    if back.size:
        i = int(back[0]) + 1
        place = f"line {first_line + i}" if first_line is not None else f"point {i}"
        raise InputFileError(
            f"{place}: time is not increasing ({time_s[i - 1]:g} then {time_s[i]:g} s)", path, where
        )
