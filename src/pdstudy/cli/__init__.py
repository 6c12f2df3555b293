"""The ``pdstudy`` command.

Each sub-command group lives in its own module of this package and defines a
``typer.Typer`` called ``app``; this module puts them together.
"""

from __future__ import annotations

import importlib
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pdstudy import __version__
from pdstudy.errors import PdStudyError

app = typer.Typer(
    name="pdstudy",
    help="Design and analyse pharmacodynamic studies of monoamine reuptake inhibitors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

DEPENDENCIES = (
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "numba",
    "statsmodels",
    "wellmap",
    "openpyxl",
    "typer",
    "rich",
    "jinja2",
)

# sub-command groups: module name -> (command name, help)
GROUPS = {
    "binding": (
        "binding",
        "Radioligand binding: design plates, analyse competition and saturation.",
    ),
    "uptake": ("uptake", "Synaptosomal uptake: design plates, analyse inhibition and kinetics."),
    "protein": ("protein", "Protein determination (Bradford/BCA standard curves)."),
}


def versions() -> dict[str, str]:
    """Versions of pdstudy, Python and the main dependencies (for bug reports)."""
    out = {"pdstudy": __version__, "python": platform.python_version()}
    for dep in DEPENDENCIES:
        try:
            out[dep] = version(dep)
        except PackageNotFoundError:
            out[dep] = "not installed"
    out["platform"] = platform.platform()
    return out


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
) -> None:
    """Run the embedded example study (simulated norclomipramine data) and say where the output went."""
    from pdstudy.examples import run_demo

    try:
        where = run_demo(out, seed=seed, console=console)
    except PdStudyError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err
    console.print(f"[green]demo written to[/green] {where}")


def _register() -> None:
    for module, (name, help_text) in GROUPS.items():
        try:
            mod = importlib.import_module(f"pdstudy.cli.{module}")
        except ModuleNotFoundError as err:
            if err.name == f"pdstudy.cli.{module}":
                continue
            raise
        app.add_typer(mod.app, name=name, help=help_text)
    for module in ("profile", "run"):
        try:
            mod = importlib.import_module(f"pdstudy.cli.{module}")
        except ModuleNotFoundError as err:
            if err.name == f"pdstudy.cli.{module}":
                continue
            raise
        mod.register(app)


_register()


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
