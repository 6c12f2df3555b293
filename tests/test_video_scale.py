"""The automatic analysis resolution: a larger video is reduced to about the size the
scoring is validated at (320 x 240 sessions analysed at 160 x 120), and its scores do
not change against the finer scale it replaced, on simulated 640 x 480 sessions with
per-frame truth."""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.assays.behavior.sections import FST
from pdstudy.cli.behavior import SCALE_HELP
from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video
from pdstudy.video.immobility import IMMOBILE
from pdstudy.video.score import AUTO_SIDE_PX, auto_scale, fit_threshold, score_trace, trace_video


@pytest.mark.parametrize(
    ("size", "scale"),
    [
        ((320, 240), 2),  # the simulated sessions: analysed at 160 x 120, as validated
        ((640, 480), 4),
        ((1280, 720), 4),
        ((1920, 1080), 8),
        ((1064, 1070), 8),  # ../shared/testdata/video/arena_mouse_bottomview.mp4
        ((480, 120), 1),  # the example study's four TST boxes side by side
        ((160, 120), 1),
        ((3840, 2160), 8),  # at most 8
        ((64, 48), 1),
    ],
)
def test_auto_scale_brings_the_shorter_side_nearest_160_px(size, scale):
    assert auto_scale(*size) == scale
    side = min(size)
    if scale < 8:  # no other power of two comes nearer
        assert all(
            abs(side / s - AUTO_SIDE_PX) >= abs(side / scale - AUTO_SIDE_PX) for s in (1, 2, 4, 8)
        )


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_reduction_is_the_area_mean(scale):
    """Against numpy's block means: each resampling rounds to a whole level (at most 1/2),
    a power of two in halvings, each rounding in turn."""
    from pdstudy.io.videos import _reduce

    y = np.random.default_rng(scale).integers(0, 256, (483, 647), dtype=np.uint8)
    got = _reduce(y, scale)
    h, w = 483 // scale, 647 // scale
    exact = y[: h * scale, : w * scale].reshape(h, scale, w, scale).mean(axis=(1, 3))
    assert got.shape == (h, w)
    roundings = int(np.log2(scale)) if scale & (scale - 1) == 0 else 1
    assert np.abs(got - exact).max() <= 0.5 * roundings + 1e-9


def test_the_help_and_the_study_file_say_the_automatic_rule():
    assert f"{AUTO_SIDE_PX} px" in SCALE_HELP
    key = next(k for k in FST.keys if k.name == "scale")
    assert key.default is None and f"{AUTO_SIDE_PX} px" in key.doc


@pytest.fixture(scope="module")
def vga(tmp_path_factory):
    """640 x 480 sessions (60 s): one to calibrate on, one held out, per test."""
    d = tmp_path_factory.mktemp("vga")
    return {
        test: [
            simulate_behavior_video(
                d / f"{test}{seed}.mp4",
                test=test,
                duration_s=60,
                width=640,
                height=480,
                seed=seed,
                models=[BehaviorModel(immobile_fraction=f, ramp_s=20)],
            )
            for seed, f in ((31, 0.7), (32, 0.45))
        ]
        for test in ("fst", "tst")
    }


@pytest.mark.slow
@pytest.mark.parametrize("test", ["fst", "tst"])
def test_the_automatic_scale_scores_a_640x480_session_as_half_resolution_did(vga, test):
    """Measured before: FST errors 0.3-0.4 s at scales 2, 3 and 4, agreement 0.993-0.996;
    TST 0.3-1.9 s, agreement 0.978-0.985 (120-s sessions, seeds 21-23)."""
    window = (20.0, 60.0) if test == "fst" else (0.0, 60.0)
    calib, held = vga[test]
    truth = held.immobility_s(*window)["m1"]
    true_state = held.truth["state"].to_numpy() == IMMOBILE
    got = {}
    for scale in (None, 2):
        cal_trace = trace_video(calib.path, calib.rois, scale=scale).trace
        assert cal_trace.scale == (4 if scale is None else 2)
        cal = fit_threshold([cal_trace], [calib.immobility_s(*window)], window)
        tv = trace_video(held.path, held.rois, scale=scale)
        scores, states, _ = score_trace(tv.trace, cal.params, window)
        got[scale] = scores["m1"].immobility_s
        assert abs(got[scale] - truth) < 3.0, (scale, got, truth)
        assert np.mean((states[:, 0] == IMMOBILE) == true_state) >= 0.95
    assert got[None] == pytest.approx(got[2], abs=2.0)
