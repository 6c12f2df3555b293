"""Synaptosomal uptake: inhibition (IC50, Ki by Cheng-Prusoff) and kinetics (Km, Vmax).

- :mod:`.inhibition`: :func:`analyze_uptake`, :class:`UptakeResult`, :func:`plot_uptake`,
  :func:`uptake_rates`, :func:`pmol_from_dpm`;
- :mod:`.kinetics`: :func:`analyze_uptake_kinetics`, :class:`KineticsResult`, :func:`plot_kinetics`.
"""

from pdstudy.assays.uptake.inhibition import (
    DPM_PER_CI,
    UptakeResult,
    analyze_uptake,
    plot_uptake,
    pmol_from_dpm,
    uptake_rates,
)
from pdstudy.assays.uptake.kinetics import (
    MM_TOTAL_NS,
    KineticsResult,
    analyze_uptake_kinetics,
    plot_kinetics,
)

__all__ = [
    "DPM_PER_CI",
    "MM_TOTAL_NS",
    "KineticsResult",
    "UptakeResult",
    "analyze_uptake",
    "analyze_uptake_kinetics",
    "plot_kinetics",
    "plot_uptake",
    "pmol_from_dpm",
    "uptake_rates",
]
