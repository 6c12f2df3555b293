"""Report sections, one builder per assay kind: result -> :class:`~pdstudy.report.model.Section`.

A builder module (``report/sections/<kind>.py``) has:

``TITLE``
    The human name of the kind (``"Competition binding"``).
``figures(result, info) -> list[FigureSpec]``
    The figures of the section; the study's writer draws, saves and embeds them.
``build(result, info, figures, files) -> Section``
    Intro, facts, tables, QC, methods text; numbers become text only through
    :mod:`pdstudy.units`' formatters and :func:`pdstudy.report.format.format_value`.
``effects(result, info) -> tuple[tuple[str, str], ...]``
    The lines the study's headline lists as functional effects.

:class:`SectionInfo` is what a builder knows of the section besides its result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.report.model import Table

__all__ = [
    "FigureSpec",
    "SectionInfo",
    "files_text",
    "flagged_rows",
    "relative",
    "residual_figure",
]


@dataclass(frozen=True)
class SectionInfo:
    """What a section builder knows of its section besides the result.

    Attributes
    ----------
    kind, index, name, key, slug
        The section (``binding``, 1, ``"NET competition"``, ``binding[1]``,
        ``binding1_net-competition``: the stem of its output files).
    values
        The section's parsed values (molar floats, paths...).
    study_dir
        Folder that file names in the text are relative to.
    elapsed_s
        Wall time of the analysis.
    """

    kind: str
    index: int
    name: str
    key: str
    slug: str
    values: Mapping[str, Any] = field(default_factory=dict)
    study_dir: Path = Path(".")
    elapsed_s: float = math.nan

    def title(self, title: str) -> str:
        """``"<title>: <name>"``, or ``"<title> <index>"`` for an unnamed section."""
        if self.name != f"{self.kind} {self.index}":
            return f"{title}: {self.name}"
        return f"{title} {self.index}"


@dataclass(frozen=True)
class FigureSpec:
    """A figure of a section: file stem, caption and a function that draws it (returns the
    matplotlib Figure)."""

    stem: str
    caption: str
    draw: Callable[[], Any]


def residual_figure(fits: Any, slug: str, unit: str) -> FigureSpec:
    """The residual plot of a section's concentration-response fits (``unit``: the
    response's, e.g. ``"% specific binding"``)."""

    def draw() -> Any:
        from pdstudy.assays.residuals import plot_residuals
        from pdstudy.report.figures import new_figure

        fig, (ax,) = new_figure(7.0, 3.0)
        plot_residuals(fits, ax=ax, ylabel=f"residual ({unit})")
        return fig

    return FigureSpec(
        f"{slug}_residuals",
        f"Residuals (data - chosen model, {unit}) of every curve against log "
        "concentration; a run on one side of zero shows where the model misses the data.",
        draw,
    )


def relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path(base).resolve()))
    except ValueError:
        return str(path)


def files_text(paths: Sequence[Path], base: Path) -> str:
    """Up to four file names, then "and N more"."""
    names = [relative(p, base) for p in paths]
    if len(names) <= 4:
        return ", ".join(names)
    return ", ".join(names[:3]) + f" and {len(names) - 3} more"


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
