"""The tidy plate table: building it from parsed wells, and checking one to write.

Every reader turns a file into a list of :class:`WellValue` and hands it to
:func:`build_frame`, which does the checks common to all formats (well names,
duplicates, negative counts, columns present for some wells only) so that the
readers only parse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.errors import InputFileError, UsageError

from .wells import describe_plate, in_plate, parse_well, plate_size_for, row_label, well_name

#: value columns a plate table may carry, in output order
VALUE_COLUMNS = (C.SIGNAL, C.CPM, C.DPM, C.COUNT_TIME)
#: columns that hold counts or times and so may never be negative
COUNT_COLUMNS = (C.CPM, C.DPM, C.COUNT_TIME)


@dataclass
class WellValue:
    """One well of one plate as a reader found it."""

    plate: str
    well: str  # as written in the file
    where: str  # location in the file, for messages
    values: dict[str, float] = field(default_factory=dict)
    #: why the well is excluded (a masked or overflowed well): its values are then NaN
    excluded: str | None = None


def plate_id(value: object) -> str:
    """A plate identifier as text: 1.0 -> "1", " P1 " -> "P1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def build_frame(
    readings: Sequence[WellValue], path: Path, *, counts: bool, fmt: str
) -> pd.DataFrame:
    """Validate parsed wells and return the tidy plate table.

    Parameters
    ----------
    readings
        Wells in file order.
    path
        The file, named in errors.
    counts
        Whether ``signal`` holds counts (then it may not be negative).
    fmt
        Format name, recorded in ``frame.attrs["format"]``.
    """
    if not readings:
        raise InputFileError("no well values found", path)
    present = [k for k in VALUE_COLUMNS if any(k in r.values for r in readings)]
    if C.SIGNAL not in present:
        if any(r.excluded for r in readings):
            first = next(r for r in readings if r.excluded)
            raise InputFileError(
                f"no well has a value (every well is flagged, e.g. {first.well}: {first.excluded})",
                path,
            )
        raise InputFileError("no signal values found", path)
    seen: dict[tuple[str, str], str] = {}
    plates: dict[str, int] = {}
    records = []
    for r in readings:
        ij = parse_well(r.well)
        if ij is None:
            raise InputFileError(
                f"{r.well!r} is not a well name (expected e.g. A1 or A01, within a 1536-well plate)",
                path,
                r.where,
            )
        well = well_name(*ij)
        key = (r.plate, well)
        if key in seen:
            raise InputFileError(
                f"duplicate well {well} in plate {r.plate} (also at {seen[key]})", path, r.where
            )
        seen[key] = r.where
        plates.setdefault(r.plate, len(plates))
        if r.excluded:
            records.append(
                (
                    plates[r.plate],
                    ij[0],
                    ij[1],
                    r.plate,
                    well,
                    [math.nan] * len(present),
                    r.excluded,
                )
            )
            continue
        for col in present:
            if col not in r.values:
                other = next(x for x in readings if col in x.values)
                raise InputFileError(
                    f"well {well} has no {col} value, but well {canonical(other.well)} has one",
                    path,
                    r.where,
                )
            v = r.values[col]
            if not math.isfinite(v):
                raise InputFileError(f"well {well}: {col} is not a finite number", path, r.where)
            if v < 0 and (col in COUNT_COLUMNS or counts):
                what = "counting time" if col == C.COUNT_TIME else "count"
                raise InputFileError(f"negative {what} {v:g} in well {well}", path, r.where)
        records.append(
            (plates[r.plate], ij[0], ij[1], r.plate, well, [r.values[c] for c in present], "")
        )
    records.sort(key=lambda t: (t[0], t[1], t[2]))
    frame = pd.DataFrame(
        {
            C.PLATE: pd.Series([t[3] for t in records], dtype="str"),
            C.WELL: pd.Series([t[4] for t in records], dtype="str"),
            C.ROW: pd.Series([row_label(t[1]) for t in records], dtype="str"),
            C.COL: np.array([t[2] + 1 for t in records], dtype=np.int64),
        }
    )
    for k, col in enumerate(present):
        frame[col] = np.array([t[5][k] for t in records], dtype=np.float64)
    if any(t[6] for t in records):
        frame[C.EXCLUDED] = np.array([bool(t[6]) for t in records], dtype=bool)
        frame[C.EXCLUDE_REASON] = pd.Series([t[6] for t in records], dtype="str")
    frame.attrs["path"] = str(path)
    frame.attrs["format"] = fmt
    return frame


def canonical(text: str) -> str:
    ij = parse_well(text)
    return text if ij is None else well_name(*ij)


def check_plate_size(frame: pd.DataFrame, size: int, path: Path | str | None) -> None:
    """Raise when a well of ``frame`` lies outside a plate of ``size`` wells."""
    for plate, well in zip(frame[C.PLATE], frame[C.WELL], strict=True):
        ij = parse_well(well)
        if ij is None or not in_plate(*ij, size):
            raise InputFileError(
                f"well {well} is outside a {describe_plate(size)}", path, f"plate {plate}"
            )


def frame_to_write(frame: pd.DataFrame, *, counts: bool) -> pd.DataFrame:
    """Check and normalise a tidy plate table before writing it.

    ``well`` is required; ``signal`` too unless ``cpm`` is there (then it is
    the signal). ``plate`` defaults to "1". Wells are made canonical and each
    (plate, well) must appear once; value columns must be finite, and not
    negative when ``counts``. Returns a new frame sorted by plate (in order of
    first appearance), row and column, with 0-based ``row_i``/``col_j`` positions.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if C.WELL not in frame.columns:
        raise UsageError("the plate table has no 'well' column")
    if C.SIGNAL not in frame.columns and C.CPM not in frame.columns:
        raise UsageError("the plate table has neither a 'signal' nor a 'cpm' column")
    if len(frame) == 0:
        raise UsageError("the plate table has no rows")
    out = pd.DataFrame(index=range(len(frame)))
    plates = (
        [plate_id(p) for p in frame[C.PLATE]] if C.PLATE in frame.columns else ["1"] * len(frame)
    )
    for p in dict.fromkeys(plates):
        if p == "" or any(ch in p for ch in "\t\r\n"):
            raise UsageError(
                f"plate id {p!r} cannot be written: it is empty or holds a tab/newline"
            )
    out[C.PLATE] = pd.Series(plates, dtype="str")
    ijs = []
    for k, w in enumerate(frame[C.WELL]):
        ij = parse_well(w)
        if ij is None:
            raise UsageError(f"row {k}: {w!r} is not a well name")
        ijs.append(ij)
    out["row_i"] = [ij[0] for ij in ijs]
    out["col_j"] = [ij[1] for ij in ijs]
    out[C.WELL] = [well_name(*ij) for ij in ijs]
    dup = out.duplicated([C.PLATE, C.WELL])
    if dup.any():
        k = int(np.flatnonzero(dup.to_numpy())[0])
        raise UsageError(f"duplicate well {out[C.WELL][k]} in plate {out[C.PLATE][k]}")
    for col in VALUE_COLUMNS:
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise UsageError(
                f"column {col!r}: well {out[C.WELL][k]} of plate {out[C.PLATE][k]} "
                f"has no finite value ({frame[col].iloc[k]!r})"
            )
        neg = values < 0
        if neg.any() and (col in COUNT_COLUMNS or counts):
            k = int(np.flatnonzero(neg)[0])
            raise UsageError(
                f"column {col!r}: negative value {values[k]:g} in well {out[C.WELL][k]} "
                f"of plate {out[C.PLATE][k]}; this format holds counts"
            )
        out[col] = values
    if C.SIGNAL not in out.columns:
        out[C.SIGNAL] = out[C.CPM]
    order = {p: k for k, p in enumerate(dict.fromkeys(out[C.PLATE]))}
    out["plate_k"] = [order[p] for p in out[C.PLATE]]
    out = out.sort_values(["plate_k", "row_i", "col_j"], kind="stable").reset_index(drop=True)
    return out.drop(columns="plate_k")


def plate_groups(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(plate id, its rows) in order of first appearance, for a frame from :func:`frame_to_write`."""
    return [(str(p), g) for p, g in frame.groupby(C.PLATE, sort=False)]


def size_of(group: pd.DataFrame, plate_size: int | None) -> int:
    """Plate size to write: the one given (checked) or the smallest that holds the wells."""
    if plate_size is None:
        return plate_size_for(int(group["row_i"].max()), int(group["col_j"].max()))
    for i, j, well in zip(group["row_i"], group["col_j"], group[C.WELL], strict=True):
        if not in_plate(i, j, plate_size):
            raise UsageError(f"well {well} is outside a {describe_plate(plate_size)}")
    return plate_size


def format_number(value: float) -> str:
    """Shortest text that reads back to the same float ("140" for 140.0)."""
    v = float(value)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)
