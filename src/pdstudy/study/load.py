"""Read a study file and validate all of it before any analysis starts.

:func:`load_study` collects every problem it finds (unknown keys with a
suggestion, bad units, missing files, layouts that do not match their plates,
an unknown profile...) and raises one :class:`~pdstudy.errors.StudyFileError`
listing them all with their key paths, so a user fixes the file in one pass.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.assays.schema import Problems, did_you_mean, parse_table
from pdstudy.errors import InputFileError, StudyFileError
from pdstudy.study.design import parse_design
from pdstudy.study.model import SectionSpec, StudySpec, slugify
from pdstudy.study.registry import FUTURE_KINDS, HANDLERS
from pdstudy.study.tables import PK, STUDY, SYNAPSE

__all__ = ["load_study", "section_spec", "validate_study"]

_TABLES = {"study": STUDY, "synapse": SYNAPSE, "pk": PK}
_PROFILE_SUFFIXES = (".csv", ".toml")


def load_study(path: str | PathLike[str]) -> StudySpec:
    """Read, validate and parse a study file.

    Parameters
    ----------
    path
        The study TOML file; relative paths inside it are relative to its folder.

    Returns
    -------
    StudySpec

    Raises
    ------
    StudyFileError
        Anything wrong, every problem at once: ``err.problems`` is a list of
        ``(key path, message)``, e.g. ``("binding[1].kd", "unknown unit 'nN' in '0.8 nN'")``.
    """
    spec, problems = validate_study(path)
    if problems or spec is None:
        raise StudyFileError(problems, path)
    return spec


def validate_study(path: str | PathLike[str]) -> tuple[StudySpec | None, Problems]:
    """Like :func:`load_study` but returns ``(spec or None, problems)`` instead of raising."""
    p = Path(path)
    if not p.is_file():
        return None, [("(file)", f"no such study file: {p}")]
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        return None, [("(file)", f"not valid TOML: {exc}")]
    except UnicodeDecodeError as exc:
        return None, [("(file)", f"not a UTF-8 text file: {exc}")]
    base = p.resolve().parent
    problems: Problems = []
    parsed: dict[str, Any] = {}
    sections: list[SectionSpec] = []
    known = [*_TABLES, "design", *HANDLERS]
    for name, value in raw.items():
        if name == "design":
            continue  # checked below, against the sections
        if name in _TABLES:
            parsed[name] = parse_table(_TABLES[name], value, name, base, problems)
        elif name in HANDLERS:
            sections.extend(_sections(name, value, base, problems))
        elif name.casefold() in FUTURE_KINDS:
            problems.append(
                (
                    name,
                    f"pdstudy cannot analyse {FUTURE_KINDS[name.casefold()]} sections yet "
                    f"(this version runs: {', '.join(HANDLERS)})",
                )
            )
        else:
            kind = "section" if isinstance(value, (dict, list)) else "key"
            problems.append(
                (
                    name,
                    f"unknown {kind} {name!r}{did_you_mean(name, known)}; "
                    f"the file may hold: {', '.join(known)}",
                )
            )
    if "study" not in raw:
        problems.append(
            (
                "study",
                'missing the [study] table (name = "...", compound = "...", and an '
                "[study.exposure] table)",
            )
        )
        parsed["study"] = {}
    for name in ("synapse", "pk"):
        if name not in parsed:
            parsed[name] = parse_table(_TABLES[name], {}, name, base, problems)
    _unique_names(sections, problems)
    design = parse_design(raw["design"], base, sections, problems) if "design" in raw else None
    study = dict(parsed["study"])
    profile = _profile(study, raw.get("study", {}), base, problems)
    _compound_in_layouts(study, sections, problems)
    for section in sections:
        warn_implausible(section.kind, section.values, section.key)
    for section in sections:
        check = HANDLERS[section.kind].check_files
        if check is not None:
            check(section, problems)
    if problems:
        return None, problems
    order = {k: i for i, k in enumerate(HANDLERS)}
    sections.sort(key=lambda s: (order[s.kind], s.index))
    spec = StudySpec(
        path=p.resolve(),
        study=study,
        sections=tuple(sections),
        synapse=parsed["synapse"],
        pk=parsed["pk"],
        raw=raw,
        profile=profile,
        design=design,
    )
    return spec, []


def _sections(kind: str, value: Any, base: Path, problems: Problems) -> list[SectionSpec]:
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        problems.append((kind, f"expected [[{kind}]] tables, got a {type(value).__name__}"))
        return []
    out = []
    schema = HANDLERS[kind].schema
    for i, item in enumerate(items, start=1):
        where = f"{kind}[{i}]"
        # a section with problems is kept: its files are still checked where they parsed
        values = parse_table(schema, item, where, base, problems)
        name = values.get("name") or f"{kind} {i}"
        values["name"] = name
        raw = dict(item) if isinstance(item, dict) else {}
        out.append(SectionSpec(kind=kind, index=i, name=str(name), values=values, raw=raw))
    return out


def _unique_names(sections: list[SectionSpec], problems: Problems) -> None:
    seen: dict[str, str] = {}
    for s in sections:
        slug = slugify(s.name)
        if slug in seen:
            problems.append(
                (
                    f"{s.key}.name",
                    f"name {s.name!r} is also the name of {seen[slug]}; "
                    "names must differ (they name the output files)",
                )
            )
        else:
            seen[slug] = s.key


def _profile(
    study: dict[str, Any], raw: Mapping[str, Any], base: Path, problems: Problems
) -> pd.DataFrame | None:
    """Read the study's profile (shipped name or file) and check the reference target."""
    from pdstudy.data import load_profile
    from pdstudy.io.profiles import read_profile

    if not isinstance(raw, Mapping):
        return None
    name = study.get("profile") or study.get("compound")
    if not name:
        return None
    key = "study.profile" if "profile" in raw else "study.compound"
    frame: pd.DataFrame | None = None
    looks_like_file = name.lower().endswith(_PROFILE_SUFFIXES) or "/" in name or "\\" in name
    try:
        if looks_like_file:
            file = Path(name).expanduser()
            file = file if file.is_absolute() else base / file
            if not file.is_file():
                problems.append((key, f"profile file not found: {name!r} (looked for {file})"))
                return None
            frame = read_profile(file)
            study["profile_path"] = file
        else:
            frame = load_profile(name)
    except InputFileError as exc:
        hint = "" if "profile" in raw else " (set study.profile to a shipped name or a file)"
        if not looks_like_file:
            hint += (
                f"; for a new compound write its profile with `pdstudy profile {name} "
                f"--template {name}.toml`, fill in each target's Ki and source, and set "
                f'profile = "{name}.toml" (the format is in docs/profile-and-synapse.md)'
            )
        problems.append((key, f"{exc.detail}{hint}"))
        return None
    ref = study.get("reference_target")
    targets = [str(t) for t in frame["target"]]
    if ref and ref.casefold() not in {t.casefold() for t in targets}:
        problems.append(
            (
                "study.reference_target",
                f"{ref!r} is not a target of the profile{did_you_mean(ref, targets)} "
                f"(targets: {', '.join(targets)})",
            )
        )
    mw = frame.attrs.get("mw_g_per_mol")
    exposure = study.get("exposure") or {}
    plasma = exposure.get("plasma_conc")
    if (
        isinstance(plasma, tuple)
        and plasma[1] == "mass_concentration"
        and mw is None
        and exposure.get("mw_g_per_mol") is None
    ):
        problems.append(
            (
                "study.exposure.mw_g_per_mol",
                "missing: plasma_conc is a mass concentration and the profile gives no molecular "
                "weight; give mw_g_per_mol",
            )
        )
    return frame


def _compound_in_layouts(
    study: Mapping[str, Any], sections: list[SectionSpec], problems: Problems
) -> None:
    """The study's compound must be the compound of the competition wells of at least one layout.

    Layouts are matched case-insensitively, as the pooled Ki is; a layout that
    cannot be read is reported by its section's own check.
    """
    from pdstudy.io import read_layout

    compound = study.get("compound")
    if not isinstance(compound, str) or not compound:
        return
    if any(key == "study.compound" for key, _ in problems):
        return  # one problem per key: the compound's profile is already reported
    named: dict[str, set[str]] = {}
    for section in sections:
        layout = section.values.get("layout")
        if not isinstance(layout, Path) or not layout.is_file():
            continue
        try:
            frame = read_layout(layout)
        except Exception:  # noqa: BLE001 - reported by the section's check
            continue
        if "compound" not in frame.columns or "role" not in frame.columns:
            continue
        tested = frame.loc[frame["role"] == "competition", "compound"].dropna()
        names = {str(c) for c in tested if str(c).strip()}
        if names:
            named[f"{section.key}.layout ({layout.name})"] = names
    if not named:
        return
    if any(compound.casefold() == n.casefold() for names in named.values() for n in names):
        return
    listed = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in named.items())
    problems.append(
        (
            "study.compound",
            f"compound {compound!r} is not a compound of any layout ({listed}); "
            "name it as the layouts do, or fix the layouts",
        )
    )


def section_spec(
    kind: str, values: Mapping[str, Any], *, name: str | None = None, index: int = 1
) -> SectionSpec:
    """A section of ``kind`` from values already parsed (what an assay command builds from its
    options): absent keys take their schema default; a required key may be ``None`` only
    where the assay allows it (e.g. binding's ``kd`` read from the layout).

    Raises
    ------
    UsageError
        A key the section does not have (a bug of the caller, named).
    """
    from pdstudy.errors import UsageError

    schema = HANDLERS[kind].schema
    unknown = [k for k in values if k not in schema.names]
    if unknown:
        raise UsageError(f"[[{kind}]] has no key(s) {', '.join(unknown)}")
    parsed = {k.name: values.get(k.name, k.default) for k in schema.keys}
    section_name = name or str(values.get("name") or f"{kind} {index}")
    parsed["name"] = section_name
    warn_implausible(kind, parsed, f"{kind}")
    return SectionSpec(kind=kind, index=index, name=section_name, values=parsed, raw=dict(values))


def warn_implausible(kind: str, values: Mapping[str, Any], where: str) -> None:
    """Warn (:class:`pdstudy.units.PlausibilityWarning`) of values a lab almost never means.

    Applies to the sections of radioligand assays (those with a ``radioligand`` key).
    """
    import warnings

    from pdstudy.units import PlausibilityWarning, implausible

    if "radioligand" not in HANDLERS[kind].schema.names:
        return
    for key, value in values.items():
        if isinstance(value, float):
            why = implausible(key, value)
            if why:
                warnings.warn(PlausibilityWarning(f"{where}.{why}"), stacklevel=3)
