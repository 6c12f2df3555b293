"""The study file's ``[design]`` table: groups, allocation, blinding, sample size, primary outcomes.

:data:`DESIGN` (with :data:`GROUP` for each ``[[design.groups]]``,
:data:`PRIMARY` for each ``[[design.primary]]`` and :data:`DIALYSIS` for
``[design.dialysis]``) are the keys; :func:`parse_design` checks the table with
the rest of the study file (every problem with its key path, including a
design whose groups cannot be balanced within its blocks) and returns a
:class:`DesignSpec`. What ``pdstudy design`` writes and how ``pdstudy run``
uses it is in :mod:`pdstudy.study.design_run`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pdstudy.assays.schema import Key, Problems, Schema, did_you_mean, parse_table
from pdstudy.errors import PdStudyError

__all__ = [
    "BLINDED",
    "DESIGN",
    "DESIGN_KINDS",
    "DIALYSIS",
    "GROUP",
    "OUTCOMES",
    "PRIMARY",
    "DesignSpec",
    "design_animals",
    "parse_design",
    "planned_n",
]

#: the section kinds whose animals the design allocates
DESIGN_KINDS = ("fst", "tst", "microdialysis")
#: the primary outcomes each kind can declare
OUTCOMES: dict[str, tuple[str, ...]] = {
    "fst": ("immobility_s", "latency_s", "bouts"),
    "tst": ("immobility_s", "latency_s", "bouts"),
    "microdialysis": ("auc_pct_min", "emax_pct"),
}
#: the people who may be blind to the allocation
BLINDED = ("allocation", "dosing", "testing", "scoring", "analysis")
#: the planned tests (:func:`pdstudy.stats.groups.compare_to_control`'s methods)
TESTS = ("anova", "welch", "kruskal", "auto")

GROUP = Schema(
    "groups",
    (
        Key(
            "name",
            "text",
            required=True,
            doc="the group's name (shown once unblinded)",
            example='"vehicle"',
        ),
        Key(
            "treatment",
            "text",
            required=True,
            doc="what the group is given",
            example='"norclomipramine HCl in saline"',
        ),
        Key(
            "dose",
            "quantity",
            "dose",
            required=True,
            low=0,
            doc="dose as given (0 for vehicle)",
            example='"10 mg/kg"',
        ),
        Key("route", "text", default="i.p.", doc="route of administration", example='"i.p."'),
        Key(
            "pretreatment",
            "quantity",
            "time",
            required=True,
            low=0,
            doc="time from dosing to the test (or to the first post-dose sample)",
            example='"30 min"',
        ),
        Key(
            "expected",
            "number",
            doc="expected mean of the primary outcome in this group (sample size); "
            "default: the control's plus the design's effect",
            example="150",
        ),
    ),
    doc="One per group (`[[design.groups]]`), the control first or named by `control`.",
)

PRIMARY = Schema(
    "primary",
    (
        Key(
            "section",
            "text",
            required=True,
            doc="the assay section: its name or its key path (fst[1])",
            example='"Forced swim test"',
        ),
        Key(
            "outcome",
            "choice",
            required=True,
            choices=tuple(dict.fromkeys(o for v in OUTCOMES.values() for o in v)),
            doc="fst/tst: immobility_s, latency_s or bouts; microdialysis: auc_pct_min "
            "(AUC of % baseline) or emax_pct",
            example='"immobility_s"',
        ),
        Key(
            "analyte",
            "text",
            default="NE",
            doc="microdialysis: the analyte of the outcome",
            example='"NE"',
        ),
        Key(
            "test",
            "choice",
            choices=TESTS,
            doc="the planned test (default: the design's planned_test)",
            example='"anova"',
        ),
    ),
    doc="One per primary outcome (`[[design.primary]]`): the analysis planned before the "
    "experiment; every other analysis is reported as exploratory.",
)

DIALYSIS = Schema(
    "dialysis",
    (
        Key(
            "stabilisation",
            "quantity",
            "time",
            default=7200.0,
            low=0,
            doc="perfusion before the first baseline sample",
            example='"2 h"',
        ),
        Key(
            "baseline_samples",
            "integer",
            default=4,
            low=1,
            doc="samples before the dose",
            example="4",
        ),
        Key("post_samples", "integer", default=9, low=1, doc="samples after the dose", example="9"),
        Key(
            "interval",
            "quantity",
            "time",
            default=1200.0,
            positive=True,
            doc="sampling interval",
            example='"20 min"',
        ),
        Key(
            "flow",
            "quantity",
            "flow",
            default=1.5e-6 / 60,
            positive=True,
            doc="perfusion flow",
            example='"1.5 uL/min"',
        ),
    ),
    doc="The sampling plan of the design's microdialysis animals (`[design.dialysis]`); "
    "missing samples are deviations.",
)

DESIGN = Schema(
    "design",
    (
        Key(
            "seed",
            "integer",
            required=True,
            low=0,
            doc="seed of the randomisation (the allocation and codes follow from it)",
            example="20261128",
        ),
        Key(
            "experimental_unit",
            "text",
            default="animal",
            doc="the unit randomised and analysed (animal, cage, litter)",
            example='"animal"',
        ),
        Key(
            "animals_description",
            "text",
            default="",
            doc="species, strain, sex, age or weight, supplier (ARRIVE item 8)",
            example='"male C57BL/6J mice, 8-10 weeks, Charles River"',
        ),
        Key(
            "animals_per_group",
            "integer",
            low=2,
            doc="animals per group; or give target_power",
            example="8",
        ),
        Key(
            "target_power",
            "fraction",
            positive=True,
            doc="the smallest n per group reaching this power for every treated group",
            example="0.8",
        ),
        Key(
            "effect",
            "number",
            doc="expected difference of each treated group from the control, in the primary "
            "outcome's unit (or `expected` per group)",
            example="-40",
        ),
        Key(
            "sd",
            "number",
            positive=True,
            doc="expected SD of the primary outcome within a group",
            example="35",
        ),
        Key(
            "effect_source",
            "text",
            default="",
            doc="where the effect and SD come from (pilot, publication)",
            example='"pilot study, n = 6 per group"',
        ),
        Key("alpha", "fraction", default=0.05, doc="significance level", example="0.05"),
        Key(
            "n_sim",
            "integer",
            default=2000,
            low=100,
            doc="simulated studies of the sample-size justification",
            example="2000",
        ),
        Key(
            "planned_test",
            "choice",
            default="anova",
            choices=TESTS,
            doc="the planned comparison with the control: one-way ANOVA + Dunnett, Welch + "
            "Games-Howell, Kruskal-Wallis + Dunn, or auto (by the assumption checks)",
            example='"anova"',
        ),
        Key(
            "control",
            "text",
            doc="the control group (default: the first group)",
            example='"vehicle"',
        ),
        Key(
            "animals",
            "file",
            doc="CSV of the animals (column animal, and one per blocking factor); default: "
            "animals R01... generated, split over `blocks` levels of the blocking factor",
            example='"animals.csv"',
        ),
        Key(
            "blocking",
            "texts",
            default=(),
            doc="blocking factors (columns of `animals`: cohort, cage, day); each combination "
            "is a block in which every group gets the same number of animals",
            example='["day"]',
        ),
        Key(
            "blocks",
            "integer",
            default=1,
            low=1,
            doc="without `animals`: levels of the (one) blocking factor",
            example="2",
        ),
        Key(
            "blinded",
            "texts",
            default=(),
            choices=BLINDED,
            doc="who is blind to the allocation",
            example='["dosing", "testing", "scoring", "analysis"]',
        ),
        Key(
            "key",
            "text",
            doc="the unblinding key written by `pdstudy design` (relative to the study file); "
            "without it the analysis runs blind",
            example='"design/key/unblinding_key.csv"',
        ),
        Key(
            "sections",
            "texts",
            default=(),
            doc="the sections whose animals are allocated (names or key paths); default every "
            "fst, tst and microdialysis section",
            example='["fst[1]", "tst[1]"]',
        ),
        Key(
            "start",
            "text",
            default="09:00",
            doc="time of the first dose of each day",
            example='"09:00"',
        ),
        Key(
            "changeover",
            "quantity",
            "time",
            default=120.0,
            low=0,
            doc="between two behavioural sessions",
            example='"2 min"',
        ),
        Key(
            "apparatus",
            "integer",
            default=1,
            low=1,
            doc="animals tested at once (cylinders, boxes)",
            example="1",
        ),
        Key(
            "stock",
            "quantity",
            "concentration",
            default=0.01,
            positive=True,
            doc="stock of the test compound (dilution tables of the in vitro sections)",
            example='"10 mM"',
        ),
        Key(
            "inclusion",
            "text",
            default="",
            doc="inclusion and exclusion criteria set before the experiment (ARRIVE item 3)",
            example='"animals losing > 15 % body weight are excluded"',
        ),
        Key(
            "procedures",
            "text",
            default="",
            doc="what was done to the animals, when and where (ARRIVE item 9)",
            example='"i.p. injection, 10 mL/kg; FST in 25 °C water"',
        ),
    ),
    doc="The experimental design: allocation, blinding, sample size and the planned analysis "
    "(docs/design.md).",
    subtables={"dialysis": DIALYSIS},
)


@dataclass(frozen=True)
class DesignSpec:
    """A validated ``[design]`` table.

    Attributes
    ----------
    values
        Parsed keys of ``[design]`` (seconds, molar, litres; ``dialysis`` a dict).
    groups
        Parsed ``[[design.groups]]``, the control first.
    primary
        Parsed ``[[design.primary]]``, each with ``key`` (the section's key path),
        ``kind`` and ``name`` of its section, and ``test`` filled in.
    sections
        Key paths of the sections whose animals are allocated.
    folder
        The study file's folder (``key`` is relative to it).
    n_per_group
        Animals per group: ``animals_per_group``, or the n found for
        ``target_power`` (0 until :func:`parse_design` has computed it).
    """

    values: Mapping[str, Any]
    groups: tuple[Mapping[str, Any], ...]
    primary: tuple[Mapping[str, Any], ...]
    sections: tuple[str, ...]
    folder: Path = field(default=Path("."))
    n_per_group: int = 0

    @property
    def group_names(self) -> list[str]:
        return [str(g["name"]) for g in self.groups]

    @property
    def control(self) -> str:
        return str(self.groups[0]["name"])

    @property
    def seed(self) -> int:
        return int(self.values["seed"])

    @property
    def blocking(self) -> list[str]:
        return list(self.values.get("blocking") or [])

    @property
    def key_path(self) -> Path | None:
        """The declared unblinding key (resolved), or ``None``."""
        key = self.values.get("key")
        if not key:
            return None
        p = Path(str(key)).expanduser()
        return p if p.is_absolute() else self.folder / p

    def pretreatment_s(self) -> dict[str, float]:
        return {str(g["name"]): float(g["pretreatment"]) for g in self.groups}

    def expected_means(self) -> list[float] | None:
        """Expected primary-outcome means, control first (``None``: not declared)."""
        exp = [g.get("expected") for g in self.groups]
        if all(e is not None for e in exp):
            return [float(e) for e in exp]  # type: ignore[arg-type]
        effect = self.values.get("effect")
        if effect is None:
            return None
        base = float(exp[0]) if exp[0] is not None else 0.0
        return [base] + [float(e) if e is not None else base + float(effect) for e in exp[1:]]


def _groups(raw: Any, problems: Problems, base: Path) -> list[dict[str, Any]]:
    if raw is None:
        problems.append(
            (
                "design.groups",
                'missing: the groups, as [[design.groups]] tables (name = "vehicle", '
                'treatment = "saline", dose = "0 mg/kg", pretreatment = "30 min")',
            )
        )
        return []
    if not isinstance(raw, list):
        problems.append(("design.groups", "expected [[design.groups]] tables"))
        return []
    out = [
        parse_table(GROUP, item, f"design.groups[{i}]", base, problems)
        for i, item in enumerate(raw, start=1)
    ]
    names = [str(g.get("name")) for g in out if g.get("name")]
    if len(out) < 2:
        problems.append(("design.groups", f"a design needs at least two groups, got {len(out)}"))
    for i, g in enumerate(out, start=1):
        if g.get("name") and names.count(str(g["name"])) > 1:
            problems.append((f"design.groups[{i}].name", f"group {g['name']!r} is named twice"))
    return out


def _resolve_section(
    ref: str, sections: Sequence[Any], where: str, problems: Problems
) -> Any | None:
    for s in sections:
        if ref in (s.key, s.name):
            return s
    known = [s.key for s in sections] + [s.name for s in sections]
    problems.append(
        (where, f"no section {ref!r}{did_you_mean(ref, known)} (sections: {', '.join(known)})")
    )
    return None


def design_animals(values: Mapping[str, Any], n_total: int) -> pd.DataFrame:
    """The design's animals: the ``animals`` file, or ``n_total`` generated ones over ``blocks``."""
    from pdstudy.design.allocation import generate_animals

    path = values.get("animals")
    if path is not None:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.columns = [c.strip() for c in frame.columns]
        return frame
    blocking = list(values.get("blocking") or [])
    factor = blocking[0] if blocking else None
    return generate_animals(n_total, factor=factor, levels=int(values.get("blocks") or 1))


def parse_design(
    raw: Any, base: Path, sections: Sequence[Any], problems: Problems
) -> DesignSpec | None:
    """Check the ``[design]`` table (``raw``) with the study's ``sections``; problems appended.

    Returns ``None`` when the table has problems.
    """
    before = len(problems)
    if not isinstance(raw, dict):
        problems.append(("design", "expected a [design] table"))
        return None
    table = {k: v for k, v in raw.items() if k not in ("groups", "primary")}
    values = parse_table(DESIGN, table, "design", base, problems)
    groups = _groups(raw.get("groups"), problems, base)
    control = values.get("control")
    names = [str(g.get("name")) for g in groups]
    if control is not None and groups:
        if control not in names:
            problems.append(
                (
                    "design.control",
                    f"{control!r} is not a group{did_you_mean(control, names)} "
                    f"(groups: {', '.join(names)})",
                )
            )
        else:
            groups = [groups[names.index(control)]] + [
                g for g in groups if g.get("name") != control
            ]
    # the sections the design allocates
    scope: list[str] = []
    refs = list(values.get("sections") or [])
    if refs:
        for i, ref in enumerate(refs, start=1):
            s = _resolve_section(ref, sections, f"design.sections[{i}]", problems)
            if s is not None and s.kind not in DESIGN_KINDS:
                problems.append(
                    (
                        f"design.sections[{i}]",
                        f"{ref!r} is a {s.kind} section; the design allocates animals of "
                        f"{', '.join(DESIGN_KINDS)} sections",
                    )
                )
            elif s is not None:
                scope.append(s.key)
    else:
        scope = [s.key for s in sections if s.kind in DESIGN_KINDS]
    primary = []
    raw_primary = raw.get("primary") or []
    if not isinstance(raw_primary, list):
        problems.append(("design.primary", "expected [[design.primary]] tables"))
        raw_primary = []
    for i, item in enumerate(raw_primary, start=1):
        where = f"design.primary[{i}]"
        p = parse_table(PRIMARY, item, where, base, problems)
        if not p.get("section"):
            continue
        s = _resolve_section(str(p["section"]), sections, f"{where}.section", problems)
        if s is None:
            continue
        allowed = OUTCOMES.get(s.kind)
        if allowed is None:
            problems.append(
                (
                    f"{where}.section",
                    f"{s.key} is a {s.kind} section; primary outcomes are declared for "
                    f"{', '.join(OUTCOMES)} sections",
                )
            )
            continue
        if p.get("outcome") and p["outcome"] not in allowed:
            problems.append(
                (
                    f"{where}.outcome",
                    f"{p['outcome']!r} is not an outcome of a {s.kind} section "
                    f"({', '.join(allowed)})",
                )
            )
            continue
        if s.key not in scope:
            problems.append(
                (f"{where}.section", f"{s.key} is not among the design's sections ({scope})")
            )
            continue
        p.update(key=s.key, kind=s.kind, name=s.name)
        p["test"] = p.get("test") or values.get("planned_test", "anova")
        primary.append(p)
    _sample_size_keys(values, raw, groups, problems)
    if len(problems) > before:
        return None
    spec = DesignSpec(
        values=values,
        groups=tuple(groups),
        primary=tuple(primary),
        sections=tuple(scope),
        folder=base,
    )
    try:
        spec = dataclasses.replace(spec, n_per_group=planned_n(spec))
    except PdStudyError as exc:
        problems.append(("design.target_power", str(exc)))
        return None
    _balance(spec, problems)
    return None if len(problems) > before else spec


def _sample_size_keys(
    values: Mapping[str, Any],
    raw: Mapping[str, Any],
    groups: list[dict[str, Any]],
    problems: Problems,
) -> None:
    n, power = "animals_per_group" in raw, "target_power" in raw
    if n and power:
        problems.append(
            ("design", "give animals_per_group or target_power, not both: they could disagree")
        )
    elif not n and not power:
        problems.append(
            (
                "design.animals_per_group",
                "missing: give animals_per_group = 8, or target_power = 0.8 with effect and sd",
            )
        )
    has_expected = bool(groups) and all(g.get("expected") is not None for g in groups)
    if power and not ("effect" in raw or has_expected):
        problems.append(
            (
                "design.effect",
                "missing: target_power needs the expected effect (or `expected` per group)",
            )
        )
    if (power or "effect" in raw or has_expected) and "sd" not in raw:
        problems.append(("design.sd", "missing: the sample size needs the expected SD"))


def _balance(spec: DesignSpec, problems: Problems) -> None:
    """The animals file reads, holds the blocking factors, and the groups balance in every block."""
    from pdstudy.design.allocation import balance_problems

    values = spec.values
    k = len(spec.groups)
    n = planned_n(spec)
    blocking = spec.blocking
    if values.get("animals") is None and len(blocking) > 1:
        problems.append(
            (
                "design.blocking",
                "without an animals file the design has one blocking factor; list the animals "
                "with a column per factor in `animals`",
            )
        )
        return
    try:
        animals = design_animals(values, n * k)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        problems.append(("design.animals", f"cannot read the animals file: {exc}"))
        return
    where = "design.animals" if values.get("animals") is not None else "design.blocks"
    if "animal" not in animals.columns:
        problems.append(("design.animals", "no 'animal' column"))
        return
    dup = animals["animal"][animals["animal"].duplicated()]
    if len(dup):
        problems.append(("design.animals", f"animal {dup.iloc[0]!r} is listed twice"))
    missing = [f for f in blocking if f not in animals.columns]
    for f in missing:
        problems.append(
            (
                "design.blocking",
                f"blocking factor {f!r} is not a column of the animals file "
                f"(columns: {', '.join(animals.columns)})",
            )
        )
    if missing:
        return
    if len(animals) != n * k:
        problems.append(
            (
                where,
                f"the design needs {n * k} animals ({k} groups x {n}), the animals file lists "
                f"{len(animals)}",
            )
        )
        return
    for message in balance_problems(animals, k, blocking):
        problems.append((where, message))


def planned_n(spec: DesignSpec) -> int:
    """Animals per group: ``animals_per_group``, or the smallest n reaching ``target_power``.

    The search runs the vectorised simulation of the planned test
    (:func:`pdstudy.stats.power.sample_size`); ``pdstudy design`` then checks
    the n found by simulating the analysis itself.
    """
    if spec.n_per_group:
        return spec.n_per_group
    n = spec.values.get("animals_per_group")
    if n is not None:
        return int(n)
    from pdstudy.stats.power import sample_size

    means = spec.expected_means()
    if means is None:  # reported by _sample_size_keys
        return 2
    res = sample_size(
        means,
        float(spec.values["sd"]),
        power=float(spec.values["target_power"]),
        alpha=float(spec.values.get("alpha", 0.05)),
        n_sim=2000,
        seed=spec.seed,
    )
    return int(res.n_per_group)
