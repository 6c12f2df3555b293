"""``pdstudy run STUDY.toml --out DIR``: run a study file and write its report."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pdstudy.errors import PdStudyError, StudyFileError, UsageError

if TYPE_CHECKING:
    from pdstudy.study import SectionOutcome

__all__ = ["print_problems", "register", "run_with_progress"]

_STATUS_STYLE = {"ok": "green", "flagged": "yellow", "failed": "red", "skipped": "dim"}


def print_problems(err: StudyFileError, console: Console) -> None:
    """Print every problem of an invalid study file, one per line with its key path."""
    console.print(
        f"[red]invalid study file[/red] {escape(str(err.path or ''))}: "
        f"{len(err.problems)} problem(s)"
    )
    for key, message in err.problems:
        console.print(f"  [bold]{escape(key)}[/bold]: {escape(message)}")


def run_with_progress(
    study: Path,
    out: Path,
    workers: int | None,
    console: Console,
    command: str | None = None,
    scheduler: str | None = None,
    store: str | Path | bool = True,
    key: Path | None = None,
) -> int:
    """Validate and run ``study`` with a progress bar; print a summary; return the exit code.

    0: every section analysed; 1: some section failed (the others are in the
    report); 2: the study file is invalid (every problem printed, nothing run).
    ``store``: where the results are recorded (:func:`pdstudy.study.run_study`);
    ``key``: the unblinding key of the study's ``[design]``.
    """
    from pdstudy.cli._shared import with_plausibility_warnings
    from pdstudy.study import load_study, run_study

    try:
        spec = with_plausibility_warnings(lambda: load_study(study), console)
    except StudyFileError as err:
        print_problems(err, console)
        return 2
    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"analysing {len(spec.sections)} section(s)", total=None)

        def on_start(labels: Sequence[str]) -> None:
            progress.update(task, total=len(labels) + 1)

        files: list[TaskID] = []

        def on_task(done: int, submitted: int) -> None:
            # with --scheduler: each video and each batch of chromatograms is a task
            if not files:
                files.append(progress.add_task("files on the cluster", total=submitted))
            progress.update(files[0], completed=done, total=submitted)

        def on_done(o: SectionOutcome) -> None:
            style = _STATUS_STYLE.get(o.section.status, "")
            progress.console.print(
                f"  {escape(o.key)} {escape(o.name)}: [{style}]{o.section.status}[/{style}]"
            )
            progress.advance(task)

        try:
            result = run_study(
                spec,
                out,
                workers=workers,
                on_start=on_start,
                on_done=on_done,
                command=command or " ".join(["pdstudy", *sys.argv[1:]]),
                scheduler=scheduler,
                store=store,
                key=key,
                on_task=on_task,
            )
        except UsageError as err:  # e.g. an unreachable --scheduler
            console.print(f"[red]error:[/red] {escape(str(err))}")
            return 2
        except KeyboardInterrupt as err:  # Ctrl-C: the tasks on a cluster are cancelled
            from pdstudy.cli._shared import interrupted_message

            progress.stop()
            console.print(escape(interrupted_message(err)), highlight=False)
            return 130
        except PdStudyError as err:
            console.print(f"[red]error:[/red] {escape(str(err))}")
            return 1
        progress.update(
            task,
            description="report written",
            completed=len(spec.sections) + 1,
            total=len(spec.sections) + 1,
        )
    table = Table(title=escape(spec.name), show_header=True)
    for col in ("section", "name", "status", "time (s)", "error"):
        table.add_column(col)
    for o in result.outcomes:
        style = _STATUS_STYLE.get(o.section.status, "")
        table.add_row(
            escape(o.key),
            escape(o.name),
            f"[{style}]{o.section.status}[/{style}]",
            f"{o.elapsed_s:.1f}",
            escape(o.section.error or ""),
        )
    console.print(table)
    if result.deviations is not None and len(result.deviations):
        console.print(f"[yellow]{len(result.deviations)} deviation(s) from the design[/yellow]:")
        for r in result.deviations.itertuples(index=False):
            where = " ".join(x for x in (r.section, r.animal) if x)
            console.print(f"  {escape(r.deviation)} {escape(where)}: {escape(r.detail)}")
    if result.exit_code and not result.failed and result.deviations is not None:
        console.print("[yellow]exit code 1: the study deviates from its design[/yellow]")
    elif result.exit_code:
        console.print(
            f"[red]{len(result.failed) or 'some'} analysis(es) failed[/red]; "
            "the report shows the others and the errors."
        )
    console.print(f"report: {escape(str(result.report_path))}")
    console.print(
        f"results: {escape(str(result.out_dir / 'results'))}  "
        f"provenance: {escape(str(result.provenance_path))}"
    )
    if result.recorded is not None:
        console.print(
            f"store: {escape(result.recorded.describe())} in {escape(_safe_url(result.recorded.url))}"
        )
    if result.store_error:
        console.print(f"[red]store:[/red] {escape(result.store_error)}")
    console.print(f"done in {result.elapsed_s:.1f} s")
    return result.exit_code


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to the main app."""

    @app.command("run")
    def run(
        study: Path = typer.Argument(..., help="The study file (TOML)."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder (created)."),
        workers: int | None = typer.Option(
            None,
            "--workers",
            "-w",
            min=1,
            help="Worker processes for the assay sections (default: min(2, CPUs); 1 = inline).",
        ),
        scheduler: str | None = typer.Option(
            None,
            "--scheduler",
            envvar="PDSTUDY_SCHEDULER",
            help="A dask.distributed scheduler (tcp://host:8786): run the sections on that "
            "cluster (needs pdstudy\\[cluster]; see docs/cluster.md).",
        ),
        db: str | None = typer.Option(
            None,
            "--db",
            envvar="PDSTUDY_DB",
            help="Results store: a SQLite path or a database URL (default ./pdstudy.db).",
        ),
        no_store: bool = typer.Option(
            False, "--no-store", help="Do not record the results in the store."
        ),
        key: Path | None = typer.Option(
            None,
            "--key",
            help="Unblinding key of the \\[design] (pdstudy design's key/unblinding_key.csv); "
            "without one the design's sections are analysed blind.",
        ),
    ) -> None:
        """Run every assay of a study file; write results/, figures/, report.html, provenance.json.

        Exit code 0: all analysed; 1: some assay failed, or the study deviates from its
        \\[design] (reported); 2: invalid study file; 130: interrupted (Ctrl-C cancels the
        tasks on a cluster).
        """
        console = Console()
        store: str | bool = False if no_store else (db or True)
        code = run_with_progress(
            study, out, workers, console, store=store, scheduler=scheduler, key=key
        )
        raise typer.Exit(code)
