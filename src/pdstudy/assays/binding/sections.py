"""The study-file sections of radioligand binding: their keys, checks and the analysis of one.

``[[binding]]`` (competition): :data:`BINDING`, :func:`check_binding`,
:func:`analyse_binding`. ``[[saturation]]``: :data:`SATURATION`,
:func:`check_saturation`, :func:`analyse_saturation_section`. Every entry point
(``pdstudy run``, ``pdstudy binding analyze``, ``pdstudy binding saturation``)
analyses a section through these, with values parsed by
:func:`pdstudy.assays.schema.parse_table` (molar floats, ``Path`` objects).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pdstudy.assays.binding.competition import CompetitionResult, QCThresholds, analyze_competition
from pdstudy.assays.binding.saturation import SaturationResult, analyze_saturation
from pdstudy.assays.curve_options import (
    CONFIDENCE_KEY,
    CURVE_FIT_KEYS,
    confidence_rule,
    fit_arguments,
    fit_options_rule,
)
from pdstudy.assays.exclusions import PLATE_EXCLUDE_KEY, declared_exclusions
from pdstudy.assays.plates import (
    COUNTING_KEYS,
    NAME_KEY,
    PLATE_KEYS,
    PROCEDURE_KEYS,
    TARGET_KEY,
    check_plates,
    input_files,
    plate_exclusion_problems,
    read_merged,
)
from pdstudy.assays.protein.sections import (
    PROTEIN_KEYS,
    check_protein_files,
    protein_per_well,
    protein_rule,
)
from pdstudy.assays.qc import BINDING_QC, qc_key, rout_refusal
from pdstudy.assays.schema import Key, Problems, Schema

__all__ = [
    "BINDING",
    "FIT_KEYS",
    "SATURATION",
    "analyse_binding",
    "analyse_saturation_section",
    "check_binding",
    "check_saturation",
    "fill_target",
]

FIT_KEYS = (
    Key(
        "rout",
        "bool",
        default=False,
        doc="ROUT outlier removal (Q = rout_q); off by default, as in Prism",
        example="true",
    ),
    Key(
        "rout_q",
        "fraction",
        default=0.01,
        positive=True,
        doc="ROUT false-discovery rate Q",
        example="0.01",
    ),
    Key(
        "two_site",
        "bool",
        default=True,
        doc="also fit two sites and compare with one site",
        example="true",
    ),
    Key(
        "weighting",
        "choice",
        default="auto",
        choices=("auto", "counts", "relative", "none"),
        doc="weighting of the fit: counting variance (auto; a 1-min count when the file has no counting time), "
        "relative 1/Y², or none (Prism's default)",
        example='"auto"',
    ),
)

RADIOLIGAND_KEY = Key(
    "radioligand",
    "text",
    default="radioligand",
    doc="name of the radioligand (methods text)",
    example='"[3H]nisoxetine"',
)

BINDING = Schema(
    "binding",
    (
        NAME_KEY,
        TARGET_KEY,
        *PLATE_KEYS,
        RADIOLIGAND_KEY,
        Key(
            "radioligand_conc",
            "quantity",
            "concentration",
            required=True,
            positive=True,
            doc="final radioligand concentration [L]",
            example='"1 nM"',
        ),
        Key(
            "kd",
            "quantity",
            "concentration",
            required=True,
            positive=True,
            doc="the radioligand's Kd at the target (Cheng-Prusoff)",
            example='"0.8 nM"',
        ),
        Key(
            "specific_activity",
            "quantity",
            "specific_activity",
            positive=True,
            doc="radioligand specific activity (ligand-depletion check)",
            example='"80 Ci/mmol"',
        ),
        Key(
            "volume",
            "quantity",
            "volume",
            positive=True,
            doc="assay volume per well (ligand-depletion check)",
            example='"200 µL"',
        ),
        *COUNTING_KEYS[:1],
        *PROCEDURE_KEYS,
        *FIT_KEYS,
        *CURVE_FIT_KEYS,
        *(qc_key(k, BINDING_QC) for k in ("min_z_prime", "max_cv", "max_nonspecific_fraction")),
        Key(
            "exclude_z_below",
            "number",
            doc="QC rule (off by default): exclude every well of a plate whose Z' (total vs "
            "NSB) is below this value, listed as an exclusion by 'qc'",
            example="0.3",
        ),
        PLATE_EXCLUDE_KEY,
    ),
    doc="Radioligand competition binding: total, NSB and competition wells counted on a "
    "scintillation counter; one plate file per independent experiment.",
    rules=(fit_options_rule,),
)


def check_binding(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """The file checks of a ``[[binding]]`` section (layout roles, plates matching it)."""
    check_plates(
        values, where, problems, roles=("total", "nsb", "competition"), fmt=values.get("format")
    )
    if values.get("rout") and values.get("weighting") == "none":
        problems.append((f"{where}.rout", rout_refusal("binding")))
    plate_exclusion_problems(values, where, problems)


def fill_target(frame: Any, target: str | None) -> Any:
    """Fill ``target`` where the layout leaves it empty (``None``: leave the layout's)."""
    if target is None:
        return frame
    if "target" not in frame.columns:
        frame["target"] = target
    else:
        empty = frame["target"].isna() | (frame["target"].astype(str) == "")
        frame["target"] = frame["target"].where(~empty, target)
    return frame


def analyse_binding(values: Mapping[str, Any]) -> CompetitionResult:
    """Analyse one ``[[binding]]`` section: read its plates, fit every curve, fingerprint the files.

    ``radioligand_conc`` and ``kd`` may be ``None`` (then the layout's
    ``radioligand_M`` and ``kd_M`` are used, as :func:`analyze_competition` does).
    """
    v = values
    frame = fill_target(
        read_merged(v["plates"], v["layout"], format=v["format"], cycle=v.get("cycle")),
        v["target"],
    )
    result = analyze_competition(
        frame,
        radioligand_M=v.get("radioligand_conc"),
        kd_M=v.get("kd"),
        rout=v["rout"],
        q=v["rout_q"],
        two_site=v["two_site"],
        weighting=v["weighting"],
        specific_activity_Ci_per_mmol=v.get("specific_activity"),
        volume_L=v.get("volume"),
        efficiency=v.get("efficiency"),
        thresholds=QCThresholds(
            z_prime_min=v["min_z_prime"],
            cv_max_pct=100 * v["max_cv"],
            nsb_max_pct=100 * v["max_nonspecific_fraction"],
        ),
        exclusions=declared_exclusions(v, "binding"),
        exclude_z_below=v.get("exclude_z_below"),
        **fit_arguments(v),
    )
    return result.with_inputs(input_files(frame))


# ---------------------------------------------------------------- saturation

SATURATION = Schema(
    "saturation",
    (
        NAME_KEY,
        TARGET_KEY,
        *PLATE_KEYS,
        RADIOLIGAND_KEY,
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
        CONFIDENCE_KEY,
        *PROCEDURE_KEYS,
        PLATE_EXCLUDE_KEY,
    ),
    doc="Saturation binding: total and NSB wells over a radioligand concentration series; Kd "
    "and Bmax from total and NSB fitted together.",
    rules=(protein_rule, confidence_rule),
)


def check_saturation(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """The file checks of a ``[[saturation]]`` section (plates, and its protein plate)."""
    check_plates(values, where, problems, roles=("total", "nsb"), fmt=values.get("format"))
    check_protein_files(values, where, problems)
    plate_exclusion_problems(values, where, problems)


def analyse_saturation_section(values: Mapping[str, Any]) -> SaturationResult:
    """Analyse one ``[[saturation]]`` section: read its plates, the protein per well (given,
    or read off its protein plate), fit Kd and Bmax, fingerprint every file read.

    The options record ``protein_text`` (how the protein per well was known, for the
    methods text); the protein plate's result is the result's ``protein``.
    """
    v = values
    frame = fill_target(
        read_merged(v["plates"], v["layout"], format=v["format"], cycle=v.get("cycle")),
        v["target"],
    )
    pw = protein_per_well(v, str(v.get("name") or "saturation"))
    result = analyze_saturation(
        frame,
        specific_activity_Ci_per_mmol=v.get("specific_activity"),
        efficiency=v.get("efficiency"),
        protein_mg_per_well=None if pw is None else pw.mg,
        protein_ci_mg_per_well=None if pw is None else pw.ci_mg,
        volume_L=v.get("volume"),
        free_correction=v["free_correction"],
        weighting=v["weighting"],
        exclusions=declared_exclusions(v, "saturation"),
        level=float(v.get("confidence") or 0.95),
    )
    options = {
        **result.options,
        "protein_text": "no protein given: Bmax in CPM only" if pw is None else pw.text,
    }
    files = input_files(frame)
    protein = None if pw is None else pw.result
    if protein is not None:
        files += [(f"protein_{f.key}", f.path, f.read) for f in protein.inputs]
    return dataclasses.replace(result, options=options, protein=protein).with_inputs(files)
