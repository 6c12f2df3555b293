"""Small data shipped inside pdstudy: target-affinity profiles of example compounds.

Profiles live in ``pdstudy/data/profiles/<name>.csv`` (or ``.toml``) and are read
with :func:`pdstudy.io.profiles.read_profile`, so every value arrives with its
species, assay, source and status (verified / approximate / vendor-reported).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from pdstudy.errors import InputFileError
from pdstudy.io.profiles import read_profile

__all__ = ["available_profiles", "load_profile"]

_SUFFIXES = (".csv", ".toml")


def available_profiles() -> list[str]:
    """Names of the shipped profiles, e.g. ``["clomipramine", "norclomipramine"]``."""
    folder = resources.files(__name__).joinpath("profiles")
    names = {
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIXES)
    }
    return sorted(names)


def load_profile(name: str) -> pd.DataFrame:
    """Load a shipped target-affinity profile.

    Parameters
    ----------
    name
        Compound name as in :func:`available_profiles` (case-insensitive),
        e.g. ``"norclomipramine"``.

    Returns
    -------
    pandas.DataFrame
        As returned by :func:`pdstudy.io.profiles.read_profile`: columns
        ``target``, ``ki_M``, ``ki``, ``species``, ``assay``, ``source``,
        ``status`` (plus ``note`` where present); ``attrs["compound"]`` and
        ``attrs["mw_g_per_mol"]`` (free base) describe the compound.

    Raises
    ------
    InputFileError
        No shipped profile has that name.
    """
    key = name.strip().lower()
    folder = resources.files(__name__).joinpath("profiles")
    for suffix in _SUFFIXES:
        entry = folder.joinpath(key + suffix)
        if entry.is_file():
            with resources.as_file(entry) as path:
                frame = read_profile(path)
            frame.attrs["path"] = f"pdstudy.data:profiles/{key}{suffix}"
            return frame
    raise InputFileError(
        f"no shipped profile named {name!r}; available: {', '.join(available_profiles())}",
        where="profile name",
    )
