"""The ``pdstudy`` command's root (its ``--version``) and its list of sub-command groups,
shared by the console entry (:mod:`pdstudy.cli`) and the whole program (:mod:`pdstudy.cli._app`)."""

from __future__ import annotations

import typer

__all__ = ["GROUPS", "root_app"]

#: sub-command groups: module of this package (= command name) -> help
GROUPS = {
    "binding": "Radioligand binding: design plates, analyse competition and saturation.",
    "uptake": "Synaptosomal uptake: design plates, analyse inhibition and kinetics.",
    "protein": "Protein determination (Bradford/BCA standard curves).",
    "db": "The results store: studies, results, pooled Ki, audit trail, exclusions.",
    "dialysis": "In vivo microdialysis: HPLC-ED chromatograms to % baseline.",
    "behavior": "Forced swim and tail suspension tests: score videos, statistics.",
}


def _print_version(value: bool) -> None:
    if value:
        from pdstudy._version import __version__

        typer.echo(f"pdstudy {__version__}")
        raise typer.Exit()


def root_app() -> typer.Typer:
    """The ``pdstudy`` command with no sub-commands yet (and its ``--version``)."""
    app = typer.Typer(
        name="pdstudy",
        help="Design and analyse pharmacodynamic studies of monoamine reuptake inhibitors.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False,
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version of pdstudy and exit.",
        ),
    ) -> None:
        """Design and analyse pharmacodynamic studies of monoamine reuptake inhibitors."""

    return app
