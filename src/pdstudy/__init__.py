"""pdstudy: design and analysis of pharmacodynamic studies of reuptake inhibitors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pdstudy")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
