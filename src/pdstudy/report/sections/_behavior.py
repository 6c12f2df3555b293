"""The report section of a forced swim or tail suspension result (shared by fst and tst)."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import pandas as pd

from pdstudy.assays.behavior.sections import AGREEMENT_FIELDS
from pdstudy.report.figures import new_figure
from pdstudy.report.format import format_value
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections import FigureSpec, SectionInfo, files_text

__all__ = ["build", "effects", "figures"]

_TEST = {"fst": "forced swim test", "tst": "tail suspension test"}


def _draw_groups(result: Any) -> Any:
    from pdstudy.assays.behavior import plot_groups

    fig, (ax,) = new_figure(5.2, 4.0)
    plot_groups(result, ax=ax)
    return fig


def _draw_ethogram(result: Any) -> Any:
    from pdstudy.assays.behavior import plot_ethogram

    n = int((result.animals["source"] == "video").sum())
    fig, (ax,) = new_figure(6.4, max(2.4, 0.25 * n + 1.2))
    plot_ethogram(result, ax=ax)
    return fig


def _draw_motion(result: Any, video: str, animal: str) -> Any:
    from pdstudy.assays.behavior import plot_motion

    fig, (ax,) = new_figure(6.4, 3.0)
    plot_motion(result, video, animal, ax=ax)
    return fig


def figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """Groups (every animal), the ethogram, and the motion trace of the first scored video."""
    out = [
        FigureSpec(
            f"{info.slug}_groups",
            "Immobility in the scoring window per group: every animal a point, bars mean ± SEM; "
            "* significant against the control.",
            partial(_draw_groups, result),
        )
    ]
    if not result.motion.empty:
        first = result.motion.iloc[0]
        out.append(
            FigureSpec(
                f"{info.slug}_ethogram",
                "Immobile bouts of each video-scored animal over the session, by group.",
                partial(_draw_ethogram, result),
            )
        )
        out.append(
            FigureSpec(
                f"{info.slug}_motion",
                f"Motion signal of {first['animal']} ({first['video']}) with the threshold and its "
                "immobile bouts shaded"
                + (
                    ", and (dashed) the threshold of vigorous mobility"
                    if result.settings.get("high_threshold") is not None
                    else ""
                )
                + "; the scoring window lightly tinted.",
                partial(_draw_motion, result, first["video"], first["animal"]),
            )
        )
    return out


def _agreement(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The calibration's agreement rows (immobility, and vigorous time when fitted)."""
    rows = []
    for prefix, what in (("calibration", "immobility"), ("vigorous", "vigorous time")):
        if settings.get(f"{prefix}_n") is not None:
            rows.append(
                {"measure": what, **{f: settings[f"{prefix}_{f}"] for f in AGREEMENT_FIELDS}}
            )
    return rows


def _facts(result: Any) -> list[tuple[str, str]]:
    facts = []
    for r in result.groups.itertuples(index=False):
        facts.append(
            (
                f"{r.group} (n = {r.n})",
                f"{format_value('immobility_s', r.mean)} ± {format_value('sem', r.sem)} s immobile",
            )
        )
    for r in result.contrasts.itertuples(index=False):
        facts.append(
            (
                f"{r.group} vs {r.control}",
                f"{format_value('difference', r.difference)} s ({r.test}, p = "
                f"{format_value('p_value', r.p_value)}); Hedges g "
                f"{format_value('hedges_g', r.hedges_g)} (95 % CI "
                f"{format_value('g', r.g_ci_low)} to {format_value('g', r.g_ci_high)})",
            )
        )
    return facts


def build(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    """Facts per group and contrast, per-animal, statistics and assumption tables, methods."""
    s = result.settings
    failed = result.animals[result.animals["status"] != "ok"]
    qc = (
        Table("Videos not scored", failed[["video", "animal", "reason"]].reset_index(drop=True))
        if len(failed)
        else None
    )
    v = info.values
    sources = files_text(
        list(v.get("videos") or []) + list(v.get("event_logs") or []), info.study_dir
    )
    cal = (
        "calibrated against human scores" if s.get("calibrated") else "not calibrated (the default)"
    )
    agreement = _agreement(s)
    if agreement:
        ag = agreement[0]
        r = ag["pearson_r"]
        r_text = f"{r:.3f}" if isinstance(r, int | float) and math.isfinite(r) else "n/a"
        cal += (
            f" (on {ag['n']} animals: Pearson r {r_text}, bias "
            f"{ag['bias_s']:+.1f} s, 95 % limits of agreement {ag['loa_low_s']:+.1f} to "
            f"{ag['loa_high_s']:+.1f} s)"
        )
    if s.get("high_threshold") is not None:
        cal += (
            f"; mobility above {100 * s['high_threshold']:.3g} % was vigorous (climbing or "
            "struggling)"
        )
    on_video = result.animals["source"] == "video"
    n_video, n_manual = int(on_video.sum()), int((~on_video).sum())
    video_text = (
        "frame differencing inside each animal's region, relative to the animal's silhouette, "
        f"as the fraction of pixels changing above a noise cutoff; immobile where that fraction "
        f"stayed below {100 * s['threshold']:.3g} % for at least {s['min_bout_s']:g} s, a "
        f"threshold {cal}"
    )
    manual_text = (
        "the immobility a human observer scored in the window, from bouts or time sampling"
    )
    if n_video and n_manual:
        how = (
            f"{n_video} animal(s) from video and the other {n_manual} from manual scores, each "
            f"animal once. From video: {video_text}. Manual scores: {manual_text}"
        )
    else:
        how = video_text if n_video else manual_text
    methods = (
        f"Immobility in the {_TEST[result.test]} ({info.name}; {sources}) was scored from "
        f"{s['window_start_s']:g} to {s['window_end_s']:g} s after the animal was placed: "
        f"{how}. Groups were compared with {result.contrasts['control'].iloc[0] if len(result.contrasts) else 'the control'} "
        f"by {result.omnibus['test'].iloc[0]} and {result.contrasts['test'].iloc[0] if len(result.contrasts) else 'no contrast'} "
        f"({result.reason}); effect sizes are Hedges' g with 95 % CIs."
    )
    return Section(
        anchor=info.slug,
        title=info.title(f"{_TEST[result.test][0].upper()}{_TEST[result.test][1:]}"),
        kind=info.kind,
        key=info.key,
        status="flagged" if qc is not None else "ok",
        intro=(
            f"Per-animal immobility of the {_TEST[result.test]} and its comparison between dose "
            "groups and the control.",
        ),
        facts=tuple(_facts(result)),
        figures=figures,
        tables=(
            Table(
                "Immobility per animal (per-minute immobility in the CSV)",
                result.animals.drop(
                    columns=[
                        c
                        for c in result.animals.columns
                        if c == "reason" or (c.startswith("min") and c.endswith("_immobility_s"))
                    ]
                ),
            ),
            Table("Groups", result.groups),
            Table("Comparisons with the control", result.contrasts),
            Table("Omnibus test", result.omnibus),
            Table("Assumption checks", result.assumptions),
            Table("Dose-response trend", result.trend),
            *(
                [Table("Calibration agreement with human scores", pd.DataFrame(agreement))]
                if agreement
                else []
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


def effects(result: Any, info: SectionInfo) -> tuple[tuple[str, str], ...]:
    """The headline's line: immobility change of each group against the control."""
    out = []
    for r in result.contrasts.itertuples(index=False):
        out.append(
            (
                f"{result.test.upper()} immobility ({r.group} vs {r.control})",
                f"{format_value('difference', r.difference)} s, p = {format_value('p_value', r.p_value)}",
            )
        )
    return tuple(out)
