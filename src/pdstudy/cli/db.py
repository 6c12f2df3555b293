"""``pdstudy db``: the results store (studies, results, pooled Ki, audit trail, exclusions).

Every command takes ``--db URL`` (a SQLite path or a SQLAlchemy URL such as
``postgresql+psycopg://lab@dbhost/pdstudy``), else ``$PDSTUDY_DB``, else
``./pdstudy.db``. Exit codes: 0 success, 1 a store problem (no store, a broken
audit chain), 2 a usage error (bad ID, no reason).
"""

from __future__ import annotations

import json
import math
import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdstudy.cli._shared import errors as _errors

if TYPE_CHECKING:  # pandas is imported where a command needs it (a fast --help)
    import pandas as pd

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()

DB_OPTION = typer.Option(
    None,
    "--db",
    envvar="PDSTUDY_DB",
    help="The store: a SQLite path or a database URL (default ./pdstudy.db).",
)

#: value columns shown in the results table when present (all are in --csv)
SHOWN = (
    "ki_M",
    "ki_ci_low_M",
    "ki_ci_high_M",
    "pki",
    "ic50_M",
    "kd_M",
    "pkd",
    "bmax_fmol_per_mg",
    "km_M",
    "vmax_pmol_per_mg_per_min",
    "protein_mg_per_mL",
    "flags",
)


def _open(db: str | None) -> Any:
    from pdstudy.store import open_store

    return open_store(db, create=False)


def _cell(column: str, value: Any) -> str:
    from pdstudy.report.format import format_value

    if isinstance(value, float) and math.isnan(value):
        value = None
    return escape(format_value(column, value))


def _print_frame(frame: pd.DataFrame, columns: list[str], title: str | None = None) -> None:
    table = Table(title=escape(title) if title else None, show_header=True)
    for c in columns:
        table.add_column(c)
    for rec in frame.to_dict(orient="records"):
        table.add_row(*(_cell(c, rec.get(c)) for c in columns))
    console.print(table)


@app.command("studies")
def studies_cmd(db: str | None = DB_OPTION) -> None:
    """List the studies in the store, with their experiments and analyses."""
    from pdstudy.store import studies

    with _errors(), _open(db) as store:
        frame = studies(store)
    _print_frame(frame, list(frame.columns), "studies")


@app.command("results")
def results_cmd(
    compound: str | None = typer.Option(None, "--compound", help="Only this compound."),
    target: str | None = typer.Option(None, "--target", help="Only this target (NET, SERT...)."),
    assay: str | None = typer.Option(None, "--assay", help="Only this assay kind (binding...)."),
    study: str | None = typer.Option(None, "--study", help="Only this study (its name)."),
    all_: bool = typer.Option(
        False, "--all", help="Also the results of superseded analyses (re-analysed since)."
    ),
    csv: bool = typer.Option(False, "--csv", help="Print CSV (every column) instead of a table."),
    db: str | None = DB_OPTION,
) -> None:
    """Result rows (one per curve, sample or animal), with their experiment and exclusion."""
    from pdstudy.store import results

    with _errors(), _open(db) as store:
        frame = results(
            store,
            compound=compound,
            target=target,
            assay=assay,
            study=study,
            include_superseded=all_,
        )
    if csv:
        frame.to_csv(sys.stdout, index=False)
        return
    if frame.empty:
        console.print("no results match")
        return
    base = ["result_id", "experiment_id", "study", "section", "compound", "target", "experiment"]
    base += ["status", "excluded"] + (["current"] if all_ else [])
    cols = base + [c for c in SHOWN if c in frame.columns and frame[c].notna().any()]
    _print_frame(frame, [c for c in cols if c in frame.columns], f"{len(frame)} result(s)")


@app.command("ki")
def ki_cmd(
    compound: str = typer.Option(..., "--compound", help="The compound."),
    target: str | None = typer.Option(None, "--target", help="Only this target."),
    assay: str = typer.Option("binding", "--assay", help="The assay kind whose Ki is pooled."),
    db: str | None = DB_OPTION,
) -> None:
    """Mean pKi +/- SEM, n and geometric-mean Ki (95 % CI) over independent experiments."""
    from pdstudy.store import pooled_ki
    from pdstudy.units import format_estimate

    with _errors(), _open(db) as store:
        summary = pooled_ki(store, compound, target, assay=assay)
    if summary.experiments.empty:
        console.print(f"no {escape(assay)} results of {escape(compound)} in the store")
        raise typer.Exit(0)
    for rec in summary.pooled.to_dict(orient="records"):
        n = int(rec["n"])
        sem = rec["pki_sem"]
        sem_text = "" if n < 2 else f" ± {_cell('pki_sem', sem)} (SEM)"
        console.print(
            f"[bold]{escape(compound)} at {escape(str(rec['target']))}[/bold]: "
            f"pKi {_cell('pki', rec['pki_mean'])}{sem_text}, n = {n}; "
            + escape(
                format_estimate(
                    float(rec["ki_M"]), float(rec["ki_ci_low_M"]), float(rec["ki_ci_high_M"])
                )
            )
            + (" (geometric mean)" if n > 1 else " (one experiment: its own fitted CI)")
        )
    pooled_targets = set(summary.pooled["target"].astype(str))
    for tgt, sub in summary.experiments.groupby("target", sort=False):
        if str(tgt) in pooled_targets:
            continue
        reasons = sorted(set(sub.loc[sub["excluded"].astype(bool), "exclusion_reason"]))
        why = f" (excluded: {'; '.join(reasons)})" if reasons else ""
        console.print(
            f"[bold]{escape(compound)} at {escape(str(tgt))}[/bold]: "
            f"no usable, non-excluded experiment to pool{escape(why)}"
        )
    # the experiments as the store's query gives them, without its internal ids
    cols = [c for c in summary.experiments.columns if c not in ("result_id", "analysis_id")]
    _print_frame(summary.experiments, cols, "the experiments behind it")


@app.command("history")
def history_cmd(
    result_id: int = typer.Argument(..., help="The result's id (`pdstudy db results`)."),
    db: str | None = DB_OPTION,
) -> None:
    """The audit trail of one result: its experiment, every analysis of it, any exclusion."""
    from pdstudy.store import history

    with _errors(), _open(db) as store:
        info, frame = history(store, result_id)
    values = info.pop("values")
    for k, v in info.items():
        console.print(f"{k}: {escape(str(v))}")
    shown = {k: v for k, v in values.items() if k in SHOWN or k in ("pki_ci_low", "pki_ci_high")}
    if shown:
        console.print("values: " + ", ".join(f"{k} {_cell(k, v)}" for k, v in shown.items()))
    table = Table(title="audit trail", show_header=True)
    for c in ("audit_id", "created_at", "user", "action", "analysis_id", "detail"):
        table.add_column(c)
    for rec in frame.to_dict(orient="records"):
        detail = json.loads(rec["detail"])
        detail.pop("files", None)
        table.add_row(
            str(rec["audit_id"]),
            escape(rec["created_at"]),
            escape(rec["user"]),
            escape(rec["action"]),
            "" if _missing(rec["analysis_id"]) else str(int(rec["analysis_id"])),
            escape(", ".join(f"{k}={v}" for k, v in detail.items() if v not in (None, ""))),
        )
    console.print(table)


@app.command("exclude")
def exclude_cmd(
    experiment_id: int = typer.Argument(..., metavar="ID", help="The experiment's id."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    db: str | None = DB_OPTION,
) -> None:
    """Exclude an experiment from aggregation, by a recorded decision with a reason."""
    from pdstudy.store import exclude_experiment

    with _errors(), _open(db) as store:
        xid = exclude_experiment(store, experiment_id, reason)
    console.print(f"experiment {experiment_id} excluded (exclusion {xid}): {escape(reason)}")


@app.command("verify")
def verify_cmd(db: str | None = DB_OPTION) -> None:
    """Recompute the audit log's hash chain and the hashes it vouches for.

    Exit code 0: intact; 1: the first row that does not match is named.
    """
    from pdstudy.store import verify

    with _errors(), _open(db) as store:
        n, problems = verify(store)
    if problems:
        console.print(
            f"[red]the store does not match its audit log[/red]: first: {escape(str(problems[0]))}"
        )
        for p in problems[1:]:
            console.print(f"  also: {escape(str(p))}")
        raise typer.Exit(1)
    console.print(f"audit log intact: {n} row(s), every hash matches")


@app.command("upgrade")
def upgrade_cmd(db: str | None = DB_OPTION) -> None:
    """Create the store or bring its schema to this pdstudy's revision, in place."""
    from pdstudy.store import upgrade

    with _errors():
        before, after = upgrade(db)
    if before == after:
        console.print(f"the store is at revision {after}, the newest")
    else:
        console.print(f"store upgraded: revision {before or '(new store)'} -> {after}")


def _missing(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))
