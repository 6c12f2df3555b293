"""``pdstudy design STUDY.toml --out DIR``: everything the lab needs before the experiment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from pdstudy.errors import PdStudyError, StudyFileError

if TYPE_CHECKING:
    from pdstudy.study.model import StudySpec

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``design`` command to the main app."""

    @app.command("design")
    def design(
        study: Path = typer.Argument(..., help="The study file (TOML) with a \\[design] table."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder (created)."),
        n_sim: int | None = typer.Option(
            None,
            "--n-sim",
            min=100,
            help="Simulated studies of the sample-size justification (default: the design's n_sim).",
        ),
        workers: int = typer.Option(
            1, "--workers", "-w", min=1, help="Processes for the power simulations (1: inline)."
        ),
        scheduler: str | None = typer.Option(
            None,
            "--scheduler",
            envvar="PDSTUDY_SCHEDULER",
            help="A dask.distributed scheduler (tcp://host:8786): run the power simulations "
            "as tasks on that cluster instead of --workers processes; the same power for the "
            "same seed (needs pdstudy\\[cluster]; see docs/cluster.md).",
        ),
    ) -> None:
        """Allocate, code and schedule the animals, justify the sample size, lay out the plates.

        Writes coded_animals.csv, coded_names.csv, schedule.csv, balance.csv,
        sample_size.csv/.md, plates/, design.json, and apart key/unblinding_key.csv
        (keep that folder from everyone who is blind). Exit code 2: invalid study file,
        or a design whose groups cannot be balanced (the reason is printed); 130:
        interrupted (Ctrl-C cancels the tasks on a cluster).
        """
        from pdstudy.cli.run import print_problems
        from pdstudy.study import load_study
        from pdstudy.study.design_run import write_design

        console = Console()
        try:
            spec = load_study(study)
        except StudyFileError as err:
            print_problems(err, console)
            raise typer.Exit(2) from err
        if spec.design is None:
            console.print(
                f"[red]error:[/red] {escape(str(study))} has no [design] table (docs/design.md)"
            )
            raise typer.Exit(2)
        try:
            if scheduler:
                files = _on_cluster(spec, out, n_sim, scheduler, console)
            elif workers > 1:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                context = multiprocessing.get_context("forkserver")
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    files = write_design(spec, out, n_sim=n_sim, mapper=pool.map)
            else:
                files = write_design(spec, out, n_sim=n_sim)
        except PdStudyError as err:
            console.print(f"[red]error:[/red] {escape(str(err))}")
            raise typer.Exit(2) from err
        except KeyboardInterrupt as err:  # Ctrl-C: the tasks on a cluster are cancelled
            from pdstudy.cli._shared import interrupted_message

            console.print(escape(interrupted_message(err)), highlight=False)
            raise typer.Exit(130) from None
        d = spec.design
        console.print(
            f"{len(d.groups)} groups, seed {d.seed}; written to {escape(str(out))}:",
            highlight=False,
        )
        for name, path in files.items():
            console.print(f"  {name}: {escape(str(path))}", highlight=False)
        if "sample_size_text" in files:
            console.print(escape(files["sample_size_text"].read_text(encoding="utf-8").strip()))
        console.print(
            f"[bold]keep {escape(str(files['unblinding_key'].parent))} from everyone who is "
            "blind[/bold]"
        )


def _on_cluster(
    spec: StudySpec, out: Path, n_sim: int | None, scheduler: str, console: Console
) -> dict[str, Path]:
    """``write_design`` with the power simulations as tasks on a dask cluster (a bar over them)."""
    from rich.progress import Progress

    from pdstudy.study.cluster import cluster_map
    from pdstudy.study.design_run import write_design

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("power simulations", total=None)
        with cluster_map(
            scheduler, on_task=lambda done, n: bar.update(task, completed=done, total=n)
        ) as (mapper, info):
            files = write_design(spec, out, n_sim=n_sim, mapper=mapper)
    if mapper.submitted:
        console.print(
            f"power simulations: {mapper.submitted} tasks on {escape(info.scheduler)} "
            f"({len(info.workers)} worker(s))",
            highlight=False,
        )
    return files
