"""Default parameters of the plate simulators, one frozen dataclass per assay.

Every number names its source. "pharmacology.md" is the project's table of
literature values (``../shared/reference/pharmacology.md``); "protocol" is the
vendor application note in ``../shared/seed/`` (approximate, describes what labs
do); "illustrative" marks a plausible value chosen for realistic-looking data,
with no literature claim behind it.

The simulators take these values as their keyword defaults, so
``simulate_competition(layout, seed=1)`` gives a norclomipramine / [3H]nisoxetine
plate. Override any of them by keyword, or build a variant with
``dataclasses.replace(COMPETITION, ki_M=2e-9)``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: disintegrations per minute in one curie (exact: 3.7e10 Bq x 60 s)
DPM_PER_CI = 2.22e12


@dataclass(frozen=True)
class CountingDefaults:
    """Scintillation counting and well-to-well noise shared by the radioactive assays."""

    efficiency: float = 0.45
    """Counting efficiency of tritium on filters in cocktail; illustrative (typical 0.4-0.5)."""
    count_time_s: float = 60.0
    """Counting time per well; illustrative (1 min, a common counter setting)."""
    background_cpm: float = 20.0
    """Counter background added to every well; illustrative."""
    cv: float = 0.05
    """Proportional well-to-well CV of the bound/taken-up radioactivity; illustrative."""
    pipetting_cv: float = 0.02
    """CV of the dispensed volumes per well (scales the signal); illustrative."""


@dataclass(frozen=True)
class CompetitionDefaults:
    """Competition binding: norclomipramine vs [3H]nisoxetine at NET (the worked example)."""

    ki_M: float = 0.5e-9
    """Norclomipramine Ki at human NET: 0.3-0.8 nM (pharmacology.md, secondary sources,
    approximate; consistent with Takano et al. 2011 monkey PET). 0.5 nM is the middle."""
    kd_M: float = 0.8e-9
    """[3H]nisoxetine Kd, rat brain: 0.8 nM (Tejani-Butt 1992 JPET 260:427, verified)."""
    radioligand_M: float = 1e-9
    """Final [3H]nisoxetine concentration: protocol says ~1-5 nM; 1 nM (approximately Kd)."""
    hill: float = 1.0
    """Hill slope of a one-site competitive interaction (law of mass action)."""
    bmax_cpm: float = 6000.0
    """Specific binding window at zero competitor, CPM; illustrative (total ~6700 CPM)."""
    nsb_fraction: float = 0.10
    """Nonspecific binding as a fraction of total binding; illustrative."""
    specific_activity_Ci_per_mmol: float = 80.0
    """[3H]nisoxetine specific activity; illustrative (commercial tritiated ligands are
    typically 60-90 Ci/mmol). Only used to count the radioligand added (depletion)."""
    volume_uL: float = 200.0
    """Assay volume: 50 µL compound/buffer + 50 µL radioligand + 100 µL membranes (protocol)."""
    nsb_compound: str = "desipramine"
    """NSB-defining compound, 10 µM (protocol)."""


@dataclass(frozen=True)
class SaturationDefaults:
    """Saturation binding of [3H]nisoxetine to NET membranes."""

    kd_M: float = 0.8e-9
    """[3H]nisoxetine Kd, rat brain: 0.8 nM (Tejani-Butt 1992 JPET 260:427, verified)."""
    bmax_fmol_per_mg: float = 2000.0
    """Illustrative; same order as human placental NET 5.1 pmol/mg (Jayanthi et al. 1993
    Biochemistry 32:12178) and HEK293-hNET at ~1e6 transporters/cell (Galli et al. 1995)."""
    protein_mg_per_well: float = 0.035
    """Membrane protein per well; protocol says 20-50 µg; 35 µg is the middle."""
    specific_activity_Ci_per_mmol: float = 80.0
    """[3H]nisoxetine specific activity; illustrative (60-90 Ci/mmol typical)."""
    ns_slope: float = 0.02
    """Nonspecific binding as a fraction of the radioligand added (NS linear in [L]);
    illustrative (gives NSB ~10 % of total near Kd)."""
    volume_uL: float = 200.0
    """Assay volume (protocol: 50 + 50 + 100 µL)."""


@dataclass(frozen=True)
class UptakeDefaults:
    """[3H]-norepinephrine uptake into rat cortical synaptosomes."""

    ki_M: float = 0.5e-9
    """Norclomipramine Ki at NET, 0.3-0.8 nM (pharmacology.md, approximate)."""
    km_M: float = 0.3e-6
    """NE uptake Km, rat brain: 0.3 µM (Coyle & Axelrod 1971 J Neurochem, verified)."""
    substrate_M: float = 15e-9
    """[3H]-NE final concentration: protocol says ~10-20 nM."""
    hill: float = 1.0
    """Competitive inhibition, Hill slope 1."""
    vmax_pmol_per_mg_per_min: float = 2.0
    """Illustrative uptake capacity of cortical synaptosomes."""
    protein_mg_per_well: float = 0.1
    """Synaptosomal protein per well; illustrative."""
    incubation_s: float = 300.0
    """Uptake time: protocol says 5-10 min at 37 °C; 5 min (initial-rate regime)."""
    specific_activity_Ci_per_mmol: float = 40.0
    """[3H]-NE specific activity; illustrative (commercial lots ~10-60 Ci/mmol)."""
    nonspecific_fraction: float = 0.66
    """Nonspecific (desipramine-insensitive) share of control uptake: only ~34 % of rat
    cortical uptake is desipramine-sensitive (Michel et al. 1984 Brain Res 301:149)."""
    desipramine_ic50_M: float = 0.37e-9
    """Desipramine IC50 for NE uptake, rat cortical synaptosomes: 0.37 nM (Michel et al.
    1984 Brain Res 301:149, verified). For simulating desipramine as the test compound."""


@dataclass(frozen=True)
class ProteinDefaults:
    """BCA protein assay (562 nm) with BSA standards; all values illustrative."""

    blank_absorbance: float = 0.10
    """Reagent blank absorbance; illustrative."""
    slope_per_ug_per_mL: float = 1.0e-3
    """Initial slope of absorbance vs BSA concentration; illustrative (~2 AU span)."""
    curvature_per_ug2_per_mL2: float = -1.5e-7
    """Quadratic term (mild saturation at the top, A(2000) ~ 1.5); illustrative.
    The curve stays monotonic up to -slope/(2*curvature) = 3333 µg/mL."""
    cv: float = 0.02
    """Proportional well-to-well CV (pipetting, reagent); illustrative."""
    sd_absorbance: float = 0.003
    """Additive reader noise, AU; illustrative."""
    samples_ug_per_mL: tuple[tuple[str, float], ...] = (
        ("S1", 350.0),
        ("S2", 900.0),
        ("S3", 1600.0),
    )
    """True protein concentrations of the unknowns; illustrative."""


COUNTING = CountingDefaults()
COMPETITION = CompetitionDefaults()
SATURATION = SaturationDefaults()
UPTAKE = UptakeDefaults()
PROTEIN = ProteinDefaults()
