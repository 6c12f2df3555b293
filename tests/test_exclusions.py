"""Exclusions a reviewer can audit: declared in the study file or with ``--exclude``, with reasons.

Excluding a well gives exactly the fit of the same data without that well
(binding, saturation, uptake, protein); excluding an experiment changes n and
the mean pKi as a hand computation says; excluded rows stay in the tables and
are drawn as open symbols; a bad exclusion fails validation with its key path,
every problem at once; the CLI form gives the study file's result.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.binding import analyze_competition
from pdstudy.assays.binding.saturation import analyze_saturation, plot_saturation
from pdstudy.assays.binding.sections import (
    analyse_binding,
    analyse_saturation_section,
    fill_target,
)
from pdstudy.assays.exclusions import (
    READER_RULE,
    Exclusion,
    apply_exclusions,
    check_exclusions,
    reader_exclusions,
    z_prime_exclusions,
)
from pdstudy.assays.plates import read_merged
from pdstudy.assays.protein import analyze_protein
from pdstudy.assays.protein.sections import analyse_protein
from pdstudy.assays.uptake.inhibition import analyze_uptake
from pdstudy.assays.uptake.sections import analyse_uptake_section
from pdstudy.cli import app
from pdstudy.errors import StudyFileError, UsageError
from pdstudy.examples import write_example_study
from pdstudy.study import load_study

NET = "NET competition"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_example_study(tmp_path_factory.mktemp("example"), videos=False)


@pytest.fixture(scope="module")
def spec(example: Path) -> Any:
    return load_study(example)


def _values(spec: Any, name: str, **extra: Any) -> dict[str, Any]:
    """A section's values without the example's own exclusions (unless given)."""
    (section,) = [s for s in spec.sections if s.name == name]
    return {**section.values, "exclude": None, **extra}


def _fits_equal(a: pd.DataFrame, b: pd.DataFrame, cols: list[str]) -> None:
    pd.testing.assert_frame_equal(
        a[cols].reset_index(drop=True), b[cols].reset_index(drop=True), check_dtype=False
    )


def _one_competition_well(frame: pd.DataFrame, plate: str) -> str:
    comp = frame[(frame["plate"] == plate) & (frame["role"] == "competition")]
    return str(comp.sort_values("conc_M")["well"].iloc[len(comp) // 2])


def _open_markers(ax: Any) -> int:
    """How many points the Axes draws with an empty face (open symbols)."""
    from matplotlib.collections import PathCollection

    n = 0
    for coll in ax.collections:
        if not isinstance(coll, PathCollection):
            continue
        fc = np.asarray(coll.get_facecolor())
        if len(fc) == 0 or np.allclose(fc[:, 3], 0):
            n += len(coll.get_offsets())
    return n


# ------------------------------------------------------------------ the core


def test_apply_marks_the_rows_named_and_keeps_them():
    frame = pd.DataFrame(
        {"plate": ["p1", "p1", "p2"], "well": ["A1", "B7", "B7"], "signal": [1.0, 2.0, 3.0]}
    )
    out = apply_exclusions(frame, [Exclusion(reason="pipetting error", plate="p1", well="b07")])
    assert len(out) == 3
    assert out["excluded"].tolist() == [False, True, False]
    assert out["exclude_reason"].tolist() == ["", "pipetting error", ""]
    assert out["excluded_by"].tolist() == ["", "declared", ""]
    with pytest.raises(UsageError, match="plate p9 well B7"):
        apply_exclusions(frame, [Exclusion(reason="x", plate="p9", well="B7")])


def test_check_reports_every_problem_with_its_key_path():
    data = pd.DataFrame(
        {"experiment": ["e1", "e1", "e2"], "plate": ["p1", "p1", "p2"], "well": ["A1", "B7", "B7"]}
    )
    values = {
        "exclude": [
            {"plate": "p1", "well": "B7", "reason": "ok"},
            {"plate": "p3", "well": "B7", "reason": "no such plate"},
            {"plate": "p1", "well": "H12", "reason": "no such well"},
            {"reason": "names nothing"},
            {"well": "B7", "reason": "on two plates"},
            {"animal": "M1", "reason": "wrong kind of field"},
            {"experiment": "e2", "reason": "  "},
        ]
    }
    problems: list[tuple[str, str]] = []
    check_exclusions(
        values, "binding[1]", problems, fields=("experiment", "plate", "well"), data=data
    )
    paths = [p for p, _ in problems]
    assert paths == [
        "binding[1].exclude[2].plate",
        "binding[1].exclude[3].well",
        "binding[1].exclude[4]",
        "binding[1].exclude[5].plate",
        "binding[1].exclude[6].animal",
        "binding[1].exclude[7].reason",
    ]
    assert "p1, p2" in dict(problems)["binding[1].exclude[2].plate"]


def test_a_study_with_bad_exclusions_reports_all_of_them(example: Path):
    text = example.read_text(encoding="utf-8")
    demo = next(line for line in text.splitlines() if 'well = "B7"' in line)
    bad = text.replace(
        demo,
        '  { plate = "net_exp1_microbeta", well = "Z99", reason = "no such well" },\n'
        '  { plate = "net_exp1_microbeta", well = "B7" },\n'
        '  { experiment = "net_exp9", reason = "no such experiment" },',
        1,
    )
    bad = bad.replace(
        'control = "vehicle"\n\n[[tst]]',
        'control = "vehicle"\nexclude = [{ animal = "nobody", reason = "not in the file" }]\n\n[[tst]]',
    )
    assert bad != text
    path = example.parent / "bad_exclusions.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(StudyFileError) as err:
        load_study(path)
    paths = {p for p, _ in err.value.problems}
    assert {
        "binding[1].exclude[1].well",
        "binding[1].exclude[2].reason",
        "binding[1].exclude[3].experiment",
        "fst[1].exclude[1].animal",
    } <= paths
    assert "missing (required)" in dict(err.value.problems)["binding[1].exclude[2].reason"]


# ------------------------------------------------------------------ binding


def test_excluding_a_binding_well_is_the_fit_without_it(spec: Any):
    v = _values(spec, NET)
    frame = fill_target(read_merged(v["plates"], v["layout"]), v["target"])
    plate = "net_exp2_topcount"
    well = _one_competition_well(frame, plate)
    got = analyse_binding({**v, "exclude": [{"plate": plate, "well": well, "reason": "tip"}]})
    reduced = frame[~((frame["plate"] == plate) & (frame["well"] == well))].copy()
    reduced.attrs = frame.attrs
    direct = analyze_competition(
        reduced, radioligand_M=v["radioligand_conc"], kd_M=v["kd"],
        specific_activity_Ci_per_mmol=v["specific_activity"], volume_L=v["volume"],
    )  # fmt: skip
    cols = ["experiment", "ki_M", "ki_ci_low_M", "ki_ci_high_M", "hill", "n_points", "status"]
    _fits_equal(got.curves, direct.curves, cols)
    # the well is kept in the wells table, with its reason, and listed
    wells = got.tables["wells"]
    row = wells[(wells["plate"] == plate) & (wells["well"] == well)]
    assert len(row) == 1 and bool(row["excluded"].iloc[0])
    assert row["exclude_reason"].iloc[0] == "tip" and row["excluded_by"].iloc[0] == "declared"
    assert int(wells["excluded"].sum()) == 1
    table = got.tables["exclusions"]
    assert table[["plate", "well", "reason", "by", "n_rows"]].values.tolist() == [
        [plate, well, "tip", "declared", 1]
    ]


def test_an_excluded_binding_well_is_an_open_symbol(spec: Any):
    from pdstudy.assays.binding import plot_competition

    v = _values(spec, NET)
    frame = read_merged(v["plates"], v["layout"])
    plate = "net_exp1_microbeta"
    well = _one_competition_well(frame, plate)
    got = analyse_binding({**v, "exclude": [{"plate": plate, "well": well, "reason": "tip"}]})
    ax = plot_competition(got, 0)
    assert _open_markers(ax) == 1
    other = plot_competition(got, 1)
    assert _open_markers(other) == 0


def test_excluding_an_experiment_changes_n_and_the_mean_pki(spec: Any):
    v = _values(spec, NET)
    every = analyse_binding(v)
    got = analyse_binding(
        {**v, "exclude": [{"experiment": "net_exp2_topcount", "reason": "membranes thawed twice"}]}
    )
    before, after = every.tables["aggregate"].iloc[0], got.tables["aggregate"].iloc[0]
    assert before["n"] == 3 and after["n"] == 2
    kept = every.curves[every.curves["experiment"] != "net_exp2_topcount"]["pki"].to_numpy()
    assert after["pki_mean"] == pytest.approx(kept.mean(), abs=1e-9)
    assert after["pki_sem"] == pytest.approx(kept.std(ddof=1) / math.sqrt(2), abs=1e-9)
    assert after["experiments"] == "net_exp1_microbeta;net_exp3_hidex"
    # the experiment stays in the curves, as excluded, and out of the headline
    row = got.curves[got.curves["experiment"] == "net_exp2_topcount"].iloc[0]
    assert row["status"] == "excluded" and bool(row["excluded"])
    assert "membranes thawed twice" in row["reason"]
    assert "net_exp2_topcount" not in set(got.headline_rows()["experiment"])
    table = got.tables["exclusions"]
    assert table["target"].tolist() == ["experiment net_exp2_topcount"]
    assert int(table["n_rows"].iloc[0]) == int(
        (got.points["experiment"] == "net_exp2_topcount").sum()
    )


def test_rout_outliers_are_listed_as_exclusions_with_their_rule(spec: Any):
    v = _values(spec, NET, rout=True)
    got = analyse_binding(v)
    wells = got.tables["wells"]
    by_rout = wells[wells["excluded_by"] == "rout"]
    table = got.tables["exclusions"]
    assert len(table[table["by"] == "rout"]) == len(by_rout)
    assert (table.loc[table["by"] == "rout", "rule"] == "ROUT, Q = 1 %").all()
    assert "ROUT outlier removal at Q = 1 %" in got.parameters["exclusion_rules"]


# ------------------------------------------------------------------ saturation, uptake, protein


def test_excluding_a_saturation_well_is_the_fit_without_it(spec: Any):
    v = _values(spec, "NET saturation")
    frame = read_merged(v["plates"], v["layout"])
    tot = frame[frame["role"] == "total"].sort_values("conc_M")
    plate, well = str(tot["plate"].iloc[5]), str(tot["well"].iloc[5])
    got = analyse_saturation_section(
        {**v, "exclude": [{"plate": plate, "well": well, "reason": "bubble"}]}
    )
    every = analyse_saturation_section(v)
    reduced = frame[frame["well"] != well].copy()
    mg = every.options["protein_mg_per_well"]
    direct = analyze_saturation(
        fill_target(reduced, v["target"]),
        specific_activity_Ci_per_mmol=v["specific_activity"],
        volume_L=v["volume"],
        protein_mg_per_well=mg,
        protein_ci_mg_per_well=None,
    )
    cols = ["experiment", "method", "kd_M", "bmax_cpm", "status"]
    _fits_equal(got.params, direct.params, cols)
    assert not np.allclose(got.params["kd_M"], every.params["kd_M"], rtol=1e-6, atol=0)
    wells = got.tables["wells"]
    assert bool(wells.loc[wells["well"] == well, "excluded"].iloc[0])
    assert len(wells) == len(every.tables["wells"])
    assert _open_markers(plot_saturation(got)) == 1


def test_excluding_an_uptake_well_is_the_fit_without_it(spec: Any):
    v = _values(spec, "NE uptake inhibition")
    frame = read_merged(v["plates"], v["layout"])
    plate = "uptake_exp1_hidex"
    well = _one_competition_well(frame, plate)
    got = analyse_uptake_section({**v, "exclude": [{"plate": plate, "well": well, "reason": "x"}]})
    every = analyse_uptake_section(v)
    reduced = frame[~((frame["plate"] == plate) & (frame["well"] == well))].copy()
    direct = analyze_uptake(
        reduced,
        km_M=v["km"],
        substrate_M=v["substrate_conc"],
        specific_activity_Ci_per_mmol=v["specific_activity"],
        incubation_s=v["incubation"],
        protein=every.protein,
        protein_sample=v["protein_sample"],
        suspension_volume_L=v["suspension_volume"],
        target=v["target"],
        max_cv_pct=100 * v["max_cv"],
        max_nonspecific_fraction=v["max_nonspecific_fraction"],
    )
    cols = ["experiment", "ic50_M", "ki_M", "ki_ci_low_M", "n_points", "status"]
    _fits_equal(got.curves, direct.curves, cols)
    wells = got.tables["wells"]
    hit = wells[(wells["plate"] == plate) & (wells["well"] == well)]
    assert hit["excluded"].tolist() == [True] and hit["exclude_reason"].tolist() == ["x"]
    assert len(wells) == len(every.tables["wells"])


def test_excluding_an_uptake_control_well_changes_the_window_as_without_it(spec: Any):
    v = _values(spec, "NE uptake inhibition")
    frame = read_merged(v["plates"], v["layout"])
    ctl = frame[(frame["plate"] == "uptake_exp2_microbeta") & (frame["role"] == "control")]
    well = str(ctl["well"].iloc[0])
    got = analyse_uptake_section(
        {**v, "exclude": [{"plate": "uptake_exp2_microbeta", "well": well, "reason": "spill"}]}
    )
    qc = got.tables["qc"]
    row = qc[qc["plate"] == "uptake_exp2_microbeta"].iloc[0]
    assert row["n_control"] == len(ctl) - 1


def test_excluding_a_protein_standard_is_the_fit_without_it(spec: Any):
    from pdstudy.assays.protein import plot_protein

    v = _values(spec, "BCA protein assay")
    frame = read_merged(v["plates"], v["layout"])
    std = frame[frame["role"] == "standard"].sort_values("well")
    plate, well = str(std["plate"].iloc[3]), str(std["well"].iloc[3])
    got = analyse_protein({**v, "exclude": [{"plate": plate, "well": well, "reason": "smear"}]})
    direct = analyze_protein(frame[frame["well"] != well].copy(), model=v["model"])
    cols = ["plate", "sample", "protein_mg_per_mL", "ci_low_mg_per_mL", "ci_high_mg_per_mL"]
    _fits_equal(got.samples, direct.samples, cols)
    st = got.tables["standards"]
    assert st.loc[st["well"] == well, "excluded"].tolist() == [True]
    assert _open_markers(plot_protein(got)) == 1


# ------------------------------------------------------------------ the command line


def test_cli_exclude_gives_the_study_file_result(example: Path, spec: Any, tmp_path: Path):
    v = _values(spec, "SERT competition")
    frame = read_merged(v["plates"], v["layout"])
    plate = "sert_exp1"
    well = _one_competition_well(frame, plate)
    study = analyse_binding({**v, "exclude": [{"plate": plate, "well": well, "reason": "tip"}]})
    out = tmp_path / "cli"
    res = CliRunner().invoke(
        app,
        ["binding", "analyze", *[str(p) for p in v["plates"]], "--layout", str(v["layout"]),
         "--radioligand-conc", "1 nM", "--kd", "1 nM", "--efficiency", "0.45", "--target", "SERT",
         "--out", str(out), "--exclude", f'{plate}:{well}="tip"'],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    wells = pd.read_csv(out / "results" / "binding1_competition_wells.csv", keep_default_na=False)
    pd.testing.assert_series_equal(
        wells["excluded"], study.points["excluded"].reset_index(drop=True), check_dtype=False
    )
    curves = pd.read_csv(out / "results" / "binding1_competition.csv")
    assert curves["ki_M"].to_numpy() == pytest.approx(study.curves["ki_M"].to_numpy(), rel=1e-9)
    table = pd.read_csv(out / "results" / "binding1_competition_exclusions.csv")
    assert table[["plate", "well", "reason", "by"]].values.tolist() == [
        [plate, well, "tip", "declared"]
    ]


@pytest.mark.parametrize(
    "form, where",
    [
        ('sert_exp1:Z99="tip"', "option --exclude[1].well"),
        ("sert_exp1:B7", "option --exclude[1].reason"),
        ('experiment:nope="x"', "option --exclude[1].experiment"),
    ],
)
def test_a_bad_cli_exclusion_is_a_usage_error_naming_it(spec: Any, tmp_path: Path, form, where):
    v = _values(spec, "SERT competition")
    res = CliRunner().invoke(
        app,
        ["binding", "analyze", *[str(p) for p in v["plates"]], "--layout", str(v["layout"]),
         "--kd", "1 nM", "--radioligand-conc", "1 nM", "--out", str(tmp_path / "o"),
         "--exclude", form],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert where in res.output


# ------------------------------------------------------------------ the study: report, provenance


@pytest.fixture(scope="module")
def demo_run(example: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from pdstudy.study import run_study

    return run_study(example, tmp_path_factory.mktemp("demo_out"), workers=1)


DEMO_REASON = "pipetting error: the tip touched the filter (notebook p. 42)"


def test_the_demo_exclusion_is_in_the_tables_report_and_provenance(demo_run: Any):
    import json

    out = demo_run.report_path.parent
    wells = pd.read_csv(
        out / "results" / "binding1_net-competition_wells.csv", keep_default_na=False
    )
    hit = wells[(wells["plate"] == "net_exp1_microbeta") & (wells["well"] == "B7")]
    assert hit["excluded"].astype(str).tolist() == ["True"]
    assert hit["exclude_reason"].tolist() == [DEMO_REASON]
    table = pd.read_csv(out / "results" / "binding1_net-competition_exclusions.csv")
    assert table[["target", "reason", "by"]].values.tolist() == [
        ["plate net_exp1_microbeta well B7", DEMO_REASON, "declared"]
    ]
    html = demo_run.report_path.read_text(encoding="utf-8")
    assert html.count("Exclusions (declared and by rule") == 1
    assert DEMO_REASON in html
    assert "Exclusions: 1 declared exclusion(s), each with its reason; no ROUT" in html
    # every other section states its (absent) exclusions in its methods
    assert html.count("no data were excluded") >= 5
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    (sec,) = [s for s in prov["sections"] if s["key"] == "binding[1]"]
    assert (
        sec["parameters"]["exclude"]
        == [{"plate": "net_exp1_microbeta", "well": "B7", "reason": DEMO_REASON}]
        or sec["parameters"]["exclude"][0]["reason"] == DEMO_REASON
    )
    (rec,) = sec["parameters"]["exclusions"]
    assert rec["well"] == "B7" and rec["by"] == "declared" and rec["n_rows"] == 1
    others = [s for s in prov["sections"] if s["key"] != "binding[1]" and s["status"] != "failed"]
    assert others and all(s["parameters"]["exclusions"] == [] for s in others)


@pytest.mark.slow
def test_the_exclusion_table_renders_in_chromium(demo_run: Any, tmp_path: Path):
    from test_report import chromium_render, console_errors

    dom, log = chromium_render(demo_run.report_path, tmp_path, tmp_path / "report.png", height=1400)
    assert "Exclusions (declared and by rule" in dom
    row = re.search(r"<tr>(?:(?!</tr>).)*net_exp1_microbeta well B7(?:(?!</tr>).)*</tr>", dom, re.S)
    assert row is not None, "the exclusion's row is not in the rendered table"
    assert "notebook p. 42" in row.group(0) and "declared" in row.group(0)
    assert console_errors(log) == []


def test_the_z_prime_rule_excludes_a_poor_plate_and_lists_it(spec: Any):
    v = _values(spec, NET)
    every = analyse_binding(v)
    z = every.qc.set_index("plate")["z_prime"]
    worst = str(z.idxmin())
    threshold = float(z.min()) + 1e-6  # just above the worst plate's Z'
    got = analyse_binding({**v, "exclude_z_below": threshold})
    wells = got.tables["wells"]
    on = wells["plate"] == worst
    assert wells.loc[on, "excluded"].all() and (wells.loc[on, "excluded_by"] == "qc").all()
    assert not wells.loc[~on, "excluded"].any()
    table = got.tables["exclusions"]
    assert table[["plate", "by"]].values.tolist() == [[worst, "qc"]]
    assert f"below {threshold:g}" in table["rule"].iloc[0]
    assert got.tables["aggregate"]["n"].iloc[0] == 2
    row = got.curves[got.curves["status"] == "excluded"]
    assert row["plates"].tolist() == [worst]


def test_the_uptake_z_prime_rule_excludes_a_poor_plate_and_lists_it(spec: Any):
    v = _values(spec, "NE uptake inhibition")
    every = analyse_uptake_section(v)
    z = every.qc.set_index("plate")["z_prime"]
    worst = str(z.idxmin())
    threshold = float(z.min()) + 1e-6  # just above the worst plate's Z'
    got = analyse_uptake_section({**v, "exclude_z_below": threshold})
    wells = got.tables["wells"]
    on = wells["plate"] == worst
    assert wells.loc[on, "excluded"].all() and (wells.loc[on, "excluded_by"] == "qc").all()
    assert not wells.loc[~on, "excluded"].any()
    table = got.tables["exclusions"]
    assert table[["plate", "by"]].values.tolist() == [[worst, "qc"]]
    assert f"below {threshold:g}" in table["rule"].iloc[0]
    # the other plate's curve is the same fit as without the rule
    other = got.curves[got.curves["status"] != "excluded"]
    before = every.curves[every.curves["experiment"].isin(other["experiment"])]
    _fits_equal(other, before, ["experiment", "ic50_M", "ki_M", "n_points"])
    assert got.tables["aggregate"]["n"].iloc[0] == len(z) - 1


def test_excluded_kinetics_wells_stay_in_the_points_and_the_exclusion_table(spec: Any):
    v = _values(spec, "NE uptake kinetics")
    frame = read_merged(v["plates"], v["layout"])
    well = str(frame[frame["role"] != "blank"]["well"].iloc[5])
    plate = str(frame["plate"].iloc[0])
    every = analyse_uptake_section(v)
    got = analyse_uptake_section({**v, "exclude": [{"plate": plate, "well": well, "reason": "y"}]})
    points = got.tables["points"]
    hit = points[(points["plate"] == plate) & (points["well"] == well)]
    assert hit["excluded"].tolist() == [True] and hit["excluded_by"].tolist() == ["declared"]
    assert hit["exclude_reason"].tolist() == ["y"]
    assert len(points) == len(every.tables["points"])
    assert not points.loc[points["well"] != well, "excluded"].any()
    table = got.tables["exclusions"]
    assert table[["plate", "well", "reason", "by"]].values.tolist() == [
        [plate, well, "y", "declared"]
    ]
    assert got.curves["n_points"].iloc[0] == every.curves["n_points"].iloc[0] - 1
    # the same fit as the plate without that well, fitted directly
    from pdstudy.assays.uptake import analyze_uptake_kinetics

    reduced = frame[~((frame["plate"] == plate) & (frame["well"] == well))].copy()
    reduced.attrs = dict(frame.attrs)
    direct = analyze_uptake_kinetics(
        reduced,
        hot_substrate_M=v.get("hot_substrate_conc"),
        nonspecific=v["nonspecific"],
        weighting=v["weighting"],
        specific_activity_Ci_per_mmol=v["specific_activity"],
        incubation_s=v["incubation"],
        efficiency=v.get("efficiency"),
        counts=v["counts"],
        target=v["target"],
        **(
            {
                "protein": every.protein,
                "protein_sample": v.get("protein_sample"),
                "suspension_volume_L": v["suspension_volume"],
            }
            if every.protein is not None
            else {"protein_mg_per_well": float(every.curves["protein_mg_per_well"].iloc[0])}
        ),
    )
    _fits_equal(got.curves, direct.curves, ["km_M", "km_ci_low_M", "vmax_pmol_per_mg_per_min"])


def test_one_z_prime_rule_marks_the_plates_below_the_threshold_and_only_those():
    frame = pd.DataFrame({"plate": ["p1", "p1", "p2", "p3"], "well": ["A1", "A2", "A1", "A1"]})
    df = apply_exclusions(frame, [])
    z = {"p1": 0.2, "p2": 0.7, "p3": math.nan}  # p3: Z' not computable, never excluded
    got = z_prime_exclusions(df, z, 0.5, "total vs NSB")
    assert [ex.plate for ex in got] == ["p1"]
    assert got[0].reason == "plate Z' 0.20 < 0.5" and got[0].by == "qc"
    assert got[0].rule == "a plate whose Z' (total vs NSB) is below 0.5 is excluded"
    assert df["excluded"].tolist() == [True, True, False, False]
    assert set(df.loc[df["excluded"], "excluded_by"]) == {"qc"}
    assert z_prime_exclusions(df, z, None, "total vs NSB") == []


def test_reader_exclusions_keep_the_reader_reason_one_per_well():
    frame = pd.DataFrame(
        {
            "plate": ["p1", "p1", "p1"],
            "well": ["A1", "A2", "A3"],
            "excluded": [True, False, True],
            "exclude_reason": ["overflow", "", "masked"],
        }
    )
    df = apply_exclusions(frame, [Exclusion(reason="spilt", plate="p1", well="A2")])
    got = reader_exclusions(df)
    assert [(ex.well, ex.reason, ex.by, ex.rule) for ex in got] == [
        ("A1", "overflow", "reader", READER_RULE),
        ("A3", "masked", "reader", READER_RULE),
    ]
