"""``pdstudy dialysis``: in vivo microdialysis from HPLC-ED chromatograms.

``analyze`` runs as a one-section study: the same analysis, tables and file
names as a ``[[microdialysis]]`` section of ``pdstudy run``. ``simulate``
writes a simulated experiment (chromatograms, sequence and method files).

Exit codes: 0 success, 1 the analysis failed, 2 a usage error (bad option, missing file).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pdstudy.cli._shared import EXCLUDE_HELP, UsageError, errors, exclude_values, run_one
from pdstudy.units import parse_quantity

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()


def _quantity(text: str | None, dimension: str, option: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_quantity(text, dimension, where=f"option {option}")
    except ValueError as exc:
        raise UsageError(str(exc), where=f"option {option}") from None


def _fraction(value: float | None, option: str, *, required: bool = False) -> float | None:
    if value is None:
        return None
    if not (math.isfinite(value) and 0 < value <= 1):
        raise UsageError(f"{value}: must be a fraction in (0, 1]", where=f"option {option}")
    return value


@app.command()
def analyze(
    sequence: Path = typer.Option(
        ..., "--sequence", help="Sequence table (CSV/XLSX), one row per injection."
    ),
    method: Path = typer.Option(
        ..., "--method", help="HPLC method (TOML): analyte windows, sampling, processing."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for results/ and figures/."),
    baseline_samples: int = typer.Option(
        3,
        "--baseline-samples",
        min=1,
        help="Last k pre-dose samples that make each animal's baseline.",
    ),
    baseline_tolerance: float = typer.Option(
        0.2, "--baseline-tolerance", help="Each baseline sample within this fraction of their mean."
    ),
    recovery: float | None = typer.Option(
        None,
        "--recovery",
        help="In vitro probe recovery (fraction); concentrations are divided by it.",
    ),
    auc_start: str = typer.Option(
        "0 min", "--auc-start", help="Start of the AUC window after the dose."
    ),
    auc_end: str | None = typer.Option(
        None,
        "--auc-end",
        help='End of the AUC window after the dose, e.g. "180 min" (default: the last sample).',
    ),
    control: str | None = typer.Option(
        None, "--control", help="Control group (default: vehicle when present)."
    ),
    flow: str | None = typer.Option(
        None, "--flow", help="Perfusion flow, e.g. '1.5 uL/min' (overrides the method)."
    ),
    interval: str | None = typer.Option(
        None, "--interval", help="Sampling interval, e.g. '20 min' (overrides the method)."
    ),
    time_unit: str = typer.Option(
        "min", "--time-unit", help="Time unit of two-column files without one: min or s."
    ),
    exclude_unstable_baseline: bool = typer.Option(
        False,
        "--exclude-unstable-baseline/--keep-unstable-baseline",
        help="Exclude an animal whose baseline is unstable (listed as an exclusion).",
    ),
    exclude: list[str] = typer.Option([], "--exclude", help=EXCLUDE_HELP),
    name: str = typer.Option("microdialysis", help="Section name (output file names)."),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        envvar="PDSTUDY_SCHEDULER",
        help="A dask.distributed scheduler (tcp://host:8786): integrate the chromatograms "
        "as tasks on that cluster (needs pdstudy\\[cluster]; see docs/cluster.md).",
    ),
) -> None:
    """Quantify every injection, normalise each animal to its baseline, compare groups.

    Runs as a one-section study: the same analysis, tables and file names as a
    [\\[microdialysis]] section of `pdstudy run`.
    """
    with errors():
        if time_unit not in ("min", "s"):
            raise UsageError(f"{time_unit!r}: use min or s", where="option --time-unit")
        values = {
            "sequence": sequence,
            "method": method,
            "baseline_samples": baseline_samples,
            "baseline_tolerance": _fraction(baseline_tolerance, "--baseline-tolerance"),
            "recovery": _fraction(recovery, "--recovery"),
            "auc_start": _quantity(auc_start, "time", "--auc-start"),
            "auc_end": _quantity(auc_end, "time", "--auc-end"),
            "control": control,
            "flow": _quantity(flow, "flow", "--flow"),
            "interval": _quantity(interval, "time", "--interval"),
            "time_unit": time_unit,
            "exclude_unstable_baseline": exclude_unstable_baseline,
            "exclude": exclude_values("microdialysis", exclude),
        }
        files = {"option --sequence": [sequence], "option --method": [method]}
        from rich.progress import Progress

        if scheduler:
            from pdstudy.study.cluster import cluster_map

            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("chromatogram batches", total=None)
                with cluster_map(
                    scheduler, on_task=lambda done, n: bar.update(task, completed=done, total=n)
                ) as (mapper, _):
                    outcome = run_one(
                        "microdialysis", values, out, name=name, files=files, map=mapper
                    )
        else:
            from pdstudy.assays.microdialysis.analysis import reporting_progress

            # a bar over the batch of chromatograms, on stderr, gone when the batch is done
            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("chromatograms", total=None)
                with reporting_progress(lambda done, n: bar.update(task, completed=done, total=n)):
                    outcome = run_one(
                        "microdialysis",
                        values,
                        out,
                        name=name,
                        files={"option --sequence": [sequence], "option --method": [method]},
                    )
        res = outcome.result
        for line in res.summary().splitlines():
            console.print(line, highlight=False)
        if len(res.auc):
            t = Table(title="per group (mean)")
            for col in ("analyte", "group", "n", "Emax % baseline", "AUC % x min"):
                t.add_column(col)
            for (g, a), part in res.auc.groupby(["group", "analyte"]):
                t.add_row(
                    str(a),
                    str(g),
                    str(len(part)),
                    f"{part['emax_pct'].mean():.0f}",
                    f"{part['auc_pct_min'].mean():.0f}",
                )
            console.print(t)
        console.print(f"[green]results written to[/green] {out}", highlight=False)


@app.command()
def simulate(
    out: Path = typer.Option(
        ..., "--out", help="Folder for the chromatograms, sequence.csv and method.toml."
    ),
    animals: int = typer.Option(4, "--animals", min=2, help="Animals per group."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulation."),
) -> None:
    """Write a simulated experiment (vehicle and drug) in the formats `analyze` reads."""
    from pdstudy.simulate.chromatograms import DialysisDesign, simulate_dialysis_experiment

    with errors():
        truth = simulate_dialysis_experiment(
            out, design=DialysisDesign(animals_per_group=animals), seed=seed
        )
        truth.to_csv(out / "truth.csv", index=False)
        console.print(
            f"{truth['file'].nunique()} chromatograms, sequence.csv and method.toml written to {out}",
            highlight=False,
        )


@app.command()
def design(
    out: Path = typer.Option(..., "--out", help="CSV file of the schedule (one row per sample)."),
    stabilisation: str = typer.Option(
        "120 min", "--stabilisation", help="Perfusion before the first baseline sample."
    ),
    baseline_samples: int = typer.Option(
        3, "--baseline-samples", help="Baseline samples before the dose."
    ),
    interval: str = typer.Option("20 min", "--interval", help="Length of each sample."),
    dose_delay: str = typer.Option(
        "0 min", "--dose-delay", help="From the end of the last baseline sample to the dose."
    ),
    post_samples: int = typer.Option(9, "--post-samples", help="Samples from the dose on."),
    flow: str = typer.Option("1.5 uL/min", "--flow", help="Perfusion flow."),
) -> None:
    """The sampling schedule (times relative to the dose, sample volumes) as a table and CSV."""
    from pdstudy.assays.microdialysis.design import sampling_schedule

    with errors():
        minutes = {
            o: (_quantity(v, "time", o) or 0.0) / 60.0
            for o, v in (
                ("--stabilisation", stabilisation),
                ("--interval", interval),
                ("--dose-delay", dose_delay),
            )
        }
        flow_L_s = _quantity(flow, "flow", "--flow") or 0.0
        plan = sampling_schedule(
            minutes["--stabilisation"],
            baseline_samples,
            minutes["--interval"],
            minutes["--dose-delay"],
            post_samples,
            flow_L_s * 1e6 * 60.0,
            names={
                "stabilisation_min": "option --stabilisation",
                "n_baseline": "option --baseline-samples",
                "interval_min": "option --interval",
                "dose_after_baseline": "option --dose-delay",
                "n_post": "option --post-samples",
                "flow_uL_min": "option --flow",
            },
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        plan.to_csv(out, index=False)
        t = Table(title="sampling schedule (min relative to the dose)")
        for col in plan.columns:
            t.add_column(col)
        for r in plan.itertuples(index=False):
            t.add_row(*[f"{v:g}" if isinstance(v, float) else str(v) for v in r])
        console.print(t)
        console.print(
            f"perfusion starts at {plan.attrs['perfusion_start_min']:g} min; "
            f"schedule written to {out}",
            highlight=False,
        )
