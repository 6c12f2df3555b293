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
    PROTEIN_CYCLE_OPTION,
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
    plate_format_help,
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
    protein_cycle: int | None = None,
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
    choice("uptake", "protein_model", protein_model, "--protein-model")
    choice("uptake", "protein_weights", protein_weights, "--protein-weights")
    if protein is not None:
        if protein_cycle is not None:
            raise UsageError(
                "--protein-cycle is the read of a kinetic --protein-plate; with --protein "
                "there is no protein plate",
                where="option --protein-cycle",
            )
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
        "protein_cycle": protein_cycle,
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
    specific_activity: str = typer.Option(
        "40 Ci/mmol", "--specific-activity", help="Specific activity of the labelled substrate."
    ),
    hot_substrate: str | None = typer.Option(
        None,
        "--hot-substrate",
        help='Kinetics: labelled substrate conc., e.g. "20 nM" (isotope dilution above it).',
    ),
    cv: float = typer.Option(0.05, help="Proportional well-to-well CV."),
    outliers: int = typer.Option(0, help="Wild wells per plate."),
    format: str = typer.Option(
        "microbeta", "--format", help=plate_format_help("microbeta", names=list(PLATE_EXT))
    ),
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


_NAME_HELP = "Section name (output file names: results/uptake1_<name>.csv ...)."

# The options that analyze and kinetics share: one definition, the same text on both.
_PLATES_ARG: Any = typer.Argument(..., help="Plate files (one experiment each).")
_OUT_OPTION: Any = typer.Option(..., "--out", help="Folder for results/ and figures/.")
_SUBSTRATE_OPTION: Any = typer.Option(
    "[3H]norepinephrine", help="Labelled substrate (Methods text)."
)
_SPECIFIC_ACTIVITY_OPTION: Any = typer.Option(
    ...,
    "--specific-activity",
    help='Specific activity of the labelled substrate, e.g. "40 Ci/mmol" or "1.48 TBq/mmol".',
)
_INCUBATION_OPTION: Any = typer.Option(..., "--incubation", help='Uptake time, e.g. "5 min".')
_PROTEIN_OPTION: Any = typer.Option(
    None, "--protein", help='Protein per well, e.g. "50 ug" (or use --protein-plate).'
)
_PROTEIN_PLATE_OPTION: Any = typer.Option(
    None, "--protein-plate", help="A BCA/Bradford plate of the synaptosome preparation."
)
_PROTEIN_LAYOUT_OPTION: Any = typer.Option(
    None, "--protein-layout", help="Layout of --protein-plate (blank, standard, sample wells)."
)
_PROTEIN_SAMPLE_OPTION: Any = typer.Option(
    None,
    "--protein-sample",
    help="The preparation's sample name on --protein-plate (needed when it holds several).",
)
_SUSPENSION_VOLUME_OPTION: Any = typer.Option(
    None,
    "--suspension-volume",
    help='Synaptosome suspension per well, e.g. "100 uL" (with --protein-plate).',
)
_PROTEIN_FORMAT_OPTION: Any = typer.Option(
    "auto", "--protein-format", help=f"Format of --protein-plate. {plate_format_help()}"
)
_PROTEIN_MODEL_OPTION: Any = typer.Option(
    "auto", "--protein-model", help="Protein standard curve: auto, linear, quadratic or four_pl."
)
_PROTEIN_WEIGHTS_OPTION: Any = typer.Option(
    "auto",
    "--protein-weights",
    help="Protein standard-curve weighting: auto (the variance model the standards' "
    "residuals support), none or 1/y2.",
)
_PROTEIN_MAX_CV_OPTION: Any = typer.Option(
    None,
    "--protein-max-cv",
    help='Protein samples: replicate CV above which one is flagged, e.g. "0.15" or "15 %" '
    "(default 0.15).",
)
_COUNTS_OPTION: Any = typer.Option(
    "auto", "--counts", help="Counts to use: auto (DPM when every well has them), dpm or cpm."
)
_TARGET_OPTION: Any = typer.Option("NET", help="Target name where the layout has none.")
_FORMAT_OPTION: Any = typer.Option("auto", "--format", help=plate_format_help())


def _common_values(
    mode: str,
    *,
    target: str,
    format: str,
    cycle: int | None,
    substrate: str,
    specific_activity: str,
    incubation: str,
    efficiency: str | None,
    counts: str,
    exclude: list[str],
    temperature: str | None,
    buffer: str | None,
    filters: str | None,
    wash: str | None,
    replicates: int | None,
) -> dict[str, Any]:
    """The ``[[uptake]]`` keys that analyze and kinetics share, parsed (errors name the option)."""
    choice("uptake", "counts", counts, "--counts")
    return {
        "exclude": exclude_values("uptake", exclude),
        "mode": mode,
        "target": target,
        "format": format,
        "cycle": cycle,
        "substrate": substrate,
        "specific_activity": required(
            specific_activity, "specific_activity", "--specific-activity"
        ),
        "incubation": required(incubation, "time", "--incubation"),
        "efficiency": fraction(efficiency, "--efficiency"),
        "counts": counts,
        **procedure_values(
            temperature=temperature,
            buffer=buffer,
            filters=filters,
            wash=wash,
            replicates=replicates,
        ),
    }


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
    plates: list[Path] = _PLATES_ARG,
    layout: Path = typer.Option(..., "--layout", help="Plate layout (wellmap TOML)."),
    out: Path = _OUT_OPTION,
    substrate_conc: str | None = typer.Option(
        None, "--substrate-conc", help='Final substrate conc., e.g. "20 nM" (default: layout).'
    ),
    km: str | None = typer.Option(
        None, "--km", help='Substrate Km, e.g. "0.3 uM" (default: layout).'
    ),
    substrate: str = _SUBSTRATE_OPTION,
    specific_activity: str = _SPECIFIC_ACTIVITY_OPTION,
    incubation: str = _INCUBATION_OPTION,
    protein: str | None = _PROTEIN_OPTION,
    protein_plate: Path | None = _PROTEIN_PLATE_OPTION,
    protein_layout: Path | None = _PROTEIN_LAYOUT_OPTION,
    protein_sample: str | None = _PROTEIN_SAMPLE_OPTION,
    suspension_volume: str | None = _SUSPENSION_VOLUME_OPTION,
    protein_format: str = _PROTEIN_FORMAT_OPTION,
    protein_model: str = _PROTEIN_MODEL_OPTION,
    protein_weights: str = _PROTEIN_WEIGHTS_OPTION,
    protein_max_cv: str | None = _PROTEIN_MAX_CV_OPTION,
    protein_cycle: int | None = PROTEIN_CYCLE_OPTION,
    efficiency: str | None = EFFICIENCY_OPTION,
    counts: str = _COUNTS_OPTION,
    target: str = _TARGET_OPTION,
    rout: bool = typer.Option(
        False,
        "--rout/--no-rout",
        help="ROUT outlier removal (Q = 1 %; off by default, as in Prism).",
    ),
    two_site: bool = typer.Option(
        False, "--two-site/--no-two-site", help="Also compare a two-site fit."
    ),
    weighting: str = typer.Option("auto", help="auto, counts, relative or none."),
    model: str = MODEL_OPTION,
    fix_hill: float | None = FIX_HILL_OPTION,
    fix_top: float | None = FIX_TOP_OPTION,
    fix_bottom: float | None = FIX_BOTTOM_OPTION,
    confidence: str = CONFIDENCE_OPTION,
    max_nonspecific_fraction: str = typer.Option(
        "0.8",
        "--max-nonspecific-fraction",
        help='QC: nonspecific / control above this is flagged, e.g. "0.8" or "80 %".',
    ),
    max_cv: str = typer.Option(
        "0.2", "--max-cv", help='QC: replicate CV above this is flagged, e.g. "0.2" or "20 %".'
    ),
    min_z_prime: float = typer.Option(0.2, "--min-z-prime", help="QC: Z' below this is flagged."),
    format: str = _FORMAT_OPTION,
    cycle: int | None = CYCLE_OPTION,
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
    [\\[uptake]] section (mode = "inhibition") of `pdstudy run`.
    """
    with errors():
        common = _common_values(
            "inhibition",
            target=target,
            format=format,
            cycle=cycle,
            substrate=substrate,
            specific_activity=specific_activity,
            incubation=incubation,
            efficiency=efficiency,
            counts=counts,
            exclude=exclude,
            temperature=temperature,
            buffer=buffer,
            filters=filters,
            wash=wash,
            replicates=replicates,
        )
        choice("uptake", "weighting", weighting, "--weighting")
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
            protein_cycle,
        )
        values = {
            **common,
            "substrate_conc": quantity(substrate_conc, "concentration", "--substrate-conc"),
            "km": quantity(km, "concentration", "--km"),
            "rout": rout,
            "two_site": two_site,
            "weighting": weighting,
            **fit_values("uptake", model, fix_hill, fix_top, fix_bottom, confidence),
            "max_nonspecific_fraction": fraction(
                max_nonspecific_fraction, "--max-nonspecific-fraction"
            ),
            "max_cv": fraction(max_cv, "--max-cv"),
            "min_z_prime": min_z_prime,
            "exclude_z_below": exclude_z_below,
        }
        res = _run(values, prot, plates, layout, out, name)
        if not len(res.curves):
            raise PdStudyError("no competition wells (role = 'competition') to fit", layout)
        _print_uptake(res, res.tables["aggregate"], out)


def _print_uptake(res: Any, summary: Any, out: Path) -> None:
    from pdstudy.assays.curve_options import ci_words
    from pdstudy.units import format_conc_ci as conc_with_ci

    ci = ci_words(res.level)
    t = Table(title=f"uptake inhibition ({res.settings.get('protein', '')})")
    for col in (
        "experiment",
        "compound",
        f"IC50 ({ci})",
        f"Ki ({ci})",
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
        for col in ("compound", "target", "n", "pKi mean ± SEM", f"Ki geomean ({ci})"):
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
    plates: list[Path] = _PLATES_ARG,
    layout: Path = typer.Option(
        ..., "--layout", help="Layout: total and nsb wells, conc = substrate concentration."
    ),
    out: Path = _OUT_OPTION,
    substrate: str = _SUBSTRATE_OPTION,
    specific_activity: str = _SPECIFIC_ACTIVITY_OPTION,
    incubation: str = _INCUBATION_OPTION,
    protein: str | None = _PROTEIN_OPTION,
    protein_plate: Path | None = _PROTEIN_PLATE_OPTION,
    protein_layout: Path | None = _PROTEIN_LAYOUT_OPTION,
    protein_sample: str | None = _PROTEIN_SAMPLE_OPTION,
    suspension_volume: str | None = _SUSPENSION_VOLUME_OPTION,
    protein_format: str = _PROTEIN_FORMAT_OPTION,
    protein_model: str = _PROTEIN_MODEL_OPTION,
    protein_weights: str = _PROTEIN_WEIGHTS_OPTION,
    protein_max_cv: str | None = _PROTEIN_MAX_CV_OPTION,
    protein_cycle: int | None = PROTEIN_CYCLE_OPTION,
    hot_substrate: str | None = typer.Option(
        None,
        "--hot-substrate",
        help="Labelled substrate conc. when higher [S] were made with unlabelled substrate, "
        'e.g. "20 nM".',
    ),
    nonspecific: str = typer.Option(
        "auto", help="Nonspecific rate: auto, linear (a line through [S]) or per_conc."
    ),
    efficiency: str | None = EFFICIENCY_OPTION,
    counts: str = _COUNTS_OPTION,
    target: str = _TARGET_OPTION,
    weighting: str = typer.Option(
        "auto",
        help="auto (Poisson + proportional variance of the counts), counts, relative (1/Y^2) "
        "or none.",
    ),
    confidence: str = CONFIDENCE_OPTION,
    format: str = _FORMAT_OPTION,
    cycle: int | None = CYCLE_OPTION,
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
    [\\[uptake]] section (mode = "kinetics") of `pdstudy run`.
    """
    with errors():
        common = _common_values(
            "kinetics",
            target=target,
            format=format,
            cycle=cycle,
            substrate=substrate,
            specific_activity=specific_activity,
            incubation=incubation,
            efficiency=efficiency,
            counts=counts,
            exclude=exclude,
            temperature=temperature,
            buffer=buffer,
            filters=filters,
            wash=wash,
            replicates=replicates,
        )
        choice("uptake", "nonspecific", nonspecific, "--nonspecific")
        choice("uptake", "weighting", weighting, "--weighting")
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
            protein_cycle,
        )
        values = {
            **common,
            "hot_substrate_conc": quantity(hot_substrate, "concentration", "--hot-substrate"),
            "nonspecific": nonspecific,
            "weighting": weighting,
            "confidence": confidence_value(confidence),
        }
        res = _run(values, prot, plates, layout, out, name)
        _print_kinetics(res, out)


def _print_kinetics(res: Any, out: Path) -> None:
    from pdstudy.assays.curve_options import ci_words
    from pdstudy.units import format_conc_ci as conc_with_ci

    ci = ci_words(getattr(res, "level", 0.95))
    t = Table(title="uptake kinetics (specific uptake)")
    for col in ("experiment", f"Km ({ci})", f"Vmax pmol/mg/min ({ci})", "status", "flags"):
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
