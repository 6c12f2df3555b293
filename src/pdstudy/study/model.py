"""A validated study: what :func:`pdstudy.study.load_study` returns and the runner consumes."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.report.model import Section
from pdstudy.report.sections import SectionInfo
from pdstudy.types import Mapper

__all__ = [
    "AssayHandler",
    "RunContext",
    "SectionOutcome",
    "SectionSpec",
    "StudySpec",
    "slugify",
]


def slugify(text: str) -> str:
    """A file-name-safe version of ``text``: ``"NET competition"`` -> ``"net-competition"``."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return slug or "section"


@dataclass(frozen=True)
class SectionSpec:
    """One assay section of a study file (``[[binding]]``, ``[[uptake]]``...), validated.

    Attributes
    ----------
    kind
        The section's TOML name (``binding``).
    index
        1-based position among the sections of this kind.
    name
        The section's ``name`` (default ``"<kind> <index>"``).
    values
        Parsed values of every key (molar floats, seconds, litres, ``Path``
        objects; defaults filled in).
    raw
        The values as written in the file.
    """

    kind: str
    index: int
    name: str
    values: Mapping[str, Any]
    raw: Mapping[str, Any]

    @property
    def key(self) -> str:
        """Key path of the section, ``binding[1]``."""
        return f"{self.kind}[{self.index}]"

    @property
    def slug(self) -> str:
        """Stem of the section's output files, ``binding1_net-competition``."""
        return f"{self.kind}{self.index}_{slugify(self.name)}"

    def info(self, study_dir: Path, elapsed_s: float = math.nan) -> SectionInfo:
        """What the section's report builder knows of it."""
        return SectionInfo(
            kind=self.kind,
            index=self.index,
            name=self.name,
            key=self.key,
            slug=self.slug,
            values=self.values,
            study_dir=study_dir,
            elapsed_s=elapsed_s,
        )

    def files(self) -> list[tuple[str, Path]]:
        """Every input file of the section as ``(key path, path)``."""
        out: list[tuple[str, Path]] = []
        for name, value in self.values.items():
            if isinstance(value, Path):
                out.append((f"{self.key}.{name}", value))
            elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
                out.extend((f"{self.key}.{name}[{i}]", v) for i, v in enumerate(value, 1))
        return out


@dataclass(frozen=True)
class StudySpec:
    """A study file, validated and parsed.

    Attributes
    ----------
    path
        The study file.
    study
        Parsed ``[study]`` table (with its ``exposure`` sub-table).
    sections
        Assay sections in file order (by kind, then index).
    synapse, pk
        Parsed ``[synapse]`` and ``[pk]`` tables (defaults where absent).
    raw
        The whole file as read.
    profile
        The compound's target-affinity profile (read while validating).
    design
        The ``[design]`` table (:class:`pdstudy.study.design.DesignSpec`), or ``None``.
    """

    path: Path
    study: Mapping[str, Any]
    sections: tuple[SectionSpec, ...]
    synapse: Mapping[str, Any]
    pk: Mapping[str, Any]
    raw: Mapping[str, Any]
    profile: pd.DataFrame | None = field(default=None, compare=False)
    design: Any = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return str(self.study.get("name") or self.path.stem)

    def input_files(self) -> list[tuple[str, Path]]:
        """Every input file as ``(key path, path)``: the study file, profile, plates, layouts."""
        out: list[tuple[str, Path]] = [("(study file)", self.path)]
        profile = self.study.get("profile_path")
        if isinstance(profile, Path):
            out.append(("study.profile", profile))
        for s in self.sections:
            out.extend(s.files())
        return out


@dataclass(frozen=True)
class RunContext:
    """What a handler needs besides its section: where to write, the study's compound, the seed."""

    out_dir: Path
    study_dir: Path
    compound: str
    seed: int | None = None
    #: runs a section's per-file work (:class:`pdstudy.types.Mapper`; ``None``: here, in order)
    map: Mapper | None = field(default=None, compare=False, repr=False)

    @property
    def results_dir(self) -> Path:
        return self.out_dir / "results"

    @property
    def figures_dir(self) -> Path:
        return self.out_dir / "figures"


@dataclass(frozen=True, eq=False)
class SectionOutcome:
    """What running one assay section gave: the assay's result and its report section.

    Picklable: it crosses from the worker processes (or a cluster) to the
    process that writes the report and records the results.

    Attributes
    ----------
    key, kind, name
        The section (``binding[1]``, ``binding``, its name).
    section
        The report section (figures, tables, QC, methods text, or the error).
    ok
        False when the analysis failed (``section.error`` says why).
    result
        The assay's result (:class:`pdstudy.assays.contract.AssayResult`):
        tables, parameters, provenance, headline rows; ``None`` when the
        analysis failed.
    effects
        ``(label, text)`` lines for the headline's functional effects (made by
        the section's report builder).
    summary
        JSON-safe digest (into ``results/summary.json``).
    parameters
        Every parameter used, JSON-safe (into provenance.json).
    elapsed_s
        Wall time.
    """

    key: str
    kind: str
    name: str
    section: Section
    ok: bool
    result: Any = None
    effects: tuple[tuple[str, str], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    elapsed_s: float = math.nan

    def headline_rows(self) -> pd.DataFrame | None:
        """The result's headline rows (``None`` without a result)."""
        return None if self.result is None else self.result.headline_rows()

    @property
    def ki(self) -> pd.DataFrame | None:
        """Per-experiment Ki rows (``role == "ki"``) of the headline rows, or ``None``."""
        rows = self.headline_rows()
        if rows is None:
            return None
        rows = rows[rows["role"] == "ki"]
        if rows.empty:
            return None
        out = rows.drop(columns=["role"]).reset_index(drop=True)
        out["section"] = self.key
        return out


#: file check of a section while validating: (section, problems) -> None
FileCheck = Callable[[SectionSpec, Problems], None]
#: the analysis of a section: (section, context) -> outcome
Runner = Callable[[SectionSpec, RunContext], SectionOutcome]


@dataclass(frozen=True)
class AssayHandler:
    """How one kind of assay section is declared, checked and run.

    The built-in kinds are listed in :mod:`pdstudy.study.kinds`; a plug-in
    adds one with :func:`pdstudy.study.register_handler`. The study file accepts
    ``[[<kind>]]`` sections, validates them with ``schema`` and ``check_files``,
    and the runner calls ``run`` in a worker process.

    Attributes
    ----------
    kind
        The TOML array name (``binding``).
    title
        Human name (``Competition binding``).
    schema
        Keys of the section.
    run
        The analysis. Must be a module-level function (it is pickled to
        worker processes by reference). It may raise: the runner turns the
        exception into a failed section.
    check_files
        Reads the section's layouts and plates while validating and reports
        mismatches (wells, roles) as problems; ``None`` to skip.
    """

    kind: str
    title: str
    schema: Schema
    run: Runner
    check_files: FileCheck | None = None
    #: ``run`` sends the section's per-file work through ``ctx.map`` (a cluster runs each file)
    per_file: bool = False

    @property
    def keys(self) -> tuple[Key, ...]:
        return self.schema.keys
