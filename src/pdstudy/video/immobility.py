"""Immobility from a motion signal: states, bouts and scores in a time window.

A frame is immobile when the smoothed motion is below ``threshold`` in a run
lasting at least ``min_bout_s``; mobile frames above ``high_threshold`` are the
vigorous state (FST climbing, TST struggling), the rest the active state
(swimming), like EthoVision's mobility states. Frame durations come from the
timestamps (each frame lasts until the next), never from an assumed rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pdstudy.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "IMMOBILE",
    "ACTIVE",
    "VIGOROUS",
    "Scores",
    "bouts_of",
    "classify",
    "frame_durations",
    "score_window",
    "scores_from_bouts",
    "smooth",
]

IMMOBILE, ACTIVE, VIGOROUS = 0, 1, 2


def frame_durations(times_s: np.ndarray) -> np.ndarray:
    """How long each frame is shown: to the next timestamp (the last: the median interval)."""
    t = np.asarray(times_s, float)
    if t.size == 0:
        return t
    if t.size == 1:
        return np.array([0.0])
    d = np.diff(t)
    return np.append(d, np.median(d))


def smooth(times_s: np.ndarray, signal: np.ndarray, width_s: float) -> np.ndarray:
    """Centred moving average over ``width_s`` seconds (in frames of the median interval)."""
    x = np.asarray(signal, float)
    if width_s <= 0 or x.size < 3:
        return x
    dt = float(np.median(np.diff(times_s)))
    n = max(1, int(round(width_s / dt)))
    if n <= 1:
        return x
    k = np.ones(n) / n
    pad = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(pad, k, mode="valid")


def _run_edges(flag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices of the True runs (stop exclusive), as arrays."""
    f = np.concatenate([[False], np.asarray(flag, bool), [False]])
    edges = np.flatnonzero(np.diff(f.astype(np.int8)))
    return edges[::2], edges[1::2]


def _runs(flag: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs (stop exclusive)."""
    a, b = _run_edges(flag)
    return list(zip(a.tolist(), b.tolist(), strict=True))


def classify(
    times_s: np.ndarray,
    motion: np.ndarray,
    threshold: float,
    *,
    high_threshold: float | None = None,
    min_bout_s: float = 1.0,
    smooth_s: float = 0.25,
) -> np.ndarray:
    """Per-frame state: :data:`IMMOBILE`, :data:`ACTIVE` or :data:`VIGOROUS` (int8)."""
    if not np.isfinite(threshold) or threshold < 0:
        raise UsageError(f"immobility threshold must be >= 0, got {threshold}")
    if min_bout_s < 0:
        raise UsageError(f"minimum bout must be >= 0 s, got {min_bout_s}")
    t = np.asarray(times_s, float)
    m = smooth(t, motion, smooth_s)
    dur = frame_durations(t)
    state = np.full(t.size, ACTIVE, np.int8)
    if high_threshold is not None:
        state[m >= high_threshold] = VIGOROUS
    for a, b in _runs(m < threshold):
        if dur[a:b].sum() >= min_bout_s - 1e-9:
            state[a:b] = IMMOBILE
    return state


def bouts_of(times_s: np.ndarray, state: np.ndarray, value: int = IMMOBILE) -> pd.DataFrame:
    """Bouts of one state: ``start_s``, ``stop_s``, ``duration_s``."""
    import pandas as pd

    start, stop = _bout_bounds(times_s, state, value)
    df = pd.DataFrame({"start_s": start, "stop_s": stop}, dtype=float)
    df["duration_s"] = df["stop_s"] - df["start_s"]
    return df


def _bout_bounds(
    times_s: np.ndarray, state: np.ndarray, value: int
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops (s) of the bouts of one state, in time order."""
    t = np.asarray(times_s, float)
    dur = frame_durations(t)
    a, b = _run_edges(np.asarray(state) == value)
    return t[a], t[b - 1] + dur[b - 1]


@dataclass(frozen=True)
class Scores:
    """Immobility of one animal in a window ``[start_s, end_s)`` (session time)."""

    window_start_s: float
    window_end_s: float
    immobility_s: float
    #: from the session start to the first immobility bout that ends in the window (NaN: none)
    latency_s: float
    bouts: int
    active_s: float
    vigorous_s: float
    per_minute_s: tuple[float, ...]


def score_window(
    times_s: np.ndarray,
    state: np.ndarray,
    start_s: float,
    end_s: float,
    *,
    session_start_s: float = 0.0,
) -> Scores:
    """Score the states of a session in a window (times relative to the session start).

    Raises :class:`UsageError` when the video ends before the window does (more
    than one frame interval short).
    """
    t = np.asarray(times_s, float) - session_start_s
    st = np.asarray(state)
    if end_s <= start_s:
        raise UsageError(f"scoring window {start_s:g}-{end_s:g} s is empty")
    dur = frame_durations(t)
    if t.size == 0 or t[-1] + dur[-1] < end_s - max(float(np.median(dur)), 1e-6) * 1.5:
        have = float(t[-1] + dur[-1]) if t.size else 0.0
        raise UsageError(
            f"the video covers {have:.1f} s of the session, shorter than the scoring window "
            f"{start_s:g}-{end_s:g} s"
        )
    lo = np.clip(t, start_s, end_s)
    hi = np.clip(t + dur, start_s, end_s)
    inside = hi - lo

    def total(value: int) -> float:
        return float(inside[st == value].sum())

    b_start, b_stop = _bout_bounds(t, st, IMMOBILE)
    inside_window = (b_stop > start_s) & (b_start < end_s)
    n_bouts = int(inside_window.sum())
    latency = float(b_start[inside_window][0]) if n_bouts else float("nan")
    edges = np.arange(start_s, end_s + 1e-9, 60.0)
    if edges[-1] < end_s - 1e-9:
        edges = np.append(edges, end_s)
    per_min = []
    imm = st == IMMOBILE
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        lo_m = np.clip(t, a, b)
        hi_m = np.clip(t + dur, a, b)
        per_min.append(float((hi_m - lo_m)[imm].sum()))
    return Scores(
        window_start_s=float(start_s),
        window_end_s=float(end_s),
        immobility_s=total(IMMOBILE),
        latency_s=max(latency, 0.0) if np.isfinite(latency) else latency,
        bouts=n_bouts,
        active_s=total(ACTIVE),
        vigorous_s=total(VIGOROUS),
        per_minute_s=tuple(per_min),
    )


def scores_from_bouts(
    bouts: pd.DataFrame, start_s: float, end_s: float, *, min_bout_s: float = 0.0
) -> Scores:
    """Scores from hand-scored bouts (``behavior``, ``start_s``, ``stop_s``; session time):
    the same outputs as video scoring. Immobile bouts shorter than ``min_bout_s`` are dropped."""
    if end_s <= start_s:
        raise UsageError(f"scoring window {start_s:g}-{end_s:g} s is empty")

    def clipped(rows: pd.DataFrame) -> np.ndarray:
        lo = rows["start_s"].clip(start_s, end_s).to_numpy(float)
        hi = rows["stop_s"].clip(start_s, end_s).to_numpy(float)
        return hi - lo

    b = bouts.sort_values("start_s")
    imm = b[(b["behavior"] == "immobile") & (b["stop_s"] - b["start_s"] >= min_bout_s - 1e-9)]
    inside = imm[(imm["stop_s"] > start_s) & (imm["start_s"] < end_s)]
    edges = np.arange(start_s, end_s + 1e-9, 60.0)
    if edges[-1] < end_s - 1e-9:
        edges = np.append(edges, end_s)
    per_min = []
    for a, c in zip(edges[:-1], edges[1:], strict=True):
        lo = inside["start_s"].clip(a, c).to_numpy(float)
        hi = inside["stop_s"].clip(a, c).to_numpy(float)
        per_min.append(float((hi - lo).sum()))
    return Scores(
        window_start_s=float(start_s),
        window_end_s=float(end_s),
        immobility_s=float(clipped(inside).sum()),
        latency_s=float(inside["start_s"].iloc[0]) if len(inside) else float("nan"),
        bouts=len(inside),
        active_s=float(clipped(b[b["behavior"] == "active"]).sum()),
        vigorous_s=float(clipped(b[b["behavior"] == "vigorous"]).sum()),
        per_minute_s=tuple(per_min),
    )
