"""The exclusions of a section in the report: one table and one Methods sentence, for every kind.

Every assay result lists its exclusions, declared and by rule, in its
``exclusions`` table (:mod:`pdstudy.assays.exclusions`) and the rules it applied
in ``parameters["exclusion_rules"]``. :func:`with_exclusions` adds both to the
section a kind's builder made, so that every section shows them the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pdstudy.report.model import Section, Table

__all__ = [
    "TABLE_TITLE",
    "exclusion_methods",
    "exclusion_records",
    "exclusion_table",
    "with_exclusions",
]

TABLE_TITLE = "Exclusions (declared and by rule, each with its reason)"

_BY = {
    "declared": "declared (study file or --exclude)",
    "reader": "the plate file (masked or overflowed)",
    "rout": "ROUT",
    "qc": "QC rule",
    "baseline": "baseline rule",
}


def _frame(result: Any) -> pd.DataFrame:
    tables = getattr(result, "tables", {}) or {}
    frame = tables.get("exclusions") if isinstance(tables, Mapping) else None
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()


def exclusion_table(result: Any) -> Table | None:
    """The section's table of exclusions (``None`` when nothing was excluded)."""
    frame = _frame(result)
    if frame.empty:
        return None
    shown = pd.DataFrame(
        {
            "excluded": frame["target"].astype(str),
            "reason": frame["reason"].astype(str),
            "by": [_BY.get(str(b), str(b)) for b in frame["by"]],
            "rule": frame["rule"].astype(str),
            "rows": frame["n_rows"],
        }
    )
    return Table(
        TABLE_TITLE,
        shown,
        note="Excluded data stay in the result tables (columns excluded, exclude_reason, "
        "excluded_by) and are drawn as open symbols; they are left out of fits, means and "
        "statistics.",
        labels={"rows": "rows of data"},
        max_rows=200,
    )


def exclusion_methods(result: Any) -> str:
    """The Methods sentence on exclusions: the rules used, and how many of each kind."""
    params = getattr(result, "parameters", {}) or {}
    rules = [str(r) for r in params.get("exclusion_rules", ()) if str(r)]
    frame = _frame(result)
    counts = frame["by"].value_counts() if not frame.empty else pd.Series(dtype=int)
    parts = [f"{int(n)} by {_BY.get(str(b), str(b))}" for b, n in counts.items()]
    rule_text = "; ".join(rules) if rules else "no exclusion rule"
    if frame.empty:
        return f"Exclusions: {rule_text}; no data were excluded."
    return (
        f"Exclusions: {rule_text}. {len(frame)} exclusion(s) ({', '.join(parts)}), each listed "
        "with its reason; excluded data were kept in the tables and left out of fits, means "
        "and statistics."
    )


def with_exclusions(section: Section, result: Any) -> Section:
    """``section`` with its exclusion table (after the others) and the Methods sentence."""
    table = exclusion_table(result)
    methods = section.methods
    sentence = exclusion_methods(result)
    methods = f"{methods} {sentence}" if methods else sentence
    tables = section.tables + ((table,) if table is not None else ())
    return dataclasses.replace(section, tables=tables, methods=methods)


def exclusion_records(result: Any) -> list[dict[str, Any]]:
    """Every exclusion of a result as JSON-safe records (for provenance)."""
    frame = _frame(result)
    return [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
        for rec in frame.to_dict("records")
    ]
