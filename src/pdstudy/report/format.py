"""Formatting numbers for people: the only place where numbers become text.

In a table every column has one number style (:func:`column_style`): molar
columns one unit for the whole column, named in the header ("Ki (nM)"),
other numbers the same number of decimals in every row, and units stated by
a column's name (``rate_pmol_per_mg_per_min``) in its header.

Single values are formatted by their column's name, following pdstudy's column conventions:
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

from pdstudy.io.excel import split_unit
from pdstudy.report.model import Table
from pdstudy.units import conc_unit, format_conc

__all__ = ["LABELS", "column_style", "format_value", "table_html"]

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


SHORT_WORD = 14
"""Cells of one word up to this many characters keep the word whole (CSS class ``word``)."""


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


def _header(column: str, labels: Mapping[str, str], unit: str | None = None) -> str:
    """Header text; ``unit`` (the column's one unit) is added in brackets."""
    if column in labels:
        base = labels[column]
    elif column in LABELS:
        base = LABELS[column]
    else:
        stem, _ = split_unit(str(column))
        base = " ".join(_WORDS.get(w.lower(), w) for w in stem.split("_"))
    return f"{base} ({unit})" if unit and f"({unit})" not in base else base


def _is_molar(name: str) -> bool:
    return name.endswith("_M") and split_unit(name)[1] == "M"


def _decimals(values: np.ndarray) -> int:
    """Decimals giving ~3 significant figures at the column's median magnitude (0-4)."""
    v = np.abs(values[np.isfinite(values) & (values != 0)])
    if v.size == 0:
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(float(np.median(v)))))))


def column_style(column: str, values: Any) -> tuple[str | None, Any]:
    """(unit for the header or None, value -> text) of one table column.

    - molar columns (``*_M``): one unit for the column (:func:`pdstudy.units.conc_unit`),
      three significant figures per value;
    - columns :func:`format_value` gives a fixed style (pKi, %, Hill, p values,
      counts) keep it;
    - other numbers: one number of decimals for the whole column;
    - a unit stated by the column name (``_pmol_per_mg_per_min``) goes to the header.
    """
    series = pd.Series(values)
    numeric = pd.to_numeric(series, errors="coerce")
    is_float = series.map(lambda v: isinstance(v, (float, np.floating))).any()
    if _is_molar(column) and is_float:
        unit, factor = conc_unit(numeric.to_numpy(dtype=float))

        def molar(v: Any) -> str:
            if _is_missing(v) or not isinstance(v, (int, float, np.integer, np.floating)):
                return format_value(column, v)
            x = float(v) / factor
            if math.isinf(x):
                return "∞" if x > 0 else "-∞"
            return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"

        return unit, molar
    _, stated = split_unit(column)
    name = column.lower()
    fixed = (
        name.endswith("_pct")
        or "pct_" in name
        or any(w in name for w in _PCT_WORDS)
        or "pki" in name
        or name.startswith(("log", "pic"))
        or "p_value" in name
        or name in ("p", "pvalue", "hill", "hill_slope", "r_squared", "r2", "z_prime")
        or name.endswith(("_p", "_cv"))
    )
    if not is_float or fixed:
        return (None if stated == "%" else stated), lambda v: format_value(column, v)
    arr = numeric.to_numpy(dtype=float)
    finite = arr[np.isfinite(arr)]
    # whole numbers stored as floats (n, counts) stay whole
    d = 0 if finite.size and np.all(finite == np.round(finite)) else _decimals(arr)
    large = float(np.nanmax(np.abs(numeric))) if numeric.notna().any() else 0.0

    def number(v: Any) -> str:
        if _is_missing(v) or not isinstance(v, (float, np.floating)):
            return format_value(column, v)
        x = float(v)
        if math.isinf(x):
            return "∞" if x > 0 else "-∞"
        if large >= 1e7 or (0 < large < 1e-3):
            return f"{x:.3g}"
        return f"{x:,.{d}f}"

    return stated, number


def table_html(table: Table) -> Markup:
    """The table as an HTML ``<table>`` (escaped; numbers right-aligned)."""
    frame = table.frame
    cols = [str(c) for c in frame.columns]
    shown = frame.head(table.max_rows)
    styles = [column_style(c, shown.iloc[:, j]) for j, c in enumerate(cols)]
    out = ['<div class="table-wrap"><table>']
    if table.title:
        out.append(f"<caption>{html.escape(table.title)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            # units may break after a slash, so that wide tables fit the page
            "<th>" + html.escape(_header(c, table.labels, unit)).replace("/", "/<wbr>") + "</th>"
            for c, (unit, _) in zip(cols, styles, strict=True)
        )
        + "</tr></thead><tbody>"
    )
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for (_, style), v in zip(styles, row, strict=True):
            text = style(v)
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                v, (bool, np.bool_)
            )
            # a short single word (a status, a flag, a model name) is never broken mid-word;
            # long tokens (paths, hashes, well lists) may still break so tables fit the page
            word = not numeric and len(text) <= SHORT_WORD and not any(c.isspace() for c in text)
            cls = ' class="num"' if numeric else (' class="word"' if word else "")
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


def estimate_ci_text(value: float, low: float, high: float, decimals: int = 2) -> str:
    """``"-1.02 (-1.15 to -0.89)"``: a parameter and its CI in one number style.

    A missing CI leaves the value alone; a missing value is a dash.
    """
    if _is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    text = f"{float(value):.{decimals}f}"
    if _is_missing(low) or _is_missing(high):
        return text
    return f"{text} ({float(low):.{decimals}f} to {float(high):.{decimals}f})"


def model_parameters_text(curves: pd.DataFrame) -> pd.DataFrame:
    """``curves`` with the reported model's Hill slope, top and bottom as text with CIs.

    Adds ``hill_text`` (``"-1 (fixed)"`` for the one-site model or a slope held
    at a value, else the variable-slope estimate with its CI), ``top_text`` and
    ``bottom_text`` (the chosen model's plateaus with their CIs, or ``"100
    (fixed)"`` where ``top_fixed`` / ``bottom_fixed``), for the report's curve tables.
    """
    out = curves.copy()

    def col(name: str) -> pd.Series:
        return out[name] if name in out.columns else pd.Series(np.nan, index=out.index)

    def held(name: str) -> pd.Series:
        flags = out[name] if name in out.columns else pd.Series(False, index=out.index)
        return flags.fillna(False).astype(bool)

    def fixed_text(value: Any, default: float | None = None) -> str:
        v = default if _is_missing(value) and default is not None else value
        return MISSING if _is_missing(v) else f"{float(v):g} (fixed)"

    out["hill_text"] = [
        fixed_text(v, -1.0) if f else estimate_ci_text(v, lo, hi, 2)
        for f, v, lo, hi in zip(
            held("hill_fixed"), col("hill"), col("hill_ci_low"), col("hill_ci_high"), strict=True
        )
    ]
    for name in ("top", "bottom"):
        out[f"{name}_text"] = [
            fixed_text(v) if f else estimate_ci_text(v, lo, hi, 1)
            for f, v, lo, hi in zip(
                held(f"{name}_fixed"),
                col(name),
                col(f"{name}_ci_low"),
                col(f"{name}_ci_high"),
                strict=True,
            )
        ]
    return out
