"""Test-wide settings."""

from __future__ import annotations

import matplotlib
import pytest
from hypothesis import settings

# figures are drawn without a screen
matplotlib.use("Agg")

# property tests judge results, not speed: a loaded CI machine must not make them
# fail on hypothesis' default 200 ms deadline; derandomised so CI runs are repeatable
settings.register_profile("pdstudy", deadline=None, derandomize=True)
settings.load_profile("pdstudy")


@pytest.fixture(autouse=True, scope="session")
def _store_in_tmp_path(tmp_path_factory):
    """`pdstudy run` records into ./pdstudy.db by default: the tests' runs record under tmp."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PDSTUDY_DB", str(tmp_path_factory.mktemp("store") / "pdstudy.db"))
    yield
    mp.undo()
