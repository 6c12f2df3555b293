"""Test-wide settings."""

from __future__ import annotations

import matplotlib
from hypothesis import settings

# figures are drawn without a screen
matplotlib.use("Agg")

# property tests judge results, not speed: a loaded CI machine must not make them
# fail on hypothesis' default 200 ms deadline; derandomised so CI runs are repeatable
settings.register_profile("pdstudy", deadline=None, derandomize=True)
settings.load_profile("pdstudy")
