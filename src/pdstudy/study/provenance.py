"""Provenance of a study run: software versions, input-file hashes, parameters, times.

``provenance.json`` lets anyone check that a report came from given raw files
(``sha256sum`` of each input must match) with given software and parameters.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from pdstudy._version import versions
from pdstudy.io.jsonsafe import json_safe
from pdstudy.report.sections import relative
from pdstudy.study.model import StudySpec

__all__ = ["build_provenance", "now_iso", "sha256_file", "write_provenance"]

_CHUNK = 1 << 20


def sha256_file(path: str | PathLike[str]) -> str:
    """Hex SHA-256 digest of a file's bytes (what ``sha256sum`` prints)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def now_iso() -> str:
    """The current time, ISO 8601 with the UTC offset."""
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _inputs(spec: StudySpec) -> list[dict[str, Any]]:
    by_path: dict[Path, list[str]] = {}
    for key, path in spec.input_files():
        by_path.setdefault(Path(path).resolve(), []).append(key)
    rows = []
    for path, keys in by_path.items():
        rows.append(
            {
                "path": relative(path, spec.folder),
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
                "used_by": ", ".join(keys),
            }
        )
    return rows


def build_provenance(
    spec: StudySpec,
    *,
    started: str,
    finished: str,
    workers: int,
    sections: Sequence[Mapping[str, Any]],
    pharmacology: Mapping[str, Any],
    command: str | None = None,
    execution: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance document of a run.

    Parameters
    ----------
    spec
        The validated study.
    started, finished
        ISO timestamps.
    workers
        Worker processes used.
    sections
        Per assay section: ``key``, ``kind``, ``name``, ``status``, ``error``,
        ``elapsed_s``, ``parameters`` (every parameter used).
    pharmacology
        Parameters of the profile and synapse model actually used.
    command
        The command line, when run from the CLI.
    execution
        Where the sections ran: ``mode`` (``local`` or ``dask.distributed``),
        and for a cluster the scheduler's address and the workers.
    """
    study = {k: v for k, v in spec.study.items() if k != "profile_path"}
    return json_safe(
        {
            "pdstudy_provenance": 1,
            "study_file": str(spec.path),
            "study_name": spec.name,
            "command": command or " ".join(sys.argv),
            "started": started,
            "finished": finished,
            "seed": spec.study.get("seed"),
            "workers": workers,
            "execution": dict(execution or {"mode": "local", "workers": workers}),
            "host": platform.node(),
            "versions": versions(),
            "inputs": _inputs(spec),
            "study": study,
            "sections": list(sections),
            "pharmacology": dict(pharmacology),
            "units": "molar concentrations (M), seconds, litres, grams; as parsed from the study "
            "file (the file itself is hashed above)",
        }
    )


def write_provenance(doc: Mapping[str, Any], path: str | PathLike[str]) -> Path:
    """Write the provenance document as JSON (NaN as null)."""
    p = Path(path)
    p.write_text(
        json.dumps(json_safe(doc), indent=2, ensure_ascii=False, allow_nan=False), encoding="utf-8"
    )
    return p
