"""The numbers the synapse documentation quotes are the model's, with its defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from pdstudy.pharmacology import SynapseParams, fold_change_vs_occupancy

DOC = Path(__file__).resolve().parents[1] / "docs" / "profile-and-synapse.md"
OCC = [0.67, 0.9, 0.99]


def test_fold_changes_quoted_in_the_docs():
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    base = SynapseParams()
    no_fb = dataclasses.replace(base, feedback=False)
    ideal = dataclasses.replace(no_fb, k_diff_per_s=0.0)
    np.testing.assert_allclose(fold_change_vs_occupancy(ideal, OCC), [3.03, 10, 100], rtol=0.01)
    np.testing.assert_allclose(fold_change_vs_occupancy(no_fb, OCC), [2.97, 9.18, 50.4], rtol=0.01)
    np.testing.assert_allclose(fold_change_vs_occupancy(base, OCC), [1.63, 2.51, 4.58], rtol=0.02)
    assert "10x at 90 %" not in text.replace("(3x at 67 %, 10x at 90 %, 100x at 99 %", "")
    assert "2.97x at 67 %, 9.2x at 90 % and 50x at 99 %" in text
    assert "1.6x at 67 %, 2.5x at 90 % and 4.6x at 99 %" in text
    assert "reproduced by construction, not predicted" in text
