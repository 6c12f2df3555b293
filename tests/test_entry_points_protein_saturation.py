"""One path from raw files to results, for protein and saturation binding.

``pdstudy protein analyze`` and ``pdstudy binding saturation`` are one-section
studies: on the same inputs they give exactly the tables (and file names) of a
study file with just that section. The study path is checked against the
simulator's truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.design.plates import protein_layout
from pdstudy.io import write_layout, write_plate
from pdstudy.simulate import simulate_protein_plate, without_truth
from pdstudy.study import run_study

runner = CliRunner()

#: true protein concentrations of the simulated protein plate's samples (µg/mL, undiluted)
PROTEIN_TRUTH = {"S1": 250.0, "S2": 500.0, "S3": 900.0}
#: the saturation membranes: 350 µg/mL x 100 µL = 35 µg per well, the simulator's default
MEMBRANES_UG_PER_ML = 350.0
#: simulate_saturation's defaults
KD_M, BMAX_FMOL_PER_MG = 0.8e-9, 2000.0


def _cli(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _capture(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[Any]:
    """Record the outcome of the command's one-section study."""
    seen: list[Any] = []
    original = module.run_one

    def recording(*args: Any, **kw: Any) -> Any:
        outcome = original(*args, **kw)
        seen.append(outcome)
        return outcome

    monkeypatch.setattr(module, "run_one", recording)
    return seen


def _study(folder: Path, body: str, out: Path) -> Any:
    path = folder / f"{out.name}.toml"
    path.write_text(
        '[study]\nname = "one section"\ncompound = "norclomipramine"\n\n'
        '[study.exposure]\nfree_conc = "0.3 nM"\n\n' + body,
        encoding="utf-8",
    )
    run = run_study(path, out, workers=1)
    assert run.exit_code == 0, [o.summary for o in run.outcomes]
    (outcome,) = run.outcomes
    assert outcome.ok, outcome.summary
    return outcome


def _same_outputs(cli_outcome: Any, cli_out: Path, study_outcome: Any, study_out: Path) -> None:
    a, b = cli_outcome.result.tables, study_outcome.result.tables
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    for sub in ("results", "figures"):
        cli_names = sorted(p.name for p in (cli_out / sub).iterdir())
        study_names = sorted(p.name for p in (study_out / sub).iterdir())
        assert set(cli_names) <= set(study_names), sub  # the study adds its report files
    for p in (cli_out / "results").glob("*.csv"):
        assert p.read_bytes() == (study_out / "results" / p.name).read_bytes(), p.name


# ------------------------------------------------------------------ protein


@pytest.fixture(scope="module")
def protein_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("protein")
    lay = protein_layout(list(PROTEIN_TRUTH))
    sim = simulate_protein_plate(lay, samples_ug_per_mL=PROTEIN_TRUTH, seed=11)
    write_layout(lay, folder / "bca_layout.toml")
    write_plate(without_truth(sim), folder / "bca_plate.csv", "long_csv")
    return folder


PROTEIN_SECTION = """\
[[protein]]
name = "protein"
plates = ["bca_plate.csv"]
layout = "bca_layout.toml"
method = "BCA"
"""


def test_protein_cli_equals_the_study_section(protein_files, tmp_path, monkeypatch):
    import pdstudy.cli.protein as cli_protein

    seen = _capture(monkeypatch, cli_protein)
    cli_out = tmp_path / "cli"
    res = _cli("protein", "analyze", protein_files / "bca_plate.csv",
               "--layout", protein_files / "bca_layout.toml", "--out", cli_out)  # fmt: skip
    assert res.exit_code == 0, res.output
    (cli_outcome,) = seen
    study_outcome = _study(protein_files, PROTEIN_SECTION, tmp_path / "study")
    _same_outputs(cli_outcome, cli_out, study_outcome, tmp_path / "study")
    # the same plates (independent standard curves) and samples
    assert list(cli_outcome.result.chosen) == list(study_outcome.result.chosen) == ["bca_plate"]
    assert len(study_outcome.result.tables["by_sample"]) == len(PROTEIN_TRUTH)
    for name in ("", "_by_sample", "_models", "_standards"):
        assert (cli_out / "results" / f"protein1_protein{name}.csv").is_file(), name


def test_protein_study_recovers_the_simulated_concentrations(protein_files, tmp_path):
    outcome = _study(protein_files, PROTEIN_SECTION, tmp_path / "study")
    by = outcome.result.tables["by_sample"].set_index("sample")
    for sample, ug_per_mL in PROTEIN_TRUTH.items():
        row = by.loc[sample]
        assert row["protein_mg_per_mL"] == pytest.approx(ug_per_mL / 1e3, rel=0.08), sample
        assert row["ci_low_mg_per_mL"] < ug_per_mL / 1e3 * 1.08
        assert row["ci_high_mg_per_mL"] > ug_per_mL / 1e3 * 0.92
    written = pd.read_csv(tmp_path / "study" / "results" / "protein1_protein_by_sample.csv")
    assert list(written["sample"]) == list(PROTEIN_TRUTH)


# ------------------------------------------------------------------ saturation


@pytest.fixture(scope="module")
def saturation_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("saturation")
    res = _cli("binding", "simulate", "--assay", "saturation", "--n-plates", "2", "--seed", "5",
               "--out", folder)  # fmt: skip
    assert res.exit_code == 0, res.output
    lay = protein_layout(["membranes"])
    sim = simulate_protein_plate(lay, samples_ug_per_mL={"membranes": MEMBRANES_UG_PER_ML}, seed=3)
    write_layout(lay, folder / "protein_layout.toml")
    write_plate(without_truth(sim), folder / "protein_plate.csv", "long_csv")
    return folder


SATURATION_SECTION = """\
[[saturation]]
name = "saturation"
plates = ["plate_1.txt", "plate_2.txt"]
layout = "layout.toml"
specific_activity = "80 Ci/mmol"
efficiency = 0.45
protein_plate = "protein_plate.csv"
protein_layout = "protein_layout.toml"
suspension_volume = "100 µL"
"""


def test_saturation_cli_equals_the_study_section(saturation_files, tmp_path, monkeypatch):
    import pdstudy.cli.binding as cli_binding

    seen = _capture(monkeypatch, cli_binding)
    f = saturation_files
    cli_out = tmp_path / "cli"
    res = _cli("binding", "saturation", f / "plate_1.txt", f / "plate_2.txt",
               "--layout", f / "layout.toml", "--specific-activity", "80 Ci/mmol",
               "--efficiency", "0.45", "--protein-plate", f / "protein_plate.csv",
               "--protein-layout", f / "protein_layout.toml", "--suspension-volume", "100 uL",
               "--out", cli_out)  # fmt: skip
    assert res.exit_code == 0, res.output
    (cli_outcome,) = seen
    study_outcome = _study(f, SATURATION_SECTION, tmp_path / "study")
    _same_outputs(cli_outcome, cli_out, study_outcome, tmp_path / "study")
    a, b = cli_outcome.result, study_outcome.result
    assert a.params["experiment"].nunique() == b.params["experiment"].nunique() == 2
    assert a.options["protein_mg_per_well"] == b.options["protein_mg_per_well"]
    # the protein sub-result is the same, and its standard curve is drawn
    for name, table in a.protein.tables.items():
        pd.testing.assert_frame_equal(table, b.protein.tables[name], obj=f"protein {name}")
    figs = {p.name for p in (cli_out / "figures").iterdir()}
    assert {"saturation1_saturation_1.svg", "saturation1_saturation_protein.png"} <= figs
    # provenance: the plates, the layout and the protein plate with its layout
    keys = {i.key for i in b.inputs}
    assert {"plates[1]", "plates[2]", "layout", "protein_plates[1]", "protein_layout"} <= keys


def test_saturation_study_recovers_kd_bmax_and_the_protein(saturation_files, tmp_path):
    outcome = _study(saturation_files, SATURATION_SECTION, tmp_path / "study")
    result = outcome.result
    # the protein per well read off the protein plate: 0.35 mg/mL x 100 µL = 35 µg
    assert result.protein is not None
    assert result.protein.protein_mg_per_mL("membranes") == pytest.approx(
        MEMBRANES_UG_PER_ML / 1e3, rel=0.08
    )
    assert result.options["protein_mg_per_well"] == pytest.approx(0.035, rel=0.08)
    params = pd.read_csv(tmp_path / "study" / "results" / "saturation1_saturation.csv")
    glob = params[params["method"] == "total_nsb"]
    assert len(glob) == 2
    assert ((glob["kd_M"] / KD_M - 1).abs() < 0.2).all()
    assert ((glob["bmax_fmol_per_mg"] / BMAX_FMOL_PER_MG - 1).abs() < 0.2).all()
    assert ((glob["kd_ci_low_M"] < KD_M) & (glob["kd_ci_high_M"] > KD_M)).all()
    wells = pd.read_csv(tmp_path / "study" / "results" / "saturation1_saturation_wells.csv")
    assert set(wells["role"]) == {"total", "nsb"}
    assert any("Kd" in text for _, text in outcome.effects)
