"""From a video file to per-animal immobility: trace once, then threshold and score.

:func:`trace_video` decodes a video once into a :class:`~pdstudy.video.motion.MotionTrace`
(the per-frame counts, saved by the caller so that nothing needs decoding again);
:func:`score_trace` turns a trace into states and scores with
:class:`ScoringParams`; :func:`fit_threshold` calibrates the threshold and
minimum bout against human totals and reports the agreement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np

from pdstudy.errors import UsageError
from pdstudy.io.videos import KeyframeScan, Video, read_video, scan_keyframes
from pdstudy.types import task_threads
from pdstudy.video.immobility import Scores, classify, score_window
from pdstudy.video.motion import MotionTrace, background_image, compute_motion, cutoff_from_video
from pdstudy.video.rois import Roi, RoiMask, roi_masks, whole_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Agreement",
    "Calibration",
    "ScoringParams",
    "TracedVideo",
    "agreement",
    "auto_scale",
    "fit_high_threshold",
    "with_high_threshold",
    "fit_threshold",
    "score_trace",
    "segment_starts",
    "trace_video",
]


@dataclass(frozen=True)
class ScoringParams:
    """How a motion trace becomes immobility.

    ``threshold`` and ``high_threshold`` are fractions of the region's area
    changing per frame; ``cutoff`` is the noise cutoff in luma levels (None:
    calibrated from the video itself). ``scale`` is the decoding scale the
    parameters were fitted at (a calibration's: videos scored with them are decoded
    at that scale unless told otherwise; None: any, :func:`auto_scale`).
    """

    threshold: float = 0.009
    high_threshold: float | None = None
    min_bout_s: float = 1.0
    smooth_s: float = 0.25
    cutoff: int | None = None
    scale: int | None = None

    @classmethod
    def from_json(cls, path: str | PathLike[str]) -> ScoringParams:
        """The parameters of a calibration file (:meth:`Calibration.to_json`)."""
        import json
        from pathlib import Path

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                threshold=float(data["threshold"]),
                high_threshold=data.get("high_threshold"),
                min_bout_s=float(data["min_bout_s"]),
                smooth_s=float(data.get("smooth_s", 0.25)),
                cutoff=data.get("cutoff"),
                scale=None if data.get("scale") is None else int(data["scale"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"not a pdstudy calibration file: {exc}", where=str(path)) from exc


@dataclass(frozen=True)
class TracedVideo:
    """A decoded video's motion trace and what went wrong while decoding."""

    path: str
    trace: MotionTrace
    problems: tuple[tuple[str, str], ...]
    width: int
    height: int
    nominal_fps: float
    declared_frames: int


#: the automatic scale brings the analysed frame's shorter side nearest this many pixels
AUTO_SIDE_PX = 160
#: the largest reduction (:func:`auto_scale`, and the ``scale`` option's limit)
MAX_SCALE = 8


def auto_scale(width: int, height: int) -> int:
    """The reduction factor of a ``width`` x ``height`` video when none is given: the power
    of two (1, 2, 4 or 8; the finer on a tie) that brings the shorter side of the analysed
    frame nearest :data:`AUTO_SIDE_PX` (2 for 320 x 240, 4 for 640 x 480 and for
    1280 x 720, 8 for 1920 x 1080).

    The simulated sessions that validate the scoring are 320 x 240, analysed at
    160 x 120; a larger video is reduced to about the same size, which gives the same
    scores (``tests/test_video_scale.py``) for a fraction of the per-frame work. Powers
    of two reduce in repeated halvings, OpenCV's fast path.
    """
    side = min(int(width), int(height))
    return min((1, 2, 4, 8), key=lambda s: (abs(side / s - AUTO_SIDE_PX), s))


#: videos shorter than this (frames) are decoded in one segment
SEGMENT_MIN_FRAMES = 3000

#: segments of a video of at least :data:`SEGMENT_MIN_FRAMES` frames (not the cores: the
#: scores must not depend on the machine)
LONG_VIDEO_SEGMENTS = 2


def segment_starts(scan: KeyframeScan, segments: int) -> list[tuple[int, float]]:
    """Key frames (index, time) at which segments 2.. start: the nearest to equal splits."""
    n = scan.n_packets
    keys = [p for p in scan.positions if 0 < p[0] < n - 1]
    cuts: list[tuple[int, float]] = []
    for k in range(1, segments):
        if not keys:
            break
        target = k * n / segments
        best = min(keys, key=lambda p: abs(p[0] - target))
        if not cuts or best[0] > cuts[-1][0]:
            cuts.append(best)
    return cuts


def _stitch(parts: Sequence[MotionTrace], problems: list[tuple[str, str]]) -> MotionTrace:
    """Join the traces of consecutive segments; each later segment repeats the last frame of
    the one before (whose change from its predecessor the earlier segment measured)."""
    times, counts, shifts = [parts[0].times_s], [parts[0].counts], [parts[0].shift_px]
    for prev, part in zip(parts[:-1], parts[1:], strict=True):
        if part.n_frames == 0:
            continue
        if prev.n_frames and abs(part.times_s[0] - prev.times_s[-1]) < 1e-6:
            sl = slice(1, None)
        else:  # the earlier segment stopped short (damaged data): nothing to repeat
            sl = slice(0, None)
            problems.append(
                (
                    f"frame near {part.times_s[0]:.3f} s",
                    "segment joined without its preceding frame",
                )
            )
        times.append(part.times_s[sl])
        counts.append(part.counts[sl])
        shifts.append(part.shift_px[sl])
    first = parts[0]
    return MotionTrace(
        times_s=np.concatenate(times),
        animals=first.animals,
        areas=first.areas,
        counts=np.concatenate(counts),
        shift_px=np.concatenate(shifts),
        scale=first.scale,
    )


def trace_video(
    path: str | PathLike[str],
    rois: Sequence[Roi] | None = None,
    *,
    scale: int | None = None,
    compensate: bool = True,
    progress: Callable[[int], None] | None = None,
    segments: int | None = None,
    loop_filter: bool = True,
) -> TracedVideo:
    """Decode a video once and measure the motion of each region (whole frame without).

    ``scale``: decode at 1/scale of the width and height (None: :func:`auto_scale`).

    ``segments``: the video is cut at key frames into this many segments, decoded and
    measured in threads (FFmpeg and OpenCV release the GIL), as many at once as
    :func:`pdstudy.types.task_threads` allows, and joined (None: 2 for videos of at least
    :data:`SEGMENT_MIN_FRAMES` frames, whatever the cores, so that the result does not
    depend on the machine). The result is the same as in one segment except that each
    segment starts its slow background update afresh. With one core
    (``task_threads() == 1``, as in a task on a dask worker) the decoder also runs
    without threads.
    ``loop_filter=False`` decodes without the in-loop deblocking filter: about a sixth
    less decoding, but the block edges it leaves cost accuracy (on six simulated 6-minute
    TST sessions, errors up to 10 s instead of 4.4 s and per-frame agreement 0.94 instead
    of 0.96-0.99), so it is not the default.
    """
    cores = task_threads()
    video = read_video(path, scale=scale or 1, loop_filter=loop_filter, threads=cores > 1)
    info = video.info
    if scale is None:
        scale = auto_scale(info.width, info.height)
        video = replace(video, scale=scale)
    regions = list(rois) if rois else [whole_frame(info.width, info.height)]
    masks = roi_masks(regions, info.width, info.height, scale)
    want = segments if segments is not None else LONG_VIDEO_SEGMENTS
    if want < 1:
        raise UsageError(f"segments must be >= 1, got {segments}")
    scan = scan_keyframes(video) if compensate or want > 1 else None
    bg = background_image(scan.frames) if compensate and scan is not None else None
    cuts: list[tuple[int, float]] = []
    if (
        scan is not None
        and want > 1
        and (segments is not None or scan.n_packets >= SEGMENT_MIN_FRAMES)
    ):
        cuts = segment_starts(scan, want)
    problems: list[tuple[str, str]] = []
    if not cuts:
        trace = compute_motion(
            video.frames(),
            masks,
            background=bg,
            compensate=compensate,
            scale=scale,
            progress=progress,
        )
        problems = list(video.problems)
    else:
        trace = _trace_segments(video, masks, bg, compensate, scale, cuts, progress, problems)
    if trace.n_frames == 0:
        from pdstudy.errors import InputFileError

        raise InputFileError("no frame could be decoded", path)
    return TracedVideo(
        str(path),
        trace,
        tuple(problems),
        info.width,
        info.height,
        info.nominal_fps,
        info.declared_frames,
    )


def _trace_segments(
    video: Video,
    masks: Sequence[RoiMask],
    bg: np.ndarray | None,
    compensate: bool,
    scale: int,
    cuts: Sequence[tuple[int, float]],
    progress: Callable[[int], None] | None,
    problems: list[tuple[str, str]],
) -> MotionTrace:
    """The segments between consecutive cuts, each in its own thread, joined."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    bounds = [(0, None), *((i, t) for i, t in cuts)]
    stops = [t for _, t in cuts] + [None]
    done = [0] * len(bounds)
    lock = threading.Lock()

    def run(k: int) -> tuple[MotionTrace, list[tuple[str, str]]]:
        v = replace(video, problems=[])
        first, start = bounds[k]

        def tick(n: int) -> None:
            if progress is not None:
                with lock:
                    done[k] = n
                    progress(sum(done))

        frames = v.frames(start_s=start, stop_s=stops[k], first_index=first)
        tr = compute_motion(
            frames,
            masks,
            background=bg,
            compensate=compensate,
            scale=scale,
            progress=tick if progress is not None else None,
        )
        return tr, list(v.problems)

    at_once = max(1, min(len(bounds), task_threads()))
    with ThreadPoolExecutor(at_once, thread_name_prefix="pdstudy-segment") as ex:
        results = list(ex.map(run, range(len(bounds))))
    for _, probs in results:
        problems.extend(probs)
    return _stitch([tr for tr, _ in results], problems)


def score_trace(
    trace: MotionTrace,
    params: ScoringParams,
    window: tuple[float, float],
    *,
    session_start_s: float = 0.0,
) -> tuple[dict[str, Scores], np.ndarray, int]:
    """Scores per animal in the window, the states (frames x animals) and the cutoff used."""
    cutoff = params.cutoff if params.cutoff is not None else cutoff_from_video(trace)
    motion = trace.motion(cutoff)
    states = np.stack(
        [
            classify(
                trace.times_s,
                motion[:, i],
                params.threshold,
                high_threshold=params.high_threshold,
                min_bout_s=params.min_bout_s,
                smooth_s=params.smooth_s,
            )
            for i in range(len(trace.animals))
        ],
        axis=1,
    )
    out = {
        a: score_window(
            trace.times_s, states[:, i], window[0], window[1], session_start_s=session_start_s
        )
        for i, a in enumerate(trace.animals)
    }
    return out, states, cutoff


@dataclass(frozen=True)
class Agreement:
    """Agreement of automatic with human immobility (seconds): Bland-Altman and Pearson."""

    n: int
    pearson_r: float
    bias_s: float
    loa_low_s: float
    loa_high_s: float
    mean_abs_error_s: float
    per_animal: pd.DataFrame
    warnings: tuple[str, ...] = ()


def agreement(
    auto_s: Sequence[float], human_s: Sequence[float], labels: Sequence[str]
) -> Agreement:
    """Pearson r, mean bias (auto - human) with 95 % limits of agreement, per-animal errors.

    Warns when r < 0.9 or |bias| > 10 s, and when the human scores span less than 60 s
    (a calibration on a narrow range does not extrapolate).
    """
    import pandas as pd

    a = np.asarray(auto_s, float)
    h = np.asarray(human_s, float)
    if a.size != h.size or a.size == 0:
        raise UsageError("agreement needs as many automatic as human scores, at least one")
    d = a - h
    bias = float(d.mean())
    sd = float(d.std(ddof=1)) if d.size > 1 else float("nan")
    from scipy import stats

    r = float(stats.pearsonr(a, h).statistic) if a.size > 2 and np.ptp(h) > 0 else float("nan")
    warn = []
    if np.isfinite(r) and r < 0.9:
        warn.append(f"poor agreement: Pearson r = {r:.2f} (< 0.9)")
    if abs(bias) > 10:
        warn.append(f"large mean bias: {bias:+.1f} s")
    if np.ptp(h) < 60:
        warn.append(
            f"the human scores span {np.ptp(h):.0f} s only (< 60 s): calibrate on animals "
            "covering low and high immobility"
        )
    per = pd.DataFrame({"animal": list(labels), "auto_s": a, "human_s": h, "error_s": d})
    return Agreement(
        n=int(a.size),
        pearson_r=r,
        bias_s=bias,
        loa_low_s=bias - 1.96 * sd,
        loa_high_s=bias + 1.96 * sd,
        mean_abs_error_s=float(np.abs(d).mean()),
        per_animal=per,
        warnings=tuple(warn),
    )


@dataclass(frozen=True)
class Calibration:
    """The threshold and minimum bout that best match human scores, and the agreement."""

    params: ScoringParams
    agreement: Agreement
    window: tuple[float, float]
    grid: pd.DataFrame = field(repr=False)
    #: agreement of the vigorous time (s) when the high threshold was fitted
    vigorous: Agreement | None = None

    def to_json(self) -> dict:
        ag = self.agreement
        extra = (
            {} if self.vigorous is None else {"vigorous_agreement": _agreement_json(self.vigorous)}
        )
        return {
            "threshold": self.params.threshold,
            "high_threshold": self.params.high_threshold,
            "min_bout_s": self.params.min_bout_s,
            "smooth_s": self.params.smooth_s,
            "cutoff": self.params.cutoff,
            "scale": self.params.scale,
            "window_s": list(self.window),
            "agreement": _agreement_json(ag),
            **extra,
        }


def _agreement_json(ag: Agreement) -> dict[str, Any]:
    return {
        "n": ag.n,
        "pearson_r": ag.pearson_r,
        "bias_s": ag.bias_s,
        "loa_low_s": ag.loa_low_s,
        "loa_high_s": ag.loa_high_s,
        "mean_abs_error_s": ag.mean_abs_error_s,
        "warnings": list(ag.warnings),
    }


def fit_threshold(
    traces: Sequence[MotionTrace],
    human: Sequence[Mapping[str, float]],
    window: tuple[float, float],
    *,
    base: ScoringParams | None = None,
    thresholds: Sequence[float] | None = None,
    min_bouts_s: Sequence[float] = (0.5, 1.0, 1.5, 2.0),
) -> Calibration:
    """Grid search of threshold x minimum bout minimising the squared error against human totals.

    The parameters found carry the traces' decoding scale (when they share one).

    ``human[k]`` maps the animals of ``traces[k]`` to their human immobility (s) in
    ``window``; animals it does not name are left out.
    """
    import pandas as pd

    base = base or ScoringParams()
    if len(traces) != len(human):
        raise UsageError("one human-score mapping per trace")
    grid = np.geomspace(5e-4, 0.1, 60) if thresholds is None else np.asarray(thresholds, float)
    # one cutoff per trace, as scoring would choose it
    cutoffs = [base.cutoff if base.cutoff is not None else cutoff_from_video(t) for t in traces]
    rows = []
    best: tuple[float, ScoringParams] | None = None
    for mb in min_bouts_s:
        for th in grid:
            p = replace(base, threshold=float(th), min_bout_s=float(mb))
            auto, hum = [], []
            for tr, hmap, c in zip(traces, human, cutoffs, strict=True):
                scores, _, _ = score_trace(tr, replace(p, cutoff=c), window)
                for a, h in hmap.items():
                    if a in scores:
                        auto.append(scores[a].immobility_s)
                        hum.append(h)
            if not auto:
                raise UsageError("no human score names an animal of the traces")
            sse = float(np.sum((np.asarray(auto) - np.asarray(hum)) ** 2))
            rows.append({"threshold": float(th), "min_bout_s": float(mb), "sse": sse})
            if best is None or sse < best[0]:
                best = (sse, p)
    assert best is not None
    scales = {t.scale for t in traces}
    p = replace(best[1], scale=scales.pop() if len(scales) == 1 else None)
    auto, hum, labels = [], [], []
    for k, (tr, hmap, c) in enumerate(zip(traces, human, cutoffs, strict=True)):
        scores, _, _ = score_trace(tr, replace(p, cutoff=c), window)
        for a, h in hmap.items():
            if a in scores:
                auto.append(scores[a].immobility_s)
                hum.append(h)
                labels.append(f"{k}:{a}")
    return Calibration(p, agreement(auto, hum, labels), window, pd.DataFrame(rows))


def fit_high_threshold(
    traces: Sequence[MotionTrace],
    human_vigorous: Sequence[Mapping[str, float]],
    window: tuple[float, float],
    params: ScoringParams,
    *,
    grid: Sequence[float] | None = None,
) -> ScoringParams:
    """The second threshold (vigorous mobility: FST climbing, TST struggling) whose totals
    best match human vigorous times (e.g. climbing counts of a time-sampling sheet x 5 s),
    keeping the immobility threshold of ``params``."""
    if len(traces) != len(human_vigorous):
        raise UsageError("one human-score mapping per trace")
    values = (
        np.geomspace(params.threshold * 1.05, params.threshold * 20, 80)
        if grid is None
        else np.asarray(grid, float)
    )
    best: tuple[float, ScoringParams] | None = None
    for hth in values:
        p = replace(params, high_threshold=float(hth))
        err = 0.0
        for tr, hmap in zip(traces, human_vigorous, strict=True):
            scores, _, _ = score_trace(tr, p, window)
            err += sum((scores[a].vigorous_s - h) ** 2 for a, h in hmap.items() if a in scores)
        if best is None or err < best[0]:
            best = (err, p)
    assert best is not None
    return best[1]


def with_high_threshold(
    cal: Calibration,
    traces: Sequence[MotionTrace],
    human_vigorous: Sequence[Mapping[str, float]],
) -> Calibration:
    """``cal`` with its high threshold fitted to human vigorous times
    (:func:`fit_high_threshold`; climbing in the FST, struggling in the TST) and the
    agreement of the vigorous times."""
    params = fit_high_threshold(traces, human_vigorous, cal.window, cal.params)
    auto, hum, labels = [], [], []
    for k, (tr, hmap) in enumerate(zip(traces, human_vigorous, strict=True)):
        scores, _, _ = score_trace(tr, params, cal.window)
        for a, h in hmap.items():
            if a in scores:
                auto.append(scores[a].vigorous_s)
                hum.append(h)
                labels.append(f"{k}:{a}")
    return replace(cal, params=params, vigorous=agreement(auto, hum, labels))
