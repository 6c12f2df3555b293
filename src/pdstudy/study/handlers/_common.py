"""What the assay handlers share: :func:`run_assay` (analyse -> write -> report section),
failed outcomes, and writing plain tables (the study's pharmacology)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.errors import PdStudyError
from pdstudy.report.exclusions import exclusion_records, with_exclusions
from pdstudy.report.model import Section
from pdstudy.report.reads import with_reads
from pdstudy.report.sections import relative
from pdstudy.study.model import RunContext, SectionOutcome, SectionSpec
from pdstudy.study.writer import write_figures, write_result, write_tables

__all__ = ["failed_outcome", "run_assay", "write_results_plain"]


def write_results_plain(ctx: RunContext, tables: Mapping[str, pd.DataFrame]) -> tuple[str, ...]:
    """Write ``results/<name>.csv`` for each table; return the paths relative to the output folder."""
    written = []
    for name, frame in tables.items():
        written += write_tables(ctx.results_dir, name, {name: frame})
    return tuple(relative(p, ctx.out_dir) for p in written)


def run_assay(
    section: SectionSpec,
    ctx: RunContext,
    analyse: Callable[[Mapping[str, Any]], Any],
    builder: Any,
) -> SectionOutcome:
    """Run one section the way every kind runs: analyse, write, build the report section.

    ``analyse(values) -> result`` is the assay's analysis of one section
    (:mod:`pdstudy.assays.<kind>.sections`); ``builder`` is the kind's report
    module (:mod:`pdstudy.report.sections.<kind>`). The result's tables and
    document are written by :func:`pdstudy.study.writer.write_result`, its
    figures by :func:`~pdstudy.study.writer.write_figures`. Any exception
    becomes a failed outcome (the study goes on).
    """
    start = time.perf_counter()
    try:
        result = analyse(section.values)
        info = section.info(ctx.study_dir)
        files = write_result(
            ctx.out_dir,
            section.slug,
            result,
            {"section": section.key, "kind": section.kind, "name": section.name},
        )
        figures = write_figures(ctx.out_dir, builder.figures(result, info))
        elapsed = time.perf_counter() - start
        info = section.info(ctx.study_dir, elapsed)
        report = with_exclusions(builder.build(result, info, figures, files), result)
        report = with_reads(report, result)
        parameters: dict[str, Any] = {
            k: v for k, v in section.values.items() if not _is_file_value(v) and k != "name"
        }
        parameters["analysis_options"] = dict(result.parameters)
        parameters["exclusions"] = exclusion_records(result)
        return SectionOutcome(
            key=section.key,
            kind=section.kind,
            name=section.name,
            section=report,
            ok=True,
            result=result,
            effects=tuple(builder.effects(result, info)),
            summary={
                "summary": result.summary(),
                "tables": {name: len(frame) for name, frame in result.tables.items()},
                **(
                    {"aggregate": result.tables["aggregate"]}
                    if "aggregate" in result.tables
                    else {}
                ),
            },
            parameters=parameters,
            elapsed_s=elapsed,
        )
    except Exception as exc:  # noqa: BLE001 - a failing assay must not stop the study
        return failed_outcome(section, builder.TITLE, exc, time.perf_counter() - start)


def _is_file_value(value: Any) -> bool:
    return isinstance(value, Path) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, Path) for v in value)
    )


def failed_outcome(
    section: SectionSpec, title: str, error: BaseException | str, elapsed: float
) -> SectionOutcome:
    """The outcome of a section whose analysis raised."""
    if isinstance(error, BaseException):
        message = (
            str(error) if isinstance(error, PdStudyError) else (f"{type(error).__name__}: {error}")
        )
        details = "".join(traceback.format_exception(error))
    else:
        message, details = error, None
    report = Section(
        anchor=section.slug,
        title=section.info(Path(".")).title(title),
        kind=section.kind,
        key=section.key,
        status="failed",
        error=message,
        details=details,
        elapsed_s=elapsed,
    )
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=False,
        summary={"status": "failed", "error": message},
        elapsed_s=elapsed,
    )
