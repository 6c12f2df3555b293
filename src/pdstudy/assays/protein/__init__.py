"""Protein determination (Bradford, BCA): standard curves and unknown samples.

:func:`analyze_protein`, :class:`ProteinResult`, :func:`plot_protein` (in :mod:`.analysis`).
"""

from pdstudy.assays.protein.analysis import (
    FOUR_PL_LINEAR,
    LINEAR,
    QUADRATIC,
    STANDARD_MODELS,
    ProteinResult,
    analyze_protein,
    plot_protein,
)

__all__ = [
    "FOUR_PL_LINEAR",
    "LINEAR",
    "QUADRATIC",
    "STANDARD_MODELS",
    "ProteinResult",
    "analyze_protein",
    "plot_protein",
]
