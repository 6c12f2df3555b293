"""Exclusions of microdialysis samples and animals, and of FST/TST animals.

An excluded animal or sample stays in every table with its reason, is left out
of the baseline, the AUC and the statistics (which equal those of the data
without it), and is drawn as an open symbol; the unstable-baseline rule is an
exclusion with its rule, never silent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.behavior.sections import analyse_fst
from pdstudy.assays.microdialysis import plot_time_course
from pdstudy.assays.microdialysis.sections import analyse_microdialysis
from pdstudy.cli import app
from pdstudy.examples import write_example_study
from pdstudy.study import load_study


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_example_study(tmp_path_factory.mktemp("example_invivo"), videos=False)


@pytest.fixture(scope="module")
def spec(example: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The example study with its [design] applied: coded mice matched to their groups
    through the unblinding key, as `pdstudy run` does."""
    from pdstudy.study.design_run import apply_design

    unblinded, run = apply_design(load_study(example), tmp_path_factory.mktemp("design_out"))
    assert run is not None and not run.blind
    return unblinded


def _values(spec: Any, kind: str, **extra: Any) -> dict[str, Any]:
    (section,) = [s for s in spec.sections if s.kind == kind]
    return {**section.values, "exclude": None, **extra}


@pytest.fixture(scope="module")
def dialysis(spec: Any) -> dict[str, Any]:
    v = _values(spec, "microdialysis")
    every = analyse_microdialysis(v)
    animals = sorted(set(every.auc["animal"]))
    return {"values": v, "every": every, "animals": animals}


def _open_markers(ax: Any) -> int:
    from matplotlib.collections import PathCollection

    n = 0
    for coll in ax.collections:
        if isinstance(coll, PathCollection):
            fc = np.asarray(coll.get_facecolor())
            if len(fc) == 0 or np.allclose(fc[:, 3], 0):
                n += len(coll.get_offsets())
    return n


def test_an_excluded_dialysis_animal_is_kept_and_left_out_of_the_statistics(dialysis):
    v, every = dialysis["values"], dialysis["every"]
    animal = dialysis["animals"][0]
    got = analyse_microdialysis({**v, "exclude": [{"animal": animal, "reason": "probe misplaced"}]})
    auc = got.tables["auc"]
    mine = auc[auc["animal"] == animal]
    assert len(mine) == len(every.auc[every.auc["animal"] == animal])
    assert mine["excluded"].all() and (mine["exclude_reason"] == "probe misplaced").all()
    # the other animals' AUC are unchanged
    others = auc[auc["animal"] != animal].reset_index(drop=True)
    ref = every.auc[every.auc["animal"] != animal].reset_index(drop=True)
    assert np.allclose(others["auc_pct_min"], ref["auc_pct_min"], equal_nan=True)
    # the AUC comparison is the one of the animals kept
    from pdstudy.stats import dunnett_vs_control

    ctrl = got.settings["control"]
    kept = ref[ref["analyte"] == "NE"]
    expect = dunnett_vs_control(kept, value="auc_pct_min", control=ctrl)
    stats = got.tables["stats"]
    mine_stats = stats[stats["analyte"] == "NE"].tail(len(expect))  # Dunnett comes last
    assert np.allclose(
        mine_stats["p_value"].to_numpy(float), expect["p_value"].to_numpy(float), equal_nan=True
    )
    # every row of the animal is marked in the samples and % baseline tables
    for name in ("samples", "percent_baseline"):
        t = got.tables[name]
        assert t.loc[t["animal"] == animal, "excluded"].all(), name
        assert not t.loc[t["animal"] != animal, "excluded"].any(), name
    ax = plot_time_course(got, analyte="NE")
    n_rows = int(
        (
            (got.percent_baseline["animal"] == animal) & (got.percent_baseline["analyte"] == "NE")
        ).sum()
    )
    assert _open_markers(ax) == n_rows
    table = got.tables["exclusions"]
    assert table[["animal", "reason", "by"]].values.tolist() == [
        [animal, "probe misplaced", "declared"]
    ]


def test_an_excluded_baseline_sample_changes_the_baseline_as_by_hand(dialysis):
    v, every = dialysis["values"], dialysis["every"]
    animal = dialysis["animals"][1]
    s = every.samples
    pre = s[(s["animal"] == animal) & (s["analyte"] == "NE") & (s["time_s"] < 0)]
    pre = pre.sort_values("time_s")
    sample = int(pre["sample"].iloc[-1])
    got = analyse_microdialysis(
        {**v, "exclude": [{"animal": animal, "sample": sample, "reason": "probe clogged"}]}
    )
    k = int(v["baseline_samples"])
    kept = pre[pre["sample"].astype(int) != sample]["conc_nM"].to_numpy(float)[-k:]
    row = got.auc[(got.auc["animal"] == animal) & (got.auc["analyte"] == "NE")].iloc[0]
    assert row["baseline_nM"] == pytest.approx(kept.mean(), rel=1e-12)
    assert not bool(row["excluded"])
    t = got.samples
    hit = t[(t["animal"] == animal) & (t["sample"].astype(str) == str(sample))]
    assert hit["excluded"].all() and (hit["excluded_by"] == "declared").all()
    assert int(t["excluded"].sum()) == len(hit)


def test_the_unstable_baseline_rule_is_an_exclusion_with_its_rule(dialysis):
    v = dialysis["values"]
    got = analyse_microdialysis(
        {**v, "baseline_tolerance": 0.02, "exclude_unstable_baseline": True}
    )
    flagged = got.auc[got.auc["flags"].str.contains("unstable_baseline")]
    assert len(flagged) and flagged["excluded"].all()
    assert (flagged["excluded_by"] == "baseline").all()
    table = got.tables["exclusions"]
    assert len(table) == len(flagged) and (table["by"] == "baseline").all()
    assert table["rule"].str.contains("±2 %").all()
    assert any("unstable baseline" in r for r in got.settings["exclusion_rules"])
    off = analyse_microdialysis({**v, "baseline_tolerance": 0.02})
    assert not off.auc["excluded"].any() and off.auc["flags"].str.contains("unstable").any()


def test_a_dialysis_exclusion_that_names_nothing_fails_validation(example: Path):
    text = example.read_text(encoding="utf-8")
    bad = text.replace(
        "baseline_samples = 3\n",
        'baseline_samples = 3\nexclude = [{ animal = "veh1", sample = 99, reason = "x" }, '
        '{ animal = "rat99", reason = "y" }]\n',
        1,
    )
    path = example.parent / "bad_dialysis.toml"
    path.write_text(bad, encoding="utf-8")
    from pdstudy.errors import StudyFileError

    with pytest.raises(StudyFileError) as err:
        load_study(path)
    paths = [p for p, _ in err.value.problems]
    assert paths == ["microdialysis[1].exclude[1].sample", "microdialysis[1].exclude[2].animal"]


# ------------------------------------------------------------------ behaviour


def test_an_excluded_fst_animal_is_kept_and_left_out_of_the_statistics(spec: Any):
    from pdstudy.assays.behavior import plot_groups
    from pdstudy.stats.groups import compare_to_control

    v = _values(spec, "fst")
    every = analyse_fst(v)
    animal = str(every.animals["animal"].iloc[0])
    got = analyse_fst({**v, "exclude": [{"animal": animal, "reason": "taken out at 90 s"}]})
    animals = got.tables["animals"]
    assert len(animals) == len(every.animals)
    row = animals[animals["animal"] == animal].iloc[0]
    assert bool(row["excluded"]) and row["exclude_reason"] == "taken out at 90 s"
    kept = every.animals[(every.animals["animal"] != animal) & (every.animals["status"] == "ok")]
    doses = kept.groupby("group")["dose"].first().astype(float).to_dict()
    expect = compare_to_control(
        kept, dv="immobility_s", group="group", control="vehicle", doses=doses, method="auto"
    )
    pd.testing.assert_frame_equal(
        got.groups.reset_index(drop=True), expect.descriptives.reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(
        got.contrasts.reset_index(drop=True), expect.contrasts.reset_index(drop=True)
    )
    assert _open_markers(plot_groups(got)) == 1


def test_cli_exclude_of_an_animal_gives_the_study_file_result(spec: Any, tmp_path: Path):
    v = _values(spec, "tst")
    from pdstudy.assays.behavior.sections import analyse_tst

    animal = str(analyse_tst(v).animals["animal"].iloc[0])
    study = analyse_tst({**v, "exclude": [{"animal": animal, "reason": "climbed its tail"}]})
    out = tmp_path / "cli"
    res = CliRunner().invoke(
        app,
        ["behavior", "tst", "--event-logs", *[str(p) for p in v["event_logs"]],
         "--animals", str(v["animals"]), "--out", str(out),
         "--exclude", f'{animal}="climbed its tail"'],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    groups = pd.read_csv(out / "results" / "tst1_tst_groups.csv")
    assert groups["n"].tolist() == study.groups["n"].tolist()
    assert np.allclose(groups["mean"], study.groups["mean"])
    table = pd.read_csv(out / "results" / "tst1_tst_exclusions.csv")
    assert table[["animal", "reason", "by"]].values.tolist() == [
        [animal, "climbed its tail", "declared"]
    ]
