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
