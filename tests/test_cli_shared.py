"""The root command and the messages every assay command shares."""

from __future__ import annotations

from typer.testing import CliRunner

from pdstudy._version import __version__
from pdstudy.cli import app
from pdstudy.cli._shared import plate_format_help
from pdstudy.io.plates import PLATE_FORMATS


def test_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"pdstudy {__version__}"


def test_unknown_plate_format_names_the_option_and_its_values(tmp_path):
    from pdstudy.design.plates import protein_layout
    from pdstudy.io import write_layout

    plate = tmp_path / "mystery.txt"
    plate.write_text("some instrument\nwith its own format\n1;2;3\n", encoding="utf-8")
    layout = write_layout(protein_layout(), tmp_path / "lay.toml")
    res = CliRunner().invoke(
        app,
        ["protein", "analyze", str(plate), "--layout", str(layout), "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 1
    text = " ".join(res.output.split())  # however the terminal wrapped it
    assert "not a plate file pdstudy recognises" in text
    assert "--format" in text
    for name in ("envision", "softmax", "gen5", "grid"):
        assert name in text
    assert "list_plate_formats()" not in text


def test_format_help_lists_every_name():
    text = plate_format_help()
    assert all(name in text for name in PLATE_FORMATS.names())
    assert "auto" in text
    written = plate_format_help("microbeta")
    assert all(name in written for name in PLATE_FORMATS.write_names())


def test_profile_template_reads_back_and_is_usable(tmp_path):
    from pdstudy.io.profiles import read_profile

    path = tmp_path / "PD-123.toml"
    res = CliRunner().invoke(app, ["profile", "PD-123", "--template", str(path)])
    assert res.exit_code == 0, res.output
    frame = read_profile(path)
    assert list(frame["target"]) == ["NET", "SERT", "DAT"]
    assert 'compound = "PD-123"' in path.read_text(encoding="utf-8")
    used = CliRunner().invoke(app, ["profile", str(path), "--free", "1 nM"])
    assert used.exit_code == 0, used.output
    again = CliRunner().invoke(app, ["profile", "PD-123", "--template", str(path)])
    assert again.exit_code == 2 and "exists" in again.output


def test_unknown_compound_points_to_the_template():
    res = CliRunner().invoke(app, ["profile", "PD-123", "--free", "1 nM"])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "no shipped profile named 'PD-123'" in text
    assert "pdstudy profile PD-123 --template PD-123.toml" in text


def test_implausible_option_values_are_warned_about(tmp_path):
    import numpy as np

    from pdstudy.design import competition_layout, concentration_series
    from pdstudy.io import write_layout, write_plate
    from pdstudy.simulate import simulate_competition, without_truth

    concs = concentration_series(0.5e-9, radioligand_M=1e-9, kd_M=0.8e-9, n=8)
    layout = competition_layout(concs, compound="x", replicates=2, target="NET", radioligand_M=1e-9)
    write_layout(layout, tmp_path / "lay.toml")
    sim = simulate_competition(
        layout, ki_M=0.5e-9, kd_M=0.8e-9, radioligand_M=1e-9, rng=np.random.default_rng(3)
    )
    write_plate(without_truth(sim), tmp_path / "p.txt", "microbeta")
    res = CliRunner().invoke(
        app,
        ["binding", "analyze", str(tmp_path / "p.txt"), "--layout", str(tmp_path / "lay.toml"),
         "--radioligand-conc", "1 nM", "--kd", "5 µM", "--target", "NET",
         "--out", str(tmp_path / "o")],
    )  # fmt: skip
    text = " ".join(res.output.split())
    assert "warning: binding.kd = 5 µM is unusual" in text
