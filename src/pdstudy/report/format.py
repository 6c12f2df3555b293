"""Formatting numbers for people: the only place where numbers become text.

Columns are formatted by their name, following pdstudy's column conventions:
``*_M`` molar concentrations with a prefix ("0.52 nM"), ``pki``/``log_*``
with two decimals, occupancies and fractions as percentages, ``p_value`` with
three significant digits, booleans as yes/no, missing values as a dash.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from pdstudy.report.model import Table
from pdstudy.units import format_conc

__all__ = ["LABELS", "format_value", "table_html"]

MISSING = "–"

#: display names of common columns
LABELS: dict[str, str] = {
    "ki_M": "Ki",
    "ic50_M": "IC50",
    "kd_M": "Kd",
    "pki": "pKi",
    "literature_ki_M": "literature Ki",
    "literature_pki": "literature pKi",
    "measured_ki_M": "measured Ki",
    "measured_ki_ci_low_M": "95 % CI low",
    "measured_ki_ci_high_M": "95 % CI high",
    "measured_pki": "measured pKi",
    "fold_vs_literature": "measured / literature",
    "literature_in_ci": "literature in CI",
    "conc_free_M": "free conc.",
}

_PCT_WORDS = ("occupancy", "fraction", "percent")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def format_value(column: str, value: Any) -> str:
    """Text of ``value`` in a column called ``column`` (see the module docstring)."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        name = column.lower()
        if name.endswith("_m") and not name.endswith("_per_m"):
            return format_conc(v)
        if name.endswith("_pct") or "pct_" in name:
            return f"{v:.1f} %"
        if any(w in name for w in _PCT_WORDS) and 0 <= v <= 1:
            return f"{100 * v:.1f} %"
        if "pki" in name or name.startswith("log") or name.startswith("p") and name[1:3] == "ic":
            return f"{v:.2f}"
        if name in ("hill", "hill_slope", "r_squared", "r2", "z_prime") or name.endswith("_cv"):
            return f"{v:.3f}"
        if "p_value" in name or name in ("p", "pvalue"):
            return f"{v:.3g}"
        if v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
            return f"{v:.3g}"
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(value)


#: how the words of column names are shown in headers
_WORDS = {
    "ki": "Ki",
    "pki": "pKi",
    "ic50": "IC50",
    "kd": "Kd",
    "pkd": "pKd",
    "bmax": "Bmax",
    "km": "Km",
    "vmax": "Vmax",
    "ci": "CI",
    "cpm": "CPM",
    "dpm": "DPM",
    "nsb": "NSB",
    "cv": "CV",
    "pct": "(%)",
    "per": "/",
    "ne": "NE",
    "mg": "mg",
}


def _header(column: str, labels: Mapping[str, str]) -> str:
    if column in labels:
        return labels[column]
    if column in LABELS:
        return LABELS[column]
    words = str(column).split("_")
    if len(words) > 1 and words[-1] == "M":
        words = words[:-1]  # molar: the values carry their unit
    return " ".join(_WORDS.get(w.lower(), w) for w in words)


def table_html(table: Table) -> Markup:
    """The table as an HTML ``<table>`` (escaped; numbers right-aligned)."""
    frame = table.frame
    cols = [str(c) for c in frame.columns]
    out = ['<div class="table-wrap"><table>']
    if table.title:
        out.append(f"<caption>{html.escape(table.title)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(f"<th>{html.escape(_header(c, table.labels))}</th>" for c in cols)
        + "</tr></thead><tbody>"
    )
    shown = frame.head(table.max_rows)
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, row, strict=True):
            text = format_value(c, v)
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                v, (bool, np.bool_)
            )
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    more = len(frame) - len(shown)
    if more > 0:
        out.append(
            f'<tr><td colspan="{len(cols)}" class="more">… {more} more rows in the CSV</td></tr>'
        )
    out.append("</tbody></table>")
    if table.note:
        out.append(f'<p class="note">{html.escape(table.note)}</p>')
    out.append("</div>")
    return Markup("".join(out))
