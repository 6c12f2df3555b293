"""The report section of a ``[[microdialysis]]`` result (HPLC-ED dialysate monoamines)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from pdstudy.report.figures import new_figure
from pdstudy.report.format import format_value
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections import FigureSpec, SectionInfo, flagged_rows

__all__ = ["TITLE", "build", "effects", "figures"]

TITLE = "In vivo microdialysis"
#: longest chromatogram file stem in a figure's file name
MAX_STEM = 60


def _draw(fn_name: str, result: Any, kwargs: dict[str, Any], size: tuple[float, float]) -> Any:
    from pdstudy.assays import microdialysis

    fig, (ax,) = new_figure(*size)
    getattr(microdialysis, fn_name)(result, ax=ax, **kwargs)
    return fig


def _analytes(result: Any) -> list[str]:
    return [str(a) for a in result.calibration["analyte"]]


def figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """Time course and AUC per analyte, calibration lines, the first chromatograms."""
    out = []
    for a in _analytes(result):
        stem = a.replace("-", "")
        out.append(
            FigureSpec(
                f"{info.slug}_time_course_{stem}",
                f"{a} in dialysate, % of each animal's baseline (mean ± SEM per group); the dashed line marks the dose.",
                partial(_draw, "plot_time_course", result, {"analyte": a}, (5.6, 3.8)),
            )
        )
        out.append(
            FigureSpec(
                f"{info.slug}_auc_{stem}",
                f"{a}: area under the % baseline curve above 100 % per animal (dots; hollow: flagged) and group mean.",
                partial(_draw, "plot_auc", result, {"analyte": a}, (4.2, 3.6)),
            )
        )
        out.append(
            FigureSpec(
                f"{info.slug}_calibration_{stem}",
                f"{a}: external-standard calibration (area against level) with the fitted line.",
                partial(_draw, "plot_calibration", result, {"analyte": a}, (4.5, 3.6)),
            )
        )
    for k, name in enumerate(list(result.traces)[:2]):
        # the file's own name (a trace may be named by its whole path, of any length), cut to
        # a length any file system takes; numbered, so that two files of one name stay apart
        stem = Path(name).stem[:MAX_STEM]
        out.append(
            FigureSpec(
                f"{info.slug}_chromatogram{k + 1}_{stem}",
                f"Chromatogram {name}: signal, the fitted baseline (dashed) and the integrated peaks (blue: assigned, grey: unassigned).",
                partial(_draw, "plot_chromatogram", result, {"file": name}, (6.5, 3.2)),
            )
        )
    return out


def build(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    """Facts (Emax per group and analyte), calibration and statistics tables, QC flags, methods."""
    auc = result.auc
    facts = []
    if len(auc):
        for (g, a), part in auc.groupby(["group", "analyte"]):
            facts.append(
                (
                    f"{a}, {g}",
                    f"Emax {format_value('emax_pct', part['emax_pct'].mean())} of baseline, AUC {format_value('auc', part['auc_pct_min'].mean())} % x min (n = {len(part)})",
                )
            )
    qc = flagged_rows(result.qc, ("file", "kind", "animal", "analyte"), reasons=("reason",))
    s = result.settings
    methods = (
        "Dialysate samples and external standards were analysed by HPLC with electrochemical "
        "detection; each chromatogram was baseline-corrected (pybaselines "
        f"{s.get('processing.baseline', 'arpls')}), peaks were detected at S/N >= "
        f"{s.get('processing.min_snr', 10):g} and integrated (perpendicular drop; fused clusters "
        f"with resolution below {s.get('processing.deconvolve_below', 1.5):g} deconvolved by "
        "exponentially modified Gaussian fits), assigned to analytes by retention windows re-centred "
        "on the standards, and quantified against linear calibrations (weighting chosen from the "
        f"back-calculated standards). Each animal's baseline was the mean of its last "
        f"{s.get('baseline_samples', 3)} pre-dose samples (stable within ±"
        f"{100 * s.get('baseline_tolerance', 0.2):g} %); groups were compared with a linear mixed "
        "model (treatment x time, random intercept per animal), per time point against the control "
        "(Welch t, Holm), by a two-way repeated-measures ANOVA (treatment between, time within "
        "animals; Greenhouse-Geisser corrected p in p_adj) when every animal had every post-dose "
        "sample, and AUC by one-way ANOVA with Dunnett's test."
    )
    stats = result.stats
    return Section(
        anchor=info.slug,
        title=info.title(TITLE),
        kind=info.kind,
        key=info.key,
        status="flagged" if qc is not None else "ok",
        intro=(
            "Extracellular monoamines in dialysate, as % of each animal's own pre-dose baseline.",
        ),
        facts=tuple(facts),
        figures=figures,
        tables=(
            Table("Calibration per analyte", result.calibration),
            Table("AUC, Emax and Tmax per animal", auc),
            Table(
                "Statistics",
                stats[
                    [
                        c
                        for c in (
                            "analyte",
                            "test",
                            "term",
                            "group",
                            "time_s",
                            "estimate",
                            "ci_low",
                            "ci_high",
                            "statistic",
                            "p_value",
                            "p_adj",
                        )
                        if c in stats.columns
                    ]
                ],
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


def effects(result: Any, info: SectionInfo) -> tuple[tuple[str, str], ...]:
    """Emax of NE (or the first analyte) per non-control group."""
    out = []
    ctrl = result.settings.get("control")
    for (g, a), part in result.auc.groupby(["group", "analyte"]):
        if g != ctrl and a == "NE":
            out.append(
                (
                    f"dialysate NE ({g})",
                    f"Emax {format_value('emax_pct', part['emax_pct'].mean())} of baseline",
                )
            )
    return tuple(out)
