"""Assays: domain rules that turn tidy tables into results, one package per kind.

- :mod:`pdstudy.assays.binding`: competition (Ki) and saturation (Kd, Bmax);
- :mod:`pdstudy.assays.uptake`: synaptosomal uptake inhibition and kinetics;
- :mod:`pdstudy.assays.protein`: Bradford/BCA protein determination.

Shared by them: :mod:`.contract` (the result protocol every assay returns),
:mod:`.schema` (the keys of study-file sections), :mod:`.plates` (reading plate
files with their layout, one rule for every entry point), :mod:`.qc` (QC flags).
Each kind's ``sections`` module holds the keys of its study-file section and
the analysis of one section.
"""
