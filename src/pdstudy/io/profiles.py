"""Reader of target-affinity profile files (CSV or TOML).

A profile lists, for one compound, its affinity for each target with the
provenance of every number. Two layouts are read:

CSV, one row per target, optionally preceded by ``# key: value`` header lines
that describe the compound::

    # compound: norclomipramine
    # mw_g_per_mol: 300.8
    target,ki,species,assay,source,status
    NET,0.32 nM,human,"radioligand binding","secondary; Takano 2011 PET",approximate

TOML, with the same metadata as top-level keys and one ``[[target]]`` table per
target::

    compound = "norclomipramine"
    mw_g_per_mol = 300.8

    [[target]]
    target = "NET"
    ki = "0.32 nM"
    species = "human"
    assay = "radioligand binding"
    source = "secondary; Takano 2011 PET"
    status = "approximate"

Required columns: ``target``, ``ki`` (a number with a concentration unit),
``species``, ``assay``, ``source`` (must not be empty) and ``status``
(``verified``, ``approximate`` or ``vendor-reported``). Other columns (e.g.
``note``) are carried through as text. Every problem raises
:class:`~pdstudy.errors.InputFileError` naming the file, the row (and line)
and the column.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.errors import InputFileError, UnitError, UnknownFormatError
from pdstudy.units import parse_conc

__all__ = ["PROFILE_COLUMNS", "PROFILE_STATUSES", "read_profile"]

#: Columns every profile must have, in output order (``ki_M`` is added by the reader).
PROFILE_COLUMNS = ("target", "ki", "species", "assay", "source", "status")

#: Allowed values of ``status``: seen in the cited primary source / from a
#: secondary source / reported by a vendor without a primary source.
PROFILE_STATUSES = ("verified", "approximate", "vendor-reported")

_META_LINE = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")
_MW_KEY = "mw_g_per_mol"


def read_profile(path: str | PathLike[str]) -> pd.DataFrame:
    """Read and validate a target-affinity profile file.

    Parameters
    ----------
    path
        A ``.csv`` file (``# key: value`` header lines allowed) or a ``.toml``
        file with a ``[[target]]`` array. The format is recognised from the
        content as well as the extension.

    Returns
    -------
    pandas.DataFrame
        One row per target with columns ``target``, ``ki_M`` (molar float),
        ``ki`` (the text as written), ``species``, ``assay``, ``source``,
        ``status`` and any extra columns of the file. ``DataFrame.attrs``
        holds the file's metadata (e.g. ``compound``; ``mw_g_per_mol`` as a
        float when given) and ``path``.

    Raises
    ------
    InputFileError
        The file is missing, unreadable, lacks a column, or a cell is invalid
        (unknown status, Ki without a concentration unit or not positive,
        empty target or source, duplicated target).
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError("profile file not found", path=p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read profile file ({exc})", path=p) from exc
    if _looks_like_toml(p, text):
        meta, records = _parse_toml(p, text)
    else:
        meta, records = _parse_csv(p, text)
    if not records:
        raise InputFileError("profile has no target rows", path=p)
    return _validate(p, meta, records)


# --------------------------------------------------------------------------- formats


def _looks_like_toml(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".toml":
        return True
    return any(line.strip().startswith("[[target]]") for line in text.splitlines())


# A record is (where-prefix, {column: raw value}), the prefix naming row/line or entry.
_Record = tuple[str, dict[str, Any]]


def _parse_csv(path: Path, text: str) -> tuple[dict[str, Any], list[_Record]]:
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    meta_lines: dict[str, int] = {}
    start = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _META_LINE.match(stripped)
            if m:
                meta[m.group(1).lower()] = m.group(2)
                meta_lines[m.group(1).lower()] = i + 1
            continue
        start = i
        break
    else:
        raise InputFileError("no header row (target,ki,species,assay,source,status)", path=path)

    if _MW_KEY in meta:
        meta[_MW_KEY] = _molecular_weight(path, meta[_MW_KEY], f"line {meta_lines[_MW_KEY]}")

    body = "\n".join(lines[start:])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[start], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(body), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputFileError(f"malformed CSV ({exc})", path=path) from exc
    header = [h.strip().lower() for h in rows[0]]
    _check_columns(path, header, "header", "column")
    records: list[_Record] = []
    line_no = start + 1  # 1-based file line of the header
    n_row = 0
    for cells in rows[1:]:
        line_no += 1
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        n_row += 1
        where = f"row {n_row} (line {line_no})"
        if len(cells) > len(header):
            raise InputFileError(
                f"{len(cells)} cells but the header has {len(header)} columns", path, where
            )
        cells = cells + [""] * (len(header) - len(cells))
        records.append((where, dict(zip(header, cells, strict=True))))
    return meta, records


def _parse_toml(path: Path, text: str) -> tuple[dict[str, Any], list[_Record]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnknownFormatError(f"not a valid TOML profile ({exc})", path=path) from exc
    entries = doc.get("target")
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise InputFileError("expected an array of [[target]] tables", path, "key 'target'")
    meta: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "target":
            continue
        if isinstance(value, (str, int, float, bool)):
            meta[key.lower()] = value
    if _MW_KEY in meta:
        meta[_MW_KEY] = _molecular_weight(path, meta[_MW_KEY], f"key '{_MW_KEY}'")
    records: list[_Record] = []
    for i, entry in enumerate(entries, start=1):
        where = f"[[target]] entry {i}"
        row = {str(k).strip().lower(): v for k, v in entry.items()}
        _check_columns(path, list(row), where, "key")
        records.append((where, row))
    return meta, records


def _check_columns(path: Path, names: list[str], where: str, kind: str) -> None:
    missing = [c for c in PROFILE_COLUMNS if c not in names]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        raise InputFileError(
            f"missing {kind}(s) {listed}; a profile needs {', '.join(PROFILE_COLUMNS)}",
            path,
            where,
        )
    if "ki_m" in names:
        raise InputFileError(
            f"{kind} 'ki_M' is computed by the reader; write Ki with its unit in 'ki'", path, where
        )


def _molecular_weight(path: Path, value: Any, where: str) -> float:
    text = str(value).strip()
    text = re.sub(r"\s*g\s*/\s*mol\s*$", "", text)
    try:
        mw = float(text)
    except ValueError:
        mw = math.nan
    if not math.isfinite(mw) or mw <= 0:
        raise InputFileError(
            f"molecular weight {value!r} is not a positive number of g/mol", path, where
        )
    return mw


# --------------------------------------------------------------------------- validation


def _validate(path: Path, meta: dict[str, Any], records: list[_Record]) -> pd.DataFrame:
    out: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for where, row in records:
        clean = {k: "" if v is None else str(v).strip() for k, v in row.items()}
        target = clean["target"]
        if not target:
            raise InputFileError("empty target name", path, f"{where}, column 'target'")
        key = target.casefold()
        if key in seen:
            raise InputFileError(
                f"target {target!r} appears twice (first at {seen[key]})",
                path,
                f"{where}, column 'target'",
            )
        seen[key] = where

        raw_ki = row["ki"]
        col_where = f"{where}, column 'ki'"
        if isinstance(raw_ki, bool) or not isinstance(raw_ki, (str, int, float)):
            raise InputFileError(
                f"Ki must be text such as '0.5 nM', got {raw_ki!r}", path, col_where
            )
        try:
            ki_m = parse_conc(raw_ki)
        except UnitError as exc:
            raise InputFileError(f"Ki: {exc.detail}", path, col_where) from exc
        if not ki_m > 0:
            raise InputFileError(f"Ki must be positive, got {raw_ki!r}", path, col_where)

        status = re.sub(r"[\s_]+", "-", clean["status"].lower())
        if status not in PROFILE_STATUSES:
            raise InputFileError(
                f"unknown status {clean['status']!r}; use one of {', '.join(PROFILE_STATUSES)}",
                path,
                f"{where}, column 'status'",
            )
        if not clean["source"]:
            raise InputFileError(
                "every value needs its source; the source is empty",
                path,
                f"{where}, column 'source'",
            )
        record = {"target": target, "ki_M": ki_m, "ki": clean["ki"]}
        record.update({c: clean[c] for c in PROFILE_COLUMNS[2:]})
        record["status"] = status
        record.update({k: v for k, v in clean.items() if k not in record and k})
        out.append(record)

    frame = pd.DataFrame.from_records(out)
    frame["ki_M"] = frame["ki_M"].astype(float)
    frame.attrs.update(meta)
    frame.attrs["path"] = str(path)
    return frame
