"""Competition binding gives the same results through every entry point.

``pdstudy binding analyze``, a ``[[binding]]`` section of ``pdstudy run`` and
:func:`pdstudy.assays.binding.analyze_competition_files` read the same files
through one reader (:func:`pdstudy.assays.plates.read_merged`): each file is
one independent experiment, a file holding two plates included. The tables
must agree exactly, and the mean pKi must recover the simulator's Ki.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.binding import analyze_competition_files
from pdstudy.cli import app
from pdstudy.design import competition_layout, concentration_series
from pdstudy.io import write_layout, write_plate
from pdstudy.simulate import simulate_competition, without_truth
from pdstudy.study import load_study, run_study

KI, KD, LIG = 0.5e-9, 0.8e-9, 1e-9

STUDY = """
[study]
name = "entry points"
compound = "norclomipramine"

[study.exposure]
free_conc = "0.3 nM"

[[binding]]
name = "competition"
target = "NET"
plates = ["two_plates.txt", "one_plate.txt"]
layout = "layout.toml"
radioligand_conc = "1 nM"
kd = "0.8 nM"
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three simulated plates: two in one MicroBeta file, one in another."""
    d = tmp_path_factory.mktemp("entry")
    concs = concentration_series(KI, radioligand_M=LIG, kd_M=KD, n=10)
    layout = competition_layout(
        concs, compound="norclomipramine", replicates=3, target="NET", radioligand_M=LIG
    )
    layout["kd_M"] = KD
    write_layout(layout, d / "layout.toml")
    rng = np.random.default_rng(20261201)
    sims = [
        without_truth(simulate_competition(layout, ki_M=KI, kd_M=KD, radioligand_M=LIG, rng=rng))
        for _ in range(3)
    ]
    two = pd.concat([sims[0].assign(plate="A"), sims[1].assign(plate="B")], ignore_index=True)
    write_plate(two, d / "two_plates.txt", "microbeta")
    write_plate(sims[2], d / "one_plate.txt", "microbeta")
    (d / "study.toml").write_text(STUDY, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def through_cli(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    res = CliRunner().invoke(
        app,
        ["binding", "analyze", str(files / "two_plates.txt"), str(files / "one_plate.txt"),
         "--layout", str(files / "layout.toml"), "--radioligand-conc", "1 nM", "--kd", "0.8 nM",
         "--target", "NET", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def through_study(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    run = run_study(load_study(files / "study.toml"), out, workers=1)
    assert run.outcomes[0].ok, run.outcomes[0].section.error
    return run


def _tables(folder, stem="binding1_competition"):
    names = {"curves": "", "aggregate": "_aggregate", "qc": "_qc", "wells": "_wells"}
    return {k: pd.read_csv(folder / "results" / f"{stem}{v}.csv") for k, v in names.items()}


def test_cli_and_study_write_the_same_tables(through_cli, through_study):
    cli, study = _tables(through_cli), _tables(through_study.out_dir)
    for name in cli:
        pd.testing.assert_frame_equal(cli[name], study[name], obj=name)


def test_one_file_is_one_experiment_whatever_the_entry_point(files, through_cli, through_study):
    api = analyze_competition_files(
        [files / "two_plates.txt", files / "one_plate.txt"],
        files / "layout.toml",
        radioligand_M=LIG,
        kd_M=KD,
    )
    result = through_study.outcomes[0].result
    for curves in (api.curves, result.curves, _tables(through_cli)["curves"]):
        assert list(curves["experiment"]) == ["two_plates", "one_plate"]
    assert set(result.qc["plate"]) == {"two_plates:A", "two_plates:B", "one_plate"}
    assert int(result.tables["aggregate"]["n"].iloc[0]) == 2
    pd.testing.assert_frame_equal(
        api.curves.reset_index(drop=True), result.curves.reset_index(drop=True)
    )


def test_study_path_recovers_the_simulated_ki(through_study):
    agg = through_study.outcomes[0].result.tables["aggregate"].iloc[0]
    assert abs(agg["pki_mean"] - (-math.log10(KI))) < 0.1
    assert agg["ki_ci_low_M"] < KI < agg["ki_ci_high_M"]


def test_result_follows_the_contract(files, through_study):
    import hashlib
    import pickle

    from pdstudy.assays.contract import HEADLINE_COLUMNS, AssayResult

    result = through_study.outcomes[0].result
    assert isinstance(result, AssayResult) and result.kind == "binding"
    assert list(result.tables) == ["curves", "aggregate", "qc", "wells", "exclusions"]
    pd.testing.assert_frame_equal(result.to_frame(), result.curves)
    assert "competition binding" in result.summary()
    rows = result.headline_rows()
    assert tuple(rows.columns) == HEADLINE_COLUMNS and set(rows["role"]) == {"ki"}
    sha = {f.key: f.sha256 for f in result.inputs}
    assert sha["plates[1]"] == hashlib.sha256((files / "two_plates.txt").read_bytes()).hexdigest()
    assert sha["layout"] == hashlib.sha256((files / "layout.toml").read_bytes()).hexdigest()
    again = pickle.loads(pickle.dumps(through_study.outcomes[0]))
    pd.testing.assert_frame_equal(again.result.curves, result.curves)
    assert again.result.fits is not None
