"""Run a study: every assay section (in parallel worker processes), the pharmacology, the report.

Outputs in ``out_dir``::

    results/      CSV + JSON per assay section; profile, liabilities, synapse prediction
    figures/      SVG + PNG of every figure in the report
    report.html   the self-contained report
    provenance.json

A section that fails does not stop the others: its error goes into the report
and :attr:`StudyRun.exit_code` is 1 (0 when every section was analysed).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from pdstudy.io.jsonsafe import json_safe
from pdstudy.report.html import write_report
from pdstudy.report.model import ReportData
from pdstudy.study.handlers._common import failed_outcome
from pdstudy.study.load import load_study
from pdstudy.study.model import RunContext, SectionOutcome, SectionSpec, StudySpec, slugify
from pdstudy.study.provenance import build_provenance, now_iso, write_provenance
from pdstudy.study.registry import get_handler
from pdstudy.study.writer import write_study_exports
from pdstudy.types import Mapper

__all__ = ["StudyRun", "default_workers", "run_section", "run_study"]

#: modules the worker processes start with (imported once in the fork server)
_PRELOAD = [
    "pdstudy.study.kinds",
    "pdstudy.report",
    "pdstudy.fitting",
    "pdstudy.io",
    "matplotlib.figure",
]


def default_workers() -> int:
    """``min(2, number of CPUs)``."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True, eq=False)
class StudyRun:
    """What :func:`run_study` did.

    Attributes
    ----------
    spec
        The validated study.
    out_dir
        The output folder.
    outcomes
        One per assay section, in study order.
    report_path, provenance_path
        The files written.
    exit_code
        0 every section analysed, 1 some section (or the pharmacology) failed.
    elapsed_s
        Wall time of the run.
    recorded
        What the results store recorded (:class:`pdstudy.store.RecordSummary`), or
        ``None`` when the run was not recorded.
    store_error
        Why recording failed (the outputs are written all the same; exit code 1).
    deviations
        Deviations from the study's ``[design]`` (a DataFrame; any one makes the exit code 1),
        or ``None`` without a design.
    """

    spec: StudySpec
    out_dir: Path
    outcomes: tuple[SectionOutcome, ...]
    report_path: Path
    provenance_path: Path
    exit_code: int
    elapsed_s: float
    recorded: Any = None
    store_error: str | None = None
    deviations: Any = None

    @property
    def failed(self) -> tuple[SectionOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


#: progress callbacks: on_start(labels of the sections), on_done(outcome)
OnStart = Callable[[Sequence[str]], None]
OnDone = Callable[[SectionOutcome], None]


def _call(
    run: Callable[[SectionSpec, RunContext], SectionOutcome], section: SectionSpec, ctx: RunContext
) -> SectionOutcome:
    import matplotlib

    matplotlib.use("Agg")  # worker processes never show figures
    return run(section, ctx)


def _run_sections(
    sections: Sequence[SectionSpec],
    ctx: RunContext,
    workers: int,
    on_start: OnStart | None,
    on_done: OnDone | None,
    meanwhile: Callable[[], Any] | None = None,
) -> tuple[list[SectionOutcome], Any]:
    """Run the sections (in a pool when ``workers > 1``); ``meanwhile`` runs in this
    process while the workers are busy. Returns the outcomes and what ``meanwhile`` gave."""
    labels = [f"{s.key} {s.name}" for s in sections]
    results: dict[str, SectionOutcome] = {}

    def done(outcome: SectionOutcome) -> None:
        results[outcome.key] = outcome
        if on_done is not None:
            on_done(outcome)

    if workers <= 1 or len(sections) <= 1:
        if on_start is not None:
            on_start(labels)
        for s in sections:
            done(get_handler(s.kind).run(s, ctx))
        extra = meanwhile() if meanwhile is not None else None
    else:
        # a fork server, not fork: the numeric libraries' thread pools (OpenMP) must not be
        # forked, and the server's children start with pdstudy already imported
        mp: Any
        try:
            mp = multiprocessing.get_context("forkserver")
            mp.set_forkserver_preload(_PRELOAD)
        except ValueError:  # pragma: no cover - no fork server (Windows)
            mp = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(sections)), mp_context=mp) as pool:
            futures: dict[Future[SectionOutcome], SectionSpec] = {
                pool.submit(_call, get_handler(s.kind).run, s, ctx): s for s in sections
            }
            if on_start is not None:
                on_start(labels)
            extra = meanwhile() if meanwhile is not None else None
            for fut in as_completed(futures):
                s = futures[fut]
                try:
                    outcome = fut.result()
                except BrokenProcessPool as exc:
                    outcome = failed_outcome(
                        s,
                        get_handler(s.kind).title,
                        f"the worker process died while analysing this section ({exc}); "
                        "run with --workers 1 to see the error",
                        float("nan"),
                    )
                except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
                    outcome = failed_outcome(s, get_handler(s.kind).title, exc, float("nan"))
                done(outcome)
    return [results[s.key] for s in sections], extra


def run_section(
    section: SectionSpec,
    out_dir: str | PathLike[str],
    *,
    study_dir: Path | None = None,
    map: Mapper | None = None,
) -> SectionOutcome:
    """Run one section as a one-section study (what every assay command does).

    The section's handler analyses it and writes its results and figures in
    ``out_dir`` exactly as :func:`run_study` does for the same section, so the
    assay commands and ``pdstudy run`` give the same tables and file names.
    Never raises for an analysis problem: a failed outcome says why. ``map``
    runs the section's per-file work (:class:`pdstudy.types.Mapper`, e.g. a
    :class:`pdstudy.study.cluster.ClusterMapper`).
    """
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out_dir).resolve()
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    ctx = RunContext(out_dir=out, study_dir=study_dir or Path.cwd(), compound="", map=map)
    return get_handler(section.kind).run(section, ctx)


def run_study(
    study: StudySpec | str | PathLike[str],
    out_dir: str | PathLike[str],
    *,
    workers: int | None = None,
    on_start: OnStart | None = None,
    on_done: OnDone | None = None,
    command: str | None = None,
    scheduler: Any = None,
    store: str | PathLike[str] | bool | None = None,
    key: str | PathLike[str] | None = None,
    on_task: Callable[[int, int], None] | None = None,
) -> StudyRun:
    """Run every section of a study and write results, figures, report and provenance.

    Parameters
    ----------
    study
        A validated :class:`StudySpec` or the path of a study file (validated
        first: an invalid file raises :class:`~pdstudy.errors.StudyFileError`
        before anything is written).
    out_dir
        Output folder (created; existing files of the same names are replaced).
    workers
        Worker processes for the assay sections; 1 runs them in this process.
        Default :func:`default_workers`.
    on_start, on_done
        Progress callbacks: the list of section labels once the work is
        queued, then each outcome as it finishes.
    command
        The command line, recorded in the provenance.
    scheduler
        A dask.distributed scheduler address (``tcp://host:8786``), a
        ``distributed`` cluster or ``Client``: the sections run there as tasks
        (:mod:`pdstudy.study.cluster`). ``None``: the ``PDSTUDY_SCHEDULER``
        environment variable, or local worker processes when it is unset.
    store
        Where to record the results (:mod:`pdstudy.store`), after everything is
        written: a database URL or SQLite path; ``True`` the default store
        (``$PDSTUDY_DB``, else ``./pdstudy.db``); ``None`` ``$PDSTUDY_DB`` when it
        is set, else nothing; ``False`` nothing.
    key
        The unblinding key of the study's ``[design]`` (overrides its ``key``);
        without one the design's sections are analysed blind
        (:func:`pdstudy.study.design_run.apply_design`).
    on_task
        With ``scheduler``: called with ``(finished, submitted)`` as the
        per-file tasks (each video, each batch of chromatograms) finish.

    Returns
    -------
    StudyRun
    """
    t0 = time.perf_counter()
    started = now_iso()
    spec = study if isinstance(study, StudySpec) else load_study(study)
    out = Path(out_dir).resolve()
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    design_run = None
    if spec.design is not None:
        from pdstudy.study.design_run import apply_design

        spec, design_run = apply_design(spec, out, key)
    ctx = RunContext(
        out_dir=out,
        study_dir=spec.folder,
        compound=str(spec.study.get("compound", "")),
        seed=spec.study.get("seed"),
    )
    n_workers = default_workers() if workers is None else max(1, int(workers))
    from pdstudy.study.pharmacology import analyse_pharmacology, analyse_profile

    # the target profile needs no assay result: it is made while the workers run
    profile = lambda: analyse_profile(spec, ctx)  # noqa: E731
    scheduler = scheduler if scheduler is not None else os.environ.get("PDSTUDY_SCHEDULER") or None
    execution: dict[str, Any] = {"mode": "local", "workers": n_workers}
    if scheduler is not None:
        from pdstudy.study.cluster import connect, run_sections_on_cluster

        own = not hasattr(scheduler, "submit")
        client, info = connect(scheduler) if own else (scheduler, _client_info(scheduler))
        try:
            outcomes, profile_part = run_sections_on_cluster(
                client, spec.sections, ctx, on_start, on_done, profile, on_task=on_task
            )
        finally:
            if own:
                client.close()
        execution = {"mode": "dask.distributed", **info.as_dict()}
        n_workers = len(info.workers)
    else:
        outcomes, profile_part = _run_sections(
            spec.sections, ctx, n_workers, on_start, on_done, profile
        )
    pharm = analyse_pharmacology(spec, outcomes, ctx, profile_part)
    methods = [o.section.methods for o in outcomes if o.section.methods] + list(pharm.methods)
    methods.append(
        f"Analyses were run with pdstudy (versions and SHA-256 hashes of every input file in "
        f"provenance.json); {len(outcomes)} assay section(s) on {n_workers} worker process(es)"
        + (f" of the dask cluster at {execution['scheduler']}." if scheduler is not None else ".")
    )
    finished = now_iso()
    sections_prov = [
        {
            "key": o.key,
            "kind": o.kind,
            "name": o.name,
            "status": o.section.status,
            "error": o.section.error,
            "elapsed_s": o.elapsed_s,
            "parameters": o.parameters,
            "files": list(o.section.files),
        }
        for o in outcomes
    ]
    provenance = build_provenance(
        spec,
        started=started,
        finished=finished,
        workers=n_workers,
        sections=sections_prov,
        pharmacology=pharm.parameters,
        command=command,
        execution=execution,
    )
    provenance_path = write_provenance(provenance, out / "provenance.json")
    description = str(spec.study.get("description") or "")
    subtitle = " · ".join(
        x for x in (description, f"compound {spec.study.get('compound')}", f"run {finished}") if x
    )
    earlier = _earlier_section(spec, outcomes, store)
    design_sections: tuple[Any, ...] = ()
    deviations = None
    if design_run is not None:
        from pdstudy.study.design_run import review_design

        design_section, deviations, _ = review_design(spec, design_run, outcomes, out)
        design_sections = (design_section,)
    data = ReportData(
        title=spec.name,
        subtitle=subtitle,
        headline=pharm.headline,
        sections=design_sections + tuple(o.section for o in outcomes),
        pharmacology=tuple(pharm.sections) + earlier,
        methods=tuple(methods),
        provenance=provenance,
    )
    report_path = write_report(data, out / "report.html")
    _write_summary(out, spec, outcomes, pharm)
    # the whole study as one Excel workbook and one Prism project, beside the per-section files
    slugs = {s.key: s.slug for s in spec.sections}
    write_study_exports(
        out,
        f"study_{slugify(spec.name)}",
        [(slugs[o.key], o.result) for o in outcomes if o.ok and o.result is not None],
    )
    recorded, store_error = _record(spec, outcomes, out, store, command)
    failed = any(not o.ok for o in outcomes) or not pharm.ok or store_error is not None
    failed = failed or (deviations is not None and len(deviations) > 0)
    return StudyRun(
        spec=spec,
        out_dir=out,
        outcomes=tuple(outcomes),
        report_path=report_path,
        provenance_path=provenance_path,
        exit_code=1 if failed else 0,
        elapsed_s=time.perf_counter() - t0,
        recorded=recorded,
        store_error=store_error,
        deviations=deviations,
    )


def _client_info(client: Any) -> Any:
    """The :class:`~pdstudy.study.cluster.ClusterInfo` of a ``Client`` the caller made."""
    from pdstudy.study.cluster import ClusterInfo

    workers = tuple(sorted(client.scheduler_info().get("workers", {})))
    return ClusterInfo(scheduler=str(client.scheduler.address), workers=workers)


def _store_target(store: str | PathLike[str] | bool | None) -> Any:
    """The store to use (``None``: the default), or ``False``: none."""
    if store is False or (store is None and not os.environ.get("PDSTUDY_DB")):
        return False
    return None if store is None or store is True else store


def _earlier_section(
    spec: StudySpec, outcomes: Sequence[SectionOutcome], store: str | PathLike[str] | bool | None
) -> tuple[Any, ...]:
    """The report's summary of the compound's earlier experiments in the store (if any)."""
    target = _store_target(store)
    compound = str(spec.study.get("compound", ""))
    if target is False or not compound:
        return ()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from pdstudy.errors import PdStudyError
    from pdstudy.report.sections.store import build_earlier
    from pdstudy.store import earlier_ki, open_store

    try:
        with open_store(target) as db:
            ki = earlier_ki(db, compound, [o.result for o in outcomes if o.ok])
            where = make_url(db.url).render_as_string(hide_password=True)
    except (PdStudyError, SQLAlchemyError, OSError):
        return ()  # recording (below) reports what is wrong with the store
    section = build_earlier(compound, ki.pooled, ki.experiments, where)
    return () if section is None else (section,)


def _record(
    spec: StudySpec,
    outcomes: Sequence[SectionOutcome],
    out: Path,
    store: str | PathLike[str] | bool | None,
    command: str | None,
) -> tuple[Any, str | None]:
    """Record each section's result in the store (one transaction); (summary, error)."""
    target = _store_target(store)
    if target is False:
        return None, None
    from sqlalchemy.exc import SQLAlchemyError

    from pdstudy.errors import PdStudyError
    from pdstudy.store import open_store, record_results

    try:
        with open_store(target) as db:
            summary = record_results(
                db,
                spec.name,
                [(o.key, o.name, o.result, o.parameters) for o in outcomes if o.ok],
                compound=str(spec.study.get("compound", "")),
                command=command or "",
                out_dir=out,
            )
    except (PdStudyError, SQLAlchemyError, OSError) as exc:
        return None, f"the results were not recorded in the store: {exc}"
    return summary, None


def _write_summary(
    out: Path, spec: StudySpec, outcomes: Sequence[SectionOutcome], pharm: Any
) -> None:
    import json

    doc = {
        "study": spec.name,
        "sections": [
            {
                "key": o.key,
                "name": o.name,
                "status": o.section.status,
                "error": o.section.error,
                "summary": o.summary,
            }
            for o in outcomes
        ],
        "headline": {
            "facts": dict(pharm.headline.facts),
            "effects": dict(pharm.headline.effects),
            "notes": list(pharm.headline.notes),
        },
    }
    (out / "results" / "summary.json").write_text(
        json.dumps(json_safe(doc), indent=2, ensure_ascii=False, allow_nan=False),
        encoding="utf-8",
    )
