"""Regions of interest: one per animal, rectangles or polygons in full-resolution pixels.

A sidecar file (TOML or JSON) holds a list of regions::

    [[roi]]
    animal = "m1"
    rect = [10, 20, 150, 200]        # x, y, width, height

    [[roi]]
    animal = "m2"
    polygon = [[170, 20], [310, 20], [310, 220], [170, 220]]

Without regions the whole frame is one animal (``"animal"``).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from pdstudy.errors import InputFileError, UsageError

__all__ = ["Roi", "RoiMask", "parse_rois", "read_rois", "roi_masks", "whole_frame"]


@dataclass(frozen=True)
class Roi:
    """A region (one animal): polygon vertices ``(x, y)`` in full-resolution pixels."""

    animal: str
    vertices: tuple[tuple[float, float], ...]

    @classmethod
    def rect(cls, animal: str, x: float, y: float, width: float, height: float) -> Roi:
        if width <= 0 or height <= 0:
            raise UsageError(f"ROI {animal!r}: width and height must be > 0")
        return cls(animal, ((x, y), (x + width, y), (x + width, y + height), (x, y + height)))


@dataclass(frozen=True)
class RoiMask:
    """A region rasterised at the analysis resolution: its bounding box and mask."""

    animal: str
    rows: slice
    cols: slice
    mask: np.ndarray
    area: int


def whole_frame(width: int, height: int, animal: str = "animal") -> Roi:
    """The whole frame as one region."""
    return Roi.rect(animal, 0, 0, width, height)


def parse_rois(items: Sequence[Mapping[str, Any]], where: str = "roi") -> list[Roi]:
    """Regions from a list of tables with ``animal`` and ``rect`` or ``polygon``."""
    out: list[Roi] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            raise UsageError("each region is a table with animal and rect or polygon", where=at)
        animal = str(item.get("animal", f"animal{i + 1}"))
        if "rect" in item:
            r = item["rect"]
            if not (isinstance(r, Sequence) and len(r) == 4):
                raise UsageError("rect is [x, y, width, height]", where=f"{at}.rect")
            out.append(Roi.rect(animal, *(float(v) for v in r)))
        elif "polygon" in item:
            pts = item["polygon"]
            try:
                verts = tuple((float(p[0]), float(p[1])) for p in pts)
            except (TypeError, ValueError, IndexError) as exc:
                raise UsageError(
                    "polygon is a list of [x, y] points", where=f"{at}.polygon"
                ) from exc
            if len(verts) < 3:
                raise UsageError("a polygon needs at least 3 points", where=f"{at}.polygon")
            out.append(Roi(animal, verts))
        else:
            raise UsageError("give rect = [x, y, w, h] or polygon = [[x, y], ...]", where=at)
    names = [r.animal for r in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UsageError(f"animal {sorted(dup)[0]!r} has two regions", where=where)
    return out


def read_rois(path: str | PathLike[str]) -> list[Roi]:
    """Regions from a TOML (``[[roi]]``) or JSON (``{"roi": [...]}`` or a list) sidecar file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read the ROI file: {exc}", p) from exc
    try:
        data: Any = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(f"not a valid ROI file: {exc}", p) from exc
    items = data.get("roi", []) if isinstance(data, Mapping) else data
    try:
        return parse_rois(items)
    except UsageError as exc:
        raise InputFileError(exc.detail, p, exc.where) from exc


def roi_masks(rois: Sequence[Roi], width: int, height: int, scale: int = 1) -> list[RoiMask]:
    """Rasterise regions for frames of ``width`` x ``height`` (full resolution) reduced by ``scale``.

    Raises :class:`UsageError` naming the region when it leaves the frame.
    """
    import cv2

    h, w = height // scale, width // scale
    out = []
    for r in rois:
        v = np.asarray(r.vertices, dtype=float)
        if (
            v[:, 0].min() < 0
            or v[:, 1].min() < 0
            or v[:, 0].max() > width
            or v[:, 1].max() > height
        ):
            raise UsageError(
                f"region outside the {width}x{height} frame "
                f"(x {v[:, 0].min():g}..{v[:, 0].max():g}, y {v[:, 1].min():g}..{v[:, 1].max():g})",
                where=f"ROI {r.animal!r}",
            )
        vs = v / scale
        x0, y0 = int(np.floor(vs[:, 0].min())), int(np.floor(vs[:, 1].min()))
        x1, y1 = min(w, int(np.ceil(vs[:, 0].max()))), min(h, int(np.ceil(vs[:, 1].max())))
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        pts = np.round((vs - [x0, y0]) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=4)
        area = int(mask.sum())
        if area == 0:
            raise UsageError("region has no pixels at this resolution", where=f"ROI {r.animal!r}")
        out.append(RoiMask(r.animal, slice(y0, y1), slice(x0, x1), mask.astype(bool), area))
    return out
