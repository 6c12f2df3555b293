"""Tests of pdstudy.io.layout: wellmap layouts read, written and merged with plates."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdstudy.errors import LayoutError
from pdstudy.io import merge_layout, read_layout, read_plate, write_layout, write_plate

ROWS = "ABCDEFGHIJKLMNOP"

BINDING = """
[row.A]
role = "total"

[row.B]
role = "nsb"
compound = "desipramine"
conc = "10 µM"

[row.'C,D']
role = "competition"
compound = "norclomipramine"

[col.1]
conc = "1 nM"

[col.2]
conc = "10 nM"

[col.3]
conc = "100 nM"
replicate = 2

[well.D3]
note = "bubble"
"""


def layout_file(tmp_path: Path, text: str, name: str = "layout.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_layout_columns_and_values(tmp_path):
    frame = read_layout(layout_file(tmp_path, BINDING))
    assert list(frame.columns) == [
        "plate",
        "well",
        "row",
        "col",
        "role",
        "compound",
        "conc_M",
        "note",
        "replicate",
    ]
    assert list(frame["well"]) == [f"{r}{c}" for r in "ABCD" for c in (1, 2, 3)]
    assert set(frame["plate"]) == {"1"}
    assert frame["col"].dtype == np.int64
    w = frame.set_index("well")
    assert list(w.loc[["A1", "B1", "C1"], "role"]) == ["total", "nsb", "competition"]
    # concentrations, in molar: 1 nM = 1e-9 M; row B's 10 µM wins over the column's (row > col)
    assert math.isclose(w.loc["C1", "conc_M"], 1e-9)
    assert math.isclose(w.loc["D2", "conc_M"], 1e-8)
    assert math.isclose(w.loc["C3", "conc_M"], 1e-7)
    assert math.isclose(w.loc["B3", "conc_M"], 1e-5)
    assert pd.isna(w.loc["A1", "compound"])
    assert w.loc["D3", "note"] == "bubble"
    assert pd.isna(w.loc["C3", "note"])
    assert w.loc["A3", "replicate"] == 2
    assert frame.attrs["path"].endswith("layout.toml")


def test_read_layout_plates_and_conc_m(tmp_path):
    text = """
[plate.p1.well.A1]
role = "total"
conc_M = 0

[plate.p1.well.A2]
role = "Saturation"
conc_M = 2.5e-9

[plate.p2.well.B2]
role = "blank"
"""
    frame = read_layout(layout_file(tmp_path, text))
    assert list(frame["plate"]) == ["p1", "p1", "p2"]
    assert list(frame["well"]) == ["A1", "A2", "B2"]
    assert list(frame["role"]) == ["total", "saturation", "blank"]
    np.testing.assert_array_equal(frame["conc_M"], [0, 2.5e-9, np.nan])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[well.B2]\nrole = "totl"\n',
            r"layout\.toml, well B2: role 'totl' is not one of: total, nsb",
        ),
        ("[well.B2]\nrole = 3\n", r"well B2: role 3 is not one of"),
        (
            '[well.A1]\nrole = "total"\n[well.A2]\nconc = "1 nM"\n',
            r"1 well\(s\) have no role while others do: well A2",
        ),
        (
            '[well.C4]\nrole = "competition"\nconc = "10 nMol"\n',
            r"well C4: cannot read conc = '10 nMol'",
        ),
        (
            '[well.C4]\nrole = "competition"\nconc = 10\n',
            r"well C4: cannot read conc = 10: .*no unit",
        ),
        ('[well.C4]\nrole = "competition"\nconc = "10 s"\n', r"well C4: cannot read conc = '10 s'"),
        (
            '[well.C4]\nconc = "1 nM"\nconc_M = 2e-9\n',
            r"well C4: conc = '1 nM' and conc_M = 2e-09 disagree",
        ),
        ("[well.C4]\nconc_M = -1e-9\n", r"well C4: negative concentration"),
        ('[well.C4]\nconc_M = "lots"\n', r"well C4: cannot read conc_M = 'lots'"),
        ("[well.A1\nrole = 1\n", r"layout\.toml: not valid TOML"),
        ('[row.A]\nrole = "total"\n', r"layout\.toml: .*no columns"),
        ("", r"layout\.toml: No wells defined"),
        ('[plate.x.well.A1]\nrole = "bad"\n', r"plate x, well A1: role 'bad'"),
    ],
)
def test_read_layout_errors(tmp_path, text, message):
    path = layout_file(tmp_path, text)
    with pytest.raises(LayoutError, match=message) as info:
        read_layout(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("row = 5\n", r"bad\.toml, row: \[row\] must be a table, not the value 5"),
        ("[row]\nA = 3\n", r"bad\.toml, row\.A: row\.A must be a table of fields"),
        ('[[well.A1]]\nrole = "total"\n', r"bad\.toml, well\.A1: .* not an array"),
        ('meta = 3\n[well.A1]\nrole = "total"\n', r"bad\.toml, meta: meta must be a table"),
        ('[meta]\npath = 5\n[well.A1]\nrole = "total"\n', r"bad\.toml, meta\.path: .*string"),
        ('[well.ZZZ]\nrole = "total"\n', r"bad\.toml: Cannot parse well 'ZZZ'"),
        ('[block.xx.A1]\nrole = "total"\n', r"bad\.toml: Unknown \[block\] size 'xx'"),
        (
            '[meta]\ninclude = "missing.toml"\n[well.A1]\nrole = "total"\n',
            r"bad\.toml: cannot read .*missing\.toml: No such file",
        ),
        (
            '[meta]\ninclude = "bad.toml"\n[well.A1]\nrole = "total"\n',
            r"bad\.toml: the layout includes itself",
        ),
    ],
)
def test_malformed_layouts_are_layout_errors_naming_the_file(tmp_path, text, message):
    path = layout_file(tmp_path, text, "bad.toml")
    with pytest.raises(LayoutError, match=message) as info:
        read_layout(path)
    assert info.value.path == str(path)


def test_a_malformed_included_layout_is_named(tmp_path):
    layout_file(tmp_path, "[row]\nA = 3\n", "part.toml")
    path = layout_file(tmp_path, '[meta]\ninclude = "part.toml"\n[well.A1]\nrole = "total"\n')
    with pytest.raises(LayoutError, match=r"part\.toml, row\.A: row\.A must be a table"):
        read_layout(path)


def test_a_bug_inside_wellmap_is_not_a_layout_error(tmp_path, monkeypatch):
    import wellmap

    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not a bad layout")

    monkeypatch.setattr(wellmap, "load", broken)
    with pytest.raises(RuntimeError, match="a bug, not a bad layout"):
        read_layout(layout_file(tmp_path, BINDING))


def test_a_bug_in_the_wellmap_internals_used_for_plates_propagates(tmp_path, monkeypatch):
    # read_layout re-assembles [plate] layouts with wellmap internals (see
    # _all_plate_fields); an error there used to be swallowed silently
    import wellmap.file

    real = wellmap.file.config_from_toml
    calls = []

    def second_call_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) > 1:
            raise RuntimeError("internals changed")
        return real(*args, **kwargs)

    monkeypatch.setattr(wellmap.file, "config_from_toml", second_call_fails)
    path = layout_file(tmp_path, '[plate.p1.well.A1]\nrole = "total"\n')
    with pytest.raises(RuntimeError, match="internals changed"):
        read_layout(path)


def test_read_layout_missing_file(tmp_path):
    with pytest.raises(LayoutError, match=r"nope\.toml: no such layout file"):
        read_layout(tmp_path / "nope.toml")


def test_round_trip_of_a_read_layout(tmp_path):
    first = read_layout(layout_file(tmp_path, BINDING))
    path = write_layout(first, tmp_path / "again.toml")
    text = path.read_text(encoding="utf-8")
    assert "[row.A]" in text and "[col.1]" in text  # grouped, not one table per well
    again = read_layout(path)
    pd.testing.assert_frame_equal(again, first)


def test_write_layout_from_a_hand_made_frame(tmp_path):
    frame = pd.DataFrame(
        {
            "plate": ["1", "1", "my plate", "my plate", "my plate"],
            "well": ["A1", "B03", "A1", "P24", "H12"],
            "role": ["total", "nsb", "competition", "blank", "competition"],
            "compound": [None, "desipramine", 'odd "name" \\ with\ttab', None, "x"],
            "conc_M": [np.nan, 1e-5, 3e-10, np.nan, 1e-6],
            "flag": [True, False, True, np.nan, True],
        }
    )
    read = read_layout(write_layout(frame, tmp_path / "hand.toml"))
    assert list(read["plate"]) == ["1", "1", "my plate", "my plate", "my plate"]
    assert list(read["well"]) == ["A1", "B3", "A1", "H12", "P24"]
    assert list(read["compound"].fillna("-")) == [
        "-",
        "desipramine",
        'odd "name" \\ with\ttab',
        "x",
        "-",
    ]
    np.testing.assert_array_equal(read["conc_M"], [np.nan, 1e-5, 3e-10, 1e-6, np.nan])
    assert list(read["flag"].fillna("-")) == [True, False, True, True, "-"]


@st.composite
def layouts(draw) -> pd.DataFrame:
    n_plates = draw(st.integers(1, 2))
    parts = []
    for k in range(n_plates):
        rectangle = draw(st.booleans())
        if rectangle:
            r0, c0 = draw(st.integers(0, 6)), draw(st.integers(0, 8))
            nr, nc = draw(st.integers(1, 4)), draw(st.integers(1, 5))
            wells = [f"{ROWS[r0 + i]}{c0 + j + 1}" for i in range(nr) for j in range(nc)]
        else:
            all_wells = [f"{r}{c}" for r in ROWS[:8] for c in range(1, 13)]
            wells = draw(st.lists(st.sampled_from(all_wells), min_size=1, max_size=12, unique=True))
        n = len(wells)

        def column(values, missing=True, n=n):
            opts = st.one_of(st.none(), values) if missing else values
            return draw(st.lists(opts, min_size=n, max_size=n))

        role_values = st.sampled_from(["total", "nsb", "competition"])
        roles = column(role_values, missing=False)
        concs = column(st.sampled_from([1e-9, 1e-8, 3.3e-7]))
        # a competition well always has a concentration (read_layout requires one)
        concs = [
            1e-9 if (c is None and r == "competition") else c
            for r, c in zip(roles, concs, strict=True)
        ]
        parts.append(
            pd.DataFrame(
                {
                    "plate": str(k + 1),
                    "well": wells,
                    "role": roles,
                    "compound": column(st.sampled_from(["a", "b"])),
                    "conc_M": [np.nan if v is None else v for v in concs],
                    "dose": [
                        np.nan if v is None else v for v in column(st.sampled_from([0.5, 2.0]))
                    ],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(frame=layouts())
def test_layout_round_trip_property(tmp_path, frame):
    first = read_layout(write_layout(frame, tmp_path / "a.toml"))
    # the layout as written: same wells (sorted), same values
    key = first.set_index(["plate", "well"])
    for rec in frame.itertuples(index=False):
        row = key.loc[(rec.plate, rec.well)]
        assert row["role"] == rec.role
        assert same(row["compound"], rec.compound)
        assert same(row["conc_M"], rec.conc_M)
        assert same(row["dose"] if "dose" in key.columns else np.nan, rec.dose)
    assert len(first) == len(frame)
    # and read(write(x)) == x for a table that came from read_layout
    second = read_layout(write_layout(first, tmp_path / "b.toml"))
    pd.testing.assert_frame_equal(second, first)


def test_write_layout_errors(tmp_path):
    with pytest.raises(ValueError, match="no 'well' column"):
        write_layout(pd.DataFrame({"role": ["total"]}), tmp_path / "x.toml")
    with pytest.raises(ValueError, match="duplicate well A1 in plate 1"):
        write_layout(pd.DataFrame({"well": ["A1", "A01"]}), tmp_path / "x.toml")
    with pytest.raises(ValueError, match="well A1: field 'when' holds a"):
        write_layout(pd.DataFrame({"well": ["A1"], "when": [object()]}), tmp_path / "x.toml")


# --- merging --------------------------------------------------------------------------


@pytest.fixture
def binding_files(tmp_path):
    layout_path = layout_file(tmp_path, BINDING)
    layout = read_layout(layout_path)
    rng = np.random.default_rng(7)
    plates = []
    for plate in ("1", "2"):
        cpm = np.round(rng.gamma(3.0, 500.0, len(layout)), 1)
        plates.append(pd.DataFrame({"plate": plate, "well": layout["well"], "cpm": cpm}))
    data = pd.concat(plates, ignore_index=True)
    plate_path = write_plate(data, tmp_path / "counts.txt", "microbeta")
    return read_plate(plate_path), layout, plate_path, layout_path


def test_merge_single_plate_layout_applies_to_every_plate(binding_files):
    data, layout, plate_path, layout_path = binding_files
    merged = merge_layout(data, layout)
    assert len(merged) == len(data)
    assert list(merged.columns[: len(data.columns)]) == list(data.columns)
    assert {"role", "compound", "conc_M", "note", "replicate"} <= set(merged.columns)
    np.testing.assert_array_equal(merged["cpm"], data["cpm"])
    for plate in ("1", "2"):
        part = merged[merged["plate"] == plate].set_index("well")
        assert part.loc["B1", "role"] == "nsb"
        assert math.isclose(part.loc["C2", "conc_M"], 1e-8)
    assert merged.attrs["plate_path"] == str(plate_path)
    assert merged.attrs["layout_path"] == str(layout_path)


def test_merge_by_plate_name(tmp_path):
    layout = read_layout(
        layout_file(
            tmp_path, '[plate.a.well.A1]\nrole = "total"\n[plate.b.well.A1]\nrole = "nsb"\n'
        )
    )
    data = pd.DataFrame({"plate": ["b", "a"], "well": ["A1", "A01"], "signal": [5.0, 9.0]})
    merged = merge_layout(data, layout, plate_path="counts.csv")
    assert list(merged["role"]) == ["nsb", "total"]
    with pytest.raises(
        LayoutError, match=r"plate\(s\) c of the plate data counts\.csv are not in the layout"
    ):
        merge_layout(data.assign(plate=["b", "c"]), layout, plate_path="counts.csv")


def test_merge_layout_wells_without_data_names_both_files(binding_files):
    data, layout, plate_path, layout_path = binding_files
    short = data[~data["well"].isin(["A1", "D3"])]
    with pytest.raises(LayoutError) as info:
        merge_layout(short, layout)
    message = str(info.value)
    assert str(layout_path) in message and str(plate_path) in message
    assert "4 layout well(s) have no data" in message
    assert "plate 1: A1, D3; plate 2: A1, D3" in message


def test_merge_data_wells_absent_from_layout(binding_files):
    data, layout, plate_path, layout_path = binding_files
    extra = pd.concat(
        [
            data,
            pd.DataFrame(
                {"plate": "1", "well": [f"H{c}" for c in range(1, 13)], "signal": 1.0, "cpm": 1.0}
            ),
        ],
        ignore_index=True,
    )
    with pytest.raises(
        LayoutError,
        match=r"12 well\(s\) of the plate data .*counts\.txt are not in the layout: plate 1: H1, H2, .*H10 and 2 more",
    ):
        merge_layout(extra, layout, plate_path=plate_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        merged = merge_layout(extra, layout, plate_path=plate_path, strict=False)
    assert len(merged) == len(data)
    assert any("not in the layout" in str(w.message) for w in caught)


def test_merge_duplicates_and_clashes(binding_files):
    data, layout, _, _ = binding_files
    doubled = pd.concat([layout, layout.iloc[[0]]], ignore_index=True)
    with pytest.raises(LayoutError, match=r"duplicate well\(s\) in the layout: A1"):
        merge_layout(data, doubled)
    with pytest.raises(LayoutError, match=r"duplicate well\(s\) in the plate data .*: plate 1: A1"):
        merge_layout(pd.concat([data, data.iloc[[0]]], ignore_index=True), layout)
    with pytest.raises(LayoutError, match=r"layout field\(s\) 'cpm' have the name of a column"):
        merge_layout(data, layout.assign(cpm=1.0))


def test_competition_well_without_concentration_is_an_error_naming_it(tmp_path):
    from pdstudy.errors import LayoutError
    from pdstudy.io import read_layout

    path = tmp_path / "lay.toml"
    path.write_text(
        '[well.A1-A3]\nrole = "total"\n\n[well.A4-A9]\nrole = "competition"\n'
        'compound = "x"\n\n[well.A4-A6]\nconc = "1 nM"\n',
        encoding="utf-8",
    )
    with pytest.raises(
        LayoutError, match=r"well A7: 3 competition well\(s\) have no concentration: A7, A8, A9"
    ):
        read_layout(path)
