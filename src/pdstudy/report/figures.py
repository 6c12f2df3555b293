"""Figures for reports: matplotlib figures -> SVG/PNG files and inline SVG markup.

Figures are built with :class:`matplotlib.figure.Figure` directly (never
``pyplot``), so no global state or GUI backend is involved and they can be
made in worker processes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure

from pdstudy.report.model import Figure

__all__ = ["figure_svg", "new_figure", "render_figure", "save_figure"]

#: rc settings of every saved figure: text kept as text (small, searchable SVG)
#: and fixed ids, so the same figure gives the same file.
_RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "pdstudy", "figure.dpi": 100}
_ID = re.compile(r'\bid="([^"]+)"')


@contextmanager
def _style() -> Iterator[None]:
    with rc_context(_RC):
        yield


def new_figure(
    width: float = 6.4, height: float = 4.2, ncols: int = 1
) -> tuple[MplFigure, list[Axes]]:
    """A figure of ``width`` x ``height`` inches with ``ncols`` axes side by side.

    Returns
    -------
    (matplotlib.figure.Figure, list of Axes)
    """
    fig = MplFigure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _freeze_layout(fig: MplFigure) -> None:
    """Run the figure's layout engine once and switch it off, so each save is one draw."""
    engine = fig.get_layout_engine()
    if engine is not None and engine.__class__.__name__ != "PlaceHolderLayoutEngine":
        with _style():
            engine.execute(fig)
        fig.set_layout_engine("none")


def _svg_bytes(fig: MplFigure) -> str:
    _freeze_layout(fig)
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _inline(svg: str, prefix: str) -> str:
    """SVG markup for inlining in HTML: no XML prolog, ids made unique with ``prefix``."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    ids = set(_ID.findall(svg))
    if not ids:
        return svg

    def new(name: str) -> str:
        return f"{prefix}-{name}" if name in ids else name

    svg = _ID.sub(lambda m: f'id="{new(m.group(1))}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{new(m.group(1))})", svg)
    svg = re.sub(r'(href=")#([^"]+)"', lambda m: f'{m.group(1)}#{new(m.group(2))}"', svg)
    return svg


def figure_svg(fig: MplFigure, prefix: str = "fig") -> str:
    """Inline SVG markup of ``fig`` (ids prefixed with ``prefix`` to be unique in a page)."""
    return _inline(_svg_bytes(fig), re.sub(r"[^A-Za-z0-9_-]", "-", prefix))


def save_figure(
    fig: MplFigure,
    folder: str | PathLike[str],
    stem: str,
    formats: Sequence[str] = ("svg", "png"),
    dpi: int = 150,
    svg: str | None = None,
) -> list[Path]:
    """Write ``fig`` as ``folder/stem.<format>`` for each format; returns the paths.

    ``svg``: the figure's SVG text when already rendered (written as it is).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    _freeze_layout(fig)
    paths = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "svg":
            path.write_text(svg if svg is not None else _svg_bytes(fig), encoding="utf-8")
        else:
            with _style():
                fig.savefig(path, format=fmt, dpi=dpi)
        paths.append(path)
    return paths


def render_figure(
    fig: MplFigure,
    stem: str,
    caption: str,
    folder: str | PathLike[str] | None = None,
    relative_to: str | PathLike[str] | None = None,
) -> Figure:
    """Save ``fig`` (SVG + PNG, when ``folder`` is given) and return it as a report :class:`Figure`.

    Parameters
    ----------
    fig
        The figure; it is not modified.
    stem
        File name without extension, also the id prefix of the inline SVG.
    caption
        What the figure shows and how to read it.
    folder
        Where the files go (``None``: no files, inline only).
    relative_to
        Files are listed relative to this folder (the report's folder).
    """
    files: tuple[str, ...] = ()
    svg = _svg_bytes(fig)
    if folder is not None:
        paths = save_figure(fig, folder, stem, svg=svg)
        base = Path(relative_to) if relative_to is not None else None
        files = tuple(
            str(p.relative_to(base)) if base is not None and p.is_relative_to(base) else str(p)
            for p in paths
        )
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", stem)
    wide = float(fig.get_figwidth()) >= 8.0
    return Figure(name=stem, caption=caption, svg=_inline(svg, prefix), files=files, wide=wide)
