"""``pdstudy profile COMPOUND``: Ki table, selectivity, occupancy at an exposure, liabilities."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdstudy.errors import PdStudyError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PROFILE_TEMPLATE", "profile_at", "register", "write_template"]

#: a profile file to fill in (``pdstudy profile NAME --template FILE``); it reads as it is
PROFILE_TEMPLATE = """\
# Target-affinity profile of {compound}: one [[target]] table per target.
# Fill in every value; Ki with its unit, the source of every number, and its status:
# verified (primary source checked), approximate, or vendor-reported.
# Format: docs/profile-and-synapse.md. Use it with:
#   pdstudy profile {file} --free "0.3 nM"    or    profile = "{file}" in [study]
compound = "{compound}"
mw_g_per_mol = 300.0          # molecular weight of the free base (g/mol)

[[target]]
target = "NET"
ki = "1 nM"                   # e.g. "0.32 nM", "1.2 µM"
species = "human"
assay = "radioligand binding"
source = "FILL IN: reference (author year, journal) or internal experiment id"
status = "approximate"

[[target]]
target = "SERT"
ki = "100 nM"
species = "human"
assay = "radioligand binding"
source = "FILL IN"
status = "approximate"

[[target]]
target = "DAT"
ki = "1 µM"
species = "human"
assay = "radioligand binding"
source = "FILL IN"
status = "approximate"
"""


def write_template(path: Path, compound: str) -> Path:
    """Write :data:`PROFILE_TEMPLATE` for ``compound`` to ``path`` (refuses to overwrite)."""
    from pdstudy.errors import UsageError

    if path.exists():
        raise UsageError(f"{path} exists; give another file name for the template")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROFILE_TEMPLATE.format(compound=compound, file=path.name), encoding="utf-8")
    return path


_PROFILE_SUFFIXES = (".csv", ".toml")


def _load(compound: str) -> pd.DataFrame:
    from pdstudy.data import load_profile
    from pdstudy.io.profiles import read_profile

    if compound.lower().endswith(_PROFILE_SUFFIXES) or "/" in compound or "\\" in compound:
        return read_profile(Path(compound))
    return load_profile(compound)


def profile_at(
    compound: str,
    *,
    conc: str | None = None,
    fu: str | None = None,
    free: str | None = None,
    mw: float | None = None,
) -> tuple[pd.DataFrame, float, str]:
    """The profile of ``compound`` and the free concentration of the options.

    Returns ``(profile frame, free concentration (M), how it was obtained)``.

    Raises
    ------
    PdStudyError
        Missing or contradictory options (UsageError), bad units, an unknown compound.
    """
    from pdstudy.errors import UsageError
    from pdstudy.pharmacology import free_concentration, molecular_weight
    from pdstudy.units import format_conc, parse_quantity

    frame = _load(compound)
    if (conc is None) == (free is None):
        raise UsageError(
            'give --conc "200 ng/mL" with --fu 0.02 (total plasma), or --free "0.3 nM"'
        )
    if free is not None:
        if fu is not None:
            raise UsageError("--fu applies to --conc only; --free is already unbound")
        cu = parse_quantity(free, "concentration", where="--free")
        return frame, cu, f"free concentration {format_conc(cu)} (given)"
    if fu is None:
        raise UsageError(
            "--conc is a total concentration: give the unbound fraction --fu (e.g. 0.02)"
        )
    f = parse_quantity(fu, "fraction", where="--fu")
    if not 0 < f <= 1:
        raise UsageError(f"--fu {fu!r} must be a fraction in (0, 1]")
    assert conc is not None
    try:
        total_g_per_L = parse_quantity(conc, "mass_concentration", where="--conc")
    except PdStudyError:
        total_M = parse_quantity(conc, "concentration", where="--conc")
        e = free_concentration(plasma_M=total_M, fu=f)
        return frame, e.free_M, f"total {conc} x fu {f:g}"
    weight = mw if mw is not None else molecular_weight(frame)
    e = free_concentration(plasma_g_per_L=total_g_per_L, fu=f, mw_g_per_mol=weight)
    return frame, e.free_M, f"total {conc} x fu {f:g} / MW {weight:g} g/mol"


def register(app: typer.Typer) -> None:
    """Add the ``profile`` command to the main app."""

    @app.command("profile")
    def profile(
        compound: str = typer.Argument(
            ...,
            help="A shipped profile (e.g. norclomipramine, clomipramine) or a profile CSV/TOML.",
        ),
        conc: str | None = typer.Option(
            None, "--conc", help='Total plasma concentration, e.g. "200 ng/mL" or "650 nM".'
        ),
        fu: str | None = typer.Option(None, "--fu", help='Unbound fraction, e.g. 0.02 or "2 %".'),
        free: str | None = typer.Option(
            None, "--free", help='Unbound concentration at the targets, e.g. "0.3 nM".'
        ),
        mw: float | None = typer.Option(
            None, "--mw", help="Molecular weight (g/mol); default: the profile's."
        ),
        reference: str = typer.Option(
            "NET", "--reference", help="Target of the selectivity ratios."
        ),
        threshold: float = typer.Option(
            0.5,
            "--threshold",
            min=0.0,
            max=1.0,
            help="Occupancy above which a target enters the liability table.",
        ),
        out: Path | None = typer.Option(
            None, "--out", help="Folder for profile.csv, liabilities.csv and the occupancy figure."
        ),
        template: Path | None = typer.Option(
            None,
            "--template",
            help="Write a profile file for COMPOUND to fill in (TOML) to this path, and exit.",
        ),
    ) -> None:
        """Print the Ki table, selectivity, occupancy per target and the liability table."""
        from pdstudy.pharmacology import compute_profile, liability_table, plot_occupancy
        from pdstudy.report.format import format_value
        from pdstudy.units import format_conc

        console = Console()
        if template is not None:
            try:
                written = write_template(template, compound)
            except PdStudyError as err:
                console.print(f"[red]error:[/red] {escape(str(err))}", soft_wrap=True)
                raise typer.Exit(2) from err
            console.print(
                f"profile template written: {escape(str(written))}; fill in each target's Ki, "
                "species, assay, source and status",
                soft_wrap=True,
            )
            raise typer.Exit(0)
        try:
            frame, cu, how = profile_at(compound, conc=conc, fu=fu, free=free, mw=mw)
            result = compute_profile(frame, cu, reference_target=reference)
        except (PdStudyError, ValueError) as err:
            hint = ""
            if "no shipped profile named" in str(err):
                hint = (
                    f"; for a new compound: pdstudy profile {compound} --template "
                    f"{compound}.toml, fill it in, then pdstudy profile {compound}.toml ..."
                )
            console.print(f"[red]error:[/red] {escape(str(err) + hint)}", soft_wrap=True)
            raise typer.Exit(2) from err
        liab = liability_table(result, threshold)
        name = result.compound or compound
        console.print(
            f"[bold]{escape(name)}[/bold]: Cu = {format_conc(cu)} unbound ({escape(how)})"
        )
        table = Table(
            title=f"Ki, selectivity (Ki / Ki {escape(result.reference_target or '')}) "
            "and occupancy Cu / (Cu + Ki)"
        )
        for col in ("target", "Ki", "pKi", "selectivity", "occupancy", "status", "source"):
            table.add_column(col, overflow="fold")
        for rec in result.to_frame().to_dict("records"):
            table.add_row(
                escape(str(rec["target"])),
                format_value("ki_M", rec["ki_M"]),
                format_value("pki", rec["pki"]),
                format_value("selectivity", rec["selectivity"]),
                format_value("occupancy", rec["occupancy"]),
                escape(rec["status"]),
                escape(rec["source"]),
            )
        console.print(table)
        if len(liab):
            lt = Table(title=f"Liabilities: targets occupied above {100 * threshold:.0f} %")
            for col in ("target", "occupancy", "category", "expected effects", "Ki status"):
                lt.add_column(col, overflow="fold")
            for rec in liab.to_dict("records"):
                lt.add_row(
                    escape(rec["target"]),
                    format_value("occupancy", rec["occupancy"]),
                    escape(rec["category"]),
                    escape(rec["effects"]),
                    escape(rec["status"]),
                )
            console.print(lt)
        else:
            console.print(f"No target is occupied above {100 * threshold:.0f} % at this exposure.")
        unverified = [
            t for t, s in zip(result.targets, result.status, strict=True) if s == "vendor-reported"
        ]
        if unverified:
            console.print(
                f"[yellow]note:[/yellow] Ki of {escape(', '.join(unverified))} vendor-reported, "
                "no primary source (unverified)."
            )
        if out is not None:
            from pdstudy.report.figures import new_figure, save_figure

            out.mkdir(parents=True, exist_ok=True)
            result.to_frame().to_csv(out / "profile.csv", index=False)
            liab.to_csv(out / "liabilities.csv", index=False)
            fig, (ax,) = new_figure(7.2, 4.6)
            plot_occupancy(result, ax=ax)
            paths = save_figure(fig, out, "occupancy")
            console.print(
                f"written: {escape(str(out / 'profile.csv'))}, "
                f"{escape(str(out / 'liabilities.csv'))}, "
                + ", ".join(escape(str(p)) for p in paths)
            )
