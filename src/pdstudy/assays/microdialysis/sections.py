"""The study-file section of microdialysis: ``[[microdialysis]]``.

:data:`MICRODIALYSIS` (its keys), :func:`check_microdialysis` (the files),
:func:`analyse_microdialysis` (values -> :class:`DialysisResult`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pdstudy.assays.exclusions import (
    DIALYSIS_EXCLUDE_KEY,
    DIALYSIS_FIELDS,
    check_exclusions,
    declared_exclusions,
)
from pdstudy.assays.microdialysis.analysis import DialysisResult, analyze_dialysis
from pdstudy.assays.plates import NAME_KEY
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.errors import InputFileError
from pdstudy.io.chromatograms import read_method, read_sequence
from pdstudy.types import Mapper

__all__ = ["MICRODIALYSIS", "analyse_microdialysis", "check_microdialysis"]

MICRODIALYSIS = Schema(
    "microdialysis",
    (
        NAME_KEY,
        Key(
            "sequence",
            "file",
            required=True,
            doc="sequence table (CSV/XLSX), one row per injection",
            example='"sequence.csv"',
        ),
        Key(
            "method",
            "file",
            required=True,
            doc="HPLC method (TOML): analyte windows, sampling, processing",
            example='"method.toml"',
        ),
        Key(
            "baseline_samples",
            "integer",
            default=3,
            low=1,
            doc="pre-dose samples that make each animal's baseline (the last k)",
            example="3",
        ),
        Key(
            "baseline_tolerance",
            "fraction",
            default=0.2,
            doc="each baseline sample within this fraction of their mean, else the animal is flagged",
            example="0.2",
        ),
        Key(
            "recovery",
            "fraction",
            positive=True,
            doc="in vitro probe recovery; concentrations are divided by it",
            example="0.15",
        ),
        Key(
            "auc_start",
            "quantity",
            "time",
            default=0.0,
            doc="start of the AUC window after the dose",
            example='"0 min"',
        ),
        Key(
            "auc_end",
            "quantity",
            "time",
            doc="end of the AUC window (default: the last sample)",
            example='"120 min"',
        ),
        Key(
            "control",
            "text",
            doc="the control group (default: 'vehicle' when present)",
            example='"vehicle"',
        ),
        Key(
            "flow",
            "quantity",
            "flow",
            positive=True,
            doc="perfusion flow (overrides the method's [sampling])",
            example='"1.5 uL/min"',
        ),
        Key(
            "interval",
            "quantity",
            "time",
            positive=True,
            doc="sampling interval (overrides the method's [sampling])",
            example='"20 min"',
        ),
        Key(
            "time_unit",
            "choice",
            default="min",
            choices=("min", "s"),
            doc="time unit of two-column files whose header has none",
            example='"min"',
        ),
        Key(
            "exclude_unstable_baseline",
            "bool",
            default=False,
            doc="exclude an animal (for that analyte) whose baseline is unstable (see "
            "baseline_tolerance); listed as an exclusion by 'baseline'",
            example="false",
        ),
        DIALYSIS_EXCLUDE_KEY,
    ),
    doc="An HPLC-ED batch of microdialysis samples and standards: concentrations, % baseline, AUC, group statistics.",
)


def check_microdialysis(values: Mapping[str, Any], where: str, problems: Problems) -> None:
    """Read the sequence and method; report problems with their key paths."""
    data = None
    for key, reader in (("sequence", read_sequence), ("method", read_method)):
        path = values.get(key)
        if path is None:
            continue
        try:
            got = reader(path)
        except InputFileError as exc:
            problems.append((f"{where}.{key}", str(exc)))
            continue
        table = getattr(got, "table", None)
        if key == "sequence" and table is not None:
            data = table[table["kind"] == "sample"]
    check_exclusions(values, where, problems, fields=DIALYSIS_FIELDS, data=data)


def analyse_microdialysis(
    values: Mapping[str, Any], *, map: Mapper | None = None
) -> DialysisResult:
    """Analyse one ``[[microdialysis]]`` section; ``map`` runs the chromatogram batches
    (:class:`pdstudy.types.Mapper`)."""
    sequence = read_sequence(values["sequence"])
    method = read_method(values["method"])
    end = values.get("auc_end")
    result = analyze_dialysis(
        sequence,
        method,
        baseline_samples=int(values.get("baseline_samples", 3)),
        baseline_tolerance=float(values.get("baseline_tolerance", 0.2)),
        recovery=values.get("recovery"),
        auc_window_s=(float(values.get("auc_start") or 0.0), float(end))
        if end is not None
        else None,
        control=values.get("control"),
        flow_L_per_s=values.get("flow"),
        interval_s=values.get("interval"),
        time_unit=values.get("time_unit", "min"),
        keep_traces=True,
        exclusions=declared_exclusions(values, "microdialysis"),
        exclude_unstable_baseline=bool(values.get("exclude_unstable_baseline", False)),
        map=map,
    )
    files = [("sequence", Path(values["sequence"])), ("method", Path(values["method"]))]
    files += [
        (f"file[{i + 1}]", Path(f))
        for i, f in enumerate(sequence.table["file"])
        if Path(f).exists()
    ]
    return result.with_inputs(files)
