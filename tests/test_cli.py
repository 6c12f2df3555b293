"""The top-level command: help, info."""

from __future__ import annotations

from typer.testing import CliRunner

from pdstudy import __version__
from pdstudy.cli import app, versions


def test_help_lists_the_commands():
    res = CliRunner().invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("info", "demo"):
        assert cmd in res.output


def test_info_prints_versions():
    res = CliRunner().invoke(app, ["info"])
    assert res.exit_code == 0
    assert __version__ in res.output
    v = versions()
    assert v["numpy"] != "not installed" and v["scipy"] != "not installed"
