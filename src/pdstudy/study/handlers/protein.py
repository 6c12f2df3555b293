"""``[[protein]]``: Bradford/BCA standard-curve plates -> protein concentration of each preparation."""

from __future__ import annotations

import time
from typing import Any

from pdstudy.assays.plates import check_plates
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.report.figures import new_figure
from pdstudy.report.model import Figure, Section, Table
from pdstudy.study.handlers._common import (
    FORMAT_KEY,
    NAME_KEY,
    figure,
    files_text,
    flagged_rows,
    read_merged,
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

PROTEIN_MODEL_KEYS = (
    Key(
        "model",
        "choice",
        default="auto",
        choices=("auto", "linear", "quadratic", "four_pl"),
        doc="standard-curve model: auto (F test linear vs quadratic, then AICc vs 4PL) or one",
        example='"auto"',
    ),
    Key(
        "weights",
        "choice",
        default="none",
        choices=("none", "1/y2"),
        doc="weighting of the standard-curve fit",
        example='"none"',
    ),
    Key(
        "max_cv",
        "fraction",
        default=0.15,
        doc="replicate CV of a sample's absorbance above which it is flagged",
        example="0.15",
    ),
)

#: keys of sections that need the protein per well (uptake, saturation)
PROTEIN_KEYS = (
    Key(
        "protein",
        "quantity",
        "mass",
        positive=True,
        doc='protein per well, when known (e.g. "100 µg"); or give protein_plate',
        example='"100 µg"',
    ),
    Key(
        "protein_plate",
        "file",
        doc="a Bradford/BCA plate measuring the preparation's protein",
        example='"protein_plate.txt"',
    ),
    Key(
        "protein_layout",
        "file",
        doc="layout of protein_plate (blank, standard, sample wells)",
        example='"protein_layout.toml"',
    ),
    Key(
        "protein_sample",
        "text",
        doc="the preparation's sample name on the protein plate (needed when it holds several)",
        example='"synaptosomes"',
    ),
    Key(
        "suspension_volume",
        "quantity",
        "volume",
        positive=True,
        doc="volume of the protein suspension added per well (with protein_plate)",
        example='"100 µL"',
    ),
    Key(
        "protein_format",
        "choice",
        default="auto",
        choices=FORMAT_KEY.choices,
        doc="file format of protein_plate",
        example='"auto"',
    ),
    *(
        Key(
            f"protein_{k.name}",
            k.kind,
            k.dimension,
            default=k.default,
            choices=k.choices,
            doc=f"protein_plate: {k.doc}",
            example=k.example,
        )
        for k in PROTEIN_MODEL_KEYS
    ),
)


def protein_rule(
    values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems
) -> None:
    """Rule of a section with :data:`PROTEIN_KEYS`: protein or protein_plate (+ layout, volume)."""
    if "protein" in raw and "protein_plate" in raw:
        problems.append((path, "give protein (per well) or protein_plate, not both"))
    if "protein_plate" in raw:
        for k in ("protein_layout", "suspension_volume"):
            if k not in raw:
                problems.append((f"{path}.{k}", f"missing: protein_plate needs {k}"))
    elif any(k in raw for k in ("protein_layout", "protein_sample", "suspension_volume")):
        problems.append(
            (
                f"{path}.protein_plate",
                "missing: protein_layout, protein_sample and suspension_volume go with protein_plate",
            )
        )


def check_protein_files(section: SectionSpec, problems: Problems) -> None:
    """Check a section's protein_plate against its protein_layout."""
    v = section.values
    if v.get("protein_plate") is None:
        return
    check_plates(
        v,
        section.key,
        problems,
        plates_key="protein_plate",
        layout_key="protein_layout",
        roles=("standard", "sample"),
        fmt=v.get("protein_format"),
    )


def protein_per_well(section: SectionSpec, ctx: RunContext) -> tuple[float, list[Figure], str]:
    """Protein per well (mg) of a section: given, or read off its protein plate.

    Returns ``(mg per well, figures of the protein plate, a methods phrase)``.
    """
    v = section.values
    if v.get("protein") is not None:
        mg = float(v["protein"]) * 1e3
        return mg, [], f"{mg * 1e3:.3g} µg protein per well"
    if v.get("protein_plate") is None:
        raise ValueError(f"{section.key}: no protein per well (give protein or protein_plate)")
    from pdstudy.assays.protein import plot_protein

    opts = {k: v[f"protein_{k}"] for k in ("model", "weights", "max_cv")}
    result = analyse_protein_plates(
        [v["protein_plate"]], v["protein_layout"], v["protein_format"], opts
    )
    mg_per_mL = result.protein_mg_per_mL(v.get("protein_sample"))
    mg = mg_per_mL * v["suspension_volume"] * 1e3
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
    text = (
        f"{mg * 1e3:.3g} µg protein per well ({mg_per_mL:.3g} mg/mL from "
        f"{v['protein_plate'].name} x {v['suspension_volume'] * 1e6:g} µL)"
    )
    return mg, figures, text


SCHEMA = Schema(
    "protein",
    (
        NAME_KEY,
        Key(
            "plates",
            "files",
            required=True,
            doc="absorbance plate files (plate-reader exports)",
            example='["protein_plate.txt"]',
        ),
        Key(
            "layout",
            "file",
            required=True,
            doc="layout: blank, standard (protein_ug_per_mL) "
            "and sample (sample name, optional dilution) wells",
            example='"protein_layout.toml"',
        ),
        FORMAT_KEY,
        Key(
            "method",
            "choice",
            default="BCA",
            choices=("BCA", "Bradford", "Lowry"),
            doc="the colorimetric method (named in the methods text)",
            example='"BCA"',
        ),
        *PROTEIN_MODEL_KEYS,
    ),
    doc="A Bradford/BCA plate of BSA standards and unknown preparations.",
)


def _check_files(section: SectionSpec, problems: Problems) -> None:
    check_plates(
        section.values,
        section.key,
        problems,
        roles=("standard", "sample"),
        fmt=section.values.get("format"),
    )


def analyse_protein_plates(
    plates: list[Any], layout: Any, fmt: str, values: dict[str, Any] | Any
) -> Any:
    """Read and analyse protein plates with the model options of ``values``."""
    from pdstudy.assays.protein import analyze_protein

    frame = read_merged(plates, layout, format=fmt)
    weights = values.get("weights", "none")
    return analyze_protein(
        frame,
        model=values.get("model", "auto"),
        weights=None if weights in (None, "none") else weights,
        max_cv=values.get("max_cv", 0.15),
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
