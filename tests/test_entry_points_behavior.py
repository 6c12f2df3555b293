"""One path from videos to results for the forced swim and tail suspension tests.

``pdstudy behavior tst`` / ``fst`` are one-section studies: on the same inputs
they give exactly the tables (and file names) of a study file with just that
section. The study path is checked against the simulator's truth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video, simulate_session
from pdstudy.study import run_study

runner = CliRunner()


def _cli(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def tst_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("tst")
    sims = []
    for k, seed in enumerate((21, 22, 23)):
        sims.append(
            simulate_behavior_video(
                folder / f"tst{k + 1}.mp4",
                test="tst",
                duration_s=30,
                animals=["left", "right"],
                seed=seed,
                models=[
                    BehaviorModel(immobile_fraction=0.7, ramp_s=10),
                    BehaviorModel(immobile_fraction=0.35, ramp_s=10),
                ],
            )
        )
    (folder / "rois.toml").write_text(
        "\n".join(
            f'[[roi]]\nanimal = "{r.animal}"\npolygon = {[list(p) for p in r.vertices]}\n'
            for r in sims[0].rois
        ),
        encoding="utf-8",
    )
    # the third video is the human-scored calibration video
    with (folder / "human.csv").open("w") as fh:
        fh.write("video,animal,immobility_s\n")
        for a, s in sims[2].immobility_s(0, 30).items():
            fh.write(f"tst3.mp4,{a},{s:.3f}\n")
    rows = []
    for k in (1, 2):
        rows.append((f"tst{k}.mp4", "left", "vehicle", 0))
        rows.append((f"tst{k}.mp4", "right", "20 mg/kg", 20))
    pd.DataFrame(rows, columns=["video", "animal", "group", "dose"]).to_csv(
        folder / "animals.csv", index=False
    )
    (folder / "broken.mp4").write_bytes(b"")
    return {"folder": folder, "sims": sims}


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import pdstudy.cli.behavior as mod

    seen: list[Any] = []
    original = mod.run_one

    def recording(*args: Any, **kw: Any) -> Any:
        outcome = original(*args, **kw)
        seen.append(outcome)
        return outcome

    monkeypatch.setattr(mod, "run_one", recording)
    return seen


def _study(folder: Path, body: str, out: Path) -> Any:
    path = folder / f"{out.name}.toml"
    path.write_text(
        '[study]\nname = "one section"\ncompound = "norclomipramine"\n\n'
        '[study.exposure]\nfree_conc = "0.3 nM"\n\n' + body,
        encoding="utf-8",
    )
    run = run_study(path, out, workers=1)
    (outcome,) = run.outcomes
    assert outcome.ok, outcome.summary
    return outcome


def test_calibrated_tst_cli_equals_the_study_section_and_the_truth(
    tst_files, tmp_path, monkeypatch
):
    folder = tst_files["folder"]
    cal = tmp_path / "calibration.json"
    res = _cli("behavior", "calibrate", folder / "tst3.mp4", "--human", folder / "human.csv",
               "--test", "tst", "--rois", folder / "rois.toml", "--window-end", 30,
               "--out", cal)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Pearson r" in res.output and json.loads(cal.read_text())["threshold"] > 0

    seen = _capture(monkeypatch)
    cli_out = tmp_path / "cli"
    res = _cli("behavior", "tst", "--videos", folder / "tst1.mp4", "--videos", folder / "tst2.mp4",
               "--animals", folder / "animals.csv", "--rois", folder / "rois.toml",
               "--calibration", cal, "--window-end", 30, "--out", cli_out)  # fmt: skip
    assert res.exit_code == 0, res.output
    (cli_outcome,) = seen
    section = (
        '[[tst]]\nname = "tst"\nvideos = ["tst1.mp4", "tst2.mp4"]\nanimals = "animals.csv"\n'
        f'rois = "rois.toml"\ncalibration = "{cal.as_posix()}"\nwindow_end = "30 s"\n'
    )
    study_outcome = _study(folder, section, tmp_path / "study")
    a, b = cli_outcome.result.tables, study_outcome.result.tables
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    for p in (cli_out / "results").glob("*.csv"):
        assert p.read_bytes() == (tmp_path / "study" / "results" / p.name).read_bytes(), p.name

    animals = study_outcome.result.animals.set_index(["video", "animal"])
    for k, sim in enumerate(tst_files["sims"][:2]):
        for animal, truth in sim.immobility_s(0, 30).items():
            got = animals.loc[(f"tst{k + 1}.mp4", animal), "immobility_s"]
            assert got == pytest.approx(truth, abs=2.5), (k, animal)
    assert set(animals["group"]) == {"vehicle", "20 mg/kg"}
    assert len(study_outcome.result.contrasts) == 1


def test_a_broken_video_is_a_failed_row_and_the_others_are_scored(tst_files, tmp_path):
    folder = tst_files["folder"]
    pd.DataFrame(
        [
            ("tst1.mp4", "left", "vehicle"),
            ("tst1.mp4", "right", "drug"),
            ("tst2.mp4", "left", "vehicle"),
            ("tst2.mp4", "right", "drug"),
            ("broken.mp4", "left", "vehicle"),
            ("broken.mp4", "right", "drug"),
        ],
        columns=["video", "animal", "group"],
    ).to_csv(tmp_path / "animals.csv", index=False)
    section = (
        '[[tst]]\nvideos = ["'
        + (folder / "tst1.mp4").as_posix()
        + '", "'
        + (folder / "tst2.mp4").as_posix()
        + '", "'
        + (folder / "broken.mp4").as_posix()
        + '"]\nanimals = "animals.csv"\nrois = "'
        + (folder / "rois.toml").as_posix()
        + '"\nwindow_end = "30 s"\n'
    )
    outcome = _study(tmp_path, section, tmp_path / "study")
    a = outcome.result.animals
    bad = a[a["video"] == "broken.mp4"]
    assert list(bad["status"]) == ["failed", "failed"]
    assert bad["reason"].str.contains("broken.mp4.*0 bytes").all()
    assert (a[a["video"] != "broken.mp4"]["status"] == "ok").sum() == 4
    assert outcome.section.status == "flagged"


def test_fst_from_bout_logs_detects_the_simulated_drug_effect(tmp_path):
    import numpy as np

    rng = np.random.default_rng(8)
    logs, animals = [], []
    for g, frac in (("vehicle", 0.7), ("30 mg/kg", 0.3)):
        for i in range(8):
            b = simulate_session(BehaviorModel(immobile_fraction=frac), 360.0, rng)
            b.insert(0, "animal", f"{g[:3]}{i}")
            logs.append(b)
            animals.append((f"{g[:3]}{i}", g))
    pd.concat(logs).to_csv(tmp_path / "bouts.csv", index=False)
    pd.DataFrame(animals, columns=["animal", "group"]).to_csv(tmp_path / "animals.csv", index=False)
    out = tmp_path / "cli"
    res = _cli("behavior", "fst", "--event-logs", tmp_path / "bouts.csv",
               "--animals", tmp_path / "animals.csv", "--out", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    contrasts = pd.read_csv(out / "results" / "fst1_fst_contrasts.csv")
    (row,) = contrasts.itertuples()
    assert row.group == "30 mg/kg" and row.difference < -60 and row.p_value < 0.001
    scores = pd.read_csv(out / "results" / "fst1_fst.csv")
    assert (scores["window_start_s"] == 120).all() and (scores["window_end_s"] == 360).all()


def test_calibration_from_bouts_fits_the_high_threshold_and_keeps_its_scale(tst_files, tmp_path):
    folder = tst_files["folder"]
    sim = tst_files["sims"][2]
    assert "vigorous" in set(sim.bouts["behavior"])  # the simulated human times struggling
    log = tmp_path / "bouts.csv"
    sim.bouts.assign(video="tst3.mp4")[["video", "animal", "behavior", "start_s", "stop_s"]].to_csv(
        log, index=False
    )
    cal = tmp_path / "calibration.json"
    res = _cli("behavior", "calibrate", folder / "tst3.mp4", "--human", log, "--test", "tst",
               "--rois", folder / "rois.toml", "--window-end", 30, "--scale", 1,
               "--out", cal)  # fmt: skip
    assert res.exit_code == 0, res.output
    got = json.loads(cal.read_text())
    assert got["scale"] == 1 and got["high_threshold"] > got["threshold"]
    assert got["vigorous_agreement"]["n"] == 2
    flat = " ".join(res.output.split())
    assert "high threshold" in flat and "vigorous: n = 2" in flat

    # scoring with the calibration decodes at its scale: full resolution, not the automatic 2
    areas = {}
    for name, extra in (("calibrated", ["--calibration", cal]), ("auto", [])):
        out = tmp_path / name
        res = _cli("behavior", "score", folder / "tst1.mp4", "--test", "tst", "--rois",
                   folder / "rois.toml", "--window-end", 30, "--out", out, *extra)  # fmt: skip
        assert res.exit_code == 0, res.output
        motion = pd.read_csv(out / "motion" / "tst1.csv")
        areas[name] = motion.groupby("animal")["area_px"].first()
        scores = pd.read_csv(out / "scores.csv").set_index("animal")
        if name == "calibrated":  # three states: the struggling is timed
            assert (scores["vigorous_s"] > 0).all()
    ratio = areas["calibrated"] / areas["auto"]
    assert ratio.between(3.6, 4.4).all(), ratio

    # an explicit --scale wins, with a warning
    res = _cli("behavior", "score", folder / "tst1.mp4", "--test", "tst", "--rois",
               folder / "rois.toml", "--window-end", 30, "--out", tmp_path / "o", "--scale", 2,
               "--calibration", cal)  # fmt: skip
    assert res.exit_code == 0 and "was fitted at --scale 1" in " ".join(res.output.split())


def test_the_report_shows_the_calibration_agreement_and_the_vigorous_threshold(tst_files, tmp_path):
    folder = tst_files["folder"]
    sim = tst_files["sims"][2]
    log = tmp_path / "bouts.csv"
    sim.bouts.assign(video="tst3.mp4")[["video", "animal", "behavior", "start_s", "stop_s"]].to_csv(
        log, index=False
    )
    cal = tmp_path / "calibration.json"
    res = _cli("behavior", "calibrate", folder / "tst3.mp4", "--human", log, "--test", "tst",
               "--rois", folder / "rois.toml", "--window-end", 30, "--out", cal)  # fmt: skip
    assert res.exit_code == 0, res.output
    fitted = json.loads(cal.read_text())
    out = tmp_path / "out"
    res = _cli("behavior", "tst", "--videos", folder / "tst1.mp4", "--videos",
               folder / "tst2.mp4", "--animals", folder / "animals.csv", "--rois",
               folder / "rois.toml", "--calibration", cal, "--window-end", 30,
               "--out", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    saved = json.loads(next((out / "results").glob("*.json")).read_text())
    params = saved["result"]["settings"]
    assert params["calibration_bias_s"] == fitted["agreement"]["bias_s"]
    assert params["vigorous_n"] == fitted["vigorous_agreement"]["n"] == 2
    assert params["high_threshold"] == fitted["high_threshold"]
    # two animals: no correlation (Pearson r needs three), the bias is still given
    bias = fitted["agreement"]["bias_s"]
    methods = " ".join((out / "methods.txt").read_text(encoding="utf-8").split())
    assert f"on 2 animals: Pearson r n/a, bias {bias:+.1f} s" in methods
    assert f"mobility above {100 * fitted['high_threshold']:.3g} % was vigorous" in methods
    section = (
        '[[tst]]\nname = "tst"\nvideos = ["tst1.mp4", "tst2.mp4"]\nanimals = "animals.csv"\n'
        f'rois = "rois.toml"\ncalibration = "{cal.as_posix()}"\nwindow_end = "30 s"\n'
    )
    _study(folder, section, tmp_path / "study")
    report = " ".join((tmp_path / "study" / "report.html").read_text(encoding="utf-8").split())
    assert "Calibration agreement with human scores" in report and "vigorous time" in report
