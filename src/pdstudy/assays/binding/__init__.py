"""Radioligand binding: competition (IC50, Ki, pKi) and saturation (Kd, Bmax).

- :mod:`.competition`: :func:`analyze_competition`, :class:`CompetitionResult`,
  :func:`aggregate_experiments`, :func:`plot_competition`;
- :mod:`.saturation`: :func:`analyze_saturation`, :class:`SaturationResult`,
  :func:`plot_saturation`, :func:`plot_scatchard`;
- :mod:`.selectivity`: :func:`selectivity_ratios`, measured Ki ratios with CIs;
- :mod:`.section`: the keys of the ``[[binding]]`` and ``[[saturation]]``
  study-file sections and the analysis of one section.
"""

from pdstudy.assays.binding.competition import (
    CURVE_COLUMNS,
    DPM_PER_CI,
    CompetitionResult,
    QCThresholds,
    aggregate_experiments,
    analyze_competition,
    analyze_competition_files,
    dpm_to_fmol,
    plot_competition,
    pool_ki,
)
from pdstudy.assays.binding.saturation import (
    SaturationResult,
    analyze_saturation,
    plot_saturation,
    plot_scatchard,
)
from pdstudy.assays.binding.selectivity import SELECTIVITY_COLUMNS, selectivity_ratios
from pdstudy.assays.plates import read_merged

__all__ = [
    "CURVE_COLUMNS",
    "SELECTIVITY_COLUMNS",
    "DPM_PER_CI",
    "CompetitionResult",
    "QCThresholds",
    "SaturationResult",
    "aggregate_experiments",
    "analyze_competition",
    "analyze_competition_files",
    "analyze_saturation",
    "dpm_to_fmol",
    "plot_competition",
    "plot_saturation",
    "plot_scatchard",
    "pool_ki",
    "read_merged",
    "selectivity_ratios",
]
