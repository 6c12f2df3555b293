"""``pdstudy binding``: design plates, simulate, analyse competition and saturation binding.

Quantities are strings with units (``"0.5 nM"``, ``"80 Ci/mmol"``, ``"200 uL"``,
``"30 ug"``) parsed here, at the boundary. Exit codes: 0 success, 1 the
analysis failed (bad file content, nothing to fit), 2 a usage error (bad
option, unit, missing file).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from pdstudy.cli._fit import (
    CONFIDENCE_OPTION,
    FIX_BOTTOM_OPTION,
    FIX_HILL_OPTION,
    FIX_TOP_OPTION,
    MODEL_OPTION,
    confidence_value,
    fit_values,
)
from pdstudy.cli._shared import (
    BUFFER_OPTION,
    CYCLE_OPTION,
    EFFICIENCY_OPTION,
    EXCLUDE_HELP,
    FILTERS_OPTION,
    INCUBATION_OPTION,
    PROTEIN_CYCLE_OPTION,
    REPLICATES_OPTION,
    TEMPERATURE_OPTION,
    WASH_OPTION,
    UsageError,
    choice,
    err_console,
    exclude_values,
    fraction,
    plate_format_help,
    procedure_values,
    quantity,
    required,
    run_one,
)
from pdstudy.cli._shared import agg as _agg
from pdstudy.cli._shared import errors as _errors
from pdstudy.cli._shared import fmt_conc as _fmt_conc
from pdstudy.cli._shared import write_plate_map as _write_plate_map
from pdstudy.errors import PdStudyError


def _q(text: str | None, dimension: str, option: str) -> float | None:
    """Parse an option's quantity; errors name the option."""
    return quantity(text, dimension, option, positive=False)


def _q_req(text: str, dimension: str, option: str) -> float:
    """A required, positive quantity."""
    return required(text, dimension, option)


app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()

PLATE_EXT = {
    "microbeta": ".txt",
    "topcount": None,  # PLATE.001, PLATE.002, ...
    "hidex": ".csv",
    "counter_csv": ".csv",
    "long_csv": ".csv",
    "grid_csv": ".csv",
    "long_xlsx": ".xlsx",
    "grid_xlsx": ".xlsx",
}


# ---------------------------------------------------------------- design


@app.command()
def design(
    out: Path = typer.Option(..., "--out", help="Folder for the layout, plate map and dilutions."),
    ki: str | None = typer.Option(None, "--ki", help='Expected Ki, e.g. "0.5 nM".'),
    ki_range: tuple[str, str] | None = typer.Option(
        None, "--ki-range", help='Expected Ki range, e.g. --ki-range "0.1 nM" "10 nM".'
    ),
    radioligand: str = typer.Option("[3H]nisoxetine", help="Radioligand name."),
    radioligand_conc: str = typer.Option(
        ..., "--radioligand-conc", help='Final radioligand concentration, e.g. "1 nM".'
    ),
    kd: str = typer.Option(..., "--kd", help='Kd of the radioligand, e.g. "0.8 nM".'),
    plate: int = typer.Option(96, "--plate", help="Plate format: 96 or 384."),
    replicates: int = typer.Option(3, help="Wells per concentration."),
    n_conc: int = typer.Option(10, "--n-conc", help="Number of competitor concentrations."),
    spacing: float = typer.Option(0.5, help="Log10 step between concentrations (0.5 = half-log)."),
    compound: str = typer.Option("norclomipramine", help="Competitor name."),
    target: str | None = typer.Option(None, help="Target name carried into the layout (e.g. NET)."),
    stock: str = typer.Option("10 mM", help="Stock concentration of the competitor."),
    nsb_compound: str = typer.Option("desipramine", help="Compound defining NSB."),
    nsb_conc: str = typer.Option("10 uM", "--nsb-conc", help="Its final concentration."),
) -> None:
    """Design a competition binding plate: layout (wellmap TOML), plate map, dilution table."""
    with _errors():
        if plate not in (96, 384):
            raise UsageError(f"plate format {plate}: use 96 or 384", where="option --plate")
        if (ki is None) == (ki_range is None):
            raise UsageError("give either --ki or --ki-range", where="option --ki")
        lig = _q_req(radioligand_conc, "concentration", "--radioligand-conc")
        kd_m = _q_req(kd, "concentration", "--kd")
        stock_m = _q_req(stock, "concentration", "--stock")
        nsb_m = _q_req(nsb_conc, "concentration", "--nsb-conc")
        expected: float | tuple[float, float]
        if ki_range is not None:
            lo = _q_req(ki_range[0], "concentration", "--ki-range")
            hi = _q_req(ki_range[1], "concentration", "--ki-range")
            if lo >= hi:
                raise UsageError("the low end must be below the high end", where="--ki-range")
            expected = (lo, hi)
        else:
            assert ki is not None
            expected = _q_req(ki, "concentration", "--ki")
        if spacing <= 0:
            raise UsageError(f"{spacing}: must be > 0", where="option --spacing")
        _agg()
        from pdstudy.design import competition_layout, concentration_series, dilution_table
        from pdstudy.io import write_layout

        concs = [
            float(c)
            for c in concentration_series(
                expected, radioligand_M=lig, kd_M=kd_m, n=n_conc, spacing_log=spacing
            )
        ]
        layout = competition_layout(
            concs,
            compound=compound,
            replicates=replicates,
            plate_format=plate,
            nsb_compound=nsb_compound,
            nsb_conc_M=nsb_m,
            target=target,
            radioligand=radioligand,
            radioligand_M=lig,
        )
        layout["kd_M"] = kd_m
        out.mkdir(parents=True, exist_ok=True)
        write_layout(layout, out / "layout.toml")
        _write_plate_map(layout, out, f"{compound} competition binding ({radioligand})")
        dil = dilution_table(concs, stock_M=stock_m, replicates=replicates, fold=10**spacing)
        dil.to_csv(out / "dilutions.csv", index=False)

        t = Table(title=f"{compound} vs {radioligand} ({_fmt_conc(lig)}, Kd {_fmt_conc(kd_m)})")
        t.add_column("item")
        t.add_column("value")
        ic50 = (expected if isinstance(expected, float) else math.sqrt(lo * hi)) * (1 + lig / kd_m)
        t.add_row("expected IC50", _fmt_conc(ic50))
        t.add_row("concentrations", ", ".join(_fmt_conc(float(c)) for c in concs))
        t.add_row("wells", f"{len(layout)} on {layout['plate'].nunique()} {plate}-well plate(s)")
        t.add_row("written", f"{out}/layout.toml, plate_map.svg/.png/.html, dilutions.csv")
        console.print(t)


@app.command("design-saturation")
def design_saturation(
    out: Path = typer.Option(..., "--out", help="Folder for the layout and plate map."),
    kd: str = typer.Option(..., "--kd", help='Expected Kd of the radioligand, e.g. "0.8 nM".'),
    radioligand: str = typer.Option("[3H]nisoxetine", help="Radioligand name."),
    n_conc: int = typer.Option(8, "--n-conc", help="Number of radioligand concentrations."),
    low_fold: float = typer.Option(0.1, help="Lowest concentration as a multiple of Kd."),
    high_fold: float = typer.Option(10.0, help="Highest concentration as a multiple of Kd."),
    replicates: int = typer.Option(3, help="Total-binding wells per concentration."),
    nsb_replicates: int | None = typer.Option(None, help="NSB wells per concentration."),
    plate: int = typer.Option(96, "--plate", help="Plate format: 96 or 384."),
    target: str | None = typer.Option(None, help="Target name (e.g. NET)."),
    nsb_compound: str = typer.Option("desipramine", help="Compound defining NSB."),
    stock: str | None = typer.Option(
        None, help='Radioligand stock concentration, e.g. "1 uM" (writes dilutions.csv).'
    ),
) -> None:
    """Design a saturation binding plate: radioligand series around Kd, total and NSB wells."""
    with _errors():
        if plate not in (96, 384):
            raise UsageError(f"plate format {plate}: use 96 or 384", where="option --plate")
        kd_m = _q_req(kd, "concentration", "--kd")
        _agg()
        from pdstudy.design import dilution_table, saturation_layout, saturation_series
        from pdstudy.io import write_layout

        concs = [
            float(c)
            for c in saturation_series(kd_m, n=n_conc, low_fold=low_fold, high_fold=high_fold)
        ]
        layout = saturation_layout(
            concs,
            radioligand=radioligand,
            replicates=replicates,
            nsb_replicates=nsb_replicates,
            plate_format=plate,
            nsb_compound=nsb_compound,
            target=target,
        )
        out.mkdir(parents=True, exist_ok=True)
        write_layout(layout, out / "layout.toml")
        _write_plate_map(layout, out, f"{radioligand} saturation binding")
        written = "layout.toml, plate_map.svg/.png/.html"
        if stock is not None:
            stock_m = _q_req(stock, "concentration", "--stock")
            dilution_table(concs, stock_M=stock_m, replicates=replicates).to_csv(
                out / "dilutions.csv", index=False
            )
            written += ", dilutions.csv"
        t = Table(title=f"{radioligand} saturation (Kd {_fmt_conc(kd_m)})")
        t.add_column("item")
        t.add_column("value")
        t.add_row("concentrations", ", ".join(_fmt_conc(float(c)) for c in concs))
        t.add_row("wells", f"{len(layout)} on a {plate}-well plate")
        t.add_row("written", f"{out}/{written}")
        console.print(t)


# ---------------------------------------------------------------- simulate


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Folder for the layout and plate files."),
    ki: str = typer.Option("0.5 nM", "--ki", help="True Ki of the competitor."),
    kd: str = typer.Option("0.8 nM", "--kd", help="Kd of the radioligand."),
    radioligand_conc: str = typer.Option("1 nM", "--radioligand-conc", help="Radioligand conc."),
    compound: str = typer.Option("norclomipramine", help="Competitor name."),
    target: str = typer.Option("NET", help="Target name."),
    assay: str = typer.Option("competition", help="competition or saturation."),
    format: str = typer.Option(
        "microbeta", "--format", help=plate_format_help(default="microbeta")
    ),
    seed: int = typer.Option(1, help="Seed of the random draws."),
    n_plates: int = typer.Option(3, "--n-plates", help="Independent experiments (one per file)."),
    plate: int = typer.Option(96, "--plate", help="Plate format: 96 or 384."),
    replicates: int = typer.Option(3, help="Wells per concentration."),
    n_conc: int | None = typer.Option(
        None, "--n-conc", help="Number of concentrations (default 10; saturation 8)."
    ),
    spacing: float = typer.Option(0.5, help="Log10 step between concentrations."),
    bmax_cpm: float = typer.Option(1500.0, help="Specific window at zero competitor (CPM)."),
    nsb_fraction: float = typer.Option(0.10, help="NSB as a fraction of total binding."),
    cv: float = typer.Option(0.05, help="Proportional well-to-well CV."),
    outliers: int = typer.Option(0, help="Wild wells per plate."),
    volume: str = typer.Option("250 uL", "--volume", help="Assay volume."),
    specific_activity: str = typer.Option(
        "80 Ci/mmol", "--specific-activity", help="Radioligand specific activity."
    ),
) -> None:
    """Simulate plates with known parameters and write them as instrument files + layout."""
    with _errors():
        if format not in PLATE_EXT:
            raise UsageError(
                f"unknown format {format!r}; use one of {', '.join(PLATE_EXT)}",
                where="option --format",
            )
        if assay not in ("competition", "saturation"):
            raise UsageError("use competition or saturation", where="option --assay")
        if n_plates < 1:
            raise UsageError("must be >= 1", where="option --n-plates")
        ki_m = _q_req(ki, "concentration", "--ki")
        kd_m = _q_req(kd, "concentration", "--kd")
        lig = _q_req(radioligand_conc, "concentration", "--radioligand-conc")
        vol_l = _q_req(volume, "volume", "--volume")
        sa = _q_req(specific_activity, "specific_activity", "--specific-activity")
        import numpy as np

        from pdstudy.design import (
            competition_layout,
            concentration_series,
            saturation_layout,
            saturation_series,
        )
        from pdstudy.io import write_layout, write_plate
        from pdstudy.simulate import simulate_competition, simulate_saturation, without_truth

        out.mkdir(parents=True, exist_ok=True)
        if assay == "competition":
            concs = [
                float(c)
                for c in concentration_series(
                    ki_m, radioligand_M=lig, kd_M=kd_m, n=n_conc or 10, spacing_log=spacing
                )
            ]
            layout = competition_layout(
                concs,
                compound=compound,
                replicates=replicates,
                plate_format=plate,
                target=target,
                radioligand_M=lig,
            )
            layout["kd_M"] = kd_m
        else:
            concs = [float(c) for c in saturation_series(kd_m, n=n_conc or 8)]
            layout = saturation_layout(
                concs, replicates=replicates, plate_format=plate, target=target
            )
        write_layout(layout, out / "layout.toml")
        rng = np.random.default_rng(seed)
        files = []
        truths = []
        for i in range(1, n_plates + 1):
            if assay == "competition":
                sim = simulate_competition(
                    layout,
                    ki_M=ki_m,
                    kd_M=kd_m,
                    radioligand_M=lig,
                    bmax_cpm=bmax_cpm,
                    nsb_fraction=nsb_fraction,
                    cv=cv,
                    outliers=outliers,
                    volume_uL=vol_l * 1e6,
                    specific_activity_Ci_per_mmol=sa,
                    rng=rng,
                )
            else:
                sim = simulate_saturation(
                    layout,
                    kd_M=kd_m,
                    cv=cv,
                    outliers=outliers,
                    volume_uL=vol_l * 1e6,
                    specific_activity_Ci_per_mmol=sa,
                    rng=rng,
                )
            truths.append(sim.attrs.get("truth", {}))
            ext = PLATE_EXT[format] or f".{i:03d}"
            path = out / (f"plate_{i}{ext}" if PLATE_EXT[format] else f"PLATE{ext}")
            write_plate(without_truth(sim), path, format)
            files.append(path)
        from pdstudy.io.jsonsafe import json_safe

        (out / "truth.json").write_text(
            json.dumps(json_safe({"seed": seed, "plates": truths}), indent=2), encoding="utf-8"
        )
        console.print(
            f"[green]simulated[/green] {n_plates} {assay} plate(s) ({format}) and "
            f"{out / 'layout.toml'}; truth in {out / 'truth.json'}"
        )
        for f in files:
            console.print(f"  {f}", highlight=False)


# ---------------------------------------------------------------- analyse


@app.command()
def analyze(
    plates: list[Path] = typer.Argument(..., help="Plate files (one independent experiment each)."),
    layout: Path = typer.Option(..., "--layout", help="Plate layout (wellmap TOML)."),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    radioligand_conc: str | None = typer.Option(
        None, "--radioligand-conc", help='Radioligand conc., e.g. "1 nM" (default: the layout).'
    ),
    kd: str | None = typer.Option(
        None, "--kd", help='Radioligand Kd, e.g. "0.8 nM" (default: the layout).'
    ),
    radioligand: str = typer.Option("radioligand", help="Radioligand name (methods text)."),
    target: str | None = typer.Option(None, help="Target name where the layout has none."),
    specific_activity: str | None = typer.Option(
        None,
        "--specific-activity",
        help='Radioligand specific activity, e.g. "80 Ci/mmol" (ligand-depletion check).',
    ),
    volume: str | None = typer.Option(None, "--volume", help='Assay volume, e.g. "200 uL".'),
    efficiency: str | None = EFFICIENCY_OPTION,
    rout: bool = typer.Option(
        False, "--rout/--no-rout", help="ROUT outlier removal (off by default, as in Prism)."
    ),
    rout_q: float = typer.Option(0.01, "--rout-q", help="ROUT false-discovery rate Q."),
    two_site: bool = typer.Option(
        True, "--two-site/--no-two-site", help="Also fit two sites and compare with one site."
    ),
    weighting: str = typer.Option("auto", help="auto, counts, relative or none."),
    model: str = MODEL_OPTION,
    fix_hill: float | None = FIX_HILL_OPTION,
    fix_top: float | None = FIX_TOP_OPTION,
    fix_bottom: float | None = FIX_BOTTOM_OPTION,
    confidence: str = CONFIDENCE_OPTION,
    min_z_prime: float = typer.Option(0.5, "--min-z-prime", help="QC: Z' below this is flagged."),
    max_cv: str = typer.Option("0.2", "--max-cv", help="QC: replicate CV above this is flagged."),
    max_nonspecific_fraction: str = typer.Option(
        "0.5", "--max-nonspecific-fraction", help="QC: NSB / total above this is flagged."
    ),
    format: str = typer.Option("auto", "--format", help=plate_format_help()),
    cycle: int | None = CYCLE_OPTION,
    incubation: str | None = INCUBATION_OPTION,
    temperature: str | None = TEMPERATURE_OPTION,
    buffer: str | None = BUFFER_OPTION,
    filters: str | None = FILTERS_OPTION,
    wash: str | None = WASH_OPTION,
    replicates: int | None = REPLICATES_OPTION,
    exclude_z_below: float | None = typer.Option(
        None,
        "--exclude-z-below",
        help="Exclude every well of a plate whose Z' is below this value (off by default).",
    ),
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    name: str = typer.Option("competition", help="Section name (output file names)."),
) -> None:
    """Analyse competition binding plates: Ki per curve, QC flags, figures, mean pKi.

    Runs as a one-section study: the same analysis, tables and file names as a
    [\\[binding]] section of `pdstudy run`.
    """
    with _errors():
        lig = _q(radioligand_conc, "concentration", "--radioligand-conc")
        kd_m = _q(kd, "concentration", "--kd")
        sa = _q(specific_activity, "specific_activity", "--specific-activity")
        vol = _q(volume, "volume", "--volume")
        for opt, v in (("--radioligand-conc", lig), ("--kd", kd_m), ("--volume", vol)):
            if v is not None and not v > 0:
                raise UsageError("must be positive", where=f"option {opt}")
        choice("binding", "weighting", weighting, "--weighting")
        eff = fraction(efficiency, "--efficiency")
        if not 0 < rout_q < 1:
            raise UsageError(f"{rout_q}: must be in (0, 1)", where="option --rout-q")
        values = {
            "exclude_z_below": exclude_z_below,
            "exclude": exclude_values("binding", exclude),
            "target": target,
            "plates": list(plates),
            "layout": layout,
            "format": format,
            "cycle": cycle,
            "radioligand": radioligand,
            "radioligand_conc": lig,
            "kd": kd_m,
            "specific_activity": sa,
            "volume": vol,
            "efficiency": eff,
            "rout": rout,
            "rout_q": rout_q,
            "two_site": two_site,
            "weighting": weighting,
            **fit_values("binding", model, fix_hill, fix_top, fix_bottom, confidence),
            "min_z_prime": min_z_prime,
            "max_cv": fraction(max_cv, "--max-cv"),
            "max_nonspecific_fraction": fraction(
                max_nonspecific_fraction, "--max-nonspecific-fraction"
            ),
            **procedure_values(
                incubation=incubation,
                temperature=temperature,
                buffer=buffer,
                filters=filters,
                wash=wash,
                replicates=replicates,
            ),
        }
        outcome = run_one(
            "binding",
            values,
            out,
            name=name,
            files={"PLATE": list(plates), "option --layout": [layout]},
        )
        res = outcome.result
        if not len(res.curves):
            raise PdStudyError("no competition wells (role = 'competition') to fit", layout)
        _print_competition(res, res.tables["aggregate"], out)
        if not res.curves["ki_M"].notna().any():
            err_console.print(
                "[yellow]note:[/yellow] Ki not computed: give --radioligand-conc and --kd"
            )


def _print_competition(res: Any, summary: Any, out: Path) -> None:
    from pdstudy.assays.curve_options import ci_words
    from pdstudy.units import format_conc_ci as conc_with_ci

    ci = ci_words(res.options.get("confidence", 0.95))
    t = Table(title="competition binding")
    for col in ("experiment", "compound", "target", f"Ki ({ci})", "pKi", "model", "flags"):
        t.add_column(col)
    for _, r in res.curves.iterrows():
        pki = f"{r['pki']:.2f}" if math.isfinite(r["pki"]) else "n.d."
        flags = str(r["flags"]).replace(";", ", ")
        t.add_row(
            str(r["experiment"]),
            str(r["compound"]),
            str(r["target"]),
            conc_with_ci(r["ki_M"], r["ki_ci_low_M"], r["ki_ci_high_M"]),
            pki,
            str(r["model"]).replace("_", " "),
            flags if r["status"] == "converged" else f"{r['status']}; {flags}",
        )
    console.print(t)
    s = Table(title="mean over experiments")
    for col in ("compound", "target", "n", "pKi mean ± SEM", f"Ki geomean ({ci})", "experiments"):
        s.add_column(col)
    for _, r in summary.iterrows():
        sem = f" ± {r['pki_sem']:.2f}" if math.isfinite(r["pki_sem"]) else ""
        mean = f"{r['pki_mean']:.2f}{sem}" if math.isfinite(r["pki_mean"]) else "n.d."
        ki = (
            conc_with_ci(r["ki_geomean_M"], r["ki_ci_low_M"], r["ki_ci_high_M"])
            if math.isfinite(r["ki_ci_low_M"])
            else _fmt_conc(r["ki_geomean_M"])
        )
        s.add_row(
            str(r["compound"]),
            str(r["target"]),
            str(r["n"]),
            mean,
            ki,
            str(r["experiments"]).replace(";", ", "),
        )
    console.print(s)
    console.print(f"[green]results written to[/green] {out}", highlight=False)


@app.command()
def saturation(
    plates: list[Path] = typer.Argument(..., help="Plate files (one experiment each)."),
    layout: Path = typer.Option(..., "--layout", help="Plate layout (wellmap TOML)."),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    specific_activity: str | None = typer.Option(
        None,
        "--specific-activity",
        help='Radioligand specific activity, e.g. "80 Ci/mmol" (Bmax in fmol/mg; else CPM).',
    ),
    efficiency: str | None = EFFICIENCY_OPTION,
    protein: str | None = typer.Option(None, "--protein", help='Protein per well, e.g. "30 ug".'),
    protein_plate: Path | None = typer.Option(
        None, "--protein-plate", help="A Bradford/BCA plate measuring the preparation's protein."
    ),
    protein_layout: Path | None = typer.Option(
        None, "--protein-layout", help="Layout of --protein-plate (blank, standard, sample)."
    ),
    protein_sample: str | None = typer.Option(
        None, "--protein-sample", help="The preparation's sample name on the protein plate."
    ),
    suspension_volume: str | None = typer.Option(
        None, "--suspension-volume", help='Protein suspension per well, e.g. "100 uL".'
    ),
    protein_format: str = typer.Option(
        "auto", "--protein-format", help=f"Format of --protein-plate. {plate_format_help()}"
    ),
    protein_cycle: int | None = PROTEIN_CYCLE_OPTION,
    protein_model: str = typer.Option(
        "auto", "--protein-model", help="Standard curve: auto, linear, quadratic or four_pl."
    ),
    protein_weights: str = typer.Option(
        "auto",
        "--protein-weights",
        help="Protein standard-curve weighting: auto (the variance model the standards' "
        "residuals support), none or 1/y2.",
    ),
    protein_max_cv: str = typer.Option(
        "0.15",
        "--protein-max-cv",
        help='Protein samples: replicate CV above which one is flagged, e.g. "0.15" or "15 %".',
    ),
    volume: str | None = typer.Option(None, "--volume", help='Assay volume, e.g. "200 uL".'),
    free_correction: bool = typer.Option(False, help="Fit free radioligand ([L] - bound)."),
    radioligand: str = typer.Option("radioligand", help="Radioligand name (methods text)."),
    target: str | None = typer.Option(None, help="Target name where the layout has none."),
    weighting: str = typer.Option("auto", help="auto, counts, relative or none."),
    confidence: str = CONFIDENCE_OPTION,
    format: str = typer.Option("auto", "--format", help=plate_format_help()),
    cycle: int | None = CYCLE_OPTION,
    incubation: str | None = INCUBATION_OPTION,
    temperature: str | None = TEMPERATURE_OPTION,
    buffer: str | None = BUFFER_OPTION,
    filters: str | None = FILTERS_OPTION,
    wash: str | None = WASH_OPTION,
    replicates: int | None = REPLICATES_OPTION,
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    name: str = typer.Option("saturation", help="Section name (output file names)."),
) -> None:
    """Analyse saturation binding plates: Kd and Bmax (fmol/mg protein) with CIs.

    Runs as a one-section study: the same analysis, tables and file names as a
    [\\[saturation]] section of `pdstudy run`.
    """
    with _errors():
        sa = _q(specific_activity, "specific_activity", "--specific-activity")
        prot_g = _q(protein, "mass", "--protein")
        vol = _q(volume, "volume", "--volume")
        susp = _q(suspension_volume, "volume", "--suspension-volume")
        for opt, val in (
            ("--specific-activity", sa),
            ("--protein", prot_g),
            ("--volume", vol),
            ("--suspension-volume", susp),
        ):
            if val is not None and not val > 0:
                raise UsageError("must be positive", where=f"option {opt}")
        eff = fraction(efficiency, "--efficiency")
        choice("saturation", "weighting", weighting, "--weighting")
        choice("saturation", "protein_model", protein_model, "--protein-model")
        choice("saturation", "protein_weights", protein_weights, "--protein-weights")
        prot_cv = fraction(protein_max_cv, "--protein-max-cv")
        if prot_cv is None or not (math.isfinite(prot_cv) and prot_cv > 0):
            raise UsageError(f"{protein_max_cv}: must be > 0", where="option --protein-max-cv")
        if prot_g is not None and protein_plate is not None:
            raise UsageError(
                "give --protein or --protein-plate, not both", where="option --protein"
            )
        if protein_plate is not None and (protein_layout is None or susp is None):
            raise UsageError(
                "--protein-plate needs --protein-layout and --suspension-volume",
                where="option --protein-plate",
            )
        values = {
            "exclude": exclude_values("saturation", exclude),
            "target": target,
            "plates": list(plates),
            "layout": layout,
            "format": format,
            "cycle": cycle,
            "radioligand": radioligand,
            "specific_activity": sa,
            "volume": vol,
            "efficiency": eff,
            "protein": prot_g,
            "protein_plate": protein_plate,
            "protein_layout": protein_layout,
            "protein_sample": protein_sample,
            "suspension_volume": susp,
            "protein_format": protein_format,
            "protein_cycle": protein_cycle,
            "protein_model": protein_model,
            "protein_weights": protein_weights,
            "protein_max_cv": prot_cv,
            "free_correction": free_correction,
            "weighting": weighting,
            "confidence": confidence_value(confidence),
            **procedure_values(
                incubation=incubation,
                temperature=temperature,
                buffer=buffer,
                filters=filters,
                wash=wash,
                replicates=replicates,
            ),
        }
        files = {"PLATE": list(plates), "option --layout": [layout]}
        if protein_plate is not None:
            files["option --protein-plate"] = [protein_plate]
        if protein_layout is not None:
            files["option --protein-layout"] = [protein_layout]
        outcome = run_one("saturation", values, out, name=name, files=files)
        _print_saturation(outcome.result, out)


def _print_saturation(res: Any, out: Path) -> None:
    from pdstudy.assays.curve_options import ci_words
    from pdstudy.units import format_conc_ci as conc_with_ci

    ci = ci_words(res.options.get("confidence", 0.95))
    t = Table(title="saturation binding")
    for col in ("experiment", "method", f"Kd ({ci})", f"Bmax ({ci})", "status", "flags"):
        t.add_column(col)
    for _, r in res.params.iterrows():
        kd_txt = conc_with_ci(r["kd_M"], r["kd_ci_low_M"], r["kd_ci_high_M"])
        if math.isfinite(r["bmax_fmol_per_mg"]):
            bm = (
                f"{r['bmax_fmol_per_mg']:.4g} fmol/mg ({r['bmax_ci_low_fmol_per_mg']:.4g}–"
                f"{r['bmax_ci_high_fmol_per_mg']:.4g})"
            )
        else:
            bm = f"{r['bmax_cpm']:.4g} CPM"
        t.add_row(str(r["experiment"]), r["method"], kd_txt, bm, r["status"], str(r["flags"]))
    console.print(t)
    console.print(f"[green]results written to[/green] {out}", highlight=False)
