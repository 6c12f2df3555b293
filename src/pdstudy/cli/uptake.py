"""``pdstudy uptake``: design, simulate and analyse synaptosomal uptake plates.

Quantities are strings with units (``"20 nM"``, ``"0.3 uM"``, ``"40 Ci/mmol"``,
``"5 min"``, ``"50 ug"``, ``"100 uL"``) parsed here, at the boundary. Exit
codes: 0 success, 1 the analysis failed (bad file content, nothing to fit), 2 a
usage error (bad option, unit, missing file).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from pdstudy.cli._shared import (
    BUFFER_OPTION,
    EFFICIENCY_OPTION,
    EXCLUDE_HELP,
    FILTERS_OPTION,
    REPLICATES_OPTION,
    TEMPERATURE_OPTION,
    WASH_OPTION,
    UsageError,
    agg,
    check_files,
    choice,
    errors,
    exclude_values,
    fmt_conc,
    fraction,
    procedure_values,
    quantity,
    required,
    run_one,
)
from pdstudy.cli._shared import write_plate_map as _write_plate_map
from pdstudy.errors import PdStudyError

#: also used by ``pdstudy protein`` (cli/protein.py)
__all__ = [
    "UsageError",
    "agg",
    "app",
    "check_files",
    "console",
    "errors",
]

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()

#: plate file formats the simulator writes, and their file extension
PLATE_EXT = {
    "microbeta": ".txt",
    "hidex": ".csv",
    "counter_csv": ".csv",
    "long_csv": ".csv",
    "grid_csv": ".csv",
    "long_xlsx": ".xlsx",
    "grid_xlsx": ".xlsx",
}


def _protein_values(
    protein: str | None,
    protein_plate: Path | None,
    protein_layout: Path | None,
    protein_sample: str | None,
    suspension_volume: str | None,
    protein_format: str,
    protein_model: str,
    protein_weights: str = "none",
    protein_max_cv: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[Path]]]:
    """The protein keys of the section (study-file names) and the protein files to check.

    Checked before any file is read: analyses need the protein per well, given
    (--protein) or read off a protein plate (--protein-plate, --protein-layout,
    --suspension-volume).
    """
    if protein is None and protein_plate is None:
        raise UsageError(
            'give the protein per well (--protein "50 ug") or a protein plate '
            "(--protein-plate, --protein-layout, --suspension-volume)",
            where="option --protein",
        )
    if protein is not None and protein_plate is not None:
        raise UsageError("give --protein or --protein-plate, not both", where="option --protein")
    if protein_model not in ("auto", "linear", "quadratic", "four_pl"):
        raise UsageError(
            f"{protein_model!r}: use auto, linear, quadratic or four_pl",
            where="option --protein-model",
        )
    if protein_weights not in ("none", "1/y2"):
        raise UsageError(f"{protein_weights!r}: use none or 1/y2", where="option --protein-weights")
    if protein is not None:
        return {"protein": required(protein, "mass", "--protein")}, {}
    assert protein_plate is not None
    if protein_layout is None:
        raise UsageError("--protein-plate needs --protein-layout", where="option --protein-layout")
    if suspension_volume is None:
        raise UsageError(
            "--protein-plate needs --suspension-volume (synaptosome suspension per well, "
            'e.g. "100 uL")',
            where="option --suspension-volume",
        )
    values = {
        "protein_plate": protein_plate,
        "protein_layout": protein_layout,
        "protein_sample": protein_sample,
        "suspension_volume": required(suspension_volume, "volume", "--suspension-volume"),
        "protein_format": protein_format,
        "protein_model": protein_model,
        "protein_weights": protein_weights,
    }
    if protein_max_cv is not None:
        values["protein_max_cv"] = fraction(protein_max_cv, "--protein-max-cv")
    files = {"option --protein-plate": [protein_plate], "option --protein-layout": [protein_layout]}
    return values, files


# ---------------------------------------------------------------- design


@app.command()
def design(
    out: Path = typer.Option(..., "--out", help="Folder for the layout, plate map and dilutions."),
    ki: str | None = typer.Option(None, "--ki", help='Expected Ki, e.g. "0.5 nM".'),
    ic50: str | None = typer.Option(None, "--ic50", help='Expected IC50, e.g. "1 nM".'),
    substrate_conc: str = typer.Option(
        "20 nM", "--substrate-conc", help='Final [3H]-substrate concentration, e.g. "20 nM".'
    ),
    km: str = typer.Option("0.3 uM", "--km", help='Km of the substrate, e.g. "0.3 uM".'),
    substrate: str = typer.Option("[3H]norepinephrine", help="Labelled substrate."),
    plate: int = typer.Option(96, "--plate", help="Plate format: 96 or 384."),
    replicates: int = typer.Option(3, help="Wells per concentration."),
    n_conc: int = typer.Option(10, "--n-conc", help="Number of inhibitor concentrations."),
    spacing: float = typer.Option(0.5, help="Log10 step between concentrations (0.5 = half-log)."),
    compound: str = typer.Option("norclomipramine", help="Inhibitor name."),
    target: str | None = typer.Option("NET", help="Target name carried into the layout."),
    nonspecific: str = typer.Option(
        "inhibitor", help="Nonspecific uptake: 'inhibitor' (desipramine) or '4C' (on ice)."
    ),
    nsb_compound: str = typer.Option("desipramine", help="Inhibitor defining nonspecific uptake."),
    nsb_conc: str = typer.Option("10 uM", "--nsb-conc", help="Its final concentration."),
    stock: str = typer.Option("10 mM", help="Stock concentration of the inhibitor."),
    well_volume: str = typer.Option("200 uL", "--well-volume", help="Final volume per well."),
    compound_volume: str = typer.Option(
        "50 uL", "--compound-volume", help="Volume of inhibitor working solution per well."
    ),
) -> None:
    """Design an uptake-inhibition plate: layout (wellmap TOML), plate map, dilution table."""
    with errors():
        if plate not in (96, 384):
            raise UsageError(f"plate format {plate}: use 96 or 384", where="option --plate")
        if (ki is None) == (ic50 is None):
            raise UsageError("give either --ki or --ic50", where="option --ki")
        if spacing <= 0:
            raise UsageError(f"{spacing}: must be > 0", where="option --spacing")
        s_m = required(substrate_conc, "concentration", "--substrate-conc")
        km_m = required(km, "concentration", "--km")
        stock_m = required(stock, "concentration", "--stock")
        nsb_m = required(nsb_conc, "concentration", "--nsb-conc")
        well_l = required(well_volume, "volume", "--well-volume")
        comp_l = required(compound_volume, "volume", "--compound-volume")
        agg()
        from pdstudy.design.plates import concentration_series, dilution_table, uptake_layout
        from pdstudy.io import write_layout

        if ki is not None:
            ki_m = required(ki, "concentration", "--ki")
            concs = concentration_series(
                ki_m, radioligand_M=s_m, kd_M=km_m, n=n_conc, spacing_log=spacing
            )
            expected_ic50 = ki_m * (1 + s_m / km_m)
        else:
            assert ic50 is not None
            expected_ic50 = required(ic50, "concentration", "--ic50")
            concs = concentration_series(expected_ic50, n=n_conc, spacing_log=spacing)
        layout = uptake_layout(
            list(concs),
            compound=compound,
            replicates=replicates,
            plate_format=plate,
            nonspecific=nonspecific,
            nsb_compound=nsb_compound,
            nsb_conc_M=nsb_m,
            substrate=substrate,
            substrate_M=s_m,
            target=target,
        )
        layout["km_M"] = km_m
        out.mkdir(parents=True, exist_ok=True)
        write_layout(layout, out / "layout.toml")
        _write_plate_map(layout, out, f"{compound} uptake inhibition ({substrate})")
        dil = dilution_table(
            list(concs),
            stock_M=stock_m,
            replicates=replicates,
            fold=10**spacing,
            well_volume_uL=well_l * 1e6,
            compound_volume_uL=comp_l * 1e6,
        )
        dil.to_csv(out / "dilutions.csv", index=False)
        t = Table(title=f"{compound}: {substrate} {fmt_conc(s_m)} uptake (Km {fmt_conc(km_m)})")
        t.add_column("item")
        t.add_column("value")
        t.add_row("expected IC50", fmt_conc(expected_ic50))
        t.add_row("concentrations", ", ".join(fmt_conc(float(c)) for c in concs))
        t.add_row("wells", f"{len(layout)} on {layout['plate'].nunique()} {plate}-well plate(s)")
        t.add_row("written", f"{out}/layout.toml, plate_map.svg/.png/.html, dilutions.csv")
        console.print(t)


# ---------------------------------------------------------------- simulate


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Folder for the layout and plate files."),
    kinetics: bool = typer.Option(
        False, "--kinetics", help="Simulate a substrate-saturation (Km, Vmax) plate instead."
    ),
    ki: str = typer.Option("0.5 nM", "--ki", help="True Ki of the inhibitor."),
    substrate_conc: str = typer.Option("15 nM", "--substrate-conc", help="Final substrate conc."),
    km: str = typer.Option("0.3 uM", "--km", help="True Km of the substrate."),
    vmax: float = typer.Option(2.0, help="True Vmax, pmol/mg protein/min."),
    compound: str = typer.Option("norclomipramine", help="Inhibitor name."),
    target: str = typer.Option("NET", help="Target name."),
    nonspecific_fraction: float = typer.Option(
        0.66, help="Nonspecific share of control uptake (0.66: Michel et al. 1984)."
    ),
    protein: str = typer.Option("100 ug", "--protein", help="Synaptosomal protein per well."),
    incubation: str = typer.Option("5 min", "--incubation", help="Uptake time."),
    specific_activity: str = typer.Option("40 Ci/mmol", "--specific-activity"),
    hot_substrate: str | None = typer.Option(
        None, "--hot-substrate", help="Kinetics: labelled substrate conc. (isotope dilution above)."
    ),
    cv: float = typer.Option(0.05, help="Proportional well-to-well CV."),
    outliers: int = typer.Option(0, help="Wild wells per plate."),
    format: str = typer.Option("microbeta", "--format", help="Plate file format to write."),
    n_plates: int = typer.Option(3, "--n-plates", help="Independent experiments (one per file)."),
    plate: int = typer.Option(96, "--plate", help="Plate format: 96 or 384."),
    replicates: int = typer.Option(3, help="Wells per concentration."),
    protein_plate: bool = typer.Option(
        False,
        "--protein-plate/--no-protein-plate",
        help="Also write a BCA plate of the synaptosome preparation (100 uL per well).",
    ),
    seed: int = typer.Option(1, help="Seed of the random draws."),
) -> None:
    """Simulate uptake plates with known parameters; write instrument files, layout, truth."""
    with errors():
        if format not in PLATE_EXT:
            raise UsageError(
                f"unknown format {format!r}; use one of {', '.join(PLATE_EXT)}",
                where="option --format",
            )
        if n_plates < 1:
            raise UsageError("must be >= 1", where="option --n-plates")
        ki_m = required(ki, "concentration", "--ki")
        s_m = required(substrate_conc, "concentration", "--substrate-conc")
        km_m = required(km, "concentration", "--km")
        prot_mg = required(protein, "mass", "--protein") * 1e3
        t_s = required(incubation, "time", "--incubation")
        sa = required(specific_activity, "specific_activity", "--specific-activity")
        hot = quantity(hot_substrate, "concentration", "--hot-substrate")
        import numpy as np

        from pdstudy.design.plates import (
            concentration_series,
            saturation_layout,
            saturation_series,
            uptake_layout,
        )
        from pdstudy.io import write_layout, write_plate
        from pdstudy.simulate import simulate_uptake, without_truth
        from pdstudy.simulate.plates import simulate_uptake_kinetics

        out.mkdir(parents=True, exist_ok=True)
        if kinetics:
            concs = saturation_series(km_m, n=8, low_fold=0.1, high_fold=10.0)
            layout = saturation_layout(
                list(concs),
                radioligand="[3H]norepinephrine",
                replicates=replicates,
                plate_format=plate,
                target=target,
            )
        else:
            concs = concentration_series(ki_m, radioligand_M=s_m, kd_M=km_m, n=10)
            layout = uptake_layout(
                list(concs),
                compound=compound,
                replicates=replicates,
                plate_format=plate,
                substrate_M=s_m,
                target=target,
            )
            layout["km_M"] = km_m
        write_layout(layout, out / "layout.toml")
        rng = np.random.default_rng(seed)
        common: dict[str, Any] = {
            "km_M": km_m,
            "vmax_pmol_per_mg_per_min": vmax,
            "protein_mg_per_well": prot_mg,
            "incubation_s": t_s,
            "specific_activity_Ci_per_mmol": sa,
            "nonspecific_fraction": nonspecific_fraction,
            "cv": cv,
            "outliers": outliers,
            "rng": rng,
        }
        files, truths = [], []
        for i in range(1, n_plates + 1):
            if kinetics:
                sim = simulate_uptake_kinetics(layout, hot_substrate_M=hot, **common)
            else:
                sim = simulate_uptake(layout, ki_M=ki_m, substrate_M=s_m, **common)
            truths.append(sim.attrs.get("truth", {}))
            path = out / f"plate_{i}{PLATE_EXT[format]}"
            write_plate(without_truth(sim), path, format)
            files.append(path)
        if protein_plate:
            _simulate_protein(out, prot_mg, rng)
        from pdstudy.io.jsonsafe import json_safe

        (out / "truth.json").write_text(
            json.dumps(json_safe({"seed": seed, "plates": truths}), indent=2), encoding="utf-8"
        )
        kind = "kinetics" if kinetics else "uptake-inhibition"
        console.print(
            f"[green]simulated[/green] {n_plates} {kind} plate(s) ({format}) and "
            f"{out / 'layout.toml'}; truth in {out / 'truth.json'}",
            highlight=False,
        )
        for f in files:
            console.print(f"  {f}", highlight=False)


def _simulate_protein(out: Path, protein_mg_per_well: float, rng: Any) -> None:
    """A BCA plate of the preparation: 100 µL suspension per well, measured diluted 1:2."""
    from pdstudy.design.plates import protein_layout
    from pdstudy.io import write_layout, write_plate
    from pdstudy.simulate import simulate_protein_plate, without_truth

    in_well = protein_mg_per_well / 100e-3 * 1e3 / 2.0  # µg/mL after the 1:2 dilution
    lay = protein_layout(["synaptosomes"])
    lay["dilution"] = [2.0 if r == "sample" else float("nan") for r in lay["role"]]
    sim = simulate_protein_plate(lay, samples_ug_per_mL={"synaptosomes": in_well}, rng=rng)
    write_layout(lay, out / "protein_layout.toml")
    write_plate(without_truth(sim), out / "protein_plate.csv", "long_csv")
    console.print(
        f'  {out / "protein_plate.csv"} (BCA; use --suspension-volume "100 uL")', highlight=False
    )


# ---------------------------------------------------------------- analyse


_PROTEIN_HELP = 'Protein per well, e.g. "50 ug" (or use --protein-plate).'
_NAME_HELP = "Section name (output file names: results/uptake1_<name>.csv ...)."


def _run(
    values: dict[str, Any],
    protein: tuple[dict[str, Any], dict[str, list[Path]]],
    plates: list[Path],
    layout: Path,
    out: Path,
    name: str,
) -> Any:
    """Run the options as a one-section ``[[uptake]]`` study; return its result."""
    protein_values, protein_files = protein
    outcome = run_one(
        "uptake",
        {**values, **protein_values, "plates": list(plates), "layout": layout},
        out,
        name=name,
        files={"PLATE": list(plates), "option --layout": [layout], **protein_files},
    )
    return outcome.result


@app.command()
def analyze(
    plates: list[Path] = typer.Argument(..., help="Plate files (one experiment each)."),
    layout: Path = typer.Option(..., "--layout", help="Plate layout (wellmap TOML)."),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    substrate_conc: str | None = typer.Option(
        None, "--substrate-conc", help='Final substrate conc., e.g. "20 nM" (default: layout).'
    ),
    km: str | None = typer.Option(
        None, "--km", help='Substrate Km, e.g. "0.3 uM" (default: layout).'
    ),
    substrate: str = typer.Option("[3H]norepinephrine", help="Labelled substrate (methods text)."),
    specific_activity: str = typer.Option(..., "--specific-activity", help='e.g. "40 Ci/mmol".'),
    incubation: str = typer.Option(..., "--incubation", help='Uptake time, e.g. "5 min".'),
    protein: str | None = typer.Option(None, "--protein", help=_PROTEIN_HELP),
    protein_plate: Path | None = typer.Option(None, "--protein-plate", help="BCA/Bradford plate."),
    protein_layout: Path | None = typer.Option(None, "--protein-layout", help="Its layout."),
    protein_sample: str | None = typer.Option(None, "--protein-sample", help="Sample to use."),
    suspension_volume: str | None = typer.Option(
        None, "--suspension-volume", help='Synaptosome suspension per well, e.g. "100 uL".'
    ),
    protein_format: str = typer.Option("auto", "--protein-format", help="Protein plate format."),
    protein_model: str = typer.Option(
        "auto", "--protein-model", help="Protein standard curve: auto, linear, quadratic, four_pl."
    ),
    protein_weights: str = typer.Option(
        "none", "--protein-weights", help="Protein standard-curve weighting: none or 1/y2."
    ),
    protein_max_cv: str | None = typer.Option(
        None, "--protein-max-cv", help="Protein samples: replicate CV flagged above (0.15)."
    ),
    efficiency: str | None = EFFICIENCY_OPTION,
    counts: str = typer.Option("auto", "--counts", help="Counts to use: auto, dpm or cpm."),
    target: str = typer.Option("NET", help="Target name where the layout has none."),
    rout: bool = typer.Option(
        False,
        "--rout/--no-rout",
        help="ROUT outlier removal (Q = 1 %; off by default, as in Prism).",
    ),
    two_site: bool = typer.Option(
        False, "--two-site/--no-two-site", help="Also compare a two-site fit."
    ),
    weighting: str = typer.Option("auto", help="auto, counts, relative or none."),
    max_nonspecific_fraction: str = typer.Option(
        "0.8", "--max-nonspecific-fraction", help="QC: nonspecific / control above this is flagged."
    ),
    max_cv: str = typer.Option("0.2", "--max-cv", help="QC: replicate CV above this is flagged."),
    min_z_prime: float = typer.Option(0.2, "--min-z-prime", help="QC: Z' below this is flagged."),
    format: str = typer.Option("auto", "--format", help="Plate file format (default: detect)."),
    temperature: str | None = TEMPERATURE_OPTION,
    buffer: str | None = BUFFER_OPTION,
    filters: str | None = FILTERS_OPTION,
    wash: str | None = WASH_OPTION,
    replicates: int | None = REPLICATES_OPTION,
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    exclude_z_below: float | None = typer.Option(
        None,
        "--exclude-z-below",
        help="Exclude every well of a plate whose Z' is below this value (off by default).",
    ),
    name: str = typer.Option("inhibition", help=_NAME_HELP),
) -> None:
    """Analyse uptake-inhibition plates: rates, % of control, IC50, Ki, QC flags, figures.

    Runs as a one-section study: the same analysis, tables and file names as an
    [[uptake]] section (mode = "inhibition") of `pdstudy run`.
    """
    with errors():
        s_m = quantity(substrate_conc, "concentration", "--substrate-conc")
        km_m = quantity(km, "concentration", "--km")
        sa = required(specific_activity, "specific_activity", "--specific-activity")
        t_s = required(incubation, "time", "--incubation")
        eff = fraction(efficiency, "--efficiency")
        nsf = fraction(max_nonspecific_fraction, "--max-nonspecific-fraction")
        cv = fraction(max_cv, "--max-cv")
        choice("uptake", "weighting", weighting, "--weighting")
        choice("uptake", "counts", counts, "--counts")
        prot = _protein_values(
            protein,
            protein_plate,
            protein_layout,
            protein_sample,
            suspension_volume,
            protein_format,
            protein_model,
            protein_weights,
            protein_max_cv,
        )
        values = {
            "exclude": exclude_values("uptake", exclude),
            "mode": "inhibition",
            "target": target,
            "format": format,
            "substrate": substrate,
            "substrate_conc": s_m,
            "km": km_m,
            "specific_activity": sa,
            "incubation": t_s,
            "efficiency": eff,
            "counts": counts,
            "rout": rout,
            "two_site": two_site,
            "weighting": weighting,
            "max_nonspecific_fraction": nsf,
            "max_cv": cv,
            "min_z_prime": min_z_prime,
            "exclude_z_below": exclude_z_below,
            **procedure_values(
                temperature=temperature,
                buffer=buffer,
                filters=filters,
                wash=wash,
                replicates=replicates,
            ),
        }
        res = _run(values, prot, plates, layout, out, name)
        if not len(res.curves):
            raise PdStudyError("no competition wells (role = 'competition') to fit", layout)
        _print_uptake(res, res.tables["aggregate"], out)


def _print_uptake(res: Any, summary: Any, out: Path) -> None:
    from pdstudy.units import format_conc_ci as conc_with_ci

    t = Table(title=f"uptake inhibition ({res.settings.get('protein', '')})")
    for col in (
        "experiment",
        "compound",
        "IC50 (95 % CI)",
        "Ki (95 % CI)",
        "pKi",
        "control pmol/mg/min",
        "nonspecific",
        "flags",
    ):
        t.add_column(col)
    for _, r in res.curves.iterrows():
        pki = f"{r['pki']:.2f}" if math.isfinite(r["pki"]) else "n.d."
        flags = str(r["flags"]).replace(";", ", ")
        t.add_row(
            str(r["experiment"]),
            str(r["compound"]),
            conc_with_ci(r["ic50_M"], r["ic50_ci_low_M"], r["ic50_ci_high_M"]),
            conc_with_ci(r["ki_M"], r["ki_ci_low_M"], r["ki_ci_high_M"]),
            pki,
            f"{r['control_rate_pmol_per_mg_per_min']:.3g}",
            f"{100 * r['nonspecific_fraction']:.0f} %",
            flags if r["status"] == "converged" else f"{r['status']}; {flags}",
        )
    console.print(t)
    if len(summary):
        s = Table(title="mean over experiments")
        for col in ("compound", "target", "n", "pKi mean ± SEM", "Ki geomean (95 % CI)"):
            s.add_column(col)
        for _, r in summary.iterrows():
            sem = f" ± {r['pki_sem']:.2f}" if math.isfinite(r["pki_sem"]) else ""
            mean = f"{r['pki_mean']:.2f}{sem}" if math.isfinite(r["pki_mean"]) else "n.d."
            ki = (
                conc_with_ci(r["ki_geomean_M"], r["ki_ci_low_M"], r["ki_ci_high_M"])
                if math.isfinite(r["ki_ci_low_M"])
                else fmt_conc(r["ki_geomean_M"])
            )
            s.add_row(str(r["compound"]), str(r["target"]), str(r["n"]), mean, ki)
        console.print(s)
    console.print(f"[green]results written to[/green] {out}", highlight=False)


@app.command()
def kinetics(
    plates: list[Path] = typer.Argument(..., help="Plate files (one experiment each)."),
    layout: Path = typer.Option(
        ..., "--layout", help="Layout: total and nsb wells, conc = substrate concentration."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    substrate: str = typer.Option("[3H]norepinephrine", help="Labelled substrate (methods text)."),
    specific_activity: str = typer.Option(..., "--specific-activity", help='e.g. "40 Ci/mmol".'),
    incubation: str = typer.Option(..., "--incubation", help='Uptake time, e.g. "5 min".'),
    protein: str | None = typer.Option(None, "--protein", help=_PROTEIN_HELP),
    protein_plate: Path | None = typer.Option(None, "--protein-plate", help="BCA/Bradford plate."),
    protein_layout: Path | None = typer.Option(None, "--protein-layout", help="Its layout."),
    protein_sample: str | None = typer.Option(None, "--protein-sample", help="Sample to use."),
    suspension_volume: str | None = typer.Option(
        None, "--suspension-volume", help='Synaptosome suspension per well, e.g. "100 uL".'
    ),
    protein_format: str = typer.Option("auto", "--protein-format", help="Protein plate format."),
    protein_model: str = typer.Option(
        "auto", "--protein-model", help="Protein standard curve: auto, linear, quadratic, four_pl."
    ),
    protein_weights: str = typer.Option(
        "none", "--protein-weights", help="Protein standard-curve weighting: none or 1/y2."
    ),
    protein_max_cv: str | None = typer.Option(
        None, "--protein-max-cv", help="Protein samples: replicate CV flagged above (0.15)."
    ),
    hot_substrate: str | None = typer.Option(
        None,
        "--hot-substrate",
        help="Labelled substrate conc. when higher [S] were made with unlabelled substrate.",
    ),
    nonspecific: str = typer.Option("auto", help="auto, linear or per_conc."),
    efficiency: str | None = EFFICIENCY_OPTION,
    counts: str = typer.Option("auto", "--counts", help="Counts to use: auto, dpm or cpm."),
    target: str = typer.Option("NET", help="Target name where the layout has none."),
    weighting: str = typer.Option(
        "auto",
        help="auto (Poisson + proportional variance of the counts), counts, relative (1/Y^2) "
        "or none.",
    ),
    format: str = typer.Option("auto", "--format", help="Plate file format (default: detect)."),
    temperature: str | None = TEMPERATURE_OPTION,
    buffer: str | None = BUFFER_OPTION,
    filters: str | None = FILTERS_OPTION,
    wash: str | None = WASH_OPTION,
    replicates: int | None = REPLICATES_OPTION,
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    name: str = typer.Option("kinetics", help=_NAME_HELP),
) -> None:
    """Analyse a substrate-saturation experiment: Km and Vmax of specific uptake with CIs.

    Runs as a one-section study: the same analysis, tables and file names as an
    [[uptake]] section (mode = "kinetics") of `pdstudy run`.
    """
    with errors():
        sa = required(specific_activity, "specific_activity", "--specific-activity")
        t_s = required(incubation, "time", "--incubation")
        hot = quantity(hot_substrate, "concentration", "--hot-substrate")
        eff = fraction(efficiency, "--efficiency")
        if nonspecific not in ("auto", "linear", "per_conc"):
            raise UsageError(
                f"{nonspecific!r}: use auto, linear or per_conc", where="option --nonspecific"
            )
        choice("uptake", "weighting", weighting, "--weighting")
        choice("uptake", "counts", counts, "--counts")
        prot = _protein_values(
            protein,
            protein_plate,
            protein_layout,
            protein_sample,
            suspension_volume,
            protein_format,
            protein_model,
            protein_weights,
            protein_max_cv,
        )
        values = {
            "exclude": exclude_values("uptake", exclude),
            "mode": "kinetics",
            "target": target,
            "format": format,
            "substrate": substrate,
            "specific_activity": sa,
            "incubation": t_s,
            "hot_substrate_conc": hot,
            "nonspecific": nonspecific,
            "efficiency": eff,
            "counts": counts,
            "weighting": weighting,
            **procedure_values(
                temperature=temperature,
                buffer=buffer,
                filters=filters,
                wash=wash,
                replicates=replicates,
            ),
        }
        res = _run(values, prot, plates, layout, out, name)
        _print_kinetics(res, out)


def _print_kinetics(res: Any, out: Path) -> None:
    from pdstudy.units import format_conc_ci as conc_with_ci

    t = Table(title="uptake kinetics (specific uptake)")
    for col in ("experiment", "Km (95 % CI)", "Vmax pmol/mg/min (95 % CI)", "status", "flags"):
        t.add_column(col)
    for rk in res.curves.to_dict("records"):
        t.add_row(
            str(rk["experiment"]),
            conc_with_ci(rk["km_M"], rk["km_ci_low_M"], rk["km_ci_high_M"]),
            f"{rk['vmax_pmol_per_mg_per_min']:.3g} ({rk['vmax_ci_low']:.3g}–"
            f"{rk['vmax_ci_high']:.3g})",
            str(rk["status"]),
            str(rk["flags"]).replace(";", ", "),
        )
    console.print(t)
    console.print(f"[green]results written to[/green] {out}", highlight=False)
