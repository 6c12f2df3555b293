"""Pharmacological models: target-affinity profiles and the noradrenergic synapse.

- :mod:`~pdstudy.pharmacology.profile`: occupancy ``Cu / (Cu + Ki)``, free from
  total concentration, selectivity, liabilities, measured vs literature Ki.
- :mod:`~pdstudy.pharmacology.synapse`: extracellular NE under NET blockade
  with alpha2-autoreceptor feedback, driven by one-compartment PK, to predict
  microdialysis.
- :mod:`~pdstudy.pharmacology.species`: rat and human parameter sets of the
  synapse model and its PK, each value measured (with its source) or marked
  illustrative.

Profiles are read by :func:`pdstudy.io.profiles.read_profile`; shipped ones by
:func:`pdstudy.data.load_profile`.
"""

from pdstudy.pharmacology.exposure import Exposure, free_concentration
from pdstudy.pharmacology.profile import (
    LIABILITIES,
    ProfileResult,
    compute_profile,
    free_from_total,
    liability,
    liability_table,
    merge_measured,
    molecular_weight,
    occupancy,
    plot_occupancy,
)
from pdstudy.pharmacology.species import (
    DEFAULT_SPECIES,
    SPECIES,
    SPECIES_SETS,
    SourcedValue,
    SpeciesSet,
    species_set,
)
from pdstudy.pharmacology.synapse import (
    MicrodialysisPrediction,
    PKParams,
    SynapseParams,
    dialysate_samples,
    fold_change_vs_occupancy,
    plot_fold_change,
    plot_pathway,
    plot_prediction,
    simulate_microdialysis,
    simulate_synapse,
    steady_state,
)

__all__ = [
    "DEFAULT_SPECIES",
    "LIABILITIES",
    "SPECIES",
    "SPECIES_SETS",
    "SourcedValue",
    "SpeciesSet",
    "Exposure",
    "MicrodialysisPrediction",
    "PKParams",
    "ProfileResult",
    "SynapseParams",
    "compute_profile",
    "dialysate_samples",
    "fold_change_vs_occupancy",
    "free_concentration",
    "free_from_total",
    "liability",
    "liability_table",
    "merge_measured",
    "molecular_weight",
    "occupancy",
    "plot_fold_change",
    "plot_occupancy",
    "plot_pathway",
    "plot_prediction",
    "simulate_microdialysis",
    "simulate_synapse",
    "species_set",
    "steady_state",
]
