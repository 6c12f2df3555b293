"""The ``pdstudy uptake`` and ``pdstudy protein`` commands (typer CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.io import read_layout

SHARED = Path(__file__).resolve().parents[2] / "shared"
PLATES = SHARED / "testdata" / "plates"
runner = CliRunner()

ANALYZE = ["--specific-activity", "40 Ci/mmol", "--incubation", "5 min"]


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """Two simulated experiments (MicroBeta files), their layout and a BCA plate."""
    out = tmp_path_factory.mktemp("sim")
    res = run(
        "uptake", "simulate", "--out", out, "--n-plates", "2", "--protein-plate", "--seed", "5"
    )
    assert res.exit_code == 0, res.output
    return out


# ------------------------------------------------------------------ design


def test_design_with_ki_writes_layout_map_and_dilutions(tmp_path):
    res = run(
        "uptake", "design", "--ki", "0.5 nM", "--substrate-conc", "20 nM", "--km", "0.3 µM",
        "--target", "NET", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    for name in (
        "layout.toml",
        "plate_map.svg",
        "plate_map.png",
        "plate_map.html",
        "dilutions.csv",
    ):
        assert (tmp_path / name).is_file(), name
    lay = read_layout(tmp_path / "layout.toml")
    assert set(lay["role"]) == {"control", "nsb", "competition"}
    assert lay["substrate_M"].iloc[0] == pytest.approx(20e-9)
    assert lay["km_M"].iloc[0] == pytest.approx(0.3e-6)
    # 10 half-log concentrations centred on IC50 = Ki (1 + [S]/Km) = 0.5 nM x 1.0667
    concs = np.sort(lay.loc[lay["role"] == "competition", "conc_M"].unique())
    assert len(concs) == 10
    assert np.sqrt(concs[4] * concs[5]) == pytest.approx(0.5e-9 * (1 + 20 / 300), rel=1e-9)
    dil = pd.read_csv(tmp_path / "dilutions.csv")
    assert dil["final_M"].dropna().max() == pytest.approx(concs.max())
    assert "expected IC50" in res.output


def test_design_with_ic50_and_cold_nonspecific(tmp_path):
    res = run("uptake", "design", "--ic50", "1 nM", "--nonspecific", "4C", "--out", tmp_path)
    assert res.exit_code == 0, res.output
    lay = read_layout(tmp_path / "layout.toml")
    assert (lay.loc[lay["role"] == "nsb", "temperature_C"] == 4.0).all()
    concs = np.sort(lay.loc[lay["role"] == "competition", "conc_M"].unique())
    assert np.sqrt(concs[4] * concs[5]) == pytest.approx(1e-9, rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "X"], "give either --ki or --ic50"),
        (["--ki", "1 nM", "--ic50", "1 nM", "--out", "X"], "give either --ki or --ic50"),
        (["--ki", "1 nM", "--km", "0.3 uL", "--out", "X"], "is a volume, expected a concentration"),
        (["--ki", "-1 nM", "--out", "X"], "must be positive"),
        (["--ki", "1 nM", "--plate", "48", "--out", "X"], "use 96 or 384"),
    ],
)
def test_design_usage_errors_exit_2(tmp_path, args, message):
    args = [str(tmp_path / a) if a == "X" else a for a in args]
    res = run("uptake", "design", *args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


# ------------------------------------------------------------------ simulate and analyse


def test_simulate_writes_layout_plates_protein_and_truth(simulated):
    for name in ("layout.toml", "plate_1.txt", "plate_2.txt", "truth.json", "protein_plate.csv"):
        assert (simulated / name).is_file(), name
    truth = json.loads((simulated / "truth.json").read_text())
    assert truth["plates"][0]["ki_M"] == {"norclomipramine": 5e-10}


def test_analyze_end_to_end_with_protein_per_well(simulated, tmp_path):
    plates = [simulated / "plate_1.txt", simulated / "plate_2.txt"]
    res = run(
        "uptake", "analyze", *plates, "--layout", simulated / "layout.toml", *ANALYZE,
        "--protein", "100 ug", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    curves = pd.read_csv(tmp_path / "results" / "uptake1_inhibition.csv")
    required = [
        "experiment", "compound", "target", "model", "log_ic50", "ic50_M", "ic50_ci_low_M",
        "ic50_ci_high_M", "hill", "ki_M", "pki", "pki_ci_low", "pki_ci_high", "status", "flags",
    ]  # fmt: skip
    assert set(required) <= set(curves.columns)
    assert len(curves) == 2 and set(curves["experiment"]) == {"plate_1", "plate_2"}
    # Km and [S] came from the layout; Ki near the simulated 0.5 nM
    assert curves["km_M"].eq(0.3e-6).all() and curves["substrate_M"].eq(15e-9).all()
    assert np.all(np.abs(curves["pki"] - 9.30103) < 0.4)
    assert (curves["control_rate_pmol_per_mg_per_min"] - 2 * 15 / 315).abs().max() < 0.03
    doc = json.loads((tmp_path / "results" / "uptake1_inhibition.json").read_text())
    assert doc["result"]["assay"] == "uptake_inhibition" and len(doc["result"]["curves"]) == 2
    assert len(pd.read_csv(tmp_path / "results" / "uptake1_inhibition_qc.csv")) == 2
    assert len(pd.read_csv(tmp_path / "results" / "uptake1_inhibition_aggregate.csv")) == 1
    assert len(pd.read_csv(tmp_path / "results" / "uptake1_inhibition_wells.csv")) > 0
    figs = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert figs == [
        "uptake1_inhibition_curve1.png",
        "uptake1_inhibition_curve1.svg",
        "uptake1_inhibition_curve2.png",
        "uptake1_inhibition_curve2.svg",
        "uptake1_inhibition_residuals.png",
        "uptake1_inhibition_residuals.svg",
    ]
    assert "mean over experiments" in res.output and "norclomipramine" in res.output


def test_analyze_with_a_protein_plate(simulated, tmp_path):
    res = run(
        "uptake", "analyze", simulated / "plate_1.txt", "--layout", simulated / "layout.toml",
        *ANALYZE, "--protein-plate", simulated / "protein_plate.csv",
        "--protein-layout", simulated / "protein_layout.toml", "--suspension-volume", "100 uL",
        "--substrate-conc", "15 nM", "--km", "0.3 uM", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    # the protein per well read off the BCA plate: mg/mL of the preparation x 100 µL
    wells = pd.read_csv(tmp_path / "results" / "uptake1_inhibition_wells.csv")
    mg_per_mL = wells["protein_mg_per_well"] / 0.1
    assert mg_per_mL.iloc[0] == pytest.approx(1.0, rel=0.05)  # 100 µg / 100 µL
    assert (mg_per_mL == mg_per_mL.iloc[0]).all()
    assert (tmp_path / "figures" / "uptake1_inhibition_protein.svg").is_file()
    doc = json.loads((tmp_path / "results" / "uptake1_inhibition.json").read_text())
    assert "mg/mL" in doc["result"]["settings"]["protein"]
    keys = {f["key"] for f in doc["provenance"]["inputs"]}
    assert {"protein_plate", "protein_layout"} <= keys


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ([], 2, "give the protein per well"),
        (["--protein", "50 uL"], 2, "is a volume, expected a mass"),
        (["--protein", "50 ug", "--efficiency", "1.5"], 2, "fraction in (0, 1]"),
        (["--protein", "50 ug", "--weighting", "1/x"], 2, "use auto, counts, relative or none"),
        (["--protein-plate", "P"], 2, "--protein-plate needs --protein-layout"),
        (["--protein", "50 ug", "--km", "0.2 uM"], 1, "the layout says km_M"),
    ],
)
def test_analyze_errors(simulated, tmp_path, extra, code, message):
    extra = [str(simulated / "protein_plate.csv") if a == "P" else a for a in extra]
    res = run(
        "uptake", "analyze", simulated / "plate_1.txt", "--layout", simulated / "layout.toml",
        *ANALYZE, *extra, "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == code, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_analyze_missing_files_exit_2(simulated, tmp_path):
    res = run(
        "uptake", "analyze", tmp_path / "nope.txt", "--layout", simulated / "layout.toml",
        *ANALYZE, "--protein", "50 ug", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 2 and "no such file" in res.output
    res = run(
        "uptake", "analyze", simulated / "plate_1.txt", "--layout", tmp_path / "nope.toml",
        *ANALYZE, "--protein", "50 ug", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 2 and "option --layout: no such file" in res.output


def test_analyze_unreadable_plate_exit_1(simulated, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("this is not a plate\n1,2,3\n", encoding="utf-8")
    res = run(
        "uptake", "analyze", bad, "--layout", simulated / "layout.toml", *ANALYZE,
        "--protein", "50 ug", "--out", tmp_path / "o",
    )  # fmt: skip
    assert res.exit_code == 1
    assert "bad.csv" in res.output and "Traceback" not in res.output


# ------------------------------------------------------------------ kinetics


def test_kinetics_simulate_and_analyze(tmp_path):
    sim = tmp_path / "sim"
    res = run(
        "uptake", "simulate", "--kinetics", "--out", sim, "--n-plates", "1",
        "--nonspecific-fraction", "0.3", "--hot-substrate", "30 nM", "--seed", "3",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = tmp_path / "res"
    res = run(
        "uptake", "kinetics", sim / "plate_1.txt", "--layout", sim / "layout.toml", *ANALYZE,
        "--protein", "100 ug", "--hot-substrate", "30 nM", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    curves = pd.read_csv(out / "results" / "uptake1_kinetics.csv")
    assert curves["km_M"].iloc[0] == pytest.approx(0.3e-6, rel=0.35)
    assert curves["km_ci_low_M"].iloc[0] < curves["km_M"].iloc[0] < curves["km_ci_high_M"].iloc[0]
    assert curves["vmax_pmol_per_mg_per_min"].iloc[0] == pytest.approx(2.0, rel=0.3)
    assert (out / "figures" / "uptake1_kinetics_curve1.svg").is_file()
    assert len(pd.read_csv(out / "results" / "uptake1_kinetics_points.csv")) > 0
    assert "Km" in res.output
    bad = run(
        "uptake", "kinetics", sim / "plate_1.txt", "--layout", sim / "layout.toml", *ANALYZE,
        "--protein", "100 ug", "--nonspecific", "cubic", "--out", out,
    )  # fmt: skip
    assert bad.exit_code == 2 and "option --nonspecific" in bad.output
    assert all(name in bad.output for name in ("'cubic'", "auto", "linear", "per_conc"))


# ------------------------------------------------------------------ protein


def test_protein_analyze_simulated_plate(simulated, tmp_path):
    res = run(
        "protein", "analyze", simulated / "protein_plate.csv",
        "--layout", simulated / "protein_layout.toml", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    # a one-section study: the names of a [[protein]] section called "protein"
    stem = tmp_path / "results" / "protein1_protein"
    for name in (".csv", "_by_sample.csv", "_standards.csv", "_models.csv", ".json"):
        assert Path(f"{stem}{name}").is_file(), name
    assert (tmp_path / "figures" / "protein1_protein_protein_plate.png").is_file()
    samples = pd.read_csv(f"{stem}.csv")
    assert samples["dilution"].iloc[0] == 2.0
    assert "synaptosomes" in res.output and "quadratic" in res.output


def test_protein_analyze_lowry_file_not_matching_the_layout_exits_1(tmp_path):
    # the masked well H3 ('*0.356*') no longer stops the read; the plate does not match
    # the 40-well protein layout, and that is the error
    path = PLATES / "gen5_lowry_protein_abs660_stdcurve.txt"
    if not path.is_file():
        pytest.skip(f"shared test data not available ({path})")
    from pdstudy.design.plates import protein_layout
    from pdstudy.io import write_layout

    write = write_layout(protein_layout(), tmp_path / "lay.toml")
    res = run("protein", "analyze", path, "--layout", write, "--out", tmp_path / "o")
    assert res.exit_code == 1
    assert "are not in the layout" in res.output
    assert "Traceback" not in res.output


def test_protein_analyze_usage_errors(simulated, tmp_path):
    res = run(
        "protein", "analyze", simulated / "protein_plate.csv",
        "--layout", simulated / "protein_layout.toml", "--model", "cubic", "--out", tmp_path,
    )  # fmt: skip
    assert res.exit_code == 2 and "use auto, linear, quadratic or four_pl" in res.output
    res = run(
        "protein", "analyze", tmp_path / "x.csv", "--layout", tmp_path / "l.toml", "--out", tmp_path
    )
    assert res.exit_code == 2 and "no such file" in res.output


def test_help_lists_the_uptake_and_protein_commands():
    res = run("uptake", "--help")
    assert res.exit_code == 0
    for cmd in ("design", "simulate", "analyze", "kinetics"):
        assert cmd in res.output
    assert run("protein", "--help").exit_code == 0
