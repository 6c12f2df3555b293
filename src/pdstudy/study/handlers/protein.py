"""``[[protein]]``: Bradford/BCA standard-curve plates -> protein concentration of each preparation.

Also the legacy helpers :func:`protein_per_well` and :func:`check_protein_files`
(taking a section), still used by the uptake handler; new code uses
:mod:`pdstudy.assays.protein.sections` directly.
"""

from __future__ import annotations

from pdstudy.assays.protein.sections import (
    PROTEIN,
    PROTEIN_KEYS,
    analyse_protein,
    check_protein,
    protein_rule,
)
from pdstudy.assays.protein.sections import check_protein_files as _check_protein_files
from pdstudy.assays.protein.sections import protein_per_well as _protein_per_well
from pdstudy.assays.schema import Problems
from pdstudy.errors import UsageError
from pdstudy.report.model import Figure
from pdstudy.report.sections import protein as builder
from pdstudy.study.handlers._common import run_assay
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec
from pdstudy.study.writer import write_figures

__all__ = [
    "HANDLER",
    "PROTEIN_KEYS",
    "check_protein_files",
    "protein_per_well",
    "protein_rule",
    "run",
]


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_protein(section.values, section.key, problems)


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[protein]]`` section (errors become a failed outcome)."""
    return run_assay(section, ctx, analyse_protein, builder)


HANDLER = AssayHandler("protein", builder.TITLE, PROTEIN, run, _check_files)


# --- legacy helpers of the uptake handler (until it runs through run_assay) -----------


def check_protein_files(section: SectionSpec, problems: Problems) -> None:
    """Check a section's protein_plate against its protein_layout."""
    _check_protein_files(section.values, section.key, problems)


def protein_per_well(section: SectionSpec, ctx: RunContext) -> tuple[float, list[Figure], str]:
    """Protein per well (mg) of a section: given, or read off its protein plate.

    Returns ``(mg per well, figures of the protein plate, a methods phrase)``.
    """
    pw = _protein_per_well(section.values, section.key)
    if pw is None:
        raise UsageError("no protein per well (give protein or protein_plate)", where=section.key)
    if pw.result is None:
        return pw.mg, [], pw.text
    specs = builder.standard_curve_figures(
        pw.result, f"{section.slug}_protein", section.values["protein_plate"].name
    )
    return pw.mg, list(write_figures(ctx.out_dir, specs)), pw.text
