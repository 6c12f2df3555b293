"""Helpers shared by the assay handlers: common keys, reading plates, writing results."""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.errors import PdStudyError
from pdstudy.report.figures import render_figure
from pdstudy.report.model import Figure, Section, Table
from pdstudy.study.model import RunContext, SectionOutcome, SectionSpec
from pdstudy.study.schema import Key, Problems
from pdstudy.units import format_conc

__all__ = [
    "COUNTING_KEYS",
    "as_document",
    "FORMAT_KEY",
    "NAME_KEY",
    "PLATE_KEYS",
    "TARGET_KEY",
    "failed_outcome",
    "figure",
    "flagged_rows",
    "json_safe",
    "read_merged",
    "relative",
    "run_guarded",
    "write_results",
    "write_results_plain",
]

NAME_KEY = Key(
    "name",
    "text",
    doc="name of the section (report heading, output file names); default: the kind and its number, e.g. 'binding 1'",
    example='"NET competition"',
)
TARGET_KEY = Key(
    "target", "text", default="NET", doc="target (transporter, receptor) measured", example='"NET"'
)


def plate_format_names() -> tuple[str, ...]:
    """``"auto"`` and every format name ``pdstudy.io.read_plate`` accepts."""
    from pdstudy.io import list_plate_formats

    table = list_plate_formats()
    names = list(table["name"])
    names += [w.strip() for ws in table["writers"] for w in str(ws).split(",") if w.strip()]
    return ("auto", *dict.fromkeys(names))


FORMAT_KEY = Key(
    "format",
    "choice",
    default="auto",
    choices=plate_format_names(),
    doc="plate file format; auto recognises it from the content (pdstudy.io.list_plate_formats())",
    example='"microbeta"',
)
PLATE_KEYS = (
    Key(
        "plates",
        "files",
        required=True,
        doc="plate files, one per independent experiment (glob patterns allowed)",
        example='["net_exp1.txt", "net_exp2.txt"]',
    ),
    Key(
        "layout",
        "file",
        required=True,
        doc="plate layout (wellmap TOML), shared by the plates",
        example='"net_layout.toml"',
    ),
    FORMAT_KEY,
)
COUNTING_KEYS = (
    Key(
        "efficiency",
        "fraction",
        positive=True,
        doc="counting efficiency (CPM/DPM), needed when the files have CPM but no DPM",
        example="0.45",
    ),
    Key(
        "counts",
        "choice",
        default="auto",
        choices=("auto", "dpm", "cpm"),
        doc="which counts to use: DPM when every well has them (auto), or force one",
        example='"auto"',
    ),
)


def relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars, NaN, Paths and frames made JSON-safe (NaN -> null)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [json_safe(r) for r in value.to_dict("records")]
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (int, str)):
        return value
    if value is pd.NA:
        return None
    return str(value)


def as_document(value: Any) -> Any:
    """A result's ``to_json()`` as a dict, whether it returns a dict or a JSON string."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def read_merged(
    paths: Sequence[Path],
    layout_path: Path,
    fmt: str = "auto",
) -> pd.DataFrame:
    """Read each plate file, join it to the layout, and stack them.

    Each file is one independent experiment unless the layout has an
    ``experiment`` field: ``experiment`` is then the file's stem, and
    ``plate`` is ``<stem>`` (``<stem>:<plate>`` for files with several
    plates), so wells of different files never collide.
    """
    from pdstudy.io import merge_layout, read_layout, read_plate

    layout = read_layout(layout_path)
    stems = [p.stem for p in paths]
    if len(set(stems)) < len(stems):
        stems = [f"{i}_{p.stem}" for i, p in enumerate(paths, start=1)]
    frames = []
    for path, stem in zip(paths, stems, strict=True):
        plate = read_plate(path, format=fmt)
        merged = merge_layout(plate, layout, plate_path=path, layout_path=layout_path)
        ids = merged["plate"].astype(str)
        merged["plate"] = stem if ids.nunique() == 1 else stem + ":" + ids
        if "experiment" not in layout.columns:
            merged["experiment"] = stem
        merged["source_file"] = path.name
        frames.append(merged)
    return pd.concat(frames, ignore_index=True)


def figure(ctx: RunContext, fig: Any, stem: str, caption: str) -> Figure:
    """Save ``fig`` to the figures folder (SVG + PNG) and return it as a report figure."""
    return render_figure(fig, stem, caption, ctx.figures_dir, ctx.out_dir)


def write_results(
    ctx: RunContext,
    section: SectionSpec,
    tables: Mapping[str, pd.DataFrame],
    document: Mapping[str, Any],
) -> tuple[str, ...]:
    """Write ``results/<slug>.csv`` (the first table), ``results/<slug>_<name>.csv``
    (the others) and ``results/<slug>.json``; return the paths relative to the output folder."""
    out = ctx.results_dir
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k, (name, frame) in enumerate(tables.items()):
        path = out / (f"{section.slug}.csv" if k == 0 else f"{section.slug}_{name}.csv")
        frame.to_csv(path, index=False)
        written.append(path)
    path = out / f"{section.slug}.json"
    doc = {"section": section.key, "kind": section.kind, "name": section.name, **document}
    path.write_text(
        json.dumps(json_safe(doc), indent=2, ensure_ascii=False, allow_nan=False),
        encoding="utf-8",
    )
    written.append(path)
    return tuple(relative(p, ctx.out_dir) for p in written)


def write_results_plain(ctx: RunContext, tables: Mapping[str, pd.DataFrame]) -> tuple[str, ...]:
    """Write ``results/<name>.csv`` for each table; return the paths relative to the output folder."""
    out = ctx.results_dir
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(relative(path, ctx.out_dir))
    return tuple(written)


def flagged_rows(
    frame: pd.DataFrame,
    id_columns: Sequence[str],
    flags: str = "flags",
    reasons: Sequence[str] = ("flag_reasons", "reason"),
    title: str = "QC flags",
) -> Table | None:
    """A table of the rows of ``frame`` that carry QC flags, with their reasons (or ``None``)."""
    if frame is None or frame.empty or flags not in frame.columns:
        return None
    has = frame[flags].fillna("").astype(str).str.strip() != ""
    if not has.any():
        return None
    reason = next((r for r in reasons if r in frame.columns), None)
    cols = [c for c in id_columns if c in frame.columns] + [flags] + ([reason] if reason else [])
    return Table(
        title,
        frame.loc[has, cols].reset_index(drop=True),
        labels={reason: "reason"} if reason else {},
    )


def section_title(section: SectionSpec, title: str) -> str:
    return (
        f"{title}: {section.name}"
        if section.name != f"{section.kind} {section.index}"
        else (f"{title} {section.index}")
    )


def failed_outcome(
    section: SectionSpec, title: str, error: BaseException | str, elapsed: float
) -> SectionOutcome:
    """The outcome of a section whose analysis raised."""
    if isinstance(error, BaseException):
        message = (
            str(error) if isinstance(error, PdStudyError) else (f"{type(error).__name__}: {error}")
        )
        details = "".join(traceback.format_exception(error))
    else:
        message, details = error, None
    report = Section(
        anchor=section.slug,
        title=section_title(section, title),
        kind=section.kind,
        key=section.key,
        status="failed",
        error=message,
        details=details,
        elapsed_s=elapsed,
    )
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=False,
        summary={"status": "failed", "error": message},
        elapsed_s=elapsed,
    )


def run_guarded(
    title: str,
    analyse: Callable[[SectionSpec, RunContext], SectionOutcome],
    section: SectionSpec,
    ctx: RunContext,
) -> SectionOutcome:
    """Run ``analyse``; any exception becomes a failed outcome (the study goes on)."""
    start = time.perf_counter()
    try:
        return analyse(section, ctx)
    except Exception as exc:  # noqa: BLE001 - a failing assay must not stop the study
        return failed_outcome(section, title, exc, time.perf_counter() - start)


def conc_text(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else format_conc(value)


def files_text(paths: Sequence[Path], base: Path) -> str:
    names = [relative(p, base) for p in paths]
    if len(names) <= 4:
        return ", ".join(names)
    return ", ".join(names[:3]) + f" and {len(names) - 3} more"


def check_exclusive(
    values: dict[str, Any],
    raw: dict[str, Any],
    path: str,
    problems: Problems,
    one: str,
    other: Sequence[str],
    what: str,
) -> None:
    """Rule: give ``one`` or all of ``other`` (not both, not neither)."""
    has_one = one in raw
    has_other = [k for k in other if k in raw]
    if has_one and has_other:
        problems.append((path, f"give {one} or {' + '.join(other)} for {what}, not both"))
    elif not has_one and not has_other:
        problems.append((path, f"missing: {what}; give {one} or {' + '.join(other)}"))
    elif has_other and len(has_other) < len(other):
        lacking = [k for k in other if k not in raw]
        problems.append(
            (f"{path}.{lacking[0]}", f"missing: {' + '.join(other)} go together ({what})")
        )
