"""Reading the store: studies, results, pooled Ki over independent experiments, history."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from pdstudy.assays.binding import aggregate_experiments, pool_ki
from pdstudy.errors import UsageError
from pdstudy.store.audit import verify_chain
from pdstudy.store.engine import Store
from pdstudy.store.models import Analysis, AuditEntry, Exclusion, Experiment, Result, Study
from pdstudy.store.record import inputs_sha256

__all__ = [
    "RESULT_COLUMNS",
    "KiSummary",
    "earlier_ki",
    "history",
    "pooled_ki",
    "results",
    "studies",
    "verify",
]

#: the columns every :func:`results` frame starts with (then the result's own numbers)
RESULT_COLUMNS = (
    "result_id",
    "analysis_id",
    "experiment_id",
    "study",
    "kind",
    "section",
    "compound",
    "target",
    "experiment",
    "status",
    "current",
    "excluded",
    "exclusion_reason",
    "recorded_at",
)


def studies(store: Store) -> pd.DataFrame:
    """One row per study: id, name, compound, experiments, analyses, first and last recording."""
    with store.session() as s:
        n_exp = (
            select(func.count(Experiment.id))
            .where(Experiment.study_id == Study.id)
            .scalar_subquery()
        )
        n_an = (
            select(func.count(Analysis.id)).where(Analysis.study_id == Study.id).scalar_subquery()
        )
        last = (
            select(func.max(Analysis.created_at))
            .where(Analysis.study_id == Study.id)
            .scalar_subquery()
        )
        rows = s.execute(
            select(
                Study.id, Study.name, Study.compound, n_exp, n_an, Study.created_at, last
            ).order_by(Study.id)
        ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "study_id",
            "name",
            "compound",
            "experiments",
            "analyses",
            "created_at",
            "last_recorded",
        ],
    )


def results(
    store: Store,
    *,
    compound: str | None = None,
    target: str | None = None,
    assay: str | None = None,
    study: str | None = None,
    include_superseded: bool = False,
) -> pd.DataFrame:
    """Result rows (one per curve, sample or animal) with their experiment and exclusion.

    Filters are case-insensitive; by default only the current analysis of each
    experiment (the one no later analysis supersedes). Columns:
    :data:`RESULT_COLUMNS`, then the numbers of the result's main table.
    """
    later = aliased(Analysis)
    superseded = exists().where(later.supersedes_id == Analysis.id)
    q = (
        select(
            Result.id,
            Analysis.id,
            Experiment.id,
            Study.name,
            Experiment.kind,
            Experiment.section,
            Result.compound,
            Result.target,
            Result.experiment,
            Result.status,
            ~superseded,
            Exclusion.reason,
            Analysis.created_at,
            Result.values_json,
        )
        .join(Analysis, Result.analysis_id == Analysis.id)
        .join(Experiment, Analysis.experiment_id == Experiment.id)
        .join(Study, Analysis.study_id == Study.id)
        .outerjoin(Exclusion, Exclusion.experiment_id == Experiment.id)
        .order_by(Experiment.id, Analysis.id, Result.row_index)
    )
    conds = []
    if compound:
        conds.append(func.lower(Result.compound) == compound.lower())
    if target:
        conds.append(func.lower(Result.target) == target.lower())
    if assay:
        conds.append(func.lower(Experiment.kind) == assay.lower())
    if study:
        conds.append(func.lower(Study.name) == study.lower())
    if not include_superseded:
        conds.append(~superseded)
    if conds:
        q = q.where(and_(*conds))
    with store.session() as s:
        rows = s.execute(q).all()
    records: list[dict[str, Any]] = []
    for r in rows:
        rec: dict[str, Any] = dict(
            zip(
                RESULT_COLUMNS,
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    bool(r[10]),
                    r[11] is not None,
                    r[11] or "",
                    r[12],
                ),
                strict=True,
            )
        )
        for k, v in json.loads(r[13]).items():
            if k not in rec:
                rec[k] = v
        records.append(rec)
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    return frame


@dataclass(frozen=True)
class KiSummary:
    """Pooled Ki of one compound over independent experiments in the store.

    ``pooled``: per target, :func:`pdstudy.assays.binding.pool_ki` (geometric-mean
    Ki with its 95 % CI, n, mean pKi, SEM) and the pKi CI from
    :func:`~pdstudy.assays.binding.aggregate_experiments`. ``experiments``: every
    curve behind it, included or not, with the exclusion's reason.
    """

    compound: str
    pooled: pd.DataFrame
    experiments: pd.DataFrame


def pooled_ki(
    store: Store,
    compound: str,
    target: str | None = None,
    assay: str = "binding",
    *,
    skip_experiments: Iterable[int] = (),
) -> KiSummary:
    """Mean pKi +/- SEM, n and geometric-mean Ki with 95 % CI over independent experiments.

    Every curve of the current analysis of each non-excluded experiment of
    ``assay`` counts as one independent experiment (as in a study's own
    aggregate). Excluded experiments are listed with their reason, not pooled;
    ``skip_experiments`` (ids) are left out altogether.
    """
    if not compound:
        raise UsageError("name a compound", where="--compound")
    rows = results(store, compound=compound, target=target, assay=assay)
    skip = set(skip_experiments)
    if skip and not rows.empty:
        rows = rows[~rows["experiment_id"].isin(skip)]
    if rows.empty or "pki" not in rows.columns:
        empty = pd.DataFrame(
            columns=[
                "target",
                "n",
                "pki_mean",
                "pki_sem",
                "pki_ci_low",
                "pki_ci_high",
                "ki_M",
                "ki_ci_low_M",
                "ki_ci_high_M",
                "experiments",
            ]
        )
        return KiSummary(compound, empty, rows)
    rows = rows.copy()
    rows["section"] = [
        f"experiment {e} ({st} {sec})"
        for e, st, sec in zip(rows["experiment_id"], rows["study"], rows["section"], strict=True)
    ]
    for c in ("pki", "ki_M", "ki_ci_low_M", "ki_ci_high_M"):
        rows[c] = pd.to_numeric(rows[c], errors="coerce")
    included = rows[~rows["excluded"].astype(bool)]
    pooled = pool_ki(included, compound)
    if not pooled.empty:
        agg = aggregate_experiments(included, by=("target",))
        agg = agg[["target", "pki_ci_low", "pki_ci_high"]]
        pooled = pooled.merge(agg, on="target", how="left")
        pooled = pooled.rename(columns={"sections": "experiments"})
        pooled = pooled[
            [
                "target",
                "n",
                "pki_mean",
                "pki_sem",
                "pki_ci_low",
                "pki_ci_high",
                "ki_M",
                "ki_ci_low_M",
                "ki_ci_high_M",
                "experiments",
            ]
        ]
    keep = [
        c
        for c in (
            "experiment_id",
            "study",
            "section",
            "target",
            "experiment",
            "status",
            "pki",
            "ki_M",
            "excluded",
            "exclusion_reason",
            "result_id",
            "analysis_id",
        )
        if c in rows.columns
    ]
    return KiSummary(compound, pooled.reset_index(drop=True), rows[keep].reset_index(drop=True))


def earlier_ki(store: Store, compound: str, run_results: Iterable[Any]) -> KiSummary:
    """:func:`pooled_ki` of ``compound`` over the experiments in the store other than
    those of ``run_results`` (this run's results: the same kind, section and raw files)."""
    ids = []
    with store.session() as s:
        for r in run_results:
            if r is None:
                continue
            ids += list(
                s.execute(
                    select(Experiment.id).where(
                        Experiment.kind == str(r.kind),
                        Experiment.inputs_sha256 == inputs_sha256(r),
                    )
                ).scalars()
            )
    return pooled_ki(store, compound, skip_experiments=ids)


def history(store: Store, result_id: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """The audit trail of one result: its experiment's rows of the audit log, oldest first.

    Returns the result (ids, study, section, numbers) and the audit rows
    (``id, created_at, user, action, analysis_id, detail``): the experiment's
    recording, every analysis of it (the result's own and those that
    superseded it or that it superseded) and any exclusion.
    """
    with store.session() as s:
        r = s.get(Result, result_id)
        if r is None:
            raise UsageError(f"no result {result_id} in the store", where="RESULT_ID")
        a = s.get(Analysis, r.analysis_id)
        assert a is not None
        exp = s.get(Experiment, a.experiment_id)
        assert exp is not None
        st = s.get(Study, a.study_id)
        entries = (
            s.execute(
                select(AuditEntry).where(AuditEntry.experiment_id == exp.id).order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        later = (
            s.execute(select(Analysis.id).where(Analysis.supersedes_id == a.id)).scalars().first()
        )
        info: dict[str, Any] = {
            "result_id": r.id,
            "analysis_id": a.id,
            "experiment_id": exp.id,
            "study": st.name if st else "",
            "kind": exp.kind,
            "section": exp.section,
            "compound": r.compound,
            "target": r.target,
            "experiment": r.experiment,
            "status": r.status,
            "superseded_by": later,
            "parameters_sha256": a.parameters_sha256,
            "pdstudy_version": a.pdstudy_version,
            "values": json.loads(r.values_json),
        }
        frame = pd.DataFrame(
            [
                {
                    "audit_id": e.id,
                    "created_at": e.created_at,
                    "user": e.user,
                    "action": e.action,
                    "analysis_id": e.analysis_id,
                    "detail": e.detail_json,
                }
                for e in entries
            ],
            columns=["audit_id", "created_at", "user", "action", "analysis_id", "detail"],
        )
    return info, frame


def verify(store: Store) -> tuple[int, list[Any]]:
    """Recompute the audit chain and every hash it vouches for (see
    :func:`pdstudy.store.audit.verify_chain`); returns (audit rows, problems)."""
    with store.session() as s:
        return verify_chain(s)
