"""Tests of pdstudy.design.plates: series, layouts, dilution tables, plate maps."""

from __future__ import annotations

import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from pdstudy.design.plates import (  # noqa: E402
    competition_layout,
    concentration_series,
    dilution_table,
    parse_well,
    plate_map_html,
    plot_plate_map,
    protein_layout,
    saturation_layout,
    saturation_series,
    uptake_layout,
    well_name,
)
from pdstudy.errors import LayoutError  # noqa: E402

HALF_LOG = 10**0.5


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------ concentration series


def test_series_centred_on_cheng_prusoff_ic50():
    # Ki 0.5 nM, [L] 1 nM, Kd 0.8 nM -> IC50 = 0.5 * (1 + 1/0.8) = 1.125 nM (by hand)
    c = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9)
    assert len(c) == 10
    assert np.all(np.diff(c) < 0), "descending"
    np.testing.assert_allclose(c[:-1] / c[1:], HALF_LOG, rtol=1e-12)
    # even n: the IC50 is the geometric mean of the two middle points
    assert math.sqrt(c[4] * c[5]) == pytest.approx(1.125e-9, rel=1e-12)
    # and the series spans 4.5 log units symmetrically around it
    assert math.log10(c[0]) - math.log10(1.125e-9) == pytest.approx(2.25)


def test_series_odd_n_has_ic50_in_the_middle_and_ki_range():
    c = concentration_series((1e-9, 100e-9), n=9, spacing_log=1.0)
    assert c[4] == pytest.approx(10e-9, rel=1e-12)  # sqrt(1 nM * 100 nM)
    np.testing.assert_allclose(c[:-1] / c[1:], 10.0)


def test_series_span_and_top():
    c = concentration_series(1e-9, n=5, span=4.0)
    assert math.log10(c[0] / c[-1]) == pytest.approx(4.0)
    t = concentration_series(top_M=10e-6, n=4, spacing_log=1.0)
    np.testing.assert_allclose(t, [10e-6, 1e-6, 1e-7, 1e-8])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"expected_ki_M": 1e-9, "n": 1}, "at least 2"),
        ({"expected_ki_M": 1e-9, "spacing_log": 0}, "spacing_log"),
        ({"expected_ki_M": -1e-9}, "positive"),
        ({"expected_ki_M": 1e-9, "radioligand_M": 1e-9}, "both radioligand_M and kd_M"),
        ({}, "expected_ki_M .* or top_M"),
        ({"expected_ki_M": (1e-9, 2e-9, 3e-9)}, "range"),
    ],
)
def test_series_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        concentration_series(**kwargs)


def test_saturation_series():
    s = saturation_series(0.8e-9, n=8)
    assert s[0] == pytest.approx(0.08e-9) and s[-1] == pytest.approx(8e-9)
    assert np.all(np.diff(s) > 0)


# ------------------------------------------------------------ layouts


def _wells_unique(frame: pd.DataFrame) -> bool:
    return not frame.duplicated(["plate", "well"]).any()


def test_competition_layout_counts_and_contents():
    concs = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9)
    lay = competition_layout(
        concs, compound="norclomipramine", target="NET", radioligand="[3H]nisoxetine"
    )
    counts = lay["role"].value_counts().to_dict()
    assert counts == {"competition": 30, "total": 3, "nsb": 3}
    assert _wells_unique(lay)
    for col in ("plate", "well", "row", "col", "role", "compound", "conc_M", "replicate"):
        assert col in lay.columns
    assert set(lay["target"]) == {"NET"} and set(lay["radioligand"]) == {"[3H]nisoxetine"}
    nsb = lay[lay.role == "nsb"]
    assert set(nsb["compound"]) == {"desipramine"} and set(nsb["conc_M"]) == {10e-6}
    tot = lay[lay.role == "total"]
    assert set(tot["conc_M"]) == {0.0} and set(tot["compound"]) == {""}
    comp = lay[lay.role == "competition"]
    assert comp.groupby("conc_M")["replicate"].apply(sorted).map(tuple).nunique() == 1
    assert sorted(comp["replicate"].unique()) == [1, 2, 3]
    np.testing.assert_allclose(sorted(comp["conc_M"].unique()), sorted(concs))
    # across fill: A1-A3 total, A4-A6 NSB, A7 onwards competition
    assert list(lay["well"][:7]) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]


def test_competition_layout_several_compounds_share_controls():
    concs = concentration_series(1e-9)
    lay = competition_layout(concs, compound=["a", "b", "c"])  # 6 + 3 * 30 = 96 wells
    assert len(lay) == 96 and _wells_unique(lay)
    assert lay["role"].value_counts()["total"] == 3
    assert lay.groupby("compound").size().to_dict() == {
        "": 3,
        "a": 30,
        "b": 30,
        "c": 30,
        "desipramine": 3,
    }


def test_competition_layout_fill_down_is_triplicate_columns():
    lay = competition_layout(concentration_series(1e-9), compound="x", fill="down")
    first = lay.groupby(["role", "conc_M"], sort=False)["well"].apply(list)
    assert first.iloc[0] == ["A1", "B1", "C1"]  # total wells down column 1
    assert first.iloc[1] == ["A2", "B2", "C2"]  # NSB
    # every condition sits in one column
    for wells in first:
        assert len({parse_well(w)[1] for w in wells}) == 1


def test_replicates_do_not_straddle_rows():
    lay = competition_layout([1e-6, 1e-7, 1e-8], compound="x", n_blank=2)
    for _, grp in lay.groupby(["role", "compound", "conc_M"]):
        assert grp["row"].nunique() == 1, grp


@pytest.mark.parametrize(
    ("kwargs", "needed", "available"),
    [
        ({"compound": ["a", "b", "c"], "n_blank": 1}, "97 wells", "96 wells"),
        ({"compound": ["a", "b", "c"], "fill": "down"}, "96 wells", "72 usable wells"),
        ({"compound": "a", "replicates": 12}, "144 wells", "96 wells"),
    ],
)
def test_layout_that_does_not_fit_says_needed_and_available(kwargs, needed, available):
    with pytest.raises(LayoutError, match=rf"needs {needed}.*has {available}"):
        competition_layout(concentration_series(1e-9), **kwargs)


def test_multi_plate_and_384():
    concs = concentration_series(1e-9)
    lay = competition_layout(concs, compound=list("abcd"), max_plates=2)
    assert sorted(lay["plate"].unique()) == ["1", "2"]
    per_plate = lay.groupby("plate")["role"].value_counts().unstack(fill_value=0)
    assert (per_plate["total"] == 3).all() and (per_plate["nsb"] == 3).all()
    assert per_plate["competition"].sum() == 120 and _wells_unique(lay)
    big = competition_layout(concs, compound=list("abcdefghijkl"), plate_format=384)
    assert len(big) == 6 + 12 * 30 and big["well"].map(lambda w: parse_well(w)[0]).max() <= 15


def test_saturation_layout():
    concs = saturation_series(0.8e-9, n=8)
    lay = saturation_layout(concs, replicates=3, n_blank=2)
    assert lay["role"].value_counts().to_dict() == {"total": 24, "nsb": 24, "blank": 2}
    for c in concs:
        sel = lay[np.isclose(lay["conc_M"], c, rtol=1e-12, atol=0)]
        assert sel["role"].value_counts().to_dict() == {"total": 3, "nsb": 3}
    nsb = lay[lay.role == "nsb"]
    assert set(nsb["blocker"]) == {"desipramine"} and set(nsb["blocker_conc_M"]) == {10e-6}
    assert set(lay.loc[lay.role == "total", "compound"]) == {"[3H]nisoxetine"}


@pytest.mark.parametrize(
    ("nonspecific", "compound", "temp"), [("inhibitor", "desipramine", 37.0), ("4C", "", 4.0)]
)
def test_uptake_layout(nonspecific, compound, temp):
    lay = uptake_layout(
        [1e-6, 1e-7, 1e-8, 1e-9],
        compound="norclomipramine",
        nonspecific=nonspecific,
        substrate_M=15e-9,
    )
    assert lay["role"].value_counts().to_dict() == {"competition": 12, "control": 3, "nsb": 3}
    nsb = lay[lay.role == "nsb"]
    assert set(nsb["compound"]) == {compound} and set(nsb["temperature_C"]) == {temp}
    assert set(lay["substrate_M"]) == {15e-9}
    with pytest.raises(ValueError, match="nonspecific"):
        uptake_layout([1e-6], compound="x", nonspecific="boil")


def test_protein_layout():
    lay = protein_layout(["m1", "m2"], standard_replicates=3, sample_replicates=2)
    assert lay["role"].value_counts().to_dict() == {"standard": 24, "blank": 3, "sample": 4}
    assert lay.loc[lay.role == "sample", "protein_ug_per_mL"].isna().all()
    assert set(lay.loc[lay.role == "blank", "protein_ug_per_mL"]) == {0.0}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"replicates": 0}, "replicates"),
        ({"plate_format": 100}, "plate_format"),
        ({"fill": "diagonal"}, "fill"),
        ({"compound": ["a", "a"]}, "twice"),
    ],
)
def test_layout_bad_arguments(kwargs, match):
    args = {"compound": "x", **kwargs}
    with pytest.raises(ValueError, match=match):
        competition_layout([1e-6, 1e-7], **args)


def test_well_names_round_trip():
    for r in range(16):
        for c in range(24):
            assert parse_well(well_name(r, c)) == (r, c)
    assert parse_well("b07") == (1, 6)
    with pytest.raises(LayoutError, match="not a well name"):
        parse_well("7B")


# ------------------------------------------------------------ dilution table


def test_dilution_table_hand_arithmetic_single_step():
    # finals 1, 0.1, 0.01 uM; working = 4x (50 uL into 200 uL): 4, 0.4, 0.04 uM.
    # From the last step back, keeping 200 uL of each working solution:
    #   step 3: 200 uL total, 10-fold -> 20 uL of step 2 + 180 uL diluent
    #   step 2: 200 + 20 = 220 uL, 10-fold -> 22 uL of step 1 + 198 uL
    #   step 1: 200 + 22 = 222 uL, 1 mM / 4 uM = 250-fold -> 0.888 uL stock + 221.112 uL
    t = dilution_table(
        [1e-6, 1e-7, 1e-8], stock_M=1e-3, working_volume_uL=200, max_step_dilution=None
    )
    np.testing.assert_allclose(t["working_M"], [4e-6, 4e-7, 4e-8])
    np.testing.assert_allclose(t["final_M"], [1e-6, 1e-7, 1e-8])
    np.testing.assert_allclose(t["dilution_factor"], [250, 10, 10])
    np.testing.assert_allclose(t["total_uL"], [222, 220, 200])
    np.testing.assert_allclose(t["transfer_uL"], [0.888, 22, 20])
    np.testing.assert_allclose(t["diluent_uL"], [221.112, 198, 180])
    assert list(t["source"]) == ["stock", "step 1", "step 2"]
    assert "below 1 µL" in t["note"].iloc[0] and t["note"].iloc[1] == ""


def test_dilution_table_with_intermediate():
    # 1 mM stock -> 10 uM intermediate (1:100), then 4 uM working (2.5-fold):
    # working step needs 222 uL -> 88.8 uL of intermediate + 133.2 uL diluent;
    # the intermediate is made at its 100 uL minimum: 1 uL stock + 99 uL diluent.
    t = dilution_table([1e-6, 1e-7, 1e-8], stock_M=1e-3, working_volume_uL=200, fold=10)
    assert list(t["kind"]) == ["intermediate", "working", "working", "working"]
    np.testing.assert_allclose(t["working_M"], [1e-5, 4e-6, 4e-7, 4e-8])
    np.testing.assert_allclose(t["transfer_uL"], [1.0, 88.8, 22, 20])
    np.testing.assert_allclose(t["diluent_uL"], [99.0, 133.2, 198, 180])
    assert (t["note"] == "").all()
    assert math.isnan(t["final_M"].iloc[0])


def test_dilution_table_half_log_defaults():
    finals = concentration_series(top_M=1e-6, n=6)
    t = dilution_table(finals, stock_M=10e-6)  # 4 uM top working from 10 uM: no intermediate
    assert len(t) == 6
    # default keep = 50 uL x (3 + 1) = 200 uL; last step: 200 / sqrt(10) transferred
    assert t["transfer_uL"].iloc[-1] == pytest.approx(200 / HALF_LOG)
    # mass balance: every working solution ends with 200 uL after feeding the next
    left = t["total_uL"] - t["transfer_uL"].shift(-1, fill_value=0.0)
    np.testing.assert_allclose(left, 200.0)
    np.testing.assert_allclose(t["working_M"] / t["final_M"], 4.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stock_M": 1e-6}, "below the top working solution"),
        ({"stock_M": 1e-3, "fold": 3.0}, "10-fold step, not fold=3"),
        ({"stock_M": 1e-3, "compound_volume_uL": 300}, "exceeds"),
    ],
)
def test_dilution_table_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dilution_table([1e-6, 1e-7], **kwargs)


# ------------------------------------------------------------ plate maps


def _circles(ax):
    return [p for p in ax.patches if isinstance(p, Circle)]


def test_plot_plate_map_96():
    lay = competition_layout(concentration_series(1e-9), compound=["a", "b"])
    ax = plot_plate_map(lay)
    assert len(_circles(ax)) == 96
    assert len(ax.texts) == len(lay)  # one label per used well
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["total", "nsb", "competition"]
    texts = {t.get_text() for t in ax.texts}
    assert {"TB", "NSB"} <= texts and any(t.endswith("nM") for t in texts)
    assert [t.get_text() for t in ax.get_yticklabels()] == list("ABCDEFGH")


def test_plot_plate_map_384_and_colour_by():
    lay = competition_layout(concentration_series(1e-9), compound=list("abcde"), plate_format=384)
    ax = plot_plate_map(lay, colour_by="compound", labels=False)
    assert len(_circles(ax)) == 384 and not ax.texts
    assert len(ax.get_legend().get_texts()) == 7  # "", desipramine, a-e
    ax2 = plot_plate_map(lay, colour_by="conc_M")
    assert len(_circles(ax2)) == 384
    with pytest.raises(ValueError, match="colour_by"):
        plot_plate_map(lay, colour_by="nope")


def test_plot_plate_map_uses_given_axes_and_plate(tmp_path):
    lay = competition_layout(concentration_series(1e-9), compound=list("abcd"), max_plates=2)
    with pytest.raises(ValueError, match="2 plates"):
        plot_plate_map(lay)
    fig, ax = plt.subplots()
    out = plot_plate_map(lay, ax=ax, plate="2")
    assert out is ax
    assert len(ax.texts) == (lay["plate"] == "2").sum()
    fig.savefig(tmp_path / "map.svg")
    assert (tmp_path / "map.svg").stat().st_size > 1000


def test_plate_map_html():
    lay = competition_layout(concentration_series(1e-9), compound=["<b>x</b>", "y"], max_plates=1)
    page = plate_map_html(lay, title="NET competition")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert len(re.findall(r"<td\b", page)) == 96
    assert page.count('class="well"') == len(lay)
    assert page.count('class="empty"') == 96 - len(lay)
    assert len(re.findall(r"<th>", page)) == 1 + 12 + 8
    assert "10 µM" in page and "desipramine" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    for external in ("http", "<link", "<script", "src="):
        assert external not in page


def test_plate_map_html_multi_plate_384():
    lay = competition_layout(
        concentration_series(1e-9), compound=list("abcd"), max_plates=2, plate_format=96
    )
    page = plate_map_html(lay)
    assert page.count('<table class="plate"') == 2
    assert len(re.findall(r"<td\b", page)) == 192
    big = competition_layout(concentration_series(1e-9), compound="a", plate_format=384)
    assert len(re.findall(r"<td\b", plate_map_html(big))) == 384


# ------------------------------------------------------------ with pdstudy.io


def test_layouts_round_trip_through_io_write_layout(tmp_path):
    from pdstudy import io

    concs = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9)
    layouts = {
        "competition": competition_layout(concs, compound=["a", "b"], n_blank=2, target="NET"),
        "saturation": saturation_layout(saturation_series(0.8e-9)),
        "uptake": uptake_layout(concs, compound="a", nonspecific="4C", substrate_M=15e-9),
        "protein": protein_layout(),
    }
    for name, lay in layouts.items():
        back = io.read_layout(io.write_layout(lay, tmp_path / f"{name}.toml"))
        merged = lay.merge(back, on=["plate", "well"], suffixes=("", "_read"))
        assert len(merged) == len(lay) == len(back), name
        assert (merged["role"] == merged["role_read"]).all(), name
        np.testing.assert_allclose(merged["conc_M_read"], merged["conc_M"], rtol=1e-12)
