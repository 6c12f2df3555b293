"""How many cores one task uses (``pdstudy.types.task_threads``), and that it changes no result.

A task on a dask worker uses one core (the decoder without threads, one segment
at a time), so that a cluster scales by cores; ``PDSTUDY_THREADS`` overrides it.
The motion trace of a video is the same to the last bit with one core or several.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pdstudy.errors import UsageError
from pdstudy.io.videos import read_video
from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video
from pdstudy.types import ENV_THREADS, env_threads, limit_threads, task_threads
from pdstudy.video.score import trace_video


def test_task_threads_is_every_core_unless_limited_or_set(monkeypatch):
    monkeypatch.delenv(ENV_THREADS, raising=False)
    assert env_threads() is None
    assert task_threads() == (os.cpu_count() or 1)
    with limit_threads(1):
        assert task_threads() == 1
        with limit_threads(3):
            assert task_threads() == 3
        assert task_threads() == 1
    assert task_threads() == (os.cpu_count() or 1)
    monkeypatch.setenv(ENV_THREADS, "3")
    assert task_threads() == env_threads() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(ENV_THREADS, bad)
        with pytest.raises(UsageError, match=f"{ENV_THREADS}='{bad}'"):
            task_threads()


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "tst.mp4"
    simulate_behavior_video(
        path, test="tst", duration_s=8, seed=3, models=BehaviorModel(immobile_fraction=0.5)
    )
    return path


def _same_trace(a, b) -> None:
    np.testing.assert_array_equal(a.trace.times_s, b.trace.times_s)
    np.testing.assert_array_equal(a.trace.counts, b.trace.counts)
    np.testing.assert_array_equal(a.trace.shift_px, b.trace.shift_px)


@pytest.mark.parametrize("segments", [None, 2])
def test_one_core_gives_the_same_motion_trace_as_several(video, segments):
    with limit_threads(2):
        several = trace_video(video, segments=segments)
    with limit_threads(1):
        one = trace_video(video, segments=segments)
    _same_trace(several, one)
    assert one.trace.n_frames > 200


def test_one_core_decodes_without_threads(video, monkeypatch):
    import pdstudy.video.score as score

    seen: list[bool] = []

    def recording(path, **kw):
        seen.append(kw["threads"])
        return read_video(path, **kw)

    monkeypatch.setattr(score, "read_video", recording)
    with limit_threads(1):
        trace_video(video)
    with limit_threads(2):
        trace_video(video)
    assert seen == [False, True]
