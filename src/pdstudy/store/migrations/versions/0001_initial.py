"""The first schema of the results store.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(400), nullable=False, unique=True),
        sa.Column("compound", sa.String(200), nullable=False, index=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("section", sa.String(200), nullable=False),
        sa.Column("section_name", sa.String(400), nullable=False),
        sa.Column("inputs_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("kind", "section", "inputs_sha256", name="uq_experiment"),
    )
    op.create_table(
        "raw_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size_bytes", sa.Integer, nullable=False),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False, index=True),
        sa.Column("analysis_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("parameters_sha256", sa.String(64), nullable=False),
        sa.Column("parameters_json", sa.Text, nullable=False),
        sa.Column("pdstudy_version", sa.String(80), nullable=False),
        sa.Column("versions_json", sa.Text, nullable=False),
        sa.Column("main_table", sa.String(80), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("analyses.id"), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("out_dir", sa.Text, nullable=False),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "analysis_id", sa.Integer, sa.ForeignKey("analyses.id"), nullable=False, index=True
        ),
        sa.Column("row_index", sa.Integer, nullable=False),
        sa.Column("compound", sa.String(200), nullable=True),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("experiment", sa.String(200), nullable=True),
        sa.Column("status", sa.String(80), nullable=True),
        sa.Column("values_json", sa.Text, nullable=False),
    )
    op.create_index("ix_results_compound_target", "results", ["compound", "target"])
    op.create_table(
        "exclusions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=True, index=True),
        sa.Column("analysis_id", sa.Integer, nullable=True, index=True),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "last_id": 0, "last_hash": GENESIS_HASH}])


def downgrade() -> None:
    for name in (
        "audit_head",
        "audit_log",
        "exclusions",
        "results",
        "analyses",
        "raw_files",
        "experiments",
        "studies",
    ):
        op.drop_table(name)
