"""The ``[design]`` table before and after the experiment.

Before: :func:`make_plan` allocates the animals (block-randomised, balanced
within every block, reproducible from the seed), codes them, schedules them
day by day, justifies the sample size by simulation, and lays out the plates
of the in vitro sections; :func:`write_design` writes it all (the unblinding
key in a folder of its own), which is what ``pdstudy design`` does.

After: :func:`apply_design` matches the coded animals of the ``fst``, ``tst``
and ``microdialysis`` sections to their groups through the unblinding key (or,
without a key, to their group codes: the analysis runs blind), sets each
section's control and planned test, and drops animals that are not in the
allocation (each a deviation); :func:`review_design` runs every planned
primary analysis, marks the rest exploratory, lists the deviations, and builds
the report's design section and its ARRIVE 2.0 Markdown.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.design.allocation import allocate_design, unblinding_key
from pdstudy.design.sample_size import SampleSizeJustification, justify_sample_size
from pdstudy.design.schedule import dialysis_samples, parse_clock, study_schedule
from pdstudy.errors import InputFileError, PdStudyError, UsageError
from pdstudy.report.model import Section
from pdstudy.study.design import DesignSpec, design_animals, planned_n
from pdstudy.study.model import SectionOutcome, SectionSpec, StudySpec

__all__ = [
    "DesignPlan",
    "DesignRun",
    "apply_design",
    "make_plan",
    "review_design",
    "write_design",
]

#: behavioural session length of each kind (s), for the schedule
_SESSION_S = {"fst": 360.0, "tst": 360.0}


@dataclass(frozen=True, eq=False)
class DesignPlan:
    """Everything ``pdstudy design`` writes, as tables.

    Attributes
    ----------
    allocation
        :func:`~pdstudy.design.allocation.allocate_design`'s table (with the groups).
    key
        The unblinding key (:func:`pdstudy.design.allocation.unblinding_key`).
    coded
        The coded list for the experimenters: ``animal`` (the code, the name to
        use in every data file), ``tag`` (the animal's own identifier),
        ``group`` (the group code), the blocking factors and ``order``. It can
        be the ``animals`` file of an ``[[fst]]``/``[[tst]]`` section as it is.
    names
        Coded video and sample names: ``code``, ``section``, ``item``, ``name``.
    schedule
        Day by day (:func:`pdstudy.design.schedule.study_schedule`).
    balance
        Animals per group code in each block.
    justification
        The sample-size justification (``None`` without effect and SD).
    plates
        ``(section key, title, layout, dilution table or None)`` of each in vitro section.
    """

    allocation: pd.DataFrame
    key: pd.DataFrame
    coded: pd.DataFrame
    names: pd.DataFrame
    schedule: pd.DataFrame
    balance: pd.DataFrame
    justification: SampleSizeJustification | None
    plates: tuple[tuple[str, str, pd.DataFrame, pd.DataFrame | None], ...] = ()


def _design(spec: StudySpec) -> DesignSpec:
    if spec.design is None:
        raise UsageError(f"{spec.path.name} has no [design] table (see docs/design.md)")
    return spec.design  # type: ignore[no-any-return]


def allocation_of(design: DesignSpec) -> pd.DataFrame:
    """The design's allocation, as its seed gives it."""
    n = planned_n(design)
    animals = design_animals(design.values, n * len(design.groups))
    return allocate_design(animals, design.group_names, blocking=design.blocking, seed=design.seed)


def _dose_text(value: float) -> str:
    return f"{value * 1e6:g} mg/kg"


def _key(design: DesignSpec, alloc: pd.DataFrame) -> pd.DataFrame:
    treatments = {
        str(g["name"]): {
            "treatment": str(g["treatment"]),
            "dose": _dose_text(float(g["dose"])),
            "route": str(g.get("route") or ""),
            "pretreatment_min": float(g["pretreatment"]) / 60,
        }
        for g in design.groups
    }
    return unblinding_key(alloc, treatments, design.blocking)


def _sections(spec: StudySpec, design: DesignSpec) -> list[SectionSpec]:
    return [s for s in spec.sections if s.key in design.sections]


def _justification(
    design: DesignSpec,
    labels: Mapping[str, str] | None = None,
    *,
    n_sim: int | None = None,
    mapper: Any = None,
    fast: bool = False,
) -> SampleSizeJustification | None:
    means = design.expected_means()
    sd = design.values.get("sd")
    if means is None or sd is None:
        return None
    names = design.group_names
    shown = [labels[g] if labels else g for g in names]
    primary = design.primary[0] if design.primary else None
    outcome = f"{primary['key']} {primary['outcome']}" if primary else "the primary outcome"
    method = str(primary["test"]) if primary else str(design.values.get("planned_test", "anova"))
    target = design.values.get("target_power")
    return justify_sample_size(
        shown,
        means,
        float(sd),
        outcome=outcome,
        n_per_group=planned_n(design),
        target_power=float(target) if target is not None else None,
        method=method,
        alpha=float(design.values.get("alpha", 0.05)),
        n_sim=int(n_sim or design.values.get("n_sim", 2000)),
        seed=design.seed,
        source=str(design.values.get("effect_source") or ""),
        mapper=mapper,
        fast=fast,
    )


def make_plan(spec: StudySpec, *, n_sim: int | None = None, mapper: Any = None) -> DesignPlan:
    """The allocation, codes, schedule, sample size and plate maps of a study's design.

    Parameters
    ----------
    n_sim
        Simulated studies of the sample-size justification (default the design's ``n_sim``).
    mapper
        How the simulations run (:func:`pdstudy.stats.power.power_by_analysis`).
    """
    design = _design(spec)
    alloc = allocation_of(design)
    key = _key(design, alloc)
    coded = alloc[["code", "animal", "group_code", *design.blocking, "order"]].rename(
        columns={"code": "animal", "animal": "tag", "group_code": "group"}
    )
    sections = _sections(spec, design)
    names = []
    for s in sections:
        for code in alloc["code"]:
            if s.kind in _SESSION_S:
                names.append((code, s.key, "video", f"{code}_{s.kind}{s.index}.mp4"))
            elif s.kind == "microdialysis":
                d = design.values["dialysis"]
                for k in range(int(d["baseline_samples"]) + int(d["post_samples"])):
                    names.append((code, s.key, f"sample {k + 1}", f"{code}_S{k + 1:02d}"))
    names_df = pd.DataFrame(names, columns=["code", "section", "item", "name"])
    tests = [(f"{s.key} {s.name}", _SESSION_S[s.kind]) for s in sections if s.kind in _SESSION_S]
    dialysis = {}
    d = design.values["dialysis"]
    for s in sections:
        if s.kind == "microdialysis":
            # pdstudy.assays.microdialysis.design.sampling_schedule is the same plan (in minutes)
            dialysis[f"{s.key} {s.name}"] = dialysis_samples(
                float(d["stabilisation"]),
                int(d["baseline_samples"]),
                float(d["interval"]),
                int(d["post_samples"]),
                float(d["flow"]),
            )
    schedule = study_schedule(
        alloc,
        design.pretreatment_s(),
        tests,
        start_s=parse_clock(str(design.values.get("start", "09:00"))),
        changeover_s=float(design.values.get("changeover", 120.0)),
        apparatus=int(design.values.get("apparatus", 1)),
        dialysis=dialysis,
    )
    balance = alloc.groupby(["block", "group_code"]).size().unstack(fill_value=0).reset_index()
    return DesignPlan(
        allocation=alloc,
        key=key,
        coded=coded,
        names=names_df,
        schedule=schedule,
        balance=balance,
        justification=_justification(design, n_sim=n_sim, mapper=mapper),
        plates=tuple(_plates(spec, design)),
    )


def _plates(
    spec: StudySpec, design: DesignSpec
) -> list[tuple[str, str, pd.DataFrame, pd.DataFrame | None]]:
    """The layout of each in vitro section, and the dilution table of its test compound."""
    from pdstudy.design import dilution_table
    from pdstudy.io import read_layout

    out = []
    for s in spec.sections:
        layout_path = s.values.get("layout")
        if not isinstance(layout_path, Path):
            continue
        layout = read_layout(layout_path)
        dil = None
        if "role" in layout.columns and "conc_M" in layout.columns:
            series = layout.loc[layout["role"].isin(["competition", "inhibition"]), "conc_M"]
            concs = sorted({float(c) for c in series if float(c) > 0}, reverse=True)
            if len(concs) >= 2:
                reps = int(
                    layout.loc[layout["role"].isin(["competition", "inhibition"])]
                    .groupby("conc_M")
                    .size()
                    .max()
                )
                dil = dilution_table(concs, stock_M=float(design.values["stock"]), replicates=reps)
        out.append((s.key, f"{s.key} {s.name}", layout, dil))
    return out


def write_design(
    spec: StudySpec,
    out_dir: str | Path,
    *,
    n_sim: int | None = None,
    mapper: Any = None,
) -> dict[str, Path]:
    """Write the design of ``spec`` into ``out_dir``; return the files by name.

    ``coded_animals.csv``, ``coded_names.csv``, ``schedule.csv``,
    ``balance.csv``, ``sample_size.csv`` and ``sample_size.md``,
    ``plates/<section>_plate_map.html`` and ``_dilutions.csv``, ``design.json``;
    and apart, ``key/unblinding_key.csv`` (with the allocation): keep that
    folder from everyone who is blind.
    """
    from pdstudy.design import plate_map_html
    from pdstudy.study.writer import write_tables

    plan = make_plan(spec, n_sim=n_sim, mapper=mapper)
    out = Path(out_dir)
    files: dict[str, Path] = {}
    for name, frame in (
        ("coded_animals", plan.coded),
        ("coded_names", plan.names),
        ("schedule", plan.schedule),
        ("balance", plan.balance),
    ):
        files[name] = write_tables(out, name, {name: frame})[0]
    files["unblinding_key"] = write_tables(out / "key", "unblinding_key", {"key": plan.key})[0]
    files["allocation"] = write_tables(out / "key", "allocation", {"a": plan.allocation})[0]
    if plan.justification is not None:
        files["sample_size"] = write_tables(out, "sample_size", {"s": plan.justification.table()})[
            0
        ]
        (out / "sample_size.md").write_text(plan.justification.text() + "\n", encoding="utf-8")
        files["sample_size_text"] = out / "sample_size.md"
    plates = out / "plates"
    for key, title, layout, dil in plan.plates:
        stem = key.replace("[", "").replace("]", "")
        plates.mkdir(parents=True, exist_ok=True)
        html_path = plates / f"{stem}_plate_map.html"
        html_path.write_text(plate_map_html(layout, title=title), encoding="utf-8")
        files[f"{stem}_plate_map"] = html_path
        if dil is not None:
            files[f"{stem}_dilutions"] = write_tables(plates, f"{stem}_dilutions", {"d": dil})[0]
    design = _design(spec)
    doc = {
        "study": spec.name,
        "seed": design.seed,
        "animals": len(plan.allocation),
        "groups": len(design.groups),
        "n_per_group": planned_n(design),
        "blocking": design.blocking,
        "sections": list(design.sections),
        "files": {k: str(v.relative_to(out)) for k, v in files.items()},
    }
    (out / "design.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    files["design"] = out / "design.json"
    return files


# ---- after the experiment


@dataclass(frozen=True, eq=False)
class DesignRun:
    """How ``pdstudy run`` applied the design: blind or not, labels, deviations found so far.

    Attributes
    ----------
    design, allocation
        The design and its allocation (recomputed from the seed).
    blind
        True when no (valid) unblinding key was given.
    labels
        Group name -> the label the analysis shows (the name, or the group code when blind).
    key_path
        The key used, or ``None``.
    deviations
        ``(kind, section, animal code, what)`` rows found while matching the data.
    notes
        Lines for the report (the key not found...).
    """

    design: DesignSpec
    allocation: pd.DataFrame
    blind: bool
    labels: Mapping[str, str]
    key_path: Path | None
    deviations: tuple[tuple[str, str, str, str], ...] = ()
    notes: tuple[str, ...] = ()
    rewritten: Mapping[str, Path] = field(default_factory=dict)

    @property
    def control_label(self) -> str:
        if self.blind:
            return "G1"  # blind: the first code is the reference, whichever group it is
        return self.labels[self.design.control]

    def label_of_code(self) -> dict[str, str]:
        return {
            str(c): self.labels[str(g)]
            for c, g in zip(self.allocation["code"], self.allocation["group"], strict=True)
        }


def _read_key(path: Path, alloc: pd.DataFrame) -> tuple[bool, list[str]]:
    """Whether the key file matches the allocation (codes and groups); the problems if not."""
    try:
        key = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        return False, [f"the unblinding key {path} cannot be read: {exc}"]
    for col in ("code", "group"):
        if col not in key.columns:
            return False, [f"the unblinding key {path} has no {col!r} column"]
    want = dict(zip(alloc["code"].astype(str), alloc["group"].astype(str), strict=True))
    got = dict(zip(key["code"], key["group"], strict=False))
    wrong = sorted(c for c in want if got.get(c) != want[c])
    if wrong:
        return False, [
            f"the unblinding key {path} does not match the allocation of seed "
            f"(codes {', '.join(wrong[:5])}{'...' if len(wrong) > 5 else ''}); the analysis "
            "runs blind"
        ]
    return True, []


def apply_design(
    spec: StudySpec, out_dir: str | PathLike[str], key: str | PathLike[str] | None = None
) -> tuple[StudySpec, DesignRun | None]:
    """Match the coded animals of the design's sections to their groups; ``(spec, run)``.

    ``key`` (the ``--key`` option) overrides the design's ``key``. Without a
    readable key matching the allocation, groups are their codes (``G1``...)
    and no group name reaches the analysis. The rewritten animals files and
    sequence tables are written under ``out_dir/design/``.
    """
    if spec.design is None:
        return spec, None
    design: DesignSpec = spec.design
    alloc = allocation_of(design)
    key_path = Path(key).expanduser().resolve() if key is not None else design.key_path
    notes: list[str] = []
    deviations: list[tuple[str, str, str, str]] = []
    blind = True
    if key_path is not None:
        if key_path.is_file():
            ok, problems = _read_key(key_path, alloc)
            blind = not ok
            notes += problems
            deviations += [("key", "", "", p) for p in problems]
        else:
            notes.append(f"the unblinding key {key_path} was not found; the analysis runs blind")
    codes = dict(zip(alloc["group"], alloc["group_code"], strict=False))
    labels = {g: (codes[g] if blind else g) for g in design.group_names}
    run = DesignRun(design, alloc, blind, labels, None if blind else key_path)
    label_of = run.label_of_code()
    tag_to_code = dict(zip(alloc["animal"].astype(str), alloc["code"].astype(str), strict=True))
    work = Path(out_dir) / "design"
    sections = []
    rewritten: dict[str, Path] = {}
    for s in spec.sections:
        if s.key not in design.sections:
            sections.append(s)
            continue
        values = dict(s.values)
        primary = [p for p in design.primary if p["key"] == s.key]
        try:
            if s.kind in ("fst", "tst"):
                values.update(
                    _behavior_inputs(s, run, label_of, tag_to_code, work, deviations, primary)
                )
            elif s.kind == "microdialysis":
                values.update(_dialysis_inputs(s, run, label_of, tag_to_code, work, deviations))
        except PdStudyError as exc:
            notes.append(f"{s.key}: the data could not be matched to the allocation: {exc}")
            sections.append(s)
            continue
        for name in ("animals", "sequence"):
            if isinstance(values.get(name), Path) and values[name] != s.values.get(name):
                rewritten[f"{s.key}.{name}"] = values[name]
        sections.append(dataclasses.replace(s, values=values))
    run = dataclasses.replace(
        run, deviations=tuple(deviations), notes=tuple(notes), rewritten=rewritten
    )
    return dataclasses.replace(spec, sections=tuple(sections)), run


def _code(name: str, label_of: Mapping[str, str], tag_to_code: Mapping[str, str]) -> str | None:
    if name in label_of:
        return name
    return tag_to_code.get(name)


def _behavior_inputs(
    s: SectionSpec,
    run: DesignRun,
    label_of: Mapping[str, str],
    tag_to_code: Mapping[str, str],
    work: Path,
    deviations: list[tuple[str, str, str, str]],
    primary: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    from pdstudy.assays.behavior.analysis import read_groups
    from pdstudy.io.event_logs import read_event_log

    original = read_groups(s.values["animals"])
    logs = [read_event_log(p) for p in s.values.get("event_logs") or []]
    seen = list(
        dict.fromkeys(
            [
                *original["animal"].astype(str),
                *(str(a) for log in logs for a in log.table["animal"]),
            ]
        )
    )
    rows = []
    unallocated = set()
    groups = {str(g["name"]): g for g in run.design.groups}
    name_of_label = {v: k for k, v in run.labels.items()}
    recorded = dict(
        zip(original["animal"].astype(str), original["group"].astype(str), strict=False)
    )
    allocated = run.allocation.set_index("code")
    # where each animal was filmed (video, region, session start) stays with the animal
    filmed_cols = [c for c in ("video", "roi", "session_start_s") if c in original.columns]
    where_filmed: dict[str, dict[str, Any]] = (
        {
            str(k): {str(c): v for c, v in row.items()}
            for k, row in original.drop_duplicates("animal")
            .set_index("animal")[filmed_cols]
            .to_dict("index")
            .items()
        }
        if filmed_cols
        else {}
    )
    for name in seen:
        code = _code(name, label_of, tag_to_code)
        if code is None:
            unallocated.add(name)
            deviations.append(
                (
                    "not in the allocation",
                    s.key,
                    name,
                    f"animal {name!r} is not in the allocation; left out of the analysis",
                )
            )
            continue
        label = label_of[code]
        rec = recorded.get(name)
        if rec is not None and rec not in (
            str(allocated.loc[code, "group_code"]),
            str(allocated.loc[code, "group"]),
        ):
            deviations.append(
                (
                    "group mismatch",
                    s.key,
                    code,
                    "the group recorded in the animals file is not the allocated group; "
                    "the allocated group is used",
                )
            )
        row: dict[str, Any] = {"animal": name, "group": label}
        if not run.blind:
            row["dose"] = float(groups[name_of_label[label]]["dose"]) * 1e6
        row.update(where_filmed.get(name, {}))
        rows.append(row)
    work.mkdir(parents=True, exist_ok=True)
    animals = work / f"{s.slug}_animals.csv"
    pd.DataFrame(rows).to_csv(animals, index=False)
    out: dict[str, Any] = {"animals": animals, "control": run.control_label}
    if primary:
        out["method"] = str(primary[0]["test"])
    if unallocated and logs:
        kept = []
        for p, log in zip(s.values["event_logs"], logs, strict=True):
            keep = ~log.table["animal"].astype(str).isin(unallocated)
            if keep.all() or log.kind != "bouts":
                kept.append(p)
                continue
            path = work / f"{s.slug}_{Path(p).stem}.csv"
            cols = [c for c in ("animal", "behavior", "start_s", "stop_s") if c in log.table]
            log.table.loc[keep, cols].to_csv(path, index=False)
            kept.append(path)
        out["event_logs"] = kept
    return out


def _dialysis_inputs(
    s: SectionSpec,
    run: DesignRun,
    label_of: Mapping[str, str],
    tag_to_code: Mapping[str, str],
    work: Path,
    deviations: list[tuple[str, str, str, str]],
) -> dict[str, Any]:
    from pdstudy.io._plate_table import is_xlsx

    seq = Path(s.values["sequence"])
    try:
        raw = (
            pd.read_excel(seq, dtype=str).fillna("")
            if is_xlsx(seq)
            else pd.read_csv(seq, dtype=str, keep_default_na=False, sep=None, engine="python")
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(f"cannot read the sequence table: {exc}", seq) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if "animal" not in raw.columns:
        raise InputFileError("the sequence table has no 'animal' column", seq)
    if "group" not in raw.columns:
        raw["group"] = ""
    raw["file"] = [
        f if Path(f).is_absolute() else str((seq.parent / f).resolve()) for f in raw["file"]
    ]
    sample = raw["kind"].str.strip().str.lower() == "sample"
    drop = pd.Series(False, index=raw.index)
    counts: dict[str, int] = {}
    for i in raw.index[sample]:
        name = str(raw.at[i, "animal"]).strip()
        code = _code(name, label_of, tag_to_code)
        if code is None:
            if name and not drop[raw["animal"] == name].any():
                deviations.append(
                    (
                        "not in the allocation",
                        s.key,
                        name,
                        f"animal {name!r} is not in the allocation; left out of the analysis",
                    )
                )
            drop[raw["animal"] == name] = True
            continue
        raw.at[i, "group"] = label_of[code]
        counts[code] = counts.get(code, 0) + 1
    d = run.design.values["dialysis"]
    planned = int(d["baseline_samples"]) + int(d["post_samples"])
    for code in run.allocation["code"]:
        got = counts.get(str(code), 0)
        if got < planned:
            deviations.append(
                ("missing samples", s.key, str(code), f"{got} of {planned} planned samples")
            )
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{s.slug}_sequence.csv"
    raw[~(drop & sample)].to_csv(path, index=False)
    return {"sequence": path, "control": run.control_label}


def _per_animal(outcome: SectionOutcome, primary: Mapping[str, Any]) -> pd.DataFrame | None:
    """One row per analysed animal (``animal``, ``group``, the outcome) of a section's result."""
    result = outcome.result
    if result is None:
        return None
    if outcome.kind in ("fst", "tst"):
        frame = result.animals
        frame = frame[frame["status"] == "ok"]
    elif outcome.kind == "microdialysis":
        frame = result.auc
        frame = frame[frame["analyte"] == str(primary.get("analyte", "NE"))]
    else:
        return None
    if "excluded" in frame.columns:  # rows excluded by the section's `exclude` key
        frame = frame[~frame["excluded"].fillna(False).astype(bool)]
    return frame


def _excluded(outcome: SectionOutcome) -> list[tuple[str, str, str, str]]:
    """Animals a section excluded (its ``exclude`` key, or not scored), with the reasons."""
    out = []
    table = outcome.result.animals if outcome.kind in ("fst", "tst") else outcome.result.auc
    if "excluded" in table.columns:
        reason = table.get("exclude_reason", pd.Series("", index=table.index))
        for i in table.index[table["excluded"].fillna(False).astype(bool)]:
            why = str(reason[i]) if str(reason[i]) else "excluded"
            out.append(("excluded", outcome.key, str(table.at[i, "animal"]), why))
    if outcome.kind in ("fst", "tst"):
        bad = table[table["status"] != "ok"]
        for r in bad.itertuples(index=False):
            out.append(("excluded", outcome.key, str(r.animal), f"not scored: {r.reason}"))
    return list(dict.fromkeys(out))


def _planned(
    outcome: SectionOutcome, primary: Mapping[str, Any], run: DesignRun
) -> tuple[str, pd.DataFrame | None]:
    """Run a planned primary analysis on a section's result: (result text, contrasts)."""
    from pdstudy.stats.groups import compare_to_control

    data = _per_animal(outcome, primary)
    if data is None:
        return f"not run: the section failed ({outcome.section.error})", None
    try:
        comp = compare_to_control(
            data,
            dv=str(primary["outcome"]),
            group="group",
            control=run.control_label,
            method=str(primary["test"]),
            alpha=float(run.design.values.get("alpha", 0.05)),
        )
    except (UsageError, ValueError, KeyError) as exc:
        return f"not run: {exc}", None
    from pdstudy.report.format import format_value as fv

    parts = [
        f"{r.group} vs {r.control}: {fv('difference', r.difference)} (95 % CI "
        f"{fv('ci_low', r.ci_low)} to {fv('ci_high', r.ci_high)}), "
        f"p = {fv('p_value', r.p_value)}, Hedges g {fv('hedges_g', r.hedges_g)}"
        for r in comp.contrasts.itertuples(index=False)
    ]
    return f"{comp.method}: " + "; ".join(parts), comp.contrasts


def _group_sizes(
    outcomes: Sequence[SectionOutcome], run: DesignRun
) -> list[tuple[str, str, str, str]]:
    n = planned_n(run.design)
    out = []
    for o in outcomes:
        if o.key not in run.design.sections or o.result is None:
            continue
        primary = next((p for p in run.design.primary if p["key"] == o.key), {"analyte": "NE"})
        data = _per_animal(o, primary)
        if data is None:
            continue
        sizes = data.groupby("group")["animal"].nunique()
        for g in run.labels.values():
            got = int(sizes.get(g, 0))
            if got < n:
                out.append(
                    ("group below plan", o.key, "", f"group {g}: {got} of {n} planned animals")
                )
        out += _excluded(o)
    return out


def review_design(
    spec: StudySpec, run: DesignRun, outcomes: Sequence[SectionOutcome], out_dir: Path
) -> tuple[Section, pd.DataFrame, list[Path]]:
    """The design section of the report, the deviations, and the files written.

    Writes ``results/design_allocation.csv``, ``design_analyses.csv``,
    ``design_deviations.csv``, ``design_arrive.csv`` and ``design_arrive.md``.
    """
    from pdstudy.report.sections import design as builder
    from pdstudy.study.writer import write_tables

    design = run.design
    deviations = [*run.deviations, *_group_sizes(outcomes, run)]
    dev = pd.DataFrame(deviations, columns=["deviation", "section", "animal", "detail"])
    shown = run.allocation[["order", "code", *design.blocking, "block"]].copy()
    shown["group"] = run.allocation["group"].map(run.labels)
    order = [run.labels[g] for g in design.group_names]
    if run.blind:
        order = sorted(order)  # code order: the control's place would say which it is
    balance = shown.groupby(["block", "group"]).size().unstack(fill_value=0)[order].reset_index()
    # the analyses: planned (declared) and exploratory
    rows = []
    results = []
    for o in outcomes:
        planned = [p for p in design.primary if p["key"] == o.key]
        for p in planned:
            text, _ = _planned(o, p, run)
            outcome = p["outcome"] + (f" ({p['analyte']})" if o.kind == "microdialysis" else "")
            rows.append((o.key, o.name, outcome, p["test"], "planned", text))
            results.append(f"{o.key} {o.name}, {outcome}: {text}")
        rows.append(
            (
                o.key,
                o.name,
                "other outcomes" if planned else "all outcomes",
                "as in the section",
                "exploratory",
                o.section.status,
            )
        )
    analyses = pd.DataFrame(
        rows, columns=["section", "name", "outcome", "test", "status", "result"]
    )
    just = _justification(design, run.labels, fast=True)
    just_text = just.text() if just is not None else ""
    if just is not None:
        just_text += (
            " (Recomputed at analysis with the vectorised simulation of the test; "
            "`pdstudy design` simulates the analysis itself.)"
        )
    answers = _arrive_answers(spec, run, analyses, dev, just_text, results)
    arrive = builder.arrive_table(answers)
    randomisation = answers["Randomisation"] or ""
    blinding = answers["Blinding"] or "Blinding: " + builder.TO_COMPLETE + "."
    results_dir = out_dir / "results"
    files = []
    for name, frame in (
        ("design_allocation", shown),
        ("design_analyses", analyses),
        ("design_deviations", dev),
        ("design_arrive", arrive),
    ):
        files += write_tables(results_dir, name, {name: frame})
    md = out_dir / "design_arrive.md"
    md.write_text(
        builder.markdown(
            spec.name,
            arrive=arrive,
            allocation=shown,
            analyses=analyses,
            deviations=dev,
            justification=just_text,
        ),
        encoding="utf-8",
    )
    files.append(md)
    section = builder.build(
        blind=run.blind,
        allocation=shown,
        balance=balance,
        randomisation=randomisation,
        blinding=blinding,
        justification=just_text,
        justification_table=just.table() if just is not None else None,
        analyses=analyses,
        deviations=dev,
        arrive=arrive,
        files=tuple(str(f.relative_to(out_dir)) for f in files),
    )
    if run.notes:
        section = dataclasses.replace(section, intro=(*run.notes, *section.intro))
    return section, dev, files


def _arrive_answers(
    spec: StudySpec,
    run: DesignRun,
    analyses: pd.DataFrame,
    dev: pd.DataFrame,
    justification: str,
    results: Sequence[str],
) -> dict[str, str | None]:
    design = run.design
    v = design.values
    k = len(design.groups)
    n = planned_n(design)
    blocks = ", ".join(design.blocking) or "none"
    if run.blind:
        groups = ", ".join(sorted(run.labels.values()))
        group_text = f"{k} coded groups ({groups}; the key is not given)"
        procedures = None
    else:
        group_text = f"{k} groups: " + "; ".join(
            f"{g['name']} ({g['treatment']}, {_dose_text(float(g['dose']))} {g.get('route', '')}, "
            f"{float(g['pretreatment']) / 60:g} min before the test)"
            for g in design.groups
        )
        procedures = group_text + ("; " + str(v["procedures"]) if v.get("procedures") else "")
        if not v.get("procedures"):
            procedures += f". Other details: {'to be completed by the authors'}."
    sections = ", ".join(design.sections) or "none"
    study_design = (
        f"{group_text}, compared with the control group{'' if run.blind else ' ' + design.control}; "
        f"experimental unit: {v.get('experimental_unit', 'animal')}; {n} per group, "
        f"{k * n} in all; blocking factors: {blocks}; assays: {sections}."
    )
    randomisation = (
        f"Animals were allocated to groups by permuted-block randomisation within each block "
        f"({blocks}), every group receiving the same number of animals in every block, with "
        f"seed {design.seed} (pdstudy design; the allocation is reproducible from the study "
        "file); the test order was randomised too."
    )
    blinded = list(v.get("blinded") or [])
    blinding = None
    if blinded:
        blinding = (
            f"The people responsible for {', '.join(blinded)} were blind to the allocation: "
            "animals, videos and samples carried codes (A01...), groups carried codes "
            "(G1...), and the unblinding key was kept in a separate file. "
            + (
                "This analysis ran blind (no key given)."
                if run.blind
                else "The analysis was unblinded with the key "
                f"{run.key_path.name if run.key_path else ''}."
            )
        )
    planned = analyses[analyses["status"] == "planned"]
    outcomes = (
        "Primary outcome(s): "
        + "; ".join(f"{r.outcome} of {r.section} {r.name}" for r in planned.itertuples())
        + ". Every other outcome is exploratory."
        if len(planned)
        else None
    )
    stats = (
        "; ".join(
            f"{r.section} {r.outcome}: {_TESTS.get(str(r.test), r.test)}"
            for r in planned.itertuples()
        )
        + f", two-sided at alpha {float(v.get('alpha', 0.05)):g}, by pdstudy "
        "(pdstudy.stats.groups.compare_to_control: scipy.stats, pingouin, scikit-posthocs); "
        "assumptions checked by Shapiro-Wilk on residuals and Levene / Brown-Forsythe."
        if len(planned)
        else None
    )
    excluded = dev[dev["deviation"].isin(["excluded", "not in the allocation"])]
    inclusion = str(v.get("inclusion") or "")
    if inclusion:
        inclusion = inclusion.rstrip(". ") + "."
        inclusion += f" Animals excluded or left out: {len(excluded)} (listed in the deviations)."
    return {
        "Study design": study_design,
        "Sample size": justification or None,
        "Inclusion and exclusion criteria": inclusion or None,
        "Randomisation": randomisation,
        "Blinding": blinding,
        "Outcome measures": outcomes,
        "Statistical methods": stats,
        "Experimental animals": str(v.get("animals_description") or "") or None,
        "Experimental procedures": procedures,
        "Results": " ".join(results) if results else None,
    }


_TESTS = {
    "anova": "one-way ANOVA with Dunnett's test against the control",
    "welch": "Welch's ANOVA with Games-Howell against the control",
    "kruskal": "Kruskal-Wallis with Dunn's test (Holm) against the control",
    "auto": "chosen by the assumption checks (ANOVA + Dunnett, Welch + Games-Howell or "
    "Kruskal-Wallis + Dunn)",
}
