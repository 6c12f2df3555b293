"""ANDI/AIA chromatography netCDF (ASTM E1947), netCDF-3 classic.

Read with :class:`scipy.io.netcdf_file`. What real exporters do, handled here:
strings are NUL-padded bytes (character arrays for variables); numbers are
sometimes written as strings (``sample_amount = "2.2"``, blank ``" "``); the
attribute names vary (``detector_unit``/``detector_units``,
``retention_unit``/``retention_units``; no retention unit means seconds);
-9999 and -1 are null markers in the peak tables; the number of points is
``len(ordinate_values)`` (``actual_run_time_length`` is not reliable) and the
time of point i is ``actual_delay_time + i * actual_sampling_interval``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.errors import InputFileError

from ._chrom_model import Chromatogram, check_trace
from .registry import Format

__all__ = ["FORMATS", "read_andi", "write_andi"]

_MAGIC = (b"CDF\x01", b"CDF\x02")
_NULLS = (-9999.0, -1.0)
_TIME_FACTORS = {
    "seconds": 1.0,
    "second": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "minutes": 60.0,
    "minute": 60.0,
    "min": 60.0,
}


def _sniff(path: Path, head: bytes) -> bool:
    return head[:4] in _MAGIC


def _text(value: Any) -> str:
    """A netCDF string (bytes, char array) as clean text."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S":
            value = b"".join(value.ravel().tolist())
        else:
            return str(value.tolist())
    if isinstance(value, bytes):
        return value.split(b"\x00", 1)[0].decode("latin-1").strip()
    return str(value).strip()


def _attr_value(value: Any) -> Any:
    """A global attribute as a number when it is one (even written as text), else text."""
    if isinstance(value, bytes | np.ndarray) and not (
        isinstance(value, np.ndarray) and value.dtype.kind in "iuf"
    ):
        text = _text(value)
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(value, np.ndarray):
        return float(value.ravel()[0]) if value.size == 1 else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _scalar(nc: Any, name: str, path: Path, default: float | None = None) -> float:
    if name not in nc.variables:
        if default is None:
            raise InputFileError("has no such variable", path, f"variable '{name}'")
        return default
    data = np.asarray(nc.variables[name].data)
    try:
        value = float(_text(data)) if data.dtype.kind == "S" else float(data.ravel()[0])
    except (ValueError, IndexError):
        raise InputFileError("is not a number", path, f"variable '{name}'") from None
    if value in _NULLS and default is not None:
        return default
    return value


def _peak_column(nc: Any, name: str, n: int) -> np.ndarray:
    if name not in nc.variables:
        return np.full(n, np.nan)
    data = np.asarray(nc.variables[name].data, dtype=float).ravel()[:n].copy()
    data[np.isin(data, _NULLS)] = np.nan
    return data


def read_andi(path: Path) -> Chromatogram:
    """Read an ANDI/AIA chromatography netCDF file (see the module notes)."""
    from scipy.io import netcdf_file

    try:
        nc = netcdf_file(path, "r", mmap=False)
    except Exception as exc:  # scipy raises ValueError, TypeError, IndexError... on a bad file
        raise InputFileError(
            f"cannot read as netCDF-3 (truncated or corrupt file?): {exc}", path
        ) from None
    try:
        return _read_open(nc, path)
    finally:
        nc.close()


def _read_open(nc: Any, path: Path) -> Chromatogram:
    if "ordinate_values" not in nc.variables:
        raise InputFileError(
            "has no detector trace (not an ANDI chromatography file?)",
            path,
            "variable 'ordinate_values'",
        )
    try:
        signal = np.asarray(nc.variables["ordinate_values"].data, dtype=float).ravel().copy()
    except (ValueError, TypeError) as exc:
        raise InputFileError(f"cannot read: {exc}", path, "variable 'ordinate_values'") from None
    meta = {k: _attr_value(v) for k, v in nc._attributes.items()}
    unit_name = str(meta.get("retention_unit", meta.get("retention_units", "seconds"))).lower()
    if unit_name in ("", " "):
        unit_name = "seconds"
    if unit_name not in _TIME_FACTORS:
        raise InputFileError(
            f"unknown retention unit {unit_name!r}", path, "attribute 'retention_unit'"
        )
    factor = _TIME_FACTORS[unit_name]
    interval = _scalar(nc, "actual_sampling_interval", path)
    if not interval > 0:
        raise InputFileError(
            f"sampling interval must be positive, not {interval:g}",
            path,
            "variable 'actual_sampling_interval'",
        )
    delay = _scalar(nc, "actual_delay_time", path, default=0.0)
    time_s = (delay + np.arange(signal.size) * interval) * factor
    check_trace(time_s, signal, path, "variable 'ordinate_values'")
    signal_unit = str(meta.get("detector_unit", meta.get("detector_units", "")))
    peaks = None
    if "peak_retention_time" in nc.variables:
        rt = np.asarray(nc.variables["peak_retention_time"].data, dtype=float).ravel()
        n = rt.size
        if "peak_name" in nc.variables:
            names = [
                _text(row) for row in np.asarray(nc.variables["peak_name"].data).reshape(n, -1)
            ]
        else:
            names = [""] * n
        peaks = pd.DataFrame(
            {
                "rt_s": rt * factor,
                "area": _peak_column(nc, "peak_area", n),
                "height": _peak_column(nc, "peak_height", n),
                "name": names,
                "start_s": _peak_column(nc, "peak_start_time", n) * factor,
                "end_s": _peak_column(nc, "peak_end_time", n) * factor,
            }
        )
    meta["retention_unit"] = unit_name
    return Chromatogram(time_s, signal, path, "andi", signal_unit, meta, peaks)


def write_andi(
    time_s: np.ndarray,
    signal: np.ndarray,
    path: Path,
    *,
    signal_unit: str = "nA",
    metadata: dict[str, str] | None = None,
) -> None:
    """Write a uniformly sampled trace as an ANDI/AIA netCDF-3 file (retention in seconds)."""
    from scipy.io import netcdf_file

    time_s = np.asarray(time_s, dtype=float)
    interval = float(np.median(np.diff(time_s)))
    with netcdf_file(path, "w", version=1) as nc:
        nc.aia_template_revision = b"1.0"
        nc.netcdf_revision = b"2.3.2"
        nc.dataset_completeness = b"C1+C2"
        nc.separation_experiment_type = b"liquid chromatography"
        nc.detector_unit = signal_unit.encode()
        nc.retention_unit = b"seconds"
        for key, value in (metadata or {}).items():
            setattr(nc, key, str(value).encode())
        nc.createDimension("_2_byte_string", 2)
        nc.createDimension("point_number", time_s.size)
        scalars: tuple[tuple[str, float], ...] = (
            ("actual_sampling_interval", interval),
            ("actual_delay_time", float(time_s[0])),
            ("actual_run_time_length", float(time_s[-1] - time_s[0])),
        )
        for name, number in scalars:
            var = nc.createVariable(name, "f", ())
            var.data[...] = number
        ordinate = nc.createVariable("ordinate_values", "f", ("point_number",))
        ordinate[:] = np.asarray(signal, dtype=np.float32)


FORMATS = [
    Format(
        name="andi",
        description="ANDI/AIA chromatography netCDF (ASTM E1947), netCDF-3 classic",
        sniff=_sniff,
        read=read_andi,
        extensions=(".cdf", ".nc"),
        priority=10,
        writers={"andi": write_andi},
    )
]
