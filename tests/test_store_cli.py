"""``pdstudy run`` records into the store; ``pdstudy db`` reads it back (SQLite, under tmp_path)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.examples import write_example_study
from pdstudy.store import open_store, pooled_ki, results

RUNNER = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})


def _binding_only(folder: Path, seed: int) -> Path:
    path = write_example_study(folder, seed=seed, videos=False)
    text = path.read_text(encoding="utf-8")
    head = text.split("[[saturation]]", 1)[0]
    out = folder / "binding.toml"
    out.write_text(head, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def binding_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example study's NET and SERT competition sections only."""
    return _binding_only(tmp_path_factory.mktemp("study"), 11)


def _run(study: Path, out: Path, *extra: str) -> str:
    res = RUNNER.invoke(app, ["run", str(study), "--out", str(out), "--workers", "1", *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_run_records_once_and_db_reads_it_back(binding_study: Path, tmp_path: Path) -> None:
    db = tmp_path / "lab" / "pdstudy.db"
    output = _run(binding_study, tmp_path / "out1", "--db", str(db))
    assert "2 new analysis(es) recorded" in output
    output = _run(binding_study, tmp_path / "out2", "--db", str(db))
    assert "0 new analysis(es) recorded, 2 already in the store" in output

    # the store's pooled Ki is the study's own aggregate (one experiment set, same curves)
    agg = pd.read_csv(next((tmp_path / "out1" / "results").glob("binding1_*_aggregate.csv")))
    with open_store(db) as s:
        ki = pooled_ki(s, "norclomipramine", "NET")
        rows = results(s, assay="binding")
    curves = sum(
        len(pd.read_csv(f))
        for f in (tmp_path / "out1" / "results").glob("binding*.csv")
        if not f.stem.endswith(("_aggregate", "_qc", "_wells", "_exclusions"))
    )
    assert len(rows) == curves  # one result per curve of both sections
    assert set(rows["section"]) == {"binding[1]", "binding[2]"}
    assert ki.pooled.iloc[0]["n"] == agg.iloc[0]["n"]
    assert ki.pooled.iloc[0]["pki_mean"] == pytest.approx(agg.iloc[0]["pki_mean"], rel=1e-12)
    assert ki.pooled.iloc[0]["pki_sem"] == pytest.approx(agg.iloc[0]["pki_sem"], rel=1e-12)
    assert ki.pooled.iloc[0]["ki_M"] == pytest.approx(agg.iloc[0]["ki_geomean_M"], rel=1e-12)

    res = RUNNER.invoke(
        app,
        [
            "db",
            "results",
            "--compound",
            "norclomipramine",
            "--target",
            "NET",
            "--csv",
            "--db",
            str(db),
        ],
    )
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(io.StringIO(res.output))
    assert len(csv) == int(agg.iloc[0]["n"]) and set(csv["target"]) == {"NET"}
    assert {"result_id", "experiment_id", "pki", "ki_ci_low_M", "flags"} <= set(csv.columns)
    res = RUNNER.invoke(app, ["db", "studies", "--db", str(db)])
    assert res.exit_code == 0 and "Norclomipramine at the noradrenaline" in res.output
    res = RUNNER.invoke(app, ["db", "history", str(int(csv["result_id"].iloc[0])), "--db", str(db)])
    assert res.exit_code == 0 and "analysis" in res.output and "experiment" in res.output

    # the report of a later study (other raw files) summarises the earlier experiments
    from pdstudy.report.sections.store import TITLE

    assert TITLE not in (tmp_path / "out1" / "report.html").read_text(encoding="utf-8")
    assert TITLE not in (tmp_path / "out2" / "report.html").read_text(encoding="utf-8")
    later = _binding_only(tmp_path / "later", 12)
    _run(later, tmp_path / "out3", "--db", str(db))
    html = (tmp_path / "out3" / "report.html").read_text(encoding="utf-8")
    assert TITLE in html
    assert "norclomipramine: Ki over earlier experiments (results store)" in html
    assert "this run&#39;s own experiments are not among them" in html or (
        "this run's own experiments are not among them" in html
    )


@pytest.mark.slow
def test_a_changed_parameter_is_a_new_analysis_and_no_store_records_nothing(
    binding_study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("PDSTUDY_DB", str(db))
    _run(binding_study, tmp_path / "a")
    changed = binding_study.with_name("changed.toml")
    changed.write_text(
        binding_study.read_text(encoding="utf-8").replace('kd = "0.8 nM"', 'kd = "0.9 nM"'),
        encoding="utf-8",
    )
    output = _run(changed, tmp_path / "b")
    # the NET section's Kd changed: one new analysis, superseding; SERT is the same
    assert "1 new analysis(es) recorded, 1 already in the store" in output
    assert "store:" not in _run(changed, tmp_path / "c", "--no-store")
    with open_store(db) as s:
        every = results(s, assay="binding", target="NET", include_superseded=True)
        current = results(s, assay="binding", target="NET")
    assert every["analysis_id"].nunique() == 2
    assert current["analysis_id"].nunique() == 1
    assert current["analysis_id"].iloc[0] == every["analysis_id"].max()
