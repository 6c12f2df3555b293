"""A masked or overflowed well is excluded with its reason; the rest of the plate is analysed."""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.assays.binding import analyze_competition_files
from pdstudy.design import competition_layout, concentration_series
from pdstudy.io import read_plate, write_layout, write_plate
from pdstudy.simulate import simulate_competition, without_truth

KI, KD, LIG = 0.5e-9, 0.8e-9, 1e-9


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    d = tmp_path_factory.mktemp("flagged")
    concs = concentration_series(KI, radioligand_M=LIG, kd_M=KD, n=8)
    layout = competition_layout(concs, compound="x", replicates=3, target="NET", radioligand_M=LIG)
    write_layout(layout, d / "layout.toml")
    rng = np.random.default_rng(4)
    plate = without_truth(
        simulate_competition(layout, ki_M=KI, kd_M=KD, radioligand_M=LIG, rng=rng)
    )
    write_plate(plate, d / "clean.csv", "grid_csv")
    well = layout[(layout["role"] == "competition") & (layout["conc_M"] > 0)]["well"].iloc[3]
    row, col = ord(well[0]) - ord("A"), int(well[1:])
    lines = (d / "clean.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[2 + row].split(",")  # a title line and the 1..12 header come first
    cells[col] = "OVRFLW"
    lines[2 + row] = ",".join(cells)
    (d / "flagged.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d, well


def test_flagged_well_is_read_as_excluded(flagged):
    d, well = flagged
    frame = read_plate(d / "flagged.csv")
    row = frame[frame["well"] == well].iloc[0]
    assert bool(row["excluded"]) and "overflow" in row["exclude_reason"]
    assert np.isnan(row["signal"])
    assert frame.loc[frame["well"] != well, "excluded"].eq(False).all()


def test_binding_analyses_the_rest_and_flags_the_well(flagged):
    d, well = flagged
    kwargs = {"radioligand_M": LIG, "kd_M": KD}
    clean = analyze_competition_files([d / "clean.csv"], d / "layout.toml", **kwargs)
    res = analyze_competition_files([d / "flagged.csv"], d / "layout.toml", **kwargs)
    wells = res.tables["wells"]
    assert bool(wells.loc[wells["well"] == well, "excluded"].iloc[0])
    assert int(res.curves["n_points"].iloc[0]) == int(clean.curves["n_points"].iloc[0]) - 1
    assert res.curves["status"].iloc[0] == "converged"
    # one well fewer barely moves the Ki
    assert res.curves["ki_M"].iloc[0] == pytest.approx(clean.curves["ki_M"].iloc[0], rel=0.2)
