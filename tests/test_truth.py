"""True vs recovered values of a simulated study (``[study] truth``)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from scipy import stats

from pdstudy.errors import InputFileError
from pdstudy.study.truth import read_truth_checks, truth_vs_recovered


def _outcome(key: str, tables: dict[str, pd.DataFrame], ok: bool = True) -> SimpleNamespace:
    return SimpleNamespace(key=key, ok=ok, result=SimpleNamespace(tables=tables) if ok else None)


AGG = pd.DataFrame(
    {
        "target": ["NET", "SERT"],
        "ki_geomean_M": [0.52e-9, 31e-9],
        "ki_ci_low_M": [0.45e-9, 20e-9],
        "ki_ci_high_M": [0.60e-9, 48e-9],
    }
)
GROUPS = pd.DataFrame({"group": ["vehicle"], "n": [8], "mean": [150.0], "sem": [6.0]})


def _check(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "quantity": "NET Ki",
        "section": "binding[1]",
        "table": "aggregate",
        "where": {"target": "NET"},
        "column": "ki_geomean_M",
        "ci": ["ki_ci_low_M", "ki_ci_high_M"],
        "true": 0.5e-9,
        "unit": "M",
    }
    base.update(kw)
    return base


def test_recovered_value_ratio_and_coverage() -> None:
    outcomes = [_outcome("binding[1]", {"aggregate": AGG})]
    out = truth_vs_recovered([_check(), _check(true=1e-9, quantity="wrong truth")], outcomes)
    first, second = out.iloc[0], out.iloc[1]
    assert first["recovered_over_true"] == pytest.approx(1.04)
    assert first["true_in_ci"] and first["recovered"] == "0.52 nM"
    assert not second["true_in_ci"]  # 1 nM is outside 0.45-0.60 nM


def test_sem_interval_is_t_based() -> None:
    outcomes = [_outcome("fst[1]", {"groups": GROUPS})]
    chk = _check(
        section="fst[1]",
        table="groups",
        where={"group": "vehicle"},
        column="mean",
        ci="sem",
        true=160.0,
        unit="s",
    )
    row = truth_vs_recovered([chk], outcomes).iloc[0]
    half = stats.t.ppf(0.975, 7) * 6.0
    assert row["ci"] == f"{150 - half:.1f} s to {150 + half:.1f} s"  # seconds: to 0.1 s
    assert row["true_in_ci"]


def test_checks_that_name_nothing_are_rows_with_reasons() -> None:
    outcomes = [_outcome("binding[1]", {"aggregate": AGG}), _outcome("uptake[1]", {}, ok=False)]
    out = truth_vs_recovered(
        [
            _check(section="binding[9]"),
            _check(table="nope"),
            _check(where={"target": "DAT"}),
            _check(section="uptake[1]"),
        ],
        outcomes,
    )
    assert list(out["note"]) == [
        "no such section in this study",
        "the section has no table 'nope'",
        "0 rows match",
        "the section failed",
    ]
    assert out["true_in_ci"].isna().all()


def test_truth_file_errors_name_the_check(tmp_path: Path) -> None:
    p = tmp_path / "TRUTH.json"
    p.write_text(json.dumps({"checks": [_check(), {"quantity": "x"}]}), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"checks\[2\].*missing key\(s\) section"):
        read_truth_checks(p)
    p.write_text("{}", encoding="utf-8")
    with pytest.raises(InputFileError, match="no 'checks' list"):
        read_truth_checks(p)
