"""The read of a kinetic plate-reader file: the ``cycle`` key and ``--cycle`` on every command
that reads plates (``protein_cycle`` / ``--protein-cycle`` for the protein plate of saturation
and uptake), and the Methods text saying which read was analysed.

Kinetic files are the real exports in ../shared/testdata/plates/ (values checked against the
numbers in the file) and SoftMax Pro kinetic text files written here from a simulated protein
plate, whose cycles are known multiples of the simulated absorbances.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.assays.plates import check_plates, input_files, read_merged
from pdstudy.cli import app
from pdstudy.design.plates import protein_layout
from pdstudy.io import read_layout, read_plate, write_layout, write_plate
from pdstudy.simulate import simulate_protein_plate
from pdstudy.study import validate_study

PLATES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "plates"
needs_shared = pytest.mark.skipif(
    not PLATES.is_dir(), reason="../shared/testdata/plates (real instrument files) is absent"
)
runner = CliRunner()

#: true protein concentrations of the simulated plate's samples (µg/mL, undiluted)
TRUTH = {"S1": 250.0, "S2": 500.0, "S3": 900.0}
#: at each cycle of the written kinetic file the samples' wells read this multiple of their
#: simulated absorbance (blanks and standards as simulated): cycle 2 is the simulated plate
CYCLE_SCALE = (0.5, 1.0, 1.4)


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def write_softmax_kinetic(path: Path, cycles: list[dict[str, float]]) -> Path:
    """A SoftMax Pro kinetic text export (PlateFormat, raw, one wavelength, 96 wells), laid out
    as the real SpectraMax 340PC file in ../shared is: a ``Plate:`` line, a column header,
    then per read 8 rows (time and temperature on the first), a blank line between reads."""
    n = len(cycles)
    lines = [
        "##BLOCKS= 1",
        f"Plate:\tPlate#1\t1.3\tPlateFormat\tKinetic\tAbsorbance\tRaw\tFALSE\t{n}\t60\t30"
        "\t\t\t\t1\t562\t1\t12\t96\t1\t8\tNone\t",
        "\tTemperature(C)\t" + "\t".join(str(c) for c in range(1, 13)) + "\t\t",
    ]
    for k, values in enumerate(cycles):
        for r in "ABCDEFGH":
            cells = [
                f"{values[f'{r}{c}']:.6f}" if f"{r}{c}" in values else "" for c in range(1, 13)
            ]
            first = f"{k // 2}:{30 * (k % 2):02d}\t25.00\t" if r == "A" else "\t\t"
            lines.append(first + "\t".join(cells) + "\t")
        lines.append("\t\t")
    lines.append("~End")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def kinetic_copy(plate: pd.DataFrame, layout: pd.DataFrame, path: Path) -> Path:
    """``plate`` (well, signal) written as a 3-cycle kinetic file: at cycle k the sample wells
    of ``layout`` read CYCLE_SCALE[k-1] x their signal, the others their signal."""
    signal = dict(zip(plate["well"], plate["signal"], strict=True))
    samples = set(layout.loc[layout["role"] == "sample", "well"])
    return write_softmax_kinetic(
        path,
        [{w: (s if w in samples else 1.0) * v for w, v in signal.items()} for s in CYCLE_SCALE],
    )


def down_the_columns(layout: pd.DataFrame) -> pd.DataFrame:
    """``layout`` with its wells placed column by column (A1, B1, ... H1, A2...): every row of
    the plate holds a well, as in a SoftMax grid where each row has values."""
    out = layout.copy()
    out["well"] = [f"{'ABCDEFGH'[i % 8]}{i // 8 + 1}" for i in range(len(out))]
    out["row"] = out["well"].str[0]
    out["col"] = out["well"].str[1:].astype(int)
    return out


@pytest.fixture(scope="module")
def protein_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kinetic_protein")
    lay = down_the_columns(protein_layout(list(TRUTH)))
    sim = simulate_protein_plate(lay, samples_ug_per_mL=TRUTH, seed=11)
    write_layout(lay, folder / "bca_layout.toml")
    kinetic_copy(sim, lay, folder / "bca_kinetic.txt")
    sim[["well", "role", "signal"]].to_csv(folder / "bca_signal.csv", index=False)
    return folder


def _by_sample(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "results" / "protein1_protein_by_sample.csv").set_index("sample")


# ------------------------------------------------------------------ the reader and the section


def test_cycle_n_gives_the_values_of_cycle_n(protein_files):
    sim = pd.read_csv(protein_files / "bca_signal.csv").set_index("well")
    sample = sim["role"] == "sample"
    for k, scale in enumerate(CYCLE_SCALE, start=1):
        frame = read_merged(
            [protein_files / "bca_kinetic.txt"], protein_files / "bca_layout.toml", cycle=k
        )
        got = frame.set_index("well")["signal"].sort_index()
        want = sim["signal"].where(~sample, scale * sim["signal"]).round(6).sort_index()
        pd.testing.assert_series_equal(got, want, check_names=False)
        ((_, _, read), _) = input_files(frame)
        assert read == f"cycle {k} of 3"
    default = read_merged([protein_files / "bca_kinetic.txt"], protein_files / "bca_layout.toml")
    well = sim.index[sample][0]
    assert default.set_index("well")["signal"][well] == pytest.approx(
        1.4 * sim["signal"][well], rel=1e-5
    )
    assert input_files(default)[0][2] == "cycle 3 of 3 (the last, by default)"


def test_a_file_with_one_read_has_no_read_note(protein_files, tmp_path):
    lay = down_the_columns(protein_layout(["S1"]))
    one = write_softmax_kinetic(tmp_path / "one.txt", [dict.fromkeys(lay["well"], 0.2)])
    write_layout(lay, tmp_path / "lay.toml")
    frame = read_merged([one], tmp_path / "lay.toml")
    assert input_files(frame)[0][2] == ""


# ------------------------------------------------------------------ pdstudy protein analyze


def test_protein_analyze_cycle_reads_that_cycle(protein_files, tmp_path):
    out = tmp_path / "o"
    res = run("protein", "analyze", protein_files / "bca_kinetic.txt",
              "--layout", protein_files / "bca_layout.toml", "--cycle", "2", "--out", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    by = _by_sample(out)
    for sample, ug_per_mL in TRUTH.items():  # cycle 2 is the simulated plate
        assert by.loc[sample, "protein_mg_per_mL"] == pytest.approx(ug_per_mL / 1e3, rel=0.08)
    methods = (out / "methods.txt").read_text(encoding="utf-8")
    assert "bca_kinetic.txt: cycle 2 of 3" in methods
    doc = json.loads((out / "results" / "protein1_protein.json").read_text(encoding="utf-8"))
    assert "cycle 2 of 3" in json.dumps(doc)


def test_protein_analyze_default_is_the_last_cycle_and_says_so(protein_files, tmp_path):
    out = tmp_path / "o"
    res = run("protein", "analyze", protein_files / "bca_kinetic.txt",
              "--layout", protein_files / "bca_layout.toml", "--out", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    methods = (out / "methods.txt").read_text(encoding="utf-8")
    assert "bca_kinetic.txt: cycle 3 of 3 (the last, by default)" in methods
    # the last cycle reads 1.4 x the absorbances: every sample comes out well above its truth
    by = _by_sample(out)
    for sample, ug_per_mL in TRUTH.items():
        assert by.loc[sample, "protein_mg_per_mL"] > 1.2 * ug_per_mL / 1e3, sample


def test_a_cycle_beyond_the_file_is_a_usage_error_naming_file_and_count(protein_files, tmp_path):
    res = run("protein", "analyze", protein_files / "bca_kinetic.txt",
              "--layout", protein_files / "bca_layout.toml", "--cycle", "4",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "option --cycle" in res.output
    assert "bca_kinetic.txt" in res.output and "the file has 3 cycles (1-3)" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o" / "results").exists()  # refused before anything was analysed


def test_cycle_on_a_file_with_one_read_per_well_is_refused(protein_files, tmp_path):
    lay = down_the_columns(protein_layout(list(TRUTH)))
    sim = simulate_protein_plate(lay, samples_ug_per_mL=TRUTH, seed=3)
    csv = write_plate(sim, tmp_path / "bca.csv", "long_csv")
    res = run("protein", "analyze", csv, "--layout", protein_files / "bca_layout.toml",
              "--cycle", "1", "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "option --cycle" in res.output and "one read per well" in res.output
    assert "bca.csv" in res.output


def test_cycle_must_be_at_least_1(protein_files, tmp_path):
    res = run("protein", "analyze", protein_files / "bca_kinetic.txt",
              "--layout", protein_files / "bca_layout.toml", "--cycle", "0",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2
    assert "--cycle" in res.output


# ------------------------------------------------------------------ the protein plate of uptake


@pytest.fixture(scope="module")
def uptake_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("uptake")
    res = run("uptake", "simulate", "--out", out, "--n-plates", "1", "--protein-plate",
              "--seed", "5")  # fmt: skip
    assert res.exit_code == 0, res.output
    # the BCA plate's wells placed down the columns, as an endpoint and a kinetic file
    lay = read_layout(out / "protein_layout.toml")
    moved = down_the_columns(lay)
    write_layout(moved, out / "protein_layout_cols.toml")
    plate = read_plate(out / "protein_plate.csv")
    plate["well"] = plate["well"].map(dict(zip(lay["well"], moved["well"], strict=True)))
    write_plate(plate, out / "protein_cols.csv", "long_csv")
    kinetic_copy(plate, moved, out / "protein_kinetic.txt")
    return out


def _uptake(files: Path, out: Path, protein_plate: str, *extra: str):
    return run(
        "uptake", "analyze", files / "plate_1.txt", "--layout", files / "layout.toml",
        "--specific-activity", "40 Ci/mmol", "--incubation", "5 min",
        "--protein-plate", files / protein_plate, "--protein-layout",
        files / "protein_layout_cols.toml", "--suspension-volume", "100 uL", *extra, "--out", out,
    )  # fmt: skip


def _rate(out: Path) -> float:
    curves = pd.read_csv(out / "results" / "uptake1_inhibition.csv")
    return float(curves["control_rate_pmol_per_mg_per_min"].iloc[0])


def test_uptake_protein_cycle_reads_that_cycle_of_the_protein_plate(uptake_files, tmp_path):
    ref = _uptake(uptake_files, tmp_path / "csv", "protein_cols.csv")
    assert ref.exit_code == 0, ref.output
    res = _uptake(uptake_files, tmp_path / "c2", "protein_kinetic.txt", "--protein-cycle", "2")
    assert res.exit_code == 0, res.output
    # cycle 2 holds the absorbances of the endpoint file: the same protein, the same rates
    assert _rate(tmp_path / "c2") == pytest.approx(_rate(tmp_path / "csv"), rel=1e-4)
    methods = (tmp_path / "c2" / "methods.txt").read_text(encoding="utf-8")
    assert "protein_kinetic.txt: cycle 2 of 3" in methods
    assert "cycle" not in (tmp_path / "csv" / "methods.txt").read_text(encoding="utf-8")


def test_uptake_reads_the_last_cycle_of_a_kinetic_protein_plate_and_says_so(uptake_files, tmp_path):
    ref = _uptake(uptake_files, tmp_path / "csv", "protein_cols.csv")
    res = _uptake(uptake_files, tmp_path / "last", "protein_kinetic.txt")
    assert ref.exit_code == 0 and res.exit_code == 0, res.output
    methods = (tmp_path / "last" / "methods.txt").read_text(encoding="utf-8")
    assert "protein_kinetic.txt: cycle 3 of 3 (the last, by default)" in methods
    # more absorbance -> more protein per well -> a lower rate per mg
    assert _rate(tmp_path / "last") < 0.9 * _rate(tmp_path / "csv")


def test_uptake_protein_cycle_beyond_the_file(uptake_files, tmp_path):
    res = _uptake(uptake_files, tmp_path / "o", "protein_kinetic.txt", "--protein-cycle", "7")
    assert res.exit_code == 2, res.output
    assert "option --protein-cycle" in res.output
    assert "protein_kinetic.txt" in res.output and "3 cycles" in res.output


def test_protein_cycle_without_a_protein_plate_is_refused(uptake_files, tmp_path):
    res = run("uptake", "analyze", uptake_files / "plate_1.txt",
              "--layout", uptake_files / "layout.toml", "--specific-activity", "40 Ci/mmol",
              "--incubation", "5 min", "--protein", "100 ug", "--protein-cycle", "2",
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2 and "option --protein-cycle" in res.output


# ------------------------------------------------------------------ the study file


def test_study_file_cycle_keys_are_checked_while_validating(protein_files, uptake_files, tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(
        f"""[study]
name = "cycles"
compound = "norclomipramine"

[[protein]]
plates = ["{(protein_files / "bca_kinetic.txt").as_posix()}"]
layout = "{(protein_files / "bca_layout.toml").as_posix()}"
cycle = 5

[[uptake]]
plates = ["{(uptake_files / "plate_1.txt").as_posix()}"]
layout = "{(uptake_files / "layout.toml").as_posix()}"
km = "0.3 uM"
specific_activity = "40 Ci/mmol"
incubation = "5 min"
protein_plate = "{(uptake_files / "protein_kinetic.txt").as_posix()}"
protein_layout = "{(uptake_files / "protein_layout_cols.toml").as_posix()}"
suspension_volume = "100 uL"
protein_cycle = 9
cycle = 2
""",
        encoding="utf-8",
    )
    _, problems = validate_study(study)
    found = dict(problems)
    assert "the file has 3 cycles (1-3)" in found["protein[1].cycle"]
    assert "bca_kinetic.txt" in found["protein[1].cycle"]
    assert "protein_kinetic.txt" in found["uptake[1].protein_cycle"]
    # a MicroBeta file has one read per well
    assert "one read per well" in found["uptake[1].cycle"]


# ------------------------------------------------------------------ real kinetic exports


def _layout_for(plate: pd.DataFrame, path: Path) -> Path:
    """A protein layout on exactly the wells of ``plate`` (two blanks, standards, samples)."""
    wells = list(dict.fromkeys(plate["well"]))  # a layout serves every plate of the file
    rows = []
    for i, w in enumerate(wells):
        if i < 2:
            rows.append({"well": w, "role": "blank", "protein_ug_per_mL": 0.0})
        elif i < 12:
            rows.append({"well": w, "role": "standard", "protein_ug_per_mL": 100.0 * (i // 2)})
        else:
            rows.append({"well": w, "role": "sample", "sample": "S1"})
    return write_layout(pd.DataFrame(rows), path)


#: (file, cycle, well, value): each value as it stands in the file, at that read
REAL_VALUES = [
    # SoftMax Pro PlateFormat: the blocks at 0:00, 0:30 and 1:00, row A from column 2
    ("softmaxpro_spectramax340_kinetic_partial_latin1.txt", 1, "A2", 0.0546),
    ("softmaxpro_spectramax340_kinetic_partial_latin1.txt", 2, "A2", 0.0565),
    ("softmaxpro_spectramax340_kinetic_partial_latin1.txt", 3, "A2", 0.0557),
    ("softmaxpro_spectramax340_kinetic_partial_latin1.txt", 2, "B3", 0.1055),
    # SoftMax Pro TimeFormat: the lines 00:00:00, 00:00:15 and 00:02:00 (the 9th and last)
    ("softmaxpro_spectramax190_kinetic_timeformat_utf16le.txt", 1, "A2", 0.1316),
    ("softmaxpro_spectramax190_kinetic_timeformat_utf16le.txt", 2, "A2", 0.1251),
    ("softmaxpro_spectramax190_kinetic_timeformat_utf16le.txt", 9, "A3", 0.0483),
    # Thermo SkanIt: 'Reading 0' is the first read, 'Reading 1' the second
    ("thermo_multiskan_sky_skanit_kinetic340.xlsx", 1, "A2", 1.1296),
    ("thermo_multiskan_sky_skanit_kinetic340.xlsx", 2, "B2", 1.1286),
    ("thermo_multiskan_sky_skanit_kinetic340.xlsx", 3, "C2", 1.129),
]


@needs_shared
@pytest.mark.parametrize("name, cycle, well, value", REAL_VALUES)
def test_real_kinetic_files_cycle_n_is_read_n_of_the_file(name, cycle, well, value, tmp_path):
    path = PLATES / name
    lay = _layout_for(read_plate(path), tmp_path / "lay.toml")
    frame = read_merged([path], lay, cycle=cycle)
    assert frame.set_index("well")["signal"][well] == pytest.approx(value, abs=1e-12)
    assert input_files(frame)[0][2].startswith(f"cycle {cycle} of ")


@needs_shared
def test_real_skanit_file_names_its_own_reading_in_the_note(tmp_path):
    path = PLATES / "thermo_multiskan_sky_skanit_kinetic340.xlsx"
    lay = _layout_for(read_plate(path), tmp_path / "lay.toml")
    assert input_files(read_merged([path], lay, cycle=2))[0][2] == (
        "cycle 2 of 101 ('Reading 1' in the file)"
    )


@needs_shared
@pytest.mark.parametrize(
    "name, count, what",
    [
        ("softmaxpro_spectramax340_kinetic_partial_latin1.txt", 3, "cycles"),
        ("softmaxpro_spectramax190_kinetic_timeformat_utf16le.txt", 9, "cycles"),
        ("thermo_multiskan_sky_skanit_kinetic340.xlsx", 101, "readings"),
        ("bmg_mars_lumistar_omega_bret_table_all_cycles.xlsx", 21, "cycles"),
        ("tecan_magellan_kinetic_annotated.xlsx", 7, "cycles"),
    ],
)
def test_real_kinetic_files_refuse_a_cycle_beyond_their_count(name, count, what, tmp_path):
    path = PLATES / name
    lay = _layout_for(read_plate(path), tmp_path / "lay.toml")
    problems: list[tuple[str, str]] = []
    check_plates({"plates": [path], "layout": lay, "cycle": count + 1}, "protein[1]", problems)
    assert problems == [
        (
            "protein[1].cycle",
            f"cycle {count + 1} does not exist in {name}: the file has {count} {what} (1-{count})",
        )
    ]
    res = run("protein", "analyze", path, "--layout", lay, "--cycle", count + 1,
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2, res.output
    assert f"option --cycle: cycle {count + 1} does not exist in {name}" in res.output


@needs_shared
def test_real_endpoint_file_refuses_a_cycle(tmp_path):
    path = PLATES / "gen5_mockBCA_abs_stdcurve_simulated.txt"
    lay = _layout_for(read_plate(path), tmp_path / "lay.toml")
    res = run("protein", "analyze", path, "--layout", lay, "--cycle", "2", "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "option --cycle" in res.output and "one read per well" in res.output
