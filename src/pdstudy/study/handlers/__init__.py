"""The built-in assay handlers, registered on import.

=============  ========================================================================
kind           handler
=============  ========================================================================
binding        competition binding -> IC50, Ki, pKi (:mod:`.binding`)
saturation     saturation binding -> Kd, Bmax (:mod:`.saturation`)
uptake         synaptosomal uptake -> IC50, Ki or Km, Vmax (:mod:`.uptake`)
protein        Bradford/BCA standard curves -> protein concentration (:mod:`.protein`)
=============  ========================================================================
"""

from pdstudy.study.handlers import binding, protein, saturation, uptake
from pdstudy.study.registry import HANDLERS, register_handler

for _module in (binding, saturation, uptake, protein):
    if _module.HANDLER.kind not in HANDLERS:
        register_handler(_module.HANDLER)

__all__ = ["binding", "protein", "saturation", "uptake"]
