"""``[[saturation]]``: saturation binding plates -> Kd and Bmax (CPM, fmol/mg protein)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from pdstudy.assays.plates import check_plates
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.report.figures import new_figure
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections.binding import qc_table
from pdstudy.study.handlers._common import (
    COUNTING_KEYS,
    NAME_KEY,
    PLATE_KEYS,
    TARGET_KEY,
    as_document,
    conc_text,
    figure,
    files_text,
    run_guarded,
    section_title,
    write_results,
)
from pdstudy.study.handlers.protein import (
    PROTEIN_KEYS,
    check_protein_files,
    protein_per_well,
    protein_rule,
)
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER"]

TITLE = "Saturation binding"
MAX_FIGURES = 4

SCHEMA = Schema(
    "saturation",
    (
        NAME_KEY,
        TARGET_KEY,
        *PLATE_KEYS,
        Key(
            "radioligand",
            "text",
            default="radioligand",
            doc="name of the radioligand (methods text)",
            example='"[3H]nisoxetine"',
        ),
        Key(
            "specific_activity",
            "quantity",
            "specific_activity",
            positive=True,
            doc="radioligand specific activity (Bmax in fmol/mg, bound radioligand)",
            example='"80 Ci/mmol"',
        ),
        Key(
            "volume",
            "quantity",
            "volume",
            positive=True,
            doc="assay volume per well (depletion check, free_correction)",
            example='"200 µL"',
        ),
        COUNTING_KEYS[0],
        *PROTEIN_KEYS,
        Key(
            "free_correction",
            "bool",
            default=False,
            doc="fit against free radioligand ([L] - bound) instead of the added concentration",
            example="false",
        ),
        Key(
            "weighting",
            "choice",
            default="auto",
            choices=("auto", "counts", "relative", "none"),
            doc="weighting of the fit (as for binding)",
            example='"auto"',
        ),
    ),
    doc="Saturation binding: total and NSB wells over a radioligand concentration series; Kd "
    "and Bmax from total and NSB fitted together.",
    rules=(protein_rule,),
)


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_plates(
        section.values,
        section.key,
        problems,
        roles=("total", "nsb"),
        fmt=section.values.get("format"),
    )
    check_protein_files(section, problems)


def _analyse(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    from pdstudy.assays.binding import analyze_saturation, plot_saturation, read_merged

    scatchard: Any = None
    try:
        from pdstudy.assays.binding import plot_scatchard as scatchard
    except ImportError:  # pragma: no cover - older binding module
        pass

    start = time.perf_counter()
    v = section.values
    frame = read_merged(v["plates"], v["layout"], format=v["format"])
    if "target" not in frame.columns or frame["target"].isna().all():
        frame["target"] = v["target"]
    protein_mg: float | None = None
    protein_figures: list[Figure] = []
    protein_text = "no protein given: Bmax in CPM only"
    if v.get("protein") is not None or v.get("protein_plate") is not None:
        protein_mg, protein_figures, protein_text = protein_per_well(section, ctx)
    result = analyze_saturation(
        frame,
        specific_activity_Ci_per_mmol=v.get("specific_activity"),
        efficiency=v.get("efficiency"),
        protein_mg_per_well=protein_mg,
        volume_L=v.get("volume"),
        free_correction=v["free_correction"],
        weighting=v["weighting"],
    )
    params = result.params
    experiments = list(dict.fromkeys(params["experiment"].astype(str)))
    figures: list[Figure] = []
    for exp in experiments[:MAX_FIGURES]:
        ncols = 2 if scatchard is not None else 1
        fig, axes = new_figure(4.9 * ncols, 4.0, ncols=ncols)
        plot_saturation(result, experiment=exp, ax=axes[0])
        if scatchard is not None:
            scatchard(result, experiment=exp, ax=axes[1])
        figures.append(
            figure(
                ctx,
                fig,
                f"{section.slug}_{len(figures) + 1}",
                f"Experiment {exp}: total, nonspecific and specific binding (mean ± SD) with "
                "the global fit of total and NSB"
                + (
                    "; right: Rosenthal (Scatchard) plot, a display only — Kd and Bmax come "
                    "from the nonlinear fit."
                    if scatchard is not None
                    else "."
                ),
            )
        )
    figures.extend(protein_figures)
    files = write_results(
        ctx,
        section,
        {"params": params, "wells": result.points},
        {"result": as_document(result.to_json())},
    )
    qc = qc_table(params.rename(columns={"method": "compound"}), pd.DataFrame())
    main = params[params["method"] == "total_nsb"] if "method" in params.columns else params
    facts = []
    for rec in main.to_dict("records"):
        bmax = (
            f"Bmax {rec['bmax_fmol_per_mg']:.4g} fmol/mg (95 % CI "
            f"{rec['bmax_ci_low_fmol_per_mg']:.4g}–{rec['bmax_ci_high_fmol_per_mg']:.4g})"
            if pd.notna(rec.get("bmax_fmol_per_mg"))
            else f"Bmax {rec['bmax_cpm']:.4g} CPM"
        )
        facts.append(
            (
                f"experiment {rec['experiment']}",
                f"Kd {conc_text(rec['kd_M'])} (95 % CI {conc_text(rec['kd_ci_low_M'])}–"
                f"{conc_text(rec['kd_ci_high_M'])}); {bmax}",
            )
        )
    shown = [
        c
        for c in (
            "experiment",
            "method",
            "kd_M",
            "kd_ci_low_M",
            "kd_ci_high_M",
            "bmax_cpm",
            "bmax_fmol_per_mg",
            "bmax_ci_low_fmol_per_mg",
            "bmax_ci_high_fmol_per_mg",
            "r_squared",
            "status",
            "flags",
        )
        if c in params.columns
    ]
    methods = (
        f"Saturation binding ({section.name}): {v['radioligand']} at {v['target']} "
        f"({files_text(v['plates'], ctx.study_dir)}); total and nonspecific binding were fitted "
        "together (shared Kd, Bmax, nonspecific slope and background; "
        f"{'free' if v['free_correction'] else 'added'} radioligand concentration as X); "
        f"Bmax converted to fmol/mg protein with the specific activity and {protein_text}."
    )
    elapsed = time.perf_counter() - start
    report = Section(
        anchor=section.slug,
        title=section_title(section, TITLE),
        kind=section.kind,
        key=section.key,
        status="flagged" if qc is not None else "ok",
        intro=(
            f"{v['radioligand']} binding to {v['target']} over a concentration series; Kd and "
            "Bmax from the total and NSB curves fitted together (the 'specific' rows fit total "
            "minus NSB, for comparison).",
        ),
        facts=tuple(facts),
        figures=tuple(figures),
        tables=(
            Table(
                "Kd and Bmax per experiment and method",
                params[shown],
                labels={"bmax_fmol_per_mg": "Bmax (fmol/mg)", "bmax_cpm": "Bmax (CPM)"},
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=elapsed,
    )
    parameters: dict[str, Any] = {
        k: v.get(k)
        for k in (
            "target",
            "radioligand",
            "specific_activity",
            "volume",
            "efficiency",
            "protein",
            "suspension_volume",
            "protein_sample",
            "free_correction",
            "weighting",
            "format",
        )
    }
    parameters["protein_mg_per_well"] = protein_mg
    parameters["analysis_options"] = result.options
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=True,
        effects=tuple((f"{v['target']} saturation, {label}", text) for label, text in facts),
        summary={"params": main},
        parameters=parameters,
        elapsed_s=elapsed,
    )


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[saturation]]`` section (errors become a failed outcome)."""
    return run_guarded(TITLE, _analyse, section, ctx)


HANDLER = AssayHandler("saturation", TITLE, SCHEMA, run, _check_files)
