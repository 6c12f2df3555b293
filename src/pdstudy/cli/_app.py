"""The whole ``pdstudy`` command: every sub-command group and command put together.

Each sub-command group lives in its own module of this package and defines a
``typer.Typer`` called ``app``; this module puts them together (``pdstudy.cli.app``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pdstudy._version import DEPENDENCIES, versions
from pdstudy.cli._root import GROUPS, root_app
from pdstudy.errors import PdStudyError

__all__ = ["DEPENDENCIES", "app", "console", "versions"]

app = root_app()
console = Console()


@app.command()
def info() -> None:
    """Print versions of pdstudy and its main dependencies (paste them into bug reports)."""
    table = Table(title="pdstudy", show_header=True)
    table.add_column("component")
    table.add_column("version")
    for k, v in versions().items():
        table.add_row(k, v)
    console.print(table)


@app.command()
def demo(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for the demo's outputs."),
    seed: int = typer.Option(20261128, help="Seed of the simulated data."),
    workers: int | None = typer.Option(
        None, "--workers", "-w", min=1, help="Worker processes (default: min(2, CPUs))."
    ),
) -> None:
    """Write the example norclomipramine study (simulated raw files) to OUT/study and run it.

    The report goes to OUT/report.html; OUT/study holds the study file and the raw
    files in instrument formats, to copy as a template for a real study.
    """
    from pdstudy.cli.run import run_with_progress
    from pdstudy.examples import write_example_study

    try:
        study = write_example_study(out / "study", seed=seed)
    except PdStudyError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err
    console.print(f"example study written to {study}")
    code = run_with_progress(
        study,
        out,
        workers,
        console,
        command=f"pdstudy demo --out {out}",
        store=out / "pdstudy.db",
    )
    console.print(f"[green]open[/green] {(out / 'report.html').resolve()}")
    raise typer.Exit(code)


# the sub-command modules come last: they may use ``console`` from this module
from pdstudy.cli import (  # noqa: E402
    behavior,
    binding,
    db,
    design,
    dialysis,
    profile,
    protein,
    run,
    uptake,
)

for _name, _module in (
    ("binding", binding),
    ("uptake", uptake),
    ("protein", protein),
    ("dialysis", dialysis),
    ("db", db),
    ("behavior", behavior),
):
    app.add_typer(_module.app, name=_name, help=GROUPS[_name])
profile.register(app)
run.register(app)
design.register(app)
