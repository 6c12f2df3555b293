"""``[[uptake]]``: synaptosomal [3H]-substrate uptake -> IC50/Ki (inhibition) or Km/Vmax (kinetics)."""

from __future__ import annotations

from pdstudy.assays.schema import Problems
from pdstudy.assays.uptake.sections import UPTAKE, analyse_uptake_section, check_uptake
from pdstudy.report.sections import uptake as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER", "SCHEMA", "run"]

SCHEMA = UPTAKE


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_uptake(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[uptake]]`` section, either mode (errors become a failed outcome)."""
    return run_assay(section, ctx, analyse_uptake_section, builder)


HANDLER = AssayHandler("uptake", builder.TITLE, SCHEMA, run, _check_files)
