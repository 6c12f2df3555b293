"""The built-in assay kinds: the one list that the study file, the CLI and the docs read.

=============  ========================================================================
kind           what a section analyses
=============  ========================================================================
binding        competition binding -> IC50, Ki, pKi (:mod:`pdstudy.assays.binding`)
saturation     saturation binding -> Kd, Bmax (:mod:`pdstudy.assays.binding`)
uptake         synaptosomal uptake -> IC50, Ki or Km, Vmax (:mod:`pdstudy.assays.uptake`)
protein        Bradford/BCA standard curves -> protein concentration (:mod:`pdstudy.assays.protein`)
microdialysis  HPLC-ED chromatograms -> % baseline, AUC, statistics (:mod:`pdstudy.assays.microdialysis`)
fst            forced swim test -> immobility, group statistics (:mod:`pdstudy.assays.behavior`)
tst            tail suspension test -> immobility, group statistics (:mod:`pdstudy.assays.behavior`)
=============  ========================================================================

Adding a kind is one line here (its handler, in the order its sections appear
in reports); see ``docs/adding-an-assay.md``.
"""

from __future__ import annotations

from pdstudy.study.handlers import (
    binding,
    fst,
    microdialysis,
    protein,
    saturation,
    tst,
    uptake,
)
from pdstudy.study.model import AssayHandler

__all__ = ["BUILTIN_KINDS", "FUTURE_KINDS"]

#: the built-in assay kinds, in report order
BUILTIN_KINDS: tuple[AssayHandler, ...] = (
    binding.HANDLER,
    saturation.HANDLER,
    uptake.HANDLER,
    protein.HANDLER,
    microdialysis.HANDLER,
    fst.HANDLER,
    tst.HANDLER,
)

#: section kinds of the protocols that this version does not analyse yet
FUTURE_KINDS: dict[str, str] = {}
