"""Counts to uptake rates, shared by the inhibition and kinetics analyses.

DPM per well (the counter's DPM, or CPM / efficiency), picomoles of tracer
(:func:`pmol_from_dpm`), protein per well (given, from a
:class:`~pdstudy.assays.protein.ProteinResult`, or a layout column), and the
checks of the plate frame both analyses share.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pdstudy.assays.plates import DPM_PER_CI, prepare_plate_frame
from pdstudy.errors import LayoutError, UsageError

if TYPE_CHECKING:
    from pdstudy.assays.protein import ProteinResult

__all__ = ["COLD_C", "pmol_from_dpm"]

#: wells below this temperature measure nonspecific uptake (4 °C controls)
COLD_C = 20.0


def pmol_from_dpm(dpm: Any, specific_activity_Ci_per_mmol: Any) -> np.ndarray:
    """Picomoles of tracer from DPM: ``DPM / (2.22e12 DPM/Ci * SA Ci/mmol) * 1e9 pmol/mmol``."""
    d = np.asarray(dpm, dtype=float)
    sa = np.asarray(specific_activity_Ci_per_mmol, dtype=float)
    if np.any(~np.isfinite(sa)) or np.any(sa <= 0):
        raise UsageError("the specific activity must be a positive number of Ci/mmol")
    return np.asarray(d / (DPM_PER_CI * sa) * 1e9)


def _raw(values: pd.Series, i: int | np.integer[Any]) -> Any:
    """The ``i``-th value as a plain Python object (for messages: 0.5, not np.float64(0.5))."""
    v = values.iloc[int(i)]
    return v.item() if isinstance(v, np.generic) else v


def _where(frame: pd.DataFrame, i: int | np.integer[Any]) -> str:
    i = int(i)
    return f"plate {frame['plate'].iloc[i]}, well {frame['well'].iloc[i]}"


def _counts(
    frame: pd.DataFrame, efficiency: float | None, counts: str, function: str
) -> tuple[np.ndarray, str]:
    """DPM per well and a note saying where they came from."""
    if counts not in ("auto", "dpm", "cpm"):
        raise UsageError(f"counts={counts!r}: use 'auto', 'dpm' or 'cpm'")
    if efficiency is not None and not (
        isinstance(efficiency, (int, float)) and 0 < efficiency <= 1
    ):
        raise UsageError(f"efficiency={efficiency!r} must be a fraction in (0, 1] (e.g. 0.45)")
    has_dpm = "dpm" in frame.columns and bool(
        np.isfinite(pd.to_numeric(frame["dpm"], errors="coerce")).all()
    )
    use_dpm = counts == "dpm" or (counts == "auto" and has_dpm)
    if use_dpm:
        if "dpm" not in frame.columns:
            raise LayoutError("counts='dpm' but the plate has no 'dpm' column", where=function)
        col, note = "dpm", "DPM from the counter"
        if efficiency is not None:
            note += f" (efficiency {efficiency:g} not used: the counter's DPM already corrects)"
    else:
        col = "cpm" if "cpm" in frame.columns else "signal"
        if col not in frame.columns:
            raise LayoutError("the plate has no 'cpm', 'dpm' or 'signal' column", where=function)
        if efficiency is None:
            raise UsageError(
                "the plate has CPM but no DPM: give the counting efficiency (e.g. efficiency=0.45 "
                "for tritium on filters) to convert CPM to DPM"
            )
        note = f"DPM = {col.upper()} / efficiency {efficiency:g}"
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
    for i in range(len(frame)):
        if not (math.isfinite(values[i]) and values[i] >= 0):
            raise LayoutError(
                f"{col} = {_raw(frame[col], i)!r} is not a count >= 0", where=_where(frame, i)
            )
    dpm = values if use_dpm else values / float(efficiency)  # type: ignore[arg-type]
    return dpm, note


def _protein_per_well(
    frame: pd.DataFrame,
    protein_mg_per_well: float | None,
    protein: ProteinResult | None,
    protein_sample: str | None,
    suspension_volume_L: float | None,
    function: str,
) -> tuple[np.ndarray, str]:
    given = [protein_mg_per_well is not None, protein is not None]
    if all(given):
        raise UsageError("give protein_mg_per_well or a protein result, not both")
    if protein_mg_per_well is not None:
        if not (math.isfinite(protein_mg_per_well) and protein_mg_per_well > 0):
            raise UsageError(f"protein_mg_per_well={protein_mg_per_well!r} must be positive")
        return (
            np.full(len(frame), float(protein_mg_per_well)),
            f"{1e3 * protein_mg_per_well:.4g} µg protein per well (given)",
        )
    if protein is not None:
        if suspension_volume_L is None or not (
            math.isfinite(suspension_volume_L) and suspension_volume_L > 0
        ):
            raise UsageError(
                "with a protein result, give suspension_volume_L: the volume of synaptosome "
                "suspension added per well (e.g. 100e-6 for 100 µL)"
            )
        mg_per_mL = protein.protein_mg_per_mL(protein_sample)
        mg = mg_per_mL * suspension_volume_L * 1e3
        return (
            np.full(len(frame), mg),
            f"{1e3 * mg:.4g} µg protein per well ({mg_per_mL:.4g} mg/mL"
            f"{f' of {protein_sample}' if protein_sample else ''} x "
            f"{suspension_volume_L * 1e6:g} µL)",
        )
    if "protein_mg_per_well" in frame.columns:
        vals = pd.to_numeric(frame["protein_mg_per_well"], errors="coerce").to_numpy(dtype=float)
        for i in range(len(frame)):
            if not (math.isfinite(vals[i]) and vals[i] > 0):
                raise LayoutError(
                    f"protein_mg_per_well = {_raw(frame['protein_mg_per_well'], i)!r} is not a "
                    "positive mass in mg",
                    where=_where(frame, i),
                )
        return vals, "protein per well from the layout's protein_mg_per_well column"
    raise UsageError(
        "no protein per well: give protein_mg_per_well, a protein result (with "
        "suspension_volume_L), or a protein_mg_per_well column in the layout"
    )


def _base_frame(frame: pd.DataFrame, function: str, target: str | None = None) -> pd.DataFrame:
    """The checked plate (:func:`~pdstudy.assays.plates.prepare_plate_frame`: ``experiment``
    defaults to the plate, as in binding), with a positional index."""
    if isinstance(frame, pd.DataFrame) and frame.empty:
        raise LayoutError("the plate has no wells", where=function)
    out = prepare_plate_frame(frame, function).reset_index(drop=True)
    out["well"] = out["well"].astype(str)
    if target:
        out["target"] = out["target"].where(out["target"] != "", target)
    return out


def _check_positive(**values: Any) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
            raise UsageError(f"{name}={v!r} must be a positive number")
        if not (math.isfinite(float(v)) and v > 0):
            raise UsageError(f"{name}={v!r} must be a positive, finite number")


def protein_ci_per_well(
    protein: ProteinResult | None, protein_sample: str | None, suspension_volume_L: float | None
) -> tuple[float, float] | None:
    """The CI of the protein per well (mg) read off a protein result; ``None`` without one.

    The calibration interval of the sample's concentration (mg/mL) times the
    volume of suspension added per well.
    """
    if protein is None or suspension_volume_L is None:
        return None
    _, lo, hi = protein.protein_with_ci(protein_sample)
    return lo * suspension_volume_L * 1e3, hi * suspension_volume_L * 1e3


def per_mg_ci(
    value: float,
    ci_low: float,
    ci_high: float,
    protein_mg: float,
    protein_ci: tuple[float, float] | None,
) -> tuple[float, float]:
    """The CI of a per-mg quantity with the protein's uncertainty carried into it.

    ``value`` (with its CI ``ci_low``-``ci_high`` from the counts) was divided
    by ``protein_mg``; the protein's CI ``protein_ci`` and the counts' CI are
    combined on the log scale as independent errors (the half-widths add in
    quadrature), as for Bmax in fmol/mg. Without a protein CI the counts' CI is
    returned; an open protein CI gives an open interval.
    """
    if protein_ci is None or not (math.isfinite(value) and value > 0):
        return ci_low, ci_high
    p_lo, p_hi = protein_ci
    if not (p_lo > 0 and math.isfinite(p_hi) and ci_low > 0 and math.isfinite(ci_high)):
        return 0.0, math.inf
    down = math.hypot(math.log(value / ci_low), math.log(p_hi / protein_mg))
    up = math.hypot(math.log(ci_high / value), math.log(protein_mg / p_lo))
    return value * math.exp(-down), value * math.exp(up)
