"""Text exports of chromatograms.

- ``shimadzu_ascii``: Shimadzu LabSolutions ASCII export: ``[Header]``,
  ``[Sample Information]``... sections of ``key,value`` lines, then an
  ``[LC Chromatogram(...)]`` section whose ``Intensity Multiplier`` scales the
  integer intensities and whose table starts after ``R.Time (min),Intensity``.
- ``chromeleon_text``: Thermo Chromeleon text export: ``key<TAB>value`` lines
  in sections (``Injection Information:``, ``Signal Parameter Information:``...),
  then ``Raw Data:`` and a table ``Time (min)  Step (s)  Value (mV)``, tab or
  semicolon separated, decimal point or comma.
- ``two_column``: any CSV/TSV with two numeric columns (time, signal), with or
  without a header. The time unit is the header's (``time_min``,
  ``time (s)``, ``Time [min]``); a header without a unit (``time``) or no
  header means minutes, the chromatography convention, unless ``time_unit``
  says otherwise.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from pdstudy.errors import InputFileError, UsageError

from ._chrom_model import Chromatogram, check_trace
from ._plate_table import read_text, sniff_delimiter
from .registry import Format

__all__ = ["FORMATS", "read_two_column", "write_two_column"]

_TIME_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "seconds": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minutes": 60.0,
    "minute": 60.0,
    "ms": 1e-3,
    "msec": 1e-3,
    "h": 3600.0,
}
_UNIT_IN_NAME = re.compile(
    r"^\s*(?:r\.?\s*)?(?:ret(?:ention)?\.?\s*)?time\s*(?:[_ ]?\(([^)]*)\)|\s*\[([^\]]*)\]|_(\w+))?\s*$",
    re.I,
)
_LAYOUT_BYTES = 8192
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


def _head_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def _number(text: str, comma: bool) -> float:
    text = text.strip()
    if comma:
        text = (
            text.replace(".", "").replace(",", ".")
            if text.count(",") == 1 and text.count(".")
            else text.replace(",", ".")
        )
    return float(text)


def time_factor(unit: str, path: Path, where: str) -> float:
    """Seconds per unit of a time-unit name (``min``, ``s``...)."""
    key = unit.strip().lower()
    if key not in _TIME_UNITS:
        raise InputFileError(f"unknown time unit {unit!r} (use s or min)", path, where)
    return _TIME_UNITS[key]


def _parse_block(
    lines: list[str],
    start: int,
    delimiter: str,
    path: Path,
    where: str,
    *,
    time_col: int = 0,
    signal_col: int = 1,
    comma: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric rows from ``lines[start:]`` up to the first blank line or the end."""
    if not comma:
        fast = _fast_block(lines, start, delimiter, time_col, signal_col)
        if fast is not None:
            return fast
    times: list[float] = []
    values: list[float] = []
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if not line:
            if times:
                break
            continue
        cells = [c.strip() for c in line.split(delimiter)]
        if line.startswith("["):
            break
        try:
            times.append(_number(cells[time_col], comma))
            values.append(_number(cells[signal_col], comma))
        except (ValueError, IndexError):
            raise InputFileError(
                f"expected numbers in columns {time_col + 1} and {signal_col + 1}, got {line[:60]!r}",
                path,
                f"{where}, line {i + 1}",
            ) from None
    if not times:
        raise InputFileError("no numeric data block", path, where)
    return np.asarray(times), np.asarray(values)


def _fast_block(
    lines: list[str], start: int, delimiter: str, time_col: int, signal_col: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The block read by :func:`numpy.loadtxt`, or None (then the careful reader names the line)."""

    def load(block: list[str]) -> np.ndarray:
        return np.loadtxt(
            io.StringIO("\n".join(block)),
            delimiter=delimiter,
            usecols=(time_col, signal_col),
            ndmin=2,
            dtype=float,
        )

    try:  # the usual file: the block runs to the end
        data = load(lines[start:])
    except ValueError:
        i = start
        while i < len(lines) and not lines[i].strip():
            i += 1
        end = i
        while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("["):
            end += 1
        if end == i:
            return None
        try:
            data = load(lines[i:end])
        except ValueError:
            return None
    if data.shape[0] == 0:
        return None
    return data[:, 0], data[:, 1]


# --- two-column CSV/TSV -------------------------------------------------------------------


def _two_column_layout(lines: list[str]) -> tuple[str, int, str | None, str | None, bool] | None:
    """(delimiter, first data line index, time header, signal header, decimal comma) or None."""
    body = [ln for ln in lines if ln.strip()]
    if not body:
        return None
    delim = sniff_delimiter(body[:50])
    first = next(i for i, ln in enumerate(lines) if ln.strip())
    cells = [c.strip() for c in lines[first].split(delim)]
    if len(cells) != 2:
        return None
    header: tuple[str | None, str | None] = (None, None)
    data_start = first
    if not all(_NUMBER.match(c) for c in cells):
        if not _UNIT_IN_NAME.match(cells[0]):
            return None
        header = (cells[0], cells[1])
        data_start = first + 1
    sample = [ln for ln in lines[data_start : data_start + 20] if ln.strip()]
    if not sample:
        return None
    comma = delim != "," and any("," in ln for ln in sample)
    for ln in sample:
        parts = ln.split(delim)
        if len(parts) != 2 or not all(_NUMBER.match(p) for p in parts):
            return None
    return delim, data_start, header[0], header[1], comma


def _sniff_two_column(path: Path, head: bytes) -> bool:
    lines = _head_text(head).splitlines()[:-1] or _head_text(head).splitlines()
    return _two_column_layout(lines) is not None


def _fast_two_column(raw: bytes, start: int, delim: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The numeric block of a plain (UTF-8, decimal point) two-column file by pandas' C parser.

    None when anything is unusual (a third cell, a non-number, an empty cell, text
    after the block): then the line-by-line reader parses the file and names the
    line at fault.
    """
    import pandas as pd

    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep=delim,
            header=None,
            skiprows=start,
            names=["t", "y"],
            dtype=np.float64,
            engine="c",
            skip_blank_lines=True,
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    t = frame["t"].to_numpy()
    y = frame["y"].to_numpy()
    if t.size == 0 or np.isnan(t).any() or np.isnan(y).any():
        return None
    return t, y


def read_two_column(path: Path, *, time_unit: str | None = None) -> Chromatogram:
    """Read a two-column (time, signal) CSV/TSV; see the module notes for the time unit."""
    raw = path.read_bytes()
    plain = not raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    if plain:
        head = raw[:_LAYOUT_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
        lines = head.splitlines()
        if len(raw) > _LAYOUT_BYTES:
            lines = lines[:-1]  # the last line of the head may be cut
        if not head.strip():
            lines = read_text(path).splitlines()  # raises: empty file
    else:
        lines = read_text(path).splitlines()
    layout = _two_column_layout(lines)
    if layout is None:
        raise InputFileError("no two-column numeric block (time, signal)", path)
    delim, start, time_name, signal_name, comma = layout
    unit = None
    if time_name is not None:
        m = _UNIT_IN_NAME.match(time_name)
        unit = next((g for g in m.groups() if g), None) if m else None
    if (
        unit is not None
        and time_unit is not None
        and time_factor(unit, path, "line 1") != time_factor(time_unit, path, "time_unit")
    ):
        raise UsageError(
            f"time_unit={time_unit!r} contradicts the header's unit {unit!r}", path, "line 1"
        )
    factor = time_factor(unit or time_unit or "min", path, "line 1")
    fast = _fast_two_column(raw, start, delim) if plain and not comma else None
    if fast is None:
        lines = read_text(path).splitlines()
        fast = _parse_block(lines, start, delim, path, "data", comma=comma)
    t, y = fast
    time_s = t * factor
    check_trace(time_s, y, path, "data", first_line=start + 1)
    signal_unit = ""
    if signal_name:
        m2 = re.search(r"[\(\[]([^)\]]*)[\)\]]|_(\w+)$", signal_name)
        signal_unit = next((g for g in m2.groups() if g), "") if m2 else ""
    meta = {
        "time_unit": unit or time_unit or "min",
        "time_header": time_name,
        "signal_header": signal_name,
    }
    return Chromatogram(time_s, y, path, "two_column", signal_unit, meta)


def write_two_column(
    time_s: np.ndarray,
    signal: np.ndarray,
    path: Path,
    *,
    signal_unit: str = "nA",
    time_unit: str = "min",
) -> None:
    """Write ``time_<unit>,signal_<unit>`` CSV (time in minutes by default)."""
    factor = {"min": 60.0, "s": 1.0}[time_unit]
    t = np.asarray(time_s, dtype=float) / factor
    data = np.column_stack([t, np.asarray(signal, dtype=float)])
    np.savetxt(
        path,
        data,
        fmt=("%.6f", "%.7g"),
        delimiter=",",
        header=f"time_{time_unit},signal_{signal_unit}",
        comments="",
    )


# --- Shimadzu LabSolutions ASCII ----------------------------------------------------------


def _sniff_shimadzu(path: Path, head: bytes) -> bool:
    text = _head_text(head)
    return text.lstrip().startswith("[Header]") and "LabSolutions" in text[:400]


def read_shimadzu(path: Path, *, channel: str | None = None) -> Chromatogram:
    """Read a LabSolutions ASCII export: the first ``[LC Chromatogram(...)]`` (or ``channel``)."""
    lines = read_text(path).splitlines()
    meta: dict[str, object] = {}
    section = ""
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1]
            if section.startswith("LC Chromatogram") and (channel is None or channel in section):
                return _shimadzu_trace(lines, i, section, path, meta)
            continue
        if "," in s and section in (
            "Header",
            "File Information",
            "Sample Information",
            "Configuration",
            "Original Files",
        ):
            key, _, value = s.partition(",")
            meta[key.strip()] = value.strip()
    raise InputFileError(
        "no [LC Chromatogram(...)] section" + (f" for channel {channel!r}" if channel else ""), path
    )


def _shimadzu_trace(
    lines: list[str], i0: int, section: str, path: Path, meta: dict[str, object]
) -> Chromatogram:
    where = f"section [{section}]"
    info: dict[str, str] = {}
    for j in range(i0 + 1, len(lines)):
        s = lines[j].strip()
        if s.lower().startswith("r.time"):
            header = [c.strip() for c in s.split(",")]
            unit_m = re.search(r"\(([^)]*)\)", header[0])
            factor = time_factor(
                unit_m.group(1) if unit_m else "min", path, f"{where}, line {j + 1}"
            )
            t, y = _parse_block(lines, j + 1, ",", path, where)
            try:
                mult = float(info.get("Intensity Multiplier", "1"))
            except ValueError:
                raise InputFileError("Intensity Multiplier is not a number", path, where) from None
            time_s = t * factor
            check_trace(time_s, y, path, where, first_line=j + 2)
            meta = dict(meta)
            meta.update({f"{section}: {k}": v for k, v in info.items()})
            meta["channel"] = section
            unit = info.get("Intensity Units", "")
            return Chromatogram(time_s, y * mult, path, "shimadzu_ascii", unit, meta)
        if "," in s:
            key, _, value = s.partition(",")
            info[key.strip()] = value.strip()
    raise InputFileError("no 'R.Time (min),Intensity' table", path, where)


# --- Chromeleon text export ---------------------------------------------------------------


def _sniff_chromeleon(path: Path, head: bytes) -> bool:
    if b"Data:" not in head and "Data:".encode("utf-16-le") not in head:
        return False  # a cheap test first: most files are not Chromeleon exports
    lines = [ln.strip() for ln in _head_text(head).splitlines()]
    return any(ln.rstrip(";\t") in ("Raw Data:", "Chromatogram Data:") for ln in lines) and any(
        ln.rstrip(";\t").endswith("Information:") for ln in lines
    )


def read_chromeleon(path: Path) -> Chromatogram:
    """Read a Chromeleon text export (``Raw Data:`` table after key/value sections)."""
    lines = read_text(path).splitlines()
    delim = sniff_delimiter(lines[:80])
    meta: dict[str, object] = {}
    for i, line in enumerate(lines):
        s = line.strip().rstrip(delim)
        if s in ("Raw Data:", "Chromatogram Data:"):
            header_i = next((k for k in range(i + 1, len(lines)) if lines[k].strip()), None)
            if header_i is None:
                break
            header = [c.strip() for c in lines[header_i].split(delim)]
            lower = [h.lower() for h in header]
            t_col = next((k for k, h in enumerate(lower) if h.startswith("time")), None)
            v_col = next((k for k, h in enumerate(lower) if h.startswith("value")), None)
            if t_col is None or v_col is None:
                raise InputFileError(
                    "expected 'Time (...)' and 'Value (...)' columns", path, f"line {header_i + 1}"
                )
            unit_t = re.search(r"\(([^)]*)\)", header[t_col])
            factor = time_factor(unit_t.group(1) if unit_t else "min", path, f"line {header_i + 1}")
            unit_v = re.search(r"\(([^)]*)\)", header[v_col])
            sample = next((ln for ln in lines[header_i + 1 : header_i + 5] if ln.strip()), "")
            comma = delim != "," and "," in sample
            t, y = _parse_block(
                lines,
                header_i + 1,
                delim,
                path,
                "Raw Data",
                time_col=t_col,
                signal_col=v_col,
                comma=comma,
            )
            time_s = t * factor
            check_trace(time_s, y, path, "Raw Data", first_line=header_i + 2)
            return Chromatogram(
                time_s, y, path, "chromeleon_text", unit_v.group(1) if unit_v else "", meta
            )
        cells = [c.strip() for c in line.split(delim)]
        if len(cells) >= 2 and cells[0] and cells[1]:
            meta[cells[0]] = cells[1]
    raise InputFileError("no 'Raw Data:' table", path)


FORMATS = [
    Format(
        name="shimadzu_ascii",
        description="Shimadzu LabSolutions ASCII export ([Header] ... [LC Chromatogram(...)])",
        sniff=_sniff_shimadzu,
        read=read_shimadzu,
        extensions=(".txt",),
        priority=20,
    ),
    Format(
        name="chromeleon_text",
        description="Chromeleon text export (key/value sections, then 'Raw Data:'; tab or ';', decimal comma)",
        sniff=_sniff_chromeleon,
        read=read_chromeleon,
        extensions=(".txt", ".csv"),
        priority=30,
    ),
    Format(
        name="two_column",
        description="two-column CSV/TSV (time, signal), header optional; time in min unless the header says",
        sniff=_sniff_two_column,
        read=read_two_column,
        extensions=(".csv", ".tsv", ".txt"),
        priority=90,
        writers={"two_column": write_two_column},
    ),
]
