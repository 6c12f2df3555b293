"""The report's design section: allocation, randomisation and blinding, sample size, deviations,
and the ARRIVE 2.0 Essential 10, filled from the study file.

:func:`build` makes the :class:`~pdstudy.report.model.Section`; :func:`arrive_table`
lists the Essential 10 with what the study file says of each (items it cannot
answer say :data:`TO_COMPLETE`); :func:`markdown` writes the same for a manuscript.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pdstudy.report.format import format_value
from pdstudy.report.model import Section, Table

__all__ = ["ARRIVE_ESSENTIAL_10", "TITLE", "TO_COMPLETE", "arrive_table", "build", "markdown"]

TITLE = "Experimental design"
#: what an item the study file cannot answer says
TO_COMPLETE = "to be completed by the authors"

#: ARRIVE 2.0 Essential 10 (Percie du Sert et al. 2020, PLoS Biol 18:e3000410): (number, item)
ARRIVE_ESSENTIAL_10 = (
    ("1", "Study design"),
    ("2", "Sample size"),
    ("3", "Inclusion and exclusion criteria"),
    ("4", "Randomisation"),
    ("5", "Blinding"),
    ("6", "Outcome measures"),
    ("7", "Statistical methods"),
    ("8", "Experimental animals"),
    ("9", "Experimental procedures"),
    ("10", "Results"),
)


def arrive_table(answers: Mapping[str, str | None]) -> pd.DataFrame:
    """The Essential 10: ``item``, ``name``, ``text`` (from the study file, or :data:`TO_COMPLETE`),
    ``source``. ``answers`` maps an item's name to its text (absent or empty: not answered)."""
    rows = []
    for number, name in ARRIVE_ESSENTIAL_10:
        text = (answers.get(name) or "").strip()
        rows.append(
            (number, name, text or TO_COMPLETE, "study file and analysis" if text else "authors")
        )
    return pd.DataFrame(rows, columns=["item", "name", "text", "source"])


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: [v if isinstance(v, str) else format_value(str(c), v) for v in frame[c]]
            for c in frame.columns
        }
    )


def build(
    *,
    blind: bool,
    allocation: pd.DataFrame,
    balance: pd.DataFrame,
    randomisation: str,
    blinding: str,
    justification: str,
    justification_table: pd.DataFrame | None,
    analyses: pd.DataFrame,
    deviations: pd.DataFrame,
    arrive: pd.DataFrame,
    files: tuple[str, ...] = (),
) -> Section:
    """The design section of the report (status ``flagged`` when there are deviations)."""
    intro = [randomisation, blinding]
    if blind:
        intro.insert(
            0,
            "The analysis ran blind: no unblinding key was given, so groups are shown as their "
            "codes and the comparisons use the first code as the reference group; the planned "
            "comparison against the control is made once the key is given (pdstudy run --key).",
        )
    facts = (
        ("animals allocated", str(len(allocation))),
        ("groups", str(allocation["group"].nunique()) if "group" in allocation else "–"),
        ("deviations", str(len(deviations))),
    )
    tables = [
        Table("Allocation (in test order)", allocation, max_rows=200),
        Table("Animals per group in each block", balance),
    ]
    if justification_table is not None and not justification_table.empty:
        tables.append(Table("Sample-size justification", justification_table, note=justification))
    elif justification:
        intro.append(justification)
    tables.append(
        Table(
            "Analyses: planned (declared in [design] before the experiment) and exploratory",
            analyses,
        )
    )
    tables.append(
        Table(
            "Deviations from the design",
            deviations if not deviations.empty else pd.DataFrame({"deviation": ["none"]}),
        )
    )
    tables.append(Table("ARRIVE 2.0 Essential 10", arrive[["item", "name", "text"]], max_rows=20))
    return Section(
        anchor="design",
        title=TITLE,
        kind="design",
        status="flagged" if not deviations.empty else "ok",
        intro=tuple(intro),
        facts=facts,
        tables=tuple(tables),
        files=files,
        methods=randomisation,
    )


def _md_table(frame: pd.DataFrame) -> list[str]:
    if frame.empty:
        return ["(none)", ""]
    text = _as_text(frame)
    cols = [str(c) for c in text.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in text.itertuples(index=False):
        cells = [str(v).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def markdown(
    title: str,
    *,
    arrive: pd.DataFrame,
    allocation: pd.DataFrame,
    analyses: pd.DataFrame,
    deviations: pd.DataFrame,
    justification: str,
) -> str:
    """The ARRIVE 2.0 Essential 10 and the design as Markdown, for the manuscript."""
    lines = [f"# {title}: experimental design (ARRIVE 2.0 Essential 10)", ""]
    for r in arrive.itertuples(index=False):
        lines += [f"## {r.item}. {r.name}", "", str(r.text), ""]
    lines += ["## Sample-size justification", "", justification or TO_COMPLETE, ""]
    lines += ["## Analyses", ""] + _md_table(analyses)
    lines += ["## Deviations from the design", ""] + _md_table(deviations)
    lines += ["## Allocation", ""] + _md_table(allocation)
    return "\n".join(lines)
