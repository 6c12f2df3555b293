"""The report section of a ``[[protein]]`` result (Bradford/BCA standard curves)."""

from __future__ import annotations

from functools import partial
from typing import Any

from pdstudy.report.figures import new_figure
from pdstudy.report.format import format_value
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections import FigureSpec, SectionInfo, files_text, flagged_rows

__all__ = ["TITLE", "build", "effects", "figures", "standard_curve_figures"]

TITLE = "Protein determination"

_MODEL_COLUMNS = (
    "plate",
    "model",
    "n_points",
    "r_squared",
    "aicc",
    "f_test_p",
    "chosen",
    "selection",
)


def _stem(slug: str, plate: Any) -> str:
    return f"{slug}_{plate}".replace(":", "_")


def _draw(result: Any, plate: str, size: tuple[float, float]) -> Any:
    from pdstudy.assays.protein import plot_protein

    fig, (ax,) = new_figure(*size)
    plot_protein(result, ax=ax, plate=plate)
    return fig


def figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """One standard-curve figure per plate."""
    method = info.values.get("method", "BCA")
    return [
        FigureSpec(
            _stem(info.slug, plate),
            f"{method} standard curve of plate {plate}: standards (mean ± SD), the "
            "chosen model with its 95 % confidence band, and each sample read off the curve "
            "with its calibration interval (hollow: flagged).",
            partial(_draw, result, plate, (6.0, 4.2)),
        )
        for plate in result.chosen
    ]


def standard_curve_figures(result: Any, stem: str, plate_name: str) -> list[FigureSpec]:
    """The standard curve of a preparation's protein plate, drawn in another section
    (saturation, uptake): one figure per plate, stem ``<stem>`` (then ``<stem>_<n>``)."""
    out = []
    for k, plate in enumerate(result.chosen):
        out.append(
            FigureSpec(
                stem if k == 0 else f"{stem}_{k + 1}",
                f"Protein standard curve of the preparation ({plate_name}): "
                "standards, fit with its 95 % band, and the sample read off the curve.",
                partial(_draw, result, plate, (5.6, 4.0)),
            )
        )
    return out


def _mg_text(rec: dict[str, Any]) -> str:
    return (
        f"{format_value('protein_mg_per_mL', rec['protein_mg_per_mL'])} mg/mL (95 % CI "
        f"{format_value('ci_low_mg_per_mL', rec['ci_low_mg_per_mL'])}–"
        f"{format_value('ci_high_mg_per_mL', rec['ci_high_mg_per_mL'])})"
    )


def _weighting_words(result: Any, values: Any) -> str:
    """How the standard curve was weighted, in words."""
    w = getattr(result, "weighting", "none")
    what = (
        "weighted by 1/A² (absorbance SD proportional to the absorbance read)"
        if w == "1/y2"
        else "unweighted (absorbance SD constant)"
    )
    if values.get("weights", "auto") == "auto":
        return (
            f"{what}, the variance model the standards' residuals supported (larger "
            "likelihood of constant vs proportional SD)"
        )
    return f"{what}, as set in the study file"


def build(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    """Facts (mg/mL per sample), the per-sample and model tables, QC flags, methods text."""
    v = info.values
    method = v.get("method", "BCA")
    by_sample = result.by_sample()
    qc = flagged_rows(result.samples, ("plate", "sample", "dilution"), reasons=("reason",))
    models = ", ".join(f"plate {p}: {m}" for p, m in result.chosen.items())
    methods = (
        f"Protein ({info.name}) was determined by the {method} method against BSA "
        f"standards ({files_text(v.get('plates', []), info.study_dir)}); the blank-subtracted "
        f"standard curve was fitted by nonlinear regression ({models}; model chosen by the extra "
        f"sum-of-squares F test, linear vs quadratic, then AICc against a 4PL), "
        f"{_weighting_words(result, v)}, and samples were read off the curve with 95 % "
        "calibration intervals (the standard curve's uncertainty and the sample's own "
        "replicate noise), corrected for dilution."
    )
    facts = tuple(
        (str(r["sample"]), _mg_text(r) + (f" [{r['flags']}]" if r["flags"] else ""))
        for r in by_sample.to_dict("records")
    )
    return Section(
        anchor=info.slug,
        title=info.title(TITLE),
        kind=info.kind,
        key=info.key,
        status="flagged" if qc is not None else "ok",
        intro=(
            "Absorbance of BSA standards and unknown preparations; protein concentration of "
            "each preparation read off the standard curve (mean over in-range dilutions).",
        ),
        facts=facts,
        figures=figures,
        tables=(
            Table("Protein concentration per sample", by_sample),
            Table(
                "Standard-curve models compared",
                result.models[[c for c in _MODEL_COLUMNS if c in result.models.columns]],
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


def effects(result: Any, info: SectionInfo) -> tuple[tuple[str, str], ...]:
    """None: protein concentrations are inputs of other sections, not effects."""
    return ()
