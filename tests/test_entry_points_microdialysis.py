"""Microdialysis gives the same results through every entry point.

``pdstudy dialysis analyze`` and a ``[[microdialysis]]`` section of ``pdstudy run``
write the same tables; the study path recovers the simulator's truth; the real
lactose runs of ../shared/testdata are quantified through the CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.simulate.chromatograms import DialysisDesign, simulate_dialysis_experiment
from pdstudy.study import load_study, run_study

CHROM = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "chromatography"

STUDY = """
[study]
name = "dialysis entry points"
compound = "norclomipramine"

[study.exposure]
free_conc = "0.3 nM"

[[microdialysis]]
name = "PFC"
sequence = "sequence.csv"
method = "method.toml"
baseline_samples = 3
"""

TABLES = ("", "_peaks", "_percent_baseline", "_auc", "_calibration", "_stats", "_qc")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dialysis_entry")
    truth = simulate_dialysis_experiment(d, design=DialysisDesign(animals_per_group=3), seed=5)
    (d / "study.toml").write_text(STUDY, encoding="utf-8")
    return d, truth


@pytest.fixture(scope="module")
def through_cli(files, tmp_path_factory):
    d, _ = files
    out = tmp_path_factory.mktemp("cli")
    res = CliRunner().invoke(
        app,
        ["dialysis", "analyze", "--sequence", str(d / "sequence.csv"), "--method", str(d / "method.toml"),
         "--out", str(out), "--name", "PFC"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "NE: slope" in res.output
    return out


@pytest.fixture(scope="module")
def through_study(files, tmp_path_factory):
    d, _ = files
    out = tmp_path_factory.mktemp("study")
    run = run_study(load_study(d / "study.toml"), out, workers=1)
    assert run.outcomes[0].ok, run.outcomes[0].section.error
    return run


def test_cli_and_study_write_the_same_tables(through_cli, through_study):
    for suffix in TABLES:
        name = f"microdialysis1_pfc{suffix}.csv"
        cli = pd.read_csv(through_cli / "results" / name)
        study = pd.read_csv(through_study.out_dir / "results" / name)
        pd.testing.assert_frame_equal(cli, study, obj=name)


def test_study_path_recovers_the_truth(files, through_study):
    _, truth = files
    result = through_study.outcomes[0].result
    s = result.samples.merge(truth, on=["file", "analyte"])
    err = (s["conc_nM"] / s["true_conc_nM"] - 1).abs()
    assert err.max() < 0.05
    assert result.kind == "microdialysis"
    sha = {f.key for f in result.inputs}
    assert {"sequence", "method", "file[1]"} <= sha


def test_concentrations_table_has_the_documented_columns(through_cli):
    frame = pd.read_csv(through_cli / "results" / "microdialysis1_pfc.csv")
    assert list(frame.columns) == [
        "file", "kind", "animal", "group", "sample", "time_s", "analyte", "area", "height", "rt_s",
        "conc_nM", "amount_fmol", "flags", "excluded", "exclude_reason", "excluded_by",
    ]  # fmt: skip
    pct = pd.read_csv(through_cli / "results" / "microdialysis1_pfc_percent_baseline.csv")
    assert list(pct.columns) == [
        "animal",
        "group",
        "time_s",
        "analyte",
        "conc_nM",
        "pct_baseline",
        "flags",
        "excluded",
        "exclude_reason",
        "excluded_by",
    ]


def test_bad_option_is_a_usage_error(files, tmp_path):
    d, _ = files
    res = CliRunner().invoke(
        app,
        ["dialysis", "analyze", "--sequence", str(d / "sequence.csv"), "--method", str(d / "method.toml"),
         "--out", str(tmp_path), "--flow", "1.5 uL"],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "--flow" in res.output


def test_real_lactose_through_the_cli(tmp_path):
    folder = CHROM / "lactose"
    if not folder.exists():
        pytest.skip(f"shared test data {folder} not present (only in the project workspace)")
    level = re.compile(r"mM_([\d.]+)\.csv$")
    rows = ["file,kind,lactose_mM"]
    for p in sorted(folder.glob("calibration_*.csv")):
        rows.append(f"{p},standard,{level.search(p.name).group(1)}")
    for p in sorted(folder.glob("test_*.csv")):
        rows.append(f"{p},sample,")
    (tmp_path / "sequence.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "method.toml").write_text(
        '[analytes.lactose]\nrt = "13.7 min"\ntolerance = "30 s"\n\n'
        '[processing]\npeak_width = "30 s"\nmin_snr = 20\n'
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        ["dialysis", "analyze", "--sequence", str(tmp_path / "sequence.csv"),
         "--method", str(tmp_path / "method.toml"), "--out", str(out), "--name", "lactose"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    conc = pd.read_csv(out / "results" / "microdialysis1_lactose.csv")
    tests = conc[conc["kind"] == "sample"]
    assert len(tests) == 4
    for rec in tests.to_dict("records"):
        true_mM = float(level.search(rec["file"]).group(1))
        # conc_nM is molar x 1e9: lactose in mM -> x 1e6
        assert rec["conc_nM"] / 1e6 == pytest.approx(true_mM, rel=0.06), rec["file"]
