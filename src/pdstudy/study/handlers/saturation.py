"""``[[saturation]]``: saturation binding plates -> Kd and Bmax (CPM, fmol/mg protein)."""

from __future__ import annotations

from pdstudy.assays.binding.sections import (
    SATURATION,
    analyse_saturation_section,
    check_saturation,
)
from pdstudy.assays.schema import Problems
from pdstudy.report.sections import saturation as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "run"]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_saturation(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[saturation]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, analyse_saturation_section, builder)


HANDLER = AssayHandler("saturation", builder.TITLE, SATURATION, run, _check_files)
