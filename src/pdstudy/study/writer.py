"""The one writer of a study's outputs: result tables (CSV), documents (JSON), figures (SVG/PNG).

Every entry point writes through here (``pdstudy run`` and every assay
command, which runs a one-section study), so output names cannot drift:

- ``results/<slug>.csv``: the result's main table (its first: ``curves``,
  ``params``, ``samples``...);
- ``results/<slug>_<table>.csv``: each other table (``aggregate``, ``qc``,
  ``wells``...), named from the vocabulary of :data:`pdstudy.assays.contract.TABLE_NAMES`;
- ``results/<slug>.json``: the section, the result's document and provenance;
- ``results/<slug>.xlsx``: every table of the result in one workbook (a sheet
  per table, units in the headers; :func:`pdstudy.io.excel.write_workbook`);
- ``results/<slug>.pzfx``: a GraphPad Prism project, when the result has
  concentration-response points (an XY table per curve family, log10 molar X,
  replicates as subcolumns) or per-animal results (a column table per
  measure); see :func:`prism_tables`;
- ``figures/<stem>.svg`` and ``.png``: each figure of the section.

A study's workbook and Prism project of all its sections,
``results/<study>.xlsx`` and ``.pzfx``, come from :func:`write_study_exports`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.io.excel import write_workbook
from pdstudy.io.jsonsafe import as_document, write_json
from pdstudy.io.pzfx import ColumnTable, XYTable, write_pzfx
from pdstudy.report.figures import render_figure
from pdstudy.report.model import Figure
from pdstudy.report.sections import FigureSpec, relative

__all__ = [
    "prism_tables",
    "table_paths",
    "write_figures",
    "write_result",
    "write_study_exports",
    "write_tables",
]

#: response columns of concentration-response points, in order of preference
RESPONSES = ("pct_specific", "pct_control")
#: columns that tell curve families apart, when present
FAMILY_KEYS = (C.EXPERIMENT, C.COMPOUND, C.TARGET)


def table_paths(results_dir: Path, slug: str, names: Sequence[str]) -> dict[str, Path]:
    """The CSV path of each table name: the first ``<slug>.csv``, the others ``<slug>_<name>.csv``."""
    return {
        name: results_dir / (f"{slug}.csv" if k == 0 else f"{slug}_{name}.csv")
        for k, name in enumerate(names)
    }


def write_tables(results_dir: Path, slug: str, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write each table as CSV (names from :func:`table_paths`); return the paths."""
    results_dir.mkdir(parents=True, exist_ok=True)
    paths = table_paths(results_dir, slug, list(tables))
    for name, frame in tables.items():
        frame.to_csv(paths[name], index=False)
    return list(paths.values())


def write_result(
    out_dir: Path,
    slug: str,
    result: Any,
    header: Mapping[str, Any],
) -> tuple[str, ...]:
    """Write a result's tables and its JSON document; paths relative to ``out_dir``.

    The JSON holds ``header`` (section key, kind, name), ``result`` (the
    result's ``to_json()``), ``aggregate`` when the result has one, and
    ``provenance`` (inputs with SHA-256, pdstudy version).
    """
    results_dir = out_dir / "results"
    tables = dict(result.tables)
    written = write_tables(results_dir, slug, tables)
    doc: dict[str, Any] = {**header, "result": as_document(result.to_json())}
    if "aggregate" in tables:
        doc["aggregate"] = tables["aggregate"]
    doc["provenance"] = result.provenance()
    written.append(write_json(doc, results_dir / f"{slug}.json"))
    written.append(
        write_workbook(results_dir / f"{slug}.xlsx", tables, title=str(header.get("name", slug)))
    )
    prism = prism_tables(tables)
    if prism:
        written.append(
            write_pzfx(results_dir / f"{slug}.pzfx", prism, title=str(header.get("name", slug)))
        )
    return tuple(relative(p, out_dir) for p in written)


def prism_tables(
    tables: Mapping[str, pd.DataFrame], prefix: str = ""
) -> list[XYTable | ColumnTable]:
    """The Prism tables of a result's tables.

    - Points with ``conc_M`` and a response (``pct_specific``, ``pct_control``)
      give an XY table per curve family (``experiment``, ``compound``,
      ``target``): X = log10 molar concentration (wells at 0 M, the controls,
      are left out), Y = the response of each replicate well, excluded wells
      marked as Prism's excluded values.
    - Tables with ``group`` and ``animal`` give a column table per numeric
      measure: one column per group, one value per animal.
    """
    out: list[XYTable | ColumnTable] = []
    for name, frame in tables.items():
        response = next((r for r in RESPONSES if r in frame.columns), None)
        if response is not None and C.CONC_M in frame.columns:
            out.extend(_xy_tables(frame, response, prefix))
        elif C.GROUP in frame.columns and C.ANIMAL in frame.columns:
            out.extend(_column_tables(name, frame, prefix))
    return out


def _xy_tables(frame: pd.DataFrame, response: str, prefix: str) -> list[XYTable]:
    conc = pd.to_numeric(frame[C.CONC_M], errors="coerce")
    points = frame[(conc > 0) & np.isfinite(conc)].copy()
    if C.ROLE in points.columns:
        points = points[points[C.ROLE].astype(str).isin(("competition", "inhibition", "sample"))]
    if points.empty:
        return []
    points["_x"] = np.log10(pd.to_numeric(points[C.CONC_M]))
    points["_y"] = pd.to_numeric(points[response], errors="coerce")
    excluded = points[C.EXCLUDED].astype(bool) if C.EXCLUDED in points.columns else False
    points["_excl"] = excluded
    keys = [k for k in FAMILY_KEYS if k in points.columns]
    groups = points.groupby(keys, sort=False) if keys else [((), points)]
    out = []
    for key, fam in groups:
        values = key if isinstance(key, tuple) else (key,)
        facts = tuple(zip(keys, (str(v) for v in values), strict=True))
        label = " · ".join(str(v) for v in values if str(v))
        xs = sorted(set(fam["_x"].round(9)))
        rows = []
        for x in xs:
            at = fam[fam["_x"].round(9) == x]
            rows.append(
                tuple((float(y), bool(e)) for y, e in zip(at["_y"], at["_excl"], strict=True))
            )
        title = f"{prefix}{label}" if label else f"{prefix}curve"
        out.append(
            XYTable(
                title=title,
                x_title="log[compound] (log10 M)",
                y_title=response.replace("pct_", "% ").replace("_", " "),
                x=tuple(float(x) for x in xs),
                y=tuple(rows),
                notes=facts,
            )
        )
    return out


def _column_tables(name: str, frame: pd.DataFrame, prefix: str) -> list[ColumnTable]:
    out = []
    skip = {C.GROUP, C.ANIMAL}
    for col in frame.columns:
        if col in skip or not pd.api.types.is_numeric_dtype(frame[col]):
            continue
        cols = []
        for group, sub in frame.groupby(C.GROUP, sort=False):
            vals = tuple(float(v) if math.isfinite(float(v)) else math.nan for v in sub[col])
            cols.append((str(group), vals))
        out.append(ColumnTable(title=f"{prefix}{name}: {col}", columns=tuple(cols)))
    return out


def write_study_exports(
    out_dir: Path, study_slug: str, results: Sequence[tuple[str, Any]]
) -> list[Path]:
    """Write ``results/<study_slug>.xlsx`` and ``.pzfx`` from every section's result.

    ``results`` are ``(section slug, result)`` pairs (failed sections left
    out). Sheets are named ``<section slug>_<table>`` (shortened to Excel's 31
    characters; the ``contents`` sheet gives each in full); Prism tables are
    titled ``<section slug>: <family>``.
    """
    results_dir = out_dir / "results"
    tables: dict[str, pd.DataFrame] = {}
    prism: list[XYTable | ColumnTable] = []
    for slug, result in results:
        section_tables = dict(result.tables)
        for name, frame in section_tables.items():
            tables[f"{slug}_{name}"] = frame
        prism.extend(prism_tables(section_tables, prefix=f"{slug}: "))
    written = []
    if tables:
        written.append(write_workbook(results_dir / f"{study_slug}.xlsx", tables, title=study_slug))
    if prism:
        written.append(write_pzfx(results_dir / f"{study_slug}.pzfx", prism, title=study_slug))
    return written


def write_figures(out_dir: Path, specs: Sequence[FigureSpec]) -> tuple[Figure, ...]:
    """Draw each figure, save it as SVG + PNG in ``figures/`` and return the report figures."""
    out = []
    for spec in specs:
        fig = spec.draw()
        out.append(render_figure(fig, spec.stem, spec.caption, out_dir / "figures", out_dir))
    return tuple(out)
