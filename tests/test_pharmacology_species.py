"""Rat and human parameter sets of the synapse model: every value sourced or marked illustrative.

The sourced values are checked against the reference table of literature
values (docs/profile-and-synapse.md names the same sources); its rows are
quoted here, so the test does not depend on a file outside the project. When
the reference file is present next to the project, the quoted rows are also
checked to be in it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pdstudy.errors import StudyFileError, UsageError
from pdstudy.examples import write_example_study
from pdstudy.pharmacology import (
    DEFAULT_SPECIES,
    SPECIES_SETS,
    PKParams,
    SynapseParams,
    species_set,
)
from pdstudy.pharmacology.species import KINDS
from pdstudy.study import load_study, run_study

# rows of the reference table of literature values (pharmacology.md), verbatim
KM_ROW = "| NE uptake Km, rat brain | 0.3 uM | Coyle & Axelrod 1971 J Neurochem | verified |"
BASAL_ROW = (
    "| basal dialysate NE, rat PFC | ~0.3-1 nM; 20-min samples at 1-2 uL/min | recall | "
    "approximate |"
)
FU_ROW = (
    "| plasma protein binding CMI / DCMI | 97-98 % / 97-99 % (fu ~0.02) | Anafranil label | "
    "verified (secondary copy) |"
)
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "pharmacology.md"


def test_rat_set_values_are_the_reference_numbers():
    rat = species_set("rat")
    km = rat.entry("km_M")
    assert km.value == pytest.approx(0.3e-6, rel=1e-12)  # KM_ROW: 0.3 uM
    assert (km.kind, km.species) == ("measured", "rat")
    assert "Coyle & Axelrod 1971" in km.source
    basal = rat.entry("basal_M")
    assert 0.3e-9 <= basal.value <= 1e-9  # BASAL_ROW: ~0.3-1 nM, approximate
    assert (basal.kind, basal.species) == ("approximate", "rat")
    assert "0.3-1 nM" in basal.source
    # the sources give no rat plasma binding: the human value, marked illustrative
    fu = rat.entry("fu")
    assert fu.value == pytest.approx(0.02) and fu.kind == "illustrative"
    assert fu.species == "human" and "no rat" in fu.source
    assert set(rat.measured()) == {"km_M", "basal_M"}


def test_human_set_values_are_the_reference_numbers():
    human = species_set("human")
    fu = human.entry("fu")
    # FU_ROW: DCMI 97-99 % bound, fu ~0.02
    assert fu.value == pytest.approx(0.02, rel=1e-12)
    assert 0.01 <= fu.value <= 0.03
    assert (fu.kind, fu.species) == ("measured", "human")
    assert "Anafranil" in fu.source and "97-99 %" in fu.source
    # no human NET Km or extracellular NE in the sources: the rat values, illustrative
    for name in ("km_M", "basal_M"):
        entry = human.entry(name)
        assert entry.kind == "illustrative" and entry.species == "rat"
        assert "no human" in entry.source
    assert human.measured() == ("fu",)


@pytest.mark.parametrize("species", sorted(SPECIES_SETS))
def test_every_value_is_sourced_or_marked(species):
    chosen = SPECIES_SETS[species]
    entries = {**chosen.synapse, **chosen.pk}
    # every field of both parameter classes is in the set
    assert set(chosen.synapse) == set(SynapseParams.__dataclass_fields__) - {"feedback"}
    assert set(chosen.pk) == set(PKParams.__dataclass_fields__)
    sources = ("Coyle & Axelrod 1971", "0.3-1 nM", "Anafranil label")
    for name, entry in entries.items():
        assert entry.kind in KINDS, name
        assert entry.source, name
        if entry.sourced:
            # a sourced value names one of the reference's sources and is of this species
            assert any(s in entry.source for s in sources), (name, entry.source)
            assert entry.species == species, name
        elif entry.kind == "illustrative" and entry.species not in ("-", species):
            assert "no " + species in entry.source, (name, entry.source)
    # the model runs with the set
    chosen.synapse_params()
    chosen.pk_params()


def test_the_default_is_rat_and_gives_the_models_previous_defaults():
    assert DEFAULT_SPECIES == "rat" and species_set() is SPECIES_SETS["rat"]
    assert species_set("rat").synapse_params() == SynapseParams()
    assert species_set("rat").pk_params() == PKParams()
    assert species_set(" Human ").species == "human"
    with pytest.raises(UsageError, match=r"species 'mouse': use one of rat, human"):
        species_set("mouse")


@pytest.mark.skipif(
    not REFERENCE.is_file(),
    reason="the reference table of literature values is not next to the project",
)
def test_quoted_rows_are_in_the_reference_file():
    text = REFERENCE.read_text(encoding="utf-8")
    lines = {re.sub(r"\s+", " ", line.strip()) for line in text.splitlines()}
    for row in (KM_ROW, BASAL_ROW, FU_ROW):
        assert row in lines, row


# ------------------------------------------------------------------ the study file

STUDY = """\
[study]
name = "Species study"
compound = "norclomipramine"

[study.exposure]
free_conc = "0.3 nM"

[[protein]]
plates = ["protein/bca_plate.csv"]
layout = "protein/bca_layout.toml"
{synapse}"""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example_study(folder, seed=7, videos=False)
    return folder


def test_a_study_with_the_human_set_runs_and_says_so(example: Path, tmp_path: Path):
    path = example / "human.toml"
    path.write_text(STUDY.format(synapse='\n[synapse]\nspecies = "human"\n'), encoding="utf-8")
    run = run_study(path, tmp_path / "out", workers=1)
    assert run.exit_code == 0
    html = run.report_path.read_text(encoding="utf-8")
    assert "human parameter set" in html
    table = (run.out_dir / "results" / "synapse_parameters.csv").read_text(encoding="utf-8")
    header = table.splitlines()[0]
    assert header == "parameter,value,kind,species,source"
    fu = next(line for line in table.splitlines() if line.startswith("unbound fraction fu"))
    assert ",measured,human," in fu and "Anafranil" in fu
    km = next(line for line in table.splitlines() if line.startswith("km "))
    assert ",illustrative,rat," in km
    prov = json.loads(run.provenance_path.read_text(encoding="utf-8"))
    assert prov["pharmacology"]["synapse"]["species"] == "human"
    methods = " ".join(html.split())
    assert "with the human parameter set (measured: unbound fraction fu (human);" in methods
    assert "therefore illustrative: km (rat), basal (rat)" in methods
    assert "NET Ki: human (the profile)" in methods


def test_a_bad_species_names_the_key(example: Path):
    path = example / "mouse.toml"
    path.write_text(STUDY.format(synapse='\n[synapse]\nspecies = "mouse"\n'), encoding="utf-8")
    with pytest.raises(StudyFileError) as err:
        load_study(path)
    keys = [key for key, _ in err.value.problems]
    assert "synapse.species" in keys, err.value.problems
    assert "mouse" in str(err.value) and "rat" in str(err.value)
