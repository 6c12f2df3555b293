"""The one writer of a study's outputs: result tables (CSV), documents (JSON), figures (SVG/PNG).

Every entry point writes through here (``pdstudy run`` and every assay
command, which runs a one-section study), so output names cannot drift:

- ``results/<slug>.csv``: the result's main table (its first: ``curves``,
  ``params``, ``samples``...);
- ``results/<slug>_<table>.csv``: each other table (``aggregate``, ``qc``,
  ``wells``...), named from the vocabulary of :data:`pdstudy.assays.contract.TABLE_NAMES`;
- ``results/<slug>.json``: the section, the result's document and provenance;
- ``figures/<stem>.svg`` and ``.png``: each figure of the section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.io.jsonsafe import as_document, write_json
from pdstudy.report.figures import render_figure
from pdstudy.report.model import Figure
from pdstudy.report.sections import FigureSpec, relative

__all__ = ["table_paths", "write_figures", "write_result", "write_tables"]


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
    return tuple(relative(p, out_dir) for p in written)


def write_figures(out_dir: Path, specs: Sequence[FigureSpec]) -> tuple[Figure, ...]:
    """Draw each figure, save it as SVG + PNG in ``figures/`` and return the report figures."""
    out = []
    for spec in specs:
        fig = spec.draw()
        out.append(render_figure(fig, spec.stem, spec.caption, out_dir / "figures", out_dir))
    return tuple(out)
