"""Plate design for radioligand binding, uptake and protein assays.

Everything here returns tidy frames (one row per used well) or figures; nothing
writes files. A layout frame has the columns

``plate`` (str, ``"1"``, ``"2"``...), ``well`` (``"A1"``), ``row`` (``"A"``),
``col`` (1-based int), ``assay`` (``"competition"``, ``"saturation"``,
``"uptake"``, ``"protein"``), ``role``, ``compound``, ``conc_M``, ``replicate``

plus assay-specific extras described in each function. Write it with
``pdstudy.io.write_layout(frame, path)``; plot it with :func:`plot_plate_map`
or render it with :func:`plate_map_html`.

Well names and plate geometry come from :mod:`pdstudy.io.wells`; here
:data:`PLATE_GEOMETRIES` are the plates a layout can use (6 to 384 wells),
``well_name`` is ``pdstudy.io.wells.well_name`` and ``parse_well`` is
``pdstudy.io.wells.require_well`` (a :class:`~pdstudy.errors.LayoutError` for
a text that is not a well name).

Conventions of the layouts (all documented choices):

- Roles: ``total`` (no competitor), ``nsb`` (nonspecific: 10 µM desipramine by
  default, or 4 °C in uptake), ``competition`` (test compound at ``conc_M``),
  ``blank`` (background, no membranes), ``control`` (uptake at 100 %),
  ``standard``/``sample`` (protein plates).
- Total wells have ``compound == ""`` and ``conc_M == 0.0``; NSB wells carry the
  blocking compound and its concentration in ``compound``/``conc_M``.
- Saturation layouts use roles ``total`` and ``nsb`` with ``conc_M`` holding
  the **radioligand** concentration (as ``pdstudy.columns`` documents) and
  ``compound`` the radioligand name; the blocker of NSB wells is in the extra
  columns ``blocker``/``blocker_conc_M``.
- Wells are filled in order: blanks, totals (or controls), NSB, then each
  compound's series in the order given (concentrations highest first).
  ``fill="across"`` puts the replicates of one condition side by side along a
  row (row-major; every well of the plate usable); ``fill="down"`` stacks them
  in a column inside a band of ``replicates`` rows (the classic "triplicates
  down, concentrations across" map; rows below the last whole band are not
  used). The replicates of one condition never straddle two rows (or two
  band columns) when they fit in one: such a condition starts on the next row
  and the wells skipped stay empty.
- Total/NSB (or control/NSB) wells are per plate, shared by the compounds on
  that plate. Compounds that do not fit go to the next plate when
  ``max_plates`` allows, otherwise a :class:`~pdstudy.errors.LayoutError`
  says how many wells are needed and how many there are.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pdstudy.errors import LayoutError, UsageError
from pdstudy.io.wells import STANDARD_PLATES, row_label, well_name
from pdstudy.io.wells import require_well as parse_well
from pdstudy.units import format_conc, format_conc_short

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "BCA_STANDARDS_UG_PER_ML",
    "PLATE_GEOMETRIES",
    "ROLE_COLOURS",
    "competition_layout",
    "concentration_series",
    "dilution_table",
    "parse_well",
    "plate_map_html",
    "plate_shape",
    "plot_plate_map",
    "protein_layout",
    "saturation_layout",
    "saturation_series",
    "uptake_layout",
    "well_name",
]

#: the plates a layout can use: size (number of wells) -> (rows, columns), from
#: the one geometry module, pdstudy.io.wells (6 to 384 wells)
PLATE_GEOMETRIES: dict[int, tuple[int, int]] = {
    size: shape for size, shape in STANDARD_PLATES.items() if size <= 384
}

#: fill colour of each role in plate maps (figure and HTML)
ROLE_COLOURS: dict[str, str] = {
    "total": "#4e79a7",
    "nsb": "#e15759",
    "competition": "#f28e2b",
    "blank": "#bab0ac",
    "control": "#59a14f",
    "standard": "#76b7b2",
    "sample": "#b07aa1",
    "saturation": "#4e79a7",
    "substrate": "#edc948",
}

_ROLE_ABBREV = {
    "total": "TB",
    "nsb": "NSB",
    "blank": "BLK",
    "control": "CTL",
    "standard": "STD",
    "sample": "SMP",
}

_FILLS = ("across", "down")


# --------------------------------------------------------------------------- wells


def plate_shape(plate_format: int) -> tuple[int, int]:
    """Return ``(rows, columns)`` of a standard plate (6 to 384 wells)."""
    try:
        return PLATE_GEOMETRIES[int(plate_format)]
    except (KeyError, TypeError, ValueError):
        known = ", ".join(str(k) for k in PLATE_GEOMETRIES)
        raise UsageError(
            f"plate_format={plate_format!r} is not a known plate; use one of {known}"
        ) from None


def _well_order(plate_format: int, fill: str, band: int) -> list[str]:
    n_rows, n_cols = plate_shape(plate_format)
    if fill == "across":
        return [well_name(r, c) for r in range(n_rows) for c in range(n_cols)]
    if fill == "down":
        if band > n_rows:
            raise UsageError(
                f"fill='down' stacks the {band} replicates in one column, "
                f"but a {plate_format}-well plate has only {n_rows} rows; use fill='across'"
            )
        order: list[str] = []
        for b in range(n_rows // band):
            for c in range(n_cols):
                order.extend(well_name(b * band + r, c) for r in range(band))
        return order
    raise UsageError(f"fill={fill!r}: use one of {', '.join(_FILLS)}")


# ------------------------------------------------------------- concentration series


def concentration_series(
    expected_ki_M: float | tuple[float, float] | None = None,
    *,
    radioligand_M: float | None = None,
    kd_M: float | None = None,
    n: int = 10,
    spacing_log: float = 0.5,
    span: float | None = None,
    top_M: float | None = None,
) -> np.ndarray:
    """Final assay concentrations of a competitor, centred on the expected IC50.

    The expected IC50 is ``Ki * (1 + [L]/Kd)`` (Cheng-Prusoff) when both
    ``radioligand_M`` and ``kd_M`` are given, else ``Ki``. For an uptake assay
    pass the substrate concentration and its Km in their place. The IC50 sits
    in the log-middle of the series: on the middle point for odd ``n``, between
    the two middle points for even ``n``.

    Parameters
    ----------
    expected_ki_M
        Expected Ki (M), or a ``(low, high)`` range whose geometric middle is
        used. Not needed when ``top_M`` is given.
    radioligand_M, kd_M
        Radioligand (or substrate) concentration and its Kd (or Km), M.
    n
        Number of concentrations (>= 2).
    spacing_log
        Step between neighbours in log10 units (0.5 = half-log, 1 = log).
    span
        Width of the whole series in log10 units; when given it overrides
        ``spacing_log`` (``spacing_log = span / (n - 1)``).
    top_M
        Highest concentration; when given the series starts there and steps
        down (no centring).

    Returns
    -------
    numpy.ndarray
        ``n`` molar concentrations, **descending** (highest first, the order of
        a serial dilution).
    """
    if isinstance(n, bool) or int(n) != n or n < 2:
        raise UsageError(f"n={n!r}: a series needs at least 2 concentrations")
    n = int(n)
    if span is not None:
        if not (math.isfinite(span) and span > 0):
            raise UsageError(f"span={span!r} must be a positive number of log10 units")
        spacing_log = span / (n - 1)
    if not (math.isfinite(spacing_log) and spacing_log > 0):
        raise UsageError(f"spacing_log={spacing_log!r} must be a positive number of log10 units")
    steps = np.arange(n, dtype=float) * spacing_log

    if top_M is not None:
        _check_positive(top_M, "top_M")
        return np.asarray(top_M * 10.0 ** (-steps))

    if expected_ki_M is None:
        raise UsageError("give expected_ki_M (a Ki or a (low, high) range) or top_M")
    if isinstance(expected_ki_M, (tuple, list)):
        if len(expected_ki_M) != 2:
            raise UsageError(f"expected_ki_M range must be (low, high), got {expected_ki_M!r}")
        low, high = (float(v) for v in expected_ki_M)
        _check_positive(low, "expected_ki_M low")
        _check_positive(high, "expected_ki_M high")
        ki = math.sqrt(low * high)
    else:
        ki = float(expected_ki_M)
        _check_positive(ki, "expected_ki_M")

    if (radioligand_M is None) != (kd_M is None):
        raise UsageError(
            "give both radioligand_M and kd_M (for the Cheng-Prusoff shift) or neither"
        )
    ic50 = ki
    if radioligand_M is not None and kd_M is not None:
        if radioligand_M < 0 or not math.isfinite(radioligand_M):
            raise UsageError(f"radioligand_M={radioligand_M!r} must be >= 0")
        _check_positive(kd_M, "kd_M")
        ic50 = ki * (1.0 + radioligand_M / kd_M)
    top_log = math.log10(ic50) + (n - 1) * spacing_log / 2.0
    return np.asarray(10.0 ** (top_log - steps))


def saturation_series(
    kd_M: float, *, n: int = 8, low_fold: float = 0.1, high_fold: float = 10.0
) -> np.ndarray:
    """Radioligand concentrations from ``low_fold*Kd`` to ``high_fold*Kd``, log-spaced, ascending."""
    _check_positive(kd_M, "kd_M")
    if int(n) != n or n < 2:
        raise UsageError(f"n={n!r}: a saturation series needs at least 2 concentrations")
    if not (0 < low_fold < high_fold):
        raise UsageError(f"need 0 < low_fold < high_fold, got {low_fold!r}, {high_fold!r}")
    return np.asarray(kd_M * np.geomspace(low_fold, high_fold, int(n)))


def _check_positive(value: Any, name: str) -> None:
    try:
        ok = math.isfinite(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise UsageError(f"{name}={value!r} must be a positive, finite molar concentration")


# --------------------------------------------------------------------------- layouts


_GROUP_IDS = itertools.count()


def _well_record(role: str, compound: str, conc: float, replicate: int, **extra: Any) -> dict:
    return {
        "role": role,
        "compound": compound,
        "conc_M": float(conc),
        "replicate": replicate,
        **extra,
    }


def _group(n: int, role: str, compound: str, conc: float, **extra: Any) -> list[dict]:
    """``n`` replicate wells of one condition; ``_grp`` keeps them together when placed."""
    gid = next(_GROUP_IDS)
    return [_well_record(role, compound, conc, i + 1, _grp=gid, **extra) for i in range(n)]


def _check_count(value: Any, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise UsageError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def _conc_list(values: Any, name: str) -> list[float]:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise UsageError(f"{name} must be a non-empty sequence of molar concentrations")
    for v in arr:
        _check_positive(v, name)
    return [float(v) for v in arr]


def _place(records: list[dict], line: int) -> tuple[list[int], int]:
    """Slot of each record, keeping a group inside one line (row or band column) when it fits.

    Returns the slots and the number of slots used including the gaps (more
    than the plate's capacity means the records do not fit).
    """
    slots: list[int] = []
    pos = 0
    i = 0
    while i < len(records):
        j = i
        while j < len(records) and records[j]["_grp"] == records[i]["_grp"]:
            j += 1
        size = j - i
        if size <= line and pos % line + size > line:
            pos = (pos // line + 1) * line
        slots.extend(range(pos, pos + size))
        pos += size
        i = j
    return slots, pos


def _pack(
    controls: list[dict],
    blocks: list[tuple[str, list[dict]]],
    *,
    assay: str,
    plate_format: int,
    fill: str,
    band: int,
    max_plates: int,
    extras: Mapping[str, Any],
    function: str,
) -> pd.DataFrame:
    """Place per-plate controls and compound blocks onto as few plates as possible."""
    order = _well_order(plate_format, fill, band)
    capacity = len(order)
    line = plate_shape(plate_format)[1] if fill == "across" else band
    usable = (
        f"{capacity} usable wells with fill='down' ({plate_format} in all)"
        if capacity < plate_format
        else f"{capacity} wells"
    )

    def describe(records: list[dict]) -> str:
        _, used = _place(records, line)
        n_series = len(records) - len(controls)
        gaps = used - len(records)
        gap_text = f", plus {gaps} left empty to keep replicates together" if gaps else ""
        return f"{len(records)} wells ({len(controls)} control + {n_series} series{gap_text})"

    plates: list[list[dict]] = []
    current: list[dict] = []
    for name, block in blocks:
        if _place(controls + block, line)[1] > capacity:
            raise LayoutError(
                f"compound {name!r} needs {describe(controls + block)} but a "
                f"{plate_format}-well plate has {usable}; use a larger plate_format, fewer "
                "replicates or fewer concentrations",
                where=function,
            )
        if current and _place(controls + current + block, line)[1] > capacity:
            plates.append(current)
            current = []
        current.extend(block)
    if current or not blocks:
        plates.append(current)
    if len(plates) > max_plates:
        everything = controls + [w for _, block in blocks for w in block]
        raise LayoutError(
            f"the layout needs {describe(everything)} on one plate but a "
            f"{plate_format}-well plate has {usable}; it fits on {len(plates)} plates: "
            f"pass max_plates={len(plates)}, a larger plate_format, or fewer "
            "compounds/replicates/concentrations",
            where=function,
        )
    rows = []
    for p, wells in enumerate(plates, start=1):
        records = controls + wells
        slots, _ = _place(records, line)
        for slot, rec in zip(slots, records, strict=True):
            well = order[slot]
            r, c = parse_well(well)
            fields = {k: v for k, v in rec.items() if k != "_grp"}
            rows.append(
                {
                    "plate": str(p),
                    "well": well,
                    "row": row_label(r),
                    "col": c + 1,
                    "assay": assay,
                    **fields,
                    **extras,
                }
            )
    frame = pd.DataFrame(rows)
    frame["replicate"] = frame["replicate"].astype(int)
    frame["col"] = frame["col"].astype(int)
    frame.attrs["plate_format"] = plate_format
    return frame


def _extras(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


def _compound_series(
    concs_M: Sequence[float] | Mapping[str, Sequence[float]], compound: str | Sequence[str]
) -> list[tuple[str, list[float]]]:
    if isinstance(concs_M, Mapping):
        if isinstance(compound, str):
            compound = [compound]
        missing = [c for c in compound if c not in concs_M]
        if missing:
            raise UsageError(f"no concentrations given for compound(s) {missing}")
        return [(str(c), _conc_list(concs_M[c], f"concs_M[{c!r}]")) for c in compound]
    names = [compound] if isinstance(compound, str) else list(compound)
    if not names or any(not isinstance(c, str) or not c for c in names):
        raise UsageError(f"compound={compound!r}: give a compound name or a list of names")
    if len(set(names)) != len(names):
        raise UsageError(f"compound={compound!r} names a compound twice")
    concs = sorted(_conc_list(concs_M, "concs_M"), reverse=True)
    return [(c, concs) for c in names]


def competition_layout(
    concs_M: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    compound: str | Sequence[str],
    replicates: int = 3,
    plate_format: int = 96,
    nsb_compound: str = "desipramine",
    nsb_conc_M: float = 10e-6,
    n_total: int | None = None,
    n_nsb: int | None = None,
    n_blank: int = 0,
    target: str | None = None,
    radioligand: str | None = None,
    radioligand_M: float | None = None,
    fill: str = "across",
    max_plates: int = 1,
) -> pd.DataFrame:
    """Layout of a radioligand competition binding assay.

    Per plate: ``n_blank`` blank wells, ``n_total`` total-binding wells (buffer,
    no competitor), ``n_nsb`` NSB wells (``nsb_compound`` at ``nsb_conc_M``),
    then each compound at each concentration in ``replicates`` wells.

    Parameters
    ----------
    concs_M
        Final assay concentrations (M) shared by all compounds, or a mapping
        compound -> concentrations. Placed highest first.
    compound
        One compound name or several; several share a plate while they fit.
    replicates
        Wells per concentration (default triplicate, as in the protocol).
    plate_format
        96 or 384 (also 6-48).
    nsb_compound, nsb_conc_M
        Compound defining nonspecific binding (protocol: 10 µM desipramine).
    n_total, n_nsb
        Total and NSB wells per plate; default ``replicates``.
    n_blank
        Background wells (no membranes) per plate.
    target, radioligand, radioligand_M
        Optional extra columns (``target``, ``radioligand``, ``radioligand_M``).
    fill
        ``"across"`` (replicates side by side in a row) or ``"down"``.
    max_plates
        How many plates the compounds may spread over.

    Returns
    -------
    pandas.DataFrame
        One row per used well (see the module docstring for the columns).

    Raises
    ------
    LayoutError
        When the wells needed exceed the plate(s); the message gives both counts.
    """
    replicates = _check_count(replicates, "replicates", 1)
    max_plates = _check_count(max_plates, "max_plates", 1)
    n_total = replicates if n_total is None else _check_count(n_total, "n_total")
    n_nsb = replicates if n_nsb is None else _check_count(n_nsb, "n_nsb")
    n_blank = _check_count(n_blank, "n_blank")
    _check_positive(nsb_conc_M, "nsb_conc_M")
    if radioligand_M is not None:
        _check_positive(radioligand_M, "radioligand_M")
    series = _compound_series(concs_M, compound)
    controls = (
        _group(n_blank, "blank", "", 0.0)
        + _group(n_total, "total", "", 0.0)
        + _group(n_nsb, "nsb", nsb_compound, nsb_conc_M)
    )
    blocks = [
        (name, [w for c in concs for w in _group(replicates, "competition", name, c)])
        for name, concs in series
    ]
    return _pack(
        controls,
        blocks,
        assay="competition",
        plate_format=plate_format,
        fill=fill,
        band=replicates,
        max_plates=max_plates,
        extras=_extras(target=target, radioligand=radioligand, radioligand_M=radioligand_M),
        function="competition_layout",
    )


def saturation_layout(
    radioligand_concs_M: Sequence[float],
    *,
    radioligand: str = "[3H]nisoxetine",
    replicates: int = 3,
    nsb_replicates: int | None = None,
    plate_format: int = 96,
    nsb_compound: str = "desipramine",
    nsb_conc_M: float = 10e-6,
    n_blank: int = 0,
    target: str | None = None,
    fill: str = "across",
) -> pd.DataFrame:
    """Layout of a saturation binding assay: total and NSB wells at each radioligand concentration.

    Role choice: saturation wells use roles ``total`` and ``nsb``; ``conc_M``
    is the radioligand concentration and ``compound`` the radioligand name.
    NSB wells name their blocker in ``blocker``/``blocker_conc_M`` (``""`` and
    0.0 in total wells). Concentrations are placed lowest first, each as
    ``replicates`` total wells followed by ``nsb_replicates`` NSB wells.
    """
    replicates = _check_count(replicates, "replicates", 1)
    nsb_replicates = (
        replicates if nsb_replicates is None else _check_count(nsb_replicates, "nsb_replicates")
    )
    n_blank = _check_count(n_blank, "n_blank")
    _check_positive(nsb_conc_M, "nsb_conc_M")
    concs = sorted(_conc_list(radioligand_concs_M, "radioligand_concs_M"))
    controls = _group(n_blank, "blank", "", 0.0, blocker="", blocker_conc_M=0.0)
    wells: list[dict] = []
    for c in concs:
        wells += _group(replicates, "total", radioligand, c, blocker="", blocker_conc_M=0.0)
        wells += _group(
            nsb_replicates, "nsb", radioligand, c, blocker=nsb_compound, blocker_conc_M=nsb_conc_M
        )
    return _pack(
        controls,
        [(radioligand, wells)],
        assay="saturation",
        plate_format=plate_format,
        fill=fill,
        band=replicates,
        max_plates=1,
        extras=_extras(target=target),
        function="saturation_layout",
    )


def uptake_layout(
    concs_M: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    compound: str | Sequence[str],
    replicates: int = 3,
    plate_format: int = 96,
    nonspecific: str = "inhibitor",
    nsb_compound: str = "desipramine",
    nsb_conc_M: float = 10e-6,
    n_control: int | None = None,
    n_nsb: int | None = None,
    n_blank: int = 0,
    substrate: str | None = "[3H]norepinephrine",
    substrate_M: float | None = None,
    target: str | None = None,
    fill: str = "across",
    max_plates: int = 1,
) -> pd.DataFrame:
    """Layout of a synaptosomal uptake-inhibition assay.

    Roles: ``control`` (vehicle, 100 % uptake), ``nsb`` (nonspecific uptake),
    ``competition`` (test compound at ``conc_M``), ``blank``. Nonspecific
    uptake is defined either by an inhibitor (``nonspecific="inhibitor"``:
    ``nsb_compound`` at ``nsb_conc_M``, 10 µM desipramine by default) or by
    incubation on ice (``nonspecific="4C"``: compound ``""``, conc 0). The
    extra column ``temperature_C`` is 37 everywhere except 4 °C NSB wells.
    ``substrate``/``substrate_M`` are added as columns when given (protocol:
    [3H]-NE at 10-20 nM final).
    """
    replicates = _check_count(replicates, "replicates", 1)
    max_plates = _check_count(max_plates, "max_plates", 1)
    n_control = replicates if n_control is None else _check_count(n_control, "n_control")
    n_nsb = replicates if n_nsb is None else _check_count(n_nsb, "n_nsb")
    n_blank = _check_count(n_blank, "n_blank")
    if substrate_M is not None:
        _check_positive(substrate_M, "substrate_M")
    series = _compound_series(concs_M, compound)
    if nonspecific == "inhibitor":
        _check_positive(nsb_conc_M, "nsb_conc_M")
        nsb = _group(n_nsb, "nsb", nsb_compound, nsb_conc_M, temperature_C=37.0)
    elif nonspecific in ("4C", "4 C", "4°C", "cold"):
        nsb = _group(n_nsb, "nsb", "", 0.0, temperature_C=4.0)
    else:
        raise UsageError(f"nonspecific={nonspecific!r}: use 'inhibitor' or '4C'")
    controls = (
        _group(n_blank, "blank", "", 0.0, temperature_C=37.0)
        + _group(n_control, "control", "", 0.0, temperature_C=37.0)
        + nsb
    )
    blocks = [
        (
            name,
            [
                w
                for c in concs
                for w in _group(replicates, "competition", name, c, temperature_C=37.0)
            ],
        )
        for name, concs in series
    ]
    return _pack(
        controls,
        blocks,
        assay="uptake",
        plate_format=plate_format,
        fill=fill,
        band=replicates,
        max_plates=max_plates,
        extras=_extras(substrate=substrate, substrate_M=substrate_M, target=target),
        function="uptake_layout",
    )


#: BSA standards of the common BCA kit set, µg/mL (0 is the blank)
BCA_STANDARDS_UG_PER_ML = (25.0, 125.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, 2000.0)


def protein_layout(
    samples: Sequence[str] = ("S1", "S2", "S3"),
    *,
    standards_ug_per_mL: Sequence[float] = BCA_STANDARDS_UG_PER_ML,
    standard_replicates: int = 2,
    sample_replicates: int = 3,
    n_blank: int | None = None,
    plate_format: int = 96,
    fill: str = "across",
) -> pd.DataFrame:
    """Layout of a Bradford/BCA protein plate: blanks, BSA standards, unknown samples.

    Roles ``blank`` (0 µg/mL, ``n_blank`` wells, default ``standard_replicates``),
    ``standard`` (known ``protein_ug_per_mL``) and ``sample`` (name in
    ``sample``; ``protein_ug_per_mL`` NaN because it is what the assay
    measures). ``compound`` is ``"BSA"`` for standards, ``conc_M`` is NaN
    throughout (mass concentrations are in ``protein_ug_per_mL``).
    """
    standard_replicates = _check_count(standard_replicates, "standard_replicates", 1)
    sample_replicates = _check_count(sample_replicates, "sample_replicates", 1)
    n_blank = standard_replicates if n_blank is None else _check_count(n_blank, "n_blank")
    stds = np.asarray(standards_ug_per_mL, dtype=float)
    if stds.ndim != 1 or stds.size < 2 or np.any(~np.isfinite(stds)) or np.any(stds <= 0):
        raise UsageError("standards_ug_per_mL must be >= 2 positive concentrations (µg/mL)")
    names = [str(s) for s in samples]
    if len(set(names)) != len(names):
        raise UsageError(f"samples={list(samples)!r} names a sample twice")
    nan = float("nan")
    controls = _group(n_blank, "blank", "", nan, sample="", protein_ug_per_mL=0.0)
    for s in sorted(stds):
        controls += _group(
            standard_replicates, "standard", "BSA", nan, sample="", protein_ug_per_mL=float(s)
        )
    blocks = [
        (name, _group(sample_replicates, "sample", "", nan, sample=name, protein_ug_per_mL=nan))
        for name in names
    ]
    return _pack(
        controls,
        blocks,
        assay="protein",
        plate_format=plate_format,
        fill=fill,
        band=max(standard_replicates, sample_replicates),
        max_plates=1,
        extras={},
        function="protein_layout",
    )


# ------------------------------------------------------------------ dilution table


def dilution_table(
    final_concs_M: Sequence[float],
    *,
    stock_M: float,
    well_volume_uL: float = 200.0,
    compound_volume_uL: float = 50.0,
    fold: float | None = None,
    replicates: int = 3,
    working_volume_uL: float | None = None,
    max_step_dilution: float | None = 100.0,
    intermediate_volume_uL: float = 100.0,
    min_pipette_uL: float = 1.0,
) -> pd.DataFrame:
    """Serial-dilution table for the working solutions of a concentration series.

    Each well receives ``compound_volume_uL`` of working solution in a total of
    ``well_volume_uL`` (protocol: 50 µL compound + 50 µL radioligand + 100 µL
    membranes), so a working solution is ``well_volume_uL / compound_volume_uL``
    (4x) the final assay concentration. The highest working solution is made
    from the stock (through intermediate 1:``max_step_dilution`` steps when the
    stock is more concentrated than that), each lower one from the one above.

    Volumes are computed from the last step backwards so that every working
    solution keeps ``working_volume_uL`` for the wells after giving the next
    step its transfer: for step *i* with dilution factor ``d_i`` (source conc /
    working conc), ``total_i = keep_i + transfer_(i+1)``, ``transfer_i =
    total_i / d_i``, ``diluent_i = total_i - transfer_i``.

    Parameters
    ----------
    final_concs_M
        Final assay concentrations (any order; the table runs highest first).
    stock_M
        Concentration of the stock solution.
    well_volume_uL, compound_volume_uL
        Assay volume per well and volume of working solution added per well.
    fold
        Expected dilution factor between neighbours (e.g. ``10**0.5``); when
        given the series is checked against it. ``None`` accepts any series.
    replicates
        Wells per concentration, used for the default ``working_volume_uL``.
    working_volume_uL
        Volume of each working solution left for the wells; default
        ``compound_volume_uL * (replicates + 1)`` (one well's worth spare).
    max_step_dilution
        Largest dilution made in one step from the stock; more needs
        intermediate dilutions. ``None`` for a single step.
    intermediate_volume_uL
        Minimum volume made of an intermediate dilution.
    min_pipette_uL
        Transfers below this get a note.

    Returns
    -------
    pandas.DataFrame
        Columns ``step`` (1-based), ``kind`` (``"intermediate"``/``"working"``),
        ``source`` (``"stock"`` or ``"step k"``), ``source_M``, ``working_M``,
        ``final_M`` (NaN for intermediates), ``dilution_factor``, ``total_uL``,
        ``transfer_uL``, ``diluent_uL``, ``keep_uL``, ``note``.
    """
    for name, v in (
        ("well_volume_uL", well_volume_uL),
        ("compound_volume_uL", compound_volume_uL),
        ("intermediate_volume_uL", intermediate_volume_uL),
    ):
        if not (math.isfinite(v) and v > 0):
            raise UsageError(f"{name}={v!r} must be a positive volume in µL")
    if compound_volume_uL > well_volume_uL:
        raise UsageError(
            f"compound_volume_uL={compound_volume_uL} exceeds well_volume_uL={well_volume_uL}"
        )
    replicates = _check_count(replicates, "replicates", 1)
    _check_positive(stock_M, "stock_M")
    finals = sorted(_conc_list(final_concs_M, "final_concs_M"), reverse=True)
    if len(set(finals)) != len(finals):
        raise UsageError("final_concs_M holds the same concentration twice")
    factor = well_volume_uL / compound_volume_uL
    working = [f * factor for f in finals]
    keep = compound_volume_uL * (replicates + 1) if working_volume_uL is None else working_volume_uL
    if not (math.isfinite(keep) and keep > 0):
        raise UsageError(f"working_volume_uL={working_volume_uL!r} must be a positive volume")
    if fold is not None:
        if not (math.isfinite(fold) and fold > 1):
            raise UsageError(f"fold={fold!r} must be a dilution factor > 1")
        for hi, lo in zip(finals, finals[1:], strict=False):
            if not math.isclose(hi / lo, fold, rel_tol=1e-6):
                raise UsageError(
                    f"final concentrations {format_conc(hi)} -> {format_conc(lo)} are a "
                    f"{hi / lo:.4g}-fold step, not fold={fold:g}"
                )
    if working[0] > stock_M * (1 + 1e-12):
        raise UsageError(
            f"stock {format_conc(stock_M)} is below the top working solution "
            f"{format_conc(working[0])} ({factor:g}x the top final {format_conc(finals[0])})"
        )

    # intermediate dilutions of the stock
    intermediates: list[float] = []
    if max_step_dilution is not None:
        if not (math.isfinite(max_step_dilution) and max_step_dilution > 1):
            raise UsageError(f"max_step_dilution={max_step_dilution!r} must be > 1 or None")
        c = stock_M
        while c / working[0] > max_step_dilution * (1 + 1e-9):
            c = c / max_step_dilution
            intermediates.append(c)

    concs = intermediates + working
    kinds = ["intermediate"] * len(intermediates) + ["working"] * len(working)
    finals_col = [float("nan")] * len(intermediates) + finals
    sources = [stock_M] + concs[:-1]
    keeps = [0.0] * len(intermediates) + [keep] * len(working)

    n = len(concs)
    total = [0.0] * n
    transfer = [0.0] * n
    for i in range(n - 1, -1, -1):
        needed = keeps[i] + (transfer[i + 1] if i + 1 < n else 0.0)
        if kinds[i] == "intermediate":
            needed = max(needed, intermediate_volume_uL)
        total[i] = needed
        transfer[i] = needed / (sources[i] / concs[i])

    rows = []
    for i in range(n):
        note = ""
        if transfer[i] < min_pipette_uL * (1 - 1e-9):
            note = (
                f"transfer {transfer[i]:.3g} µL is below {min_pipette_uL:g} µL: "
                "make an intermediate dilution or a larger volume"
            )
        rows.append(
            {
                "step": i + 1,
                "kind": kinds[i],
                "source": "stock" if i == 0 else f"step {i}",
                "source_M": sources[i],
                "working_M": concs[i],
                "final_M": finals_col[i],
                "dilution_factor": sources[i] / concs[i],
                "total_uL": total[i],
                "transfer_uL": transfer[i],
                "diluent_uL": total[i] - transfer[i],
                "keep_uL": keeps[i] if kinds[i] == "working" else total[i] - _next(transfer, i),
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def _next(transfer: list[float], i: int) -> float:
    return transfer[i + 1] if i + 1 < len(transfer) else 0.0


# --------------------------------------------------------------------- plate maps


def _infer_format(layout: pd.DataFrame, plate_format: int | None) -> int:
    if plate_format is not None:
        plate_shape(plate_format)
        return int(plate_format)
    hinted = layout.attrs.get("plate_format")
    rc = [parse_well(w) for w in layout["well"]]
    max_r = max((r for r, _ in rc), default=0)
    max_c = max((c for _, c in rc), default=0)
    candidates = ([int(hinted)] if hinted in PLATE_GEOMETRIES else []) + sorted(PLATE_GEOMETRIES)
    for fmt in candidates:
        n_rows, n_cols = PLATE_GEOMETRIES[fmt]
        if max_r < n_rows and max_c < n_cols and (fmt >= 96 or fmt == hinted):
            return fmt
    raise LayoutError(
        f"well {well_name(max_r, max_c)} does not fit a 384-well plate", where="layout"
    )


def _one_plate(layout: pd.DataFrame, plate: str | None, function: str) -> pd.DataFrame:
    if "well" not in layout.columns:
        raise LayoutError("the layout has no 'well' column", where=function)
    if "plate" not in layout.columns:
        return layout
    plates = list(dict.fromkeys(layout["plate"].astype(str)))
    if plate is None:
        if len(plates) > 1:
            raise UsageError(
                f"the layout has {len(plates)} plates ({', '.join(plates)}); pass plate=..."
            )
        return layout
    sub = layout[layout["plate"].astype(str) == str(plate)]
    if sub.empty:
        raise LayoutError(f"no plate {plate!r} in the layout (plates: {', '.join(plates)})")
    return sub


def _well_label(rec: Mapping[Any, Any]) -> str:
    role = str(rec.get("role", ""))
    conc = rec.get("conc_M", float("nan"))
    if role == "standard" and "protein_ug_per_mL" in rec:
        return f"{float(rec['protein_ug_per_mL']):g}"
    if role == "sample" and rec.get("sample"):
        return str(rec["sample"])
    show_conc = role == "competition" or rec.get("assay") == "saturation"
    if show_conc and isinstance(conc, (int, float)) and math.isfinite(conc) and conc > 0:
        return format_conc_short(float(conc))
    return _ROLE_ABBREV.get(role, role[:3].upper())


def _categories(values: pd.Series) -> dict[str, str]:
    """Colour per category: role colours for known roles, tab10/tab20 for the rest."""
    import matplotlib as mpl

    cats = list(dict.fromkeys(str(v) for v in values))
    cmap = mpl.colormaps["tab20" if len(cats) > 10 else "tab10"]
    out = {}
    for i, cat in enumerate(cats):
        out[cat] = ROLE_COLOURS.get(cat) or mpl.colors.to_hex(cmap(i % cmap.N))
    return out


def plot_plate_map(
    layout: pd.DataFrame,
    ax: Axes | None = None,
    colour_by: str = "role",
    *,
    plate: str | None = None,
    plate_format: int | None = None,
    labels: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw a plate map: one circle per well, filled by ``colour_by``, with a legend.

    Unused wells are drawn as empty circles. Competition wells (and saturation
    wells) are labelled with their concentration, other wells with a role
    abbreviation (TB, NSB, BLK, CTL) or the standard/sample value.
    ``colour_by="conc_M"`` shades by log10 concentration with a colour bar;
    any other column is shown as categories.

    Parameters
    ----------
    layout
        A layout frame (``well`` column required).
    ax
        Axes to draw on; a new figure is made when omitted.
    colour_by
        Column that sets the fill colour.
    plate
        Which plate of a multi-plate layout.
    plate_format
        96 or 384; inferred from the wells when omitted.
    labels
        Write a label in each used well.
    title
        Axes title; default names the plate.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    frame = _one_plate(layout, plate, "plot_plate_map")
    if colour_by not in frame.columns:
        raise UsageError(
            f"colour_by={colour_by!r} is not a column of the layout "
            f"({', '.join(map(str, frame.columns))})"
        )
    fmt = _infer_format(frame, plate_format)
    n_rows, n_cols = plate_shape(fmt)
    if ax is None:
        scale = 0.62 if fmt <= 96 else 0.42
        _, ax = plt.subplots(figsize=(n_cols * scale + 2.8, n_rows * scale + 1.0))

    by_well = {str(rec["well"]): rec for rec in frame.to_dict("records")}
    numeric = colour_by == "conc_M"
    colours: dict[str, str] = {}
    norm = None
    cmap = None
    if numeric:
        import matplotlib as mpl

        vals = pd.to_numeric(frame["conc_M"], errors="coerce")
        logs = np.log10(vals[vals > 0])
        lo, hi = (float(logs.min()), float(logs.max())) if len(logs) else (-9.0, -5.0)
        norm = mpl.colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)
        cmap = mpl.colormaps["viridis"]
    else:
        colours = _categories(frame[colour_by])

    radius = 0.42
    fontsize = 5.5 if fmt <= 96 else 3.0
    for r in range(n_rows):
        for c in range(n_cols):
            name = well_name(r, c)
            rec = by_well.get(name)
            if rec is None:
                ax.add_patch(Circle((c, r), radius, facecolor="white", edgecolor="#cccccc", lw=0.6))
                continue
            if numeric and cmap is not None and norm is not None:
                v = float(rec.get("conc_M", float("nan")))
                face = cmap(norm(math.log10(v))) if v > 0 and math.isfinite(v) else "#eeeeee"
            else:
                face = colours[str(rec[colour_by])]
            ax.add_patch(Circle((c, r), radius, facecolor=face, edgecolor="#333333", lw=0.6))
            if labels:
                red, green, blue = to_rgb(face)
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.45
                ax.text(
                    c,
                    r,
                    _well_label(rec),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="white" if dark else "black",
                )

    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(n_rows - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.set_xticks(range(n_cols), [str(c + 1) for c in range(n_cols)])
    ax.set_yticks(range(n_rows), [row_label(r) for r in range(n_rows)])
    ax.xaxis.tick_top()
    ax.tick_params(length=0, labelsize=8 if fmt <= 96 else 5)
    for spine in ax.spines.values():
        spine.set_visible(False)
    plate_id = str(frame["plate"].iloc[0]) if "plate" in frame.columns and len(frame) else "1"
    ax.set_title(title if title is not None else f"plate {plate_id} ({fmt} wells)", pad=18)

    if numeric and cmap is not None and norm is not None:
        import matplotlib as mpl

        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        ax.figure.colorbar(sm, ax=ax, label="log10 conc (M)", shrink=0.7)
    else:
        handles = [
            Line2D(
                [], [], marker="o", ls="", markersize=8, markerfacecolor=col, markeredgecolor="#333"
            )
            for col in colours.values()
        ]
        ax.legend(
            handles,
            [k if k else "(none)" for k in colours],
            title=colour_by,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=7,
            title_fontsize=8,
            frameon=False,
        )
    return ax


_HTML_CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #222; }
h2 { font-size: 12pt; margin: 12pt 0 4pt 0; }
table.plate { border-collapse: collapse; table-layout: fixed; page-break-inside: avoid; }
table.plate th { font-weight: bold; padding: 2pt 4pt; background: #f2f2f2; border: 1px solid #999; }
table.plate td { border: 1px solid #999; width: 5.2em; height: 3.4em; text-align: center;
  vertical-align: middle; font-size: 7.5pt; line-height: 1.15; padding: 1pt; }
table.plate td.empty { background: #ffffff; color: #bbb; }
table.plate td .role { font-weight: bold; }
ul.legend { list-style: none; padding: 0; margin: 6pt 0; }
ul.legend li { display: inline-block; margin-right: 12pt; }
ul.legend span.swatch { display: inline-block; width: 10pt; height: 10pt; margin-right: 3pt;
  border: 1px solid #666; vertical-align: middle; }
@media print { body { font-size: 8pt; } h2 { page-break-before: auto; } }
"""


def plate_map_html(
    layout: pd.DataFrame, *, title: str = "Plate map", plate_format: int | None = None
) -> str:
    """A printable, self-contained HTML page with one table per plate.

    Each well is a ``<td>`` coloured by role that shows the role, compound and
    concentration; unused wells are empty cells. Row letters and column
    numbers are ``<th>`` headers. CSS is embedded; nothing external is loaded.
    """
    if "well" not in layout.columns:
        raise LayoutError("the layout has no 'well' column", where="plate_map_html")
    frame = layout.copy()
    if "plate" not in frame.columns:
        frame["plate"] = "1"
    fmt = _infer_format(frame, plate_format)
    n_rows, n_cols = plate_shape(fmt)
    roles = list(dict.fromkeys(str(r) for r in frame.get("role", pd.Series(dtype=str))))
    palette = _categories(pd.Series(roles)) if roles else {}
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{_HTML_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if palette:
        parts.append('<ul class="legend">')
        for role, col in palette.items():
            parts.append(
                f'<li><span class="swatch" style="background:{col}"></span>{esc(role)}</li>'
            )
        parts.append("</ul>")
    for plate_id in dict.fromkeys(frame["plate"].astype(str)):
        sub = frame[frame["plate"].astype(str) == plate_id]
        by_well = {str(rec["well"]): rec for rec in sub.to_dict("records")}
        parts.append(f"<h2>Plate {esc(plate_id)} ({fmt} wells)</h2>")
        parts.append(f'<table class="plate" data-plate="{esc(plate_id)}">')
        parts.append(
            "<tr><th></th>" + "".join(f"<th>{c + 1}</th>" for c in range(n_cols)) + "</tr>"
        )
        for r in range(n_rows):
            cells = [f"<th>{row_label(r)}</th>"]
            for c in range(n_cols):
                name = well_name(r, c)
                rec = by_well.get(name)
                if rec is None:
                    cells.append(f'<td class="empty" title="{name}">{name}</td>')
                    continue
                role = str(rec.get("role", ""))
                lines = [f'<span class="role">{esc(role)}</span>']
                compound = rec.get("compound", "")
                if isinstance(compound, str) and compound:
                    lines.append(esc(compound))
                conc = rec.get("conc_M", float("nan"))
                if isinstance(conc, (int, float)) and math.isfinite(conc) and conc > 0:
                    lines.append(esc(format_conc(float(conc))))
                prot = rec.get("protein_ug_per_mL")
                if isinstance(prot, (int, float)) and math.isfinite(prot) and role != "blank":
                    lines.append(f"{prot:g} µg/mL")
                if rec.get("sample"):
                    lines.append(esc(str(rec["sample"])))
                colour = palette.get(role, "#ffffff")
                cells.append(
                    f'<td class="well" title="{name}" style="background:{colour}">'
                    + "<br>".join(lines)
                    + "</td>"
                )
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
