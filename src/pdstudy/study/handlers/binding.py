"""``[[binding]]``: radioligand competition plates -> IC50, Ki, pKi per experiment, QC, mean pKi."""

from __future__ import annotations

from pdstudy.assays.binding.sections import BINDING, analyse_binding, check_binding
from pdstudy.assays.schema import Problems
from pdstudy.report.sections import binding as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "run"]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_binding(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[binding]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, analyse_binding, builder)


HANDLER = AssayHandler("binding", builder.TITLE, BINDING, run, _check_files)
