"""The headline's NET occupancy at the time of each behavioural test, from the study PK."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from pdstudy.study.pharmacology import _occupancy_at_behavior_tests


def test_occupancy_is_read_at_the_middle_of_the_scoring_window():
    course = pd.DataFrame({"time_s": np.arange(0, 7200, 60.0)})
    course["occupancy"] = course["time_s"] / 7200  # a known ramp
    fst = SimpleNamespace(kind="fst", ok=True, name="FST",
                          parameters={"pretreatment": 1800.0, "window_start": 120.0, "window_end": 360.0})  # fmt: skip
    tst = SimpleNamespace(kind="tst", ok=True, name="TST",
                          parameters={"pretreatment": 3600.0, "window_start": 0.0, "window_end": 360.0})  # fmt: skip
    other = SimpleNamespace(kind="binding", ok=True, name="b", parameters={})
    lines = _occupancy_at_behavior_tests([fst, tst, other], course)
    assert [label for label, _ in lines] == [
        "predicted NET occupancy during the FST",
        "predicted NET occupancy during the TST",
    ]
    # FST: 1800 + 240 s -> 2040 / 7200 = 28 %; TST: 3600 + 180 s -> 53 %
    assert lines[0][1].startswith("28 % at 34 min")
    assert lines[1][1].startswith("52 % at 63 min")
