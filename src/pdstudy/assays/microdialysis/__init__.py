"""In vivo microdialysis: HPLC-ED chromatograms -> concentrations -> % baseline, AUC, statistics.

:func:`analyze_dialysis` and :class:`DialysisResult` (:mod:`.analysis`); figures
:func:`plot_time_course`, :func:`plot_auc`, :func:`plot_calibration`,
:func:`plot_chromatogram`; the study-file section in :mod:`.sections`.
"""

from pdstudy.assays.microdialysis.analysis import (
    CONCENTRATION_COLUMNS,
    PCT_COLUMNS,
    DialysisResult,
    analyze_dialysis,
)
from pdstudy.assays.microdialysis.plots import (
    plot_auc,
    plot_calibration,
    plot_chromatogram,
    plot_time_course,
)

__all__ = [
    "CONCENTRATION_COLUMNS",
    "PCT_COLUMNS",
    "DialysisResult",
    "analyze_dialysis",
    "plot_auc",
    "plot_calibration",
    "plot_chromatogram",
    "plot_time_course",
]
