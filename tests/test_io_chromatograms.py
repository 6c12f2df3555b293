"""read_chromatogram: real files in ../shared/testdata/chromatography, simulated files, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pdstudy.errors import InputFileError, UnknownFormatError, UsageError
from pdstudy.io import read_chromatogram
from pdstudy.io.chromatograms import list_chromatogram_formats, write_chromatogram
from pdstudy.simulate.chromatograms import SimPeak, simulate_trace

CHROM = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "chromatography"


def shared(name: str) -> Path:
    path = CHROM / name
    if not path.exists():
        pytest.skip(f"shared test data {path} not present (only in the project workspace)")
    return path


def test_andi_varian_real_file():
    c = read_chromatogram(shared("andi_varian1.cdf"))
    assert c.format == "andi"
    assert c.n_points == 1302  # from len(ordinate_values)
    # no retention_unit: seconds; time = delay + i * interval
    assert c.time_s[1] == pytest.approx(0.36862963, rel=1e-6)
    assert c.time_s[-1] == pytest.approx(1301 * 0.36862963, rel=1e-6)
    assert c.signal_unit == "AU"
    assert c.metadata["detector_name"] == "9065 UV-DAD"
    assert c.peaks is not None and len(c.peaks) == 8
    assert c.peaks["rt_s"].iloc[0] == pytest.approx(118.551285, rel=1e-6)
    # -1 is a null marker: heights unknown, not -1
    assert c.peaks["height"].isna().all()


@pytest.mark.parametrize("name", ["andi_chrom_valid.cdf", "andi_chrom_quirks.cdf"])
def test_andi_valid_and_quirks_give_the_same_values(name):
    c = read_chromatogram(shared(name))
    assert c.n_points == 10
    np.testing.assert_allclose(c.time_s, np.arange(10) * 10.0)
    assert c.signal[1] == pytest.approx(111111.1, rel=1e-6)
    assert c.signal_unit == "au"  # detector_unit or detector_units
    assert c.metadata["retention_unit"] == "seconds"
    assert c.metadata["sample_amount"] == pytest.approx(2.2)  # a string-typed number
    assert c.peaks is not None
    assert list(c.peaks["name"]) == ["ref", "peak name 1", "peak name 2"]  # NUL padding gone
    np.testing.assert_allclose(c.peaks["area"], [111, 222, 333])
    np.testing.assert_allclose(c.peaks["start_s"], [8, 28, 48])


def test_shimadzu_labsolutions_with_metadata():
    c = read_chromatogram(shared("shimadzu_labsolutions_sample.txt"))
    assert c.format == "shimadzu_ascii"
    assert c.n_points == 4801
    assert c.time_s[-1] == pytest.approx(40 * 60)
    assert c.sampling_interval_s == pytest.approx(0.5, abs=1e-3)
    assert c.signal_unit == "mV"
    assert c.metadata["Application Name"] == "LabSolutions"
    assert c.metadata["Sample Name"] == "N-C-_230630_xyl_sor_glu_10mM_mal_5mM"
    assert c.metadata["Injection Volume"] == "20"
    assert c.metadata["channel"] == "LC Chromatogram(Detector B-Ch1)"
    # the integer intensities are scaled by the Intensity Multiplier (0.001)
    raw_max = max(
        int(line.split(",")[1])
        for line in shared("shimadzu_labsolutions_sample.txt").read_text().splitlines()[80:]
        if line[:1].isdigit() and "," in line
    )
    assert c.signal.max() == pytest.approx(raw_max * 0.001)


def test_lactose_csv_time_in_minutes():
    c = read_chromatogram(shared("lactose/calibration_lactose_mM_1.csv"))
    assert c.format == "two_column"
    assert c.time_s[0] == pytest.approx(12 * 60)  # header 'time' without a unit: minutes
    assert c.n_points == 601


@pytest.mark.parametrize(
    ("header", "factor"),
    [
        ("time_min,signal", 60.0),
        ("time (s),signal", 1.0),
        ("Time [min],signal_nA", 60.0),
        ("time,signal", 60.0),
    ],
)
def test_two_column_time_unit_from_header(tmp_path, header, factor):
    path = tmp_path / "run.csv"
    path.write_text(header + "\n" + "\n".join(f"{i * 0.5},{i % 3}" for i in range(10)) + "\n")
    c = read_chromatogram(path)
    np.testing.assert_allclose(c.time_s, np.arange(10) * 0.5 * factor)


def test_two_column_no_header_tab_and_time_unit_option(tmp_path):
    path = tmp_path / "run.tsv"
    path.write_text("\n".join(f"{i}\t{i * 2}" for i in range(10)) + "\n")
    assert read_chromatogram(path).time_s[1] == pytest.approx(60.0)
    assert read_chromatogram(path, time_unit="s").time_s[1] == pytest.approx(1.0)


def test_chromeleon_text_semicolon_decimal_comma(tmp_path):
    path = tmp_path / "chromeleon.txt"
    lines = [
        "Injection Information:",
        "Injection;NE std 10 nM",
        "Signal Parameter Information:",
        "Signal Unit;nA",
        "",
        "Raw Data:",
        "Time (min);Step (s);Value (nA)",
    ] + [
        f"{i * 0.1:.3f}".replace(".", ",") + ";0,10;" + f"{i * 1.5:.2f}".replace(".", ",")
        for i in range(20)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    c = read_chromatogram(path)
    assert c.format == "chromeleon_text"
    assert c.signal_unit == "nA"
    assert c.metadata["Injection"] == "NE std 10 nM"
    np.testing.assert_allclose(c.time_s, np.arange(20) * 6.0)
    np.testing.assert_allclose(c.signal, np.arange(20) * 1.5)


@pytest.mark.parametrize("fmt", ["andi", "two_column"])
def test_simulated_trace_round_trips(tmp_path, fmt):
    t, y = simulate_trace([SimPeak(1.0, 300.0)], duration_s=600, seed=3)
    path = write_chromatogram(
        t, y, tmp_path / f"run.{'cdf' if fmt == 'andi' else 'csv'}", format=fmt
    )
    c = read_chromatogram(path)
    assert c.format == fmt
    np.testing.assert_allclose(c.time_s, t, atol=1e-4)
    np.testing.assert_allclose(c.signal, y, rtol=1e-5, atol=1e-6)
    assert c.signal_unit == "nA"


def test_formats_listed():
    names = list(list_chromatogram_formats()["name"])
    assert names == ["andi", "shimadzu_ascii", "chromeleon_text", "two_column"]


# --- bad input -----------------------------------------------------------------------------


def test_truncated_cdf_names_the_file(tmp_path):
    good = shared("andi_varian1.cdf").read_bytes()
    path = tmp_path / "cut.cdf"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputFileError, match=r"cut\.cdf.*(truncated|corrupt|ordinate_values)"):
        read_chromatogram(path)


def test_corrupt_cdf_header(tmp_path):
    path = tmp_path / "bad.cdf"
    path.write_bytes(b"CDF\x01" + b"\xff" * 100)
    with pytest.raises(InputFileError, match=r"bad\.cdf"):
        read_chromatogram(path)


def test_text_without_numeric_block(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is\na lab note\nwith no numbers\n")
    with pytest.raises(UnknownFormatError, match=r"notes\.txt.*not a chromatogram file"):
        read_chromatogram(path)


def test_non_monotonic_time_names_the_line(tmp_path):
    path = tmp_path / "back.csv"
    rows = ["time_min,signal", "0.0,1", "0.1,2", "0.2,3", "0.15,4", "0.3,5"]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputFileError, match=r"back\.csv, data: line 5: time is not increasing"):
        read_chromatogram(path)


def test_bad_number_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    rows = ["time_min,signal"] + [f"{i / 10},{i}" for i in range(30)] + ["3.0,oops"]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputFileError, match=r"bad\.csv, data, line 32"):
        read_chromatogram(path)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read_chromatogram(tmp_path / "absent.cdf")
    path = tmp_path / "x.csv"
    path.write_text("time,signal\n0,1\n1,2\n2,3\n")
    with pytest.raises(UsageError, match="unknown chromatogram format"):
        read_chromatogram(path, format="nope")
