"""Strong passive motion (:class:`pdstudy.simulate.videos.PassiveMotion`): an FST animal
carried at 20-60 px/s, bobbing and turning under the ripples; a TST mouse left swinging
0.3-0.5 rad about its tail after each struggle, twisting. The simulator's per-frame truth
calls all of it immobile; the scorer must too.

The fast tests check the simulated motion itself on the decoded frames (the animal's
silhouette measured here with numpy, not with the scorer). The slow tests score 6-minute
sessions: calibrated on two videos, the third held out.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from pdstudy.errors import UsageError
from pdstudy.io.videos import read_video
from pdstudy.simulate.videos import BehaviorModel, PassiveMotion, simulate_behavior_video
from pdstudy.video.immobility import IMMOBILE, smooth
from pdstudy.video.score import fit_threshold, score_trace, trace_video

WINDOWS = {"fst": (120.0, 360.0), "tst": (0.0, 360.0)}
#: per video: the seed, and the immobile fraction of its two animals (the second: 0.6 x)
VIDEOS = {"calibration": ((200, 0.25), (201, 0.45)), "held_out": ((203, 0.35),)}
#: FST: small paddling limbs (real paws under the surface); TST: the default mouse
PADDLE = {"fst": 0.4, "tst": 1.0}


def _silhouette(luma: np.ndarray, dark: int = 100) -> tuple[float, float] | None:
    ys, xs = np.nonzero(luma < dark)
    return (float(xs.mean()), float(ys.mean())) if xs.size > 20 else None


def test_passive_motion_parameters_are_checked(tmp_path):
    with pytest.raises(UsageError, match="drift_px_s"):
        PassiveMotion(drift_px_s=(60.0, 20.0))
    with pytest.raises(UsageError, match="swing_rad"):
        PassiveMotion(swing_rad=(0.3, 2.0))
    with pytest.raises(UsageError, match="swing_decay_s"):
        PassiveMotion(swing_decay_s=0.0)
    with pytest.raises(UsageError, match="paddle"):
        simulate_behavior_video(tmp_path / "x.mp4", duration_s=1, paddle=0.0)


def test_the_floating_animal_drifts_at_20_to_60_px_s(tmp_path):
    """The centroid of the dark pixels (the animal) in the decoded frames moves at 20-60 px/s
    while the truth says immobile; the bouts are those of the same seed without it."""
    model = BehaviorModel(immobile_fraction=0.7, ramp_s=5)
    sim = simulate_behavior_video(
        tmp_path / "drift.mp4", test="fst", duration_s=30, seed=4, passive=PassiveMotion(),
        models=model,
    )  # fmt: skip
    plain = simulate_behavior_video(
        tmp_path / "plain.mp4", test="fst", duration_s=30, seed=4, models=model
    )
    assert sim.bouts.equals(plain.bouts)
    frames = list(read_video(sim.path).frames())
    # inside the water column (the scene around the cylinder is dark too)
    cells = [_silhouette(f.luma[int(0.3 * 240) :, 36:284]) for f in frames]
    state = sim.truth["state"].to_numpy()
    speeds = []
    for k in range(15, len(frames)):  # speed over half a second, inside immobile stretches
        a, b = cells[k - 15], cells[k]
        if a is not None and b is not None and np.all(state[k - 15 : k + 1] == IMMOBILE):
            speeds.append(np.hypot(b[0] - a[0], b[1] - a[1]) / 0.5)
    assert len(speeds) > 200
    # bounces off the wall shorten some half-second paths
    assert 20.0 <= np.median(speeds) <= 60.0
    assert np.percentile(speeds, 90) > 30.0


def test_the_hanging_mouse_swings_0_3_to_0_5_rad_after_a_struggle(tmp_path):
    """The angle of the body's centroid about the tail's pivot, in the decoded frames, swings
    0.3-0.5 rad at most in the first second after a struggle and has decayed 5 s later."""
    sim = simulate_behavior_video(
        tmp_path / "swing.mp4", test="tst", duration_s=60, seed=5, passive=PassiveMotion(),
        models=BehaviorModel(immobile_fraction=0.75, ramp_s=5),
    )  # fmt: skip
    frames = list(read_video(sim.path).frames())
    px, py = 320 / 2, 0.12 * 240  # the tail's pivot
    top = int(py) + 2  # below the bar and the tape
    angles = []
    for f in frames:
        c = _silhouette(f.luma[top:, :], dark=90)
        angles.append(np.nan if c is None else np.arctan2(c[0] - px, c[1] + top - py))
    ang = np.asarray(angles)
    early, late = [], []
    for b in sim.bouts[sim.bouts["behavior"] == "immobile"].itertuples():
        if b.stop_s - b.start_s < 6.5 or b.start_s < 1:
            continue
        f0 = int(np.ceil(b.start_s * 30))
        early.append(np.nanmax(np.abs(ang[f0 : f0 + 30])))
        late.append(np.nanmax(np.abs(ang[f0 + 165 : f0 + 195])))
    assert len(early) >= 2
    # the centroid of the whole outline sits a little inside the body's angle
    assert 0.2 <= np.median(early) <= 0.5
    assert np.median(late) < 0.5 * np.median(early)


# --- 6-minute sessions -----------------------------------------------------------------------


def _make(args):  # noqa: ANN001, ANN202 - a worker
    folder, test, seed, fraction = args
    sim = simulate_behavior_video(
        f"{folder}/{test}{seed}.mp4",
        test=test,
        duration_s=360,
        animals=2,
        seed=seed,
        passive=PassiveMotion(),
        paddle=PADDLE[test],
        models=[
            BehaviorModel(immobile_fraction=fraction),
            BehaviorModel(immobile_fraction=0.6 * fraction),
        ],
    )
    compensated = trace_video(sim.path, sim.rois).trace
    plain = trace_video(sim.path, sim.rois, compensate=False).trace
    return sim, compensated, plain


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """Per test: three 6-minute videos of two animals with strong passive motion (FST: with
    small paddling limbs, so that swimming changes about as many pixels as the drift), each
    traced with the silhouette alignment (pdstudy's default) and without (plain
    differencing)."""
    d = tmp_path_factory.mktemp("passive")
    jobs = [
        (str(d), test, seed, fraction)
        for test in ("fst", "tst")
        for seed, fraction in VIDEOS["calibration"] + VIDEOS["held_out"]
    ]
    with ProcessPoolExecutor(2) as ex:
        made = list(ex.map(_make, jobs))
    return {test: made[3 * k : 3 * k + 3] for k, test in enumerate(("fst", "tst"))}


def _held_out(made, which: int, window):  # noqa: ANN001, ANN202
    """Calibrated on the first two videos (trace ``which``: 1 aligned, 2 plain), the held-out
    animals' immobility errors (s) and per-frame agreement with the truth."""
    calib, held = made[:2], made[2:]
    cal = fit_threshold(
        [m[which] for m in calib], [m[0].immobility_s(*window) for m in calib], window
    )
    errors, agree = [], []
    for sim, *traces in held:
        trace = traces[which - 1]
        scores, states, _ = score_trace(trace, cal.params, window)
        truth = sim.immobility_s(*window)
        for i, animal in enumerate(trace.animals):
            errors.append(scores[animal].immobility_s - truth[animal])
            st = sim.truth[sim.truth["animal"] == animal]["state"].to_numpy()
            agree.append(float(np.mean((states[:, i] == IMMOBILE) == (st == IMMOBILE))))
    return np.asarray(errors), np.asarray(agree)


def _passive_motion_ratio(made) -> np.ndarray:  # noqa: ANN001
    """Per animal: median motion while passive (truth: immobile) aligned / plain, at cutoff 5."""
    ratios = []
    for sim, compensated, plain in made:
        for i, animal in enumerate(compensated.animals):
            st = sim.truth[sim.truth["animal"] == animal]["state"].to_numpy()
            m = [smooth(t.times_s, t.motion(5)[:, i], 0.25) for t in (compensated, plain)]
            ratios.append(np.median(m[0][st == IMMOBILE]) / np.median(m[1][st == IMMOBILE]))
    return np.asarray(ratios)


@pytest.mark.slow
@pytest.mark.parametrize("test", ["fst", "tst"])
def test_strong_passive_motion_scores_within_5_s_of_the_truth(sessions, test):
    """Default scoring, calibrated on the two other videos: held-out errors (s) and per-frame
    agreement, measured: FST -1.4, +1.3 s, 0.974, 0.976; TST +0.8, -0.3 s, 0.967, 0.966."""
    errors, agree = _held_out(sessions[test], 1, WINDOWS[test])
    assert np.all(np.abs(errors) <= 5.0), errors
    assert np.all(agree >= 0.95), agree


@pytest.mark.slow
def test_fst_drift_fools_plain_differencing_not_the_silhouette_alignment(sessions):
    """FST, the floating animal carried at 20-60 px/s: plain differencing (``compensate=False``)
    calibrated the same way scores the held-out animals worse, measured: errors -3.7, +0.3 s
    (aligned: -1.4, +1.3 s) and per-frame disagreement 3.6 % on average (aligned 2.5 %). The
    drift raises plain differencing's motion while passive to 4.0-4.2 x 1e-3 of the region,
    against 5.7-5.8 x 1e-3 while swimming; aligned, 3.1-3.3 against 4.9-5.0. If the
    alignment did nothing the two would be equal: the test asks plain differencing for at
    least 1.25 x the disagreement, and the passive motion for at most 0.85 x (measured
    0.78-0.81)."""
    window = WINDOWS["fst"]
    _, agree = _held_out(sessions["fst"], 1, window)
    _, agree_plain = _held_out(sessions["fst"], 2, window)
    assert np.mean(1 - agree_plain) >= 1.25 * np.mean(1 - agree), (agree, agree_plain)
    ratios = _passive_motion_ratio(sessions["fst"])
    assert np.max(ratios) <= 0.85, ratios


@pytest.mark.slow
def test_tst_swing_is_partly_aligned_away(sessions):
    """TST: aligning on the silhouette lowers the median motion while passive (each animal of
    the three videos) to at most 0.9 x plain differencing's (measured 0.81-0.85): the rigid
    swing about the tail goes, the twist and the front half's lag stay.

    At the score level it makes little difference here: plain differencing, calibrated the
    same way, scores the held-out animals' totals as well (-1.1, -1.3 s against +0.8,
    -0.3 s) and their frames a little worse (0.960, 0.955 against 0.967, 0.966): a 0.3-0.5
    rad swing changes fewer pixels than struggling (median motion while passive 5-7 x 1e-3
    of the region, while struggling 12-13 x 1e-3, without the alignment), so one threshold
    between them separates the states either way."""
    ratios = _passive_motion_ratio(sessions["tst"])
    assert np.max(ratios) <= 0.9, ratios
