"""Plate readers of further instrument software, endpoint and kinetic.

Read-only formats (no writer). Each is claimed only when its own structure
is there (a title line, a header the software always writes); a file that
deviates from it is refused with what was seen, never read by guesswork.

- **PerkinElmer EnVision CSV** (``envision``): ``Plate information`` blocks
  (the plate number), then ``Results for <label>`` grids with a zero-padded
  ``,01,02,...`` header. ``Calculated results`` grids (crosstalk correction
  and other calculations) and the ``Platemap`` are not read. One result grid
  per plate gives that plate's number as id; several give ``"<plate> <label>"``.
- **Molecular Devices SoftMax Pro text export** (``softmax``): ``##BLOCKS=``,
  blocks ending ``~End`` (UTF-16LE or Latin-1 as the software writes them).
  ``Plate:`` blocks in PlateFormat (grids) or TimeFormat (one column per
  well), endpoint or kinetic, raw or reduced; plates are named as in the file.
  Spectrum scans and raw reads at several wavelengths are refused.
- **Tecan Magellan list export** (``magellan_list``): columns ``Raw data``,
  ``Well positions`` and optionally ``Plate``, one row per well, then the
  measurement parameters.
- **Tecan Magellan kinetic export** (``magellan_kinetic``): one line per
  cycle (``<date>: <time> / 900 sec / 37.2°C``), then cells ``<well>, value
  per cycle`` side by side. What follows the well data (a user's notes or a
  table of their own) is not read and is listed in ``frame.attrs["ignored"]``.
- **Thermo SkanIt / Multiskan text** (``skanit_text``): ``Results of ...``,
  ``Plate:1 - Wavelength:340`` sections and ``Iteration: N`` grids without
  labels; a row with more cells than the plate has columns (a stray tab) is
  refused, since its wells cannot be placed.
- **Thermo SkanIt kinetic xlsx** (``skanit_kinetic``): ``Measurement
  results``, ``Kinetic``, and a ``Reading`` table, one column per well.
- **BMG MARS "Table All Cycles"** (``bmg_cycles``): a ``Well`` row of well
  names, ``Content``/``Group`` rows, then one row per cycle and channel
  (``Raw Data (535 A)``, time). One channel is plate "1"; several are plates
  named after the channel.

Kinetic files: ``cycle=`` (1-based: the n-th read in the file, also where the file
numbers its reads from 0, as SkanIt's ``Reading 0``) picks the read, by default the
last; ``frame.attrs`` records ``cycle`` and ``cycles`` (and ``cycle_label``, the
file's own name of the read, where it differs from the count).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pdstudy import columns as C
from pdstudy.errors import InputFileError, UsageError

from ._plate_frame import WellValue, build_frame
from ._plate_grid import GridBlock, find_grid_blocks, flag_reason, grid_cells
from ._plate_table import cell_text, load_table, read_text, split_lines, to_number
from .registry import Format
from .wells import PLATE_SHAPES, SIZE_BY_COLUMNS, parse_well, well_name


def pick_cycle(n: int, cycle: int | None, path: Path, what: str = "cycles") -> int:
    """0-based index of the cycle to read: ``cycle`` (1-based) or the last."""
    if n < 1:
        raise InputFileError(f"no {what} found", path)
    if cycle is None:
        return n - 1
    if isinstance(cycle, bool) or not isinstance(cycle, int) or not 1 <= cycle <= n:
        raise UsageError(
            f"cycle {cycle!r} does not exist in {path.name}: the file has {n} {what} (1-{n})"
        )
    return cycle - 1


def _value(cell: object, path: Path, where: str, well: str) -> tuple[float | None, str | None]:
    """(value, None), (None, flag reason), or (None, None) for an empty cell."""
    text = cell_text(cell) if isinstance(cell, str | float) else str(cell)
    try:
        return to_number(cell if isinstance(cell, str | float) else text), None
    except ValueError:
        reason = flag_reason(text)
        if reason is None:
            raise InputFileError(f"{text!r} is not a number (well {well})", path, where) from None
        return None, reason


def _frame(readings: list[WellValue], path: Path, fmt: str, **attrs: object) -> pd.DataFrame:
    frame = build_frame(readings, path, counts=False, fmt=fmt)
    frame.attrs.update(attrs)
    return frame


def _reading(
    plate: str, well: str, where: str, value: float | None, reason: str | None
) -> WellValue:
    return WellValue(
        plate, well, where, {} if value is None else {C.SIGNAL: value}, excluded=reason
    )


# --- PerkinElmer EnVision ---------------------------------------------------------


def sniff_envision(path: Path, head: str) -> bool:
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    return (
        bool(lines)
        and lines[0].startswith("Plate information")
        and bool(re.search(r"^(Results for |Calculated results)", head, re.MULTILINE))
    )


def read_envision(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    plate: str | None = None
    found: list[tuple[str, str, GridBlock]] = []
    skipped = 0
    i = 0
    while i < len(table.rows):
        first = table.text(i, 0)
        if first == "Plate information":
            k = i + 1
            while k < len(table.rows) and table.is_blank(k):
                k += 1
            if k + 1 >= len(table.rows) or table.text(k, 0) != "Plate":
                raise InputFileError(
                    "'Plate information' is not followed by a 'Plate,...' header",
                    path,
                    table.where(i),
                )
            plate = table.text(k + 1, 0)
            i = k + 2
            continue
        if first.startswith("Calculated results"):
            skipped += 1
        if first.startswith("Results for "):
            if plate is None:
                raise InputFileError(
                    "a result grid before any 'Plate information'", path, table.where(i)
                )
            stop = i + 1
            while stop < len(table.rows) and not table.is_blank(stop):
                stop += 1
            blocks = find_grid_blocks(table, i + 1, stop)
            if len(blocks) != 1 or blocks[0].header != i + 1:
                raise InputFileError(
                    "no ',01,02,...' grid right after this title", path, table.where(i)
                )
            label = first[len("Results for ") :].split(" - ")[0].strip()
            found.append((plate, label, blocks[0]))
            i = stop
            continue
        i += 1
    if not found:
        raise InputFileError(
            "no 'Results for ...' grid (only calculated results?); export the measured results",
            path,
        )
    numbers = [p for p, _, _ in found]
    unique = len(set(numbers)) == len(numbers)
    readings: list[WellValue] = []
    for p, label, block in found:
        pid = p if unique else f"{p} {label}"
        for ri, cj, value, where, reason in grid_cells(table, block):
            readings.append(_reading(pid, well_name(ri, cj), where, value, reason))
    return _frame(readings, path, "envision", calculated_grids_skipped=skipped)


# --- SoftMax Pro ----------------------------------------------------------------------


def sniff_softmax(path: Path, head: str) -> bool:
    return head.lstrip("\ufeff").startswith("##BLOCKS=")


def _int(text: str, path: Path, where: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputFileError(f"{what} {text!r} is not a whole number", path, where) from None


def _groups(lines: list[str], start: int) -> tuple[list[list[int]], int]:
    """Runs of non-blank lines from ``start`` up to ``~End``: (runs of line indices, end)."""
    runs: list[list[int]] = []
    cur: list[int] = []
    k = start
    while k < len(lines) and not lines[k].startswith("~End"):
        if lines[k].strip("\t ") == "":
            if cur:
                runs.append(cur)
                cur = []
        else:
            cur.append(k)
        k += 1
    if cur:
        runs.append(cur)
    return runs, k


def read_softmax(
    path: Path, sheet: str | int | None = None, cycle: int | None = None
) -> pd.DataFrame:
    if sheet is not None:
        raise InputFileError(f"sheet={sheet!r} was given but the file is a text export", path)
    lines = split_lines(read_text(path))
    readings: list[WellValue] = []
    n_cycles = 1
    chosen = 1
    plates = 0
    for i, line in enumerate(lines):
        if not line.startswith("Plate:"):
            continue
        plates += 1
        f = line.split("\t")
        where = f"line {i + 1}"
        if len(f) < 19:
            raise InputFileError("a 'Plate:' line with fewer than 19 fields", path, where)
        name, layout, read_type, data_mode = f[1].strip(), f[3], f[4], f[6]
        if read_type not in ("Endpoint", "Kinetic"):
            raise InputFileError(
                f"plate {name}: a {read_type} read; pdstudy reads endpoint or kinetic plates",
                path,
                where,
            )
        n_reads = _int(f[8], path, where, "number of reads") if data_mode == "Raw" else 1
        n_wl = _int(f[14], path, where, "number of wavelengths")
        n_wells = _int(f[18], path, where, "number of wells")
        if n_wells not in PLATE_SHAPES:
            raise InputFileError(
                f"plate {name}: {n_wells} wells is no plate size pdstudy reads", path, where
            )
        if data_mode == "Raw" and n_wl != 1:
            raise InputFileError(
                f"plate {name}: raw reads at {n_wl} wavelengths ({f[15].strip()}); "
                "export one wavelength, or the reduced data",
                path,
                where,
            )
        runs, _ = _groups(lines, i + 1)
        if not runs:
            raise InputFileError(f"plate {name}: no data after the 'Plate:' line", path, where)
        header = lines[runs[0][0]].split("\t")
        body = runs[0][1:]
        n_rows = PLATE_SHAPES[n_wells][0]
        if layout == "PlateFormat":
            cols = {
                j: _int(h, path, f"line {runs[0][0] + 1}", "column") - 1
                for j, h in enumerate(header)
                if h.strip().isdigit()
            }
            groups = [body] + runs[1:]
            if data_mode == "Raw":
                groups = groups[:n_reads]
            else:  # reduced: the grid is the block under the header
                groups = [body]
            groups = [g for g in groups if g]
            bad = [g for g in groups if len(g) != n_rows]
            if len(groups) != n_reads or bad:
                g = bad[0] if bad else groups[-1] if groups else runs[0]
                raise InputFileError(
                    f"plate {name}: expected {n_reads} read(s) of {n_rows} rows; "
                    f"found {len(groups)} block(s), one of {len(g)} lines",
                    path,
                    f"line {g[0] + 1}",
                )
            n_cycles = len(groups)
            k = pick_cycle(n_cycles, cycle, path)
            chosen = k + 1
            for ri, li in enumerate(groups[k]):
                cells = lines[li].split("\t")
                for j, cj in cols.items():
                    cell = cells[j] if j < len(cells) else ""
                    wname = well_name(ri, cj)
                    value, reason = _value(cell, path, f"line {li + 1}, field {j + 1}", wname)
                    if value is not None or reason is not None:
                        readings.append(_reading(name, wname, f"line {li + 1}", value, reason))
        elif layout == "TimeFormat":
            wells = {j: h.strip() for j, h in enumerate(header) if parse_well(h.strip())}
            if not wells:
                raise InputFileError(
                    f"plate {name}: no well names in the TimeFormat header",
                    path,
                    f"line {runs[0][0] + 1}",
                )
            rows = body if data_mode == "Raw" else body[:1]
            if len(rows) != n_reads:
                raise InputFileError(
                    f"plate {name}: expected {n_reads} read(s), found {len(rows)} lines",
                    path,
                    f"line {runs[0][0] + 1}",
                )
            n_cycles = len(rows)
            k = pick_cycle(n_cycles, cycle, path)
            chosen = k + 1
            li = rows[k]
            cells = lines[li].split("\t")
            for j, wname in wells.items():
                cell = cells[j] if j < len(cells) else ""
                value, reason = _value(cell, path, f"line {li + 1}, field {j + 1}", wname)
                if value is not None or reason is not None:
                    readings.append(_reading(name, wname, f"line {li + 1}", value, reason))
        else:
            raise InputFileError(f"plate {name}: unknown layout {layout!r}", path, where)
    if not plates:
        raise InputFileError("no 'Plate:' block (only notes or groups)", path)
    return _frame(readings, path, "softmax", cycle=chosen, cycles=n_cycles)


# --- Tecan Magellan -------------------------------------------------------------------

_MAGELLAN_CYCLE = re.compile(r"^.+:\s*\d{1,2}:\d{2}:\d{2}\s*/\s*(\d+(?:\.\d+)?)\s*sec\b")


def sniff_magellan_list(path: Path, head: str) -> bool:
    first = head.splitlines()[0].lower().split("\t") if head else []
    return "well positions" in [c.strip() for c in first]


def read_magellan_list(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    table = load_table(path, sheet)
    header = [table.text(0, j).strip().lower() for j in range(len(table.rows[0]))]
    if "well positions" not in header:
        raise InputFileError("the first row has no 'Well positions' column", path, table.where(0))
    wcol = header.index("well positions")
    pcol = header.index("plate") if "plate" in header else None
    values = [j for j, h in enumerate(header) if h and j not in (wcol, pcol)]
    if len(values) != 1:
        raise InputFileError(
            f"expected one value column beside 'Well positions', found {len(values)}",
            path,
            table.where(0),
        )
    vcol = values[0]
    names: set[str] = set()
    rows: list[int] = []
    for k in range(1, len(table.rows)):
        well = table.text(k, wcol)
        if well == "":
            break
        rows.append(k)
        if pcol is not None and table.text(k, pcol):
            names.add(table.text(k, pcol))
    if len(names) > 1:
        raise InputFileError(
            f"the Plate column names {len(names)} plates ({', '.join(sorted(names))}) but not on "
            "every row; export one plate per file",
            path,
        )
    plate = next(iter(names)) if names else "1"
    readings = []
    for k in rows:
        well = table.text(k, wcol)
        value, reason = _value(table.cell(k, vcol), path, table.where(k, vcol), well)
        if value is None and reason is None:
            raise InputFileError(f"well {well} has no value", path, table.where(k, vcol))
        readings.append(_reading(plate, well, table.where(k), value, reason))
    return _frame(readings, path, "magellan_list", value_column=table.text(0, vcol))


def sniff_magellan_kinetic(path: Path, head: str) -> bool:
    first = head.splitlines()[0].split("\t")[0] if head else ""
    return bool(_MAGELLAN_CYCLE.match(first))


def read_magellan_kinetic(
    path: Path, sheet: str | int | None = None, cycle: int | None = None
) -> pd.DataFrame:
    table = load_table(path, sheet)
    times: list[float] = []
    k = 0
    while k < len(table.rows):
        m = _MAGELLAN_CYCLE.match(table.text(k, 0))
        if not m or len(table.nonempty(k)) != 1:
            break
        times.append(float(m.group(1)))
        k += 1
    n = len(times)
    idx = pick_cycle(n, cycle, path)
    readings: list[WellValue] = []
    ignored_from: int | None = None
    for r in range(k, len(table.rows)):
        cells = table.nonempty(r)
        if not cells:
            continue
        starts = [j for j, c in cells if isinstance(c, str) and parse_well(c)]
        fits = (
            bool(starts)
            and all(all(table.text(r, j + 1 + t) != "" for t in range(n)) for j in starts)
            and len(cells) == len(starts) * (n + 1)
        )
        if ignored_from is not None:
            if starts:
                raise InputFileError(
                    f"well data ({table.text(r, starts[0])}) after content that is not well data "
                    f"(from {table.where(ignored_from)}); pdstudy cannot tell which is the "
                    "measurement",
                    path,
                    table.where(r),
                )
            continue
        if not fits:
            if not readings:
                raise InputFileError(
                    f"expected cells '<well>' followed by {n} values (one per cycle)",
                    path,
                    table.where(r),
                )
            ignored_from = r
            continue
        for j in starts:
            well = table.text(r, j)
            where = table.where(r, j + 1 + idx)
            value, reason = _value(table.cell(r, j + 1 + idx), path, where, well)
            readings.append(_reading("1", well, where, value, reason))
    attrs: dict[str, object] = {"cycle": idx + 1, "cycles": n, "cycle_time_s": times[idx]}
    if ignored_from is not None:
        attrs["ignored"] = f"{table.where(ignored_from)} onwards: not well data (not read)"
    return _frame(readings, path, "magellan_kinetic", **attrs)


# --- Thermo SkanIt / Multiskan -----------------------------------------------------------

_SKANIT_PLATE = re.compile(r"^Plate:\s*(\S+)\s*-\s*Wavelength:\s*(\S+)")


def sniff_skanit_text(path: Path, head: str) -> bool:
    return head.startswith("Results of ") and bool(
        re.search(r"^\tPlate:\s*\S+\s*-\s*Wavelength:", head, re.MULTILINE)
    )


def read_skanit_text(
    path: Path, sheet: str | int | None = None, cycle: int | None = None
) -> pd.DataFrame:
    if sheet is not None:
        raise InputFileError(f"sheet={sheet!r} was given but the file is a text export", path)
    lines = split_lines(read_text(path))
    sections: list[tuple[str, str, list[tuple[int, list[int]]]]] = []

    def grid_at(start: int) -> tuple[list[int], int]:
        rows, r = [], start
        while r < len(lines) and lines[r].strip(" ") != "":
            rows.append(r)
            r += 1
        return rows, r

    k = 0
    while k < len(lines):
        text = lines[k].strip()
        m = _SKANIT_PLATE.match(text)
        if m:
            sections.append((m.group(1), m.group(2), []))
            k += 1
            while k < len(lines) and lines[k].strip() == "":
                k += 1
            if k < len(lines) and not lines[k].strip().startswith("Iteration:"):
                rows, k = grid_at(k)  # an endpoint read: the grid follows directly
                sections[-1][2].append((k, rows))
            continue
        if sections and text.startswith("Iteration:"):
            rows, r = grid_at(k + 1)
            sections[-1][2].append((k, rows))
            k = r
            continue
        k += 1
    if not sections:
        raise InputFileError("no 'Plate: - Wavelength:' section", path)
    readings: list[WellValue] = []
    several = len(sections) > 1
    n_cycles = 0
    chosen = 0
    for plate, wl, iterations in sections:
        pid = f"{plate} ({wl} nm)" if several else plate
        n_cycles = len(iterations)
        idx = pick_cycle(n_cycles, cycle, path, "iterations")
        chosen = idx + 1
        at, rows = iterations[idx]
        if not rows:
            raise InputFileError(
                f"plate {pid}: iteration {idx + 1} has no rows", path, f"line {at + 1}"
            )
        for r in rows:
            cells = lines[r].split("\t")[1:]
            if len(cells) not in SIZE_BY_COLUMNS:
                raise InputFileError(
                    f"plate {pid}, iteration {idx + 1}: this row has {len(cells)} cells where a "
                    "plate row has 12, 24 or 48 (a stray tab in the export?); its wells cannot be "
                    "placed, so the iteration is not read (choose another: the cycle key, --cycle, "
                    "or cycle= in Python)",
                    path,
                    f"line {r + 1}",
                )
        for ri, r in enumerate(rows):
            cells = lines[r].split("\t")[1:]
            for cj, cell in enumerate(cells):
                wname = well_name(ri, cj)
                value, reason = _value(cell, path, f"line {r + 1}, field {cj + 2}", wname)
                if value is not None or reason is not None:
                    readings.append(_reading(pid, wname, f"line {r + 1}", value, reason))
    return _frame(readings, path, "skanit_text", cycle=chosen, cycles=n_cycles)


def sniff_skanit_kinetic(path: Path, head: str) -> bool:
    lines = head.splitlines()
    return (
        bool(lines)
        and lines[0].startswith("Measurement results")
        and any(
            ln.startswith("Reading\t") and parse_well(ln.split("\t")[1].replace(" ", "") or "-")
            for ln in lines
        )
    )


def read_skanit_kinetic(
    path: Path, sheet: str | int | None = None, cycle: int | None = None
) -> pd.DataFrame:
    table = load_table(path, sheet)
    hdr = next((k for k in range(len(table.rows)) if table.text(k, 0) == "Reading"), None)
    if hdr is None:
        raise InputFileError("no 'Reading' table", path)
    wells = {j: table.text(hdr, j).replace(" ", "") for j in range(1, len(table.rows[hdr]))}
    bad = [w for w in wells.values() if parse_well(w) is None]
    if bad:
        raise InputFileError(
            f"{bad[0]!r} in the Reading header is not a well", path, table.where(hdr)
        )
    rows = []
    r = hdr + 1
    while r < len(table.rows) and not table.is_blank(r):
        rows.append(r)
        r += 1
    idx = pick_cycle(len(rows), cycle, path, "readings")
    r = rows[idx]
    readings = []
    for j, well in wells.items():
        value, reason = _value(table.cell(r, j), path, table.where(r, j), well)
        if value is not None or reason is not None:
            readings.append(_reading("1", well, table.where(r, j), value, reason))
    label = f"Reading {table.text(r, 0)}"  # SkanIt numbers its readings from 0
    return _frame(
        readings, path, "skanit_kinetic", cycle=idx + 1, cycles=len(rows), cycle_label=label
    )


# --- BMG MARS Table All Cycles -------------------------------------------------------------


def sniff_bmg_cycles(path: Path, head: str) -> bool:
    lines = head.splitlines()
    if not lines or not lines[0].startswith("User:"):
        return False
    wells = any(
        (m := re.match(r"^Well([\t,;])", ln)) is not None
        and parse_well((ln.split(m.group(1)) + ["", "", ""])[2].strip() or "-") is not None
        for ln in lines
    )
    return wells and any(re.match(r"^Content[\t,;]Time", ln) for ln in lines)


def read_bmg_cycles(
    path: Path, sheet: str | int | None = None, cycle: int | None = None
) -> pd.DataFrame:
    table = load_table(path, sheet)
    hdr = next((k for k in range(len(table.rows)) if table.text(k, 0) == "Well"), None)
    if hdr is None:
        raise InputFileError("no 'Well' row of well names", path)
    wells = {j: table.text(hdr, j) for j in range(2, len(table.rows[hdr])) if table.text(hdr, j)}
    bad = [w for w in wells.values() if parse_well(w) is None]
    if bad:
        raise InputFileError(f"{bad[0]!r} in the Well row is not a well", path, table.where(hdr))
    channels: dict[str, list[int]] = {}
    for r in range(hdr + 1, len(table.rows)):
        label = table.text(r, 0).strip()
        if label in ("Content", "Group", ""):
            continue
        try:
            has_time = to_number(table.cell(r, 1)) is not None
        except ValueError:
            has_time = False
        if not has_time:
            raise InputFileError(
                f"row {label!r} has no time in the second column", path, table.where(r, 1)
            )
        channels.setdefault(label, []).append(r)
    if not channels:
        raise InputFileError("no data rows under the Well row", path)
    counts = {len(v) for v in channels.values()}
    if len(counts) != 1:
        raise InputFileError(
            "the channels have different numbers of cycles: "
            + ", ".join(f"{c}: {len(v)}" for c, v in channels.items()),
            path,
        )
    n = counts.pop()
    idx = pick_cycle(n, cycle, path)
    readings = []
    for label, rows in channels.items():
        pid = label if len(channels) > 1 else "1"
        r = rows[idx]
        for j, well in wells.items():
            value, reason = _value(table.cell(r, j), path, table.where(r, j), well)
            if value is not None or reason is not None:
                readings.append(_reading(pid, well, table.where(r, j), value, reason))
    return _frame(readings, path, "bmg_cycles", cycle=idx + 1, cycles=n)


#: the plate formats of this module, registered by pdstudy.io.plates
FORMATS = [
    Format(
        name="envision",
        extensions=(".csv",),
        description=(
            "PerkinElmer EnVision CSV: 'Plate information' blocks and 'Results for ...' grids "
            "(',01,02,...'); calculated results are not read"
        ),
        sniff=sniff_envision,
        read=read_envision,
        priority=35,
    ),
    Format(
        name="softmax",
        extensions=(".txt",),
        description=(
            "Molecular Devices SoftMax Pro text export ('##BLOCKS=', UTF-16 or Latin-1): "
            "endpoint or kinetic 'Plate:' blocks (kinetic: cycle=, default the last)"
        ),
        sniff=sniff_softmax,
        read=read_softmax,
        priority=35,
        options=("cycle",),
    ),
    Format(
        name="magellan_list",
        extensions=(".xlsx",),
        description="Tecan Magellan list export: 'Raw data', 'Well positions', 'Plate' columns",
        sniff=sniff_magellan_list,
        read=read_magellan_list,
        priority=35,
    ),
    Format(
        name="magellan_kinetic",
        extensions=(".xlsx",),
        description=(
            "Tecan Magellan kinetic export: one line per cycle ('... / 900 sec / 37.2°C'), "
            "then '<well>, value per cycle' cells (cycle=, default the last)"
        ),
        sniff=sniff_magellan_kinetic,
        read=read_magellan_kinetic,
        priority=35,
        options=("cycle",),
    ),
    Format(
        name="skanit_text",
        extensions=(".txt",),
        description=(
            "Thermo SkanIt / Multiskan text: 'Results of ...', 'Plate:1 - Wavelength:340', "
            "'Iteration: N' grids (cycle=, default the last)"
        ),
        sniff=sniff_skanit_text,
        read=read_skanit_text,
        priority=35,
        options=("cycle",),
    ),
    Format(
        name="skanit_kinetic",
        extensions=(".xlsx",),
        description=(
            "Thermo SkanIt kinetic xlsx: 'Measurement results' and a 'Reading' table with a "
            "column per well (cycle=, default the last)"
        ),
        sniff=sniff_skanit_kinetic,
        read=read_skanit_kinetic,
        priority=35,
        options=("cycle",),
    ),
    Format(
        name="bmg_cycles",
        extensions=(".xlsx", ".csv"),
        description=(
            "BMG LABTECH MARS 'Table All Cycles': a 'Well' row, then a row per cycle and "
            "channel (cycle=, default the last)"
        ),
        sniff=sniff_bmg_cycles,
        read=read_bmg_cycles,
        priority=35,
        options=("cycle",),
    ),
]
