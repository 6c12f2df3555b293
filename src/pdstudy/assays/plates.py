"""What every plate assay shares: reading plate files with their layout, the plate checks, the keys.

:func:`read_merged` is the one reader of a plate assay's input, used by every
entry point (``pdstudy run``, ``pdstudy binding analyze``, ``uptake analyze``,
``protein analyze``, :func:`pdstudy.assays.binding.analyze_competition_files`),
so that the number of independent experiments never depends on the entry
point. Its rule:

- each **file** is one independent experiment (``experiment`` = the file's
  stem), unless the layout has an ``experiment`` field;
- ``plate`` is the file's stem, or ``<stem>:<plate>`` when a file holds
  several plates (the plates of one counting run are then wells of the same
  experiment, normalised plate by plate);
- when two files share a stem, their names (``PLATE.001``...) or, failing
  that, their paths name them, so wells of different files never collide.

:func:`check_plates` is what a study does with a plate section while validating
(layouts readable, roles present, each plate matching its layout).
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.assays.schema import Key, Problems
from pdstudy.errors import InputFileError, LayoutError, ModelError, PdStudyError, UsageError

__all__ = [
    "COUNTING_KEYS",
    "CYCLE_KEY",
    "DPM_PER_CI",
    "FORMAT_KEY",
    "NAME_KEY",
    "PLATE_KEYS",
    "TARGET_KEY",
    "WEIGHTING_MODES",
    "check_plates",
    "count_weighting",
    "dpm_to_fmol",
    "experiment_names",
    "input_files",
    "percent_of_control",
    "prepare_plate_frame",
    "plate_exclusion_problems",
    "plate_format_names",
    "read_note",
    "read_layout_checked",
    "read_merged",
]


def plate_format_names() -> tuple[str, ...]:
    """``"auto"`` and every format name ``pdstudy.io.read_plate`` accepts."""
    from pdstudy.io import list_plate_formats

    table = list_plate_formats()
    names = list(table["name"])
    names += [w.strip() for ws in table["writers"] for w in str(ws).split(",") if w.strip()]
    return ("auto", *dict.fromkeys(names))


NAME_KEY = Key(
    "name",
    "text",
    doc="name of the section (report heading, output file names); default: the kind and its number, e.g. 'binding 1'",
    example='"NET competition"',
)
TARGET_KEY = Key(
    "target", "text", default="NET", doc="target (transporter, receptor) measured", example='"NET"'
)
FORMAT_KEY = Key(
    "format",
    "choice",
    default="auto",
    choices=plate_format_names(),
    doc="plate file format; auto recognises it from the content (pdstudy.io.list_plate_formats())",
    example='"microbeta"',
)
#: the read of a kinetic plate-reader file to analyse, as ``read_plate`` takes it: the n-th
#: read in the file counted from 1 (cycles, iterations, kinetic time points), also where the
#: file numbers its reads from 0 (SkanIt's ``Reading 0`` is cycle 1)
CYCLE_KEY = Key(
    "cycle",
    "integer",
    low=1,
    doc="kinetic plate-reader files: the cycle (read) to analyse, counted from 1 in the order "
    "of the file (SkanIt's 'Reading 0' is cycle 1); default the last; refused for a format "
    "with one read per well",
    example="5",
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
    CYCLE_KEY,
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

#: how the plates were made: optional keys written into the Methods text as given
PROCEDURE_KEYS = (
    Key(
        "incubation",
        "quantity",
        "time",
        positive=True,
        doc="incubation time (Methods text)",
        example='"60 min"',
    ),
    Key("temperature", "text", doc="incubation temperature (Methods text)", example='"25 °C"'),
    Key(
        "buffer",
        "text",
        doc="assay buffer (Methods text)",
        example='"50 mM Tris-HCl, 120 mM NaCl, 5 mM KCl, pH 7.4"',
    ),
    Key(
        "filters",
        "text",
        doc="how bound and free were separated (Methods text)",
        example='"GF/B filters presoaked in 0.3 % PEI"',
    ),
    Key(
        "wash",
        "text",
        doc="washes after filtration (Methods text)",
        example='"3 x 3 mL ice-cold buffer"',
    ),
    Key(
        "replicates",
        "integer",
        low=1,
        doc="replicate wells per concentration (Methods text; the fit uses every well)",
        example="3",
    ),
)

_REPLICATE_WORDS = {1: "a single well", 2: "duplicate", 3: "triplicate", 4: "quadruplicate"}


def procedure_text(values: Any, *, incubation: bool = True) -> str:
    """The procedure keys of a section as one Methods sentence ("" when none is given).

    ``incubation=False`` leaves the incubation time out (a section whose own
    sentence states it already, as uptake's does).
    """
    first = ""
    inc = values.get("incubation") if incubation else None
    temp = values.get("temperature")
    if inc:
        first = f"incubated for {float(inc) / 60.0:g} min" + (f" at {temp}" if temp else "")
    elif temp:
        first = f"incubated at {temp}"
    if values.get("buffer"):
        first = f"{first or 'incubated'} in {values['buffer']}"
    parts = [first] if first else []
    if values.get("filters"):
        parts.append(f"filtered through {values['filters']}")
    if values.get("wash"):
        parts.append(f"washed with {values['wash']}")
    reps = values.get("replicates")
    if reps:
        word = _REPLICATE_WORDS.get(int(reps), f"{int(reps)} replicate wells")
        parts.append(f"each concentration in {word}")
    if not parts:
        return ""
    return f"Plates were {'; '.join(parts)}."


def experiment_names(paths: Sequence[str | PathLike[str]]) -> list[str]:
    """The name of each file's experiment: its stem, or its name or path where stems clash."""
    stems = [Path(p).stem for p in paths]
    names = [Path(p).name for p in paths]
    return [
        stem if stems.count(stem) == 1 else name if names.count(name) == 1 else str(p)
        for p, stem, name in zip(paths, stems, names, strict=True)
    ]


def read_note(attrs: Any, cycle: int | None = None) -> str:
    """Which read of a plate file was analysed, from ``read_plate``'s ``attrs``: ``"cycle 3
    of 7"`` (``cycle`` given) or ``"cycle 7 of 7 (the last, by default)"``; ``""`` for a
    file with one read per well."""
    n = attrs.get("cycles")
    k = attrs.get("cycle")
    if not isinstance(n, int) or not isinstance(k, int) or (n <= 1 and cycle is None):
        return ""
    notes = [f"'{attrs['cycle_label']}' in the file"] if attrs.get("cycle_label") else []
    if cycle is None:
        notes.append("the last, by default")
    return f"cycle {k} of {n}" + (f" ({', '.join(notes)})" if notes else "")


def read_merged(
    plate_paths: Sequence[str | PathLike[str]] | str | PathLike[str],
    layout_path: str | PathLike[str],
    *,
    format: str = "auto",
    cycle: int | None = None,
) -> pd.DataFrame:
    """Read plate files, merge each with the layout, and stack them (the module's rule).

    ``cycle`` is the read of kinetic files to use (1-based, as
    :func:`pdstudy.io.read_plate` takes it; default the last).

    Returns
    -------
    pandas.DataFrame
        The merged wells with ``plate``, ``experiment`` (unless the layout
        has one) and ``file`` (the file's path); ``attrs`` hold
        ``layout_path``, ``plate_paths`` and ``reads`` (per file, which read was
        analysed: :func:`read_note`, ``""`` for a file with one read per well).

    Raises
    ------
    InputFileError
        No file given, or a file that cannot be read (named).
    LayoutError
        A plate that does not match the layout (file, well).
    """
    from pdstudy.io import merge_layout, read_layout, read_plate

    paths = [plate_paths] if isinstance(plate_paths, str | PathLike) else list(plate_paths)
    if not paths:
        raise InputFileError("no plate file given")
    layout = read_layout(layout_path)
    frames = []
    reads = []
    for p, name in zip(paths, experiment_names(paths), strict=True):
        try:
            plate = read_plate(p, format=format, cycle=cycle)
        except PdStudyError:
            raise
        except Exception as exc:  # noqa: BLE001 - a reader bug still names the file
            raise InputFileError(f"could not read the plate file: {exc}", p) from exc
        merged = merge_layout(plate, layout, plate_path=p, layout_path=layout_path)
        plates = merged[C.PLATE].astype(str) if C.PLATE in merged.columns else pd.Series("1")
        several = plates.nunique() > 1
        merged[C.PLATE] = [f"{name}:{x}" if several else name for x in plates]
        if C.EXPERIMENT not in layout.columns:
            merged[C.EXPERIMENT] = name
        merged["file"] = str(p)
        frames.append(merged)
        reads.append(read_note(plate.attrs, cycle))
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {
        "layout_path": str(layout_path),
        "plate_paths": [str(p) for p in paths],
        "reads": reads,
    }
    return out


def input_files(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(key, path, read)`` of the files :func:`read_merged` read for ``frame`` (plates, then
    layout); ``read`` says which read of a kinetic file was analysed (else ``""``)."""
    paths = frame.attrs.get("plate_paths", [])
    reads = list(frame.attrs.get("reads", [])) + [""] * len(paths)
    out = [(f"plates[{i}]", p, reads[i - 1]) for i, p in enumerate(paths, 1)]
    if frame.attrs.get("layout_path"):
        out.append(("layout", str(frame.attrs["layout_path"]), ""))
    return out


# ---------------------------------------------------------------- normalisation


def percent_of_control(values: Any, high: Any, low: Any) -> np.ndarray:
    """``100 * (values - low) / (high - low)``: 100 % at the control ``high``, 0 % at ``low``.

    ``high`` and ``low`` are scalars or arrays broadcasting with ``values`` (e.g.
    the mean total binding and mean NSB of each well's plate). A zero window
    gives NaN (not infinity).
    """
    v = np.asarray(values, dtype=float)
    hi = np.asarray(high, dtype=float)
    lo = np.asarray(low, dtype=float)
    span = hi - lo
    with np.errstate(all="ignore"):
        out = 100.0 * (v - lo) / np.where(span != 0, span, np.nan)
    return np.asarray(out, dtype=float)


# ---------------------------------------------------------------- counts and frames

DPM_PER_CI = 2.22e12
"""Disintegrations per minute per curie (3.7e10 Bq x 60 s)."""


def dpm_to_fmol(dpm: Any, specific_activity_Ci_per_mmol: float) -> np.ndarray:
    """Femtomoles of radioligand from DPM: ``dpm / (2.22e12 dpm/Ci x SA Ci/mmol) x 1e12 fmol/mmol``."""
    if not specific_activity_Ci_per_mmol > 0:
        raise ModelError(
            f"specific activity must be > 0 Ci/mmol, got {specific_activity_Ci_per_mmol!r}"
        )
    return np.asarray(dpm, dtype=float) / (DPM_PER_CI * specific_activity_Ci_per_mmol) * 1e12


WEIGHTING_MODES = ("auto", "counts", "relative", "none")
"""The weightings a count-based assay (binding, saturation, uptake) accepts."""

_WEIGHTING_WORDS = {
    "counts": (
        "weighted by the Poisson and proportional variance of the counts (each well's "
        "counting time from the file)"
    ),
    "counts_1min": (
        "weighted by the Poisson and proportional variance of the counts (a 1-minute count "
        "assumed, the usual counter setting, as the file gives no counting time)"
    ),
    "relative": "weighted by 1/Y² (relative weighting: a constant coefficient of variation)",
    "none": "unweighted (ordinary least squares, Prism's default)",
}


def count_weighting(
    frame: pd.DataFrame, weighting: str, function: str, counts_column: str = C.SIGNAL
) -> tuple[str, str]:
    """The one counting-variance rule of every count-based assay: ``(mode, words)``.

    ``"auto"`` weights each point by ``1 / var`` of its predicted count, with
    ``var = c^2 S^2 + S * 60 / T`` (proportional plus Poisson counting noise, a
    count ``S`` in CPM counted for ``T`` seconds): ``T`` is each well's
    counting time (``count_time_s``) when the file gives one (mode
    ``"counts"``), else a 1-minute count, the usual counter setting (mode
    ``"counts_1min"``). ``"counts"`` insists on the file's counting times;
    ``"relative"`` is 1/Y² and ``"none"`` an unweighted fit. ``words`` is the
    rule as the Methods text says it. Without a column of counts
    (``counts_column``), ``"auto"`` falls back to relative weighting.
    """
    mode = str(weighting).lower()
    if mode not in WEIGHTING_MODES:
        raise ModelError(
            f"{function}: weighting={weighting!r}: use {', '.join(map(repr, WEIGHTING_MODES))}"
        )
    has_time = C.COUNT_TIME in frame.columns and bool(
        (pd.to_numeric(frame[C.COUNT_TIME], errors="coerce") > 0).all()
    )
    if mode == "auto":
        if counts_column not in frame.columns:
            mode = "relative"
        else:
            mode = "counts" if has_time else "counts_1min"
    if mode == "counts" and not has_time:
        raise ModelError(
            f"{function}: weighting='counts' needs a {C.COUNT_TIME} column (counting time of "
            "every well, > 0 s); 'auto' assumes a 1-minute count when the file gives none"
        )
    return mode, _WEIGHTING_WORDS[mode]


def prepare_plate_frame(frame: pd.DataFrame, function: str) -> pd.DataFrame:
    """Check a plate merged with its layout and fill the optional columns.

    Needs ``well``, ``role`` and ``signal`` (or ``cpm``). Adds ``plate`` ("1"),
    ``experiment`` (the plate), ``compound`` and ``target`` ("") when absent;
    lower-cases roles; makes ``signal`` and ``conc_M`` numeric (a non-numeric
    signal is an error naming the wells).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ModelError(f"{function}: expected a pandas DataFrame, got {type(frame).__name__}")
    where = frame.attrs.get("plate_path") or frame.attrs.get("path")
    missing = [c for c in (C.WELL, C.ROLE) if c not in frame.columns]
    if C.SIGNAL not in frame.columns and C.CPM not in frame.columns:
        missing.append(C.SIGNAL)
    if missing:
        raise LayoutError(
            f"{function}: the data have no column(s) {', '.join(missing)} "
            "(merge the plate with its layout: pdstudy.io.merge_layout)",
            where,
        )
    df = frame.copy()
    if C.SIGNAL not in df.columns:
        df[C.SIGNAL] = df[C.CPM]
    df[C.PLATE] = df[C.PLATE].astype(str) if C.PLATE in df.columns else "1"
    if C.EXPERIMENT not in df.columns:
        df[C.EXPERIMENT] = df[C.PLATE]
    df[C.EXPERIMENT] = df[C.EXPERIMENT].where(df[C.EXPERIMENT].notna(), df[C.PLATE]).astype(str)
    for col in (C.COMPOUND, C.TARGET):
        if col not in df.columns:
            df[col] = ""
        df[col] = df[col].where(df[col].notna(), "").astype(str)
    if C.CONC_M not in df.columns:
        df[C.CONC_M] = np.nan
    df[C.ROLE] = df[C.ROLE].astype(str).str.strip().str.lower()
    sig = pd.to_numeric(df[C.SIGNAL], errors="coerce")
    bad = sig.isna() & df[C.SIGNAL].notna()
    if bad.any():
        w = df.loc[bad, [C.PLATE, C.WELL]].head(5)
        wells = ", ".join(f"plate {p} well {x}" for p, x in zip(w[C.PLATE], w[C.WELL], strict=True))
        raise InputFileError(f"non-numeric signal in {wells}", where)
    df[C.SIGNAL] = sig.astype(float)
    df[C.CONC_M] = pd.to_numeric(df[C.CONC_M], errors="coerce")
    return df


# ---------------------------------------------------------------- checks while validating


def plate_exclusion_problems(
    values: Any, where: str, problems: Problems, *, plates_key: str = "plates"
) -> None:
    """Check a plate section's ``exclude`` against its wells (:mod:`pdstudy.assays.exclusions`)."""
    from pdstudy.assays.exclusions import PLATE_FIELDS, check_exclusions

    if not values.get("exclude"):
        return
    data = None
    plates, layout = values.get(plates_key), values.get("layout")
    if plates and isinstance(layout, Path):
        try:
            data = read_merged(
                plates, layout, format=values.get("format") or "auto", cycle=values.get("cycle")
            )
        except (PdStudyError, ValueError):
            data = None  # reported by the plate checks or when the section runs
    check_exclusions(values, where, problems, fields=PLATE_FIELDS, data=data)


def read_layout_checked(
    values: Any, key: str, where: str, problems: Problems
) -> pd.DataFrame | None:
    """Read the layout file ``values[key]``; a problem at ``<where>.<key>`` (and ``None``) if invalid."""
    from pdstudy.io import read_layout

    path = values.get(key)
    if not isinstance(path, Path):
        return None
    try:
        return read_layout(path)
    except (LayoutError, InputFileError) as exc:
        problems.append((f"{where}.{key}", f"invalid layout {path.name}: {exc.detail}"))
        return None


def check_plates(
    values: Any,
    where: str,
    problems: Problems,
    *,
    plates_key: str = "plates",
    layout_key: str = "layout",
    roles: tuple[str, ...] = (),
    fmt: str | None = None,
    cycle_key: str = "cycle",
) -> pd.DataFrame | None:
    """Check a plate section's layout (readable, has ``roles``) and that each plate matches it.

    ``values`` are the section's parsed values, ``where`` its key path
    (``binding[1]``). Plates that cannot be read are not a study-file problem
    (the file may be corrupt): the analysis of that section fails and reports
    it, while the rest of the study runs. A ``cycle_key`` value that a plate
    does not have (a cycle beyond its count, or a file with one read per well)
    is a problem at ``<where>.<cycle_key>``. Returns the layout (or ``None``).
    """
    from pdstudy.io import merge_layout, read_plate

    layout = read_layout_checked(values, layout_key, where, problems)
    if layout is None:
        return None
    layout_name = Path(str(layout.attrs.get("path", ""))).name
    if roles and "role" in layout.columns:
        have = set(layout["role"].dropna())
        missing = [r for r in roles if r not in have]
        if missing:
            problems.append(
                (
                    f"{where}.{layout_key}",
                    f"layout {layout_name} has no "
                    f"{', '.join(repr(r) for r in missing)} wells (this assay needs roles "
                    f"{', '.join(roles)})",
                )
            )
    elif roles:
        problems.append((f"{where}.{layout_key}", "the layout gives no 'role' for its wells"))
    value = values.get(plates_key)
    plates = value if isinstance(value, list) else [value] if isinstance(value, Path) else []
    cycle = values.get(cycle_key)
    for i, plate_path in enumerate(plates, start=1):
        at = f"{where}.{plates_key}[{i}]" if isinstance(value, list) else f"{where}.{plates_key}"
        try:
            plate = read_plate(plate_path, format=fmt or "auto", cycle=cycle)
        except UsageError as exc:
            if cycle is not None:  # the cycle is what the file refuses
                problems.append((f"{where}.{cycle_key}", exc.detail))
            continue
        except (InputFileError, ValueError):
            continue  # reported when the section runs
        try:
            merge_layout(plate, layout, plate_path=plate_path)
        except LayoutError as exc:
            problems.append(
                (
                    at,
                    f"plate {plate_path.name} does not match layout {layout_name}: {exc.detail}",
                )
            )
    return layout
