"""The sampling schedule of ``pdstudy dialysis design`` and its bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.microdialysis.design import SCHEDULE_COLUMNS, sampling_schedule
from pdstudy.cli import app
from pdstudy.errors import UsageError


def test_schedule_by_hand():
    # 2 h stabilisation, 3 baseline samples of 20 min, dose 10 min after them, 4 post samples,
    # 1.5 uL/min -> 30 uL each; baseline samples -70..-10 min, post 0..80 min
    plan = sampling_schedule(120, 3, 20, 10, 4, 1.5)
    assert list(plan.columns) == SCHEDULE_COLUMNS
    assert plan["sample"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert plan["start_min"].tolist() == [-70, -50, -30, 0, 20, 40, 60]
    assert plan["end_min"].tolist() == [-50, -30, -10, 20, 40, 60, 80]
    assert plan["mid_min"].tolist() == [-60, -40, -20, 10, 30, 50, 70]
    assert plan["phase"].tolist() == ["baseline"] * 3 + ["post"] * 4
    assert (plan["volume_uL"] == 30.0).all()
    assert plan.attrs["perfusion_start_min"] == -190.0


def test_dose_right_after_baseline():
    plan = sampling_schedule(60, 2, 15, 0, 2, 1.0)
    assert plan["start_min"].tolist() == [-30, -15, 0, 15]
    assert plan.attrs["perfusion_start_min"] == -90.0


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ((-1, 3, 20, 0, 4, 1.5), "stabilisation_min"),
        ((120, 0, 20, 0, 4, 1.5), "n_baseline"),
        ((120, 2.5, 20, 0, 4, 1.5), "n_baseline"),
        ((120, 3, 0, 0, 4, 1.5), "interval_min"),
        ((120, 3, 20, -5, 4, 1.5), "dose_after_baseline"),
        ((120, 3, 20, 0, 0, 1.5), "n_post"),
        ((120, 3, 20, 0, 4, float("nan")), "flow_uL_min"),
        ((120, 3, 20, 0, 4, "fast"), "flow_uL_min"),
    ],
)
def test_bad_values_name_the_parameter(args, where):
    with pytest.raises(UsageError, match=where):
        sampling_schedule(*args)


def test_cli_design_writes_the_csv(tmp_path):
    out = tmp_path / "plan" / "schedule.csv"
    res = CliRunner().invoke(
        app,
        ["dialysis", "design", "--out", str(out), "--interval", "30 min", "--flow", "2 uL/min",
         "--baseline-samples", "4", "--post-samples", "6", "--stabilisation", "1.5 h"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out)
    assert list(plan.columns) == SCHEDULE_COLUMNS
    assert len(plan) == 10
    assert plan["start_min"].iloc[0] == -120
    assert (plan["volume_uL"] == 60).all()


def test_cli_design_bad_option_is_named(tmp_path):
    res = CliRunner().invoke(
        app, ["dialysis", "design", "--out", str(tmp_path / "s.csv"), "--interval", "0 min"]
    )
    assert res.exit_code == 2
    assert "--interval" in res.output
    assert not (tmp_path / "s.csv").exists()
