"""The example study's filmed TST session: scored from its video beside the live scores,
against the simulated truth, and the calibration it ships (what `behavior calibrate` fits)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.behavior.analysis import analyze_behavior
from pdstudy.cli import app
from pdstudy.errors import UsageError
from pdstudy.examples import (
    TST_BOXES,
    TST_CALIBRATION,
    write_calibration_clips,
    write_example_study,
)

# --- joining filmed and hand-scored animals to their groups (fast) --------------------------


def _scores(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "video": v,
                "animal": a,
                "test": "tst",
                "window_start_s": 0.0,
                "window_end_s": 360.0,
                "immobility_s": imm,
                "latency_s": 1.0,
                "bouts": 3,
                "active_s": 360.0 - imm,
                "vigorous_s": 0.0,
                "source": src,
                "status": "ok",
                "reason": "",
            }
            for v, a, imm, src in rows
        ]
    )


GROUPS = pd.DataFrame(
    {
        "animal": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "group": ["vehicle", "drug", "vehicle", "drug", "vehicle", "drug"],
        "video": ["s1.mp4", "s1.mp4", "", "", "", ""],
        "roi": ["box2", "box1", "", "", "", ""],
    }
)


def test_filmed_regions_become_their_animals_beside_the_hand_scored_ones() -> None:
    scores = _scores(
        [
            ("s1.mp4", "box1", 150.0, "video"),
            ("s1.mp4", "box2", 200.0, "video"),
            *((("bouts.csv", a, 190.0 + k, "bouts_csv") for k, a in enumerate(["A3", "A5"]))),
            *((("bouts.csv", a, 140.0 + k, "bouts_csv") for k, a in enumerate(["A4", "A6"]))),
        ]
    )
    motion = pd.DataFrame(
        {"video": "s1.mp4", "animal": ["box1", "box2"], "time_s": 0.0, "motion": 0.0}
    )
    res = analyze_behavior(scores, GROUPS, "tst", control="vehicle", motion=motion)
    a = res.animals.set_index("animal")
    assert a.loc["A2", "immobility_s"] == 150.0 and a.loc["A2", "group"] == "drug"
    assert a.loc["A1", "immobility_s"] == 200.0 and a.loc["A1", "group"] == "vehicle"
    assert a.loc["A3", "source"] == "bouts_csv" and a.loc["A3", "group"] == "vehicle"
    assert sorted(res.motion["animal"]) == ["A1", "A2"]  # the traces follow the animals
    assert res.groups.set_index("group")["n"].to_dict() == {"vehicle": 3, "drug": 3}


def test_an_animal_scored_from_its_video_and_by_hand_is_an_error() -> None:
    scores = _scores([("s1.mp4", "box1", 150.0, "video"), ("bouts.csv", "A2", 151.0, "bouts_csv")])
    with pytest.raises(UsageError, match="'A2' is scored twice"):
        analyze_behavior(scores, GROUPS, "tst", control="vehicle")


def test_a_region_of_no_animal_is_named() -> None:
    scores = _scores([("s2.mp4", "box1", 150.0, "video")])
    with pytest.raises(UsageError, match="'box1' of video 's2.mp4' has no group"):
        analyze_behavior(scores, GROUPS, "tst", control="vehicle")


# --- the example study with its filmed session (slow: renders and scores a 6-min video) ------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from pdstudy.assays.behavior.sections import analyse_tst
    from pdstudy.study import load_study
    from pdstudy.study.design_run import apply_design

    root = tmp_path_factory.mktemp("example_videos")
    study = write_example_study(root / "study", seed=20261128)
    spec, _ = apply_design(load_study(study), root / "out")  # unblinded by the key
    (section,) = [s for s in spec.sections if s.kind == "tst"]
    truth = json.loads((root / "study" / "TRUTH.json").read_text(encoding="utf-8"))
    return {"root": root, "study": study, "result": analyse_tst(section.values), "truth": truth}


@pytest.mark.slow
def test_the_filmed_session_is_scored_from_its_video(example: dict[str, Any]) -> None:
    toml = tomllib.loads(example["study"].read_text(encoding="utf-8"))
    (tst,) = toml["tst"]
    assert tst["videos"] and tst["rois"] and tst["event_logs"] and tst["calibration"]
    animals = example["result"].animals
    filmed = example["truth"]["tst_filmed"]
    assert len(filmed) == TST_BOXES
    on_video = animals[animals["source"] == "video"]
    assert sorted(on_video["animal"]) == sorted(f["animal"] for f in filmed)
    assert set(on_video["video"]) == {"tst_day2_session1.mp4"}
    assert (on_video["status"] == "ok").all()
    # every mouse scored once: 20 live, 4 from the video, 8 per group
    assert len(animals) == 24 and animals["animal"].is_unique
    assert (animals["source"] == "bouts_csv").sum() == 24 - TST_BOXES
    assert example["result"].groups["n"].tolist() == [8, 8, 8]
    assert set(example["result"].motion["animal"]) == set(on_video["animal"])
    assert example["result"].settings["calibrated"]
    # the truth file checks each filmed mouse in the report's truth table
    checks = [c for c in example["truth"]["checks"] if c["section"] == "tst[1]"]
    assert [c["where"]["animal"] for c in checks] == [f["animal"] for f in filmed]


@pytest.mark.slow
def test_video_immobility_is_within_5_s_of_the_simulated_truth(example: dict[str, Any]) -> None:
    a = example["result"].animals.set_index("animal")
    errors = {
        f["animal"]: float(a.loc[f["animal"], "immobility_s"]) - f["immobility_s"]
        for f in example["truth"]["tst_filmed"]
    }
    print("video - truth (s):", {k: round(v, 2) for k, v in errors.items()})
    assert all(abs(e) <= 5.0 for e in errors.values()), errors
    # the filmed mice span the doses, so the check is not of one immobility level
    assert len({f["group"] for f in example["truth"]["tst_filmed"]}) >= 2


def test_without_videos_every_tst_is_hand_scored(tmp_path: Path) -> None:
    study = write_example_study(tmp_path / "study", seed=3, videos=False)
    (tst,) = tomllib.loads(study.read_text(encoding="utf-8"))["tst"]
    assert "videos" not in tst and tst["event_logs"] == ["behavior/tst_bouts.csv"]
    assert not (tmp_path / "study" / "behavior" / "videos").exists()
    bouts = pd.read_csv(tmp_path / "study" / "behavior" / "tst_bouts.csv")
    assert bouts["animal"].nunique() == 24
    truth = json.loads((tmp_path / "study" / "TRUTH.json").read_text(encoding="utf-8"))
    assert "tst_filmed" not in truth and all(c["section"] != "tst[1]" for c in truth["checks"])


@pytest.mark.slow
def test_the_shipped_calibration_is_what_behavior_calibrate_fits(tmp_path: Path) -> None:
    clips = write_calibration_clips(tmp_path / "clips")
    out = tmp_path / "calibration.json"
    res = CliRunner().invoke(
        app,
        ["behavior", "calibrate", *map(str, clips), "--human", str(tmp_path / "clips" / "human.csv"),
         "--test", "tst", "--rois", str(tmp_path / "clips" / "rois.toml"), "--scale", "1",
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text(encoding="utf-8"))
    # one step of the calibration's threshold grid is a factor of 1.094
    assert got["threshold"] == pytest.approx(TST_CALIBRATION["threshold"], rel=0.05)
    assert got["min_bout_s"] == TST_CALIBRATION["min_bout_s"]
    # the human bouts time struggling too: the high threshold is fitted, on the same grid
    assert got["high_threshold"] == pytest.approx(TST_CALIBRATION["high_threshold"], rel=0.05)
    assert got["scale"] == TST_CALIBRATION["scale"] == 1
    assert got["vigorous_agreement"]["n"] == 12 and got["vigorous_agreement"]["pearson_r"] > 0.9
    ag = got["agreement"]
    assert ag["n"] == 12 and ag["pearson_r"] > 0.99 and ag["mean_abs_error_s"] < 2.0
    assert ag["warnings"] == []
