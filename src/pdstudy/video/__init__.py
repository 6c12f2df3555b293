"""Video scoring engine: frames in, motion signals, immobility states and scores out.

- :mod:`pdstudy.video.rois`: regions of interest (one animal each).
- :mod:`pdstudy.video.motion`: the per-frame motion signal (silhouette-relative
  frame differencing, counts at every noise cutoff), noise-cutoff calibration.
- :mod:`pdstudy.video.immobility`: states, bouts, scores in a window.
- :mod:`pdstudy.video.score`: a video file to a trace; threshold calibration
  against human scores and the agreement.
"""

from pdstudy.video.immobility import Scores, bouts_of, classify, score_window
from pdstudy.video.motion import MotionTrace, compute_motion, cutoff_from_empty, cutoff_from_video
from pdstudy.video.rois import Roi, read_rois, roi_masks
from pdstudy.video.score import (
    Agreement,
    Calibration,
    ScoringParams,
    TracedVideo,
    agreement,
    fit_threshold,
    score_trace,
    trace_video,
)

__all__ = [
    "Agreement",
    "Calibration",
    "MotionTrace",
    "Roi",
    "Scores",
    "ScoringParams",
    "TracedVideo",
    "agreement",
    "bouts_of",
    "classify",
    "compute_motion",
    "cutoff_from_empty",
    "cutoff_from_video",
    "fit_threshold",
    "read_rois",
    "roi_masks",
    "score_trace",
    "score_window",
    "trace_video",
]
