"""``pdstudy binding``: design, simulate -> analyze round trips, saturation, error messages."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.io import read_layout

runner = CliRunner()
TRUE_PKI = -math.log10(0.5e-9)
#: output stem of `binding analyze` (a one-section study, section "competition")
STEM = "binding1_competition"


def run(*args: str):
    return runner.invoke(app, ["binding", *map(str, args)])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """The issue's example: norclomipramine at NET (Ki 0.5 nM), [3H]nisoxetine 1 nM, Kd 0.8 nM."""
    d = tmp_path_factory.mktemp("sim")
    res = run("simulate", "--ki", "0.5 nM", "--kd", "0.8 nM", "--radioligand-conc", "1 nM",
              "--compound", "norclomipramine", "--target", "NET", "--seed", "7",
              "--n-plates", "3", "--out", d)  # fmt: skip
    assert res.exit_code == 0, res.output
    return d


@pytest.fixture(scope="module")
def analysed(simulated, tmp_path_factory):
    out = tmp_path_factory.mktemp("res")
    plates = sorted(simulated.glob("plate_*.txt"))
    res = run("analyze", *plates, "--layout", simulated / "layout.toml",
              "--radioligand-conc", "1 nM", "--kd", "0.8 nM", "--specific-activity", "80 Ci/mmol",
              "--volume", "250 uL", "--out", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    return out, res.output


def test_simulate_writes_layout_plates_and_truth(simulated):
    assert len(list(simulated.glob("plate_*.txt"))) == 3
    layout = read_layout(simulated / "layout.toml")
    assert set(layout["role"]) == {"total", "nsb", "competition"}
    truth = json.loads((simulated / "truth.json").read_text())
    assert truth["plates"][0]["ki_M"]["norclomipramine"] == pytest.approx(0.5e-9)


def test_example_end_to_end(analysed):
    out, output = analysed
    # a one-section study: the names of a [[binding]] section called "competition"
    results = out / "results"
    for name in ("", "_aggregate", "_qc", "_wells"):
        assert (results / f"{STEM}{name}.csv").is_file(), name
    assert (results / f"{STEM}.json").is_file()
    res = pd.read_csv(results / f"{STEM}.csv", keep_default_na=False, na_values=[""])
    must = ["experiment", "compound", "target", "model", "log_ic50", "ic50_M", "ic50_ci_low_M",
            "ic50_ci_high_M", "hill", "ki_M", "pki", "pki_ci_low", "pki_ci_high", "status",
            "flags"]  # fmt: skip
    assert set(must) <= set(res.columns)
    assert list(res["experiment"]) == ["plate_1", "plate_2", "plate_3"]
    assert (res["target"] == "NET").all() and (res["status"] == "converged").all()
    assert ((res["pki"] - TRUE_PKI).abs() < 0.15).all()
    summary = pd.read_csv(results / f"{STEM}_aggregate.csv")
    row = summary.iloc[0]
    assert row["n"] == 3 and abs(row["pki_mean"] - TRUE_PKI) < 0.1
    assert row["pki_mean"] == pytest.approx(res["pki"].mean())
    js = json.loads((results / f"{STEM}.json").read_text())["result"]
    assert len(js["curves"]) == 3 and js["options"]["weighting"] == "counts"
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert f"{STEM}_curve1.svg" in figs and f"{STEM}_curve3.png" in figs
    assert f"{STEM}_all.svg" in figs
    assert "competition binding" in output and "mean over experiments" in output
    # the simulated window (1500 CPM of 250 uL at 80 Ci/mmol) binds < 10 % of the ligand
    qc = pd.read_csv(results / f"{STEM}_qc.csv")
    assert (qc["bound_fraction"] < 0.1).all()


@pytest.mark.parametrize("fmt", ["topcount", "grid_xlsx"])  # microbeta: the fixture
def test_round_trip_other_formats(tmp_path, fmt):
    res = run("simulate", "--format", fmt, "--n-plates", "1", "--seed", "3", "--out", tmp_path)
    assert res.exit_code == 0, res.output
    plates = [p for p in tmp_path.iterdir() if p.name.lower().startswith("plate")]
    assert len(plates) == 1
    res = run("analyze", *plates, "--layout", tmp_path / "layout.toml", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "o" / "results" / f"{STEM}.csv")
    # [L] and Kd come from the layout written by simulate
    assert abs(out["pki"].iloc[0] - TRUE_PKI) < 0.2


def test_design_writes_everything(tmp_path):
    res = run("design", "--ki", "0.5 nM", "--radioligand", "[3H]nisoxetine",
              "--radioligand-conc", "1 nM", "--kd", "0.8 nM", "--target", "NET", "--out", tmp_path)  # fmt: skip
    assert res.exit_code == 0, res.output
    for name in (
        "layout.toml",
        "plate_map.svg",
        "plate_map.png",
        "plate_map.html",
        "dilutions.csv",
    ):
        assert (tmp_path / name).is_file(), name
    layout = read_layout(tmp_path / "layout.toml")
    comp = layout[layout.role == "competition"]
    assert comp["conc_M"].nunique() == 10 and len(comp) == 30
    # centred on the expected IC50 = Ki (1 + [L]/Kd) = 1.125 nM
    mid = math.sqrt(comp["conc_M"].max() * comp["conc_M"].min())
    assert mid == pytest.approx(1.125e-9, rel=0.01)
    dil = pd.read_csv(tmp_path / "dilutions.csv")
    assert {"working_M", "final_M", "transfer_uL"} <= set(dil.columns)
    assert "expected IC50" in res.output


def test_design_range_and_384(tmp_path):
    res = run("design", "--ki-range", "0.1 nM", "10 nM", "--radioligand-conc", "1 nM",
              "--kd", "0.8 nM", "--plate", "384", "--replicates", "2", "--n-conc", "12",
              "--out", tmp_path)  # fmt: skip
    assert res.exit_code == 0, res.output
    layout = read_layout(tmp_path / "layout.toml")
    assert (layout.role == "competition").sum() == 24


def test_saturation_round_trip(tmp_path):
    res = run(
        "simulate", "--assay", "saturation", "--n-plates", "2", "--seed", "5", "--out", tmp_path
    )
    assert res.exit_code == 0, res.output
    plates = sorted(tmp_path.glob("plate_*.txt"))
    res = run("saturation", *plates, "--layout", tmp_path / "layout.toml",
              "--specific-activity", "80 Ci/mmol", "--efficiency", "0.45", "--protein", "35 ug",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 0, res.output
    # a one-section study: the names of a [[saturation]] section called "saturation"
    stem = "saturation1_saturation"
    results = tmp_path / "o" / "results"
    for name in (".csv", "_wells.csv", ".json"):
        assert (results / f"{stem}{name}").is_file(), name
    out = pd.read_csv(results / f"{stem}.csv")
    glob = out[out.method == "total_nsb"]
    # simulator defaults: Kd 0.8 nM, Bmax 2000 fmol/mg
    assert ((glob["kd_M"] / 0.8e-9 - 1).abs() < 0.2).all()
    assert ((glob["bmax_fmol_per_mg"] / 2000 - 1).abs() < 0.15).all()
    figs = {p.name for p in (tmp_path / "o" / "figures").iterdir()}
    # saturation curves and the Rosenthal plot of each experiment, side by side
    assert {f"{stem}_1.svg", f"{stem}_1.png", f"{stem}_2.svg"} <= figs


def test_design_saturation(tmp_path):
    res = run("design-saturation", "--kd", "0.8 nM", "--stock", "100 nM", "--out", tmp_path)
    assert res.exit_code == 0, res.output
    layout = read_layout(tmp_path / "layout.toml")
    assert set(layout.role) == {"total", "nsb"} and layout["conc_M"].nunique() == 8
    assert (tmp_path / "dilutions.csv").is_file()


# ---------------------------------------------------------------- errors


def test_missing_plate_file(simulated, tmp_path):
    res = run("analyze", tmp_path / "nope.txt", "--layout", simulated / "layout.toml",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2
    assert "nope.txt" in res.output and "no such file" in res.output
    assert "Traceback" not in res.output


def test_missing_layout(simulated, tmp_path):
    res = run("analyze", simulated / "plate_1.txt", "--layout", tmp_path / "none.toml",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2 and "none.toml" in res.output


@pytest.mark.parametrize(
    "option, value, match",
    [
        ("--kd", "0.8 nX", "option --kd"),
        ("--kd", "0.8 mg", "option --kd"),
        ("--radioligand-conc", "-1 nM", "option --radioligand-conc"),
        ("--volume", "200 nM", "option --volume"),
        ("--specific-activity", "80", "option --specific-activity"),
    ],
)
def test_bad_units(simulated, tmp_path, option, value, match):
    res = run("analyze", simulated / "plate_1.txt", "--layout", simulated / "layout.toml",
              option, value, "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2, res.output
    assert match in res.output and "Traceback" not in res.output


def test_layout_mismatch(simulated, tmp_path):
    # a layout with more wells than the simulated plates hold
    from pdstudy.design import competition_layout, concentration_series
    from pdstudy.io import write_layout

    concs = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9, n=12)
    write_layout(competition_layout(concs, compound="x", replicates=4), tmp_path / "big.toml")
    res = run("analyze", simulated / "plate_1.txt", "--layout", tmp_path / "big.toml",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "big.toml" in res.output and "plate_1.txt" in res.output
    assert "no data" in res.output and "Traceback" not in res.output


def test_usage_errors(tmp_path):
    res = run("design", "--radioligand-conc", "1 nM", "--kd", "0.8 nM", "--out", tmp_path)
    assert res.exit_code == 2 and "--ki" in res.output
    res = run("design", "--ki", "1 nM", "--radioligand-conc", "1 nM", "--kd", "0.8 nM",
              "--plate", "100", "--out", tmp_path)  # fmt: skip
    assert res.exit_code == 2 and "96 or 384" in res.output
    res = run("simulate", "--format", "pdf", "--out", tmp_path)
    assert res.exit_code == 2 and "unknown format" in res.output
