"""The append-only, hash-chained audit log.

Each row's ``row_hash`` is the SHA-256 of its own fields and the previous
row's hash (:func:`entry_hash`); the ``audit_head`` row holds the last id and
hash. Every write transaction first locks the head (:func:`lock_head`), so
ids are consecutive and the chain never forks, whatever the number of
processes writing. :func:`verify_chain` recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pdstudy.store.models import (
    GENESIS_HASH,
    Analysis,
    AuditEntry,
    AuditHead,
    Exclusion,
    RawFile,
    Result,
)

__all__ = [
    "Problem",
    "append_entry",
    "canonical_json",
    "content_hash",
    "entry_hash",
    "lock_head",
    "sha256_text",
    "verify_chain",
]


def canonical_json(value: Any) -> str:
    """The one JSON text of a JSON-safe value that hashes are taken of (sorted keys, no spaces)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(values: list[str]) -> str:
    """The SHA-256 of an analysis' result rows (their stored JSON, in row order)."""
    return sha256_text("\n".join(values))


def entry_hash(
    *,
    id: int,
    created_at: str,
    user: str,
    action: str,
    experiment_id: int | None,
    analysis_id: int | None,
    detail_json: str,
    prev_hash: str,
) -> str:
    """The hash of one audit row (every field but ``row_hash``, chained to ``prev_hash``)."""
    return sha256_text(
        canonical_json(
            {
                "id": id,
                "created_at": created_at,
                "user": user,
                "action": action,
                "experiment_id": experiment_id,
                "analysis_id": analysis_id,
                "detail": detail_json,
                "prev_hash": prev_hash,
            }
        )
    )


def lock_head(session: Session) -> AuditHead:
    """Take the store's write lock (the audit head row) for this transaction."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    return head


def append_entry(
    session: Session,
    head: AuditHead,
    *,
    action: str,
    user: str,
    created_at: str,
    detail: dict[str, Any],
    experiment_id: int | None = None,
    analysis_id: int | None = None,
) -> AuditEntry:
    """Append one row to the audit log (``head`` from :func:`lock_head` in this transaction)."""
    detail_json = canonical_json(detail)
    new_id = head.last_id + 1
    row_hash = entry_hash(
        id=new_id,
        created_at=created_at,
        user=user,
        action=action,
        experiment_id=experiment_id,
        analysis_id=analysis_id,
        detail_json=detail_json,
        prev_hash=head.last_hash,
    )
    entry = AuditEntry(
        id=new_id,
        created_at=created_at,
        user=user,
        action=action,
        experiment_id=experiment_id,
        analysis_id=analysis_id,
        detail_json=detail_json,
        prev_hash=head.last_hash,
        row_hash=row_hash,
    )
    session.add(entry)
    head.last_id = new_id
    head.last_hash = row_hash
    session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    """One thing :func:`verify_chain` found wrong: the table, the row id, what."""

    table: str
    row_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.table} row {self.row_id}" if self.row_id is not None else self.table
        return f"{where}: {self.message}"


def verify_chain(session: Session) -> tuple[int, list[Problem]]:
    """Recompute the audit chain and the hashes it vouches for.

    Checks, in order: every audit row's hash and its link to the previous row
    (ids consecutive from 1), the head against the last row, each analysis'
    result rows against the content hash its audit row recorded, each raw
    file against its experiment's audit row, and each exclusion's reason
    against its audit row. Returns the number of audit rows
    and the problems (the first audit-log problem is the first row that does
    not match).
    """
    problems: list[Problem] = []
    prev = GENESIS_HASH
    expected_id = 1
    n = 0
    analysis_audit: dict[int, dict[str, Any]] = {}
    exclusion_audit: dict[int, dict[str, Any]] = {}
    experiment_audit: dict[int, dict[str, Any]] = {}
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        n += 1
        if e.id != expected_id:
            problems.append(
                Problem("audit_log", e.id, f"expected row {expected_id} (a row is missing)")
            )
        expected_id = e.id + 1
        if e.prev_hash != prev:
            problems.append(Problem("audit_log", e.id, "prev_hash does not match the previous row"))
        recomputed = entry_hash(
            id=e.id,
            created_at=e.created_at,
            user=e.user,
            action=e.action,
            experiment_id=e.experiment_id,
            analysis_id=e.analysis_id,
            detail_json=e.detail_json,
            prev_hash=e.prev_hash,
        )
        if recomputed != e.row_hash:
            problems.append(Problem("audit_log", e.id, "the row's content does not match its hash"))
        prev = e.row_hash
        try:
            detail = json.loads(e.detail_json)
        except ValueError:
            detail = {}
        if e.action == "experiment" and e.experiment_id is not None:
            experiment_audit[e.experiment_id] = detail
        if e.action == "analysis" and e.analysis_id is not None:
            analysis_audit[e.analysis_id] = detail
        if e.action == "exclude" and isinstance(detail.get("exclusion_id"), int):
            exclusion_audit[detail["exclusion_id"]] = detail
    head = session.get(AuditHead, 1)
    if head is None:
        problems.append(Problem("audit_head", None, "missing"))
    elif head.last_id != expected_id - 1 or head.last_hash != prev:
        problems.append(
            Problem(
                "audit_head",
                1,
                f"says the log ends at row {head.last_id}, the log ends at row {expected_id - 1} "
                "(rows removed or added behind the store's back)",
            )
        )
    for a in session.execute(select(Analysis).order_by(Analysis.id)).scalars():
        values = session.execute(
            select(Result.values_json).where(Result.analysis_id == a.id).order_by(Result.row_index)
        ).scalars()
        actual = content_hash(list(values))
        recorded = analysis_audit.get(a.id)
        if recorded is None:
            problems.append(Problem("analyses", a.id, "no audit-log row records this analysis"))
            continue
        if actual != recorded.get("content_sha256"):
            problems.append(
                Problem(
                    "analyses",
                    a.id,
                    "its result rows do not match the content hash of its audit row",
                )
            )
        for name in ("analysis_sha256", "parameters_sha256", "pdstudy_version"):
            if getattr(a, name) != recorded.get(name):
                problems.append(Problem("analyses", a.id, f"{name} does not match its audit row"))
    files: dict[int, list[RawFile]] = {}
    for f in session.execute(select(RawFile).order_by(RawFile.id)).scalars():
        files.setdefault(f.experiment_id, []).append(f)
    for exp_id, rows in files.items():
        recorded_files = experiment_audit.get(exp_id, {}).get("files", [])
        for i, f in enumerate(rows):
            rec = recorded_files[i] if i < len(recorded_files) else {}
            if (rec.get("key"), rec.get("sha256"), rec.get("size_bytes")) != (
                f.key,
                f.sha256,
                f.size_bytes,
            ):
                problems.append(
                    Problem("raw_files", f.id, "does not match its experiment's audit row")
                )
    for x in session.execute(select(Exclusion).order_by(Exclusion.id)).scalars():
        rec = exclusion_audit.get(x.id)
        if rec is None:
            problems.append(Problem("exclusions", x.id, "no audit-log row records this exclusion"))
        elif rec.get("reason") != x.reason or rec.get("experiment_id") != x.experiment_id:
            problems.append(Problem("exclusions", x.id, "does not match its audit row"))
    return n, problems
