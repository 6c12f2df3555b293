"""Assays: domain rules that turn tidy plate tables into results.

Radioligand binding (competition, saturation) is in :mod:`pdstudy.assays.binding`;
logic shared with uptake (percent of control, concentration-response fitting,
QC helpers) is in :mod:`pdstudy.assays._common`.
"""

# protein determination and synaptosomal uptake (re-exported)
from pdstudy.assays.protein import ProteinResult as ProteinResult
from pdstudy.assays.protein import analyze_protein as analyze_protein
from pdstudy.assays.protein import plot_protein as plot_protein
from pdstudy.assays.uptake import KineticsResult as KineticsResult
from pdstudy.assays.uptake import UptakeResult as UptakeResult
from pdstudy.assays.uptake import analyze_uptake as analyze_uptake
from pdstudy.assays.uptake import analyze_uptake_kinetics as analyze_uptake_kinetics
from pdstudy.assays.uptake import plot_kinetics as plot_kinetics
from pdstudy.assays.uptake import plot_uptake as plot_uptake
from pdstudy.assays.uptake import uptake_rates as uptake_rates
