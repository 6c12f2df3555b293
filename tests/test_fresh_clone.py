"""The suite passes from a fresh copy in a 150-character folder, at COLUMNS=40, from another cwd.

A copy of the tracked files goes into a folder whose name is 150 characters
long; the tests most sensitive to paths and terminal width (every CLI test,
whose error messages name files) run there in a subprocess with a 40-column
terminal, the C locale and the working directory outside the copy. Messages
must not be wrapped mid-path and no test may depend on where it runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: the tests run in the copy: the CLI (paths in messages), units and the readers
SUBSET = [
    "tests/test_cli_binding.py",
    "tests/test_cli_uptake.py",
    "tests/test_cli_shared.py",
    "tests/test_errors_usage.py",
    "tests/test_units.py",
    "tests/test_io_plates.py",
]


def _tracked_files() -> list[str]:
    res = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False, timeout=60
    )
    if res.returncode != 0:
        pytest.skip("not a git checkout (the copy is made from the tracked files)")
    return [f for f in res.stdout.decode().split("\0") if f]


@pytest.mark.slow
def test_suite_subset_in_a_long_path_at_40_columns(tmp_path: Path) -> None:
    folder = tmp_path / ("long-folder-name-" + "x" * 133)
    assert len(folder.name) == 150
    for rel in _tracked_files():
        src = REPO / rel
        if src.is_file():
            dst = folder / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS", "LINES")}
    env.update(
        COLUMNS="40",
        LANG="C",
        LC_ALL="C",
        PYTHONPATH=str(folder / "src"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    where = subprocess.run(
        [sys.executable, "-c", "import pdstudy; print(pdstudy.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(folder)), where.stdout + where.stderr
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "--rootdir", str(folder), "-c", str(folder / "pyproject.toml"),
         *(str(folder / t) for t in SUBSET)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " passed" in res.stdout


def test_error_messages_are_not_wrapped_in_a_40_column_terminal(tmp_path: Path) -> None:
    """A real narrow terminal (the suite's conftest pins COLUMNS for rich's tables, so this
    runs the command in its own process): the missing file's long path stays on one line."""
    folder = tmp_path / ("a-long-folder-name-" + "y" * 100)
    folder.mkdir()
    missing = folder / "net_exp1_microbeta_plate_that_does_not_exist.txt"
    layout = folder / "layout.toml"
    layout.write_text('[well.A1]\nrole = "total"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(COLUMNS="40", LANG="C", LC_ALL="C", PYTHONPATH=str(REPO / "src"))
    res = subprocess.run(
        [sys.executable, "-m", "pdstudy", "binding", "analyze", str(missing),
         "--layout", str(layout), "--out", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode != 0
    lines = (res.stdout + res.stderr).splitlines()
    assert any(str(missing) in line for line in lines), res.stdout + res.stderr
