"""The study-file sections ``[[fst]]`` and ``[[tst]]``: :data:`FST`, :data:`TST`,
:func:`check_behavior` and :func:`analyse_fst` / :func:`analyse_tst`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.assays.behavior.analysis import (
    WINDOWS,
    BehaviorResult,
    analyze_behavior,
    read_groups,
    score_event_logs,
    score_videos,
)
from pdstudy.assays.exclusions import (
    ANIMAL_EXCLUDE_KEY,
    ANIMAL_FIELDS,
    check_exclusions,
    declared_exclusions,
)
from pdstudy.assays.plates import NAME_KEY
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.errors import PdStudyError
from pdstudy.types import Mapper, local_map
from pdstudy.video.rois import read_rois
from pdstudy.video.score import AUTO_SIDE_PX, MAX_SCALE, ScoringParams

__all__ = ["FST", "TST", "analyse_fst", "analyse_tst", "check_behavior", "scoring_params"]

#: default motion threshold (fraction of the region changing per frame) without calibration
DEFAULT_THRESHOLD = ScoringParams().threshold


def _keys(test: str) -> tuple[Key, ...]:
    lo, hi = WINDOWS[test]
    return (
        NAME_KEY,
        Key(
            "videos",
            "files",
            doc="video files of the sessions (mp4, avi, mov, wmv, mpg)",
            example=f'["videos/{test}_*.mp4"]',
        ),
        Key(
            "event_logs",
            "files",
            doc="manual scores instead of (or besides) videos: bout CSV, BORIS, 5-s time sampling",
            example=f'["{test}_bouts.csv"]',
        ),
        Key(
            "animals",
            "file",
            required=True,
            doc="CSV of animal, group (and video, roi, dose, session_start_s)",
            example='"animals.csv"',
        ),
        Key(
            "rois",
            "file",
            doc="regions of interest (TOML [[roi]] or JSON), one per animal",
            example='"rois.toml"',
        ),
        Key(
            "calibration",
            "file",
            doc="threshold and minimum bout fitted on human scores (pdstudy behavior calibrate)",
            example='"calibration.json"',
        ),
        Key("control", "text", default="vehicle", doc="the control group", example='"vehicle"'),
        Key(
            "pretreatment",
            "quantity",
            "time",
            default=1800.0,
            low=0,
            doc="time from dosing to the start of the test (for the occupancy at test time)",
            example='"30 min"',
        ),
        Key(
            "window_start",
            "quantity",
            "time",
            default=lo,
            low=0,
            doc="start of the scoring window after the animal is placed",
            example=f'"{lo / 60:g} min"',
        ),
        Key(
            "window_end",
            "quantity",
            "time",
            default=hi,
            positive=True,
            doc="end of the scoring window",
            example=f'"{hi / 60:g} min"',
        ),
        Key(
            "threshold",
            "fraction",
            default=DEFAULT_THRESHOLD,
            doc="motion below which a frame is immobile (fraction of the region changing)",
            example=str(DEFAULT_THRESHOLD),
        ),
        Key(
            "high_threshold",
            "fraction",
            doc="motion above which mobility is vigorous (climbing / struggling)",
            example="0.02",
        ),
        Key(
            "min_bout",
            "quantity",
            "time",
            default=1.0,
            low=0,
            doc="shortest immobility bout",
            example='"1 s"',
        ),
        Key(
            "cutoff",
            "integer",
            low=0,
            high=63,
            doc="noise cutoff in luma levels (default: calibrated from each video)",
            example="8",
        ),
        Key(
            "scale",
            "integer",
            low=1,
            high=MAX_SCALE,
            doc="decode at 1/scale of the width and height (default: the calibration's, else the "
            f"power of two that brings the analysed frame nearest {AUTO_SIDE_PX} px high: 2 for "
            "320 x 240, 4 for 640 x 480)",
            example="3",
        ),
        Key(
            "compensate",
            "bool",
            default=True,
            doc="measure motion relative to the animal's silhouette (drift, swing)",
            example="true",
        ),
        Key(
            "method",
            "choice",
            default="auto",
            choices=("auto", "anova", "welch", "kruskal"),
            doc="group test: auto (by the assumption checks), anova + Dunnett, Welch + "
            "Games-Howell, Kruskal-Wallis + Dunn",
            example='"auto"',
        ),
        Key("alpha", "fraction", default=0.05, doc="significance level", example="0.05"),
        ANIMAL_EXCLUDE_KEY,
    )


def _rule(values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems) -> None:
    if not raw.get("videos") and not raw.get("event_logs"):
        problems.append((f"{path}.videos", "give videos or event_logs (or both)"))
    lo, hi = values.get("window_start"), values.get("window_end")
    if lo is not None and hi is not None and hi <= lo:
        problems.append((f"{path}.window_end", "must be after window_start"))


FST = Schema(
    "fst",
    _keys("fst"),
    doc="A forced swim test: videos or manual scores, immobility in the last 4 of 6 minutes.",
    rules=(_rule,),
)
TST = Schema(
    "tst",
    _keys("tst"),
    doc="A tail suspension test: videos or manual scores, immobility over the 6 minutes.",
    rules=(_rule,),
)


def _scale(values: Mapping[str, Any], params: ScoringParams) -> int | None:
    """The section's ``scale``, else its calibration's (``params.scale``; None: chosen per
    video, :func:`pdstudy.video.score.auto_scale`)."""
    s = values.get("scale")
    return params.scale if s is None else int(s)


def scoring_params(values: Mapping[str, Any]) -> ScoringParams:
    """The scoring parameters of a section: a calibration file's, else the section's keys."""
    cal = values.get("calibration")
    if cal is not None:
        return ScoringParams.from_json(cal)
    return ScoringParams(
        threshold=float(values.get("threshold", DEFAULT_THRESHOLD)),
        high_threshold=values.get("high_threshold"),
        min_bout_s=float(values.get("min_bout", 1.0)),
        cutoff=values.get("cutoff"),
    )


#: the agreement figures of a calibration file, as flat settings ``calibration_<name>`` and
#: ``vigorous_<name>`` (the high threshold's, when it was fitted)
AGREEMENT_FIELDS = ("n", "pearson_r", "bias_s", "loa_low_s", "loa_high_s", "mean_abs_error_s")


def calibration_agreement(path: Any) -> dict[str, Any]:
    """The agreement a calibration file records, for the section's settings and report."""
    if path is None:
        return {}
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for prefix, key in (("calibration", "agreement"), ("vigorous", "vigorous_agreement")):
        ag = data.get(key)
        if isinstance(ag, dict):
            out.update({f"{prefix}_{f}": ag.get(f) for f in AGREEMENT_FIELDS})
    return out


def check_behavior(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """File checks: the animals file and the ROI file read; the exclusions name animals of it."""
    data = None
    for key, reader in (("animals", read_groups), ("rois", read_rois)):
        if values.get(key) is None:
            continue
        try:
            got = reader(values[key])
        except PdStudyError as exc:
            problems.append((f"{where}.{key}", str(exc)))
            continue
        if key == "animals" and isinstance(got, pd.DataFrame):
            data = got
    check_exclusions(values, where, problems, fields=ANIMAL_FIELDS, data=data)


def _score_video(video: Path | None, **options: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One video scored (:func:`score_videos` of it alone; ``None``: the empty tables)."""
    return score_videos([] if video is None else [video], **options)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under the other, as :func:`score_videos` of all the videos would give."""
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0]


def _analyse(values: Mapping[str, Any], test: str, map: Mapper | None = None) -> BehaviorResult:
    params = scoring_params(values)
    scale = _scale(values, params)
    window = (
        float(values.get("window_start", WINDOWS[test][0])),
        float(values.get("window_end", WINDOWS[test][1])),
    )
    groups = read_groups(values["animals"])
    rois = read_rois(values["rois"]) if values.get("rois") is not None else None
    starts: dict[str, float] = {}
    if "session_start_s" in groups.columns and "video" in groups.columns:
        first = groups.groupby("video")["session_start_s"].first().astype(float)
        starts = {str(k): float(v) for k, v in first.items()}
    videos = list(values.get("videos") or [])
    score_one = partial(
        _score_video,
        test=test,
        params=params,
        rois=rois,
        window=window,
        session_start_s=starts,
        scale=scale,
        compensate=bool(values.get("compensate", True)),
    )
    if videos:
        parts = (map or local_map)(score_one, [Path(v) for v in videos])  # one task per video
        scores, motion = (_concat([p[k] for p in parts]) for k in (0, 1))
    else:
        scores, motion = score_one(None)
    logs = list(values.get("event_logs") or [])
    if logs:
        manual = score_event_logs(logs, test, window=window)
        scores = pd.concat([scores, manual], ignore_index=True)
    if "video" in groups.columns and not scores.empty:
        # animals of a whole-frame video are named after the file: match by video alone
        one = groups.groupby("video")["animal"].transform("size") == 1
        by_video = dict(zip(groups.loc[one, "video"], groups.loc[one, "animal"], strict=True))
        whole = scores["video"].map(by_video)
        stem = scores["animal"] == scores["video"].map(lambda v: Path(v).stem)
        scores.loc[stem & whole.notna(), "animal"] = whole[stem & whole.notna()]
    settings = {
        "test": test,
        "window_start_s": window[0],
        "window_end_s": window[1],
        "threshold": params.threshold,
        "high_threshold": params.high_threshold,
        "min_bout_s": params.min_bout_s,
        "cutoff": params.cutoff,
        "scale": "auto" if scale is None else scale,
        "compensate": bool(values.get("compensate", True)),
        "calibrated": values.get("calibration") is not None,
        **calibration_agreement(values.get("calibration")),
    }
    result = analyze_behavior(
        scores,
        groups,
        test,
        control=str(values.get("control", "vehicle")),
        method=str(values.get("method", "auto")),
        alpha=float(values.get("alpha", 0.05)),
        motion=motion,
        settings=settings,
        exclusions=declared_exclusions(values, test),
    )
    files = [("animals", values["animals"])]
    files += [("videos", v) for v in videos] + [("event_logs", p) for p in logs]
    if values.get("rois") is not None:
        files.append(("rois", values["rois"]))
    if values.get("calibration") is not None:
        files.append(("calibration", values["calibration"]))
    return result.with_inputs(files)


def analyse_fst(values: Mapping[str, Any], *, map: Mapper | None = None) -> BehaviorResult:
    """Analyse one ``[[fst]]`` section; ``map`` runs the videos (:class:`pdstudy.types.Mapper`)."""
    return _analyse(values, "fst", map)


def analyse_tst(values: Mapping[str, Any], *, map: Mapper | None = None) -> BehaviorResult:
    """Analyse one ``[[tst]]`` section; ``map`` runs the videos (:class:`pdstudy.types.Mapper`)."""
    return _analyse(values, "tst", map)
