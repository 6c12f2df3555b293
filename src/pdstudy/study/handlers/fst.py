"""``[[fst]]``: forced swim test videos or manual scores -> immobility, group statistics."""

from __future__ import annotations

from functools import partial

from pdstudy.assays.behavior.sections import FST, analyse_fst, check_behavior
from pdstudy.assays.schema import Problems
from pdstudy.report.sections import fst as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "run"]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_behavior(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[fst]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, partial(analyse_fst, map=ctx.map), builder)


HANDLER = AssayHandler("fst", builder.TITLE, FST, run, _check_files, per_file=True)
