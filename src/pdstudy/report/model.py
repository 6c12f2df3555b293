"""What a report holds: plain frozen dataclasses, independent of how it is rendered.

The study runner (:mod:`pdstudy.study`) fills them from assay results; the
renderer (:mod:`pdstudy.report.html`) turns them into one HTML file. They are
picklable, so assay sections can be built in worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Figure", "Headline", "ReportData", "Section", "Table", "STATUSES"]

#: status of a section: analysed cleanly / analysed with QC flags / failed / not run
STATUSES = ("ok", "flagged", "failed", "skipped")


@dataclass(frozen=True)
class Figure:
    """A figure of the report.

    Attributes
    ----------
    name
        File stem (``binding1_curves``); also the prefix of the SVG's ids.
    caption
        What it shows and how to read it.
    svg
        Inline SVG markup (no XML prolog).
    files
        The SVG/PNG files written, relative to the report's folder.
    wide
        Shown across the whole page (figures with several panels).
    """

    name: str
    caption: str
    svg: str
    files: tuple[str, ...] = ()
    wide: bool = False


@dataclass(frozen=True, eq=False)
class Table:
    """A table of the report: a tidy frame, formatted only when rendered.

    Attributes
    ----------
    title
        Caption above the table.
    frame
        The numbers (molar floats, fractions...), formatted by column name.
    note
        Text under the table.
    labels
        Display names of columns (others are shown as their name).
    max_rows
        Rows shown; the rest are summarised as "... n more rows".
    """

    title: str
    frame: pd.DataFrame
    note: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    max_rows: int = 60


@dataclass(frozen=True, eq=False)
class Section:
    """One section of the report: an assay, the target profile, the synapse model...

    Attributes
    ----------
    anchor
        HTML id, unique in the report.
    title
        Heading.
    kind
        ``binding``, ``saturation``, ``uptake``, ``protein``, ``profile``, ``synapse``...
    key
        TOML key path of the study section (``binding[1]``), "" for others.
    status
        One of :data:`STATUSES`.
    intro
        Paragraphs of plain text.
    facts
        ``(label, value)`` pairs shown as a definition list (the key numbers).
    figures, tables
        Content, in order.
    qc
        QC flags with their reasons (a table), if any.
    error
        Why the section failed (one line a user can act on).
    details
        Longer diagnostic text (a traceback), shown folded.
    files
        Result files written for this section, relative to the report's folder.
    methods
        The methods sentence(s) of this section, written from the parameters used.
    elapsed_s
        Wall time of the analysis.
    """

    anchor: str
    title: str
    kind: str
    key: str = ""
    status: str = "ok"
    intro: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    qc: Table | None = None
    error: str | None = None
    details: str | None = None
    files: tuple[str, ...] = ()
    methods: str = ""
    elapsed_s: float = math.nan

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")


@dataclass(frozen=True, eq=False)
class Headline:
    """The summary at the top of the report.

    Attributes
    ----------
    facts
        ``(label, value)`` pairs: compound, exposure, assays run...
    ki_table
        Measured Ki (with CIs) beside the literature values.
    occupancy_table
        Occupancy of each target at the study's exposure.
    effects
        ``(label, text)`` of functional effects (uptake IC50/Ki, Bmax...).
    pending
        In vivo read-outs this version does not analyse yet (microdialysis,
        FST, TST), shown as clearly marked placeholders.
    notes
        Caveats (unverified literature values, failed assays...).
    """

    facts: tuple[tuple[str, str], ...] = ()
    ki_table: Table | None = None
    occupancy_table: Table | None = None
    effects: tuple[tuple[str, str], ...] = ()
    pending: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything one report shows.

    Attributes
    ----------
    title, subtitle
        Page heading.
    headline
        The summary.
    sections
        One per assay section of the study, in study order.
    pharmacology
        Target profile and synapse-model sections.
    methods
        Paragraphs of the methods text.
    provenance
        The content of ``provenance.json`` (versions, input hashes, parameters, times).
    """

    title: str
    subtitle: str = ""
    headline: Headline = field(default_factory=Headline)
    sections: tuple[Section, ...] = ()
    pharmacology: tuple[Section, ...] = ()
    methods: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> tuple[Section, ...]:
        """The sections that failed."""
        return tuple(s for s in (*self.sections, *self.pharmacology) if s.status == "failed")
