"""One path from raw files to results for uptake: the CLI commands and the study give the same.

``pdstudy uptake analyze`` / ``pdstudy uptake kinetics`` run a one-section
study; ``pdstudy run`` (:func:`pdstudy.study.run_study`) runs the same section
from a study file. Every result table must be identical, and both count one
file as one experiment, whether it holds one plate or several. The study path
is also checked against the simulator's truth (Ki, IC50; Km, Vmax).
"""

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
from pdstudy.design.plates import concentration_series, saturation_layout, uptake_layout
from pdstudy.io import write_layout, write_plate
from pdstudy.simulate import simulate_uptake, without_truth
from pdstudy.simulate.plates import simulate_uptake_kinetics
from pdstudy.study import run_study

runner = CliRunner()

KI_M, S_M, KM_M, VMAX = 0.5e-9, 15e-9, 0.3e-6, 2.0
SIM = {
    "km_M": KM_M,
    "vmax_pmol_per_mg_per_min": VMAX,
    "protein_mg_per_well": 0.1,
    "incubation_s": 300.0,
    "specific_activity_Ci_per_mmol": 40.0,
    "cv": 0.05,
}
CLI_CONSTS = ["--specific-activity", "40 Ci/mmol", "--incubation", "5 min", "--protein", "100 ug"]
TOML_CONSTS = 'specific_activity = "40 Ci/mmol"\nincubation = "5 min"\nprotein = "100 µg"\n'


def _cli(*args: object) -> None:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output


def _study(folder: Path, section: str, out: Path):
    path = folder / "study.toml"
    path.write_text(
        f'[study]\nname = "one section"\ncompound = "norclomipramine"\n\n'
        f'[study.exposure]\nfree_conc = "0.3 nM"\n\n{section}',
        encoding="utf-8",
    )
    run = run_study(path, out, workers=1)
    assert run.exit_code == 0, [o.section.error for o in run.outcomes]
    (outcome,) = run.outcomes
    return outcome


def _tables(out: Path, slug: str) -> dict[str, pd.DataFrame]:
    results = out / "results"
    return {p.name: pd.read_csv(p) for p in sorted(results.glob(f"{slug}*.csv"))}


def _assert_same_tables(cli_out: Path, study_out: Path, slug: str, names: list[str]) -> None:
    cli, study = _tables(cli_out, slug), _tables(study_out, slug)
    expected = [f"{slug}.csv"] + [f"{slug}_{n}.csv" for n in names[1:]]
    assert sorted(cli) == sorted(study) == sorted(expected)
    for name in expected:
        pd.testing.assert_frame_equal(cli[name], study[name], check_exact=True, obj=name)


def _write_two_files(folder: Path, layout: pd.DataFrame, simulate) -> list[Path]:
    """``single.txt`` (one plate) and ``both.txt`` (two plates in one MicroBeta file)."""
    sims = [without_truth(simulate()) for _ in range(3)]
    write_plate(sims[0], folder / "single.txt", "microbeta")
    second = sims[2].copy()
    second["plate"] = "2"
    write_plate(pd.concat([sims[1], second], ignore_index=True), folder / "both.txt", "microbeta")
    return [folder / "single.txt", folder / "both.txt"]


def _toml_list(paths: list[Path]) -> str:
    return "[" + ", ".join(f'"{p.name}"' for p in paths) + "]"


# ------------------------------------------------------------------ inhibition


@pytest.fixture(scope="module")
def inhibition(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inhibition")
    concs = concentration_series(KI_M, radioligand_M=S_M, kd_M=KM_M, n=10)
    layout = uptake_layout(list(concs), compound="norclomipramine", substrate_M=S_M, target="NET")
    layout["km_M"] = KM_M
    write_layout(layout, folder / "layout.toml")
    rng = np.random.default_rng(11)
    plates = _write_two_files(
        folder, layout, lambda: simulate_uptake(layout, ki_M=KI_M, substrate_M=S_M, rng=rng, **SIM)
    )
    cli_out = folder / "cli"
    _cli("uptake", "analyze", *plates, "--layout", folder / "layout.toml", *CLI_CONSTS,
         "--out", cli_out)  # fmt: skip
    section = (
        f'[[uptake]]\nname = "inhibition"\nplates = {_toml_list(plates)}\n'
        f'layout = "layout.toml"\nkm = "0.3 µM"\n{TOML_CONSTS}'
    )
    study_out = folder / "study"
    outcome = _study(folder, section, study_out)
    return cli_out, study_out, outcome, plates


def test_inhibition_cli_and_study_give_the_same_tables(inhibition):
    cli_out, study_out, outcome, plates = inhibition
    assert list(outcome.result.tables) == ["curves", "aggregate", "qc", "wells", "exclusions"]
    _assert_same_tables(
        cli_out,
        study_out,
        "uptake1_inhibition",
        ["curves", "aggregate", "qc", "wells", "exclusions"],
    )
    for out in (cli_out, study_out):
        curves = pd.read_csv(out / "results" / "uptake1_inhibition.csv")
        qc = pd.read_csv(out / "results" / "uptake1_inhibition_qc.csv")
        agg = pd.read_csv(out / "results" / "uptake1_inhibition_aggregate.csv")
        # one file = one experiment, whether it holds one plate or two
        assert curves["experiment"].nunique() == len(plates) == 2
        assert sorted(curves["experiment"]) == ["both", "single"]
        assert len(qc) == 3  # three plates
        assert int(agg["n"].iloc[0]) == len(plates)
    doc = json.loads((study_out / "results" / "uptake1_inhibition.json").read_text())
    assert {f["key"] for f in doc["provenance"]["inputs"]} == {"plates[1]", "plates[2]", "layout"}


def test_inhibition_study_recovers_the_simulated_ki_and_ic50(inhibition):
    _, _, outcome, _ = inhibition
    res = outcome.result
    curves = res.curves
    true_ic50 = KI_M * (1 + S_M / KM_M)
    assert (curves["status"] == "converged").all()
    for rec in curves.to_dict("records"):
        assert rec["ki_ci_low_M"] < KI_M < rec["ki_ci_high_M"]
        assert rec["ic50_ci_low_M"] < true_ic50 < rec["ic50_ci_high_M"]
        assert abs(rec["pki"] - (-np.log10(KI_M))) < 0.3
    agg = res.tables["aggregate"].iloc[0]
    assert agg["ki_geomean_M"] == pytest.approx(KI_M, rel=0.5)
    assert agg["ic50_geomean_M"] == pytest.approx(true_ic50, rel=0.5)
    rows = res.headline_rows()
    assert list(rows["role"]) == ["effect"]  # a functional read-out, never pooled as a Ki
    assert rows["ki_M"].iloc[0] == agg["ki_geomean_M"]
    assert rows["ic50_M"].iloc[0] == agg["ic50_geomean_M"]
    assert outcome.effects and "Ki" in outcome.effects[0][1]


# ------------------------------------------------------------------ kinetics


@pytest.fixture(scope="module")
def kinetics(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinetics")
    layout = saturation_layout(
        KM_M * np.geomspace(0.1, 10, 8), radioligand="[3H]norepinephrine", target="NET"
    )
    write_layout(layout, folder / "layout.toml")
    rng = np.random.default_rng(5)
    plates = _write_two_files(
        folder,
        layout,
        lambda: simulate_uptake_kinetics(layout, nonspecific_fraction=0.3, rng=rng, **SIM),
    )
    cli_out = folder / "cli"
    _cli("uptake", "kinetics", *plates, "--layout", folder / "layout.toml", *CLI_CONSTS,
         "--out", cli_out)  # fmt: skip
    section = (
        f'[[uptake]]\nname = "kinetics"\nmode = "kinetics"\nplates = {_toml_list(plates)}\n'
        f'layout = "layout.toml"\n{TOML_CONSTS}'
    )
    study_out = folder / "study"
    outcome = _study(folder, section, study_out)
    return cli_out, study_out, outcome, plates


def test_kinetics_cli_and_study_give_the_same_tables(kinetics):
    cli_out, study_out, outcome, plates = kinetics
    assert list(outcome.result.tables) == ["curves", "points", "exclusions"]
    _assert_same_tables(cli_out, study_out, "uptake1_kinetics", ["curves", "points", "exclusions"])
    for out in (cli_out, study_out):
        curves = pd.read_csv(out / "results" / "uptake1_kinetics.csv")
        assert len(curves) == curves["experiment"].nunique() == len(plates) == 2
        points = pd.read_csv(out / "results" / "uptake1_kinetics_points.csv")
        assert points.groupby("experiment")["plate"].nunique().to_dict() == {
            "both": 2,
            "single": 1,
        }


def test_kinetics_study_recovers_the_simulated_km_and_vmax(kinetics):
    _, _, outcome, _ = kinetics
    res = outcome.result
    assert res.kind == "kinetics"
    for rec in res.curves.to_dict("records"):
        assert rec["status"] == "converged"
        assert rec["km_ci_low_M"] < KM_M < rec["km_ci_high_M"]
        assert rec["vmax_ci_low"] < VMAX < rec["vmax_ci_high"]
        assert rec["km_M"] == pytest.approx(KM_M, rel=0.35)
        assert rec["vmax_pmol_per_mg_per_min"] == pytest.approx(VMAX, rel=0.3)
    rows = res.headline_rows()
    assert list(rows["role"]) == ["effect", "effect"]
    assert len(outcome.effects) == 2 and all("Km" in text for _, text in outcome.effects)
