"""Test-wide settings."""

from __future__ import annotations

import os

import matplotlib
import pytest
from hypothesis import settings

# rich lays tables out for the terminal width it reads from COLUMNS when a console is
# made (at import); the tests read the tables, so they get a fixed width whatever the
# terminal that runs them. Error messages are never wrapped (cli._shared.err_console).
os.environ["COLUMNS"] = "200"

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with slow tests run first, each module's tests in their order.

    ``make test`` runs the suite in parallel, a module at a time per process and in this
    order (``--dist loadfile --no-loadscope-reorder``): the long modules start first and
    the many short ones fill in after them, rather than one long module ending the run
    alone on one core.
    """
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: the order within is kept
