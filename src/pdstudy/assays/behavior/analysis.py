"""Forced swim and tail suspension: per-animal immobility in the test's window, group statistics.

The domain rules: the scoring window of each test (FST: 120-360 s after the
animal is placed, the last 4 of 6 minutes; TST: 0-360 s), the session start
in each video, the animals' groups, and the comparison of every dose group
with vehicle. The numerics are the engines' (:mod:`pdstudy.video`,
:mod:`pdstudy.stats`).

:func:`score_videos` scores video files (a video that cannot be scored is a
row with ``status`` ``"failed"`` and its reason; the others are scored);
:func:`score_event_logs` gives the same rows from manual scores;
:func:`analyze_behavior` joins the groups and runs the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.assays.contract import ResultBase, headline_frame
from pdstudy.assays.exclusions import Exclusion, apply_exclusions, exclusion_table
from pdstudy.errors import InputFileError, PdStudyError, UsageError
from pdstudy.io.event_logs import EventLog, read_event_log
from pdstudy.stats.groups import compare_to_control
from pdstudy.video.immobility import Scores, scores_from_bouts
from pdstudy.video.rois import Roi
from pdstudy.video.score import ScoringParams, TracedVideo, score_trace, trace_video

__all__ = [
    "ANIMAL_COLUMNS",
    "BehaviorResult",
    "WINDOWS",
    "analyze_behavior",
    "human_immobility",
    "score_event_logs",
    "score_videos",
]

#: default scoring windows (s after the animal is placed), per test
WINDOWS = {"fst": (120.0, 360.0), "tst": (0.0, 360.0)}
TEST_NAMES = {"fst": "forced swim test", "tst": "tail suspension test"}

ANIMAL_COLUMNS = (
    "video",
    "animal",
    "test",
    "window_start_s",
    "window_end_s",
    "immobility_s",
    "latency_s",
    "bouts",
    "active_s",
    "vigorous_s",
    "source",
    "status",
    "reason",
)


def _row(video: str, animal: str, test: str, s: Scores, source: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "video": video,
        "animal": animal,
        "test": test,
        "window_start_s": s.window_start_s,
        "window_end_s": s.window_end_s,
        "immobility_s": s.immobility_s,
        "latency_s": s.latency_s,
        "bouts": s.bouts,
        "active_s": s.active_s,
        "vigorous_s": s.vigorous_s,
        "source": source,
        "status": "ok",
        "reason": "",
    }
    for k, v in enumerate(s.per_minute_s):
        row[f"min{k + 1}_immobility_s"] = v
    return row


def _failed(video: str, animal: str, test: str, window: tuple[float, float], reason: str) -> dict:
    return {
        "video": video,
        "animal": animal,
        "test": test,
        "window_start_s": window[0],
        "window_end_s": window[1],
        "immobility_s": np.nan,
        "latency_s": np.nan,
        "bouts": 0,
        "active_s": np.nan,
        "vigorous_s": np.nan,
        "source": "video",
        "status": "failed",
        "reason": reason,
    }


def score_videos(
    videos: Sequence[str | PathLike[str]],
    test: str,
    params: ScoringParams,
    *,
    rois: Mapping[str, Sequence[Roi]] | Sequence[Roi] | None = None,
    window: tuple[float, float] | None = None,
    session_start_s: Mapping[str, float] | None = None,
    scale: int | None = None,
    compensate: bool = True,
    traces: dict[str, TracedVideo] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each video: (per-animal rows, per-frame motion and state rows).

    ``rois`` is one list for every video, or video file name -> list; without,
    the whole frame is one animal named after the video's stem. ``traces``, when
    given, is filled with each video's trace.
    """
    window = window or WINDOWS[test]
    rows, motion = [], []
    for v in videos:
        path = Path(v)
        name = path.name
        regions = rois.get(name) if isinstance(rois, Mapping) else rois
        start = (session_start_s or {}).get(name, 0.0)
        try:
            tv = trace_video(path, regions, scale=scale, compensate=compensate)
            scores, states, cutoff = score_trace(tv.trace, params, window, session_start_s=start)
        except (PdStudyError, ValueError) as exc:
            animals = [r.animal for r in regions] if regions else [path.stem]
            where = "" if getattr(exc, "path", None) else f"{path}: "
            for a in animals:
                rows.append(_failed(name, a, test, window, f"{where}{exc}"))
            continue
        if traces is not None:
            traces[name] = tv
        m = tv.trace.motion(cutoff)
        for i, a in enumerate(tv.trace.animals):
            animal = path.stem if not regions else a
            row = _row(name, animal, test, scores[a], "video")
            if tv.problems:
                row["reason"] = "; ".join(f"{w}: {msg}" for w, msg in tv.problems[:3])
            rows.append(row)
            motion.append(
                pd.DataFrame(
                    {
                        "video": name,
                        "animal": animal,
                        "time_s": tv.trace.times_s - start,
                        "motion": m[:, i],
                        "state": states[:, i],
                        "cutoff": cutoff,
                    }
                )
            )
    frames = (
        pd.concat(motion, ignore_index=True)
        if motion
        else pd.DataFrame(columns=["video", "animal", "time_s", "motion", "state", "cutoff"])
    )
    return pd.DataFrame(rows), frames


def score_event_logs(
    logs: Sequence[str | PathLike[str]],
    test: str,
    *,
    window: tuple[float, float] | None = None,
    min_bout_s: float = 0.0,
) -> pd.DataFrame:
    """Per-animal rows from manual scores (bout logs: full scores; time sampling: totals)."""
    window = window or WINDOWS[test]
    rows = []
    for p in logs:
        log = read_event_log(p)
        t = log.table
        if log.kind == "bouts":
            for (video, animal), b in t.groupby(["video", "animal"], sort=False):
                s = scores_from_bouts(b, *window, min_bout_s=min_bout_s)
                rows.append(_row(str(video) or Path(p).name, str(animal), test, s, log.format))
        else:
            for (video, animal), b in t.groupby(["video", "animal"], sort=False):
                dur = b.set_index("behavior")["duration_s"]
                rows.append(
                    {
                        "video": str(video) or Path(p).name,
                        "animal": str(animal),
                        "test": test,
                        "window_start_s": window[0],
                        "window_end_s": window[1],
                        "immobility_s": float(dur.get("immobile", np.nan)),
                        "latency_s": np.nan,
                        "bouts": 0,
                        "active_s": float(dur.get("active", np.nan)),
                        "vigorous_s": float(dur.get("vigorous", np.nan)),
                        "source": log.format,
                        "status": "ok",
                        "reason": "",
                    }
                )
    return pd.DataFrame(rows)


def human_immobility(
    log: EventLog,
    videos: Sequence[str | PathLike[str]],
    window: tuple[float, float],
    state: str = "immobile",
) -> dict[str, dict[str, float]]:
    """Human immobility (s) in ``window`` per video file name and animal, for calibration
    (``state="vigorous"``: the vigorous time, climbing or struggling, instead).

    ``log`` holds totals (``video``, ``[animal]``, ``immobility_s``; a time-sampling
    sheet's immobility counts) or bouts (a BORIS export, whose video is the media file
    or the observation id, or a CSV of bouts with a ``video`` column); bouts are scored
    in the window as :func:`pdstudy.video.immobility.scores_from_bouts` scores them. A
    video is matched by its file name or its stem. An animal left empty (one per video)
    is ``""``. Raises :class:`InputFileError` naming the file and the row (totals) or the
    observation (bouts) of a score whose video is not among ``videos``.
    """
    if state not in ("immobile", "vigorous"):
        raise UsageError(f"state {state!r}: use immobile or vigorous")
    names: dict[str, str] = {}
    for v in videos:
        names[Path(v).name] = Path(v).name
        names.setdefault(Path(v).stem, Path(v).name)
    t = log.table
    out: dict[str, dict[str, float]] = {}
    if log.kind == "bouts":
        for (video, animal), b in t.groupby(["video", "animal"], sort=False):
            key = str(video) or ""
            if key not in names:
                raise InputFileError(
                    f"video {key!r} is not among the videos given "
                    f"({', '.join(sorted({Path(v).name for v in videos}))})",
                    log.path,
                    f"observation {key!r}" if key else "the bouts (no video column)",
                )
            s = scores_from_bouts(b, *window)
            seconds = s.vigorous_s if state == "vigorous" else s.immobility_s
            out.setdefault(names[key], {})[str(animal)] = seconds
        return out
    imm = t[t["behavior"] == state]
    for i, video, animal, seconds in zip(
        imm.index.tolist(),
        imm["video"].astype(str).tolist(),
        imm["animal"].astype(str).tolist(),
        imm["duration_s"].astype(float).tolist(),
        strict=True,
    ):
        if video not in names:
            where = f"row {int(i) + 2}" if log.format == "human_totals" else f"animal {animal!r}"
            raise InputFileError(f"video {video!r} is not among the videos given", log.path, where)
        out.setdefault(names[video], {})[animal] = seconds
    return out


def read_groups(path: str | PathLike[str]) -> pd.DataFrame:
    """The animals file: ``animal``, ``group`` and optionally ``video``, ``dose``,
    ``session_start_s``. Names the row of a missing value."""
    p = Path(path)
    try:
        df = pd.read_csv(p)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read the animals file: {exc}", p) from exc
    df.columns = [c.strip().lower() for c in df.columns]
    for col in ("animal", "group"):
        if col not in df.columns:
            raise InputFileError(f"no column {col!r} (animal, group; optional video, dose)", p)
        bad = df[col].isna()
        if bad.any():
            raise InputFileError(f"{col} is empty", p, f"row {int(np.flatnonzero(bad)[0]) + 2}")
    df["animal"] = df["animal"].astype(str)
    df["group"] = df["group"].astype(str)
    if "video" in df.columns:
        df["video"] = df["video"].fillna("").astype(str)
    return df


@dataclass(frozen=True)
class BehaviorResult(ResultBase):
    """Per-animal immobility of one FST or TST section, with the group statistics."""

    test: str
    animals: pd.DataFrame
    groups: pd.DataFrame
    contrasts: pd.DataFrame
    assumptions: pd.DataFrame
    omnibus: pd.DataFrame
    trend: pd.DataFrame
    motion: pd.DataFrame
    settings: dict[str, Any]
    method: str
    reason: str
    exclusions: pd.DataFrame | None = field(default=None, kw_only=True)
    kind: ClassVar[str] = "behavior"

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "animals": self.animals,
            "groups": self.groups,
            "contrasts": self.contrasts,
            "assumptions": self.assumptions,
            "omnibus": self.omnibus,
            "trend": self.trend,
            "motion": self.motion,
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.settings)

    def summary(self) -> str:
        ok = self.animals[self.animals["status"] == "ok"]
        lines = [
            f"{TEST_NAMES[self.test]}: {len(ok)} animal(s) scored, "
            f"{int((self.animals['status'] != 'ok').sum())} failed; "
            f"window {self.settings['window_start_s']:g}-{self.settings['window_end_s']:g} s"
        ]
        for r in self.groups.itertuples(index=False):
            lines.append(f"{r.group}: immobility {r.mean:.1f} ± {r.sem:.1f} s (n = {r.n})")
        for r in self.contrasts.itertuples(index=False):
            lines.append(
                f"{r.group} vs {r.control} ({r.test}): {r.difference:+.1f} s, p = {r.p_value:.3g}, "
                f"Hedges g {r.hedges_g:.2f}"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "method": self.method,
            "reason": self.reason,
            "settings": self.settings,
            "contrasts": self.contrasts.to_dict("records"),
        }

    def headline_rows(self) -> pd.DataFrame:
        n_of = {str(g): int(n) for g, n in zip(self.groups["group"], self.groups["n"], strict=True)}
        rows = [
            {
                "role": "effect",
                "label": f"{self.test.upper()} immobility, {r.group} vs {r.control}",
                "n": n_of[str(r.group)],
                "status": "significant" if r.significant else "n.s.",
            }
            for r in self.contrasts.itertuples(index=False)
        ]
        return headline_frame(rows)


def _region_animals(
    scores: pd.DataFrame, motion: pd.DataFrame | None, groups: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Scores and motion of regions renamed to their animals: an animals file with
    ``video`` and ``roi`` columns says which animal was in which region of which video
    (several sessions filmed with the same regions, e.g. four TST boxes side by side)."""
    if not {"video", "roi"} <= set(groups.columns):
        return scores, motion
    roi = groups["roi"].fillna("").astype(str)
    filmed = (groups["video"] != "") & (roi != "")
    names = {
        (v, r): a
        for v, r, a in zip(
            groups.loc[filmed, "video"], roi[filmed], groups.loc[filmed, "animal"], strict=True
        )
    }
    if not names:
        return scores, motion

    def rename(df: pd.DataFrame) -> pd.DataFrame:
        if df.empty or not {"video", "animal"} <= set(df.columns):
            return df
        new = [
            names.get((str(v), str(a)), a)
            for v, a in zip(df["video"].tolist(), df["animal"].tolist(), strict=True)
        ]
        return df.assign(animal=new)

    return rename(scores), None if motion is None else rename(motion)


def _join_groups(scores: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Each score with its animal's group (and dose): by video and animal where the
    animals file has that pair, else by the animal's name (an animal scored by hand, or
    in another test than the one filmed; a name the file gives once). Raises :class:`UsageError` for a score without a
    group and for an animal scored twice (say, from a video and from an event log)."""
    cols = ["group"] + (["dose"] if "dose" in groups.columns else [])
    if "animal" not in scores.columns:  # nothing scored
        return scores.assign(**{c: pd.Series(dtype=object) for c in cols})
    videos = groups["video"].astype(str) if "video" in groups.columns else None
    has_video = videos != "" if videos is not None else pd.Series(False, index=groups.index)
    animals = groups["animal"].astype(str)
    by_video = (
        {
            (v, a): i
            for i, v, a in zip(
                groups.index[has_video], videos[has_video], animals[has_video], strict=True
            )
        }
        if videos is not None
        else {}
    )
    once = animals.map(animals.value_counts()) == 1  # a name of several (video, region) rows
    by_name = {a: i for i, a in zip(groups.index[once], animals[once], strict=True)}
    rows: list[Any] = []
    seen: dict[Any, str] = {}
    for video, animal in zip(
        scores["video"].astype(str).tolist() if "video" in scores.columns else [""] * len(scores),
        scores["animal"].astype(str).tolist(),
        strict=True,
    ):
        i = by_video.get((video, animal), by_name.get(animal))
        if i is None:
            raise UsageError(
                f"animal {animal!r} of video {video!r} has no group in the animals file"
            )
        if i in seen:
            raise UsageError(
                f"animal {animal!r} is scored twice ({seen[i]!r} and {video!r}): give each "
                "animal's scores once (its video or its event log)"
            )
        seen[i] = video
        rows.append(i)
    joined = groups.loc[rows, cols].reset_index(drop=True)
    return pd.concat([scores.reset_index(drop=True), joined], axis=1)


def analyze_behavior(
    scores: pd.DataFrame,
    groups: pd.DataFrame,
    test: str,
    *,
    control: str = "vehicle",
    method: str = "auto",
    alpha: float = 0.05,
    motion: pd.DataFrame | None = None,
    settings: Mapping[str, Any] | None = None,
    exclusions: Sequence[Exclusion] = (),
) -> BehaviorResult:
    """Join the per-animal scores with their groups and compare every group with ``control``.

    ``exclusions`` (:mod:`pdstudy.assays.exclusions`) name animals: they stay in
    ``animals`` with ``excluded``, ``exclude_reason`` and ``excluded_by`` and are left
    out of the group statistics.
    """
    if test not in WINDOWS:
        raise UsageError(f"test must be fst or tst, got {test!r}")
    scores, motion = _region_animals(scores, motion, groups)
    merged = _join_groups(scores, groups)
    merged = apply_exclusions(merged, exclusions, prior_by="declared")
    ok = merged[(merged["status"] == "ok") & ~merged[C.EXCLUDED].astype(bool)]
    doses = None
    if "dose" in merged.columns and ok["dose"].notna().all():
        first_dose = ok.groupby("group")["dose"].first().astype(float)
        doses = {str(k): float(v) for k, v in first_dose.items()}
    comp = compare_to_control(
        ok,
        dv="immobility_s",
        group="group",
        control=control,
        doses=doses,
        method=method,
        alpha=alpha,
    )
    first = [c for c in ("video", "animal", "group") if c in merged.columns]
    merged = merged[first + [c for c in merged.columns if c not in first]]
    return BehaviorResult(
        test=test,
        animals=merged,
        groups=comp.descriptives,
        contrasts=comp.contrasts,
        assumptions=comp.assumptions,
        omnibus=comp.omnibus,
        trend=comp.trend,
        motion=motion if motion is not None else pd.DataFrame(),
        settings={
            **(settings or {}),
            "control": control,
            "method": comp.method,
            "method_reason": comp.reason,
            "alpha": alpha,
            "exclusion_rules": (
                [f"{len(exclusions)} declared exclusion(s), each with its reason"]
                if exclusions
                else []
            ),
        },
        method=comp.method,
        reason=comp.reason,
        exclusions=exclusion_table(exclusions, merged),
    )
