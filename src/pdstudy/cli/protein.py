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

from pdstudy.cli._shared import (
    CYCLE_OPTION,
    EXCLUDE_HELP,
    UsageError,
    choice,
    errors,
    exclude_values,
    plate_format_help,
    run_one,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()


@app.command()
def analyze(
    plates: list[Path] = typer.Argument(
        ..., help="Absorbance plate file(s) of a plate reader (the formats of --format)."
    ),
    layout: Path = typer.Option(
        ...,
        "--layout",
        help="Layout: blank, standard (protein_ug_per_mL), sample (sample, dilution).",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    model: str = typer.Option(
        "auto",
        help="Standard-curve model: auto (F test linear vs quadratic, then AICc vs 4PL), "
        "linear, quadratic or four_pl.",
    ),
    method: str = typer.Option("BCA", help="BCA, Bradford or Lowry (methods text)."),
    weights: str = typer.Option(
        "auto",
        help="Standard-curve weighting: auto (the variance model the standards' residuals "
        "support), none or 1/y2.",
    ),
    max_cv: float = typer.Option(
        0.15,
        "--max-cv",
        help="Replicate CV of a sample's absorbance above which it is flagged, a fraction "
        "(0.15 = 15 %).",
    ),
    format: str = typer.Option("auto", "--format", help=plate_format_help()),
    cycle: int | None = CYCLE_OPTION,
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    name: str = typer.Option("protein", help="Section name (output file names)."),
) -> None:
    """Fit the standard curve and read each sample's protein concentration (mg/mL) with a CI.

    Runs as a one-section study: the same analysis, tables and file names as a
    [\\[protein]] section of `pdstudy run`.
    """
    with errors():
        choice("protein", "model", model, "--model")
        choice("protein", "method", method, "--method")
        choice("protein", "weights", weights, "--weights")
        if not (math.isfinite(max_cv) and max_cv > 0):
            raise UsageError(f"{max_cv}: must be > 0", where="option --max-cv")
        values = {
            "exclude": exclude_values("protein", exclude),
            "plates": list(plates),
            "layout": layout,
            "format": format,
            "cycle": cycle,
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
