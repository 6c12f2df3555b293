"""``[[microdialysis]]``: HPLC-ED chromatograms -> concentrations, % baseline, AUC, statistics."""

from __future__ import annotations

from functools import partial

from pdstudy.assays.microdialysis.sections import (
    MICRODIALYSIS,
    analyse_microdialysis,
    check_microdialysis,
)
from pdstudy.assays.schema import Problems
from pdstudy.report.sections import microdialysis as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "run"]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_microdialysis(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[microdialysis]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, partial(analyse_microdialysis, map=ctx.map), builder)


HANDLER = AssayHandler(
    "microdialysis", builder.TITLE, MICRODIALYSIS, run, _check_files, per_file=True
)
