"""Schemas of the study-wide tables: ``[study]``, ``[study.exposure]``, ``[synapse]``, ``[pk]``."""

from __future__ import annotations

from typing import Any

from pdstudy.assays.schema import Key, Problems, Schema

__all__ = ["EXPOSURE", "PK", "STUDY", "SYNAPSE"]


def _exposure_rule(
    values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems
) -> None:
    free, plasma = "free_conc" in raw, "plasma_conc" in raw
    if free and plasma:
        problems.append(
            (path, "give free_conc or plasma_conc (with fu), not both: they could disagree")
        )
    elif not free and not plasma:
        problems.append(
            (
                path,
                'missing: the exposure, as free_conc = "0.3 nM" (unbound concentration at the '
                'targets) or plasma_conc = "200 ng/mL" with fu = 0.02',
            )
        )
    elif plasma and "fu" not in raw:
        problems.append(
            (
                f"{path}.fu",
                "missing: plasma_conc is a total concentration; give the unbound "
                "fraction fu (e.g. fu = 0.02 for 98 % plasma protein binding)",
            )
        )
    if free and "fu" in raw:
        problems.append(
            (f"{path}.fu", "fu applies to plasma_conc only; free_conc is already unbound")
        )


EXPOSURE = Schema(
    "exposure",
    (
        Key(
            "free_conc",
            "quantity",
            "concentration",
            positive=True,
            doc="unbound (free) concentration at the targets",
            example='"0.3 nM"',
        ),
        Key(
            "plasma_conc",
            "quantity",
            "mass_concentration|concentration",
            positive=True,
            doc="total (bound + free) plasma concentration; needs fu",
            example='"200 ng/mL"',
        ),
        Key(
            "fu",
            "fraction",
            positive=True,
            doc='unbound fraction in plasma (0.02 or "2 %")',
            example="0.02",
        ),
        Key(
            "brain_plasma_ratio",
            "number",
            default=1.0,
            positive=True,
            doc="unbound brain / unbound plasma concentration (Kp,uu), applied to plasma_conc",
            example="1.0",
        ),
        Key(
            "mw_g_per_mol",
            "number",
            positive=True,
            doc="molecular weight of the measured form (g/mol); default from the profile",
            example="300.8",
        ),
    ),
    doc="The exposure at which occupancy is predicted: a free concentration, or a total plasma "
    "concentration with the unbound fraction.",
    rules=(_exposure_rule,),
)

STUDY = Schema(
    "study",
    (
        Key(
            "name",
            "text",
            required=True,
            doc="title of the study and its report",
            example='"Norclomipramine at NET"',
        ),
        Key(
            "compound",
            "text",
            required=True,
            doc="the test compound, as named in the layouts",
            example='"norclomipramine"',
        ),
        Key(
            "profile",
            "text",
            doc="target-affinity profile: a shipped name (pdstudy.data.available_profiles()) "
            "or a profile CSV/TOML file relative to the study file; default: the compound's name",
            example='"norclomipramine"',
        ),
        Key(
            "reference_target",
            "text",
            default="NET",
            doc="target the selectivity ratios refer to",
            example='"NET"',
        ),
        Key(
            "occupancy_threshold",
            "fraction",
            default=0.5,
            doc="targets occupied above this enter the liability table",
            example="0.5",
        ),
        Key(
            "seed",
            "integer",
            doc="seed of simulated data, recorded in provenance",
            example="20261128",
        ),
        Key(
            "truth",
            "file",
            doc="for a simulated study: the simulator's truth (JSON with a 'checks' list); the "
            "report then shows true beside recovered values",
            example='"TRUTH.json"',
        ),
        Key(
            "description",
            "text",
            default="",
            doc="free text shown under the report's title",
            example='"NET binding and uptake, 3 independent experiments"',
        ),
    ),
    doc="What is studied: the compound, its literature profile and the exposure of interest.",
    subtables={"exposure": EXPOSURE},
)

SYNAPSE = Schema(
    "synapse",
    (
        Key(
            "species",
            "choice",
            default="rat",
            choices=("rat", "human"),
            doc="parameter set of the synapse model and its PK: rat (the default: the model's "
            "measured values are rat values and its PK is an i.p. dose) or human; values the "
            "sources give only for the other species stay illustrative and are marked so, and "
            "the keys below override single values",
            example='"rat"',
        ),
        Key(
            "km",
            "quantity",
            "concentration",
            positive=True,
            doc="Km of NE uptake by NET (default 0.3 µM, rat brain, Coyle & Axelrod 1971)",
            example='"0.3 µM"',
        ),
        Key(
            "vmax",
            "quantity",
            "concentration_rate",
            positive=True,
            doc="maximal NET uptake rate (default 30 nM/s, illustrative)",
            example='"30 nM/s"',
        ),
        Key(
            "k_diff",
            "quantity",
            "rate",
            low=0.0,
            doc="clearance not by NET (default 3.6 /h = 0.001 /s, illustrative)",
            example='"3.6 /h"',
        ),
        Key(
            "basal",
            "quantity",
            "concentration",
            positive=True,
            doc="drug-free extracellular NE (default 0.5 nM, rat PFC dialysate, approximate)",
            example='"0.5 nM"',
        ),
        Key(
            "ec50",
            "quantity",
            "concentration",
            positive=True,
            doc="NE giving half-maximal alpha2 feedback (default 0.5 nM, illustrative)",
            example='"0.5 nM"',
        ),
        Key(
            "hill_n",
            "number",
            positive=True,
            doc="Hill coefficient of the alpha2 feedback (default 2, illustrative)",
            example="2",
        ),
        Key(
            "feedback",
            "bool",
            doc="alpha2-autoreceptor feedback on release (default true)",
            example="true",
        ),
    ),
    doc="Parameters of the synapse model; every key is optional and defaults to the model's "
    "documented value (pdstudy.pharmacology.SynapseParams).",
)

PK = Schema(
    "pk",
    (
        Key(
            "dose",
            "quantity",
            "dose",
            positive=True,
            doc="i.p. dose as free base (default 1 mg/kg)",
            example='"10 mg/kg"',
        ),
        Key(
            "absorption_half_life",
            "quantity",
            "time",
            positive=True,
            doc="i.p. absorption half-life (default 10 min, illustrative)",
            example='"10 min"',
        ),
        Key(
            "elimination_half_life",
            "quantity",
            "time",
            positive=True,
            doc="elimination half-life (default 2 h, illustrative)",
            example='"2 h"',
        ),
        Key(
            "volume",
            "quantity",
            "specific_volume",
            positive=True,
            doc="volume of distribution (default 20 L/kg, illustrative)",
            example='"20 L/kg"',
        ),
        Key(
            "fu",
            "fraction",
            positive=True,
            doc="unbound fraction in plasma (default: the exposure's fu, else 0.02)",
            example="0.02",
        ),
        Key(
            "brain_plasma_ratio",
            "number",
            positive=True,
            doc="unbound brain / unbound plasma (Kp,uu; default 1)",
            example="1.0",
        ),
        Key(
            "mw_g_per_mol",
            "number",
            positive=True,
            doc="molecular weight of the dosed form (default: the profile's)",
            example="300.8",
        ),
        Key(
            "baseline",
            "quantity",
            "time",
            default=3600.0,
            positive=True,
            doc="pre-dose baseline shown (default 60 min)",
            example='"60 min"',
        ),
        Key(
            "duration",
            "quantity",
            "time",
            default=6 * 3600.0,
            positive=True,
            doc="time after the dose simulated (default 6 h)",
            example='"6 h"',
        ),
        Key(
            "sample_interval",
            "quantity",
            "time",
            default=1200.0,
            positive=True,
            doc="dialysate collection interval (default 20 min)",
            example='"20 min"',
        ),
    ),
    doc="One-compartment PK of an i.p. dose (rat), driving the predicted microdialysis time "
    "course; every key is optional (pdstudy.pharmacology.PKParams).",
)
