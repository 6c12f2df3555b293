"""The procedure keys (incubation, temperature, buffer, filters, wash, replicates) reach the
Methods text, from the study file and from the command line alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from pdstudy.assays.plates import procedure_text
from pdstudy.study import HANDLERS


def test_sentence_from_every_key() -> None:
    text = procedure_text(
        {
            "incubation": 3600.0,
            "temperature": "25 °C",
            "buffer": "50 mM Tris-HCl, pH 7.4",
            "filters": "GF/B filters presoaked in 0.3 % PEI",
            "wash": "3 x 3 mL ice-cold buffer",
            "replicates": 3,
        }
    )
    assert text == (
        "Plates were incubated for 60 min at 25 °C in 50 mM Tris-HCl, pH 7.4; filtered "
        "through GF/B filters presoaked in 0.3 % PEI; washed with 3 x 3 mL ice-cold buffer; "
        "each concentration in triplicate."
    )
    assert procedure_text({}) == ""
    # uptake states its own incubation time: only the rest
    assert procedure_text({"incubation": 300.0, "temperature": "37 °C"}, incubation=False) == (
        "Plates were incubated at 37 °C."
    )


@pytest.mark.parametrize("kind", ["binding", "saturation", "uptake"])
def test_plate_sections_have_the_keys(kind: str) -> None:
    names = {k.name for k in HANDLERS[kind].schema.keys}
    assert {"incubation", "temperature", "buffer", "filters", "wash", "replicates"} <= names


def test_methods_text_of_a_binding_run_states_the_procedure(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pdstudy.cli import app

    runner = CliRunner()
    sim = tmp_path / "sim"
    res = runner.invoke(app, ["binding", "simulate", "--out", str(sim), "--n-plates", "1"])
    assert res.exit_code == 0, res.output
    plates = sorted(sim.glob("plate_*.txt"))
    layout = next(sim.glob("*.toml"))
    out = tmp_path / "out"
    args = ["binding", "analyze", *map(str, plates), "--layout", str(layout), "--out", str(out)]
    args += ["--radioligand-conc", "1 nM", "--kd", "0.8 nM", "--incubation", "1 h"]
    args += ["--temperature", "25 °C", "--filters", "GF/B", "--replicates", "3"]
    res = runner.invoke(app, [*args, "--efficiency", "45 %"])
    assert res.exit_code == 0, res.output
    methods = (out / "methods.txt").read_text(encoding="utf-8")
    assert "Plates were incubated for 60 min at 25 °C; filtered through GF/B;" in methods
    assert "each concentration in triplicate." in methods
