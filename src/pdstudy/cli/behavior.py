"""``pdstudy behavior``: forced swim and tail suspension tests.

- ``score``: videos -> ``scores.csv`` and per-frame motion (``motion/``), several
  videos in parallel processes;
- ``calibrate``: fit the threshold and minimum bout on human-scored videos;
- ``stats``: group statistics of a scores file;
- ``roi``: a reference frame with a pixel grid, to choose regions;
- ``simulate``: a synthetic video with its truth, bout log and human totals;
- ``fst`` / ``tst``: a one-section study (the same tables and names as a
  ``[[fst]]`` / ``[[tst]]`` section of ``pdstudy run``).

Exit codes: 0 success, 1 an analysis failed, 2 a usage error.
"""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress

from pdstudy.cli._shared import (
    EXCLUDE_HELP,
    UsageError,
    check_files,
    errors,
    exclude_values,
    run_one,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()

TESTS = ("fst", "tst")
WINDOWS = {"fst": (120.0, 360.0), "tst": (0.0, 360.0)}
SCALE_HELP = (
    "Decode at 1/scale of the width and height (default: the power of two that brings the "
    "analysed frame nearest 160 px high: 2 for 320 x 240, 4 for 640 x 480)."
)


def _test(test: str) -> str:
    if test not in TESTS:
        raise UsageError(f"{test!r}: use fst or tst", where="option --test")
    return test


def _params(
    threshold: float | None,
    min_bout: float,
    cutoff: int | None,
    calibration: Path | None,
    high_threshold: float | None = None,
):
    from pdstudy.video.score import ScoringParams

    if calibration is not None:
        return ScoringParams.from_json(calibration)
    default = ScoringParams()
    return ScoringParams(
        threshold=default.threshold if threshold is None else threshold,
        high_threshold=high_threshold,
        min_bout_s=min_bout,
        cutoff=cutoff,
    )


HIGH_HELP = (
    "Motion above which mobility is vigorous (fraction; FST climbing, TST struggling); "
    "without it, two states only."
)


def _motion_figure(
    name: str,
    times_s: Any,
    animals: Any,
    motion: Any,
    states: Any,
    threshold: float,
    high_threshold: float | None,
    window: Any,
    path: Path,
) -> None:
    """Motion trace of each animal with the threshold(s) and its immobile frames shaded."""
    from matplotlib.figure import Figure  # no pyplot: nothing to import or close

    n = len(animals)
    fig = Figure(figsize=(8, 1.8 * n + 0.6))
    axes = fig.subplots(n, 1, squeeze=False, sharex=True)
    for i, ax in enumerate(axes[:, 0]):
        ax.plot(times_s, 100 * motion[:, i], lw=0.4, color="0.2")
        # the immobile frames as one shaded collection (a span per frame, drawn at once)
        ax.fill_between(times_s, 0, 1, where=states[:, i] == 0, step="post", color="C1",
                        alpha=0.35, lw=0, transform=ax.get_xaxis_transform(),
                        label="immobile")  # fmt: skip
        ax.axhline(100 * threshold, color="C3", lw=0.8, label="threshold")
        if high_threshold is not None:
            ax.axhline(100 * high_threshold, color="C4", lw=0.8, ls="--", label="vigorous above")
        ax.axvspan(*window, color="C0", alpha=0.06)
        ax.set_ylabel(f"{animals[i]}\n% changing", fontsize=8)
    axes[0, 0].legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(name, fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _import_in_background(*modules: str) -> threading.Thread:
    """Import modules in a thread (join it before use): their import overlaps other work."""
    import importlib

    def load() -> None:
        for m in modules:
            importlib.import_module(m)

    thread = threading.Thread(target=load, name="pdstudy-import", daemon=True)
    thread.start()
    return thread


FIGURE_MODULES = ("matplotlib.figure", "matplotlib.backends.backend_agg")


def _load_figure_modules() -> str:
    """Task of the figure process: import matplotlib before there is a figure to draw."""
    import importlib

    for m in FIGURE_MODULES:
        importlib.import_module(m)
    return ""


class _FigureProcess:
    """One forked process that draws the motion figures of videos scored in this process.

    It is started before the video modules are imported, so that matplotlib's import
    (a third of a second) runs on the other core while this process imports and starts
    decoding, and a figure is drawn while this process writes its tables. A figure that
    fails raises here, as if drawn here.
    """

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import Future, ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        self._futures: list[Future[str]] = [self._pool.submit(_load_figure_modules)]

    def draw(self, args: dict[str, Any]) -> None:
        self._futures.append(self._pool.submit(_draw_figure, args))

    def close(self) -> list[str]:
        """Wait for the figures; the reasons of those that could not be drawn."""
        try:
            return [msg for f in self._futures if (msg := f.result())]
        finally:
            self._pool.shutdown()


def _draw_figure(args: dict[str, Any]) -> str:
    """Draw one motion figure (:func:`_motion_figure`'s arguments); '' or why it could not
    be drawn (the scores stand)."""
    try:
        _motion_figure(**args)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, the scores kept
        return f"{args['path']}: {type(exc).__name__}: {exc}"
    return ""


def _score_one(
    job: tuple[str, Any, Any, tuple[float, float], int | None, bool, str, bool],
) -> dict[str, Any]:
    """Worker: trace and score one video; save its motion counts. Errors are returned.

    The motion figure is drawn here, unless the job's last field is False: its
    arguments are then returned (``figure``) for the caller to draw.
    """
    from pdstudy.errors import PdStudyError
    from pdstudy.video.score import score_trace, trace_video

    path, rois, params, window, scale, compensate, motion_dir, draw_here = job
    name = Path(path).name
    # matplotlib (for the motion figure) is imported while the video decodes
    figure_modules = _import_in_background(*FIGURE_MODULES) if draw_here else None
    try:
        tv = trace_video(path, rois, scale=scale, compensate=compensate)
        scores, states, cutoff = score_trace(tv.trace, params, window)
    except (PdStudyError, ValueError) as exc:
        where = "" if getattr(exc, "path", None) else f"{path}: "
        return {"video": name, "error": f"{where}{exc}"}
    figure = {
        "name": Path(tv.path).name,
        "times_s": tv.trace.times_s,
        "animals": tv.trace.animals,
        "motion": tv.trace.motion(cutoff),
        "states": states,
        "threshold": params.threshold,
        "high_threshold": params.high_threshold,
        "window": window,
        "path": Path(motion_dir).parent / "figures" / f"{Path(path).stem}_motion.png",
    }
    result: dict[str, Any] = {"video": name}
    if figure_modules is None:
        result["figure"] = figure
    tv.trace.write_csv(Path(motion_dir) / f"{Path(path).stem}.csv", cutoff, states)
    if figure_modules is not None:
        figure_modules.join()
        if problem := _draw_figure(figure):
            result["figure_error"] = problem
    rows = []
    for a, s in scores.items():
        row = {
            "video": name,
            "animal": a if rois else Path(path).stem,
            "window_start_s": s.window_start_s,
            "window_end_s": s.window_end_s,
            "immobility_s": s.immobility_s,
            "latency_s": s.latency_s,
            "bouts": s.bouts,
            "active_s": s.active_s,
            "vigorous_s": s.vigorous_s,
            "cutoff": cutoff,
            "problems": "; ".join(f"{w}: {m}" for w, m in tv.problems),
        }
        for k, v in enumerate(s.per_minute_s):
            row[f"min{k + 1}_immobility_s"] = v
        rows.append(row)
    result["rows"] = rows
    return result


def _write_scores(path: Path, rows: list[dict[str, Any]], test: str) -> None:
    """``scores.csv``: a row per animal, ``test`` the third column; a missing value
    (a latency with no bout) is an empty field, as pandas writes it (pandas is not
    imported: it would be most of the start-up of scoring one video)."""
    import csv

    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    if rows:
        columns.insert(2, "test")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            cells = {**row, "test": test}
            writer.writerow(
                "" if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for v in (cells.get(c) for c in columns)
            )


@app.command()
def score(
    videos: list[Path] = typer.Argument(..., help="Video files (mp4, avi, mov, wmv, mpg)."),
    test: str = typer.Option(..., "--test", help="fst (window 120-360 s) or tst (0-360 s)."),
    out: Path = typer.Option(..., "--out", help="Folder for scores.csv and motion/."),
    rois: Path | None = typer.Option(None, "--rois", help="Regions file (TOML [\\[roi]] or JSON)."),
    calibration: Path | None = typer.Option(
        None,
        "--calibration",
        help="Calibration JSON from `pdstudy behavior calibrate`: its threshold, minimum bout, "
        "high threshold and cutoff replace the options, and its decoding scale is used unless "
        "--scale is given.",
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Motion threshold (fraction)."
    ),
    high_threshold: float | None = typer.Option(None, "--high-threshold", help=HIGH_HELP),
    min_bout: float = typer.Option(1.0, "--min-bout", help="Shortest immobility bout (s)."),
    cutoff: int | None = typer.Option(None, "--cutoff", help="Noise cutoff (luma levels)."),
    scale: int | None = typer.Option(None, "--scale", min=1, max=8, help=SCALE_HELP),
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Videos scored in parallel."),
    window_start: float | None = typer.Option(
        None, "--window-start", help="Start of the scored window (s; default: the test's)."
    ),
    window_end: float | None = typer.Option(
        None, "--window-end", help="End of the scored window (s; default: the test's)."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        envvar="PDSTUDY_SCHEDULER",
        help="A dask.distributed scheduler (tcp://host:8786): score each video as a task on "
        "that cluster instead of --workers processes (needs pdstudy\\[cluster]; see "
        "docs/cluster.md).",
    ),
) -> None:
    """Score immobility in each video; a video that fails is reported and the others scored."""
    with errors():
        test = _test(test)
        check_files(list(videos), "VIDEO")
        # videos scored in this process: their figures are drawn in a forked process,
        # started now, before the video modules are imported (see _FigureProcess)
        here = not scheduler and (workers == 1 or len(videos) == 1)
        figures = _FigureProcess() if here else None
        results: list[dict[str, Any]] = []
        not_drawn: list[str] = []
        try:
            from pdstudy.video.rois import read_rois

            regions = read_rois(rois) if rois else None
            params = _params(threshold, min_bout, cutoff, calibration, high_threshold)
            if params.high_threshold is not None and params.high_threshold <= params.threshold:
                raise UsageError(
                    f"{params.high_threshold:g} is not above the threshold {params.threshold:g}",
                    where="option --high-threshold",
                )
            if scale is None:
                scale = params.scale  # a calibration's scale (None: chosen per video)
            elif params.scale is not None and scale != params.scale:
                console.print(
                    f"[yellow]warning:[/yellow] {calibration} was fitted at --scale "
                    f"{params.scale}; scoring at --scale {scale} may change the motion and so "
                    "the scores",
                    highlight=False,
                )
            motion_dir = out / "motion"
            motion_dir.mkdir(parents=True, exist_ok=True)
            lo, hi = WINDOWS[test]
            window = (
                lo if window_start is None else window_start,
                hi if window_end is None else window_end,
            )
            if window[1] <= window[0]:
                raise UsageError("must be after the window start", where="option --window-end")
            jobs = [
                (str(v), regions, params, window, scale, True, str(motion_dir), figures is None)
                for v in videos
            ]
            results = _run_jobs(jobs, workers, scheduler, figures)
        finally:
            if figures is not None:
                not_drawn = figures.close()
        rows = [row for r in results for row in r.get("rows", [])]
        _write_scores(out / "scores.csv", rows, test)
        for r in results:
            if "error" in r:
                console.print(f"[red]not scored:[/red] {r['error']}", highlight=False)
        for row in rows:
            console.print(
                f"{row['video']} {row['animal']}: {row['immobility_s']:.1f} s immobile "
                f"({row['window_start_s']:g}-{row['window_end_s']:g} s), {row['bouts']} bouts",
                highlight=False,
            )
        console.print(f"[green]scores written to[/green] {out / 'scores.csv'}", highlight=False)
        not_drawn += [r["figure_error"] for r in results if "figure_error" in r]
        for msg in not_drawn:
            console.print(f"[red]figure not drawn:[/red] {msg}", highlight=False)
        if not_drawn or any("error" in r for r in results):
            raise typer.Exit(1)


def _run_jobs(
    jobs: list[tuple[Any, ...]],
    workers: int,
    scheduler: str | None,
    figures: _FigureProcess | None,
) -> list[dict[str, Any]]:
    """:func:`_score_one` of every job, with a progress bar: on a cluster, in worker
    processes, or here (``figures`` given: each figure handed to the figure process)."""
    results = []
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("scoring", total=len(jobs))
        if scheduler:
            from pdstudy.study.cluster import cluster_map

            # absolute paths (a worker's working folder is not ours); Path: SHA-checked
            jobs = [(Path(v).resolve(), *j[:5], str(Path(j[5]).resolve()), True) for v, *j in jobs]
            with cluster_map(
                scheduler, on_task=lambda done, _: bar.update(task, completed=done)
            ) as (mapper, _):
                results = mapper(_score_one, jobs)
        elif figures is None:
            with ProcessPoolExecutor(min(workers, len(jobs))) as ex:
                for r in ex.map(_score_one, jobs):
                    results.append(r)
                    bar.advance(task)
        else:
            for j in jobs:
                r = _score_one(j)
                if "figure" in r:
                    figures.draw(r.pop("figure"))
                results.append(r)
                bar.advance(task)
    return results


@app.command()
def calibrate(
    videos: list[Path] = typer.Argument(..., help="Human-scored videos."),
    human: Path = typer.Option(
        ..., "--human", help="CSV: video, \\[animal], immobility_s; or a BORIS export / bout log."
    ),
    test: str = typer.Option(..., "--test", help="fst or tst (the scoring window)."),
    out: Path = typer.Option(..., "--out", help="Calibration JSON to write."),
    rois: Path | None = typer.Option(None, "--rois", help="Regions file."),
    scale: int | None = typer.Option(None, "--scale", min=1, max=8, help=SCALE_HELP),
    high_threshold: float | None = typer.Option(
        None,
        "--high-threshold",
        help="Motion above which mobility is vigorous (fraction), kept as given (default: "
        "fitted to the human climbing/struggling times when the scores hold them, else none).",
    ),
    window_start: float | None = typer.Option(
        None, "--window-start", help="Start of the scored window (s; default: the test's)."
    ),
    window_end: float | None = typer.Option(
        None, "--window-end", help="End of the scored window (s; default: the test's)."
    ),
) -> None:
    """Fit the threshold and minimum bout that best match human scores; print the agreement.

    When the human scores also time vigorous mobility (climbing in a time-sampling
    sheet, vigorous or climbing bouts in a bout log), the high threshold of the three
    states is fitted to them too. The calibration records the decoding scale it was
    fitted at; scoring with it decodes at that scale.
    """
    from pdstudy.assays.behavior.analysis import human_immobility
    from pdstudy.io.event_logs import read_event_log
    from pdstudy.video.rois import read_rois
    from pdstudy.video.score import ScoringParams, fit_threshold, trace_video, with_high_threshold

    with errors():
        test = _test(test)
        check_files([*videos, human], "VIDEO")
        log = read_event_log(human)
        lo, hi = WINDOWS[test]
        window = (
            lo if window_start is None else window_start,
            hi if window_end is None else window_end,
        )
        human_s = human_immobility(log, videos, window)
        vigorous_s = human_immobility(log, videos, window, state="vigorous")
        regions = read_rois(rois) if rois else None
        traces, hum, vig = [], [], []
        for v in videos:
            if v.name not in human_s:
                continue
            tv = trace_video(v, regions, scale=scale)
            traces.append(tv.trace)
            scored, vigorous = human_s[v.name], vigorous_s.get(v.name, {})
            if not regions and len(scored) == 1:  # one animal per video: any name
                name = tv.trace.animals[0]
                scored = {name: next(iter(scored.values()))}
                vigorous = {name: next(iter(vigorous.values()))} if vigorous else {}
            hum.append(scored)
            vig.append({a: s for a, s in vigorous.items() if math.isfinite(s)})
        cal = fit_threshold(traces, hum, window, base=ScoringParams(high_threshold=high_threshold))
        if high_threshold is None and any(s > 0 for v in vig for s in v.values()):
            cal = with_high_threshold(cal, traces, vig)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(cal.to_json(), indent=2), encoding="utf-8")
        p = cal.params
        console.print(
            f"threshold {p.threshold:.4g}, minimum bout {p.min_bout_s:g} s"
            + ("" if p.high_threshold is None else f", high threshold {p.high_threshold:.4g}")
            + ("" if p.scale is None else f" (decoded at scale {p.scale})"),
            highlight=False,
        )
        for what, ag in (("immobility", cal.agreement), ("vigorous", cal.vigorous)):
            if ag is None:
                continue
            console.print(
                f"{what}: n = {ag.n}, Pearson r = {ag.pearson_r:.3f}, bias {ag.bias_s:+.1f} s "
                f"(95 % limits {ag.loa_low_s:+.1f} to {ag.loa_high_s:+.1f} s)",
                highlight=False,
            )
            for w in ag.warnings:
                console.print(f"[yellow]warning ({what}):[/yellow] {w}", highlight=False)
        console.print(f"[green]calibration written to[/green] {out}", highlight=False)


@app.command()
def stats(
    scores: Path = typer.Argument(..., help="scores.csv of `pdstudy behavior score`."),
    groups: Path = typer.Option(..., "--groups", help="CSV: animal, group (video, dose)."),
    out: Path = typer.Option(..., "--out", help="Folder for the statistics tables."),
    control: str = typer.Option("vehicle", "--control", help="The control group."),
    method: str = typer.Option("auto", "--method", help="auto, anova, welch or kruskal."),
) -> None:
    """Compare every group's immobility with the control group."""
    import pandas as pd

    from pdstudy.assays.behavior.analysis import analyze_behavior, read_groups

    with errors():
        check_files([scores, groups], "SCORES")
        table = pd.read_csv(scores)
        if "status" not in table.columns:
            table["status"] = "ok"
        test = str(table["test"].iloc[0]) if "test" in table.columns and len(table) else "fst"
        res = analyze_behavior(table, read_groups(groups), test, control=control, method=method)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("groups", "contrasts", "assumptions", "omnibus", "trend"):
            res.tables[name].to_csv(out / f"{name}.csv", index=False)
        for line in res.summary().splitlines():
            console.print(line, highlight=False)


@app.command()
def roi(
    video: Path = typer.Argument(..., help="A video."),
    out: Path = typer.Option(None, "--out", help="PNG to write (default: VIDEO.roi.png)."),
    frame: int = typer.Option(0, "--frame", min=0, help="Frame to show."),
    grid: int = typer.Option(50, "--grid", min=5, help="Grid spacing in pixels."),
) -> None:
    """Write a reference frame with a labelled pixel grid, to read ROI coordinates off."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pdstudy.io.videos import read_video

    with errors():
        check_files([video], "VIDEO")
        v = read_video(video, scale=1, threads=False)
        img = None
        for f in v.frames():
            img = f.luma
            if f.index >= frame:
                break
        if img is None:
            raise UsageError("the video has no frame", where=str(video))
        h, w = img.shape
        fig, ax = plt.subplots(figsize=(w / 100 + 1, h / 100 + 1), dpi=100)
        ax.imshow(img, cmap="gray", vmin=0, vmax=255)
        ax.set_xticks(range(0, w + 1, grid))
        ax.set_yticks(range(0, h + 1, grid))
        ax.tick_params(labelsize=6)
        ax.grid(color="yellow", lw=0.4, alpha=0.7)
        ax.set_title(f"{video.name}: frame {frame}, {w} x {h} px (x right, y down)", fontsize=8)
        target = out or video.with_suffix(".roi.png")
        fig.savefig(target, bbox_inches="tight")
        plt.close(fig)
        console.print(f"[green]reference frame written to[/green] {target}", highlight=False)


@app.command()
def simulate(
    test: str = typer.Option(..., "--test", help="fst or tst."),
    out: Path = typer.Option(..., "--out", help="Folder for the video and its truth."),
    animals: int = typer.Option(1, "--animals", min=1, max=4, help="Animals side by side."),
    duration: float = typer.Option(360.0, "--duration", help="Session length (s)."),
    immobile_fraction: float = typer.Option(
        0.6, "--immobile-fraction", help="Despair level: the fraction of time immobile (0-1)."
    ),
    width: int = typer.Option(320, "--width", min=64, max=3840, help="Frame width (px)."),
    height: int = typer.Option(240, "--height", min=48, max=2160, help="Frame height (px)."),
    fps: float = typer.Option(30.0, "--fps", min=1.0, max=240.0, help="Frame rate (frames/s)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated behaviour and noise."),
) -> None:
    """Write a synthetic video, its per-frame truth, bout log, human totals and ROIs."""
    from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video

    with errors():
        test = _test(test)
        if not 0 <= immobile_fraction < 1:
            raise UsageError("must be in [0, 1)", where="option --immobile-fraction")
        if not (math.isfinite(duration) and duration > 0):
            raise UsageError("must be > 0", where="option --duration")
        out.mkdir(parents=True, exist_ok=True)
        sim = simulate_behavior_video(
            out / f"{test}_sim.mp4",
            test=test,
            duration_s=duration,
            fps=fps,
            width=width,
            height=height,
            animals=animals,
            seed=seed,
            models=BehaviorModel(immobile_fraction=immobile_fraction),
        )
        sim.truth.to_csv(out / "truth.csv", index=False)
        sim.bouts.to_csv(out / "bouts.csv", index=False)
        lo, hi = WINDOWS[test]
        hi = min(hi, duration)
        lo = min(lo, hi / 3) if lo >= hi else lo
        totals = sim.immobility_s(lo, hi)
        with (out / "human.csv").open("w", encoding="utf-8") as fh:
            fh.write("video,animal,immobility_s\n")
            for a, s in totals.items():
                fh.write(f"{sim.path.name},{a},{s:.3f}\n")
        lines = [
            f'[[roi]]\nanimal = "{r.animal}"\npolygon = {[list(p) for p in r.vertices]}\n'
            for r in sim.rois
        ]
        (out / "rois.toml").write_text("\n".join(lines), encoding="utf-8")
        console.print(f"[green]simulated[/green] {sim.path}: {totals}", highlight=False)


@app.command()
def allocate(
    animals: Path = typer.Argument(..., help="CSV with an animal column (and a block column)."),
    groups: str = typer.Option(..., "--groups", help="Comma-separated groups, control first."),
    out: Path = typer.Option(..., "--out", help="Folder for the allocation and the key."),
    block: str | None = typer.Option(None, "--block", help="Column to balance within (cohort)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the randomisation."),
    pretreatment: float = typer.Option(30.0, "--pretreatment", help="Dose to test (min)."),
    session: float = typer.Option(360.0, "--session", help="Session length (s)."),
    changeover: float = typer.Option(120.0, "--changeover", help="Between sessions (s)."),
    apparatus: int = typer.Option(1, "--apparatus", min=1, help="Animals tested at once."),
    videos: Path | None = typer.Option(
        None, "--videos", help="CSV: animal, video (to write the blinded file names)."
    ),
) -> None:
    """Block-randomise animals to groups; write the blinded schedule and, apart, the key."""
    import pandas as pd

    from pdstudy.assays.behavior.design import allocate_groups, blind_videos, schedule_test_day

    with errors():
        check_files([animals] + ([videos] if videos else []), "ANIMALS")
        names = [g.strip() for g in groups.split(",") if g.strip()]
        table = pd.read_csv(animals)
        alloc = allocate_groups(table, names, block=block, seed=seed)
        sched = schedule_test_day(
            alloc,
            pretreatment_s=pretreatment * 60,
            session_s=session,
            changeover_s=changeover,
            apparatus=apparatus,
        )
        out.mkdir(parents=True, exist_ok=True)
        sched.to_csv(out / "schedule_blinded.csv", index=False)
        key = alloc[["code", "animal", "group", "block"]].sort_values("code")
        key.to_csv(out / "unblinding_key.csv", index=False)
        if videos is not None:
            v = pd.read_csv(videos)
            renamed, _ = blind_videos(
                alloc, dict(zip(v["animal"].astype(str), v["video"], strict=True))
            )
            renamed.to_csv(out / "blinded_videos.csv", index=False)
        console.print(
            f"{len(alloc)} animals allocated to {len(names)} groups (seed {seed}); blinded "
            f"schedule in {out / 'schedule_blinded.csv'}; keep {out / 'unblinding_key.csv'} "
            "from the scorer",
            highlight=False,
        )


@app.command()
def power(
    means: str = typer.Option(..., "--means", help="Expected means, control first (s)."),
    sd: float = typer.Option(..., "--sd", help="Expected SD within groups (s)."),
    target: float = typer.Option(0.8, "--power", help="Target power."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
    n_sim: int = typer.Option(2000, "--n-sim", min=200, help="Simulated studies per n."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
) -> None:
    """Animals per group for the target power against the control (by simulation)."""
    from pdstudy.stats.power import sample_size, t_test_power

    with errors():
        try:
            m = [float(x) for x in means.split(",")]
        except ValueError as exc:
            raise UsageError(
                f"{means!r}: numbers separated by commas", where="option --means"
            ) from exc
        res = sample_size(m, sd, power=target, alpha=alpha, n_sim=n_sim, seed=seed)
        console.print(
            f"{res.n_per_group} animals per group ({res.test}): power "
            + ", ".join(f"{p:.2f}" for p in res.power),
            highlight=False,
        )
        if len(m) == 2:
            d = abs(m[1] - m[0]) / sd
            console.print(
                f"closed form (two-sample t test, d = {d:.2f}): "
                f"{t_test_power(d, res.n_per_group, alpha):.2f}",
                highlight=False,
            )


def _assay_command(kind: str) -> None:
    lo, hi = WINDOWS[kind]

    def command(
        animals: Path = typer.Option(..., "--animals", help="CSV: animal, group (video, dose)."),
        out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
        videos: list[Path] = typer.Option([], "--videos", help="Video files."),
        event_logs: list[Path] = typer.Option([], "--event-logs", help="Manual score files."),
        rois: Path | None = typer.Option(None, "--rois", help="Regions file."),
        calibration: Path | None = typer.Option(None, "--calibration", help="Calibration JSON."),
        control: str = typer.Option("vehicle", "--control", help="The control group."),
        pretreatment: float = typer.Option(
            1800.0, "--pretreatment", help="Dosing to test start (s; occupancy at test time)."
        ),
        window_start: float = typer.Option(lo, "--window-start", help="Window start (s)."),
        window_end: float = typer.Option(hi, "--window-end", help="Window end (s)."),
        threshold: float = typer.Option(0.009, "--threshold", help="Motion threshold (fraction)."),
        high_threshold: float | None = typer.Option(
            None, "--high-threshold", help="Vigorous mobility above this (fraction)."
        ),
        min_bout: float = typer.Option(1.0, "--min-bout", help="Shortest immobility bout (s)."),
        cutoff: int | None = typer.Option(None, "--cutoff", help="Noise cutoff (luma levels)."),
        scale: int | None = typer.Option(None, "--scale", min=1, max=8, help=SCALE_HELP),
        compensate: bool = typer.Option(
            True, "--compensate/--no-compensate", help="Motion relative to the silhouette."
        ),
        method: str = typer.Option("auto", "--method", help="auto, anova, welch or kruskal."),
        alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
        exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
        name: str = typer.Option(kind, "--name", help="Section name (output file names)."),
        scheduler: str | None = typer.Option(
            None,
            "--scheduler",
            envvar="PDSTUDY_SCHEDULER",
            help="A dask.distributed scheduler (tcp://host:8786): score each video as a task on "
            "that cluster (needs pdstudy\\[cluster]; see docs/cluster.md).",
        ),
    ) -> None:
        with errors():
            if method not in ("auto", "anova", "welch", "kruskal"):
                raise UsageError(
                    f"{method!r}: use auto, anova, welch or kruskal", where="option --method"
                )
            if not videos and not event_logs:
                raise UsageError("give --videos or --event-logs")
            if window_end <= window_start:
                raise UsageError("must be after --window-start", where="option --window-end")
            values = {
                "videos": list(videos),
                "event_logs": list(event_logs),
                "animals": animals,
                "rois": rois,
                "calibration": calibration,
                "control": control,
                "pretreatment": pretreatment,
                "window_start": window_start,
                "window_end": window_end,
                "threshold": threshold,
                "high_threshold": high_threshold,
                "min_bout": min_bout,
                "cutoff": cutoff,
                "scale": scale,
                "compensate": compensate,
                "method": method,
                "alpha": alpha,
                "exclude": exclude_values(kind, exclude),
            }
            files = {
                "option --animals": [animals],
                "option --videos": list(videos),
                "option --event-logs": list(event_logs),
            }
            if scheduler:
                outcome = _run_on_cluster(kind, values, out, name, files, scheduler)
            else:
                outcome = run_one(kind, values, out, name=name, files=files)
            for line in outcome.result.summary().splitlines():
                console.print(line, highlight=False)
            console.print(f"[green]results written to[/green] {out}", highlight=False)

    command.__doc__ = (
        f"Analyse a {'forced swim' if kind == 'fst' else 'tail suspension'} test as a one-section "
        f"study: the same tables and names as a [\\[{kind}]] section of `pdstudy run`."
    )
    app.command(name=kind)(command)


def _run_on_cluster(
    kind: str,
    values: dict[str, Any],
    out: Path,
    name: str,
    files: dict[str, list[Path]],
    scheduler: str,
) -> Any:
    """``run_one`` with each video a task on the dask cluster at ``scheduler`` (a bar over them)."""
    from pdstudy.study.cluster import cluster_map

    # absolute paths: a worker's working folder is not this one
    values = dict(values, videos=[Path(v).resolve() for v in values["videos"]])
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("videos", total=None)
        with cluster_map(
            scheduler, on_task=lambda done, n: bar.update(task, completed=done, total=n)
        ) as (mapper, _):
            return run_one(kind, values, out, name=name, files=files, map=mapper)


_assay_command("fst")
_assay_command("tst")
