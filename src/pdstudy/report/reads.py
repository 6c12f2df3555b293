"""Which read of a kinetic plate-reader file a section analysed, in its Methods text.

A kinetic file holds several reads of every well (cycles); the analysis uses
one (the ``cycle`` key, by default the last), and records it with the file in
the result's inputs (:attr:`pdstudy.assays.contract.InputFile.read`).
:func:`with_reads` says it in the Methods paragraph of every kind, so that a
reader of the report knows which read the numbers come from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pdstudy.report.model import Section

__all__ = ["reads_methods", "with_reads"]


def reads_methods(result: Any) -> str:
    """The Methods sentence naming the read analysed of each kinetic input file ("" if none)."""
    parts = [
        f"{Path(f.path).name}: {f.read}"
        for f in getattr(result, "inputs", ())
        if getattr(f, "read", "")
    ]
    if not parts:
        return ""
    return f"Kinetic plate-reader files, the read analysed: {'; '.join(parts)}."


def with_reads(section: Section, result: Any) -> Section:
    """``section`` with :func:`reads_methods` added to its Methods paragraph."""
    sentence = reads_methods(result)
    if not sentence:
        return section
    methods = f"{section.methods} {sentence}" if section.methods else sentence
    return dataclasses.replace(section, methods=methods)
