"""Every real instrument export in ../shared/testdata/plates/ is read right or refused clearly.

Each file has one row below: the format it must be read as, the number of
wells and plates, and values copied by hand from the file itself (the line or
cell is named in the comment), or the refusal it must get. A new file in the
folder without a row fails ``test_every_file_has_a_row``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pdstudy.errors import InputFileError, UsageError
from pdstudy.io import read_plate

PLATES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "plates"

pytestmark = pytest.mark.skipif(
    not PLATES.is_dir(), reason="../shared/testdata/plates (real instrument files) is absent"
)

# file -> (format, n wells, plates, {(plate, well): value}, {excluded well: reason text})
READ = {
    "bmg_mars_abs450_96w_anonymised.csv": (
        "bmg_mars",
        96,
        ["1"],
        {("1", "A1"): 0.073, ("1", "H12"): 0.207},
        {},
    ),
    "bmg_mars_clariostar_lum_1536w_trimmed.csv": (
        "bmg_mars",
        288,
        ["1"],
        {("1", "A1"): 985, ("1", "A3"): 1165},
        {},
    ),
    "bmg_mars_pherastar_abs450_96w_elisa.csv": (
        "bmg_mars",
        96,
        ["1"],
        {("1", "A1"): 1.691, ("1", "H12"): 0.884},
        {},
    ),
    # line 10: A1..A7 then empty cells (a partial plate), A18 0.032
    "bmg_mars_pherastar_abs484_384w_qc.csv": (
        "bmg_mars",
        99,
        ["1"],
        {("1", "A7"): 0.032, ("1", "H6"): 0.106},
        {},
    ),
    # the last of 21 cycles (row 36 and row 57 of the first sheet); channels are plates
    "bmg_mars_lumistar_omega_bret_table_all_cycles.xlsx": (
        "bmg_cycles",
        192,
        ["Raw Data (535 A)", "Raw Data (475-30 B)"],
        {("Raw Data (535 A)", "A1"): 31886, ("Raw Data (475-30 B)", "A1"): 68020},
        {},
    ),
    # 'Results for A450(1)' grids of plates 1 and 2 (lines 11 and 30)
    "envision_abs450_example.csv": (
        "envision",
        192,
        ["1", "2"],
        {("1", "A1"): 0.15, ("1", "H1"): 0.18, ("2", "A4"): 2.0},
        {},
    ),
    # rows A/E/I/M of two 384-well plates; the raw 'Results for' grids, not the crosstalk-corrected ones
    "envision_uslum_384w_multiplate_trimmedrows.csv": (
        "envision",
        192,
        ["1", "2"],
        {("1", "I8"): 120, ("2", "E1"): 80},
        {},
    ),
    # H3 is '*0.356*' (line 55): masked, the rest read
    "gen5_lowry_protein_abs660_stdcurve.txt": (
        "gen5",
        96,
        ["1"],
        {("1", "A1"): 0.044, ("1", "H12"): 0.526},
        {"H3": "masked"},
    ),
    "gen5_luminescence_endpoint_simulated.txt": (
        "gen5",
        96,
        ["1"],
        {("1", "A1"): 8718, ("1", "H12"): 8490},
        {},
    ),
    # the raw 630 nm read (line 49), not the blanked or concentration rows under it
    "gen5_mockBCA_abs_stdcurve_simulated.txt": (
        "gen5",
        96,
        ["1"],
        {("1", "A1"): 3.337, ("1", "H4"): 0.178},
        {},
    ),
    "gen5_synergyH1_abs450_OVRFLW_MISSED_simulated.txt": (
        "gen5",
        96,
        ["1"],
        {("1", "A1"): 2.1, ("1", "H12"): 2.5},
        {"A8": "overflow", "H1": "overflow", "D12": "not measured", "H8": "not measured"},
    ),
    "hidex300sl_mikrowin_Lu177_2023_11_30.csv": (
        "hidex",
        4,
        ["1", "2"],
        {("1", "A1"): 83.97, ("1", "A8"): 252623.23},
        {},
    ),
    # the raw grid of each plate (line 4, line 25), not the reduced copy under it
    "softmaxpro_abs450_endpoint_2plates_groups_utf16le.txt": (
        "softmax",
        192,
        ["Plate01", "Plate02"],
        {
            ("Plate01", "A1"): 3.41797666666667,
            ("Plate02", "A1"): 3.43082333333333,
            ("Plate01", "H2"): -0.000243333333333333,
        },
        {},
    ),
    # 9 reads, the last (line 12, 00:02:00)
    "softmaxpro_spectramax190_kinetic_timeformat_utf16le.txt": (
        "softmax",
        96,
        ["Plate1"],
        {("Plate1", "A1"): 0.0376, ("Plate1", "A3"): 0.0483},
        {},
    ),
    # Latin-1, 3 reads of columns 2-10 only (line 51)
    "softmaxpro_spectramax340_kinetic_partial_latin1.txt": (
        "softmax",
        72,
        ["Plate#1"],
        {("Plate#1", "A2"): 0.0557, ("Plate#1", "H10"): 0.1090},
        {},
    ),
    "softmaxpro_timeformat_reduced_notes_groups.txt": (
        "softmax",
        96,
        ["Plate1"],
        {("Plate1", "A1"): 1.8566, ("Plate1", "A3"): 0.2026},
        {},
    ),
    # well-by-well kinetic list, last of 7 cycles; the user's concentration table (row 25) is not read;
    # E8/F8 sit where C4/D4 would be and are read under their own names
    "tecan_magellan_kinetic_annotated.xlsx": (
        "magellan_kinetic",
        62,
        ["1"],
        {("1", "A4"): 2.7063, ("1", "E8"): None},
        {},
    ),
    "tecan_magellan_od_list.xlsx": (
        "magellan_list",
        96,
        ["96WEL008"],
        {("96WEL008", "A1"): 0.1462, ("96WEL008", "H12"): 0.0461},
        {},
    ),
    # 'Part of Plate C11-C15;D11-D14'
    "tecan_spark_sparkcontrol_lum_384w_endpoint.xlsx": (
        "grid",
        9,
        ["1"],
        {("1", "C11"): 47088, ("1", "D14"): 95432},
        {},
    ),
    "thermo_multiskan_sky_skanit_kinetic340.xlsx": ("skanit_kinetic", 7, ["1"], {}, {}),
    "thermo_skanit_luminescence_rlu_96w.xlsx": (
        "grid",
        96,
        ["1"],
        {("1", "A1"): 105.4, ("1", "H12"): 1043.0},
        {},
    ),
}

REFUSED = {
    "gen5_elx808_kinetic630_excel.xlsx": (
        InputFileError,
        r"a kinetic read; pdstudy reads endpoint",
    ),
    # its last iteration has a row with a stray tab (line 619): the wells cannot be placed
    "thermo_multiskan_spectrum_photometric_iterations.txt": (
        InputFileError,
        r"line 619: .*13 cells where a plate row has 12.*cycle=",
    ),
}


def test_every_file_has_a_row() -> None:
    files = {
        p.name for p in PLATES.iterdir() if p.is_file() and p.suffix in (".csv", ".txt", ".xlsx")
    }
    assert files == set(READ) | set(REFUSED)
    print(f"real plate files: {len(READ)} read, {len(REFUSED)} refused")


@pytest.mark.parametrize("name", sorted(READ))
def test_real_file_read(name: str) -> None:
    fmt, n, plates, values, excluded = READ[name]
    frame = read_plate(PLATES / name)
    assert frame.attrs["format"] == fmt
    assert len(frame) == n
    assert list(dict.fromkeys(frame["plate"])) == plates
    for (plate, well), value in values.items():
        row = frame[(frame["plate"] == plate) & (frame["well"] == well)]
        assert len(row) == 1, (plate, well)
        if value is not None:
            assert row["signal"].iloc[0] == pytest.approx(value, rel=1e-12)
    if excluded:
        flagged = frame[frame["excluded"]]
        for well, reason in excluded.items():
            row = flagged[flagged["well"] == well]
            assert len(row) == 1 and reason in row["exclude_reason"].iloc[0]
            assert math.isnan(row["signal"].iloc[0])
        assert frame.loc[~frame["excluded"], "signal"].notna().all()
    else:
        assert "excluded" not in frame.columns
        assert frame["signal"].notna().all()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_file_refused(name: str) -> None:
    exc, pattern = REFUSED[name]
    with pytest.raises(exc, match=pattern) as info:
        read_plate(PLATES / name)
    assert name in str(info.value)


def test_ovrflw_file_counts() -> None:
    frame = read_plate(PLATES / "gen5_synergyH1_abs450_OVRFLW_MISSED_simulated.txt")
    reasons = frame.loc[frame["excluded"], "exclude_reason"]
    assert reasons.str.contains("OVRFLW").sum() == 8  # one per row, lines 31-38
    assert reasons.str.contains("MISSED").sum() == 5


def test_magellan_kinetic_cycles_and_ignored_table() -> None:
    path = PLATES / "tecan_magellan_kinetic_annotated.xlsx"
    first = read_plate(path, cycle=1)
    assert first.attrs["cycles"] == 7 and first.attrs["cycle_time_s"] == 0
    a4 = first[first["well"] == "A4"]["signal"].iloc[0]
    assert a4 == pytest.approx(2.7409)  # row 10, column B
    last = read_plate(path)
    assert last.attrs["cycle"] == 7 and last.attrs["cycle_time_s"] == 5400
    assert "row 25" in last.attrs["ignored"]
    # the concentration table is never read as wells (it has no B4 value 0.5 etc.)
    assert not (last["signal"] == 0.001).any()
    with pytest.raises(UsageError, match="1-7"):
        read_plate(path, cycle=8)


def test_skanit_kinetic_named_cycle() -> None:
    path = PLATES / "thermo_multiskan_sky_skanit_kinetic340.xlsx"
    first = read_plate(path, cycle=1)
    # 'Absorbance results' row 7: reading 0, A2..G2
    assert first.set_index("well")["signal"].to_dict() == pytest.approx(
        {
            "A2": 1.1296,
            "B2": 1.1318,
            "C2": 1.1417,
            "D2": 1.1391,
            "E2": 1.1362,
            "F2": 1.113,
            "G2": 0.1092,
        }
    )
    last = read_plate(path)
    assert last.attrs["cycle"] == last.attrs["cycles"] == 101  # 10 min every 6 s, readings 0..100


def test_multiskan_clean_iteration_reads() -> None:
    path = PLATES / "thermo_multiskan_spectrum_photometric_iterations.txt"
    frame = read_plate(path, cycle=1)
    assert list(dict.fromkeys(frame["plate"])) == ["1 (340 nm)", "1 (420 nm)"]
    got = frame.set_index(["plate", "well"])["signal"]
    assert got[("1 (340 nm)", "A1")] == pytest.approx(0.0440802853056135)  # line 6
    assert got[("1 (340 nm)", "F10")] == pytest.approx(3.20105597773776)  # line 11
    assert ("1 (340 nm)", "A11") not in got.index  # empty: not read


def test_softmax_kinetic_first_cycle() -> None:
    frame = read_plate(PLATES / "softmaxpro_spectramax340_kinetic_partial_latin1.txt", cycle=1)
    assert frame.attrs["cycles"] == 3
    assert frame.set_index("well")["signal"]["A2"] == pytest.approx(0.0546)  # line 33


def test_cycle_refused_for_endpoint_format() -> None:
    with pytest.raises(UsageError, match="one read per well"):
        read_plate(PLATES / "bmg_mars_abs450_96w_anonymised.csv", cycle=2)


def test_annotated_sheet_refused_as_plain_grid() -> None:
    with pytest.raises(InputFileError, match="labelled by well .*'A4'"):
        read_plate(PLATES / "tecan_magellan_kinetic_annotated.xlsx", format="grid")


def test_bmg_table_all_cycles_as_csv(tmp_path):
    """The same export saved as CSV (MARS writes both) reads the same."""
    import csv

    import openpyxl

    wb = openpyxl.load_workbook(PLATES / "bmg_mars_lumistar_omega_bret_table_all_cycles.xlsx")
    path = tmp_path / "cycles.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        for row in wb.worksheets[0].iter_rows(values_only=True):
            w.writerow(["" if v is None else v for v in row])
    frame = read_plate(path, cycle=1)
    assert frame.attrs["format"] == "bmg_cycles"
    got = frame.set_index(["plate", "well"])["signal"]
    assert got[("Raw Data (535 A)", "A1")] == 132456  # row 16, the first cycle
