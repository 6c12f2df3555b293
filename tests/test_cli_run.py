"""The ``run``, ``profile`` and ``demo`` commands: exit codes, messages, outputs.

The full demo (every assay of the example study, on worker processes) is
marked slow; it also renders the report's headline in Chromium (under
tmp_path: `make screenshot` makes the README's picture) and checks that the
docs name every output column.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.examples import write_example_study
from pdstudy.study import HANDLERS

REPO = Path(__file__).resolve().parents[1]
RUNNER = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})

SMALL = """\
[study]
name = "CLI study"
compound = "norclomipramine"

[study.exposure]
plasma_conc = "200 ng/mL"
fu = 0.02

[[binding]]
name = "NET"
plates = ["binding/net_exp1_microbeta.txt"]
layout = "binding/net_layout.toml"
radioligand_conc = "1 nM"
kd = "0.8 nM"
"""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example_study(folder, seed=11, videos=False)  # the TST video: test_examples_videos
    return folder


def test_help_lists_run_and_profile() -> None:
    res = RUNNER.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("run", "profile", "demo", "info"):
        assert cmd in res.output


def test_run_invalid_study_prints_every_problem_and_exits_2(example: Path, tmp_path: Path) -> None:
    text = SMALL.replace('kd = "0.8 nM"', 'kd = "0.8 nN"\nradioligand_concentration = "1 nM"')
    text = text.replace("binding/net_exp1_microbeta.txt", "binding/nope.txt")
    text += '\n[[uptake]]\nplates = ["binding/net_exp2_topcount.txt"]\nlayout = "uptake/uptake_layout.toml"\n'
    path = example / "invalid.toml"
    path.write_text(text, encoding="utf-8")
    res = RUNNER.invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    out = res.output
    assert "invalid study file" in out
    for line in (
        "binding[1].kd: unknown unit 'nN' in '0.8 nN'",
        "binding[1].radioligand_concentration: unknown key 'radioligand_concentration' "
        "(did you mean 'radioligand_conc'?)",
        "binding[1].plates[1]: file not found: 'binding/nope.txt'",
        "uptake[1].specific_activity: missing (required)",
        "uptake[1].plates[1]: plate net_exp2_topcount.txt does not match layout uptake_layout.toml",
    ):
        assert line in out, f"{line!r} not in:\n{out}"
    assert not (tmp_path / "out" / "report.html").exists()  # nothing is run


def test_run_good_study_exits_0(example: Path, tmp_path: Path) -> None:
    path = example / "good.toml"
    path.write_text(SMALL, encoding="utf-8")
    res = RUNNER.invoke(app, ["run", str(path), "--out", str(tmp_path), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "report:" in res.output and "binding[1]" in res.output
    for name in (
        "report.html",
        "provenance.json",
        "results/binding1_net.csv",
        "results/binding1_net.json",
        "results/profile.csv",
        "figures/profile_occupancy.svg",
        "figures/synapse_microdialysis.png",
    ):
        assert (tmp_path / name).is_file(), name


def test_run_with_a_failing_assay_exits_1(example: Path, tmp_path: Path) -> None:
    (example / "binding" / "garbage.txt").write_text("no plate here\n")
    path = example / "failing.toml"
    path.write_text(
        SMALL + '\n[[binding]]\nname = "bad"\nplates = ["binding/garbage.txt"]\n'
        'layout = "binding/net_layout.toml"\nradioligand_conc = "1 nM"\nkd = "0.8 nM"\n',
        encoding="utf-8",
    )
    res = RUNNER.invoke(app, ["run", str(path), "--out", str(tmp_path), "--workers", "1"])
    assert res.exit_code == 1, res.output
    assert "failed" in res.output and "garbage.txt" in res.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "garbage.txt" in html and "binding1_net_curve1" in html  # the rest is reported


# ------------------------------------------------------------------ profile


def test_profile_total_plasma() -> None:
    res = RUNNER.invoke(app, ["profile", "norclomipramine", "--conc", "200 ng/mL", "--fu", "0.02"])
    assert res.exit_code == 0, res.output
    out = res.output
    cu = 200e-6 / 300.8 * 0.02  # g/L / (g/mol) x fu = 13.3 nM unbound
    occ = f"{100 * cu / (cu + 0.32e-9):.1f} %"  # NET Ki 0.32 nM in the shipped profile
    assert "Cu = 13.3 nM" in out
    assert re.search(rf"NET\s.*0\.32 nM.*9\.49.*{re.escape(occ)}", out), out
    assert "Liabilities" in out and "sedation" in out  # H1 53 %
    assert "anticholinergic" not in out  # M1 26 %: below the default 50 %
    assert "vendor-reported" in out
    res = RUNNER.invoke(
        app,
        ["profile", "norclomipramine", "--conc", "200 ng/mL", "--fu", "2 %", "--threshold", "0.25"],
    )
    assert res.exit_code == 0 and "anticholinergic" in res.output


def test_profile_free_and_out(tmp_path: Path) -> None:
    res = RUNNER.invoke(app, ["profile", "clomipramine", "--free", "1 nM", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(tmp_path / "profile.csv")
    ki = frame.set_index("target")["ki_M"]
    occ = frame.set_index("target")["occupancy"]
    assert occ["SERT"] == pytest.approx(1e-9 / (1e-9 + ki["SERT"]))
    assert (tmp_path / "occupancy.svg").is_file() and (tmp_path / "occupancy.png").is_file()
    assert (tmp_path / "liabilities.csv").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["norclomipramine"], "give --conc"),
        (["norclomipramine", "--conc", "200 ng/mL"], "--fu"),
        (["norclomipramine", "--free", "1 nM", "--fu", "0.02"], "--fu applies to --conc only"),
        (["norclomipramine", "--free", "1 nN"], "unknown unit 'nN'"),
        (["nosuchdrug", "--free", "1 nM"], "no shipped profile named 'nosuchdrug'"),
    ],
)
def test_profile_bad_options(args: list[str], message: str) -> None:
    res = RUNNER.invoke(app, ["profile", *args])
    assert res.exit_code == 2
    assert message in res.output


# ------------------------------------------------------------------ demo (slow)


def _documented(page: str) -> set[str]:
    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    return set(re.findall(r"`([A-Za-z0-9_]+)`", text))


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    start = time.perf_counter()
    res = RUNNER.invoke(app, ["demo", "--out", str(tmp_path)])
    elapsed = time.perf_counter() - start
    print(f"pdstudy demo: {elapsed:.1f} s")  # the brief asks for well under 2 minutes
    assert res.exit_code == 0, res.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for kind in HANDLERS:
        assert 'class="assay ' in html and re.search(rf'id="{kind}\d+_', html), kind
    assert 'id="profile"' in html and 'id="synapse"' in html
    # every output column is documented on its assay's page
    pages = {
        "binding": "binding.md",
        "saturation": "binding.md",
        "uptake": "uptake.md",
        "protein": "uptake.md",
        "profile": "profile-and-synapse.md",
        "liabilities": "profile-and-synapse.md",
        "ki_measured": "profile-and-synapse.md",
        "synapse": "profile-and-synapse.md",
        "dialysis_vs_model": "microdialysis.md",
        "selectivity_measured": "profile-and-synapse.md",
        "truth_vs_recovered": "profile-and-synapse.md",
        "design": "design.md",
        "microdialysis": "microdialysis.md",
        "fst": "behavior.md",
        "tst": "behavior.md",
    }
    missing = {}
    for csv in sorted((tmp_path / "results").glob("*.csv")):
        if csv.name.endswith("_exclusions.csv"):  # every kind's exclusion table: one page
            page = "exclusions.md"
        else:
            page = next(p for prefix, p in pages.items() if csv.name.startswith(prefix))
        cols = set(pd.read_csv(csv, nrows=0).columns) - _documented(page)
        if cols:
            missing[csv.name] = sorted(cols)
    assert not missing, f"output columns not documented in docs/: {missing}"
    # the simulated truth: every quantity found, and recovered within 2-fold of the truth
    truth = pd.read_csv(tmp_path / "results" / "truth_vs_recovered.csv", keep_default_na=False)
    assert len(truth) >= 9 and (truth["note"] == "").all(), truth.to_string()
    ratio = truth["recovered_over_true"].astype(float)
    assert ratio.between(0.5, 2.0).all(), truth.to_string()
    assert "Simulation check: true vs recovered values" in html
    # the filmed TST session: its ethogram and motion trace in the report, its four mice in
    # the truth table (scores within 5 s: tests/test_examples_videos.py)
    for figure in ("ethogram", "motion"):
        assert (tmp_path / "figures" / f"tst1_tail-suspension-test_{figure}.png").is_file()
        assert f'id="tst1_tail-suspension-test_{figure}"' in html, figure
    assert "Immobile bouts of each video-scored animal" in html
    assert truth["quantity"].str.startswith("TST immobility of").sum() == 4, truth.to_string()
    # the headline renders (the README's screenshot is made by `make screenshot`)
    from test_report import chromium_render, console_errors

    shot = tmp_path / "report_headline.png"
    dom, log = chromium_render(tmp_path / "report.html", tmp_path, shot, height=1500)
    assert "Headline" in dom and console_errors(log) == []
    assert shot.stat().st_size > 10_000
