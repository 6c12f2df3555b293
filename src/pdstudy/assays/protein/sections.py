"""The study-file section of protein determination, and the protein per well other sections need.

``[[protein]]``: :data:`PROTEIN`, :func:`check_protein`, :func:`analyse_protein`.
Sections that need the protein per well (uptake, saturation) take
:data:`PROTEIN_KEYS` with :func:`protein_rule`, check them with
:func:`check_protein_files` and get the amount from :func:`protein_per_well`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdstudy.assays.exclusions import PLATE_EXCLUDE_KEY, Exclusion, declared_exclusions
from pdstudy.assays.plates import (
    CYCLE_KEY,
    FORMAT_KEY,
    NAME_KEY,
    check_plates,
    input_files,
    plate_exclusion_problems,
    read_merged,
)
from pdstudy.assays.protein.analysis import ProteinResult, analyze_protein
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.errors import UsageError

__all__ = [
    "PROTEIN",
    "PROTEIN_KEYS",
    "PROTEIN_MODEL_KEYS",
    "ProteinPerWell",
    "analyse_protein",
    "analyse_protein_plates",
    "check_protein",
    "check_protein_files",
    "protein_per_well",
    "protein_rule",
]

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
        default="auto",
        choices=("auto", "none", "1/y2"),
        doc="weighting of the standard-curve fit: auto (the variance model the standards' "
        "residuals support, constant or proportional to the absorbance), none or 1/y2",
        example='"auto"',
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
    Key(
        "protein_cycle",
        CYCLE_KEY.kind,
        low=CYCLE_KEY.low,
        doc=f"protein_plate: {CYCLE_KEY.doc}",
        example=CYCLE_KEY.example,
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
    elif any(
        k in raw for k in ("protein_layout", "protein_sample", "suspension_volume", "protein_cycle")
    ):
        problems.append(
            (
                f"{path}.protein_plate",
                "missing: protein_layout, protein_sample, suspension_volume and protein_cycle go "
                "with protein_plate",
            )
        )


PROTEIN = Schema(
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
        CYCLE_KEY,
        Key(
            "method",
            "choice",
            default="BCA",
            choices=("BCA", "Bradford", "Lowry"),
            doc="the colorimetric method (named in the methods text)",
            example='"BCA"',
        ),
        *PROTEIN_MODEL_KEYS,
        PLATE_EXCLUDE_KEY,
    ),
    doc="A Bradford/BCA plate of BSA standards and unknown preparations.",
)


def check_protein(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """The file checks of a ``[[protein]]`` section."""
    check_plates(values, where, problems, roles=("standard", "sample"), fmt=values.get("format"))
    plate_exclusion_problems(values, where, problems)


def check_protein_files(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """Check a section's ``protein_plate`` against its ``protein_layout`` (when it has one)."""
    if values.get("protein_plate") is None:
        return
    check_plates(
        values,
        where,
        problems,
        plates_key="protein_plate",
        layout_key="protein_layout",
        roles=("standard", "sample"),
        fmt=values.get("protein_format"),
        cycle_key="protein_cycle",
    )


def analyse_protein_plates(
    plates: Sequence[Path],
    layout: Path,
    fmt: str,
    values: Mapping[str, Any],
    exclusions: Sequence[Exclusion] = (),
    cycle: int | None = None,
) -> ProteinResult:
    """Read and analyse protein plates with the model options of ``values`` (``cycle``: the
    read of kinetic files, default the last)."""
    frame = read_merged(plates, layout, format=fmt, cycle=cycle)
    weights = values.get("weights", "auto")
    result = analyze_protein(
        frame,
        model=values.get("model", "auto"),
        weights=None if weights in (None, "none") else weights,
        max_cv=values.get("max_cv", 0.15),
        exclusions=exclusions,
    )
    return result.with_inputs(input_files(frame))


def analyse_protein(values: Mapping[str, Any]) -> ProteinResult:
    """Analyse one ``[[protein]]`` section."""
    return analyse_protein_plates(
        values["plates"],
        values["layout"],
        values["format"],
        values,
        declared_exclusions(values, "protein"),
        cycle=values.get("cycle"),
    )


@dataclass(frozen=True)
class ProteinPerWell:
    """The protein per well of a section: ``mg``, the protein plate's result (``None`` when
    the amount was given) and a phrase for the methods text."""

    mg: float
    result: ProteinResult | None
    text: str
    #: the CI of ``mg`` (from the standard curve's calibration interval; ``None`` when given)
    ci_mg: tuple[float, float] | None = None


def protein_per_well(values: Mapping[str, Any], where: str = "") -> ProteinPerWell | None:
    """Protein per well of a section with :data:`PROTEIN_KEYS`: given, or read off its plate.

    ``None`` when the section gives neither.
    """
    v = values
    if v.get("protein") is not None:
        mg = float(v["protein"]) * 1e3
        return ProteinPerWell(mg, None, f"{mg * 1e3:.3g} µg protein per well")
    if v.get("protein_plate") is None:
        return None
    if v.get("protein_layout") is None or v.get("suspension_volume") is None:
        raise UsageError("protein_plate needs protein_layout and suspension_volume", where=where)
    opts = {k: v[f"protein_{k}"] for k in ("model", "weights", "max_cv")}
    result = analyse_protein_plates(
        [v["protein_plate"]],
        v["protein_layout"],
        v["protein_format"],
        opts,
        cycle=v.get("protein_cycle"),
    )
    mg_per_mL, lo, hi = result.protein_with_ci(v.get("protein_sample"))
    mg = mg_per_mL * v["suspension_volume"] * 1e3
    text = (
        f"{mg * 1e3:.3g} µg protein per well ({mg_per_mL:.3g} mg/mL from "
        f"{Path(v['protein_plate']).name} x {v['suspension_volume'] * 1e6:g} µL)"
    )
    ci = (lo * v["suspension_volume"] * 1e3, hi * v["suspension_volume"] * 1e3)
    return ProteinPerWell(mg, result, text, ci)
