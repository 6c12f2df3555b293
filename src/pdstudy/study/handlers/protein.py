"""``[[protein]]``: Bradford/BCA standard-curve plates -> protein concentration of each preparation."""

from __future__ import annotations

from pdstudy.assays.protein.sections import PROTEIN, analyse_protein, check_protein
from pdstudy.assays.schema import Problems
from pdstudy.report.sections import protein as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "run"]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_protein(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[protein]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, analyse_protein, builder)


HANDLER = AssayHandler("protein", builder.TITLE, PROTEIN, run, _check_files)
