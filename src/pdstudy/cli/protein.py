"""``pdstudy protein``: protein concentrations from a Bradford/BCA standard-curve plate.

``analyze`` runs as a one-section study: the same analysis, tables and file
names as a ``[[protein]]`` section of ``pdstudy run``.

Exit codes: 0 success, 1 the analysis failed (bad file content, unreadable
plate), 2 a usage error (bad option, missing file).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pdstudy.cli._shared import EXCLUDE_HELP, UsageError, errors, exclude_values, run_one

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()

MODELS = ("auto", "linear", "quadratic", "four_pl")
METHODS = ("BCA", "Bradford", "Lowry")
WEIGHTS = ("auto", "none", "1/y2")


@app.command()
def analyze(
    plates: list[Path] = typer.Argument(
        ..., help="Absorbance plate file(s) (any format read_plate reads)."
    ),
    layout: Path = typer.Option(
        ...,
        "--layout",
        help="Layout: blank, standard (protein_ug_per_mL), sample (sample, dilution).",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    model: str = typer.Option("auto", help="auto, linear, quadratic or four_pl."),
    method: str = typer.Option("BCA", help="BCA, Bradford or Lowry (methods text)."),
    weights: str = typer.Option(
        "auto",
        help="Standard-curve weighting: auto (the variance model the standards' residuals "
        "support), none or 1/y2.",
    ),
    max_cv: float = typer.Option(
        0.15, "--max-cv", help="Replicate CV of a sample's absorbance above which it is flagged."
    ),
    format: str = typer.Option("auto", "--format", help="Plate file format (default: detect)."),
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    name: str = typer.Option("protein", help="Section name (output file names)."),
) -> None:
    """Fit the standard curve and read each sample's protein concentration (mg/mL) with a CI.

    Runs as a one-section study: the same analysis, tables and file names as a
    [[protein]] section of `pdstudy run`.
    """
    with errors():
        if model not in MODELS:
            raise UsageError(
                f"{model!r}: use auto, linear, quadratic or four_pl", where="option --model"
            )
        if method not in METHODS:
            raise UsageError(f"{method!r}: use BCA, Bradford or Lowry", where="option --method")
        if weights not in WEIGHTS:
            raise UsageError(f"{weights!r}: use auto, none or 1/y2", where="option --weights")
        if not (math.isfinite(max_cv) and max_cv > 0):
            raise UsageError(f"{max_cv}: must be > 0", where="option --max-cv")
        values = {
            "exclude": exclude_values("protein", exclude),
            "plates": list(plates),
            "layout": layout,
            "format": format,
            "method": method,
            "model": model,
            "weights": weights,
            "max_cv": max_cv,
        }
        outcome = run_one(
            "protein",
            values,
            out,
            name=name,
            files={"PLATE": list(plates), "option --layout": [layout]},
        )
        res = outcome.result
        for line in res.summary().splitlines():
            if line.startswith("plate"):
                console.print(line, highlight=False)
        t = Table(title="protein (undiluted sample)")
        for col in ("plate", "sample", "dilution", "mg/mL (95 % CI)", "flags"):
            t.add_column(col)
        for _, r in res.samples.iterrows():
            val = r["protein_mg_per_mL"]
            text = (
                f"{val:.3g} ({r['ci_low_mg_per_mL']:.3g}–{r['ci_high_mg_per_mL']:.3g})"
                if math.isfinite(val)
                else "n.d."
            )
            t.add_row(
                str(r["plate"]),
                str(r["sample"]),
                f"1:{r['dilution']:g}",
                text,
                str(r["flags"]).replace(";", ", "),
            )
        console.print(t)
        console.print(f"[green]results written to[/green] {out}", highlight=False)
