"""The report section of a ``[[saturation]]`` result (Kd, Bmax)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.assays.curve_options import ci_words
from pdstudy.assays.plates import procedure_text
from pdstudy.report.figures import new_figure
from pdstudy.report.format import format_value
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections import FigureSpec, SectionInfo, files_text, flagged_rows
from pdstudy.report.sections.protein import standard_curve_figures
from pdstudy.units import conc_text

__all__ = ["MAX_FIGURES", "TITLE", "build", "effects", "figures"]

TITLE = "Saturation binding"
#: experiments drawn per section
MAX_FIGURES = 4

_SHOWN = (
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


def _draw(result: Any, experiment: str) -> Any:
    from pdstudy.assays.binding import plot_saturation, plot_scatchard

    fig, axes = new_figure(9.8, 4.0, ncols=2)
    plot_saturation(result, experiment=experiment, ax=axes[0])
    plot_scatchard(result, experiment=experiment, ax=axes[1])
    return fig


def figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """Per experiment (up to :data:`MAX_FIGURES`): the saturation curves and the Rosenthal
    plot; then the standard curve of the preparation's protein plate, when it has one."""
    experiments = list(dict.fromkeys(result.params["experiment"].astype(str)))
    out = [
        FigureSpec(
            f"{info.slug}_{k}",
            f"Experiment {exp}: total, nonspecific and specific binding (mean ± SD) with the "
            "global fit of total and NSB; right: Rosenthal (Scatchard) plot, a display only — "
            "Kd and Bmax come from the nonlinear fit.",
            partial(_draw, result, exp),
        )
        for k, exp in enumerate(experiments[:MAX_FIGURES], 1)
    ]
    if result.protein is not None:
        plate = info.values.get("protein_plate")
        name = Path(plate).name if plate is not None else "protein plate"
        out += standard_curve_figures(result.protein, f"{info.slug}_protein", name)
    return out


def _facts(params: pd.DataFrame, level: float = 0.95) -> list[tuple[str, str]]:
    ci = ci_words(level)
    main = params[params["method"] == "total_nsb"] if "method" in params.columns else params
    facts = []
    for rec in main.to_dict("records"):
        if pd.notna(rec.get("bmax_fmol_per_mg")):
            bmax = (
                f"Bmax {format_value('bmax_fmol_per_mg', rec['bmax_fmol_per_mg'])} fmol/mg "
                f"({ci} {format_value('bmax_fmol_per_mg', rec['bmax_ci_low_fmol_per_mg'])}–"
                f"{format_value('bmax_fmol_per_mg', rec['bmax_ci_high_fmol_per_mg'])})"
            )
        else:
            bmax = f"Bmax {format_value('bmax_cpm', rec['bmax_cpm'])} CPM"
        facts.append(
            (
                f"experiment {rec['experiment']}",
                f"Kd {conc_text(rec['kd_M'])} ({ci} {conc_text(rec['kd_ci_low_M'])}–"
                f"{conc_text(rec['kd_ci_high_M'])}); {bmax}",
            )
        )
    return facts


def build(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    """Facts (Kd, Bmax per experiment), the parameter table, QC flags, methods text."""
    v = info.values
    params = result.params
    radioligand = v.get("radioligand", "radioligand")
    target = v.get("target") or "the target"
    qc = flagged_rows(params, ("experiment", "method"))
    free = bool(result.options.get("free_correction"))
    protein_text = result.options.get("protein_text", "no protein given: Bmax in CPM only")
    methods = (
        f"Saturation binding ({info.name}): {radioligand} at {target} "
        f"({files_text(v.get('plates', []), info.study_dir)}); total and nonspecific binding "
        "were fitted together (shared Kd, Bmax, nonspecific slope and background; "
        f"{'free' if free else 'added'} radioligand concentration as X), "
        f"{result.options.get('weighting_text', str(result.options.get('weighting')) + ' weighting')}"
        ", the weights of the total and nonspecific wells normalised together; Kd and Bmax with "
        f"profile-likelihood {100 * float(result.options.get('confidence', 0.95)):.3g} % CIs; "
        f"Bmax converted to fmol/mg protein with the specific activity and {protein_text}."
    )
    procedure = procedure_text(v)
    if procedure:
        methods = f"{methods} {procedure}"
    return Section(
        anchor=info.slug,
        title=info.title(TITLE),
        kind=info.kind,
        key=info.key,
        status="flagged" if qc is not None else "ok",
        intro=(
            f"{radioligand} binding to {target} over a concentration series; Kd and "
            "Bmax from the total and NSB curves fitted together (the 'specific' rows fit total "
            "minus NSB, for comparison).",
        ),
        facts=tuple(_facts(params, float(result.options.get("confidence", 0.95)))),
        figures=figures,
        tables=(
            Table(
                "Kd and Bmax per experiment and method",
                params[[c for c in _SHOWN if c in params.columns]],
                labels={"bmax_fmol_per_mg": "Bmax (fmol/mg)", "bmax_cpm": "Bmax (CPM)"},
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


def effects(result: Any, info: SectionInfo) -> tuple[tuple[str, str], ...]:
    """One line per experiment: Kd and Bmax of the total + NSB fit."""
    target = info.values.get("target") or "target"
    level = float(result.options.get("confidence", 0.95))
    return tuple(
        (f"{target} saturation, {label}", text) for label, text in _facts(result.params, level)
    )
