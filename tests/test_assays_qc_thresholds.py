"""One documented set of QC thresholds per kind of plate, overridable in the study file and CLI.

Before: uptake accepted plates with Z' down to -0.5 while binding flagged
below 0.5, neither was a study-file key, and a plate with Z' = 0.15 passed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.binding import QCThresholds
from pdstudy.assays.binding.sections import BINDING
from pdstudy.assays.qc import BINDING_QC, UPTAKE_QC, z_prime
from pdstudy.assays.uptake import analyze_uptake
from pdstudy.assays.uptake.sections import UPTAKE
from pdstudy.cli import app
from pdstudy.design import competition_layout, concentration_series, uptake_layout
from pdstudy.io import write_layout, write_plate
from pdstudy.simulate import simulate_competition, simulate_uptake, without_truth

UPTAKE_KW = {
    "km_M": 0.3e-6,
    "specific_activity_Ci_per_mmol": 40.0,
    "incubation_s": 300.0,
    "protein_mg_per_well": 0.1,
}


def _uptake_plate_with_z(z: float) -> pd.DataFrame:
    concs = concentration_series(0.5e-9, radioligand_M=15e-9, kd_M=0.3e-6)
    plate = simulate_uptake(uptake_layout(concs, compound="x", substrate_M=15e-9), seed=5)
    # control and nonspecific counts 100 CPM apart within each group: Z' = 1 - 600 / gap
    gap = 600.0 / (1.0 - z)
    spread = np.array([-100.0, 0.0, 100.0])
    for role, level in (("control", 1000.0 + gap), ("nsb", 1000.0)):
        idx = plate.index[plate["role"] == role]
        assert len(idx) == 3
        plate.loc[idx, "cpm"] = level + spread
    plate["signal"] = plate["cpm"]
    plate["dpm"] = plate["cpm"] / 0.45
    return plate


def test_every_plate_kind_has_one_documented_set():
    for qc in (BINDING_QC, UPTAKE_QC):
        assert set(qc.why) == {"min_z_prime", "max_cv", "max_nonspecific_fraction"}
        assert all(len(text) > 40 for text in qc.why.values())
    # the competition analysis's own defaults are the binding set
    th = QCThresholds()
    assert th.z_prime_min == BINDING_QC.min_z_prime
    assert th.cv_max_pct == pytest.approx(100 * BINDING_QC.max_cv)
    assert th.nsb_max_pct == pytest.approx(100 * BINDING_QC.max_nonspecific_fraction)


def test_the_thresholds_are_keys_of_the_sections_with_the_documented_defaults():
    for schema, qc in ((BINDING, BINDING_QC), (UPTAKE, UPTAKE_QC)):
        for name in ("min_z_prime", "max_cv", "max_nonspecific_fraction"):
            assert schema.key(name).default == pytest.approx(getattr(qc, name)), (schema, name)


def test_an_uptake_plate_at_z_prime_0_15_is_flagged_under_the_default():
    plate = _uptake_plate_with_z(0.15)
    res = analyze_uptake(plate, **UPTAKE_KW)
    qc = res.qc.iloc[0]
    assert qc["z_prime"] == pytest.approx(0.15, abs=0.02)
    assert "poor_z" in qc["flags"].split(";")
    assert "0.2" in qc["flag_reasons"]
    # overridden, the same plate passes
    res = analyze_uptake(plate, min_z_prime=0.1, **UPTAKE_KW)
    assert "poor_z" not in res.qc.iloc[0]["flags"].split(";")


def test_a_normal_uptake_plate_is_not_flagged():
    plate = _uptake_plate_with_z(0.35)
    assert "poor_z" not in analyze_uptake(plate, **UPTAKE_KW).qc.iloc[0]["flags"]


def test_z_prime_of_the_constructed_counts():
    c = 1000 + 600 / 0.85 + np.array([-100.0, 0.0, 100.0])
    n = 1000 + np.array([-100.0, 0.0, 100.0])
    assert z_prime(c, n) == pytest.approx(0.15)


def test_binding_thresholds_from_the_command_line(tmp_path):
    concs = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9, n=8)
    layout = competition_layout(concs, compound="x", replicates=3, target="NET")
    write_layout(layout, tmp_path / "layout.toml")
    plate = simulate_competition(layout, ki_M=0.5e-9, kd_M=0.8e-9, radioligand_M=1e-9, seed=8)
    write_plate(without_truth(plate), tmp_path / "p.txt", "microbeta")
    outs = {}
    for z in ("0.5", "0.99"):
        out = tmp_path / f"out{z}"
        res = CliRunner().invoke(
            app,
            ["binding", "analyze", str(tmp_path / "p.txt"), "--layout", str(tmp_path / "layout.toml"),
             "--radioligand-conc", "1 nM", "--kd", "0.8 nM", "--min-z-prime", z, "--out", str(out)],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        qc = pd.read_csv(
            out / "results" / "binding1_competition_qc.csv",
            dtype={"flags": str, "flag_reasons": str},
        )
        outs[z] = qc.fillna({"flags": "", "flag_reasons": ""})
    assert "poor_z" not in outs["0.5"]["flags"].iloc[0]
    assert "poor_z" in outs["0.99"]["flags"].iloc[0]
    assert "0.99" in outs["0.99"]["flag_reasons"].iloc[0]
