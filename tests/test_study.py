"""Study files: schema, whole-file validation, the runner, failures, provenance.

The study runs here use a small study built from the example's simulated
files (one NET plate, a protein plate) so that the module stays fast; the full
demo is run by tests/test_cli_run.py (marked slow).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import pytest

from pdstudy.assays.schema import did_you_mean, parse_value
from pdstudy.errors import StudyFileError
from pdstudy.examples import EXAMPLE_TRUTH, write_example_study
from pdstudy.study import HANDLERS, Key, load_study, run_study, validate_study

SMALL = """\
[study]
name = "Small study"
compound = "norclomipramine"

[study.exposure]
free_conc = "0.3 nM"

[[binding]]
name = "NET exp1"
plates = ["binding/net_exp1_microbeta.txt"]
layout = "binding/net_layout.toml"
radioligand = "[3H]nisoxetine"
radioligand_conc = "1 nM"
kd = "0.8 nM"
{extra}
[[protein]]
plates = ["protein/bca_plate.csv"]
layout = "protein/bca_layout.toml"
"""

BROKEN_SECTION = """
[[binding]]
name = "corrupt plate"
plates = ["binding/corrupt.txt"]
layout = "binding/net_layout.toml"
radioligand_conc = "1 nM"
kd = "0.8 nM"
"""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example study's folder (simulated raw files, seed 7)."""
    folder = tmp_path_factory.mktemp("example")
    write_example_study(folder, seed=7, videos=False)
    return folder


def write_study(folder: Path, text: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ schema pieces


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        (Key("kd", "quantity", "concentration"), "0.8 nM", 0.8e-9),
        (Key("kd", "quantity", "concentration"), "10 µM", 1e-5),
        (Key("t", "quantity", "time"), "5 min", 300.0),
        (Key("v", "quantity", "volume"), "200 µL", 200e-6),
        (Key("vmax", "quantity", "concentration_rate"), "30 nM/s", 3e-8),
        (Key("vmax", "quantity", "concentration_rate"), "1.8 µM/min", 3e-8),
        (Key("fu", "fraction"), 0.02, 0.02),
        (Key("fu", "fraction"), "2 %", 0.02),
        (Key("n", "integer"), 3, 3),
        (Key("b", "bool"), True, True),
        (Key("c", "choice", choices=("auto", "none")), "none", "none"),
        (
            Key("p", "quantity", "mass_concentration|concentration"),
            "200 ng/mL",
            (0.2e-3, "mass_concentration"),
        ),
        (
            Key("p", "quantity", "mass_concentration|concentration"),
            "650 nM",
            (650e-9, "concentration"),
        ),
    ],
)
def test_parse_value_good(key: Key, raw: object, expected: object, tmp_path: Path) -> None:
    problems: list[tuple[str, str]] = []
    got = parse_value(key, raw, "x", tmp_path, problems)
    assert problems == []
    if isinstance(expected, tuple):
        assert got[1] == expected[1] and math.isclose(got[0], expected[0], rel_tol=1e-12)
    elif isinstance(expected, float):
        assert math.isclose(got, expected, rel_tol=1e-12)
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        (Key("kd", "quantity", "concentration"), "0.8 nN", r"unknown unit 'nN' in '0.8 nN'"),
        (Key("kd", "quantity", "concentration"), "0.8", r"has no unit"),
        (Key("kd", "quantity", "concentration"), 0.8, r"has no unit"),
        (Key("kd", "quantity", "concentration"), "5 min", r"is a time, expected a concentration"),
        (Key("kd", "quantity", "concentration", positive=True), "0 nM", r"must be > 0"),
        (Key("fu", "fraction"), 1.5, r"not a fraction"),
        (Key("n", "integer"), 2.5, r"expected an integer"),
        (Key("b", "bool"), "yes", r"expected true or false"),
        (Key("c", "choice", choices=("auto", "none")), "Auto", r"did you mean 'auto'"),
        (Key("f", "file"), "nope.txt", r"file not found: 'nope.txt'"),
        (Key("f", "files"), ["a*.txt"], r"no file matches 'a\*.txt'"),
        (Key("f", "files"), [], r"expected a list of file paths"),
        (
            Key("p", "quantity", "mass_concentration|concentration"),
            "2 min",
            r"expected a mass concentration or concentration",
        ),
    ],
)
def test_parse_value_bad(key: Key, raw: object, message: str, tmp_path: Path) -> None:
    problems: list[tuple[str, str]] = []
    assert parse_value(key, raw, "sec.key", tmp_path, problems) is None
    assert len(problems) == 1
    assert problems[0][0].startswith("sec.key")
    assert re.search(message, problems[0][1]), problems


def test_did_you_mean() -> None:
    assert did_you_mean("radioligand_concentration", ["radioligand_conc", "kd"]) == (
        " (did you mean 'radioligand_conc'?)"
    )
    assert did_you_mean("KD", ["kd"]) == " (did you mean 'kd'?)"
    assert did_you_mean("zzzz", ["kd", "plates"]) == ""


def test_files_glob_sorted(tmp_path: Path) -> None:
    for name in ("b2.txt", "b1.txt", "b10.txt"):
        (tmp_path / name).write_text("x")
    problems: list[tuple[str, str]] = []
    got = parse_value(Key("plates", "files"), ["b*.txt"], "k", tmp_path, problems)
    assert problems == [] and [p.name for p in got] == ["b1.txt", "b10.txt", "b2.txt"]


# ------------------------------------------------------------------ validation


def test_example_study_is_valid_and_has_every_assay(example: Path) -> None:
    spec = load_study(example / "study.toml")
    kinds = {s.kind for s in spec.sections}
    assert kinds == set(HANDLERS), "the example must show every registered assay kind"
    net = next(s for s in spec.sections if s.name == "NET competition")
    assert net.values["radioligand_conc"] == EXAMPLE_TRUTH["net_radioligand_M"]
    assert net.values["kd"] == EXAMPLE_TRUTH["net_kd_M"]
    assert len(net.values["plates"]) == 3
    sert = next(s for s in spec.sections if s.name == "SERT competition")
    assert [p.name for p in sert.values["plates"]] == ["sert_exp1.csv", "sert_exp2.csv"]
    assert spec.profile is not None and "NET" in set(spec.profile["target"])


def broken_text() -> str:
    """A study file with one of each kind of problem."""
    return """\
[study]
name = "Broken"
compound = "norclomipramine"
reference_target = "NETT"

[study.exposure]
plasma_conc = "200 ng/mL"

[[binding]]
name = "NET"
plates = ["binding/net_exp1_microbeta.txt", "binding/missing.txt"]
layout = "binding/net_layout.toml"
radioligand_concentration = "1 nM"
kd = "0.8 nN"

[[binding]]
name = "wrong layout"
plates = ["binding/net_exp2_topcount.txt"]
layout = "binding/sert_layout.toml"
radioligand_conc = "1 nM"
kd = "0.8 nM"

[[uptake]]
plates = ["uptake/uptake_exp1_hidex.csv"]
layout = "uptake/uptake_layout.toml"
specific_activity = "40 Ci/mmol"
incubation = 5
protein = "100 µg"

[[bindng]]
name = "typo"
"""


def test_broken_study_reports_every_problem_at_once(example: Path) -> None:
    path = write_study(example, broken_text(), "broken.toml")
    with pytest.raises(StudyFileError) as info:
        load_study(path)
    err = info.value
    problems = dict(err.problems)
    expected = {
        "study.reference_target": r"'NETT' is not a target of the profile \(did you mean 'NET'\?\)",
        "study.exposure.fu": r"missing: plasma_conc is a total concentration",
        "binding[1].plates[2]": r"file not found: 'binding/missing.txt'",
        "binding[1].radioligand_concentration": r"unknown key .*did you mean 'radioligand_conc'",
        "binding[1].radioligand_conc": r"missing \(required\)",
        "binding[1].kd": r"unknown unit 'nN' in '0.8 nN'",
        "binding[2].plates[1]": r"does not match layout sert_layout.toml: .*not in the layout",
        "uptake[1].incubation": r"5 has no unit",
        "uptake[1].km": r"missing \(required for inhibition\)",
        "bindng": r"unknown section 'bindng' \(did you mean 'binding'\?\)",
    }
    for key, pattern in expected.items():
        assert key in problems, f"no problem reported at {key}; got {sorted(problems)}"
        assert re.search(pattern, problems[key]), (key, problems[key])
    assert len(err.problems) == len(expected), err.problems
    text = str(err)
    assert str(path) in text and "10 problem(s)" in text
    assert "binding[1].kd: unknown unit 'nN' in '0.8 nN'" in text


def test_a_kind_of_the_protocols_not_analysed_yet_is_named(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pdstudy.study.kinds import FUTURE_KINDS

    monkeypatch.setitem(FUTURE_KINDS, "eeg", "cortical EEG")
    path = write_study(example, broken_text() + '\n[[eeg]]\nname = "later"\n', "future.toml")
    problems = dict(validate_study(path)[1])
    assert re.search(r"cannot analyse cortical EEG", problems["eeg"]), problems.get("eeg")


@pytest.mark.parametrize(
    ("change", "key", "pattern"),
    [
        (('kd = "0.8 nM"', 'kd = "0.8 nN"'), "binding[1].kd", r"unknown unit 'nN'"),
        (('kd = "0.8 nM"', 'kd_value = "0.8 nM"'), "binding[1].kd_value", r"did you mean 'kd'"),
        (
            ('free_conc = "0.3 nM"', 'free_conc = "0.3 nM"\nfu = 0.02'),
            "study.exposure.fu",
            r"applies to plasma_conc only",
        ),
        (('free_conc = "0.3 nM"', ""), "study.exposure", r"missing: the exposure"),
        (
            ('compound = "norclomipramine"', 'compound = "nosuchdrug"'),
            "study.compound",
            r"no shipped profile named 'nosuchdrug'",
        ),
        (
            ('layout = "protein/bca_layout.toml"', 'layout = "binding/net_layout.toml"'),
            "protein[1].layout",
            r"has no 'standard', 'sample' wells",
        ),
        (
            (
                'layout = "protein/bca_layout.toml"\n',
                'layout = "protein/bca_layout.toml"\n'
                '[[protein]]\nname = "Protein 1"\nplates = ["protein/bca_plate.csv"]\n'
                'layout = "protein/bca_layout.toml"\n',
            ),
            "protein[2].name",
            r"name 'Protein 1' is also the name of protein\[1\]",
        ),
    ],
)
def test_single_problems(example: Path, change: tuple[str, str], key: str, pattern: str) -> None:
    text = SMALL.format(extra="").replace(*change)
    spec, problems = validate_study(write_study(example, text, "one_problem.toml"))
    assert spec is None
    found = dict(problems)
    assert key in found, problems
    assert re.search(pattern, found[key]), found[key]


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    bad = write_study(tmp_path, "[study\nname = 1")
    with pytest.raises(StudyFileError, match=r"not valid TOML"):
        load_study(bad)
    with pytest.raises(StudyFileError, match=r"no such study file"):
        load_study(tmp_path / "nope.toml")


def test_layout_roles_and_corrupt_plate_is_not_a_study_problem(example: Path) -> None:
    # an unreadable plate is the analysis's problem (exit 1), not the study file's (exit 2)
    (example / "binding" / "corrupt.txt").write_text("this is not a plate\n\x00\x01", "latin-1")
    spec, problems = validate_study(
        write_study(example, SMALL.format(extra=BROKEN_SECTION), "corrupt.toml")
    )
    assert problems == [] and spec is not None


# ------------------------------------------------------------------ running


@pytest.fixture(scope="module")
def run_with_failure(example: Path, tmp_path_factory: pytest.TempPathFactory):
    """The small study plus a section with a corrupt plate, run on 2 worker processes."""
    (example / "binding" / "corrupt.txt").write_text("this is not a plate\n\x00\x01", "latin-1")
    text = SMALL.format(extra=BROKEN_SECTION) + (
        '\n[synapse]\nfeedback = false\nk_diff = "0.002 /s"\n\n[pk]\ndose = "3 mg/kg"\n'
        'elimination_half_life = "90 min"\n'
    )
    path = write_study(example, text, "with_failure.toml")
    out = tmp_path_factory.mktemp("out")
    return run_study(path, out, workers=2)


def test_one_failing_assay_does_not_stop_the_others(run_with_failure) -> None:
    run = run_with_failure
    assert run.exit_code == 1
    by_name = {o.name: o for o in run.outcomes}
    assert not by_name["corrupt plate"].ok
    assert "corrupt.txt" in by_name["corrupt plate"].section.error
    assert by_name["NET exp1"].ok and by_name["protein 1"].ok
    html = run.report_path.read_text(encoding="utf-8")
    assert 'id="errors"' in html and "This analysis failed" in html
    assert "corrupt.txt" in html
    # the working sections are fully reported
    assert (run.out_dir / "results" / "binding1_net-exp1.csv").is_file()
    assert (run.out_dir / "results" / "binding1_net-exp1.json").is_file()
    assert (run.out_dir / "figures" / "binding1_net-exp1_curve1.svg").is_file()
    assert (run.out_dir / "figures" / "binding1_net-exp1_curve1.png").is_file()


def test_measured_ki_recovers_the_simulated_truth(run_with_failure) -> None:
    ok = next(o for o in run_with_failure.outcomes if o.name == "NET exp1")
    ki = ok.ki["ki_M"].iloc[0]
    # one experiment; simulated Ki 0.5 nM (the fit's own CI is checked by the binding tests)
    assert 0.3e-9 < ki < 0.8e-9
    low, high = ok.ki["ki_ci_low_M"].iloc[0], ok.ki["ki_ci_high_M"].iloc[0]
    assert low < ki < high


def test_provenance_hashes_match_hashlib(run_with_failure) -> None:
    prov = json.loads(run_with_failure.provenance_path.read_text(encoding="utf-8"))
    spec = run_with_failure.spec
    inputs = {row["path"]: row for row in prov["inputs"]}
    files = {p.resolve() for _, p in spec.input_files()}
    assert len(inputs) == len(files)
    for path in files:
        row = inputs[str(path.relative_to(spec.folder))]
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert row["bytes"] == path.stat().st_size
    assert prov["versions"]["pdstudy"] and prov["versions"]["numpy"] != "not installed"
    assert prov["started"] <= prov["finished"]
    keys = [s["key"] for s in prov["sections"]]
    assert keys == ["binding[1]", "binding[2]", "protein[1]"]
    net = prov["sections"][0]
    assert net["parameters"]["kd"] == pytest.approx(0.8e-9)
    assert net["parameters"]["radioligand_conc"] == pytest.approx(1e-9)
    assert prov["sections"][1]["status"] == "failed" and prov["sections"][1]["error"]
    assert prov["pharmacology"]["exposure"]["free_conc_M"] == pytest.approx(0.3e-9)
    synapse = prov["pharmacology"]["synapse"]
    assert synapse["synapse"]["feedback"] is False
    assert synapse["synapse"]["k_diff_per_s"] == pytest.approx(0.002)
    assert synapse["pk"]["dose_g_per_kg"] == pytest.approx(3e-3)
    assert synapse["pk"]["ke_per_s"] == pytest.approx(math.log(2) / 5400)
    params = (run_with_failure.out_dir / "results" / "synapse_parameters.csv").read_text()
    assert "study file [synapse]" in params and "study file [pk]" in params
    measured = run_with_failure.outcomes[0].ki["ki_M"].iloc[0]
    assert prov["pharmacology"]["synapse"]["ki_net_M"] == pytest.approx(measured)


def test_headline_uses_measured_ki(run_with_failure) -> None:
    html = run_with_failure.report_path.read_text(encoding="utf-8")
    assert "measured in this study" in html
    assert "not analysed by this version" not in html  # every protocol read-out is a section now
    summary = json.loads((run_with_failure.out_dir / "results" / "summary.json").read_text())
    assert [s["status"] for s in summary["sections"]][1] == "failed"


def test_workers_one_runs_inline(example: Path, tmp_path: Path) -> None:
    path = write_study(
        example,
        SMALL.format(extra="").replace(
            '[[protein]]\nplates = ["protein/bca_plate.csv"]\nlayout = "protein/bca_layout.toml"\n',
            "",
        ),
        "inline.toml",
    )
    seen: list[str] = []
    run = run_study(path, tmp_path, workers=1, on_done=lambda o: seen.append(o.key))
    assert run.exit_code == 0 and seen == ["binding[1]"]
    assert run.report_path.is_file()


# ------------------------------------------------------------------ new assay kinds


def _dummy_run(section, ctx):
    from pdstudy.report import Section
    from pdstudy.study import SectionOutcome

    n = len(section.values["files"])
    report = Section(
        anchor=section.slug,
        title=section.name,
        kind=section.kind,
        key=section.key,
        facts=(("files", str(n)),),
    )
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=True,
        summary={"n": n},
    )


def test_a_new_assay_kind_plugs_in(example: Path, request: pytest.FixtureRequest) -> None:
    from pdstudy.study import AssayHandler, RunContext, Schema, register_handler
    from pdstudy.study.runner import _run_sections

    schema = Schema(
        "dummy", (Key("name", "text"), Key("files", "files", required=True, doc="video files"))
    )
    request.addfinalizer(lambda: HANDLERS.pop("dummy", None))
    register_handler(AssayHandler("dummy", "Dummy", schema, _dummy_run))
    assert "dummy" in HANDLERS
    with pytest.raises(ValueError, match="already registered"):
        register_handler(AssayHandler("dummy", "Dummy", schema, _dummy_run))
    text = SMALL.format(extra="") + '\n[[dummy]]\nname = "videos"\nfiles = ["binding/*.toml"]\n'
    spec = load_study(write_study(example, text, "dummy.toml"))
    section = next(s for s in spec.sections if s.kind == "dummy")
    ctx = RunContext(out_dir=example / "dummy_out", study_dir=example, compound="x")
    outcomes, _ = _run_sections([section], ctx, 1, None, None)
    assert outcomes[0].ok and outcomes[0].summary == {"n": 2}
    bad = text.replace('files = ["binding/*.toml"]', 'file = "x"')
    problems = dict(validate_study(write_study(example, bad, "dummy_bad.toml"))[1])
    assert "did you mean 'files'" in problems["dummy[1].file"]
    assert problems["dummy[1].files"].startswith("missing (required): video files")


def test_compound_matching_no_layout_compound_is_a_problem_naming_both(example: Path) -> None:
    text = SMALL.format(extra="").replace(
        'compound = "norclomipramine"', 'compound = "clomipramine"'
    )
    spec, problems = validate_study(write_study(example, text, "wrong_compound.toml"))
    assert spec is None
    found = dict(problems)
    assert "'clomipramine' is not a compound of any layout" in found["study.compound"]
    assert "norclomipramine" in found["study.compound"]
    assert "binding[1].layout (net_layout.toml)" in found["study.compound"]


def test_compound_matches_layouts_case_insensitively(example: Path) -> None:
    text = SMALL.format(extra="").replace(
        'compound = "norclomipramine"', 'compound = "Norclomipramine"'
    )
    spec, problems = validate_study(write_study(example, text, "case_compound.toml"))
    assert not [p for p in problems if "not a compound of any layout" in p[1]]


def test_implausible_radioligand_values_warn_but_validate(example: Path) -> None:
    from pdstudy.units import PlausibilityWarning

    text = SMALL.format(extra='volume = "2 mL"').replace(
        'radioligand_conc = "1 nM"', 'radioligand_conc = "10 mM"'
    )
    with pytest.warns(PlausibilityWarning) as record:
        spec, problems = validate_study(write_study(example, text, "odd_values.toml"))
    assert spec is not None and not problems
    messages = [str(w.message) for w in record]
    assert any("binding[1].radioligand_conc = 10 mM is unusual" in m for m in messages)
    assert any("binding[1].volume = 2 mL" in m for m in messages)


def test_pdstudy_run_prints_plausibility_warnings_one_per_line(example: Path) -> None:
    from typer.testing import CliRunner

    from pdstudy.cli import app

    text = SMALL.format(extra='volume = "2 mL"\nno_such_key = 1').replace(
        'radioligand_conc = "1 nM"', 'radioligand_conc = "10 mM"'
    )
    path = write_study(example, text, "odd_and_invalid.toml")
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(example / "odd_out")])
    assert res.exit_code == 2, res.output  # invalid: nothing run, the warnings still shown
    lines = res.output.splitlines()
    assert any(
        ln.startswith("warning: binding[1].radioligand_conc = 10 mM is unusual") for ln in lines
    ), res.output
    assert any(ln.startswith("warning: binding[1].volume = 2 mL") for ln in lines)
    assert "no_such_key" in res.output
