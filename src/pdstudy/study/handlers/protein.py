"""``[[protein]]``: Bradford/BCA standard-curve plates -> protein concentration of each preparation."""

from __future__ import annotations

import time

from pdstudy.assays.plates import check_plates
from pdstudy.assays.protein.sections import (
    PROTEIN,
    PROTEIN_KEYS,
    PROTEIN_MODEL_KEYS,
    analyse_protein_plates,
    protein_rule,
)
from pdstudy.assays.protein.sections import check_protein_files as _check_protein_files
from pdstudy.assays.protein.sections import protein_per_well as _protein_per_well
from pdstudy.assays.schema import Problems
from pdstudy.errors import UsageError
from pdstudy.report.figures import new_figure
from pdstudy.report.model import Figure, Section, Table
from pdstudy.study.handlers._common import (
    figure,
    files_text,
    flagged_rows,
    run_guarded,
    section_title,
    write_results,
)
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = [
    "HANDLER",
    "PROTEIN_KEYS",
    "PROTEIN_MODEL_KEYS",
    "analyse_protein_plates",
    "check_protein_files",
    "protein_per_well",
    "protein_rule",
]

TITLE = "Protein determination"


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
    mg, result, text = pw.mg, pw.result, pw.text
    if result is None:
        return mg, [], text
    from pdstudy.assays.protein import plot_protein

    v = section.values
    figures = []
    for plate in result.chosen:
        fig, (ax,) = new_figure(5.6, 4.0)
        plot_protein(result, ax=ax, plate=plate)
        figures.append(
            figure(
                ctx,
                fig,
                f"{section.slug}_protein",
                f"Protein standard curve of the preparation ({v['protein_plate'].name}): "
                "standards, fit with its 95 % band, and the sample read off the curve.",
            )
        )
    return mg, figures, text


SCHEMA = PROTEIN


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_plates(
        section.values,
        section.key,
        problems,
        roles=("standard", "sample"),
        fmt=section.values.get("format"),
    )


def _analyse(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    from pdstudy.assays.protein import plot_protein

    start = time.perf_counter()
    v = section.values
    result = analyse_protein_plates(v["plates"], v["layout"], v["format"], v)
    figures = []
    for plate in result.chosen:
        fig, (ax,) = new_figure(6.0, 4.2)
        plot_protein(result, ax=ax, plate=plate)
        figures.append(
            figure(
                ctx,
                fig,
                f"{section.slug}_{plate}".replace(":", "_"),
                f"{v['method']} standard curve of plate {plate}: standards (mean ± SD), the "
                "chosen model with its 95 % confidence band, and each sample read off the curve "
                "with its calibration interval (hollow: flagged).",
            )
        )
    by_sample = result.by_sample()
    files = write_results(
        ctx,
        section,
        {"samples": result.samples, "by_sample": by_sample, "models": result.models},
        {"summary": result.summary(), "samples": result.samples, "models": result.models},
    )
    qc = flagged_rows(result.samples, ("plate", "sample", "dilution"), reasons=("reason",))
    models = ", ".join(f"plate {p}: {m}" for p, m in result.chosen.items())
    methods = (
        f"Protein ({section.name}) was determined by the {v['method']} method against BSA "
        f"standards ({files_text(v['plates'], ctx.study_dir)}); the blank-subtracted standard "
        f"curve was fitted by nonlinear regression ({models}; model chosen by the extra "
        "sum-of-squares F test, linear vs quadratic, then AICc against a 4PL) and samples were "
        "read off the curve with 95 % calibration intervals, corrected for dilution."
    )
    status = "flagged" if qc is not None else "ok"
    facts = tuple(
        (
            str(r["sample"]),
            f"{r['protein_mg_per_mL']:.3g} mg/mL (95 % CI {r['ci_low_mg_per_mL']:.3g}–"
            f"{r['ci_high_mg_per_mL']:.3g})" + (f" [{r['flags']}]" if r["flags"] else ""),
        )
        for r in by_sample.to_dict("records")
    )
    elapsed = time.perf_counter() - start
    report = Section(
        anchor=section.slug,
        title=section_title(section, TITLE),
        kind=section.kind,
        key=section.key,
        status=status,
        intro=(
            "Absorbance of BSA standards and unknown preparations; protein concentration of "
            "each preparation read off the standard curve (mean over in-range dilutions).",
        ),
        facts=facts,
        figures=tuple(figures),
        tables=(
            Table("Protein concentration per sample", by_sample),
            Table(
                "Standard-curve models compared",
                result.models[
                    [
                        c
                        for c in (
                            "plate",
                            "model",
                            "n_points",
                            "r_squared",
                            "aicc",
                            "f_test_p",
                            "chosen",
                            "selection",
                        )
                        if c in result.models.columns
                    ]
                ],
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=elapsed,
    )
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=True,
        summary={"samples": by_sample},
        parameters={k: v[k] for k in ("method", "model", "weights", "max_cv", "format")},
        elapsed_s=elapsed,
    )


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[protein]]`` section (errors become a failed outcome)."""
    return run_guarded(TITLE, _analyse, section, ctx)


HANDLER = AssayHandler("protein", TITLE, SCHEMA, run, _check_files)
