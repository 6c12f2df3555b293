"""The behavior commands on bad input: the file and the place are named, the rest is scored."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.simulate.videos import simulate_behavior_video

runner = CliRunner()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("clip")
    return simulate_behavior_video(d / "fst_a.mp4", test="fst", duration_s=12, seed=9)


def _cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_score_reports_bad_videos_and_scores_the_others(clip, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.avi"
    text.write_text("no video here")
    out = tmp_path / "out"
    res = _cli("behavior", "score", clip.path, empty, text, "--test", "fst",
               "--window-start", 2, "--window-end", 12, "--out", out, "--workers", 1)  # fmt: skip
    assert res.exit_code == 1
    flat = " ".join(res.output.split())
    assert "empty.mp4" in flat and "0 bytes" in flat and "notes.avi" in flat
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores["video"]) == ["fst_a.mp4"]
    motion = pd.read_csv(out / "motion" / "fst_a.csv")
    assert len(motion) == 360 and "above_10" in motion.columns
    assert (out / "figures" / "fst_a_motion.png").stat().st_size > 1000


def test_score_rejects_a_video_shorter_than_the_window(clip, tmp_path):
    res = _cli("behavior", "score", clip.path, "--test", "fst", "--out", tmp_path / "o")
    assert res.exit_code == 1
    assert "shorter than the scoring window 120-360 s" in " ".join(res.output.split())


def test_roi_outside_the_frame_is_named(clip, tmp_path):
    rois = tmp_path / "rois.toml"
    rois.write_text('[[roi]]\nanimal = "m1"\nrect = [200, 0, 200, 100]\n')
    res = _cli("behavior", "score", clip.path, "--test", "fst", "--rois", rois,
               "--window-start", 2, "--window-end", 12, "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 1
    assert "ROI 'm1'" in res.output and "outside the 320x240 frame" in " ".join(res.output.split())


def test_calibrate_names_a_human_score_of_a_video_not_given(clip, tmp_path):
    human = tmp_path / "human.csv"
    human.write_text("video,immobility_s\nfst_a.mp4,3.0\nfst_b.mp4,5.0\n")
    res = _cli("behavior", "calibrate", clip.path, "--human", human, "--test", "fst",
               "--out", tmp_path / "cal.json")  # fmt: skip
    assert res.exit_code != 0
    flat = " ".join(res.output.split())
    assert "human.csv, row 3" in flat and "'fst_b.mp4' is not among the videos given" in flat


@pytest.fixture(scope="module")
def tst_pair(tmp_path_factory):
    """A 30-s TST clip of two mice with different despair, and its ROIs file."""
    from pdstudy.simulate.videos import BehaviorModel

    d = tmp_path_factory.mktemp("tst_pair")
    sim = simulate_behavior_video(
        d / "tst_pair.mp4",
        test="tst",
        duration_s=30,
        animals=2,
        seed=21,
        models=[
            BehaviorModel(immobile_fraction=0.7, ramp_s=5),
            BehaviorModel(immobile_fraction=0.3, ramp_s=5),
        ],
    )
    rois = d / "rois.toml"
    rois.write_text(
        "\n".join(
            f'[[roi]]\nanimal = "{r.animal}"\npolygon = {[list(p) for p in r.vertices]}\n'
            for r in sim.rois
        )
    )
    return sim, rois


@pytest.mark.parametrize("kind", ["aggregated", "events"])
def test_calibrate_from_a_boris_export_equals_calibrating_on_totals(tst_pair, tmp_path, kind):
    """A BORIS export of the (simulated) human scoring calibrates like its immobility totals."""
    import json

    from pdstudy.io.event_logs import read_event_log
    from pdstudy.simulate.videos import write_boris

    sim, rois = tst_pair
    boris = write_boris(
        sim.bouts,
        tmp_path / f"boris_{kind}.{'tsv' if kind == 'aggregated' else 'csv'}",
        media_file=sim.path.name,
        test="tst",
        kind=kind,
    )
    log = read_event_log(boris)
    assert log.format == f"boris_{kind}" and set(log.table["video"]) == {"tst_pair.mp4"}
    totals = tmp_path / "human.csv"
    truth = sim.immobility_s(0.0, 30.0)
    totals.write_text(
        "video,animal,immobility_s\n"
        + "".join(f"{sim.path.name},{a},{s:.6f}\n" for a, s in truth.items())
    )
    cal = {}
    for name, human in (("boris", boris), ("totals", totals)):
        res = _cli("behavior", "calibrate", sim.path, "--human", human, "--test", "tst",
                   "--rois", rois, "--window-end", 30, "--out", tmp_path / f"{name}.json")  # fmt: skip
        assert res.exit_code == 0, res.output
        cal[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert cal["boris"]["threshold"] == cal["totals"]["threshold"]
    assert cal["boris"]["min_bout_s"] == cal["totals"]["min_bout_s"]
    # the agreement is against the BORIS bouts scored in the window: the simulated truth
    ag = cal["boris"]["agreement"]
    assert ag["n"] == 2 and ag["mean_abs_error_s"] == pytest.approx(
        cal["totals"]["agreement"]["mean_abs_error_s"], abs=1e-3
    )
    assert ag["mean_abs_error_s"] < 3.0


def test_calibrate_names_a_boris_observation_of_a_video_not_given(tst_pair, tmp_path):
    from pdstudy.simulate.videos import write_boris

    sim, rois = tst_pair
    boris = write_boris(sim.bouts, tmp_path / "other.tsv", media_file="tst_other.mp4", test="tst")
    res = _cli("behavior", "calibrate", sim.path, "--human", boris, "--test", "tst",
               "--rois", rois, "--window-end", 30, "--out", tmp_path / "cal.json")  # fmt: skip
    assert res.exit_code != 0
    flat = " ".join(res.output.split())
    assert "other.tsv" in flat and "observation 'tst_other.mp4'" in flat
    assert "'tst_other.mp4' is not among the videos given (tst_pair.mp4)" in flat


def test_scores_csv_is_what_pandas_would_write(tmp_path):
    from pdstudy.cli.behavior import _write_scores

    rows = [
        {"video": "a.mp4", "animal": "m1", "immobility_s": 223.29999999999995,
         "latency_s": float("nan"), "bouts": 0, "problems": "", "min1_immobility_s": 60.0},
        {"video": "b.mp4", "animal": "m2", "immobility_s": 12.5, "latency_s": 3.25,
         "bouts": 4, "problems": "frame 7: unreadable, skipped", "min1_immobility_s": 0.1},
    ]  # fmt: skip
    _write_scores(tmp_path / "scores.csv", rows, "tst")
    expected = pd.DataFrame(rows)
    expected.insert(2, "test", "tst")
    expected.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "scores.csv").read_text() == (tmp_path / "pandas.csv").read_text()


def test_a_figure_that_fails_is_reported_and_the_scores_kept(clip, tmp_path, monkeypatch):
    import pdstudy.cli.behavior as mod

    def broken(*args, **kwargs):
        raise RuntimeError("no room on the disk")

    # the figure process is forked after this, so it draws with the broken function too
    monkeypatch.setattr(mod, "_motion_figure", broken)
    out = tmp_path / "out"
    res = _cli("behavior", "score", clip.path, "--test", "fst",
               "--window-start", 2, "--window-end", 12, "--out", out)  # fmt: skip
    assert res.exit_code == 1
    flat = " ".join(res.output.split())
    assert "figure not drawn" in flat and "fst_a_motion.png" in flat and "no room" in flat
    assert list(pd.read_csv(out / "scores.csv")["video"]) == ["fst_a.mp4"]


def test_videos_scored_in_workers_or_here_give_the_same_files(clip, tmp_path):
    import shutil

    second = tmp_path / "fst_b.mp4"
    shutil.copy(clip.path, second)
    outs = {}
    for workers in (1, 2):  # 1: here, figures in the forked figure process; 2: worker processes
        out = outs[workers] = tmp_path / f"w{workers}"
        res = _cli("behavior", "score", clip.path, second, "--test", "fst", "--window-start", 2,
                   "--window-end", 12, "--out", out, "--workers", workers)  # fmt: skip
        assert res.exit_code == 0, res.output
        for stem in ("fst_a", "fst_b"):
            assert (out / "figures" / f"{stem}_motion.png").stat().st_size > 1000
    for rel in ("scores.csv", "motion/fst_a.csv", "motion/fst_b.csv"):
        assert (outs[1] / rel).read_text() == (outs[2] / rel).read_text(), rel


def test_simulate_writes_the_frame_size_and_rate_asked_for(tmp_path):
    from pdstudy.io.videos import read_video
    from pdstudy.video.rois import read_rois

    res = _cli("behavior", "simulate", "--test", "tst", "--animals", 2, "--duration", 4,
               "--width", 160, "--height", 120, "--fps", 15, "--seed", 2, "--out", tmp_path)  # fmt: skip
    assert res.exit_code == 0, res.output
    video = read_video(tmp_path / "tst_sim.mp4")
    assert (video.info.width, video.info.height) == (160, 120)
    assert video.info.nominal_fps == pytest.approx(15.0)
    assert sum(1 for _ in video.frames()) == 60
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert truth["frame"].nunique() == 60
    for roi in read_rois(tmp_path / "rois.toml"):  # inside the smaller frame
        xs, ys = zip(*roi.vertices, strict=True)
        assert 0 <= min(xs) and max(xs) <= 160 and 0 <= min(ys) and max(ys) <= 120


def test_a_high_threshold_below_the_threshold_is_refused(clip, tmp_path):
    res = _cli("behavior", "score", clip.path, "--test", "fst", "--window-start", 2,
               "--window-end", 12, "--threshold", 0.01, "--high-threshold", 0.005,
               "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2
    flat = " ".join(res.output.split())
    assert "--high-threshold" in flat and "0.005 is not above the threshold 0.01" in flat
