"""The report section of a ``[[tst]]`` result (tail suspension test)."""

from __future__ import annotations

from pdstudy.report.sections._behavior import build, effects, figures

__all__ = ["TITLE", "build", "effects", "figures"]

TITLE = "Tail suspension test"
