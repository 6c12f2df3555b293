"""``[[tst]]``: tail suspension test videos or manual scores -> immobility, group statistics."""

from __future__ import annotations

from functools import partial

from pdstudy.assays.behavior.sections import TST, analyse_tst, check_behavior
from pdstudy.assays.schema import Problems
from pdstudy.report.sections import tst as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "run"]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_behavior(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[tst]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, partial(analyse_tst, map=ctx.map), builder)


HANDLER = AssayHandler("tst", builder.TITLE, TST, run, _check_files, per_file=True)
