"""JSON as pdstudy writes it: numpy scalars to Python, NaN and infinities to ``null``.

The one place that makes values JSON-safe; every result file goes through it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["as_document", "dumps", "frame_records", "json_safe", "write_json"]


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars and arrays, NaN, Paths and frames made JSON-safe (NaN -> null)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-safe dicts (NaN and infinities become ``None``)."""
    return [json_safe(r) for r in frame.to_dict(orient="records")]


def as_document(value: Any) -> Any:
    """A result's ``to_json()`` as a dict, whether it returns a dict or a JSON string."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def dumps(value: Any) -> str:
    """Strict JSON text (``allow_nan=False``) of ``json_safe(value)``, indented."""
    return json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False)


def write_json(value: Any, path: str | PathLike[str]) -> Path:
    """Write ``value`` as strict JSON (UTF-8) and return the path."""
    p = Path(path)
    p.write_text(dumps(value), encoding="utf-8")
    return p
