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

from pdstudy.errors import InputFileError, LayoutError, StudyFileError
from pdstudy.study.model import SectionSpec, StudySpec, slugify
from pdstudy.study.registry import FUTURE_KINDS, HANDLERS
from pdstudy.study.schema import Problems, did_you_mean, parse_table
from pdstudy.study.tables import PK, STUDY, SYNAPSE

__all__ = ["load_study", "validate_study", "read_layout_checked", "check_plates_against_layout"]

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
    import pdstudy.study.handlers  # noqa: F401  (registers the built-in assay kinds)

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
    known = [*_TABLES, *HANDLERS]
    for name, value in raw.items():
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
    study = dict(parsed["study"])
    profile = _profile(study, raw.get("study", {}), base, problems)
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


# --- helpers for the handlers' file checks --------------------------------------------


def read_layout_checked(section: SectionSpec, key: str, problems: Problems) -> pd.DataFrame | None:
    """Read the layout file of ``section.values[key]``; a problem (and ``None``) if it is invalid."""
    from pdstudy.io import read_layout

    path = section.values.get(key)
    if not isinstance(path, Path):
        return None
    try:
        return read_layout(path)
    except (LayoutError, InputFileError) as exc:
        problems.append((f"{section.key}.{key}", f"invalid layout {path.name}: {exc.detail}"))
        return None


def check_plates_against_layout(
    section: SectionSpec,
    layout: pd.DataFrame | None,
    problems: Problems,
    *,
    plates_key: str = "plates",
    layout_key: str = "layout",
    roles: tuple[str, ...] = (),
    fmt: str | None = None,
) -> None:
    """Check that each plate of ``section`` matches its layout, and that the layout has ``roles``.

    Plates that cannot be read are not a study-file problem (the file may be
    corrupt): the analysis of that section will fail and report it, while the
    rest of the study runs.
    """
    from pdstudy.io import merge_layout, read_plate

    if layout is None:
        return
    if roles and "role" in layout.columns:
        have = set(layout["role"].dropna())
        missing = [r for r in roles if r not in have]
        if missing:
            problems.append(
                (
                    f"{section.key}.{layout_key}",
                    f"layout {Path(str(layout.attrs.get('path', ''))).name} has no "
                    f"{', '.join(repr(r) for r in missing)} wells (this assay needs roles "
                    f"{', '.join(roles)})",
                )
            )
    elif roles:
        problems.append((f"{section.key}.{layout_key}", "the layout gives no 'role' for its wells"))
    value = section.values.get(plates_key)
    plates = value if isinstance(value, list) else [value] if isinstance(value, Path) else []
    for i, plate_path in enumerate(plates, start=1):
        where = (
            f"{section.key}.{plates_key}[{i}]"
            if isinstance(value, list)
            else (f"{section.key}.{plates_key}")
        )
        try:
            plate = read_plate(plate_path, format=fmt or "auto")
        except (InputFileError, ValueError):
            continue  # reported when the section runs
        try:
            merge_layout(plate, layout, plate_path=plate_path)
        except LayoutError as exc:
            problems.append(
                (
                    where,
                    f"plate {plate_path.name} does not match layout "
                    f"{Path(str(layout.attrs.get('path', ''))).name}: {exc.detail}",
                )
            )
