"""The tables of the results store (SQLAlchemy 2 declarative models).

One experiment is one assay section run on one set of raw files; its identity
is the kind, the section and the SHA-256 of its raw files. An analysis is one
analysis of an experiment (parameters, versions, time, user); a re-analysis
with other parameters or another pdstudy version is a new analysis that
supersedes the previous one. Results are the rows of the analysis' main table
(one per curve, sample or animal), with the numbers as JSON and the columns
one asks by (compound, target, experiment label, status) indexed.

Results, raw files, exclusions and the audit log are written once and never
changed: the ORM refuses to update or delete them (:class:`StoreError`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pdstudy.errors import StoreError

__all__ = [
    "GENESIS_HASH",
    "Analysis",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Exclusion",
    "Experiment",
    "RawFile",
    "Result",
    "StoreError",
    "Study",
]

#: the ``prev_hash`` of the first audit-log row
GENESIS_HASH = "0" * 64


class Base(DeclarativeBase):
    pass


class Study(Base):
    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(400), unique=True)
    compound: Mapped[str] = mapped_column(String(200), default="", index=True)
    created_at: Mapped[str] = mapped_column(String(40))


class Experiment(Base):
    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("kind", "section", "inputs_sha256", name="uq_experiment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    section: Mapped[str] = mapped_column(String(200))
    section_name: Mapped[str] = mapped_column(String(400), default="")
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))


class RawFile(Base):
    __tablename__ = "raw_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)


class Analysis(Base):
    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    analysis_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    parameters_sha256: Mapped[str] = mapped_column(String(64))
    parameters_json: Mapped[str] = mapped_column(Text)
    pdstudy_version: Mapped[str] = mapped_column(String(80))
    versions_json: Mapped[str] = mapped_column(Text)
    main_table: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id"), nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    user: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200), default="")
    command: Mapped[str] = mapped_column(Text, default="")
    out_dir: Mapped[str] = mapped_column(Text, default="")


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (Index("ix_results_compound_target", "compound", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    row_index: Mapped[int] = mapped_column(Integer)
    compound: Mapped[str | None] = mapped_column(String(200), nullable=True)
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    experiment: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str | None] = mapped_column(String(80), nullable=True)
    values_json: Mapped[str] = mapped_column(Text)


class Exclusion(Base):
    __tablename__ = "exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))


class AuditEntry(Base):
    """One row of the hash-chained audit log (ids are assigned in order, under a lock)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[str] = mapped_column(String(40))
    user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    experiment_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    analysis_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    detail_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last audit entry's id and hash (the lock writers take, and a check on the tail)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


#: rows written once and never changed
IMMUTABLE: tuple[type[Base], ...] = (RawFile, Analysis, Result, Exclusion, AuditEntry)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, IMMUTABLE) and (obj in session.deleted or session.is_modified(obj)):
            what = "delete" if obj in session.deleted else "change"
            raise StoreError(
                f"the store's {obj.__tablename__} rows are never changed or deleted "
                f"(refused to {what} row {getattr(obj, 'id', '?')}); a re-analysis is a new analysis"
            )


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: Any) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        cls = state.bind_mapper.class_
        if issubclass(cls, IMMUTABLE):
            raise StoreError(
                f"the store's {cls.__tablename__} rows are never changed or deleted "
                "(refused an UPDATE/DELETE statement)"
            )
