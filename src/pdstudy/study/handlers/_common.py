"""What the assay handlers share: :func:`run_assay` (analyse -> write -> report section),
failed outcomes, and the older per-handler helpers still used by some kinds."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.assays.plates import (
    COUNTING_KEYS,
    FORMAT_KEY,
    NAME_KEY,
    PLATE_KEYS,
    TARGET_KEY,
    plate_format_names,
    read_merged,
)
from pdstudy.assays.schema import Problems
from pdstudy.errors import PdStudyError
from pdstudy.io.jsonsafe import as_document, json_safe
from pdstudy.report.figures import render_figure
from pdstudy.report.model import Figure, Section
from pdstudy.report.sections import files_text, flagged_rows, relative
from pdstudy.study.model import RunContext, SectionOutcome, SectionSpec
from pdstudy.study.writer import write_figures, write_result, write_tables
from pdstudy.units import conc_text

__all__ = [
    "COUNTING_KEYS",
    "FORMAT_KEY",
    "NAME_KEY",
    "PLATE_KEYS",
    "TARGET_KEY",
    "as_document",
    "conc_text",
    "failed_outcome",
    "figure",
    "files_text",
    "flagged_rows",
    "json_safe",
    "plate_format_names",
    "read_merged",
    "relative",
    "run_assay",
    "run_guarded",
    "write_results",
    "write_results_plain",
]


def figure(ctx: RunContext, fig: Any, stem: str, caption: str) -> Figure:
    """Save ``fig`` to the figures folder (SVG + PNG) and return it as a report figure."""
    return render_figure(fig, stem, caption, ctx.figures_dir, ctx.out_dir)


def write_results(
    ctx: RunContext,
    section: SectionSpec,
    tables: Mapping[str, pd.DataFrame],
    document: Mapping[str, Any],
) -> tuple[str, ...]:
    """Write ``results/<slug>.csv`` (the first table), ``results/<slug>_<name>.csv``
    (the others) and ``results/<slug>.json``; return the paths relative to the output folder."""
    from pdstudy.io.jsonsafe import write_json

    written = write_tables(ctx.results_dir, section.slug, tables)
    doc = {"section": section.key, "kind": section.kind, "name": section.name, **document}
    written.append(write_json(doc, ctx.results_dir / f"{section.slug}.json"))
    return tuple(relative(p, ctx.out_dir) for p in written)


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
        report = builder.build(result, info, figures, files)
        parameters: dict[str, Any] = {
            k: v for k, v in section.values.items() if not _is_file_value(v) and k != "name"
        }
        parameters["analysis_options"] = dict(result.parameters)
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


def section_title(section: SectionSpec, title: str) -> str:
    return (
        f"{title}: {section.name}"
        if section.name != f"{section.kind} {section.index}"
        else (f"{title} {section.index}")
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
        title=section_title(section, title),
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


def run_guarded(
    title: str,
    analyse: Callable[[SectionSpec, RunContext], SectionOutcome],
    section: SectionSpec,
    ctx: RunContext,
) -> SectionOutcome:
    """Run ``analyse``; any exception becomes a failed outcome (the study goes on)."""
    start = time.perf_counter()
    try:
        return analyse(section, ctx)
    except Exception as exc:  # noqa: BLE001 - a failing assay must not stop the study
        return failed_outcome(section, title, exc, time.perf_counter() - start)


def check_exclusive(
    values: dict[str, Any],
    raw: dict[str, Any],
    path: str,
    problems: Problems,
    one: str,
    other: Sequence[str],
    what: str,
) -> None:
    """Rule: give ``one`` or all of ``other`` (not both, not neither)."""
    has_one = one in raw
    has_other = [k for k in other if k in raw]
    if has_one and has_other:
        problems.append((path, f"give {one} or {' + '.join(other)} for {what}, not both"))
    elif not has_one and not has_other:
        problems.append((path, f"missing: {what}; give {one} or {' + '.join(other)}"))
    elif has_other and len(has_other) < len(other):
        lacking = [k for k in other if k not in raw]
        problems.append(
            (f"{path}.{lacking[0]}", f"missing: {' + '.join(other)} go together ({what})")
        )
