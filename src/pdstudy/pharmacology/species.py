"""Rat and human parameter sets of the synapse model and its PK, each value with its provenance.

Every value of a set is one of

- ``measured``: seen in the cited source (``verified``);
- ``approximate``: a measured range from a secondary source or from recall, the
  value taken inside it;
- ``illustrative``: a round number chosen to give the measured behaviour, or a
  value from another species used because the sources give none for this one
  (``species`` then names where it does come from);
- ``assumed``: a modelling assumption (Kp,uu = 1, the free-drug hypothesis);
- ``compound``: a property of the compound, not of the species (molecular weight).

The sources give, for the rat, the Km of NE uptake by NET (Coyle & Axelrod
1971, rat brain) and the basal extracellular NE (rat prefrontal-cortex
dialysate, ~0.3-1 nM, approximate); for the human, the plasma protein binding
of norclomipramine (Anafranil label, 97-99 % bound, fu ~0.02). Nothing else is
species-specific in them: the uptake capacity, the non-NET clearance, the
alpha2 feedback and the PK are illustrative in both sets, and the rat's fu and
the human's Km and basal NE are the other species' values, marked
illustrative. The NET Ki is not part of a set: it is measured in the study or
taken from the compound's profile, which names its species.

The default is :data:`DEFAULT_SPECIES` (``"rat"``): the model's measured
values are rat values, its PK is an i.p. dose per kg (a rodent experiment) and
the study's in vivo read-outs (microdialysis, forced swim) are rodent
experiments. Its numbers are the model's historical defaults
(:class:`~pdstudy.pharmacology.SynapseParams`,
:class:`~pdstudy.pharmacology.PKParams`), so a study without ``species``
predicts what it predicted before; only the provenance is now stated per value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pdstudy.errors import UsageError
from pdstudy.pharmacology.synapse import PKParams, SynapseParams

__all__ = [
    "DEFAULT_SPECIES",
    "KINDS",
    "SPECIES",
    "SPECIES_SETS",
    "SourcedValue",
    "SpeciesSet",
    "species_set",
]

KINDS = ("measured", "approximate", "illustrative", "assumed", "compound")
"""The kinds of value a set holds (see the module documentation)."""

COYLE_AXELROD = "Coyle & Axelrod 1971 J Neurochem (NE uptake Km, rat brain; verified)"
RAT_DIALYSATE = "rat PFC dialysate ~0.3-1 nM (microdialysis literature; approximate)"
ANAFRANIL = (
    "Anafranil label: plasma protein binding of DCMI 97-99 % (fu ~0.02; verified, secondary copy)"
)
_FEEDBACK = "chosen to give the 2-4x acute NE rise measured in vivo at high NET occupancy"


@dataclass(frozen=True)
class SourcedValue:
    """One parameter value: ``kind`` (one of :data:`KINDS`), the ``species`` it comes from
    (``"-"`` when it is not a species' property) and its ``source`` (or why it is illustrative)."""

    value: float
    kind: str
    species: str
    source: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def sourced(self) -> bool:
        """True for a measured or approximate value (one a source gives for its species)."""
        return self.kind in ("measured", "approximate")


@dataclass(frozen=True)
class SpeciesSet:
    """The synapse-model and PK parameters of one species, each with its provenance.

    ``synapse`` maps :class:`~pdstudy.pharmacology.SynapseParams` field names and
    ``pk`` :class:`~pdstudy.pharmacology.PKParams` field names to a
    :class:`SourcedValue`.
    """

    species: str
    synapse: Mapping[str, SourcedValue]
    pk: Mapping[str, SourcedValue]
    note: str

    def synapse_params(self, **overrides: Any) -> SynapseParams:
        """:class:`SynapseParams` of this set, with ``overrides`` (field names) replacing values."""
        values: dict[str, Any] = {k: v.value for k, v in self.synapse.items()}
        values.update(overrides)
        return SynapseParams(**values)

    def pk_params(self, **overrides: Any) -> PKParams:
        """:class:`PKParams` of this set, with ``overrides`` (field names) replacing values."""
        values: dict[str, Any] = {k: v.value for k, v in self.pk.items()}
        values.update(overrides)
        return PKParams(**values)

    def entry(self, name: str) -> SourcedValue:
        """The provenance of one field of ``synapse`` or ``pk``."""
        if name in self.synapse:
            return self.synapse[name]
        return self.pk[name]

    def measured(self) -> tuple[str, ...]:
        """Field names whose value a source gives for this species (measured or approximate)."""
        return tuple(k for k, v in {**self.synapse, **self.pk}.items() if v.sourced)

    def illustrative(self) -> tuple[str, ...]:
        """Field names whose value is illustrative (including other species' values)."""
        return tuple(k for k, v in {**self.synapse, **self.pk}.items() if v.kind == "illustrative")


def _common_synapse() -> dict[str, SourcedValue]:
    return {
        "vmax_M_per_s": SourcedValue(
            3.0e-8,
            "illustrative",
            "-",
            "sets NET clearance Vmax/Km = 0.1 /s; steady-state fold changes do not depend on it",
        ),
        "k_diff_per_s": SourcedValue(
            1.0e-3, "illustrative", "-", "~1 % of basal NET clearance (non-NET loss)"
        ),
        "ec50_M": SourcedValue(0.5e-9, "illustrative", "-", _FEEDBACK),
        "hill_n": SourcedValue(2.0, "illustrative", "-", _FEEDBACK),
    }


def _common_pk(species: str) -> dict[str, SourcedValue]:
    why = "round number, not fitted to data" + (
        "; rat values, the sources give no human PK" if species == "human" else ""
    )
    where = "rat" if species == "human" else "-"
    return {
        "dose_g_per_kg": SourcedValue(1.0e-3, "illustrative", "-", "1 mg/kg, " + why),
        "ka_per_s": SourcedValue(
            math.log(2) / 600.0, "illustrative", where, "i.p. absorption half-life 10 min, " + why
        ),
        "ke_per_s": SourcedValue(
            math.log(2) / 7200.0, "illustrative", where, "elimination half-life 2 h, " + why
        ),
        "v_L_per_kg": SourcedValue(
            20.0, "illustrative", where, "20 L/kg (tricyclics distribute widely), " + why
        ),
        "brain_plasma_ratio": SourcedValue(
            1.0, "assumed", "-", "free-drug hypothesis (Kp,uu = 1), not measured"
        ),
        "mw_g_per_mol": SourcedValue(300.8, "compound", "-", "norclomipramine free base"),
    }


RAT = SpeciesSet(
    species="rat",
    synapse={
        "km_M": SourcedValue(0.3e-6, "measured", "rat", COYLE_AXELROD),
        "basal_M": SourcedValue(0.5e-9, "approximate", "rat", RAT_DIALYSATE),
        **_common_synapse(),
    },
    pk={
        **_common_pk("rat"),
        "fu": SourcedValue(
            0.02,
            "illustrative",
            "human",
            "the human plasma value (Anafranil label, DCMI 97-99 % bound); the sources give "
            "no rat plasma protein binding",
        ),
    },
    note="rat: Km and basal NE measured in the rat; fu is the human plasma value (no rat "
    "value in the sources)",
)
"""The rat set (the default): the model's historical default numbers."""

HUMAN = SpeciesSet(
    species="human",
    synapse={
        "km_M": SourcedValue(
            0.3e-6,
            "illustrative",
            "rat",
            "the rat brain value (Coyle & Axelrod 1971); the sources give no human NET Km for NE",
        ),
        "basal_M": SourcedValue(
            0.5e-9,
            "illustrative",
            "rat",
            "the rat PFC dialysate value (~0.3-1 nM); the sources give no human extracellular NE",
        ),
        **_common_synapse(),
    },
    pk={**_common_pk("human"), "fu": SourcedValue(0.02, "measured", "human", ANAFRANIL)},
    note="human: fu measured in human plasma; Km and basal NE are rat values (no human value "
    "in the sources); the PK is illustrative",
)
"""The human set: human plasma binding; everything else illustrative."""

SPECIES_SETS: Mapping[str, SpeciesSet] = {s.species: s for s in (RAT, HUMAN)}
SPECIES = tuple(SPECIES_SETS)
DEFAULT_SPECIES = "rat"


def species_set(species: str | None = None) -> SpeciesSet:
    """The parameter set of ``species`` (``"rat"``, ``"human"``; ``None``: :data:`DEFAULT_SPECIES`).

    Raises
    ------
    UsageError
        An unknown species (the message lists the known ones).
    """
    name = DEFAULT_SPECIES if species is None else str(species).strip().lower()
    if name not in SPECIES_SETS:
        raise UsageError(f"species {species!r}: use one of {', '.join(SPECIES)}", where="species")
    return SPECIES_SETS[name]
