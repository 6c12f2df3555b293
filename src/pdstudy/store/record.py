"""Recording: each assay section's result of a run goes into the store, in one transaction.

Generic over the assay contract (:class:`pdstudy.assays.contract.AssayResult`):
one result row per row of the result's main table, whatever its kind.
"""

from __future__ import annotations

import getpass
import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from pdstudy._version import versions
from pdstudy.io.jsonsafe import json_safe
from pdstudy.store.audit import append_entry, canonical_json, content_hash, lock_head, sha256_text
from pdstudy.store.engine import Store
from pdstudy.store.models import Analysis, Experiment, RawFile, Result, Study

__all__ = [
    "Recorded",
    "RecordSummary",
    "current_user",
    "declared_exclusions",
    "now_utc",
    "record_results",
]

#: main-table columns copied into indexed columns of ``results``
INDEXED = ("compound", "target", "experiment", "status")


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name (containers)
        return "unknown"


@dataclass(frozen=True)
class Recorded:
    """One section as recorded: its experiment and analysis ids, and whether it was new."""

    section: str
    kind: str
    experiment_id: int
    analysis_id: int
    new: bool
    superseded: int | None = None
    n_results: int = 0


@dataclass(frozen=True)
class RecordSummary:
    """What :func:`record_results` did."""

    url: str
    study_id: int
    sections: tuple[Recorded, ...] = field(default=())

    @property
    def new(self) -> int:
        return sum(r.new for r in self.sections)

    def describe(self) -> str:
        n = len(self.sections)
        old = n - self.new
        text = f"{self.new} new analysis(es) recorded"
        if old:
            text += f", {old} already in the store (same raw files and parameters)"
        return text


def _versions() -> dict[str, str]:
    out = {k: v for k, v in versions().items() if k != "platform"}
    for dep in ("sqlalchemy", "alembic"):
        try:
            out[dep] = version(dep)
        except PackageNotFoundError:  # pragma: no cover
            out[dep] = "not installed"
    return out


def inputs_sha256(result: Any) -> str:
    """The identity of an experiment's raw files: the SHA-256 of their sorted SHA-256s."""
    shas = sorted(f.sha256 for f in getattr(result, "inputs", ()))
    return sha256_text("\n".join(shas))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):  # pragma: no cover
        pass
    s = str(value)
    return s[:200]


def record_results(
    store: Store,
    study: str,
    items: Iterable[tuple[str, str, Any, Mapping[str, Any] | None]],
    *,
    compound: str = "",
    command: str = "",
    out_dir: str | Path = "",
    user: str | None = None,
) -> RecordSummary:
    """Record the results of one run, all of it or none of it (one transaction).

    Parameters
    ----------
    store
        An open store.
    study
        The study's name (a study is found by name, or created).
    items
        ``(section key, section name, result, parameters)`` per section; the
        result follows the assay contract; ``parameters`` (default: the
        result's own) are what the analysis identity hashes. ``None`` results
        (failed sections) are not recorded.
    compound, command, out_dir, user
        Recorded with the study and the analyses.

    Returns
    -------
    RecordSummary
        Per section: the experiment, the analysis, whether it was new (the
        same raw files and parameters with the same pdstudy version add
        nothing) and which analysis it supersedes.
    """
    who = user or current_user()
    host = platform.node()
    at = now_utc()
    vers = canonical_json(_versions())
    with store.session() as session:
        head = lock_head(session)
        st = session.execute(select(Study).where(Study.name == study)).scalar_one_or_none()
        if st is None:
            st = Study(name=study, compound=compound, created_at=at)
            session.add(st)
            session.flush()
            append_entry(
                session,
                head,
                action="study",
                user=who,
                created_at=at,
                detail={"study_id": st.id, "name": study, "compound": compound},
            )
        done: list[Recorded] = []
        for key, name, result, params in items:
            if result is None:
                continue
            done.append(
                _record_one(
                    session,
                    head,
                    st,
                    key,
                    name,
                    result,
                    params,
                    who=who,
                    host=host,
                    at=at,
                    versions_json=vers,
                    command=command,
                    out_dir=str(out_dir),
                )
            )
        study_id = st.id
    return RecordSummary(url=store.url, study_id=study_id, sections=tuple(done))


def _record_one(
    session: Session,
    head: Any,
    st: Study,
    key: str,
    name: str,
    result: Any,
    params: Mapping[str, Any] | None,
    *,
    who: str,
    host: str,
    at: str,
    versions_json: str,
    command: str,
    out_dir: str,
) -> Recorded:
    kind = str(result.kind)
    ident = inputs_sha256(result)
    exp = session.execute(
        select(Experiment).where(
            Experiment.kind == kind, Experiment.section == key, Experiment.inputs_sha256 == ident
        )
    ).scalar_one_or_none()
    if exp is None:
        exp = Experiment(
            study_id=st.id,
            kind=kind,
            section=key,
            section_name=name,
            inputs_sha256=ident,
            created_at=at,
        )
        session.add(exp)
        session.flush()
        files = []
        for f in result.inputs:
            session.add(
                RawFile(
                    experiment_id=exp.id,
                    key=f.key,
                    name=Path(f.path).name,
                    path=f.path,
                    sha256=f.sha256,
                    size_bytes=int(f.size_bytes),
                )
            )
            files.append(
                {
                    "key": f.key,
                    "name": Path(f.path).name,
                    "sha256": f.sha256,
                    "size_bytes": f.size_bytes,
                }
            )
        append_entry(
            session,
            head,
            action="experiment",
            user=who,
            created_at=at,
            experiment_id=exp.id,
            detail={
                "study_id": st.id,
                "kind": kind,
                "section": key,
                "name": name,
                "inputs_sha256": ident,
                "files": files,
            },
        )
    parameters = json_safe(dict(params) if params is not None else dict(result.parameters))
    params_json = canonical_json(parameters)
    params_sha = sha256_text(params_json)
    pd_version = str(getattr(result, "version", ""))
    analysis_sha = sha256_text(canonical_json([kind, key, ident, params_sha, pd_version]))
    existing = session.execute(
        select(Analysis).where(Analysis.analysis_sha256 == analysis_sha)
    ).scalar_one_or_none()
    if existing is not None:
        return Recorded(key, kind, exp.id, existing.id, new=False)
    later = aliased(Analysis)
    previous = (
        session.execute(
            select(Analysis.id)
            .where(Analysis.experiment_id == exp.id)
            .where(~exists().where(later.supersedes_id == Analysis.id))
            .order_by(Analysis.id.desc())
        )
        .scalars()
        .first()
    )
    table_name, frame = next(iter(result.tables.items()))
    values: list[str] = []
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        safe = json_safe(rec)
        values.append(json.dumps(safe, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
        rows.append(safe)
    content = content_hash(values)
    analysis = Analysis(
        experiment_id=exp.id,
        study_id=st.id,
        analysis_sha256=analysis_sha,
        parameters_sha256=params_sha,
        parameters_json=params_json,
        pdstudy_version=pd_version,
        versions_json=versions_json,
        main_table=str(table_name),
        summary=str(result.summary()),
        content_sha256=content,
        supersedes_id=previous,
        created_at=at,
        user=who,
        host=host,
        command=command,
        out_dir=out_dir,
    )
    session.add(analysis)
    session.flush()
    session.add_all(
        [
            Result(
                analysis_id=analysis.id,
                row_index=i,
                values_json=v,
                **{c: _text(row.get(c)) for c in INDEXED},
            )
            for i, (v, row) in enumerate(zip(values, rows, strict=True))
        ]
    )
    session.flush()
    append_entry(
        session,
        head,
        action="analysis",
        user=who,
        created_at=at,
        experiment_id=exp.id,
        analysis_id=analysis.id,
        detail={
            "study_id": st.id,
            "section": key,
            "analysis_sha256": analysis_sha,
            "parameters_sha256": params_sha,
            "pdstudy_version": pd_version,
            "content_sha256": content,
            "n_results": len(values),
            "supersedes": previous,
            "command": command,
        },
    )
    for decision in declared_exclusions(result):
        append_entry(
            session,
            head,
            action="declared_exclusion",
            user=who,
            created_at=at,
            experiment_id=exp.id,
            analysis_id=analysis.id,
            detail={"study_id": st.id, "section": key, **decision},
        )
    return Recorded(
        key, kind, exp.id, analysis.id, new=True, superseded=previous, n_results=len(values)
    )


def declared_exclusions(result: Any) -> list[dict[str, Any]]:
    """The exclusions declared for an analysis (study file or ``--exclude``), each as the audit
    log records it: what it names, its reason and how many rows it left out."""
    tables = getattr(result, "tables", {})
    frame = tables.get("exclusions") if hasattr(tables, "get") else None
    if frame is None or frame.empty or "by" not in frame.columns:
        return []
    out = []
    for rec in frame[frame["by"] == "declared"].to_dict("records"):
        named = {
            k: str(rec[k])
            for k in ("experiment", "plate", "well", "animal", "sample")
            if str(rec.get(k, "") or "") not in ("", "nan")
        }
        out.append(
            {
                "target": str(rec["target"]),
                **named,
                "reason": str(rec["reason"]),
                "n_rows": int(rec.get("n_rows", 0) or 0),
            }
        )
    return out


def exclude_experiment(
    store: Store, experiment_id: int, reason: str, *, user: str | None = None
) -> int:
    """Exclude an experiment from aggregation, with a reason the audit log keeps.

    Returns the exclusion's id. The experiment's results stay in the store.
    """
    from pdstudy.errors import UsageError
    from pdstudy.store.models import Exclusion

    why = (reason or "").strip()
    if not why:
        raise UsageError("an exclusion needs a reason", where="--reason")
    who = user or current_user()
    at = now_utc()
    with store.session() as session:
        head = lock_head(session)
        exp = session.get(Experiment, experiment_id)
        if exp is None:
            raise UsageError(f"no experiment {experiment_id} in the store", where="ID")
        already = (
            session.execute(select(Exclusion).where(Exclusion.experiment_id == experiment_id))
            .scalars()
            .first()
        )
        if already is not None:
            raise UsageError(
                f"experiment {experiment_id} is already excluded ({already.reason!r}, "
                f"by {already.user} at {already.created_at})",
                where="ID",
            )
        x = Exclusion(experiment_id=experiment_id, reason=why, user=who, created_at=at)
        session.add(x)
        session.flush()
        append_entry(
            session,
            head,
            action="exclude",
            user=who,
            created_at=at,
            experiment_id=experiment_id,
            detail={"exclusion_id": x.id, "experiment_id": experiment_id, "reason": why},
        )
        return x.id
