"""Forced swim (``fst``) and tail suspension (``tst``) tests: immobility and group statistics."""

from pdstudy.assays.behavior.analysis import (
    WINDOWS,
    BehaviorResult,
    analyze_behavior,
    score_event_logs,
    score_videos,
)
from pdstudy.assays.behavior.plots import plot_ethogram, plot_groups, plot_motion

__all__ = [
    "WINDOWS",
    "BehaviorResult",
    "analyze_behavior",
    "plot_ethogram",
    "plot_groups",
    "plot_motion",
    "score_event_logs",
    "score_videos",
]
