"""Results that go on to other tools: the Excel workbook and the GraphPad Prism project.

A simulated competition binding (three replicate wells per concentration)
is analysed by ``pdstudy binding analyze``; the workbook must hold every CSV
table cell for cell with units in the headers, and the .pzfx, read back,
must hold each well's % specific binding at log10 of its molar concentration,
replicates side by side, as the wells table has them.
"""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.design import competition_layout, concentration_series
from pdstudy.io import write_layout, write_plate
from pdstudy.io.excel import column_unit, header_with_unit, sheet_names, write_workbook
from pdstudy.io.pzfx import ColumnTable, XYTable, read_pzfx, write_pzfx
from pdstudy.simulate import simulate_competition, without_truth
from pdstudy.study.writer import prism_tables, write_study_exports

KI, KD, LIG = 0.5e-9, 0.8e-9, 1e-9


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    d = tmp_path_factory.mktemp("exports")
    concs = concentration_series(KI, radioligand_M=LIG, kd_M=KD, n=8)
    layout = competition_layout(
        concs, compound="norclomipramine", replicates=3, target="NET", radioligand_M=LIG
    )
    write_layout(layout, d / "layout.toml")
    rng = np.random.default_rng(909)
    plate = without_truth(
        simulate_competition(layout, ki_M=KI, kd_M=KD, radioligand_M=LIG, rng=rng)
    )
    write_plate(plate, d / "exp1.txt", "microbeta")
    out = d / "out"
    res = CliRunner().invoke(
        app,
        ["binding", "analyze", str(d / "exp1.txt"), "--layout", str(d / "layout.toml"),
         "--radioligand-conc", "1 nM", "--kd", "0.8 nM", "--target", "NET", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("ki_M", "M"),
        ("ki_ci_low_M", "M"),
        ("x_min_M", "M"),
        ("count_time_s", "s"),
        ("total_cv_pct", "%"),
        ("rate_pmol_per_mg_per_min", "pmol/mg/min"),
        ("ns_slope_pmol_per_mg_per_min_per_M", "pmol/mg/min/M"),
        ("bmax_fmol_per_mg", "fmol/mg"),
        ("specific_activity_Ci_per_mmol", "Ci/mmol"),
        ("protein_ug_per_mL", "µg/mL"),
        ("window_cpm", "CPM"),
        ("temperature_C", "°C"),
        ("hill", None),
        ("n_points", None),
        ("pki_ci_low", None),
        ("z_prime", None),
    ],
)
def test_column_units(name, unit):
    assert column_unit(name) == unit


def test_sheet_names_are_valid_and_unique():
    names = sheet_names(["a/b", "x" * 40, "x" * 40, "contents", "ok"])
    assert names[0] == "a_b"
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)
    assert "contents" not in names


def test_workbook_round_trip(tmp_path):
    frame = pd.DataFrame(
        {"well": ["A1", "A2"], "conc_M": [1e-9, math.nan], "excluded": [False, True], "n": [3, 4]}
    )
    path = write_workbook(tmp_path / "t.xlsx", {"wells": frame}, title="T")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["contents", "wells"]
    rows = list(wb["wells"].iter_rows(values_only=True))
    assert rows[0] == ("well", "conc_M (M)", "excluded", "n")
    assert rows[1] == ("A1", 1e-9, False, 3)
    assert rows[2] == ("A2", None, True, 4)  # NaN is an empty cell


def test_command_writes_workbook_matching_every_csv(analysed):
    results = analysed / "results"
    stem = "binding1_competition"
    wb = openpyxl.load_workbook(results / f"{stem}.xlsx")
    contents = {r[0]: r[1] for r in wb["contents"].iter_rows(min_row=4, values_only=True)}
    csvs = {"curves": f"{stem}.csv", "aggregate": f"{stem}_aggregate.csv",
            "qc": f"{stem}_qc.csv", "wells": f"{stem}_wells.csv",
            "exclusions": f"{stem}_exclusions.csv"}  # fmt: skip
    assert set(contents.values()) == set(csvs)
    for sheet, table in contents.items():
        csv = pd.read_csv(results / csvs[table])
        rows = list(wb[sheet].iter_rows(values_only=True))
        assert list(rows[0]) == [header_with_unit(c) for c in csv.columns]
        assert len(rows) - 1 == len(csv)
        for col_j, col in enumerate(csv.columns):
            got = [r[col_j] for r in rows[1:]]
            want = csv[col].tolist()
            for g, w in zip(got, want, strict=True):
                if isinstance(w, float) and math.isnan(w):
                    assert g is None or g == ""
                elif isinstance(w, float):
                    assert g == pytest.approx(w, rel=1e-12)
                else:
                    assert str(g) == str(w) or g == w


def test_command_writes_a_prism_project_of_the_wells(analysed):
    results = analysed / "results"
    stem = "binding1_competition"
    tables = read_pzfx(results / f"{stem}.pzfx")
    assert len(tables) == 1
    (title, xy), = tables.items()  # fmt: skip
    assert "norclomipramine" in title and "NET" in title
    assert xy.attrs["type"] == "XY"
    assert "log10 M" in xy.attrs["x_title"]
    wells = pd.read_csv(results / f"{stem}_wells.csv")
    comp = wells[(wells["role"] == "competition") & (wells["conc_M"] > 0)]
    assert xy["replicate"].max() == 3  # three replicate wells per concentration
    assert sorted(set(xy["x"].round(9))) == sorted(set(np.log10(comp["conc_M"]).round(9)))
    for x, at in comp.groupby(np.log10(comp["conc_M"]).round(9)):
        prism = xy[xy["x"].round(9) == x]
        assert sorted(prism["y"]) == pytest.approx(sorted(at["pct_specific"]), rel=1e-12)


def test_excluded_wells_are_prism_excluded_values(tmp_path):
    wells = pd.DataFrame(
        {
            "experiment": ["e1"] * 4,
            "compound": ["c"] * 4,
            "target": ["NET"] * 4,
            "role": ["competition"] * 4,
            "conc_M": [1e-9, 1e-9, 1e-8, 0.0],
            "pct_specific": [90.0, 10.0, 40.0, 100.0],
            "excluded": [False, True, False, False],
        }
    )
    path = write_pzfx(tmp_path / "x.pzfx", prism_tables({"wells": wells}))
    (xy,) = read_pzfx(path).values()
    assert list(xy["x"].unique()) == [-9.0, -8.0]  # the 0 M control is not a point
    excluded = xy[xy["excluded"]]
    assert excluded["y"].tolist() == [10.0] and excluded["x"].tolist() == [-9.0]
    assert xy[(xy["x"] == -8.0)]["y"].dropna().tolist() == [40.0]


def test_column_table_per_group(tmp_path):
    animals = pd.DataFrame(
        {
            "animal": ["a1", "a2", "a3"],
            "group": ["vehicle", "vehicle", "drug"],
            "immobility_s": [150.0, 160.0, 90.0],
        }
    )
    tables = prism_tables({"animals": animals})
    assert len(tables) == 1 and isinstance(tables[0], ColumnTable)
    (col,) = read_pzfx(write_pzfx(tmp_path / "c.pzfx", tables)).values()
    assert col.attrs["type"] == "OneWay"
    assert col.groupby("column")["y"].apply(list).to_dict() == {
        "vehicle": [150.0, 160.0],
        "drug": [90.0],
    }


def test_pzfx_is_wellformed_prism_xml(tmp_path):
    t = XYTable("t", "x", "y", (1.0, 2.0), (((1.0, False),), ((2.0, False), (3.0, False))))
    path = write_pzfx(tmp_path / "t.pzfx", [t], title="T")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<GraphPadPrismFile" in text
    assert 'TableType="XY"' in text and 'Replicates="2"' in text


def test_study_exports_one_workbook_and_project(analysed, tmp_path):
    from pdstudy.study import load_study  # noqa: F401  (the study layer is importable)

    class R:
        def __init__(self, tables):
            self.tables = tables

    wells = pd.read_csv(analysed / "results" / "binding1_competition_wells.csv")
    curves = pd.read_csv(analysed / "results" / "binding1_competition.csv")
    written = write_study_exports(
        tmp_path, "my-study", [("binding1_a", R({"curves": curves, "wells": wells})),
                               ("binding2_b", R({"curves": curves, "wells": wells}))]
    )  # fmt: skip
    assert [p.name for p in written] == ["my-study.xlsx", "my-study.pzfx"]
    wb = openpyxl.load_workbook(written[0])
    assert wb.sheetnames[1:] == [
        "binding1_a_curves",
        "binding1_a_wells",
        "binding2_b_curves",
        "binding2_b_wells",
    ]
    assert [t.split(":")[0] for t in read_pzfx(written[1])] == ["binding1_a", "binding2_b"]


def test_study_exports_from_a_real_run(analysed, tmp_path):
    """What ``pdstudy run`` writes at the end (see write_study_exports): every section's tables."""
    from pdstudy.study import load_study, run_study
    from pdstudy.study.model import slugify

    d = analysed.parent
    (d / "study.toml").write_text(
        '[study]\nname = "Export study"\ncompound = "norclomipramine"\n\n'
        '[study.exposure]\nfree_conc = "0.3 nM"\n\n'
        '[[binding]]\nname = "NET a"\ntarget = "NET"\nplates = ["exp1.txt"]\n'
        'layout = "layout.toml"\nradioligand_conc = "1 nM"\nkd = "0.8 nM"\n',
        encoding="utf-8",
    )
    spec = load_study(d / "study.toml")
    run = run_study(spec, tmp_path / "out", workers=1)
    slugs = {s.key: s.slug for s in spec.sections}
    written = write_study_exports(
        run.out_dir,
        slugify(spec.name),
        [(slugs[o.key], o.result) for o in run.outcomes if o.ok and o.result is not None],
    )
    assert [p.name for p in written] == ["export-study.xlsx", "export-study.pzfx"]
    wb = openpyxl.load_workbook(written[0])
    assert "binding1_net-a_curves" in wb.sheetnames
    (xy,) = read_pzfx(written[1]).values()
    assert xy["replicate"].max() == 3
