"""Tests of pdstudy.io plate readers and writers.

Real instrument files are in ../shared/testdata/plates (skipped when absent);
their expected values were read by eye from the files. The other files are
written here by hand, following each layout's description, or by
write_plate for the round trips.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdstudy.errors import InputFileError, UnknownFormatError
from pdstudy.io import list_plate_formats, read_plate, write_plate

PLATES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "plates"
SHAPES = {96: (8, 12), 384: (16, 24), 1536: (32, 48)}
ROWS = [chr(ord("A") + i) for i in range(26)] + ["A" + c for c in "ABCDEF"]


def shared(name: str) -> Path:
    path = PLATES / name
    if not path.exists():
        pytest.skip(f"shared test data {path} not present (only in the project workspace)")
    return path


def wells_of(size: int) -> list[str]:
    n_rows, n_cols = SHAPES[size]
    return [f"{ROWS[i]}{j + 1}" for i in range(n_rows) for j in range(n_cols)]


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_well(frame: pd.DataFrame, plate: str = "1") -> pd.DataFrame:
    return frame[frame["plate"] == plate].set_index("well")


# --- real instrument files ------------------------------------------------------------


def test_hidex_real_file_values_read_by_eye():
    frame = read_plate(shared("hidex300sl_mikrowin_Lu177_2023_11_30.csv"))
    assert frame.attrs["format"] == "hidex"
    assert list(frame.columns) == [
        "plate",
        "well",
        "row",
        "col",
        "signal",
        "cpm",
        "dpm",
        "count_time_s",
    ]
    # Four 'Sample start' blocks: A01 and A08, each counted in two repetitions.
    assert list(frame["plate"]) == ["1", "1", "2", "2"]
    assert list(frame["well"]) == ["A1", "A8", "A1", "A8"]
    assert list(frame["col"]) == [1, 8, 1, 8]
    np.testing.assert_array_equal(frame["cpm"], [83.970, 252623.230, 87.570, 251953.090])
    np.testing.assert_array_equal(frame["signal"], frame["cpm"])
    np.testing.assert_array_equal(frame["dpm"], [126, 258604, 136, 257849])
    np.testing.assert_array_equal(frame["count_time_s"], [100, 100, 100, 100])


def test_hidex_cpm_agrees_with_counts_time_and_dead_time():
    # Independent check from the file's own raw fields: CPM = Counts / Time * 60 * DTime
    # (Counts 140, 374237, 146, 373593; DTime 1.000, 1.125, 1.000, 1.124; Time 100 s).
    frame = read_plate(shared("hidex300sl_mikrowin_Lu177_2023_11_30.csv"))
    counts = np.array([140, 374237, 146, 373593])
    dtime = np.array([1.000, 1.125, 1.000, 1.124])
    expected = counts / frame["count_time_s"].to_numpy() * 60 * dtime
    np.testing.assert_allclose(frame["cpm"], expected, rtol=2e-3)


@pytest.mark.parametrize(
    ("name", "n_wells", "checks"),
    [
        ("bmg_mars_abs450_96w_anonymised.csv", 96, {"A1": 0.073, "B3": 0.012, "H12": 0.207}),
        ("bmg_mars_pherastar_abs450_96w_elisa.csv", 96, {"A1": 1.691, "H12": 0.884}),
        # partial 384 plate: rows A, B, O, P hold columns 1-7 and 18-24, C-H 1-6, I 1-7
        ("bmg_mars_pherastar_abs484_384w_qc.csv", 99, {"C1": 2.368, "I7": 0.07, "P24": 0.032}),
        # 1536 rows trimmed to A, G, M, S, Y, e (BMG writes row 31 as 'e' = AE)
        (
            "bmg_mars_clariostar_lum_1536w_trimmed.csv",
            288,
            {"A1": 985, "G2": 21272893, "AE1": 36809},
        ),
    ],
)
def test_bmg_mars_real_files(name, n_wells, checks):
    frame = read_plate(shared(name))
    assert frame.attrs["format"] == "bmg_mars"
    assert len(frame) == n_wells
    assert set(frame["plate"]) == {"1"}
    wells = by_well(frame)
    for well, value in checks.items():
        assert wells.loc[well, "signal"] == value


def test_bmg_partial_plate_leaves_unread_wells_out():
    frame = read_plate(shared("bmg_mars_pherastar_abs484_384w_qc.csv"))
    assert not frame["well"].isin(["J1", "A8", "C7", "K24"]).any()
    assert not frame["signal"].isna().any()


@pytest.mark.parametrize(
    ("name", "checks"),
    [
        ("gen5_mockBCA_abs_stdcurve_simulated.txt", {"A1": 3.337, "H1": 0.001, "H12": 0.194}),
        ("gen5_luminescence_endpoint_simulated.txt", {"A1": 8718, "A12": 210}),
    ],
)
def test_gen5_real_layout(name, checks):
    frame = read_plate(shared(name))
    assert frame.attrs["format"] == "gen5"
    assert len(frame) == 96
    wells = by_well(frame)
    for well, value in checks.items():
        assert wells.loc[well, "signal"] == value


def test_gen5_overflow_flag_is_an_excluded_well_with_its_reason():
    path = shared("gen5_synergyH1_abs450_OVRFLW_MISSED_simulated.txt")
    frame = read_plate(path)
    a8 = frame[frame["well"] == "A8"].iloc[0]
    assert bool(a8["excluded"]) and "OVRFLW" in a8["exclude_reason"]
    assert frame.loc[frame["well"] == "A9", "signal"].iloc[0] == 2.32  # line 31


def test_unknown_text_in_a_grid_is_still_an_error_naming_the_well(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text(",1,2,3,4,5,6,7,8,9,10,11,12\nA,1,2,3,4,5,6,7,8,9,10,11,zz\n")
    with pytest.raises(
        InputFileError, match=r"line 2, column 13 \(well A12\): 'zz' is not a number"
    ):
        read_plate(p)


def test_gen5_kinetic_export_is_refused():
    with pytest.raises(InputFileError, match="kinetic read"):
        read_plate(shared("gen5_elx808_kinetic630_excel.xlsx"))


def test_skanit_xlsx_grid():
    frame = read_plate(shared("thermo_skanit_luminescence_rlu_96w.xlsx"))
    assert frame.attrs["format"] == "grid"
    wells = by_well(frame)
    assert wells.loc["A1", "signal"] == 105.4
    assert wells.loc["H12", "signal"] == 1043
    assert len(frame) == 96


# --- round trips ----------------------------------------------------------------------

#: write format -> (columns it carries, several plates?, counts?, suffix)
FORMATS = {
    "long_csv": (("signal", "cpm", "dpm", "count_time_s"), True, False, ".csv"),
    "long_xlsx": (("signal", "cpm", "dpm", "count_time_s"), True, False, ".xlsx"),
    "grid_csv": (("signal",), True, False, ".csv"),
    "grid_xlsx": (("signal",), True, False, ".xlsx"),
    "microbeta": (("signal", "cpm", "dpm", "count_time_s"), True, True, ".txt"),
    "topcount": (("signal", "cpm", "count_time_s"), False, True, ".001"),
    "hidex": (("signal", "cpm", "dpm", "count_time_s"), True, True, ".csv"),
    "counter_csv": (("signal", "cpm", "dpm", "count_time_s"), True, True, ".txt"),
}
READ_NAME = {
    "long_csv": "long",
    "long_xlsx": "long",
    "grid_csv": "grid",
    "grid_xlsx": "grid",
    "counter_csv": "counter",
}


def simulated(
    rng: np.random.Generator, size: int, plates: list[str], fraction: float = 1.0
) -> pd.DataFrame:
    """A tidy plate table with CPM-like counts (signal == cpm), DPM and counting times."""
    parts = []
    for plate in plates:
        wells = [w for w in wells_of(size) if rng.random() < fraction] or ["A1"]
        cpm = np.round(rng.gamma(2.0, 2000.0, len(wells)), 2)
        parts.append(
            pd.DataFrame(
                {
                    "plate": plate,
                    "well": wells,
                    "signal": cpm,
                    "cpm": cpm,
                    "dpm": np.round(cpm / 0.45, 1),
                    "count_time_s": rng.choice([30.0, 60.0, 120.0], len(wells)),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def check_round_trip(written: pd.DataFrame, read: pd.DataFrame, fmt: str) -> None:
    cols = FORMATS[fmt][0]
    assert read.attrs["format"] == READ_NAME.get(fmt, fmt)
    assert list(read.columns) == ["plate", "well", "row", "col", *cols]
    expected = written.copy()
    if fmt in ("grid_csv", "grid_xlsx"):
        expected = expected[["plate", "well", "signal"]]
    order = {p: k for k, p in enumerate(dict.fromkeys(expected["plate"]))}
    expected["_k"] = [
        (order[p], ROWS.index(w.rstrip("0123456789")), int(w.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
        for p, w in zip(expected["plate"], expected["well"], strict=True)
    ]
    expected = expected.sort_values("_k").reset_index(drop=True)
    assert list(read["plate"]) == list(expected["plate"])
    assert list(read["well"]) == list(expected["well"])
    assert list(read["row"] + read["col"].astype(str)) == list(read["well"])
    for col in cols:
        np.testing.assert_allclose(read[col], expected[col], rtol=1e-12, atol=0, err_msg=col)
    assert read["col"].dtype == np.int64
    assert not read[list(cols)].isna().any().any()


@pytest.mark.parametrize(
    ("fmt", "size"),
    # 1536-well workbooks are slow to write; the text formats cover 1536
    [(f, n) for f in sorted(FORMATS) for n in (96, 384, 1536) if not (n == 1536 and "xlsx" in f)],
)
def test_round_trip_full_plates(tmp_path, fmt, size):
    rng = np.random.default_rng(20240611 + size)
    multi = FORMATS[fmt][1]
    plates = ["1", "2"] if multi else ["1"]
    frame = simulated(rng, size, plates)
    path = write_plate(frame, tmp_path / f"plate{FORMATS[fmt][3]}", fmt)
    read = read_plate(path)
    check_round_trip(frame[frame["plate"].isin(plates)], read, fmt)
    # the size comes from the wells: the grid writers wrote full plates of that size
    assert read["row"].nunique() == SHAPES[size][0]


plate_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,6}", fullmatch=True)


@st.composite
def tidy_plates(draw, fmt: str) -> pd.DataFrame:
    cols, multi, counts, _ = FORMATS[fmt]
    size = draw(st.sampled_from([96, 384]))
    n_plates = draw(st.integers(1, 3)) if multi else 1
    if fmt == "hidex":
        ids = [str(k + 1) for k in range(n_plates)]  # Hidex numbers repetitions
    else:
        ids = draw(st.lists(plate_ids, min_size=n_plates, max_size=n_plates, unique=True))
    parts = []
    for plate in ids:
        wells = draw(
            st.lists(st.sampled_from(wells_of(size)), min_size=1, max_size=40, unique=True)
        )
        n = len(wells)
        if counts:
            sig = draw(st.lists(st.floats(0, 1e7, allow_nan=False), min_size=n, max_size=n))
        else:
            sig = draw(st.lists(st.floats(-5, 1e6, allow_nan=False), min_size=n, max_size=n))
        part = pd.DataFrame({"plate": plate, "well": wells, "signal": sig})
        if "cpm" in cols:
            part["cpm"] = np.abs(part["signal"]) if not counts else part["signal"]
        if "dpm" in cols:
            part["dpm"] = draw(st.lists(st.floats(0, 1e7), min_size=n, max_size=n))
        if "count_time_s" in cols:
            part["count_time_s"] = draw(
                st.lists(st.floats(0.5, 3600, allow_nan=False), min_size=n, max_size=n)
            )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_round_trip_property(tmp_path, fmt, data):
    frame = data.draw(tidy_plates(fmt))
    path = write_plate(frame, tmp_path / f"plate{FORMATS[fmt][3]}", fmt)
    check_round_trip(frame, read_plate(path), fmt)


def test_dispatch_on_content_not_extension(tmp_path):
    frame = simulated(np.random.default_rng(1), 96, ["1"])
    for fmt, expected in [
        ("long_csv", "long"),
        ("grid_csv", "grid"),
        ("microbeta", "microbeta"),
        ("hidex", "hidex"),
        ("counter_csv", "counter"),
        ("topcount", "topcount"),
        ("long_xlsx", "long"),
    ]:
        path = write_plate(frame, tmp_path / f"{fmt}.dat", fmt)
        assert read_plate(path).attrs["format"] == expected


def test_format_override_and_aliases(tmp_path):
    frame = simulated(np.random.default_rng(2), 96, ["1"])
    path = write_plate(frame, tmp_path / "p.csv", "long_csv")
    assert read_plate(path, format="long_csv").attrs["format"] == "long"
    assert read_plate(path, format="long").equals(read_plate(path))
    with pytest.raises(InputFileError, match="no 'Sample start' blocks"):
        read_plate(path, format="hidex")
    with pytest.raises(ValueError, match="unknown plate format 'nope'; known formats: .*hidex"):
        read_plate(path, format="nope")


def test_list_plate_formats():
    table = list_plate_formats()
    assert list(table.columns) == ["name", "description", "writers"]
    names = set(table["name"])
    assert {"long", "grid", "microbeta", "topcount", "hidex", "counter"} <= names
    writers = ", ".join(table["writers"]).split(", ")
    assert set(FORMATS) <= set(writers)
    assert table["description"].str.len().min() > 20


# --- hand-written files of each layout ---------------------------------------------


@pytest.mark.parametrize("well_header", ["Well", "WELL", "well", "Pos", "Position"])
@pytest.mark.parametrize(
    ("value_header", "counts"),
    [
        ("signal", False),
        ("CPM", True),
        ("ccpm", True),
        ("Counts", True),
        ("value", False),
        ("OD", False),
        ("Absorbance", False),
        ("abs", False),
        ("OD450", False),
    ],
)
def test_long_headers(tmp_path, well_header, value_header, counts):
    path = write_text(tmp_path, "l.csv", f"{well_header},{value_header}\nA01,1.5\nB12,2.25\nA2,0\n")
    frame = read_plate(path)
    assert list(frame["well"]) == ["A1", "A2", "B12"]
    assert list(frame["signal"]) == [1.5, 0.0, 2.25]
    assert ("cpm" in frame.columns) == (value_header.lower() in ("cpm", "ccpm"))


def test_long_single_numeric_column_and_plate(tmp_path):
    path = write_text(
        tmp_path,
        "l.csv",
        "Plate,Well,Sample,Reading\np1,A1,std,10\np1,A2,std,11\np2,A1,x,12\n",
    )
    frame = read_plate(path)
    assert list(frame["plate"]) == ["p1", "p1", "p2"]
    assert list(frame["signal"]) == [10, 11, 12]  # 'Reading' is the one numeric column


def test_long_dpm_only_is_the_signal(tmp_path):
    frame = read_plate(write_text(tmp_path, "l.csv", "Sample,Well,DPM1\n1,A1,22\n2,A2,23\n"))
    assert list(frame["signal"]) == [22, 23]
    assert list(frame["dpm"]) == [22, 23]


def test_long_xlsx_with_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("counts")
    ws.append(["Well", "CPM"])
    ws.append(["A1", 100])
    ws.append(["H12", 250.5])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    frame = read_plate(path, sheet="counts")
    assert list(frame["well"]) == ["A1", "H12"]
    assert list(frame["cpm"]) == [100, 250.5]
    assert read_plate(path, sheet=1).equals(frame)
    with pytest.raises(InputFileError, match=r"no sheet named 'cpm'; sheets: 'notes', 'counts'"):
        read_plate(path, sheet="cpm")


def test_grid_several_plates_titles_and_blank_separation(tmp_path):
    header = "," + ",".join(str(c) for c in range(1, 13))
    rows = "\n".join(
        f"{r}," + ",".join(str(k * 12 + c) for c in range(12)) for k, r in enumerate("ABCDEFGH")
    )
    text = f"Plate 1\n{header}\n{rows}\n\nPlate: second\n{header}\n{rows}\n"
    frame = read_plate(write_text(tmp_path, "g.csv", text))
    assert list(dict.fromkeys(frame["plate"])) == ["1", "second"]
    assert by_well(frame, "second").loc["H12", "signal"] == 95
    untitled = read_plate(write_text(tmp_path, "u.csv", f"{header}\n{rows}\n\n{header}\n{rows}\n"))
    assert list(dict.fromkeys(untitled["plate"])) == ["1", "2"]
    assert len(untitled) == 192


def test_grid_tab_separated_with_decimal_comma(tmp_path):
    header = "\t" + "\t".join(str(c) for c in range(1, 13))
    rows = "\n".join(f"{r}\t" + "\t".join("0,5" for _ in range(12)) for r in "ABCDEFGH")
    frame = read_plate(write_text(tmp_path, "g.txt", f"{header}\n{rows}\n"))
    assert (frame["signal"] == 0.5).all()
    assert len(frame) == 96


@pytest.mark.parametrize("sep", ["\t", ",", ";"])
def test_counter_export_with_preamble(tmp_path, sep):
    lines = [
        "Counter run report",
        f"Protocol{sep}binding NET",
        f"Date{sep}2024-06-11",
        "",
        sep.join(["Sample", "Pos", "CPM", "DPM", "CTIME (min)"]),
        sep.join(["1", "A01", "1200", "2600", "1"]),
        sep.join(["2", "A02", "1100.5", "2500", "0.5"]),
        sep.join(["3", "B01", "35", "80", "1"]),
        "",
        f"Total count rate:{sep}2335.5",
    ]
    frame = read_plate(write_text(tmp_path, "run.txt", "\n".join(lines) + "\n"))
    assert frame.attrs["format"] == "counter"
    assert list(frame["well"]) == ["A1", "A2", "B1"]
    assert list(frame["signal"]) == [1200, 1100.5, 35]
    assert list(frame["cpm"]) == [1200, 1100.5, 35]
    assert list(frame["dpm"]) == [2600, 2500, 80]
    assert list(frame["count_time_s"]) == [60, 30, 60]


def test_counter_semicolon_decimal_comma(tmp_path):
    text = "Instrument X\n\nWell;CPM;Time\nA1;12,5;60\nA2;13,25;60\n"
    frame = read_plate(write_text(tmp_path, "r.csv", text))
    assert list(frame["cpm"]) == [12.5, 13.25]
    assert list(frame["count_time_s"]) == [60, 60]


MICROBETA = """RUN INFORMATION:
Protocol name:\tNET binding [3H]nisoxetine
Counting time:\t1 min
Date:\t2024-06-11

COLUMNS:
SAMPLE\tPOS\tCCPM1\tCCPM1%

Plate 1
CCPM1
\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12
A\t812\t790\t805\t100\t\t\t\t\t\t\t\t
B\t60.5\t58\t62\t\t\t\t\t\t\t\t\t

CCPM1%
\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12
A\t7.0\t7.1\t7.0\t20\t\t\t\t\t\t\t\t
B\t25\t26\t25\t\t\t\t\t\t\t\t\t
End of plate 1

Total count rate:\t2687.5
"""


def test_microbeta_hand_written_from_the_description(tmp_path):
    frame = read_plate(write_text(tmp_path, "run.txt", MICROBETA))
    assert frame.attrs["format"] == "microbeta"
    assert list(frame["well"]) == ["A1", "A2", "A3", "A4", "B1", "B2", "B3"]
    assert list(frame["cpm"]) == [812, 790, 805, 100, 60.5, 58, 62]
    assert (frame["count_time_s"] == 60).all()
    assert "dpm" not in frame.columns


def test_microbeta_list_rows_without_plate_sections(tmp_path):
    text = "RUN INFORMATION:\nProtocol:\t3\n\nCOLUMNS:\nSAMPLE\tPOS\tCCPM1\tCCPM1%\n1\tA01\t812\t7.0\n2\tA02\t790\t7.1\n"
    frame = read_plate(write_text(tmp_path, "list.txt", text))
    assert list(frame["well"]) == ["A1", "A2"]
    assert list(frame["cpm"]) == [812, 790]


def test_microbeta_missing_end_of_plate(tmp_path):
    text = MICROBETA.replace("End of plate 1\n", "")
    with pytest.raises(InputFileError, match=r"line 9: plate 1 has no 'End of plate 1' line"):
        read_plate(write_text(tmp_path, "run.txt", text))


def test_topcount_by_suffix_with_minutes(tmp_path):
    header = "\t" + "\t".join(str(c) for c in range(1, 13))
    counts = "\n".join(
        f"{r}\t" + "\t".join(str(100 * (k + 1) + c) for c in range(12))
        for k, r in enumerate("ABCDEFGH")
    )
    times = "\n".join(f"{r}\t" + "\t".join("0.5" for _ in range(12)) for r in "ABCDEFGH")
    path = write_text(tmp_path, "PLATE.003", f"{header}\n{counts}\n\n{header}\n{times}\n")
    frame = read_plate(path)
    assert frame.attrs["format"] == "topcount"
    assert set(frame["plate"]) == {"3"}
    assert by_well(frame, "3").loc["H12", "cpm"] == 811
    assert (frame["count_time_s"] == 30).all()


# --- bad input ------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match=r"nothere\.csv: no such file"):
        read_plate(tmp_path / "nothere.csv")


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file(tmp_path, content):
    with pytest.raises(InputFileError, match=r"empty\.csv: file is empty"):
        read_plate(write_text(tmp_path, "empty.csv", content))


def test_unrecognised_format_lists_the_formats_tried(tmp_path):
    path = write_text(tmp_path, "notes.txt", "Dear diary,\ntoday the counter broke.\n")
    with pytest.raises(
        UnknownFormatError, match=r"notes\.txt: .*formats tried: hidex, microbeta, .*grid"
    ):
        read_plate(path)


def test_old_excel_is_named(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(UnknownFormatError, match=r"old binary Excel"):
        read_plate(path)


GRID_HEADER = "," + ",".join(str(c) for c in range(1, 13))
GRID_ROWS = [f"{r}," + ",".join("1" for _ in range(12)) for r in "ABCDEFGH"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "long non-numeric",
            "Well,CPM\nA1,10\nB1,abc\n",
            r"line 3, column 2 \(well B1\): 'abc' is not a number",
        ),
        (
            "long nan text",
            "Well,CPM\nA1,nan\n",
            r"line 2, column 2 \(well A1\): 'nan' is not a number",
        ),
        (
            "grid non-numeric",
            "\n".join([GRID_HEADER, *GRID_ROWS[:2], "C,1,1,x7,1,1,1,1,1,1,1,1,1", *GRID_ROWS[3:]]),
            r"line 4, column 4 \(well C3\): 'x7' is not a number",
        ),
        (
            "duplicate well",
            "Well,CPM\nA1,10\nA01,12\n",
            r"line 3: duplicate well A1 in plate 1 \(also at line 2\)",
        ),
        ("not a well", "Well,CPM\nA1,10\nZ99,12\n", r"line 3: 'Z99' is not a well name"),
        ("negative counts", "Well,CPM\nA1,10\nA2,-5\n", r"line 3: negative count -5 in well A2"),
        ("negative dpm", "Well,signal,dpm\nA1,10,-1\n", r"line 2: negative count -1 in well A1"),
        (
            "ragged grid",
            "\n".join(
                [
                    GRID_HEADER,
                    *GRID_ROWS[:2],
                    "C," + ",".join("1" for _ in range(11)),
                    *GRID_ROWS[3:],
                ]
            ),
            r"line 4: ragged grid: row C has 11 cells, the header has 12 columns",
        ),
        (
            "grid too wide",
            "\n".join(
                [
                    GRID_HEADER,
                    *GRID_ROWS[:2],
                    "C," + ",".join("1" for _ in range(13)),
                    *GRID_ROWS[3:],
                ]
            ),
            r"line 4: ragged grid: row C has values beyond the header's 12 columns",
        ),
        (
            "row outside the plate",
            "\n".join([GRID_HEADER, *GRID_ROWS, "I," + ",".join("1" for _ in range(12))]),
            r"line 10, column 1: row I does not exist on a 96-well plate",
        ),
        (
            "dpm for some wells only",
            "Well,CPM,DPM\nA1,10,20\nA2,11,\n",
            r"line 3: well A2 has no dpm value, but well A1 has one",
        ),
        (
            "no value",
            "Well,CPM\nA1,10\nA2,\n",
            r"line 3, column 2 \(well A2\): no value in column 'CPM'",
        ),
        (
            "ambiguous numeric columns",
            "Well,x,y\nA1,1,2\n",
            r"line 1: cannot tell which column holds the signal \(numeric columns: 'x', 'y'\)",
        ),
        ("header only", "Well,CPM\n", r"line 1: the table has a header but no rows"),
    ],
)
def test_bad_input_messages(tmp_path, name, text, message):
    path = write_text(tmp_path, "bad.csv", text + "\n")
    with pytest.raises(InputFileError, match=message) as info:
        read_plate(path)
    assert str(path) in str(info.value)


def test_xlsx_error_names_sheet_and_cell(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "counts"
    ws.append(["Well", "CPM"])
    ws.append(["A1", 100])
    ws.append(["A2", "n.d."])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(
        InputFileError, match=r"sheet 'counts', cell B3 \(well A2\): 'n\.d\.' is not a number"
    ):
        read_plate(path)


def test_sheet_on_a_text_file(tmp_path):
    path = write_text(tmp_path, "l.csv", "Well,CPM\nA1,10\n")
    with pytest.raises(
        InputFileError, match="sheet='x' was given but the file is not an Excel workbook"
    ):
        read_plate(path, sheet="x")


def test_well_outside_the_declared_plate_size(tmp_path):
    path = write_text(tmp_path, "l.csv", "Well,CPM\nA1,10\nI13,12\n")
    assert len(read_plate(path)) == 2  # fits a 384-well plate
    with pytest.raises(InputFileError, match=r"plate 1: well I13 is outside a 96-well plate"):
        read_plate(path, plate_size=96)
    with pytest.raises(ValueError, match="plate_size must be one of"):
        read_plate(path, plate_size=100)


def test_hidex_bad_value_names_the_well(tmp_path):
    text = "title\nSample start\nSamp.;1\nRepe.;1\nWName;B03\nCPM;12x\n"
    with pytest.raises(InputFileError, match=r"line 6 \(CPM, well B03\): '12x' is not a number"):
        read_plate(write_text(tmp_path, "h.csv", text))


def test_write_errors(tmp_path):
    frame = simulated(np.random.default_rng(3), 96, ["1", "2"])
    with pytest.raises(ValueError, match="a TopCount file holds one plate; the table has 2"):
        write_plate(frame, tmp_path / "PLATE.001", "topcount")
    with pytest.raises(ValueError, match="unknown plate write format 'csv'"):
        write_plate(frame, tmp_path / "x.csv", "csv")
    negative = frame.assign(signal=-1.0, cpm=-1.0)
    with pytest.raises(ValueError, match="negative value -1 in well A1 of plate 1"):
        write_plate(negative, tmp_path / "x.txt", "counter_csv")
    write_plate(
        negative.drop(columns=["cpm", "dpm", "count_time_s"]), tmp_path / "g.csv", "grid_csv"
    )
    big = pd.DataFrame({"well": ["A1", "P24"], "signal": [1.0, 2.0]})
    with pytest.raises(ValueError, match="well P24 is outside a 96-well plate"):
        write_plate(big, tmp_path / "g.csv", "grid_csv", plate_size=96)
    with pytest.raises(ValueError, match="duplicate well A1 in plate 1"):
        write_plate(
            pd.DataFrame({"well": ["A1", "A01"], "signal": [1.0, 2.0]}),
            tmp_path / "d.csv",
            "long_csv",
        )
    with pytest.raises(ValueError, match=r"plate id 'a\\tb' cannot be written"):
        write_plate(
            pd.DataFrame({"plate": ["a\tb"], "well": ["A1"], "signal": [1.0]}),
            tmp_path / "t.csv",
            "long_csv",
        )
    with pytest.raises(ValueError, match="'signal': well A2 of plate 1 has no finite value"):
        write_plate(
            pd.DataFrame({"well": ["A1", "A2"], "signal": [1.0, np.nan]}),
            tmp_path / "n.csv",
            "long_csv",
        )
