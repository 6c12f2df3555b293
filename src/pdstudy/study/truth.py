"""A simulated study's truth beside what the analysis recovered.

A study made of simulated files may name the simulator's truth with
``[study] truth = "TRUTH.json"``. The file's ``checks`` list says, for each
quantity, where the analysis reports it:

.. code-block:: json

    {"checks": [
      {"quantity": "NET Ki (geometric mean)", "section": "binding[1]",
       "table": "aggregate", "where": {"target": "NET"}, "column": "ki_geomean_M",
       "ci": ["ki_ci_low_M", "ki_ci_high_M"], "true": 5e-10, "unit": "M"}
    ]}

``ci`` is two columns (the CI limits) or ``"sem"`` (a t-based 95 % CI from the
row's ``sem`` and ``n``). The report then shows one row per check: the true
and recovered values, the ratio, and whether the CI covers the truth. A check
that names a section, table, row or column the results do not have is a row
with its reason, not an error: the analysis has run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.errors import InputFileError
from pdstudy.units import conc_text

__all__ = ["TRUTH_COLUMNS", "read_truth_checks", "truth_vs_recovered"]

#: columns of :func:`truth_vs_recovered`
TRUTH_COLUMNS = (
    "quantity",
    "section",
    "true_value",
    "recovered",
    "ci",
    "recovered_over_true",
    "true_in_ci",
    "note",
)

_NEEDED = ("quantity", "section", "table", "column", "true")


def read_truth_checks(path: str | Path) -> list[dict[str, Any]]:
    """The ``checks`` of a truth file, each with the keys :func:`truth_vs_recovered` needs."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read the truth file: {exc}", p) from exc
    checks = data.get("checks") if isinstance(data, Mapping) else None
    if not isinstance(checks, list):
        raise InputFileError("the truth file has no 'checks' list", p)
    for i, c in enumerate(checks, start=1):
        missing = [k for k in _NEEDED if not isinstance(c, Mapping) or k not in c]
        if missing:
            raise InputFileError(f"missing key(s) {', '.join(missing)}", p, where=f"checks[{i}]")
    return [dict(c) for c in checks]


def _text(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "–"
    if unit == "M":
        return conc_text(value)
    if unit == "s":  # times (immobility): to a tenth of a second
        return f"{value:,.1f} s"
    number = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{number} {unit}".strip()


def _row(check: Mapping[str, Any], outcomes: Mapping[str, Any]) -> dict[str, Any]:
    unit = str(check.get("unit", ""))
    true = float(check["true"])
    rec: dict[str, Any] = {
        "quantity": str(check["quantity"]),
        "section": str(check["section"]),
        "true_value": _text(true, unit),
        "recovered": "–",
        "ci": "–",
        "recovered_over_true": math.nan,
        "true_in_ci": None,
        "note": "",
    }
    outcome = outcomes.get(rec["section"])
    if outcome is None:
        rec["note"] = "no such section in this study"
        return rec
    if not outcome.ok or outcome.result is None:
        rec["note"] = "the section failed"
        return rec
    table = outcome.result.tables.get(str(check["table"]))
    if table is None:
        rec["note"] = f"the section has no table {check['table']!r}"
        return rec
    rows = table
    for col, want in dict(check.get("where", {})).items():
        if col not in rows.columns:
            rec["note"] = f"table {check['table']!r} has no column {col!r}"
            return rec
        rows = rows[rows[col].astype(str) == str(want)]
    column = str(check["column"])
    if len(rows) != 1 or column not in rows.columns:
        rec["note"] = (
            f"no column {column!r}" if column not in rows.columns else f"{len(rows)} rows match"
        )
        return rec
    row = rows.iloc[0]
    value = float(row[column])
    rec["recovered"] = _text(value, unit)
    rec["recovered_over_true"] = value / true if true else math.nan
    ci = check.get("ci")
    lo = hi = math.nan
    if ci == "sem" and {"sem", "n"} <= set(rows.columns) and int(row["n"]) > 1:
        half = float(stats.t.ppf(0.975, int(row["n"]) - 1)) * float(row["sem"])
        lo, hi = value - half, value + half
    elif isinstance(ci, Sequence) and not isinstance(ci, str) and len(ci) == 2:
        if all(c in rows.columns for c in ci):
            lo, hi = float(row[ci[0]]), float(row[ci[1]])
    if np.isfinite(lo) and np.isfinite(hi):
        rec["ci"] = f"{_text(lo, unit)} to {_text(hi, unit)}"
        rec["true_in_ci"] = bool(lo <= true <= hi)
    return rec


def truth_vs_recovered(
    checks: Sequence[Mapping[str, Any]], outcomes: Sequence[Any]
) -> pd.DataFrame:
    """One row per check: the true value, the recovered one with its 95 % CI, their ratio.

    ``outcomes`` are the study's :class:`~pdstudy.study.model.SectionOutcome`.
    Columns: :data:`TRUTH_COLUMNS`.
    """
    by_key = {o.key: o for o in outcomes}
    return pd.DataFrame([_row(c, by_key) for c in checks], columns=list(TRUTH_COLUMNS))
