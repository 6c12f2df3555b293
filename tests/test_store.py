"""The results store (pdstudy.store, ``pdstudy db``): recording, aggregation, audit, migrations.

Every store test runs against SQLite and against PostgreSQL. The PostgreSQL
server is the one named by ``PDSTUDY_TEST_PG_URL`` (``.ci/run`` starts one on
loopback); without it those tests skip, unless ``PDSTUDY_REQUIRE_PG=1`` (CI),
where a missing server is a failure.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from pdstudy.assays.contract import ResultBase
from pdstudy.cli import app
from pdstudy.store import (
    StoreError,
    exclude_experiment,
    head_revision,
    history,
    open_store,
    pooled_ki,
    record_results,
    results,
    studies,
    upgrade,
    verify,
)
from pdstudy.store.models import Analysis, AuditEntry, Base, Result

RUNNER = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})
SRC = Path(__file__).resolve().parents[1] / "src"


# ---------------------------------------------------------------- the two databases


def _pg_admin_url() -> str | None:
    url = os.environ.get("PDSTUDY_TEST_PG_URL")
    if not url:
        if os.environ.get("PDSTUDY_REQUIRE_PG") == "1":
            pytest.fail("PDSTUDY_REQUIRE_PG=1 but PDSTUDY_TEST_PG_URL is not set (CI starts it)")
        pytest.skip(
            "no PostgreSQL server: set PDSTUDY_TEST_PG_URL (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres; .ci/run starts one)"
        )
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file under tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    admin = _pg_admin_url()
    assert admin is not None
    name = f"pdstudy_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # copied from template0, which takes no connections: CREATE DATABASE from
            # template1 fails while any other session is connected to it ("source database
            # template1 is being accessed by other users"), and make test runs in parallel
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    except Exception as exc:  # noqa: BLE001 - the reason goes into the failure
        engine.dispose()
        pytest.fail(f"cannot create a database on {admin}: {exc}")
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


# ---------------------------------------------------------------- results with known numbers


@dataclass(frozen=True, eq=False)
class KnownBinding(ResultBase):
    """A binding result with chosen pKi values (the contract, nothing fitted)."""

    kind: ClassVar[str] = "binding"
    curves: pd.DataFrame
    options: dict[str, Any]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"curves": self.curves}

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.options)

    def summary(self) -> str:
        return f"{len(self.curves)} curve(s)"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind}


def known(tmp_path: Path, label: str, pkis: list[float], target: str = "NET", **options: Any):
    """One experiment: a raw file of its own (its identity) and one curve per pKi."""
    raw = tmp_path / f"{label}.txt"
    raw.write_text(f"raw counts of {label}\n", encoding="utf-8")
    rows = [
        {
            "experiment": f"{label}-{i}",
            "compound": "norclomipramine",
            "target": target,
            "ki_M": 10.0**-p,
            "ki_ci_low_M": 10.0 ** -(p + 0.1),
            "ki_ci_high_M": 10.0 ** -(p - 0.1),
            "pki": p,
            "pki_ci_low": p - 0.1,
            "pki_ci_high": p + 0.1,
            "status": "converged",
            "flags": "",
        }
        for i, p in enumerate(pkis)
    ]
    res = KnownBinding(curves=pd.DataFrame(rows), options={"radioligand_M": 1e-9, **options})
    return res.with_inputs([("plates[1]", raw)])


def record(url: str, study: str, section: str, result: Any):
    with open_store(url) as s:
        return record_results(s, study, [(section, "NET competition", result, None)])


# ---------------------------------------------------------------- aggregation


def test_ki_matches_a_hand_computation_and_an_exclusion_drops_out(
    db_url: str, tmp_path: Path
) -> None:
    ids = [
        record(db_url, "week 1", "binding[1]", known(tmp_path, "a", [8.0])),
        record(db_url, "week 3", "binding[1]", known(tmp_path, "b", [8.3])),
        record(db_url, "week 6", "binding[1]", known(tmp_path, "c", [8.9])),
    ]
    # SERT results of the compound do not enter the NET pool
    record(db_url, "week 6", "binding[2]", known(tmp_path, "d", [6.0], target="SERT"))
    exp_c = ids[2].sections[0].experiment_id
    with open_store(db_url) as s:
        ki = pooled_ki(s, "Norclomipramine", "NET")
    row = ki.pooled.iloc[0]
    # by hand: mean 8.4, SD sqrt((0.16 + 0.01 + 0.25) / 2), SEM SD/sqrt(3); t(0.975, 2) = 4.302653
    # (R: qt(0.975, 2))
    sd = math.sqrt(0.21)
    sem = sd / math.sqrt(3)
    t2 = 4.302652729911275
    assert row["n"] == 3
    assert row["pki_mean"] == pytest.approx(8.4, abs=1e-12)
    assert row["pki_sem"] == pytest.approx(sem, rel=1e-12)
    assert row["pki_ci_low"] == pytest.approx(8.4 - t2 * sem, rel=1e-9)
    assert row["pki_ci_high"] == pytest.approx(8.4 + t2 * sem, rel=1e-9)
    assert row["ki_M"] == pytest.approx(10**-8.4, rel=1e-9)
    assert row["ki_ci_low_M"] == pytest.approx(10 ** -(8.4 + t2 * sem), rel=1e-9)
    assert row["ki_ci_high_M"] == pytest.approx(10 ** -(8.4 - t2 * sem), rel=1e-9)
    assert list(ki.pooled["target"]) == ["NET"]

    with open_store(db_url) as s:
        exclude_experiment(s, exp_c, "radioligand lot out of date")
        after = pooled_ki(s, "norclomipramine", "NET")
    row = after.pooled.iloc[0]
    # by hand: 8.0 and 8.3: mean 8.15, SD 0.3/sqrt(2), SEM 0.15; t(0.975, 1) = 12.7062
    assert row["n"] == 2
    assert row["pki_mean"] == pytest.approx(8.15, abs=1e-12)
    assert row["pki_sem"] == pytest.approx(0.15, rel=1e-9)
    assert row["ki_ci_low_M"] == pytest.approx(10 ** -(8.15 + 12.706204736174707 * 0.15), rel=1e-9)
    shown = after.experiments.set_index("experiment_id")
    assert bool(shown.loc[exp_c, "excluded"]) is True
    assert shown.loc[exp_c, "exclusion_reason"] == "radioligand lot out of date"

    res = RUNNER.invoke(
        app, ["db", "ki", "--compound", "norclomipramine", "--target", "NET", "--db", db_url]
    )
    assert res.exit_code == 0, res.output
    assert "n = 2" in res.output and "8.15" in res.output
    assert "radioligand lot out of date" in res.output


def test_exclusion_needs_a_reason_and_an_existing_experiment(db_url: str, tmp_path: Path) -> None:
    rec = record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.0]))
    exp = rec.sections[0].experiment_id
    res = RUNNER.invoke(app, ["db", "exclude", str(exp), "--reason", "  ", "--db", db_url])
    assert res.exit_code == 2 and "reason" in res.output
    res = RUNNER.invoke(app, ["db", "exclude", "999", "--reason", "x", "--db", db_url])
    assert res.exit_code == 2 and "no experiment 999" in res.output
    res = RUNNER.invoke(app, ["db", "exclude", str(exp), "--reason", "bad plate", "--db", db_url])
    assert res.exit_code == 0, res.output
    res = RUNNER.invoke(app, ["db", "exclude", str(exp), "--reason", "again", "--db", db_url])
    assert res.exit_code == 2 and "already excluded" in res.output and "bad plate" in res.output
    res = RUNNER.invoke(app, ["db", "history", "1", "--db", db_url])
    assert res.exit_code == 0, res.output
    assert "exclude" in res.output and "bad plate" in res.output


# ---------------------------------------------------------------- identity, supersession


def test_same_inputs_and_parameters_add_nothing_a_new_parameter_supersedes(
    db_url: str, tmp_path: Path
) -> None:
    first = record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.0, 8.2]))
    again = record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.0, 8.2]))
    assert first.new == 1 and again.new == 0
    assert again.sections[0].analysis_id == first.sections[0].analysis_id
    changed = record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.1, 8.3], rout_q=0.05))
    assert changed.new == 1
    assert changed.sections[0].experiment_id == first.sections[0].experiment_id
    assert changed.sections[0].superseded == first.sections[0].analysis_id
    with open_store(db_url) as s:
        current = results(s, compound="norclomipramine")
        every = results(s, compound="norclomipramine", include_superseded=True)
        ki = pooled_ki(s, "norclomipramine")
        info, trail = history(s, int(every["result_id"].iloc[0]))
    assert sorted(current["pki"]) == [8.1, 8.3]
    assert len(every) == 4 and sorted(every["current"]) == [False, False, True, True]
    assert ki.pooled.iloc[0]["pki_mean"] == pytest.approx(8.2)
    assert info["superseded_by"] == changed.sections[0].analysis_id
    assert list(trail["action"]) == ["experiment", "analysis", "analysis"]


def test_a_new_kind_is_recorded_with_nothing_of_its_own(db_url: str, tmp_path: Path) -> None:
    @dataclass(frozen=True, eq=False)
    class Immobility(ResultBase):
        kind: ClassVar[str] = "fst"
        animals: pd.DataFrame

        @property
        def tables(self) -> dict[str, pd.DataFrame]:
            return {"animals": self.animals, "settings": pd.DataFrame({"k": [1]})}

        @property
        def parameters(self) -> dict[str, Any]:
            return {"window_s": [120.0, 360.0]}

        def summary(self) -> str:
            return "3 animals"

        def to_json(self) -> dict[str, Any]:
            return {}

    video = tmp_path / "fst.csv"
    video.write_text("t,event\n", encoding="utf-8")
    res = Immobility(
        animals=pd.DataFrame(
            {
                "animal": ["r1", "r2", "r3"],
                "group": ["veh", "drug", "drug"],
                "immobility_s": [150.0, 90.5, float("nan")],
            }
        )
    ).with_inputs([("events", video)])
    with open_store(db_url) as s:
        record_results(s, "behaviour", [("fst[1]", "FST", res, None)])
        got = results(s, assay="fst")
    assert list(got["animal"]) == ["r1", "r2", "r3"]
    assert list(got["immobility_s"][:2]) == [150.0, 90.5] and got["immobility_s"].isna().iloc[2]
    assert set(got["section"]) == {"fst[1]"}


# ---------------------------------------------------------------- audit log


def test_audit_rows_cannot_be_changed_through_the_api(db_url: str, tmp_path: Path) -> None:
    record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.0]))
    with open_store(db_url) as s:
        with pytest.raises(StoreError, match="never changed"), s.session() as session:
            entry = session.get(AuditEntry, 1)
            assert entry is not None
            entry.detail_json = "{}"
        with pytest.raises(StoreError, match="never changed"), s.session() as session:
            session.delete(session.execute(select(Result)).scalars().first())
        with pytest.raises(StoreError, match="never changed"), s.session() as session:
            session.execute(update(AuditEntry).values(user="someone else"))
        with pytest.raises(StoreError, match="never changed"), s.session() as session:
            session.execute(delete(Analysis))
        n, problems = verify(s)
    assert n == 3 and problems == []


@pytest.mark.parametrize(
    ("sql", "first"),
    [
        (
            "UPDATE audit_log SET detail_json = REPLACE(detail_json, 'plates', 'plate') WHERE id = 2",
            "audit_log row 2",
        ),
        ("UPDATE audit_log SET \"user\" = 'mallory' WHERE id = 3", "audit_log row 3"),
        (
            "UPDATE results SET values_json = REPLACE(values_json, '8.0', '9.0')",
            "analyses row 1",
        ),
        ("DELETE FROM audit_log WHERE id = 4", "audit_head"),
        ("DELETE FROM audit_log WHERE id = 2", "audit_log row 3"),
        ("UPDATE exclusions SET reason = 'nothing'", "exclusions row 1"),
        ("UPDATE raw_files SET sha256 = REPLACE(sha256, sha256, 'ff')", "raw_files row 1"),
    ],
)
def test_db_verify_names_the_first_row_changed_behind_its_back(
    db_url: str, tmp_path: Path, sql: str, first: str
) -> None:
    rec = record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.0]))
    with open_store(db_url) as s:
        exclude_experiment(s, rec.sections[0].experiment_id, "lot expired")
    res = RUNNER.invoke(app, ["db", "verify", "--db", db_url])
    assert res.exit_code == 0, res.output
    assert "4 row(s)" in res.output
    engine = create_engine(db_url)
    with engine.begin() as conn:
        assert conn.execute(text(sql)).rowcount >= 1
    engine.dispose()
    res = RUNNER.invoke(app, ["db", "verify", "--db", db_url])
    assert res.exit_code == 1, res.output
    assert f"first: {first}" in res.output


# ---------------------------------------------------------------- migrations

TRIVIAL_MIGRATION = '''
"""A second, trivial migration (the test of upgrading in place).

Revision ID: 0099_test_note
"""

import sqlalchemy as sa
from alembic import op

revision = "0099_test_note"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.drop_column("note")
'''


def test_the_schema_of_the_migrations_is_the_schema_of_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert upgrade(db_url) == (None, head_revision())
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_store_is_upgraded_in_place_by_the_next_migration(db_url: str, tmp_path: Path) -> None:
    rec = record(db_url, "s", "binding[1]", known(tmp_path, "a", [8.0, 8.4]))
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0099_test_note.py").write_text(
        TRIVIAL_MIGRATION.format(head=head_revision()), encoding="utf-8"
    )
    # a pdstudy that knows the new revision refuses the old store until it is upgraded
    with pytest.raises(StoreError, match="pdstudy db upgrade"):
        open_store(db_url, version_locations=[versions])
    assert upgrade(db_url, version_locations=[versions]) == (head_revision(), "0099_test_note")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert "note" in {c["name"] for c in inspect(conn).get_columns("studies")}
    engine.dispose()
    with open_store(db_url, version_locations=[versions]) as s:
        n, problems = verify(s)
        got = results(s, compound="norclomipramine")
        assert list(studies(s)["name"]) == ["s"]
        again = record_results(
            s, "s", [("binding[1]", "x", known(tmp_path, "a", [8.0, 8.4]), None)]
        )
    assert problems == [] and n == 3
    assert sorted(got["pki"]) == [8.0, 8.4]
    assert again.new == 0 and again.sections[0].analysis_id == rec.sections[0].analysis_id
    # and this pdstudy, which does not know the revision, says so
    with pytest.raises(StoreError, match="unknown to this pdstudy"):
        open_store(db_url)


def test_db_upgrade_creates_a_store_and_then_has_nothing_to_do(db_url: str) -> None:
    res = RUNNER.invoke(app, ["db", "upgrade", "--db", db_url])
    assert res.exit_code == 0, res.output
    assert f"-> {head_revision()}" in res.output
    res = RUNNER.invoke(app, ["db", "upgrade", "--db", db_url])
    assert res.exit_code == 0 and "the newest" in res.output
    res = RUNNER.invoke(app, ["db", "studies", "--db", db_url])
    assert res.exit_code == 0, res.output


def test_reading_a_store_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    res = RUNNER.invoke(app, ["db", "ki", "--compound", "x", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1
    assert "no store at" in res.output
    assert not (tmp_path / "none.db").exists() or (tmp_path / "none.db").stat().st_size >= 0
    res = RUNNER.invoke(app, ["db", "studies", "--db", "mysql://h/db"])
    assert res.exit_code == 2 and "unsupported database" in res.output
