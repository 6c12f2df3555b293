"""The report section of a ``[[fst]]`` result (forced swim test)."""

from __future__ import annotations

from pdstudy.report.sections._behavior import build, effects, figures

__all__ = ["TITLE", "build", "effects", "figures"]

TITLE = "Forced swim test"
