"""Allocation, blinding and the test-day schedule."""

from __future__ import annotations

import pandas as pd
import pytest

from pdstudy.assays.behavior.design import allocate_groups, blind_videos, schedule_test_day
from pdstudy.errors import UsageError

GROUPS = ["vehicle", "10 mg/kg", "20 mg/kg"]


def _animals(n_per_cohort=(9, 9, 7)):
    rows = [(f"c{c}m{i}", f"cohort{c}") for c, n in enumerate(n_per_cohort) for i in range(n)]
    return pd.DataFrame(rows, columns=["animal", "cohort"])


def test_block_randomisation_is_balanced_within_every_cohort():
    alloc = allocate_groups(_animals(), GROUPS, block="cohort", seed=3)
    counts = alloc.groupby(["block", "group"]).size().unstack(fill_value=0)
    assert set(counts.columns) == set(GROUPS)
    assert (counts.max(axis=1) - counts.min(axis=1) <= 1).all()
    assert (counts.loc[["cohort0", "cohort1"]] == 3).all().all()
    assert counts.loc["cohort2"].sum() == 7
    assert alloc["code"].is_unique and sorted(alloc["order"]) == list(range(1, 26))


def test_allocation_is_reproducible_from_its_seed():
    a = allocate_groups(_animals(), GROUPS, block="cohort", seed=11)
    b = allocate_groups(_animals(), GROUPS, block="cohort", seed=11)
    c = allocate_groups(_animals(), GROUPS, block="cohort", seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not a.set_index("animal")["group"].equals(c.set_index("animal")["group"])


def test_blinded_video_names_and_a_separate_key():
    alloc = allocate_groups([f"m{i}" for i in range(6)], GROUPS[:2], seed=1)
    renamed, key = blind_videos(alloc, {f"m{i}": f"raw/m{i}_fst.mp4" for i in range(6)})
    assert renamed["blinded_video"].str.fullmatch(r"A0\d\.mp4").all()
    assert not renamed["blinded_video"].str.contains(r"m\d").any()  # no animal name leaks
    assert set(key.columns) == {"code", "animal", "group"}
    with pytest.raises(UsageError, match="'x' of the video list is not allocated"):
        blind_videos(alloc, {"x": "x.mp4"})


def test_schedule_staggers_sessions_in_blinded_order():
    alloc = allocate_groups([f"m{i}" for i in range(8)], GROUPS[:2], seed=2)
    s = schedule_test_day(
        alloc, pretreatment_s=45 * 60, session_s=360, changeover_s=120, apparatus=2
    )
    assert list(s["order"]) == list(range(1, 9))
    assert (s["test_time_s"] - s["dose_time_s"] == 45 * 60).all()
    assert list(s["slot"]) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert s["test_time"].iloc[0] == "09:45" and s["test_time"].iloc[2] == "09:53"


def test_bad_allocations():
    with pytest.raises(UsageError, match="two distinct groups"):
        allocate_groups(["a", "b"], ["vehicle"])
    with pytest.raises(UsageError, match="no block column 'cage'"):
        allocate_groups(_animals(), GROUPS, block="cage")


def test_allocate_and_power_commands(tmp_path):
    from typer.testing import CliRunner

    from pdstudy.cli import app

    _animals().to_csv(tmp_path / "animals.csv", index=False)
    pd.DataFrame(
        {"animal": _animals()["animal"], "video": [f"v{i}.mp4" for i in range(25)]}
    ).to_csv(tmp_path / "videos.csv", index=False)
    r = CliRunner().invoke(app, ["behavior", "allocate", str(tmp_path / "animals.csv"),
                                 "--groups", ",".join(GROUPS), "--block", "cohort", "--seed", "4",
                                 "--videos", str(tmp_path / "videos.csv"), "--out", str(tmp_path / "d")])  # fmt: skip
    assert r.exit_code == 0, r.output
    sched = pd.read_csv(tmp_path / "d" / "schedule_blinded.csv")
    assert "group" not in sched.columns and "animal" not in sched.columns  # blinded
    key = pd.read_csv(tmp_path / "d" / "unblinding_key.csv")
    assert set(key["group"]) == set(GROUPS)
    assert len(pd.read_csv(tmp_path / "d" / "blinded_videos.csv")) == 25
    r = CliRunner().invoke(
        app, ["behavior", "power", "--means", "150,120", "--sd", "20", "--n-sim", "500"]
    )
    assert r.exit_code == 0, r.output
    assert "animals per group" in r.output and "closed form" in r.output
