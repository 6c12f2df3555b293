"""``pdstudy protein``: protein concentrations from a Bradford/BCA standard-curve plate.

Exit codes: 0 success, 1 the analysis failed (bad file content, unreadable
plate), 2 a usage error (bad option, missing file).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from pdstudy.cli.uptake import (
    UsageError,
    agg,
    analyze_protein_files,
    check_files,
    console,
    errors,
    write_protein,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command()
def analyze(
    plate: Path = typer.Argument(..., help="Absorbance plate file (any format read_plate reads)."),
    layout: Path = typer.Option(
        ...,
        "--layout",
        help="Layout: blank, standard (protein_ug_per_mL), sample (sample, dilution).",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for results and the figure."),
    model: str = typer.Option("auto", help="auto, linear, quadratic or four_pl."),
    format: str = typer.Option("auto", "--format", help="Plate file format (default: detect)."),
) -> None:
    """Fit the standard curve and read each sample's protein concentration (mg/mL) with a CI."""
    with errors():
        if model not in ("auto", "linear", "quadratic", "four_pl"):
            raise UsageError(
                f"{model!r}: use auto, linear, quadratic or four_pl", where="option --model"
            )
        check_files([plate])
        check_files([layout], "option --layout")
        agg()
        res = analyze_protein_files(plate, layout, model=model, format=format)
        write_protein(res, out)
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
