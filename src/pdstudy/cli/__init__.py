"""The ``pdstudy`` command.

Each sub-command group lives in its own module of this package and defines a
``typer.Typer`` called ``app``; :mod:`pdstudy.cli._app` puts them all together as
``pdstudy.cli.app`` (imported on first use).

:func:`main`, the console entry, builds only what the command line names when it
names a sub-command group (``pdstudy behavior score ...`` imports the behaviour
commands, not the plate readers, chromatography and the store): a command's
start-up is then a fraction of the whole program's. Anything else (``pdstudy run``,
``pdstudy --help``) gets the whole program.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["GROUPS", "app", "main", "root_app"]

from pdstudy.cli._root import GROUPS, root_app


def command_for(argv: list[str]) -> typer.Typer:
    """The app that runs ``pdstudy ARGV...``: the one group ARGV names (nothing else
    imported), else the whole program."""
    if argv and argv[0] in GROUPS:
        app = root_app()
        module = importlib.import_module(f"pdstudy.cli.{argv[0]}")
        app.add_typer(module.app, name=argv[0], help=GROUPS[argv[0]])
        return app
    from pdstudy.cli._app import app as whole

    return whole


def main() -> None:  # pragma: no cover - console entry (tested in a subprocess)
    import sys

    command_for(sys.argv[1:])()


def __getattr__(name: str) -> Any:
    if name in ("app", "console", "versions", "DEPENDENCIES"):
        from pdstudy.cli import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'pdstudy.cli' has no attribute {name!r}")
