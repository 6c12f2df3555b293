"""Chromatogram numerics: baseline, peaks and integration, assignment, calibration.

Stateless functions on arrays and tidy frames; no file I/O, no pharmacology.
"""

from .assign import Window, assign_peaks, recentre_windows
from .baseline import BASELINE_METHODS, estimate_baseline
from .calibration import WEIGHTINGS, Calibration, fit_calibration
from .peaks import PEAK_COLUMNS, PeakSettings, detect_peaks, noise_sd, resolution
from .process import process_trace
from .shapes import emg, emg_apex

__all__ = [
    "BASELINE_METHODS",
    "PEAK_COLUMNS",
    "WEIGHTINGS",
    "Calibration",
    "PeakSettings",
    "Window",
    "assign_peaks",
    "detect_peaks",
    "emg",
    "emg_apex",
    "estimate_baseline",
    "fit_calibration",
    "noise_sd",
    "process_trace",
    "recentre_windows",
    "resolution",
]
