"""GraphPad Prism projects (.pzfx, Prism's XML format): write, and read back.

pdstudy writes its own XML (ElementTree) rather than depend on a package:
the Python ``pzfx`` readers on PyPI read only, and the part of the format
needed here is small and documented by the files Prism itself writes.

- An **XY table** per curve family: X is log10 of the molar concentration,
  the replicates at one concentration are the Y subcolumns (Prism's
  "Enter N replicate values in side-by-side subcolumns"), so that Prism's
  nonlinear regression ("log(inhibitor) vs. response") runs on it as is.
  Excluded wells are written as Prism's excluded values (shown in blue
  italics, left out of fits).
- A **column table** per group of per-animal results: one column per group,
  one value per animal.

:func:`read_pzfx` returns the tables of a .pzfx file (a tidy frame per
table), for tests and for users checking what Prism will see.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import pandas as pd

from pdstudy.errors import InputFileError

__all__ = ["ColumnTable", "XYTable", "read_pzfx", "write_pzfx"]


@dataclass(frozen=True)
class XYTable:
    """One curve family: rows of X with replicate Y values (NaN: no value)."""

    title: str
    x_title: str
    y_title: str
    x: tuple[float, ...]
    #: y[row][replicate]; (value, excluded)
    y: tuple[tuple[tuple[float, bool], ...], ...]
    #: one line per fact: ``("target", "NET")``
    notes: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class ColumnTable:
    """Groups side by side, one value per subject."""

    title: str
    columns: tuple[tuple[str, tuple[float, ...]], ...]
    notes: tuple[tuple[str, str], ...] = field(default=())


def _num(v: float) -> str:
    return repr(float(v))


def _d(parent: ET.Element, value: float, excluded: bool = False) -> None:
    d = ET.SubElement(parent, "d")
    if math.isfinite(value):
        d.text = _num(value)
        if excluded:
            d.set("Excluded", "1")


def _notes(table: ET.Element, notes: Sequence[tuple[str, str]]) -> None:
    if not notes:
        return
    el = ET.SubElement(table, "Notes")
    el.text = "; ".join(f"{k}: {v}" for k, v in notes)


def write_pzfx(
    path: str | PathLike[str], tables: Sequence[XYTable | ColumnTable], *, title: str = ""
) -> Path:
    """Write a Prism project holding ``tables`` (in order); returns the path."""
    if not tables:
        raise ValueError("a Prism project needs at least one table")
    root = ET.Element("GraphPadPrismFile", PrismXMLVersion="5.00")
    created = ET.SubElement(root, "Created")
    ET.SubElement(
        created,
        "OriginalVersion",
        CreatedByProgram="pdstudy",
        CreatedByVersion=_version(),
        Login="",
        DateTime=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    )
    info_seq = ET.SubElement(root, "InfoSequence")
    ET.SubElement(info_seq, "Ref", ID="Info0", Selected="1")
    info = ET.SubElement(root, "Info", ID="Info0")
    ET.SubElement(info, "Title").text = title or "pdstudy results"
    ET.SubElement(info, "Notes").text = "Written by pdstudy"
    seq = ET.SubElement(root, "TableSequence")
    for k in range(len(tables)):
        ref = ET.SubElement(seq, "Ref", ID=f"Table{k}")
        if k == 0:
            ref.set("Selected", "1")
    for k, t in enumerate(tables):
        if isinstance(t, XYTable):
            _xy(root, k, t)
        else:
            _column(root, k, t)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(p, encoding="utf-8", xml_declaration=True)
    return p


def _version() -> str:
    from pdstudy._version import __version__

    return str(__version__)


def _xy(root: ET.Element, k: int, t: XYTable) -> None:
    n_rep = max((len(r) for r in t.y), default=1) or 1
    table = ET.SubElement(
        root,
        "Table",
        ID=f"Table{k}",
        XFormat="numbers",
        YFormat="replicates",
        Replicates=str(n_rep),
        TableType="XY",
        EVFormat="AsteriskAfterNumber",
    )
    ET.SubElement(table, "Title").text = t.title
    _notes(table, t.notes)
    xcol = ET.SubElement(table, "XColumn", Width="81", Subcolumns="1", Decimals="3")
    ET.SubElement(xcol, "Title").text = t.x_title
    sub = ET.SubElement(xcol, "Subcolumn")
    for x in t.x:
        _d(sub, x)
    ycol = ET.SubElement(table, "YColumn", Width="211", Decimals="3", Subcolumns=str(n_rep))
    ET.SubElement(ycol, "Title").text = t.y_title
    for j in range(n_rep):
        sub = ET.SubElement(ycol, "Subcolumn")
        for row in t.y:
            value, excluded = row[j] if j < len(row) else (math.nan, False)
            _d(sub, value, excluded)


def _column(root: ET.Element, k: int, t: ColumnTable) -> None:
    table = ET.SubElement(
        root,
        "Table",
        ID=f"Table{k}",
        XFormat="none",
        YFormat="replicates",
        Replicates="1",
        TableType="OneWay",
        EVFormat="AsteriskAfterNumber",
    )
    ET.SubElement(table, "Title").text = t.title
    _notes(table, t.notes)
    for name, values in t.columns:
        ycol = ET.SubElement(table, "YColumn", Width="81", Decimals="3", Subcolumns="1")
        ET.SubElement(ycol, "Title").text = name
        sub = ET.SubElement(ycol, "Subcolumn")
        for v in values:
            _d(sub, v)


def read_pzfx(path: str | PathLike[str]) -> dict[str, pd.DataFrame]:
    """The tables of a .pzfx file: title -> tidy frame.

    XY tables give columns ``x``, ``replicate`` (1-based subcolumn), ``y``
    and ``excluded``; column tables give ``column`` and ``y``. The table's
    type is in ``frame.attrs["type"]`` and its notes in ``frame.attrs["notes"]``.
    """
    p = Path(path)
    try:
        root = ET.parse(p).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputFileError(f"not a readable Prism XML file ({exc})", p) from exc
    if root.tag != "GraphPadPrismFile":
        raise InputFileError(f"root element is <{root.tag}>, not <GraphPadPrismFile>", p)
    out: dict[str, pd.DataFrame] = {}
    for table in root.findall("Table"):
        title = str(table.findtext("Title") or table.get("ID", ""))

        def values(sub: ET.Element) -> list[tuple[float, bool]]:
            return [
                (float(d.text) if d.text else math.nan, d.get("Excluded") == "1")
                for d in sub.findall("d")
            ]

        if table.get("TableType") == "XY":
            xs = [v for v, _ in values(table.find("XColumn/Subcolumn"))]  # type: ignore[arg-type]
            rows_xy: list[dict[str, object]] = []
            for j, sub in enumerate(table.findall("YColumn/Subcolumn"), start=1):
                for x, (y, excl) in zip(xs, values(sub), strict=False):
                    rows_xy.append({"x": x, "replicate": j, "y": y, "excluded": excl})
            frame = pd.DataFrame(rows_xy, columns=["x", "replicate", "y", "excluded"])
            frame.attrs["x_title"] = table.findtext("XColumn/Title") or ""
            frame.attrs["y_title"] = table.findtext("YColumn/Title") or ""
        else:
            rows: list[dict[str, object]] = [
                {"column": col.findtext("Title") or "", "y": y}
                for col in table.findall("YColumn")
                for y, _ in values(col.find("Subcolumn"))  # type: ignore[arg-type]
            ]
            frame = pd.DataFrame(rows, columns=["column", "y"])
        frame.attrs["type"] = table.get("TableType", "")
        frame.attrs["notes"] = table.findtext("Notes") or ""
        out[title] = frame
    return out
