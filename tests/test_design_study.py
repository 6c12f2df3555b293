"""One study file from design to report: `[design]`, `pdstudy design`, then `pdstudy run`.

The study here has one forced swim test whose bouts are simulated for the coded
animals after `pdstudy design` allocated them (as a lab scores them, blind);
the run matches the codes to their groups through the unblinding key.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.errors import StudyFileError
from pdstudy.study import load_study, validate_study

runner = CliRunner()

#: distinctive group names, so that a leak is found by searching the outputs
GROUPS = {"saline-ctrl": 0.65, "norclo-hi": 0.35}

STUDY = """\
[study]
name = "Design test"
compound = "norclomipramine"

[study.exposure]
free_conc = "1 nM"

[[fst]]
name = "Forced swim test"
event_logs = ["fst_bouts.csv"]
animals = "animals.csv"

[design]
seed = 4711
animals_per_group = 6
blocking = ["day"]
blocks = 2
blinded = ["testing", "scoring", "analysis"]
effect = -70
sd = 30
effect_source = "pilot"
n_sim = 100
{extra}

[[design.groups]]
name = "saline-ctrl"
treatment = "saline"
dose = "0 mg/kg"
pretreatment = "30 min"

[[design.groups]]
name = "norclo-hi"
treatment = "norclomipramine"
dose = "20 mg/kg"
pretreatment = "45 min"

[[design.primary]]
section = "Forced swim test"
outcome = "immobility_s"
"""


def _write_study(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # placeholders until the design writes the coded list (the file must exist to validate)
    pd.DataFrame({"animal": ["x"], "group": ["x"]}).to_csv(folder / "animals.csv", index=False)
    pd.DataFrame(
        {"animal": ["x"], "behavior": ["immobile"], "start_s": [0.0], "stop_s": [1.0]}
    ).to_csv(folder / "fst_bouts.csv", index=False)
    path = folder / "study.toml"
    path.write_text(STUDY.format(extra=extra), encoding="utf-8")
    return path


def _simulate_lab(folder: Path, design_dir: Path, *, extra: str | None, drop: str | None) -> None:
    """Score the coded animals (bouts from their true group) and write the coded animals file."""
    from pdstudy.simulate.videos import BehaviorModel, simulate_session

    coded = pd.read_csv(design_dir / "coded_animals.csv", dtype=str)
    key = pd.read_csv(design_dir / "key" / "unblinding_key.csv", dtype=str).set_index("code")
    rng = np.random.default_rng(5)
    parts = []
    names = list(coded["animal"]) + ([extra] if extra else [])
    for code in names:
        if code == drop:
            continue
        group = key.loc[code, "group"] if code in key.index else "saline-ctrl"
        b = simulate_session(BehaviorModel(immobile_fraction=GROUPS[group]), 360.0, rng)
        b.insert(0, "animal", code)
        parts.append(b)
    pd.concat(parts).round(3).to_csv(folder / "fst_bouts.csv", index=False)
    animals = coded[["animal", "group"]]
    if extra:
        animals = pd.concat([animals, pd.DataFrame({"animal": [extra], "group": ["G1"]})])
    animals.to_csv(folder / "animals.csv", index=False)


@pytest.fixture(scope="module")
def designed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("study")
    study = _write_study(folder)
    res = runner.invoke(app, ["design", str(study), "--out", str(folder / "design")])
    assert res.exit_code == 0, res.output
    _simulate_lab(folder, folder / "design", extra=None, drop=None)
    return study, folder / "design"


def _texts(out: Path) -> str:
    parts = []
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.suffix in (".csv", ".json", ".html", ".md", ".txt", ".svg"):
            parts.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_design_writes_a_balanced_allocation_reproducible_from_its_seed(
    designed: tuple[Path, Path], tmp_path: Path
) -> None:
    study, design_dir = designed
    key = pd.read_csv(design_dir / "key" / "unblinding_key.csv", dtype=str)
    assert len(key) == 12 and key["code"].is_unique
    # balanced within each block (day): 3 of each group per day
    counts = key.groupby(["day", "group"]).size()
    assert (counts == 3).all() and len(counts) == 4
    # the same seed gives the same allocation, codes and schedule; another seed does not
    again = runner.invoke(app, ["design", str(study), "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    for name in ("key/unblinding_key.csv", "coded_animals.csv", "schedule.csv"):
        assert (design_dir / name).read_text() == (tmp_path / "again" / name).read_text()
    other = study.parent / "other.toml"
    other.write_text(study.read_text().replace("seed = 4711", "seed = 4712"))
    assert runner.invoke(app, ["design", str(other), "--out", str(tmp_path / "o")]).exit_code == 0
    assert (tmp_path / "o" / "key" / "unblinding_key.csv").read_text() != (
        design_dir / "key" / "unblinding_key.csv"
    ).read_text()
    # the coded list and the schedule carry no group name
    for name in ("coded_animals.csv", "coded_names.csv", "schedule.csv", "balance.csv"):
        text = (design_dir / name).read_text()
        assert not any(g in text for g in GROUPS), name
    # each animal is dosed its group's pre-treatment time before its test
    sched = pd.read_csv(design_dir / "schedule.csv")
    groups = key.set_index("code")["group"]
    for code, rows in sched.groupby("code"):
        dose = rows.loc[rows["event"] == "dose", "time_s"].iloc[0]
        test = rows.loc[rows["event"] == "test", "time_s"].iloc[0]
        assert test - dose == (2700 if groups[code] == "norclo-hi" else 1800)
        assert set(rows["day"].astype(str)) == {key.set_index("code").loc[code, "day"]}
    # the sample-size justification: power by simulation with its Monte Carlo error
    table = pd.read_csv(design_dir / "sample_size.csv")
    p = float(table["power"].iloc[0])
    assert float(table["mc_error"].iloc[0]) == pytest.approx(np.sqrt(p * (1 - p) / 100))
    assert 0.5 < p <= 1.0
    assert "pilot" in (design_dir / "sample_size.md").read_text()


def test_run_with_the_key_analyses_exactly_the_allocated_groups(
    designed: tuple[Path, Path], tmp_path: Path
) -> None:
    study, design_dir = designed
    out = tmp_path / "run"
    key_path = design_dir / "key" / "unblinding_key.csv"
    res = runner.invoke(
        app, ["run", str(study), "--out", str(out), "--key", str(key_path), "-w", "1", "--no-store"]
    )
    assert res.exit_code == 0, res.output
    animals = pd.read_csv(out / "results" / "fst1_forced-swim-test.csv", dtype={"animal": str})
    key = pd.read_csv(key_path, dtype=str).set_index("code")["group"]
    got = animals.set_index("animal")["group"]
    assert got.sort_index().to_dict() == key.sort_index().to_dict()
    analyses = pd.read_csv(out / "results" / "design_analyses.csv")
    planned = analyses[analyses["status"] == "planned"]
    assert (
        list(planned["section"]) == ["fst[1]"]
        and "norclo-hi vs saline-ctrl" in (planned["result"].iloc[0])
    )
    assert (analyses.loc[analyses["status"] != "planned", "status"] == "exploratory").all()
    assert pd.read_csv(out / "results" / "design_deviations.csv").empty
    md = (out / "design_arrive.md").read_text()
    assert "## 4. Randomisation" in md and "seed 4711" in md
    # items the file cannot answer are left to the authors, not invented
    arrive = pd.read_csv(out / "results" / "design_arrive.csv").set_index("name")
    assert arrive.loc["Experimental animals", "text"] == "to be completed by the authors"
    assert arrive.loc["Blinding", "source"] != "authors"
    assert "Experimental design" in (out / "report.html").read_text()


def test_run_without_the_key_is_blind(designed: tuple[Path, Path], tmp_path: Path) -> None:
    study, _ = designed
    out = tmp_path / "blind"
    res = runner.invoke(app, ["run", str(study), "--out", str(out), "-w", "1", "--no-store"])
    assert res.exit_code == 0, res.output
    animals = pd.read_csv(out / "results" / "fst1_forced-swim-test.csv")
    assert set(animals["group"]) == {"G1", "G2"}
    text = _texts(out)
    leaked = [g for g in (*GROUPS, "saline", "20 mg/kg") if g in text]
    assert not leaked, f"group names in the blind outputs: {leaked}"
    assert "ran blind" in (out / "report.html").read_text()


def test_an_animal_not_allocated_and_a_group_below_plan_are_deviations(
    designed: tuple[Path, Path], tmp_path: Path
) -> None:
    study, design_dir = designed
    folder = tmp_path / "dev"
    folder.mkdir()
    for name in ("study.toml",):
        (folder / name).write_text(study.read_text())
    key = pd.read_csv(design_dir / "key" / "unblinding_key.csv", dtype=str)
    dropped = key["code"].iloc[0]
    _simulate_lab(folder, design_dir, extra="Z99", drop=dropped)
    res = runner.invoke(
        app,
        [
            "run",
            str(folder / "study.toml"),
            "--out",
            str(folder / "out"),
            "--key",
            str(design_dir / "key" / "unblinding_key.csv"),
            "-w",
            "1",
            "--no-store",
        ],
    )
    assert res.exit_code == 1, res.output
    assert "deviation" in res.output
    dev = pd.read_csv(folder / "out" / "results" / "design_deviations.csv", dtype=str)
    assert "Z99" in set(dev.loc[dev["deviation"] == "not in the allocation", "animal"])
    below = dev[dev["deviation"] == "group below plan"]
    assert len(below) == 1 and "5 of 6" in below["detail"].iloc[0]
    # the study still ran: the FST is analysed without the unallocated animal
    summary = json.loads((folder / "out" / "results" / "summary.json").read_text())
    assert [s["status"] for s in summary["sections"]] == ["ok"]
    animals = pd.read_csv(folder / "out" / "results" / "fst1_forced-swim-test.csv")
    assert "Z99" not in set(animals["animal"]) and len(animals) == 11


def test_design_problems_are_listed_with_their_key_paths(tmp_path: Path) -> None:
    study = _write_study(tmp_path)
    text = study.read_text()
    text = text.replace("blocks = 2", "blocks = 4\ncohrt = 1").replace(
        'outcome = "immobility_s"', 'outcome = "auc_pct_min"'
    )
    text = text.replace('name = "norclo-hi"', 'name = "saline-ctrl"')
    study.write_text(text + '\n[design.dialysis]\nflow = "2 min"\n')
    _, problems = validate_study(study)
    keys = dict(problems)
    assert "unknown key 'cohrt'" in keys["design.cohrt"]
    assert "named twice" in keys["design.groups[2].name"]
    assert "not an outcome of a fst section" in keys["design.primary[1].outcome"]
    assert "design.dialysis.flow" in keys


def test_a_design_that_cannot_be_balanced_is_refused_with_the_reason(tmp_path: Path) -> None:
    study = _write_study(tmp_path)
    study.write_text(study.read_text().replace("blocks = 2", "blocks = 4"))
    with pytest.raises(StudyFileError) as err:
        load_study(study)
    (key, message), *_ = err.value.problems
    assert key == "design.blocks"
    assert "block day 1 has 3 animals, not a multiple of the 2 groups" in message
    res = runner.invoke(app, ["design", str(study), "--out", str(tmp_path / "d")])
    assert res.exit_code == 2
    assert "cannot be balanced" in res.output.replace("\n", " ")
    assert not (tmp_path / "d").exists()


MICRODIALYSIS_STUDY = """\
[study]
name = "Dialysis design test"
compound = "norclomipramine"

[study.exposure]
free_conc = "1 nM"

[[microdialysis]]
name = "PFC microdialysis"
sequence = "md/sequence_coded.csv"
method = "md/method.toml"

[design]
seed = 99
animals_per_group = 3
key = "design/key/unblinding_key.csv"

[design.dialysis]
baseline_samples = 4
post_samples = 9
interval = "20 min"

[[design.groups]]
name = "vehicle"
treatment = "aCSF"
dose = "0 mg/kg"
pretreatment = "0 min"

[[design.groups]]
name = "drug"
treatment = "norclomipramine"
dose = "10 mg/kg"
pretreatment = "0 min"

[[design.primary]]
section = "PFC microdialysis"
outcome = "auc_pct_min"
analyte = "NE"
"""


@pytest.mark.slow
def test_microdialysis_samples_are_matched_by_code_and_missing_ones_listed(
    tmp_path: Path,
) -> None:
    from pdstudy.simulate.chromatograms import DialysisDesign, simulate_dialysis_experiment

    simulate_dialysis_experiment(
        tmp_path / "md", design=DialysisDesign(animals_per_group=3), seed=4
    )
    study = tmp_path / "study.toml"
    study.write_text(MICRODIALYSIS_STUDY, encoding="utf-8")
    seq = pd.read_csv(tmp_path / "md" / "sequence.csv", dtype=str, keep_default_na=False)
    seq.to_csv(tmp_path / "md" / "sequence_coded.csv", index=False)  # a placeholder to validate
    res = runner.invoke(app, ["design", str(study), "--out", str(tmp_path / "design")])
    assert res.exit_code == 0, res.output
    key = pd.read_csv(tmp_path / "design" / "key" / "unblinding_key.csv", dtype=str)
    # the lab names each simulated rat by the code of an animal allocated to its group
    rename = {}
    for group in ("vehicle", "drug"):
        sim = sorted(a for a in seq.loc[seq["group"] == group, "animal"].unique())
        rename.update(zip(sim, key.loc[key["group"] == group, "code"], strict=True))
    coded = seq.assign(animal=seq["animal"].map(rename).fillna(""), group="")
    lost = coded.index[(coded["kind"] == "sample")][-1]  # the last sample of the last rat
    coded.drop(index=lost).to_csv(tmp_path / "md" / "sequence_coded.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(study), "--out", str(out), "-w", "1", "--no-store"])
    assert res.exit_code == 1, res.output  # one missing sample
    auc = pd.read_csv(out / "results" / "microdialysis1_pfc-microdialysis_auc.csv")
    by_code = key.set_index("code")["group"]
    assert (auc["group"] == auc["animal"].map(by_code)).all()
    dev = pd.read_csv(out / "results" / "design_deviations.csv", dtype=str)
    assert list(dev["deviation"]) == ["missing samples"]
    assert "12 of 13 planned samples" in dev["detail"].iloc[0]
    planned = pd.read_csv(out / "results" / "design_analyses.csv")
    assert "drug vs vehicle" in planned.loc[planned["status"] == "planned", "result"].iloc[0]


def test_target_power_sets_the_group_size_from_the_sample_size_search(tmp_path: Path) -> None:
    from pdstudy.stats.power import sample_size

    study = _write_study(tmp_path)
    text = study.read_text().replace("animals_per_group = 6", "target_power = 0.9")
    study.write_text(text.replace("blocks = 2", "blocks = 1"))
    design = load_study(study).design
    want = sample_size([0.0, -70.0], 30.0, power=0.9, seed=4711).n_per_group
    assert design.n_per_group == want == 5
    # 2 groups x 5 over 2 days cannot be balanced: refused, with the reason
    study.write_text(text)
    _, problems = validate_study(study)
    assert problems[0] == (
        "design.blocks",
        "block day 1 has 5 animals, not a multiple of the 2 groups, so the groups cannot be "
        "balanced within it",
    )
