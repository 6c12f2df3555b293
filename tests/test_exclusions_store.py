"""The results store records each declared exclusion as a decision in its audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from pdstudy.assays.binding.sections import analyse_binding
from pdstudy.examples import write_example_study
from pdstudy.store import open_store, record_results, verify
from pdstudy.store.models import AuditEntry
from pdstudy.study import load_study


@pytest.fixture(scope="module")
def sert(tmp_path_factory: pytest.TempPathFactory):
    spec = load_study(write_example_study(tmp_path_factory.mktemp("store_example"), videos=False))
    (section,) = [s for s in spec.sections if s.name == "SERT competition"]
    return section


def test_each_declared_exclusion_is_an_audit_decision(sert, tmp_path: Path):
    values = {
        **sert.values,
        "exclude": [
            {"plate": "sert_exp1", "well": "B7", "reason": "tip touched the filter (p. 12)"},
            {"experiment": "sert_exp2", "reason": "membranes thawed twice"},
        ],
    }
    result = analyse_binding(values)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url, create=True) as store:
        summary = record_results(store, "exclusions", [(sert.key, sert.name, result, None)])
        (rec,) = summary.sections
        with store.session() as session:
            rows = (
                session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == "declared_exclusion")
                    .order_by(AuditEntry.id)
                )
                .scalars()
                .all()
            )
            details = [json.loads(r.detail_json) for r in rows]
            analyses = {r.analysis_id for r in rows}
        assert analyses == {rec.analysis_id}
        assert [
            (d.get("plate"), d.get("well"), d.get("experiment"), d["reason"]) for d in details
        ] == [
            ("sert_exp1", "B7", None, "tip touched the filter (p. 12)"),
            (None, None, "sert_exp2", "membranes thawed twice"),
        ]
        assert details[0]["n_rows"] == 1 and details[1]["n_rows"] > 1
        n_rows, problems = verify(store)
        assert problems == [] and n_rows >= 4
    # the same analysis recorded again adds no decision
    with open_store(url) as store:
        record_results(store, "exclusions", [(sert.key, sert.name, result, None)])
        with store.session() as session:
            n = len(
                session.execute(select(AuditEntry).where(AuditEntry.action == "declared_exclusion"))
                .scalars()
                .all()
            )
    assert n == 2
