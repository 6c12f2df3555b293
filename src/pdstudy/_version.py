"""Versions of pdstudy, Python and the main dependencies (bug reports, provenance).

Lives in the base layer so that the study runner (provenance) and the command
line (``pdstudy info``) report the same thing.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["DEPENDENCIES", "__version__", "versions"]

try:
    __version__ = version("pdstudy")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

#: distributions whose versions are reported, in this order
DEPENDENCIES = (
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "numba",
    "statsmodels",
    "wellmap",
    "openpyxl",
    "typer",
    "rich",
    "jinja2",
)


def versions() -> dict[str, str]:
    """Versions of pdstudy, Python, the main dependencies and the platform.

    Returns
    -------
    dict
        ``{"pdstudy": ..., "python": ..., "numpy": ..., ..., "platform": ...}``;
        a dependency that is not installed reads ``"not installed"``.
    """
    out = {"pdstudy": __version__, "python": platform.python_version()}
    for dep in DEPENDENCIES:
        try:
            out[dep] = version(dep)
        except PackageNotFoundError:
            out[dep] = "not installed"
    out["platform"] = platform.platform()
    return out
