"""Exclusions a reviewer can audit: data left out of the analysis, each with its reason.

Every assay kind takes the same ``exclude`` key in its study-file section (and
the same ``--exclude`` option on its command):

.. code-block:: toml

    exclude = [
      { plate = "net_exp1", well = "B7", reason = "pipetting error (notebook p. 42)" },
      { experiment = "net_exp2", reason = "membranes thawed twice" },
    ]

An exclusion names what it leaves out with the fields its kind allows
(plate assays: ``experiment``, ``plate``, ``well``; microdialysis: ``animal``
and optionally ``sample``; forced swim and tail suspension: ``animal``) and
always a ``reason``. :func:`check_exclusions` reports, with its key path, an
exclusion that names something not in the data or gives no reason, every
problem at once. :func:`apply_exclusions` marks the rows it names
(``excluded``, ``exclude_reason``, ``excluded_by``): excluded rows stay in every
output table and are left out of fits, aggregates and statistics.

Automatic rules (ROUT, a plate's Z' below a threshold, an unstable dialysis
baseline...) are exclusions too, with ``by`` naming the rule's family and
``rule`` the rule and its setting; every result lists every exclusion, declared
and automatic, in its ``exclusions`` table (:data:`EXCLUSION_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.assays.schema import Key, Problems, Schema, did_you_mean
from pdstudy.errors import UsageError

__all__ = [
    "ANIMAL_EXCLUDE_KEY",
    "ANIMAL_FIELDS",
    "DIALYSIS_EXCLUDE_KEY",
    "PLATE_EXCLUDE_KEY",
    "BY_DECLARED",
    "DIALYSIS_FIELDS",
    "EXCLUSION_COLUMNS",
    "EXCLUSION_ITEM",
    "PLATE_FIELDS",
    "READER_RULE",
    "Exclusion",
    "apply_exclusions",
    "check_exclusions",
    "declared_exclusions",
    "exclude_key",
    "exclusion_table",
    "exclusions_from_rows",
    "mark_rows",
    "reader_exclusions",
    "with_excluded_curves",
    "z_prime_exclusions",
    "z_prime_rule_words",
]

#: ``by`` of the exclusions a user declares (study file or ``--exclude``)
BY_DECLARED = "declared"

#: what a plate assay's exclusion may name
PLATE_FIELDS = ("experiment", "plate", "well")
#: what a microdialysis exclusion may name
DIALYSIS_FIELDS = ("animal", "sample")
#: what a behaviour (FST, TST) exclusion may name
ANIMAL_FIELDS = ("animal",)

_ALL_FIELDS = ("experiment", "plate", "well", "animal", "sample")

#: columns of every result's ``exclusions`` table
EXCLUSION_COLUMNS = (
    "target",
    "experiment",
    "plate",
    "well",
    "animal",
    "sample",
    "reason",
    "by",
    "rule",
    "n_rows",
)

EXCLUSION_ITEM = Schema(
    "exclude",
    (
        Key("experiment", "text", doc="an independent experiment (plate assays: the file's stem)"),
        Key("plate", "text", doc="a plate (the plate file's stem)"),
        Key("well", "text", doc="a well of that plate, e.g. B7"),
        Key("animal", "text", doc="an animal, as the data name it"),
        Key("sample", "integer", low=1, doc="a sample of that animal (1 = its first sample)"),
        Key("reason", "text", required=True, doc="why (a notebook reference)"),
    ),
    doc="One exclusion: what it leaves out and why.",
)


def exclude_key(fields: Sequence[str], example: str) -> Key:
    """The ``exclude`` key of a section whose exclusions may name ``fields``."""
    return Key(
        "exclude",
        "tables",
        item=EXCLUSION_ITEM,
        doc=(
            f"data left out, each with its reason ({', '.join(fields)}, reason); kept in the "
            "tables, left out of fits and statistics (docs/exclusions.md)"
        ),
        example=example,
    )


#: the ``exclude`` key of every plate section (binding, saturation, uptake, protein)
PLATE_EXCLUDE_KEY = exclude_key(
    PLATE_FIELDS, '[{ plate = "net_exp1", well = "B7", reason = "pipetting error (p. 42)" }]'
)
#: the ``exclude`` key of ``[[microdialysis]]``
DIALYSIS_EXCLUDE_KEY = exclude_key(
    DIALYSIS_FIELDS, '[{ animal = "D3", sample = 5, reason = "probe clogged" }]'
)
#: the ``exclude`` key of ``[[fst]]`` and ``[[tst]]``
ANIMAL_EXCLUDE_KEY = exclude_key(
    ANIMAL_FIELDS, '[{ animal = "M12", reason = "climbed its tail from 140 s" }]'
)


@dataclass(frozen=True)
class Exclusion:
    """One exclusion: what it names, why, and who excluded it.

    ``by`` is ``"declared"`` for the study file or ``--exclude``, else the
    automatic rule's family (``"reader"``, ``"rout"``, ``"qc"``,
    ``"baseline"``); ``rule`` states an automatic rule with its setting
    (``"ROUT, Q = 1 %"``). ``where`` is the key path of a declared one.
    """

    reason: str
    by: str = BY_DECLARED
    rule: str = ""
    experiment: str | None = None
    plate: str | None = None
    well: str | None = None
    animal: str | None = None
    sample: int | None = None
    where: str = ""

    @property
    def fields(self) -> dict[str, Any]:
        """The fields it names, in order."""
        return {f: getattr(self, f) for f in _ALL_FIELDS if getattr(self, f) is not None}

    @property
    def target(self) -> str:
        """What it names, in words: ``"plate net_exp1 well B7"``."""
        return " ".join(f"{f} {v}" for f, v in self.fields.items()) or "nothing"

    def matches(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` it names (all fields must match)."""
        hit = np.ones(len(frame), dtype=bool)
        for f, v in self.fields.items():
            if f not in frame.columns:
                return np.zeros(len(frame), dtype=bool)
            hit &= _column_equals(frame[f], f, v)
        return hit

    def record(self, n_rows: int | None = None) -> dict[str, Any]:
        """A row of the ``exclusions`` table."""
        rec: dict[str, Any] = {"target": self.target}
        for f in _ALL_FIELDS:
            v = getattr(self, f)
            rec[f] = "" if v is None else str(v)
        rec.update(reason=self.reason, by=self.by, rule=self.rule)
        rec["n_rows"] = n_rows if n_rows is not None else 0
        return rec


def _norm(field: str, value: Any) -> str:
    text = str(value).strip()
    if field == "well":
        from pdstudy.io.wells import canonical_well

        return canonical_well(text) or text.upper()
    return text


def _column_equals(col: pd.Series, field: str, value: Any) -> np.ndarray:
    if field == "sample":
        num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        return np.asarray(num == float(value))
    want = _norm(field, value)
    if field == "well":
        return np.asarray([_norm("well", x) == want for x in col.astype(str)], dtype=bool)
    return np.asarray(col.astype(str).str.strip() == want)


def declared_exclusions(values: Mapping[str, Any], where: str = "") -> list[Exclusion]:
    """The exclusions of a section's parsed values (``values["exclude"]``), in order."""
    items = values.get("exclude") or []
    out = []
    for i, item in enumerate(items, start=1):
        fields = {f: item.get(f) for f in _ALL_FIELDS if item.get(f) is not None}
        if "well" in fields:
            fields["well"] = _norm("well", fields["well"])
        out.append(
            Exclusion(
                reason=str(item.get("reason") or "").strip(),
                where=f"{where}.exclude[{i}]" if where else f"exclude[{i}]",
                **fields,
            )
        )
    return out


def check_exclusions(
    values: Mapping[str, Any],
    where: str,
    problems: Problems,
    *,
    fields: Sequence[str],
    data: pd.DataFrame | None,
) -> None:
    """Check a section's declared exclusions against its data; append every problem.

    ``fields`` are what this kind's exclusions may name; ``data`` holds one row
    per thing that can be excluded, with those columns (a plate assay: every
    well's ``experiment``, ``plate``, ``well``), or ``None`` when the data could
    not be read (then only the form is checked). A problem's key path is the
    exclusion's field: ``binding[1].exclude[2].well``.
    """
    for ex, item in zip(
        declared_exclusions(values, where), values.get("exclude") or [], strict=True
    ):
        at = ex.where
        named = ex.fields
        wrong = [f for f in named if f not in fields]
        for f in wrong:
            problems.append(
                (f"{at}.{f}", f"an exclusion here names {' or '.join(fields)}, not {f}")
            )
        if "reason" in item and not ex.reason:
            problems.append((f"{at}.reason", "the reason is empty; say why (a notebook reference)"))
        if not named:
            problems.append((at, f"names nothing: give {' or '.join(fields)} (and a reason)"))
            continue
        if wrong or data is None:
            continue
        _check_targets(ex, at, fields, data, problems)


def _check_targets(
    ex: Exclusion, at: str, fields: Sequence[str], data: pd.DataFrame, problems: Problems
) -> None:
    sub = data
    context = ""
    for f in fields:
        v = ex.fields.get(f)
        if v is None:
            continue
        if f not in sub.columns:
            problems.append((f"{at}.{f}", f"this section's data have no {f}"))
            return
        hit = sub[_column_equals(sub[f], f, v)]
        if hit.empty:
            known = sorted({str(x) for x in sub[f].dropna()}, key=str)
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            hint = did_you_mean(str(v), known)
            problems.append(
                (f"{at}.{f}", f"no {f} {v!r}{context} in this section's data{hint} ({shown})")
            )
            return
        sub = hit
        context = f" of {f} {v!r}" if not context else f"{context}, {f} {v!r}"
    if "well" in ex.fields and "plate" not in ex.fields and "plate" in sub.columns:
        plates = sorted({str(p) for p in sub["plate"]})
        if len(plates) > 1:
            problems.append(
                (
                    f"{at}.plate",
                    f"well {ex.well} is on {len(plates)} plates ({', '.join(plates)}); "
                    "give the plate",
                )
            )


def _prepare(frame: pd.DataFrame, prior_by: str) -> pd.DataFrame:
    df = frame.copy()
    if C.EXCLUDED in df.columns:
        df[C.EXCLUDED] = df[C.EXCLUDED].fillna(False).astype(bool)
    else:
        df[C.EXCLUDED] = False
    if C.EXCLUDE_REASON not in df.columns:
        df[C.EXCLUDE_REASON] = ""
    df[C.EXCLUDE_REASON] = df[C.EXCLUDE_REASON].where(df[C.EXCLUDE_REASON].notna(), "").astype(str)
    if C.EXCLUDED_BY not in df.columns:
        df[C.EXCLUDED_BY] = ""
    df[C.EXCLUDED_BY] = df[C.EXCLUDED_BY].where(df[C.EXCLUDED_BY].notna(), "").astype(str)
    unnamed = df[C.EXCLUDED] & (df[C.EXCLUDED_BY] == "")
    df.loc[unnamed, C.EXCLUDED_BY] = prior_by
    return df


def apply_exclusions(
    frame: pd.DataFrame,
    exclusions: Iterable[Exclusion],
    *,
    prior_by: str = "reader",
    strict: bool = True,
) -> pd.DataFrame:
    """A copy of ``frame`` with the rows each exclusion names marked excluded.

    Adds (or completes) ``excluded``, ``exclude_reason`` and ``excluded_by``;
    rows already excluded (a plate reader's masked or overflowed wells) keep
    their reason and get ``excluded_by = prior_by``. A row named twice keeps
    the first reason. With ``strict``, an exclusion that names no row is a
    :class:`~pdstudy.errors.UsageError` naming every such exclusion.
    """
    df = _prepare(frame, prior_by)
    missing = []
    for ex in exclusions:
        hit = ex.matches(df)
        if not hit.any():
            missing.append(ex)
            continue
        mark_rows(df, hit, ex.reason, ex.by)
    if missing and strict:
        what = "; ".join(f"{ex.where or 'exclusion'}: {ex.target}" for ex in missing)
        raise UsageError(f"exclusion(s) naming nothing in the data: {what}")
    return df


def mark_rows(df: pd.DataFrame, mask: Any, reason: str, by: str) -> None:
    """Mark the rows ``mask`` of ``df`` (in place) excluded by ``by``; already excluded rows
    keep their first reason."""
    m = np.asarray(mask, dtype=bool) & ~df[C.EXCLUDED].to_numpy(dtype=bool)
    idx = df.index[m]
    df.loc[idx, C.EXCLUDED] = True
    df.loc[idx, C.EXCLUDE_REASON] = reason
    df.loc[idx, C.EXCLUDED_BY] = by


def exclusions_from_rows(
    frame: pd.DataFrame, mask: Any, fields: Sequence[str], reason: Any, by: str, rule: str = ""
) -> list[Exclusion]:
    """One exclusion per distinct ``fields`` of the rows ``mask`` (automatic rules).

    ``reason`` is a string or a column of ``frame`` (one reason per row)."""
    m = np.asarray(mask, dtype=bool)
    sub = frame[m]
    # the reasons of the rows ``mask`` only, in their order (not the frame's first rows)
    reasons = reason.to_numpy()[m] if isinstance(reason, pd.Series) else None
    out: list[Exclusion] = []
    seen = set()
    for i, (_, row) in enumerate(sub.iterrows()):
        key = tuple(str(row[f]) for f in fields)
        if key in seen:
            continue
        seen.add(key)
        why = str(reasons[i]) if reasons is not None else str(reason)
        vals: dict[str, Any] = {f: str(row[f]) for f in fields}
        if "sample" in vals:
            vals["sample"] = int(float(vals["sample"]))
        out.append(Exclusion(reason=why, by=by, rule=rule, **vals))
    return out


READER_RULE = "masked or overflowed in the plate file"
"""The rule of the wells a plate reader left out (``excluded_by = "reader"``)."""


def reader_exclusions(
    frame: pd.DataFrame, fields: Sequence[str] = (C.PLATE, C.WELL)
) -> list[Exclusion]:
    """One exclusion by ``reader`` per well the plate file masked or overflowed.

    The rows are those :func:`apply_exclusions` marked ``excluded_by = "reader"``
    (excluded before any declared exclusion); each keeps the reader's reason.
    """
    mask = frame[C.EXCLUDED_BY] == "reader"
    return exclusions_from_rows(frame, mask, fields, frame[C.EXCLUDE_REASON], "reader", READER_RULE)


def z_prime_rule_words(threshold: float, groups: str) -> str:
    """The opt-in Z' rule as the Methods text states it; ``groups`` names the two controls."""
    return f"a plate whose Z' ({groups}) is below {threshold:g} is excluded"


def z_prime_exclusions(
    frame: pd.DataFrame,
    z_by_plate: Mapping[str, float],
    threshold: float | None,
    groups: str,
) -> list[Exclusion]:
    """The opt-in Z' rule of plate assays: every well of a plate whose Z' is below ``threshold``.

    ``z_by_plate`` maps each plate (as in ``frame[plate]``) to its Z' (NaN: not
    computable, never excluded); ``groups`` names the controls it compares
    (e.g. ``"total vs NSB"``). The wells are marked in place (``excluded_by =
    "qc"``), and each plate excluded is one exclusion with the rule in words.
    ``threshold=None`` (the default of every assay): no plate is excluded.
    """
    if threshold is None:
        return []
    rule = z_prime_rule_words(threshold, groups)
    plates = frame[C.PLATE].astype(str)
    out = []
    for plate, zp in z_by_plate.items():
        zp = float(zp)
        if np.isfinite(zp) and zp < threshold:
            why = f"plate Z' {zp:.2f} < {threshold:g}"
            mark_rows(frame, (plates == str(plate)).to_numpy(), why, "qc")
            out.append(Exclusion(reason=why, by="qc", rule=rule, plate=str(plate)))
    return out


def exclusion_table(
    exclusions: Iterable[Exclusion], frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The ``exclusions`` table: one row per exclusion (:data:`EXCLUSION_COLUMNS`);
    ``n_rows`` counts the rows of ``frame`` it names."""
    rows = []
    for ex in exclusions:
        n = int(ex.matches(frame).sum()) if frame is not None else 0
        rows.append(ex.record(n))
    out = pd.DataFrame(rows, columns=list(EXCLUSION_COLUMNS))
    out["n_rows"] = out["n_rows"].astype(int)
    return out


def with_excluded_curves(
    curves: pd.DataFrame, comp: pd.DataFrame, kept: pd.DataFrame, keys: Sequence[str]
) -> pd.DataFrame:
    """Curves with ``excluded`` columns, and a row (status ``excluded``) for each curve whose
    wells are all excluded (an excluded experiment), after the fitted curves."""
    out = curves.copy()
    out[C.EXCLUDED] = False
    out[C.EXCLUDE_REASON] = ""
    out[C.EXCLUDED_BY] = ""
    fitted = {tuple(k) for k in kept[list(keys)].drop_duplicates().itertuples(index=False)}
    rows = []
    for key, sub in comp.groupby(list(keys), sort=False):
        if tuple(key) in fitted:
            continue
        reasons = list(dict.fromkeys(sub[C.EXCLUDE_REASON].astype(str)))
        bys = list(dict.fromkeys(sub[C.EXCLUDED_BY].astype(str)))
        rec: dict[str, Any] = dict(zip(keys, key, strict=True))
        rec.update(
            model="",
            n_points=0,
            status="excluded",
            reason="every well excluded: " + "; ".join(reasons),
            flags="",
            flag_reasons="",
            plates=";".join(dict.fromkeys(sub[C.PLATE].astype(str))),
            excluded=True,
            exclude_reason="; ".join(reasons),
            excluded_by=";".join(bys),
        )
        rows.append(rec)
    if not rows:
        return out
    extra = pd.DataFrame(rows)
    for c in out.columns:
        if c not in extra.columns:
            extra[c] = np.nan
    if out.empty:
        return extra[[c for c in out.columns]].reset_index(drop=True)
    return pd.concat([out, extra[list(out.columns)]], ignore_index=True)
