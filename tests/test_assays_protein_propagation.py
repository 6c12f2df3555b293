"""The protein concentration's uncertainty is carried into Bmax in fmol/mg.

Before, a membrane preparation read at 0.039 mg/mL with a CI of about +/-50 %
gave a Bmax in fmol/mg whose CI was only the counts' CI rescaled.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pdstudy.assays.binding import analyze_saturation
from pdstudy.design import saturation_layout
from pdstudy.simulate import simulate_saturation

PROTEIN = 0.035  # mg per well


@pytest.fixture(scope="module")
def plate():
    lay = saturation_layout(1e-9 * np.geomspace(0.05, 10, 8), replicates=2)
    return simulate_saturation(lay, kd_M=1e-9, protein_mg_per_well=PROTEIN, seed=8)


def _row(plate, ci):
    res = analyze_saturation(
        plate,
        specific_activity_Ci_per_mmol=80.0,
        protein_mg_per_well=PROTEIN,
        protein_ci_mg_per_well=ci,
    )
    return res.params[res.params["method"] == "total_nsb"].iloc[0]


def test_protein_ci_widens_bmax_per_mg_by_the_log_scale_sum(plate):
    exact = _row(plate, None)
    ci = (PROTEIN / 1.5, PROTEIN * 1.5)  # +/-50 % on the log scale
    wide = _row(plate, ci)
    # the counts' part is unchanged
    assert wide["bmax_cpm"] == exact["bmax_cpm"]
    assert wide["bmax_ci_low_cpm"] == exact["bmax_ci_low_cpm"]
    # the per-mg CI combines the two log half-widths (independent errors), by hand:
    b, lo, hi = (
        exact["bmax_fmol_per_mg"],
        exact["bmax_ci_low_fmol_per_mg"],
        exact["bmax_ci_high_fmol_per_mg"],
    )
    down = math.hypot(math.log(b / lo), math.log(1.5))
    up = math.hypot(math.log(hi / b), math.log(1.5))
    assert wide["bmax_fmol_per_mg"] == pytest.approx(b, rel=1e-12)
    assert wide["bmax_ci_low_fmol_per_mg"] == pytest.approx(b * math.exp(-down), rel=1e-9)
    assert wide["bmax_ci_high_fmol_per_mg"] == pytest.approx(b * math.exp(up), rel=1e-9)
    # a +/-50 % protein CI dominates: the Bmax per mg CI is at least as wide
    assert wide["bmax_ci_high_fmol_per_mg"] / b > 1.5
    assert wide["protein_ci_low_mg_per_well"] == pytest.approx(ci[0])
    assert np.isnan(exact["protein_ci_low_mg_per_well"])
