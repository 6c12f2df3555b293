"""Microdialysis: chromatograms of a batch -> concentrations -> % of each animal's baseline.

:func:`analyze_dialysis` runs the chain on a sequence (one row per injection)
and a method (analyte windows, sampling, processing):

1. every chromatogram is read (:func:`pdstudy.io.read_chromatogram`),
   baseline-corrected and integrated (:mod:`pdstudy.chromatography`); a row
   whose file is missing or unreadable is flagged ``unreadable`` with the
   reason, and the rest of the batch goes on;
2. analyte windows are re-centred on the standards, peaks assigned;
3. each analyte is calibrated on the standards (weighting chosen from the
   residuals); bracketing standards (the same level injected again later)
   that deviate more than ``drift_tolerance`` are flagged ``drift``;
4. each sample's concentration (nM; ``/ recovery`` when an in vitro probe
   recovery is given) and amount (fmol = nM x sample volume in uL); values
   under the LOQ are flagged ``below_loq`` and kept;
5. each animal's baseline is the mean of its last ``baseline_samples``
   pre-dose samples; it is ``unstable_baseline`` when one of them lies
   outside +/- ``baseline_tolerance`` of the mean (flagged on every row of
   that animal, never dropped); % baseline = 100 x conc / baseline;
6. per animal: AUC of % baseline over the post-dose window (trapezoid, % x min),
   Emax (highest % baseline after the dose) and Tmax;
7. group statistics when the design has groups and a control
   (:mod:`pdstudy.stats`): the mixed model, Welch's t per time (Holm), the
   two-way repeated-measures ANOVA when every animal has every post-dose sample
   (else a row saying why it was not run), ANOVA + Dunnett on the AUC.

Flags are ``;``-joined words in the ``flags`` column.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.assays.contract import ResultBase, headline_frame
from pdstudy.assays.exclusions import (
    Exclusion,
    apply_exclusions,
    exclusion_table,
)
from pdstudy.chromatography import (
    PeakSettings,
    Window,
    assign_peaks,
    fit_calibration,
    process_trace,
    recentre_windows,
)
from pdstudy.errors import PdStudyError, UsageError
from pdstudy.io.chromatograms import HplcMethod, Sequence, read_chromatogram
from pdstudy.stats import compare_to_control_by_time, dunnett_vs_control, mixed_model
from pdstudy.stats.timecourse import rm_anova
from pdstudy.types import Mapper

__all__ = [
    "CONCENTRATION_COLUMNS",
    "PCT_COLUMNS",
    "DialysisResult",
    "analyze_dialysis",
    "reporting_progress",
]

_PROGRESS: contextvars.ContextVar[Callable[[int, int], None] | None] = contextvars.ContextVar(
    "dialysis_progress", default=None
)


@contextlib.contextmanager
def reporting_progress(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Within the block, :func:`analyze_dialysis` calls without ``progress`` report to
    ``callback(done, total)`` (e.g. a command's progress bar over the batch, when the
    analysis runs in this process behind a one-section study)."""
    token = _PROGRESS.set(callback)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


CONCENTRATION_COLUMNS = [
    "file",
    "kind",
    "animal",
    "group",
    "sample",
    "time_s",
    "analyte",
    "area",
    "height",
    "rt_s",
    "conc_nM",
    "amount_fmol",
    "flags",
    C.EXCLUDED,
    C.EXCLUDE_REASON,
    C.EXCLUDED_BY,
]
PCT_COLUMNS = [
    "animal",
    "group",
    "time_s",
    "analyte",
    "conc_nM",
    "pct_baseline",
    "flags",
    C.EXCLUDED,
    C.EXCLUDE_REASON,
    C.EXCLUDED_BY,
]


@dataclass(frozen=True)
class DialysisResult(ResultBase):
    """The result of one microdialysis batch (tables named as in :attr:`tables`)."""

    samples: pd.DataFrame
    peaks: pd.DataFrame
    percent_baseline: pd.DataFrame
    auc: pd.DataFrame
    calibration: pd.DataFrame
    stats: pd.DataFrame
    qc: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    traces: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    exclusions: pd.DataFrame | None = field(default=None, kw_only=True)

    kind: ClassVar[str] = "microdialysis"

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "samples": self.samples,
            "peaks": self.peaks,
            "percent_baseline": self.percent_baseline,
            "auc": self.auc,
            "calibration": self.calibration,
            "stats": self.stats,
            "qc": self.qc,
            "exclusions": exclusion_table([]) if self.exclusions is None else self.exclusions,
        }

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.settings)

    def summary(self) -> str:
        s = self.samples
        n_files = s["file"].nunique() if len(s) else 0
        lines = [f"microdialysis: {n_files} injection(s), {len(self.calibration)} calibration(s)"]
        for r in self.calibration.to_dict("records"):
            lines.append(
                f"  {r['analyte']}: slope {r['slope']:.4g}, weighting {r['weighting']}, R2 {r['r2']:.4f}"
            )
        if len(self.auc):
            for (g, a), part in self.auc.groupby(["group", "analyte"]):
                lines.append(
                    f"  {g} {a}: Emax {part['emax_pct'].mean():.0f} % baseline (n={len(part)})"
                )
        flagged = self.qc[self.qc["flags"] != ""] if len(self.qc) else self.qc
        if len(flagged):
            lines.append(f"  {len(flagged)} flagged row(s) in qc")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"settings": self.settings, "calibration": self.calibration.to_dict("records")}

    def headline_rows(self) -> pd.DataFrame:
        rows = []
        auc = self.auc[~self.auc[C.EXCLUDED].astype(bool)] if C.EXCLUDED in self.auc else self.auc
        for (g, a), part in auc.groupby(["group", "analyte"]):
            rows.append(
                {
                    "role": "effect",
                    "label": f"{a} Emax, % baseline ({g})",
                    "compound": "",
                    "target": a,
                    "experiment": g,
                    "n": len(part),
                    "status": "ok",
                }
            )
        return headline_frame(rows)


#: injections per task when ``map`` runs the chromatograms (a batch spreads the task overhead)
INJECTIONS_PER_TASK = 8
#: a long sequence is cut into about this many tasks (larger batches, the same overhead)
MAX_TASKS = 32


def injections_per_task(n_injections: int) -> int:
    """Injections per task: :data:`INJECTIONS_PER_TASK`, or more for a sequence that would
    make more than :data:`MAX_TASKS` tasks (each task then carries enough work to outweigh
    the scheduler's few milliseconds per task)."""
    return max(INJECTIONS_PER_TASK, -(-n_injections // MAX_TASKS))


def _process_batch(
    batch: list[tuple[Path, str]],
    *,
    time_unit: str | None,
    settings: PeakSettings,
    proc: Mapping[str, Any],
    traces: bool,
) -> list[tuple[pd.DataFrame | None, tuple[np.ndarray, np.ndarray, np.ndarray] | None, str | None]]:
    """Read and integrate each ``(file, kind)`` of a batch: ``(peaks, trace, error)`` each.

    The trace (time, signal, baseline) comes back for the first readable
    injection of each kind in the batch only (the figures need one of each).
    """
    out: list[Any] = []
    kinds: set[str] = set()
    for file, kind in batch:
        try:
            c = read_chromatogram(file, time_unit=time_unit)
            table, base = process_trace(
                c.time_s,
                c.signal,
                settings=settings,
                baseline_method=str(proc["baseline"]),
                lam=proc["lam"],
                peak_width_s=float(proc["peak_width"]),
            )
        except (PdStudyError, OSError, ValueError) as exc:
            out.append((None, None, str(exc)))
            continue
        keep = traces and kind not in kinds
        kinds.add(kind)
        out.append((table, (c.time_s, c.signal, base) if keep else None, None))
    return out


def _flag(*words: str) -> str:
    return ";".join(w for w in words if w)


def analyze_dialysis(
    sequence: Sequence,
    method: HplcMethod,
    *,
    baseline_samples: int = 3,
    baseline_tolerance: float = 0.2,
    recovery: float | None = None,
    auc_window_s: tuple[float, float] | None = None,
    control: str | None = None,
    flow_L_per_s: float | None = None,
    interval_s: float | None = None,
    time_unit: str | None = None,
    keep_traces: bool = False,
    progress: Callable[[int, int], None] | None = None,
    exclusions: Seq[Exclusion] = (),
    exclude_unstable_baseline: bool = False,
    map: Mapper | None = None,
) -> DialysisResult:
    """Analyse one batch (see the module notes).

    ``exclusions`` (:mod:`pdstudy.assays.exclusions`) name animals, or samples of an
    animal (``sample`` as numbered in the sequence): their rows stay in every table
    with ``excluded``, ``exclude_reason`` and ``excluded_by``, and are left out of the
    baseline, the AUC and the statistics. With ``exclude_unstable_baseline``, an
    animal whose baseline is unstable (``unstable_baseline``) is excluded for that
    analyte by the rule (``excluded_by = "baseline"``), never silently.

    ``map`` runs the chromatograms in batches (:func:`injections_per_task`: 8 to a
    task, more when that would make over 32 tasks; :class:`pdstudy.types.Mapper`;
    default: one after the other here).
    """
    if baseline_samples < 1:
        raise UsageError(f"baseline_samples must be >= 1, not {baseline_samples}")
    if recovery is not None and not 0 < recovery <= 1:
        raise UsageError(f"recovery must be a fraction in (0, 1], not {recovery}")
    if progress is None:
        progress = _PROGRESS.get()
    proc = method.processing
    settings_peaks = PeakSettings(
        min_snr=float(proc["min_snr"]),
        start_s=float(proc["start"]) or None,
        end_s=proc["end"],
        integration=str(proc["integration"]),
        deconvolve_below=float(proc["deconvolve_below"]),
    )
    seq = sequence.table
    marked = apply_exclusions(seq, exclusions, prior_by="declared")
    baseline_rule = (
        f"unstable baseline: a pre-dose sample outside ±{100 * baseline_tolerance:g} % of the mean"
    )
    auto: list[Exclusion] = []
    peak_tables: dict[int, pd.DataFrame] = {}
    errors: dict[int, str] = {}
    traces: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    records = seq.to_dict("records")
    one_batch = partial(
        _process_batch, time_unit=time_unit, settings=settings_peaks, proc=proc, traces=keep_traces
    )
    per_task = injections_per_task(len(records))
    batches = [
        [(Path(r["file"]), str(r["kind"])) for r in records[i : i + per_task]]
        for i in range(0, len(records), per_task)
    ]
    done = map(one_batch, batches) if map is not None else (one_batch(b) for b in batches)
    k = 0
    for batch in done:
        for table, trace, error in batch:
            if progress is not None:
                progress(k, len(seq))
            rec = records[k]
            if error is not None or table is None:
                errors[k] = f"row {rec['row']}: {error}"
            else:
                peak_tables[k] = table
                if trace is not None and not any(
                    seq.iloc[j]["kind"] == rec["kind"] for j in peak_tables if j != k
                ):
                    traces[rec["file_name"]] = trace  # the first of each kind
            k += 1
    if progress is not None:
        progress(len(seq), len(seq))
    windows = {a: Window(rt, tol) for a, (rt, tol) in method.analytes.items()}
    std_idx = [k for k in peak_tables if seq.iloc[k]["kind"] == "standard"]
    windows = recentre_windows(windows, [peak_tables[k] for k in std_idx])
    all_peaks = []
    for k, table in peak_tables.items():
        t = assign_peaks(table, windows)
        t.insert(0, "file", seq.iloc[k]["file_name"])
        t.insert(1, "kind", seq.iloc[k]["kind"])
        all_peaks.append(t)
    peaks = (
        pd.concat(all_peaks, ignore_index=True)
        if all_peaks
        else pd.DataFrame(columns=["file", "kind", "analyte"])
    )
    # one row per injection x analyte (records; flags as lists of words)
    assigned = {k: assign_peaks(t, windows) for k, t in peak_tables.items()}
    recs: list[dict[str, Any]] = []
    for k, rec in enumerate(seq.to_dict("records")):
        for a in method.analytes:
            row: dict[str, Any] = {
                c: rec.get(c) for c in ("kind", "animal", "group", "sample", "time_s")
            }
            row.update(
                {
                    "file": rec["file_name"],
                    "analyte": a,
                    "area": np.nan,
                    "height": np.nan,
                    "rt_s": np.nan,
                    "std_M": rec.get(f"std_{a}_M", np.nan),
                    "flags": [],
                    "reason": "",
                    "order": k,
                    C.EXCLUDED: bool(marked[C.EXCLUDED].iloc[k]),
                    C.EXCLUDE_REASON: str(marked[C.EXCLUDE_REASON].iloc[k]),
                    C.EXCLUDED_BY: str(marked[C.EXCLUDED_BY].iloc[k]),
                }
            )
            if k in errors:
                row["flags"].append("unreadable")
                row["reason"] = errors[k]
            else:
                hit = assigned[k][assigned[k]["analyte"] == a]
                if len(hit):
                    row.update(
                        {
                            "area": float(hit["area"].iloc[0]),
                            "height": float(hit["height"].iloc[0]),
                            "rt_s": float(hit["rt_s"].iloc[0]),
                        }
                    )
                else:
                    row["flags"].append("not_detected")
            recs.append(row)
    cal_rows: list[dict[str, Any]] = []
    cal_by: dict[str, Any] = {}
    for a in method.analytes:
        std = [r for r in recs if r["analyte"] == a and r["kind"] == "standard"]
        if a not in sequence.units:
            cal_rows.append(
                {
                    "analyte": a,
                    "status": "failed",
                    "reason": f"no {a}_<unit> column in the sequence",
                }
            )
            continue
        for r in std:
            if not math.isfinite(r["std_M"]):
                r["flags"].append("standard_without_level")
        use = [r for r in std if math.isfinite(r["std_M"]) and math.isfinite(r["area"])]
        try:
            cal = fit_calibration(
                [r["std_M"] * 1e9 for r in use],
                [r["area"] for r in use],
                weighting=str(proc["weighting"]),
            )
        except UsageError as exc:
            cal_rows.append({"analyte": a, "status": "failed", "reason": str(exc)})
            continue
        cal_by[a] = cal
        acc = cal.standards["accuracy_pct"].to_numpy(dtype=float)
        cal_rows.append(
            {
                "analyte": a,
                "status": "ok",
                "reason": "",
                "slope": cal.slope,
                "intercept": cal.intercept,
                "weighting": cal.weighting,
                "r2": cal.r2,
                "n": cal.n,
                "lod_nM": cal.lod,
                "loq_nM": cal.loq,
                "rt_s": windows[a].rt_s,
                "worst_accuracy_pct": float(100 + np.nanmax(np.abs(acc - 100))),
            }
        )
        # bracketing standards: a level injected again later must give the same area
        first_of: dict[float, float] = {}
        for r in sorted(use, key=lambda r: r["order"]):
            level = float(r["std_M"])
            if level not in first_of:
                first_of[level] = r["area"]
            elif abs(r["area"] / first_of[level] - 1) > float(proc["drift_tolerance"]):
                r["flags"].append("drift")
    calibration = pd.DataFrame(cal_rows)
    flow = flow_L_per_s if flow_L_per_s is not None else method.flow_L_per_s
    interval = interval_s if interval_s is not None else method.interval_s
    vol_uL = flow * interval * 1e6 if flow is not None and interval is not None else math.nan
    for r in recs:
        found = cal_by.get(r["analyte"])
        value = math.nan
        if found is not None and math.isfinite(r["area"]):
            value = float(found.concentration(r["area"]))
            if value < found.loq:
                r["flags"].append("below_loq")
        if recovery is not None and r["kind"] == "sample":
            value /= recovery
        r["conc_nM"] = value
        r["amount_fmol"] = value * vol_uL
    # % baseline, per animal and analyte
    pct_rows: list[dict[str, Any]] = []
    auc_rows: list[dict[str, Any]] = []
    dosed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in recs:
        if r["kind"] == "sample" and r["animal"] and math.isfinite(r["time_s"]):
            dosed.setdefault((r["animal"], r["analyte"]), []).append(r)
    for (animal, a), series in sorted(dosed.items()):
        series.sort(key=lambda r: r["time_s"])
        group = str(series[0]["group"])
        kept = [r for r in series if not r[C.EXCLUDED]]
        pre = [r["conc_nM"] for r in kept if r["time_s"] < 0 and math.isfinite(r["conc_nM"])][
            -baseline_samples:
        ]
        flag = [] if len(pre) == baseline_samples else ["short_baseline"]
        basal = float(np.mean(pre)) if pre else math.nan
        if pre and any(abs(c / basal - 1) > baseline_tolerance for c in pre):
            flag.append("unstable_baseline")
            if exclude_unstable_baseline:
                why = f"{a} baseline unstable (±{100 * baseline_tolerance:g} % of its mean)"
                for r in kept:
                    r.update({C.EXCLUDED: True, C.EXCLUDE_REASON: why, C.EXCLUDED_BY: "baseline"})
                auto.append(Exclusion(reason=why, by="baseline", rule=baseline_rule, animal=animal))
                kept = []
        mine = []
        for r in series:
            r["flags"].extend(flag)
            pct = 100 * r["conc_nM"] / basal if basal > 0 else math.nan
            row = {
                "animal": animal,
                "group": group,
                "time_s": r["time_s"],
                "analyte": a,
                "conc_nM": r["conc_nM"],
                "pct_baseline": pct,
                "flags": _flag(*r["flags"]),
                C.EXCLUDED: r[C.EXCLUDED],
                C.EXCLUDE_REASON: r[C.EXCLUDE_REASON],
                C.EXCLUDED_BY: r[C.EXCLUDED_BY],
            }
            mine.append(row)
        pct_rows += mine
        every = mine
        mine = [m for m in every if not m[C.EXCLUDED]]
        gone = not mine
        last = max(m["time_s"] for m in (mine or every))
        lo, hi = auc_window_s if auc_window_s is not None else (0.0, last)
        win = [m for m in mine if lo <= m["time_s"] <= hi and math.isfinite(m["pct_baseline"])]
        after = [m for m in mine if m["time_s"] > 0 and math.isfinite(m["pct_baseline"])]
        auc = (
            float(
                np.trapezoid(
                    [m["pct_baseline"] - 100 for m in win], [m["time_s"] / 60 for m in win]
                )
            )
            if len(win) > 1
            else math.nan
        )
        top = max(after, key=lambda m: m["pct_baseline"]) if after else None
        auc_rows.append(
            {
                "animal": animal,
                "group": group,
                "analyte": a,
                "baseline_nM": basal,
                "auc_pct_min": auc,
                "emax_pct": top["pct_baseline"] if top else math.nan,
                "tmax_s": top["time_s"] if top else math.nan,
                "flags": _flag(*flag),
                C.EXCLUDED: gone,
                C.EXCLUDE_REASON: "; ".join(dict.fromkeys(m[C.EXCLUDE_REASON] for m in every))
                if gone
                else "",
                C.EXCLUDED_BY: ";".join(dict.fromkeys(m[C.EXCLUDED_BY] for m in every))
                if gone
                else "",
            }
        )
    for r in recs:
        r["flags"] = _flag(*dict.fromkeys(r["flags"]))
    samples = pd.DataFrame(recs)
    pct_frame = pd.DataFrame(pct_rows, columns=PCT_COLUMNS)
    auc_frame = pd.DataFrame(
        auc_rows,
        columns=[
            "animal",
            "group",
            "analyte",
            "baseline_nM",
            "auc_pct_min",
            "emax_pct",
            "tmax_s",
            "flags",
            C.EXCLUDED,
            C.EXCLUDE_REASON,
            C.EXCLUDED_BY,
        ],
    )
    # statistics on the animals and samples kept
    pct_kept = pct_frame[~pct_frame[C.EXCLUDED].astype(bool)]
    auc_kept = auc_frame[~auc_frame[C.EXCLUDED].astype(bool)]
    stat_frames = []
    groups = sorted(set(pct_frame["group"]) - {""})
    ctrl = control if control is not None else ("vehicle" if "vehicle" in groups else None)
    if ctrl is not None and len(groups) >= 2:
        for a in method.analytes:
            part = pct_kept[(pct_kept["analyte"] == a) & (pct_kept["time_s"] > 0)]
            for fn in (
                lambda p: mixed_model(p, value="pct_baseline", control=ctrl),
                lambda p: compare_to_control_by_time(p, value="pct_baseline", control=ctrl),
            ):
                try:
                    got = fn(part)
                except (UsageError, ValueError, np.linalg.LinAlgError) as exc:
                    got = pd.DataFrame([{"test": "failed", "term": str(exc)}])
                got.insert(0, "analyte", a)
                stat_frames.append(got)
            try:  # only when the design is complete (every animal at every time)
                got = rm_anova(part, value="pct_baseline")
            except UsageError as exc:
                got = pd.DataFrame([{"test": "two-way RM ANOVA", "term": f"not run: {exc}"}])
            got.insert(0, "analyte", a)
            stat_frames.append(got)
            try:
                got = dunnett_vs_control(
                    auc_kept[auc_kept["analyte"] == a], value="auc_pct_min", control=ctrl
                )
            except (UsageError, ValueError) as exc:
                got = pd.DataFrame([{"test": "failed", "term": str(exc)}])
            got.insert(0, "analyte", a)
            stat_frames.append(got)
    stats_frame = (
        pd.concat(stat_frames, ignore_index=True)
        if stat_frames
        else pd.DataFrame(columns=["analyte", "test"])
    )
    samples["time_s"] = samples["time_s"].astype(float)
    qc = samples.loc[
        samples["flags"] != "", ["file", "kind", "animal", "analyte", "flags", "reason"]
    ].reset_index(drop=True)
    out_samples = samples[CONCENTRATION_COLUMNS].copy()
    settings = {
        "baseline_samples": baseline_samples,
        "baseline_tolerance": baseline_tolerance,
        "recovery": recovery,
        "control": ctrl,
        "sample_volume_uL": vol_uL,
        "windows_s": {a: [w.rt_s, w.tolerance_s] for a, w in windows.items()},
        **{f"processing.{k}": v for k, v in proc.items()},
        "exclude_unstable_baseline": exclude_unstable_baseline,
        "exclusion_rules": (
            [f"{len(exclusions)} declared exclusion(s), each with its reason"] if exclusions else []
        )
        + (
            [f"an animal is excluded for an analyte on an {baseline_rule}"]
            if exclude_unstable_baseline
            else []
        ),
    }
    table = exclusion_table([*exclusions, *auto], samples[samples["kind"] == "sample"])
    return DialysisResult(
        out_samples,
        peaks,
        pct_frame,
        auc_frame,
        calibration,
        stats_frame,
        qc,
        settings,
        traces,
        exclusions=table,
    )
