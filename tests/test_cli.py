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


def _in_new_python(code: str) -> str:
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return res.stdout


def test_a_group_command_imports_that_group_only():
    # `pdstudy behavior ...` builds the behaviour commands alone: no plate readers,
    # chromatography, store or pandas at start-up (they were most of it)
    out = _in_new_python(
        "import sys\n"
        "from pdstudy.cli import command_for\n"
        "command_for(['behavior', 'score'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pdstudy.cli.', 'pandas'))))\n"
    )
    assert out.strip() == "['pdstudy.cli._root', 'pdstudy.cli._shared', 'pdstudy.cli.behavior']"


def test_the_console_entry_runs_a_group_and_the_whole_program(tmp_path):
    import subprocess
    import sys

    def run(*args: str) -> str:
        res = subprocess.run(
            [sys.executable, "-m", "pdstudy", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert res.returncode == 0, res.stderr
        return res.stdout

    assert "score" in run("behavior", "--help") and "calibrate" in run("behavior", "--help")
    whole = run("--help")
    for name in ("binding", "uptake", "protein", "db", "dialysis", "behavior", "run", "demo"):
        assert name in whole
    assert run("--version").strip() == f"pdstudy {__version__}"
