"""The study-file section of synaptosomal uptake: its keys, checks and the analysis of one.

``[[uptake]]`` with ``mode = "inhibition"`` (IC50, Ki of the test compound:
:class:`~pdstudy.assays.uptake.UptakeResult`) or ``mode = "kinetics"`` (Km, Vmax
of the substrate: :class:`~pdstudy.assays.uptake.KineticsResult`):
:data:`UPTAKE`, :func:`check_uptake`, :func:`analyse_uptake_section`. Every entry
point (``pdstudy run``, ``pdstudy uptake analyze``, ``pdstudy uptake kinetics``)
analyses a section through these, with values parsed by
:func:`pdstudy.assays.schema.parse_table` (molar floats, seconds, ``Path`` objects).
Plates are read by :func:`pdstudy.assays.plates.read_merged`: each file is one
independent experiment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pdstudy import columns as C
from pdstudy.assays.curve_options import (
    CURVE_FIT_KEYS,
    confidence_problems,
    fit_arguments,
    fit_option_problems,
)
from pdstudy.assays.exclusions import (
    PLATE_EXCLUDE_KEY,
    Exclusion,
    apply_exclusions,
    declared_exclusions,
    exclusion_table,
)
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
from pdstudy.assays.qc import UPTAKE_QC, qc_key, rout_refusal
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.assays.uptake.inhibition import UptakeResult, analyze_uptake
from pdstudy.assays.uptake.kinetics import KineticsResult, analyze_uptake_kinetics

__all__ = ["UPTAKE", "analyse_uptake_section", "check_uptake"]


def _mode_rule(values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems) -> None:
    mode = raw.get("mode", "inhibition")
    if mode == "inhibition" and "km" not in raw:
        problems.append(
            (
                f"{path}.km",
                "missing (required for inhibition): the substrate's Km at the "
                'transporter, for Ki = IC50 / (1 + [S]/Km), e.g. km = "0.3 µM"',
            )
        )
    if mode == "kinetics" and "km" in raw:
        problems.append((f"{path}.km", "km is what a kinetics experiment measures; remove it"))
    if mode == "kinetics":
        for key in _INHIBITION_FIT_KEYS:
            if key in raw:
                problems.append(
                    (
                        f"{path}.{key}",
                        f"{key} is a fit option of inhibition curves; a kinetics section fits "
                        "Michaelis-Menten (only confidence applies): remove it",
                    )
                )
        problems.extend(
            (f"{path}.{k}", why) for k, why in confidence_problems(values.get("confidence"))
        )
    else:
        problems.extend((f"{path}.{k}", why) for k, why in fit_option_problems(values))


#: the fit keys that apply to inhibition curves only
_INHIBITION_FIT_KEYS = tuple(k.name for k in CURVE_FIT_KEYS if k.name != "confidence")


UPTAKE = Schema(
    "uptake",
    (
        NAME_KEY,
        TARGET_KEY,
        *PLATE_KEYS,
        Key(
            "mode",
            "choice",
            default="inhibition",
            choices=("inhibition", "kinetics"),
            doc="inhibition (IC50, Ki of the test compound) or kinetics (Km, Vmax of the substrate)",
            example='"inhibition"',
        ),
        Key(
            "substrate",
            "text",
            default="[3H]norepinephrine",
            doc="the labelled substrate (methods text)",
            example='"[3H]norepinephrine"',
        ),
        Key(
            "substrate_conc",
            "quantity",
            "concentration",
            positive=True,
            doc="final substrate concentration [S] (inhibition; or a substrate_M layout column)",
            example='"15 nM"',
        ),
        Key(
            "km",
            "quantity",
            "concentration",
            positive=True,
            doc="the substrate's Km at the transporter (inhibition: Ki = IC50 / (1 + [S]/Km))",
            example='"0.3 µM"',
        ),
        Key(
            "specific_activity",
            "quantity",
            "specific_activity",
            required=True,
            positive=True,
            doc="specific activity of the labelled substrate",
            example='"40 Ci/mmol"',
        ),
        Key(
            "incubation",
            "quantity",
            "time",
            required=True,
            positive=True,
            doc="uptake time",
            example='"5 min"',
        ),
        Key(
            "hot_substrate_conc",
            "quantity",
            "concentration",
            positive=True,
            doc="kinetics: labelled substrate when higher [S] are made with unlabelled substrate",
            example='"20 nM"',
        ),
        Key(
            "nonspecific",
            "choice",
            default="auto",
            choices=("auto", "per_conc", "linear"),
            doc="kinetics: nonspecific rate per [S] or a line through them",
            example='"auto"',
        ),
        *COUNTING_KEYS,
        *PROTEIN_KEYS,
        Key(
            "rout",
            "bool",
            default=False,
            doc="ROUT outlier removal (inhibition); off by default, as in Prism",
            example="true",
        ),
        Key(
            "weighting",
            "choice",
            default="auto",
            choices=("auto", "counts", "relative", "none"),
            doc="weighting of the fit, inhibition and kinetics: counting variance (auto; a 1-min count when the file has no counting time), counts, relative (1/Y²) or none",
            example='"auto"',
        ),
        Key(
            "two_site",
            "bool",
            default=False,
            doc="also compare a two-site fit (inhibition)",
            example="false",
        ),
        Key(
            "max_nonspecific_fraction",
            "fraction",
            default=0.80,
            positive=True,
            doc="QC: nonspecific / control uptake above this is flagged",
            example="0.8",
        ),
        Key(
            "max_cv",
            "fraction",
            default=0.20,
            positive=True,
            doc="QC: replicate CV above this is flagged",
            example="0.2",
        ),
        qc_key("min_z_prime", UPTAKE_QC),
        *CURVE_FIT_KEYS,
        *PROCEDURE_KEYS[1:],  # the uptake time is the required key 'incubation'
        Key(
            "exclude_z_below",
            "number",
            doc="QC rule (off by default; inhibition): exclude every well of a plate whose Z' "
            "(control vs nonspecific uptake) is below this value, listed as an exclusion by 'qc'",
            example="0.0",
        ),
        PLATE_EXCLUDE_KEY,
    ),
    doc="Synaptosomal uptake of a labelled substrate: inhibition by the test compound, or "
    "substrate kinetics.",
    rules=(protein_rule, _mode_rule),
)


def check_uptake(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """The file checks of an ``[[uptake]]`` section (layout roles of its mode, plates, protein plate)."""
    v = values
    layout = check_plates(v, where, problems, fmt=v.get("format"))
    if v.get("rout") and v.get("weighting") == "none" and v.get("mode") != "kinetics":
        problems.append((f"{where}.rout", rout_refusal("uptake")))
    if layout is not None and "role" in layout.columns:
        have = set(layout["role"].dropna())
        if v.get("mode") == "kinetics":
            need = (
                {"nsb"}
                if have & {"total", "substrate", "control", "saturation"}
                else {"nsb", "total"}
            )
        else:
            need = {"nsb", "competition"} | (
                {"control"} if not have & {"control", "total"} else set()
            )
        missing = sorted(need - have)
        if missing:
            problems.append(
                (
                    f"{where}.layout",
                    f"layout has no {', '.join(repr(r) for r in missing)} wells (uptake "
                    f"{v.get('mode', 'inhibition')} needs them)",
                )
            )
    check_protein_files(values, where, problems)
    plate_exclusion_problems(values, where, problems)


def _with_kinetics_exclusions(
    result: KineticsResult, marked: pd.DataFrame, exclusions: Sequence[Exclusion]
) -> KineticsResult:
    """The kinetics result with the declared wells back in ``points`` (flagged, no rates: they
    were left out before the fit) and the ``exclusions`` table."""
    points = result.points.copy()
    for col, empty in ((C.EXCLUDED, False), (C.EXCLUDE_REASON, ""), (C.EXCLUDED_BY, "")):
        if col not in points.columns:
            points[col] = empty
    out = marked[marked[C.EXCLUDED_BY].eq("declared")]
    if len(out):
        shown = [c for c in points.columns if c in out.columns]
        points = pd.concat([points, out[shown]], ignore_index=True)
    return dataclasses.replace(
        result, points=points, exclusions=exclusion_table(exclusions, marked)
    )


def analyse_uptake_section(values: Mapping[str, Any]) -> UptakeResult | KineticsResult:
    """Analyse one ``[[uptake]]`` section (either mode): read its plates, the protein per
    well, fit, fingerprint the input files (plates, layout, protein plate and layout).

    The result keeps the protein result used (``result.protein``); its
    ``settings["protein"]`` says where the protein per well came from.
    """
    v = values
    frame = read_merged(v["plates"], v["layout"], format=v["format"], cycle=v.get("cycle"))
    if "target" not in frame.columns:
        frame["target"] = v["target"]
    per_well = protein_per_well(v, str(v.get("name") or "uptake"))
    protein_kw: dict[str, Any] = {}
    if per_well is not None and per_well.result is not None:
        # the analysis reads mg/mL off the protein result (and keeps the result)
        protein_kw = {
            "protein": per_well.result,
            "protein_sample": v.get("protein_sample"),
            "suspension_volume_L": v["suspension_volume"],
        }
    elif per_well is not None:
        protein_kw = {"protein_mg_per_well": per_well.mg}
    common: dict[str, Any] = {
        "specific_activity_Ci_per_mmol": v["specific_activity"],
        "incubation_s": v["incubation"],
        "efficiency": v.get("efficiency"),
        "counts": v["counts"],
        "target": v["target"],
        **protein_kw,
    }
    result: UptakeResult | KineticsResult
    exclusions = declared_exclusions(v, "uptake")
    if v["mode"] == "kinetics":
        # kinetics: the excluded wells are left out before the fit (listed in the settings)
        marked = apply_exclusions(frame, exclusions)
        kept = marked[~marked["excluded_by"].eq("declared")].copy()
        kept.attrs = dict(frame.attrs)
        result = analyze_uptake_kinetics(
            kept,
            hot_substrate_M=v.get("hot_substrate_conc"),
            nonspecific=v["nonspecific"],
            weighting=v["weighting"],
            level=float(v.get("confidence") or 0.95),
            **common,
        )
        result = _with_kinetics_exclusions(result, marked, exclusions)
    else:
        result = analyze_uptake(
            frame,
            km_M=v["km"],
            substrate_M=v.get("substrate_conc"),
            rout=v["rout"],
            two_site=v["two_site"],
            weighting=v["weighting"],
            max_nonspecific_fraction=v["max_nonspecific_fraction"],
            max_cv_pct=100 * v["max_cv"],
            min_z_prime=v["min_z_prime"],
            exclusions=exclusions,
            exclude_z_below=v.get("exclude_z_below"),
            **fit_arguments(v),
            **common,
        )
    files = list(input_files(frame))
    if per_well is not None and per_well.result is not None:
        read = per_well.result.inputs[0].read if per_well.result.inputs else ""
        files += [
            ("protein_plate", v["protein_plate"], read),
            ("protein_layout", v["protein_layout"], ""),
        ]
    return result.with_inputs(files)
