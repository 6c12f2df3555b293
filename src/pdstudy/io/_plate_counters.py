"""Scintillation counter exports: PerkinElmer MicroBeta2 and TopCount, Hidex 300 SL.

No real MicroBeta or TopCount export could be shared with the project; these
readers follow the layouts public parsers describe, and the writers produce
exactly the layout the readers expect.

**MicroBeta2 Workstation .txt** (tab separated)::

    RUN INFORMATION:
    Instrument:<tab>MicroBeta2
    ...
    COLUMNS:
    SAMPLE<tab>POS<tab>CCPM1<tab>CCPM1%

    Plate 1
    CCPM1
        1	2	...	12
    A	812	790	...
    ...
    End of plate 1

    Total count rate:	123456

Each plate section holds one grid per data item, each under its label:
``CCPM1`` (corrected CPM: the signal and ``cpm``), ``CPM1`` (used when there
is no CCPM grid), ``DPM1`` (``dpm``), ``CTIME`` (counting time in seconds;
"(min)" in the label means minutes); others (``CCPM1%``) are skipped. A
``Counting time`` line under RUN INFORMATION gives one time for every well.
A file without plate sections is read from the rows under ``COLUMNS:``
(``SAMPLE POS CCPM1 ...``, one row per well).

**TopCount** (one file per read: ``PLATE.001``, ...): a grid of counts (CPM)
then a same-shaped grid of counting times, in minutes unless the time grid's
title says seconds. The plate id comes from a ``Plate:`` line, else from the
file's numeric suffix (``.003`` -> "3"), else "1".

**Hidex 300 SL (MikroWin) CSV** (``;`` separated): a block per sample and
repetition, starting ``Sample start``, with ``key;value`` lines (``WName``,
``CPM``, ``DPM``, ``Counts``, ``Time`` in seconds, ...) and then the spectra,
which are skipped. Each repetition (``Repe.``) is a complete recount of the
same wells and becomes its own plate, "1", "2", ....
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pdstudy import columns as C
from pdstudy.errors import InputFileError, UnitError, UsageError
from pdstudy.units import parse_quantity

from ._plate_frame import WellValue, build_frame, format_number, plate_groups, size_of
from ._plate_grid import GridBlock, find_grid_blocks, grid_rows, grid_values
from ._plate_long import _parse_rows, parse_header
from ._plate_table import Table, cell_text, load_table, read_text, text_table, to_number
from .registry import Format
from .wells import row_label, well_name

# --- MicroBeta ----------------------------------------------------------------------

_PLATE_START = re.compile(r"^plate\s+([^:\t]+?)\s*$", re.IGNORECASE)
_PLATE_END = re.compile(r"^end\s+of\s+plate\s*(\S.*?)?\s*$", re.IGNORECASE)
_COUNT_TIME_LABEL = re.compile(r"count(ing)?\s*time|^ctime", re.IGNORECASE)


def sniff_microbeta(path: Path, head: str) -> bool:
    if re.search(r"^\s*RUN INFORMATION:", head, re.MULTILINE):
        return True
    return bool(re.search(r"^\s*COLUMNS:", head, re.MULTILINE)) and "CCPM" in head.upper()


def _label_kind(label: str | None) -> tuple[str, float] | None:
    if label is None:
        return None
    n = re.sub(r"\s+", "", label.upper())
    if n.endswith("%"):
        return None
    if n.startswith("CCPM"):
        return "ccpm", 1.0
    if n.startswith("CPM"):
        return "cpm", 1.0
    if n.startswith("DPM"):
        return "dpm", 1.0
    if n.startswith("CTIME") or "TIME" in n:
        return "time", 60.0 if "MIN" in n else 1.0
    return None


def _run_count_time(table: Table, stop: int) -> float | None:
    """Counting time (s) from a RUN INFORMATION line such as ``Counting time:\t1 min``."""
    for i in range(stop):
        cells = [c for _, c in table.nonempty(i)]
        if not cells or not isinstance(cells[0], str):
            continue
        label = cells[0]
        if not _COUNT_TIME_LABEL.search(label):
            continue
        rest = label.split(":", 1)[1].strip() if ":" in label else ""
        text = rest or (str(cells[1]) if len(cells) > 1 else "")
        unit = re.search(r"\((s|sec|min)\)", label, re.IGNORECASE)
        try:
            value = to_number(text)
            if value is None:
                continue
            factor = 60.0 if unit and unit.group(1).lower() == "min" else 1.0
            return value * factor
        except ValueError:
            pass
        try:
            return parse_quantity(text, "time")
        except UnitError as exc:
            raise InputFileError(
                f"cannot read the counting time {text!r} ({exc.detail})", table.path, table.where(i)
            ) from None
    return None


def _ends_plate(text: str, plate: str) -> bool:
    m = _PLATE_END.match(text)
    return m is not None and (m.group(1) is None or m.group(1).lower() == plate.lower())


def read_microbeta(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet, delimiter="\t")
    sections: list[tuple[str, int, int]] = []
    i = 0
    n = len(table.rows)
    while i < n:
        cells = table.nonempty(i)
        m = _PLATE_START.match(str(cells[0][1])) if len(cells) == 1 else None
        if m is None:
            i += 1
            continue
        plate = m.group(1)
        end = next((k for k in range(i + 1, n) if _ends_plate(table.text(k, 0), plate)), None)
        if end is None:
            raise InputFileError(
                f"plate {plate} has no 'End of plate {plate}' line", path, table.where(i)
            )
        sections.append((plate, i, end))
        i = end + 1
    first_plate = sections[0][1] if sections else n
    run_time = _run_count_time(table, first_plate)
    if not sections:
        return _microbeta_list(table, run_time)
    readings: list[WellValue] = []
    for plate, start, end in sections:
        blocks = find_grid_blocks(table, start + 1, end)
        if not blocks:
            raise InputFileError(f"plate {plate} holds no grid", path, table.where(start))
        grids: dict[str, tuple[GridBlock, float]] = {}
        for b in blocks:
            kind = _label_kind(b.title) if (b.title or len(blocks) > 1) else ("ccpm", 1.0)
            if kind is None and b.title is None:
                raise InputFileError(
                    "a grid without a label line (CCPM1, DPM1, CTIME...)",
                    path,
                    table.where(b.header),
                )
            if kind is not None and kind[0] not in grids:
                grids[kind[0]] = (b, kind[1])
        counts_kind = "ccpm" if "ccpm" in grids else "cpm"
        if counts_kind not in grids:
            raise InputFileError(
                f"plate {plate} has no CCPM1 or CPM1 grid", path, table.where(start)
            )
        by_well: dict[tuple[int, int], WellValue] = {}
        for item, key in ((counts_kind, C.CPM), ("dpm", C.DPM), ("time", C.COUNT_TIME)):
            if item not in grids:
                continue
            block, factor = grids[item]
            for ri, cj, value, where in grid_values(table, block):
                wv = by_well.get((ri, cj))
                if wv is None:
                    if key != C.CPM:
                        raise InputFileError(
                            f"well {well_name(ri, cj)} has a {item.upper()} value but no counts",
                            path,
                            where,
                        )
                    wv = by_well[(ri, cj)] = WellValue(plate, well_name(ri, cj), where)
                    wv.values[C.SIGNAL] = value
                wv.values[key] = value * factor if key == C.COUNT_TIME else value
        for wv in by_well.values():
            if run_time is not None and C.COUNT_TIME not in wv.values:
                wv.values[C.COUNT_TIME] = run_time
            readings.append(wv)
    return build_frame(readings, path, counts=True, fmt="microbeta")


def _microbeta_list(table: Table, run_time: float | None) -> pd.DataFrame:
    for i in range(len(table.rows)):
        header = parse_header(table, i)
        if header is not None and header.has_counts:
            frame = _parse_rows(table, header, stop_at_blank=True, fmt="microbeta")
            if run_time is not None and C.COUNT_TIME not in frame.columns:
                frame[C.COUNT_TIME] = run_time
            return frame
    raise InputFileError(
        "neither plate sections ('Plate 1' ... 'End of plate 1') nor a SAMPLE/POS/CCPM1 table",
        table.path,
    )


def write_microbeta(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    counts = C.CPM if C.CPM in frame.columns else C.SIGNAL
    for plate in dict.fromkeys(frame[C.PLATE]):
        if ":" in plate:
            raise UsageError(f"MicroBeta plate ids cannot hold ':' ({plate!r})")
    items = [("CCPM1", counts)]
    if C.DPM in frame.columns:
        items.append(("DPM1", C.DPM))
    if C.COUNT_TIME in frame.columns:
        items.append(("CTIME", C.COUNT_TIME))
    lines = [
        "RUN INFORMATION:",
        "Instrument:\tMicroBeta2",
        "Software:\tpdstudy",
        f"Number of plates:\t{frame[C.PLATE].nunique()}",
        "",
        "COLUMNS:",
        "\t".join(["SAMPLE", "POS"] + [label for label, _ in items]),
        "",
    ]
    for plate, group in plate_groups(frame):
        size = size_of(group, plate_size)
        lines.append(f"Plate {plate}")
        for label, col in items:
            lines.append(label)
            lines += ["\t".join(r) for r in grid_rows(group, size, col)]
            lines.append("")
        lines.append(f"End of plate {plate}")
        lines.append("")
    lines.append(f"Total count rate:\t{format_number(float(frame[counts].sum()))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- TopCount -----------------------------------------------------------------------

_PLATE_SUFFIX = re.compile(r"^\.(\d{3})$")
_SECONDS = re.compile(r"\b(s|sec|secs|seconds)\b|\(s\)", re.IGNORECASE)


def sniff_topcount(path: Path, head: str) -> bool:
    if not re.search(r"(^|[\t,;])[ ]*1[ ]*[\t,;][ ]*2[ ]*[\t,;][ ]*3", head, re.MULTILINE):
        return False
    if "topcount" in head.lower() or _PLATE_SUFFIX.match(path.suffix):
        return True
    return bool(re.search(r"^\W*(count(ing)?\s*time|ctime)\b", head, re.IGNORECASE | re.MULTILINE))


def _topcount_plate(table: Table, stop: int, path: Path) -> str:
    for i in range(stop):
        cells = table.nonempty(i)
        if not cells or not isinstance(cells[0][1], str):
            continue
        m = re.match(r"^plate\s*(?:id|no\.?|number)?\s*[:#]\s*(.*)$", cells[0][1], re.IGNORECASE)
        if not m:
            continue
        value = m.group(1).strip() or (cell_text(cells[1][1]) if len(cells) > 1 else "")
        if value:
            return value
    m = _PLATE_SUFFIX.match(path.suffix)
    return str(int(m.group(1))) if m else "1"


def read_topcount(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    blocks = find_grid_blocks(table)
    if not blocks:
        raise InputFileError("no grid of counts (a 1..12 header and rows A..H) found", path)
    if len(blocks) > 2:
        raise InputFileError(
            f"expected a grid of counts and a grid of counting times, found {len(blocks)} grids",
            path,
            table.where(blocks[2].header),
        )
    plate = _topcount_plate(table, blocks[0].header, path)
    readings: dict[tuple[int, int], WellValue] = {}
    for ri, cj, value, where in grid_values(table, blocks[0]):
        readings[(ri, cj)] = WellValue(
            plate, well_name(ri, cj), where, {C.SIGNAL: value, C.CPM: value}
        )
    if len(blocks) == 2:
        counts, times = blocks
        if times.n_cols != counts.n_cols or [r for _, r in times.rows] != [
            r for _, r in counts.rows
        ]:
            raise InputFileError(
                "the counting-time grid does not have the same shape as the counts grid",
                path,
                table.where(times.header),
            )
        factor = 1.0 if (times.title and _SECONDS.search(times.title)) else 60.0
        for ri, cj, value, where in grid_values(table, times):
            if (ri, cj) not in readings:
                raise InputFileError(
                    f"well {well_name(ri, cj)} has a counting time but no counts", path, where
                )
            readings[(ri, cj)].values[C.COUNT_TIME] = value * factor
    return build_frame(list(readings.values()), path, counts=True, fmt="topcount")


def write_topcount(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    groups = plate_groups(frame)
    if len(groups) != 1:
        raise UsageError(
            f"a TopCount file holds one plate; the table has {len(groups)} "
            "(write each plate to its own file, e.g. PLATE.001, PLATE.002)"
        )
    plate, group = groups[0]
    size = size_of(group, plate_size)
    counts = C.CPM if C.CPM in group.columns else C.SIGNAL
    lines = ["PerkinElmer TopCount", f"Plate:\t{plate}", "", "Counts (CPM)"]
    lines += ["\t".join(r) for r in grid_rows(group, size, counts)]
    if C.COUNT_TIME in group.columns:
        minutes = group.assign(minutes=group[C.COUNT_TIME] / 60.0)
        lines += ["", "Counting time (min)"]
        lines += ["\t".join(r) for r in grid_rows(minutes, size, "minutes")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- Hidex 300 SL -------------------------------------------------------------------


def sniff_hidex(path: Path, head: str) -> bool:
    return bool(re.search(r"^Sample start\s*$", head, re.MULTILINE)) and bool(
        re.search(r"^WName;", head, re.MULTILINE)
    )


def read_hidex(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    if sheet is not None:
        raise InputFileError(
            f"sheet={sheet!r} was given but the file is not an Excel workbook", path
        )
    table = text_table(path, read_text(path), delimiter=";")
    blocks: list[tuple[int, dict[str, tuple[str, int]]]] = []
    current: dict[str, tuple[str, int]] | None = None
    in_spectrum = False
    for i, row in enumerate(table.rows):
        first = str(row[0]) if row else ""
        if first == "Sample start":
            current = {}
            blocks.append((i, current))
            in_spectrum = False
            continue
        if current is None or in_spectrum or not row:
            continue
        if first.startswith("Spectrum") or first.endswith(":"):
            in_spectrum = True
            continue
        if len(row) >= 2 and first not in current:
            current[first] = (str(row[1]), i)
    if not blocks:
        raise InputFileError("no 'Sample start' blocks found", path)
    readings: list[WellValue] = []
    for start, fields in blocks:
        if "WName" not in fields:
            raise InputFileError("sample block without a WName line", path, table.where(start))
        if "CPM" not in fields:
            raise InputFileError("sample block without a CPM line", path, table.where(start))
        well, _ = fields["WName"]
        plate = _hidex_int(fields, "Repe.", path, table) if "Repe." in fields else "1"
        wv = WellValue(plate, well, table.where(fields["WName"][1]))
        for key, col in (("CPM", C.CPM), ("DPM", C.DPM), ("Time", C.COUNT_TIME)):
            if key not in fields:
                continue
            text, line = fields[key]
            try:
                value = to_number(text, decimal_comma=True)
            except ValueError:
                value = None
            if value is None:
                raise InputFileError(
                    f"{text!r} is not a number", path, f"{table.where(line)} ({key}, well {well})"
                )
            wv.values[col] = value
        wv.values[C.SIGNAL] = wv.values[C.CPM]
        readings.append(wv)
    return build_frame(readings, path, counts=True, fmt="hidex")


def _hidex_int(fields: dict[str, tuple[str, int]], key: str, path: Path, table: Table) -> str:
    text, line = fields[key]
    try:
        value = to_number(text)
    except ValueError:
        value = None
    if value is None or not value.is_integer():
        raise InputFileError(f"{key} {text!r} is not a whole number", path, table.where(line))
    return str(int(value))


def write_hidex(frame: pd.DataFrame, path: Path, plate_size: int | None) -> None:
    counts = C.CPM if C.CPM in frame.columns else C.SIGNAL
    lines = [
        "pdstudy plate export",
        "Start Time 0:00:00",
        "- ROI1 Free Channel Limits 1 - 1023, Type Beta",
        "Counting type: Normal",
    ]
    for rep, (_, group) in enumerate(plate_groups(frame), start=1):
        size_of(group, plate_size)  # checks the wells fit
        for samp, d in enumerate(group.to_dict("records"), start=1):
            lines += [
                "Sample start",
                f"Samp.;{samp}",
                f"Repe.;{rep}",
                f"Vial;{samp}",
                f"WName;{row_label(d['row_i'])}{int(d['col_j']) + 1:02d}",
                f"CPM;{format_number(d[counts])}",
            ]
            if C.DPM in frame.columns:
                lines.append(f"DPM;{format_number(d[C.DPM])}")
            if C.COUNT_TIME in frame.columns:
                lines.append(f"Counts;{round(d[counts] * d[C.COUNT_TIME] / 60.0)}")
                lines.append("DTime;1.000")
                lines.append(f"Time;{format_number(d[C.COUNT_TIME])}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


#: the plate formats of this module, registered by pdstudy.io.plates
FORMATS = [
    Format(
        name="hidex",
        extensions=(".csv",),
        description=(
            "Hidex 300 SL (MikroWin) CSV: ';' separated 'Sample start' blocks with WName, "
            "CPM, DPM, Counts, Time; each repetition is a plate"
        ),
        sniff=sniff_hidex,
        read=read_hidex,
        priority=10,
        writers={"hidex": write_hidex},
    ),
    Format(
        name="microbeta",
        extensions=(".txt",),
        description=(
            "PerkinElmer MicroBeta2 Workstation .txt: RUN INFORMATION, COLUMNS "
            "(SAMPLE POS CCPM1 ...), 'Plate N' ... CCPM1 grid ... 'End of plate N'"
        ),
        sniff=sniff_microbeta,
        read=read_microbeta,
        priority=20,
        writers={"microbeta": write_microbeta},
    ),
    Format(
        name="topcount",
        extensions=(".001",),
        description=(
            "PerkinElmer TopCount (PLATE.001 ...): a grid of counts (CPM) and a same-shaped "
            "grid of counting times (minutes), one plate per file"
        ),
        sniff=sniff_topcount,
        read=read_topcount,
        priority=30,
        writers={"topcount": write_topcount},
    ),
]
