"""Fit options a Prism user expects: the model, fixed Hill slope / top / bottom, the CI level.

The estimates are checked against an independent implementation of the same
constrained model (``scipy.optimize.curve_fit`` on the same % specific binding
points), the asymptotic Hill CI against ``t(level, df) * SE`` from curve_fit's
covariance, and the profile-likelihood Ki CI against a root search of the sum
of squares written here (Prism's criterion ``SS <= SSmin (1 + F(level; 1, df) /
df)``). The study file's keys and the command's options must give the same
tables, and bad values are refused naming the key or the option.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import brentq, curve_fit
from typer.testing import CliRunner

from pdstudy.assays.binding import analyze_competition
from pdstudy.assays.curve_options import fit_option_problems, fit_options_text
from pdstudy.cli import app
from pdstudy.design import competition_layout, concentration_series
from pdstudy.errors import ModelError, StudyFileError
from pdstudy.fitting.concentration_response import fit_concentration_response
from pdstudy.io import write_layout, write_plate
from pdstudy.report.format import model_parameters_text
from pdstudy.simulate import simulate_competition, without_truth
from pdstudy.study import load_study, run_study

KI, KD, LIG = 0.5e-9, 0.8e-9, 1e-9
SHIFT = math.log10(1 + LIG / KD)
TIGHT = {"ftol": 1e-14, "xtol": 1e-14, "gtol": 1e-14, "maxfev": 100_000}

runner = CliRunner()


def _layout() -> pd.DataFrame:
    concs = concentration_series(KI, radioligand_M=LIG, kd_M=KD, n=10)
    layout = competition_layout(
        concs, compound="norclomipramine", replicates=3, target="NET", radioligand_M=LIG
    )
    layout["kd_M"] = KD
    return layout


@pytest.fixture(scope="module")
def plate() -> pd.DataFrame:
    """One simulated plate with a shallow curve (true Hill 0.8), so the models differ."""
    return simulate_competition(
        _layout(), ki_M=KI, kd_M=KD, radioligand_M=LIG, hill=0.8, rng=np.random.default_rng(7)
    )


def _points(result) -> tuple[np.ndarray, np.ndarray]:
    """log10 conc and % specific binding of the fitted competition wells."""
    pts = result.points
    pts = pts[(pts["role"] == "competition") & (pts["conc_M"] > 0) & ~pts["excluded"]]
    return np.log10(pts["conc_M"].to_numpy(float)), pts["pct_specific"].to_numpy(float)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# ---------------------------------------------------------------- numbers vs scipy


def test_variable_slope_with_bottom_zero_matches_curve_fit(plate):
    res = analyze_competition(
        plate, weighting="none", model="variable_slope", fixed={"bottom": 0.0}, level=0.90
    )
    c = res.curves.iloc[0]
    x, y = _points(res)
    assert int(c["n_points"]) == x.size == 30

    def four_pl_bottom0(x, top, log_ic50, hill):
        return top / (1 + 10 ** ((log_ic50 - x) * hill))

    p, cov = curve_fit(four_pl_bottom0, x, y, p0=[100.0, float(np.median(x)), -1.0], **TIGHT)
    assert c["model"] == "four_pl" and c["bottom"] == 0.0 and bool(c["bottom_fixed"])
    assert math.isnan(c["bottom_ci_low"]) and math.isnan(c["bottom_ci_high"])
    for ours, theirs in zip((c["top"], c["log_ic50"], c["hill"]), p, strict=True):
        assert _rel(ours, theirs) < 1e-6
    # Ki from this fit's IC50 (Cheng-Prusoff), as the row says
    assert _rel(c["ki_M"], 10 ** p[1] / (1 + LIG / KD)) < 1e-6
    # the asymptotic 90 % CI of the Hill slope: t(0.95, n - 3) * SE from curve_fit's pcov
    half = stats.t.ppf(0.95, x.size - 3) * math.sqrt(cov[2, 2])
    assert _rel(c["hill_ci_low"], p[2] - half) < 1e-6
    assert _rel(c["hill_ci_high"], p[2] + half) < 1e-6
    assert c["confidence"] == 0.90 and res.parameters["confidence"] == 0.90


def test_one_site_with_both_plateaus_fixed_matches_an_independent_profile(plate):
    res = analyze_competition(
        plate, weighting="none", model="one_site", fixed={"bottom": 0.0, "top": 100.0}, level=0.9
    )
    c = res.curves.iloc[0]
    x, y = _points(res)

    def one_site(x, log_ic50):
        return 100.0 / (1 + 10 ** (x - log_ic50))

    (lic,), _ = curve_fit(one_site, x, y, p0=[float(np.median(x))], **TIGHT)
    assert c["model"] == "one_site" and c["hill"] == -1.0 and bool(c["hill_fixed"])
    assert (c["top"], c["bottom"]) == (100.0, 0.0) and c["top_fixed"] and c["bottom_fixed"]
    assert _rel(c["log_ic50"], lic) < 1e-6
    assert _rel(c["ki_M"], 10 ** (lic - SHIFT)) < 1e-6

    # the profile-likelihood interval of log IC50 at 90 %: SS <= SSmin (1 + F / df)
    def ss(v: float) -> float:
        return float(np.sum((y - one_site(x, v)) ** 2))

    df = x.size - 1
    limit = ss(lic) * (1 + stats.f.ppf(0.90, 1, df) / df)
    lo = brentq(lambda v: ss(v) - limit, lic - 3, lic)
    hi = brentq(lambda v: ss(v) - limit, lic, lic + 3)
    assert _rel(c["ki_ci_low_M"], 10 ** (lo - SHIFT)) < 1e-6
    assert _rel(c["ki_ci_high_M"], 10 ** (hi - SHIFT)) < 1e-6
    assert _rel(c["ic50_ci_low_M"], 10**lo) < 1e-6


def test_a_90_percent_ci_is_narrower_than_the_95_percent_one(plate):
    def widths(level: float) -> tuple[float, float, float]:
        c = analyze_competition(plate, model="variable_slope", level=level).curves.iloc[0]
        return (
            c["hill_ci_high"] - c["hill_ci_low"],
            math.log10(c["ki_ci_high_M"] / c["ki_ci_low_M"]),
            c["top_ci_high"] - c["top_ci_low"],
        )

    for w90, w95 in zip(widths(0.90), widths(0.95), strict=True):
        assert 0 < w90 < w95
    # the asymptotic half-widths scale exactly with the t quantile (same fit, same df)
    c95 = analyze_competition(plate, model="variable_slope", level=0.95).curves.iloc[0]
    c90 = analyze_competition(plate, model="variable_slope", level=0.90).curves.iloc[0]
    df = int(c95["n_points"]) - 4
    ratio = stats.t.ppf(0.95, df) / stats.t.ppf(0.975, df)
    assert (
        _rel(c90["hill_ci_high"] - c90["hill"], ratio * (c95["hill_ci_high"] - c95["hill"])) < 1e-9
    )


def test_fixed_hill_is_a_variable_slope_curve_held_at_that_slope(plate):
    res = analyze_competition(plate, weighting="none", fixed={"hill": -0.8})
    c = res.curves.iloc[0]
    x, y = _points(res)

    def held(x, bottom, top, log_ic50):
        return bottom + (top - bottom) / (1 + 10 ** ((log_ic50 - x) * -0.8))

    p, _ = curve_fit(held, x, y, p0=[0.0, 100.0, float(np.median(x))], **TIGHT)
    assert c["model"] == "four_pl" and c["hill"] == -0.8 and bool(c["hill_fixed"])
    assert math.isnan(c["hill_ci_low"]) and math.isnan(c["f_test_p"])
    # plateaus to 1e-6 of the response's scale (100 %): a bottom near 0 has no relative scale
    ours_all = (c["bottom"], c["top"], c["log_ic50"])
    for ours, theirs, scale in zip(ours_all, p, (100, 100, 9), strict=True):
        assert abs(ours - theirs) < 1e-6 * scale
    # and the engine's minimum is at least as low as curve_fit's
    ss_ours = np.sum((y - held(x, c["bottom"], c["top"], c["log_ic50"])) ** 2)
    assert ss_ours <= np.sum((y - held(x, *p)) ** 2) * (1 + 1e-12)
    assert "Hill slope fixed at -0.8" in c["reason"] and "no F test" in c["reason"]
    assert "fixed at -0.80" in c["ki_method"]
    # the report shows the slope held, not -1
    shown = model_parameters_text(res.curves).iloc[0]
    assert shown["hill_text"] == "-0.8 (fixed)"


# ---------------------------------------------------------------- the model choice


def test_auto_runs_the_f_test_and_a_forced_model_does_not(plate):
    auto = analyze_competition(plate).curves.iloc[0]
    assert np.isfinite(auto["f_test_p"]) and "F test P" in auto["reason"]
    for model, name in (("one_site", "one_site"), ("variable_slope", "four_pl")):
        c = analyze_competition(plate, model=model).curves.iloc[0]
        assert c["model"] == name
        assert math.isnan(c["f_test_p"]) and "as asked; no F test" in c["reason"]
    forced = analyze_competition(plate, model="one_site")
    assert forced.fits is not None and forced.fits.comparison is None


def test_a_forced_variable_slope_keeps_its_flags(plate):
    c = analyze_competition(plate, model="variable_slope").curves.iloc[0]
    assert "cheng_prusoff_assumption" in c["flags"]
    assert "without an F test" in c["flag_reasons"]


def test_the_fit_engine_refuses_bad_options(plate):
    frame = pd.DataFrame(
        {"c": ["a"] * 4, "conc_M": [1e-9, 1e-8, 1e-7, 1e-6], "y": [100.0, 80.0, 30.0, 5.0]}
    )
    for kw, match in (
        ({"model": "two_sites"}, "model='two_sites'"),
        ({"fixed": {"slope": -1.0}}, "cannot fix slope"),
        ({"fixed": {"top": math.nan}}, "finite"),
        ({"fixed": {"hill": 0.0}}, "flat"),
        ({"model": "one_site", "fixed": {"hill": -0.8}}, "one-site model"),
        ({"level": 1.0}, "level"),
    ):
        with pytest.raises(ModelError, match=match):
            fit_concentration_response(frame, keys=["c"], y="y", **kw)


def test_option_checks_name_the_key():
    assert fit_option_problems({"model": "auto", "confidence": 0.95}) == []
    cases = {
        "confidence": {"confidence": 0.5},
        "fix_hill": {"fix_hill": 1.0},
        "fix_top": {"fix_top": 0.0, "fix_bottom": 10.0},
    }
    for key, values in cases.items():
        assert [k for k, _ in fit_option_problems(values)] == [key]
    (why,) = fit_option_problems({"model": "one_site", "fix_hill": -0.7})
    assert why[0] == "fix_hill" and "variable_slope" in why[1]


def test_methods_words_say_what_was_fixed_and_the_level():
    text = fit_options_text(
        "variable_slope", {"bottom": 0, "top": 100}, 0.9, response="% specific binding"
    )
    assert "variable-slope model" in text and "without a model comparison" in text
    assert "bottom plateau constrained to 0 %" in text and "top plateau constrained to 100 %"
    assert text.endswith("90 % confidence intervals")
    auto = fit_options_text("auto", {}, 0.95, response="% of control")
    assert "F test" in auto and "95 % confidence intervals" in auto


# ---------------------------------------------------------------- study file and command line

STUDY = """
[study]
name = "fit options"
compound = "norclomipramine"

[study.exposure]
free_conc = "0.3 nM"

[[binding]]
name = "competition"
target = "NET"
plates = ["one.txt", "two.txt"]
layout = "layout.toml"
radioligand_conc = "1 nM"
kd = "0.8 nM"
{extra}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fitopts")
    layout = _layout()
    write_layout(layout, d / "layout.toml")
    rng = np.random.default_rng(20261201)
    for name in ("one", "two"):
        sim = simulate_competition(layout, ki_M=KI, kd_M=KD, radioligand_M=LIG, rng=rng)
        write_plate(without_truth(sim), d / f"{name}.txt", "microbeta")
    return d


def _write_study(folder: Path, extra: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(STUDY.format(extra=extra), encoding="utf-8")
    return path


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_csv(p) for p in sorted((out / "results").glob("binding1_*.csv"))}


@pytest.mark.slow  # a study run and a command, each with its report and figures
def test_study_keys_and_cli_options_give_the_same_tables(files, tmp_path):
    extra = 'model = "variable_slope"\nfix_bottom = 0\nconfidence = "90 %"\n'
    run = run_study(load_study(_write_study(files, extra)), tmp_path / "study", workers=1)
    assert run.outcomes[0].ok, run.outcomes[0].section.error
    res = runner.invoke(
        app,
        ["binding", "analyze", str(files / "one.txt"), str(files / "two.txt"),
         "--layout", str(files / "layout.toml"), "--radioligand-conc", "1 nM", "--kd", "0.8 nM",
         "--target", "NET", "--model", "variable_slope", "--fix-bottom", "0",
         "--confidence", "0.9", "--out", str(tmp_path / "cli")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cli, study = _tables(tmp_path / "cli"), _tables(tmp_path / "study")
    assert sorted(cli) == sorted(study) and "binding1_competition.csv" in cli
    for name in cli:
        pd.testing.assert_frame_equal(cli[name], study[name], check_exact=True, obj=name)
    curves = cli["binding1_competition.csv"]
    assert set(curves["model"]) == {"four_pl"} and (curves["bottom"] == 0).all()
    assert curves["bottom_fixed"].all() and curves["f_test_p"].isna().all()
    assert (curves["confidence"] == 0.9).all()
    assert (cli["binding1_competition_aggregate.csv"]["confidence"] == 0.9).all()
    assert "Ki (90 % CI)" in " ".join(res.output.split())
    # the Methods text says what was fixed and the level, in words
    methods = (tmp_path / "cli" / "methods.txt").read_text(encoding="utf-8")
    for words in (
        "variable-slope model (four-parameter logistic) for every curve",
        "bottom plateau constrained to 0 % specific binding",
        "profile-likelihood 90 % CIs for IC50 and Ki, asymptotic ones for the Hill slope",
        "t-based 90 % CI",
    ):
        assert words in methods, words
    assert "95 %" not in methods
    report = (tmp_path / "study" / "report.html").read_text(encoding="utf-8")
    assert "Hill slope (90 % CI)" in report and "0 (fixed)" in report


@pytest.mark.parametrize(
    "extra, key, words",
    [
        ("confidence = 1.0", "binding[1].confidence", "between 0.5 and 1"),
        ("confidence = 0.3", "binding[1].confidence", "between 0.5 and 1"),
        ("fix_hill = 1", "binding[1].fix_hill", "negative"),
        ('model = "one_site"\nfix_hill = -0.8', "binding[1].fix_hill", "variable_slope"),
        ("fix_top = 0\nfix_bottom = 10", "binding[1].fix_top", "above bottom"),
        ('model = "onesite"', "binding[1].model", "one_site"),
        ('fix_top = "100 %"', "binding[1].fix_top", "expected a number"),
    ],
)
def test_a_bad_study_value_names_its_key(files, tmp_path, extra, key, words):
    path = _write_study(tmp_path, extra)
    for name in ("one.txt", "two.txt", "layout.toml"):
        (tmp_path / name).write_bytes((files / name).read_bytes())
    with pytest.raises(StudyFileError) as err:
        load_study(path)
    text = str(err.value)
    assert key in text and words in text, text


@pytest.mark.parametrize(
    "args, option, words",
    [
        (["--confidence", "1.2"], "option --confidence", "between 0.5 and 1"),
        (["--confidence", "50 %"], "option --confidence", "between 0.5 and 1"),
        (["--fix-hill", "0.5"], "option --fix-hill", "negative"),
        (["--model", "two_site"], "option --model", "auto, one_site or variable_slope"),
        (["--fix-top", "5", "--fix-bottom", "10"], "option --fix-top", "above bottom"),
    ],
)
def test_a_bad_option_names_the_option(files, tmp_path, args, option, words):
    res = runner.invoke(
        app,
        ["binding", "analyze", str(files / "one.txt"), "--layout", str(files / "layout.toml"),
         "--out", str(tmp_path / "out"), *args],
    )  # fmt: skip
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert option in text and words in text, text
    assert not (tmp_path / "out" / "results").exists()


def test_uptake_kinetics_refuses_inhibition_fit_keys_but_takes_the_level():
    from pdstudy.assays.schema import parse_table
    from pdstudy.assays.uptake.sections import UPTAKE

    base = {
        "mode": "kinetics",
        "specific_activity": "40 Ci/mmol",
        "incubation": "5 min",
        "protein": "100 µg",
    }
    fit_keys = ("model", "fix_hill", "fix_top", "fix_bottom", "confidence")

    def fit_problems(raw: dict) -> list[str]:
        problems: list[tuple[str, str]] = []  # plates and layout are missing too: not ours
        parse_table(UPTAKE, {**base, **raw}, "uptake[1]", Path(), problems)
        return [p for p, _ in problems if p.rsplit(".", 1)[-1] in fit_keys]

    assert fit_problems({"fix_top": 100, "confidence": 0.9}) == ["uptake[1].fix_top"]
    assert fit_problems({"confidence": 0.99}) == []
    assert fit_problems({"confidence": 1.0}) == ["uptake[1].confidence"]
    assert fit_problems({"mode": "inhibition", "km": "0.3 uM", "fix_hill": 2}) == [
        "uptake[1].fix_hill"
    ]


# ---------------------------------------------------------------- uptake inhibition

S_M, KM_M = 15e-9, 0.3e-6
UPTAKE_SIM = {
    "km_M": KM_M,
    "vmax_pmol_per_mg_per_min": 2.0,
    "protein_mg_per_well": 0.1,
    "incubation_s": 300.0,
    "specific_activity_Ci_per_mmol": 40.0,
    "cv": 0.05,
}


@pytest.mark.slow  # a study run and a command, each with its report and figures
def test_uptake_study_keys_and_cli_options_give_the_same_tables(tmp_path):
    from pdstudy.design.plates import uptake_layout
    from pdstudy.simulate import simulate_uptake

    concs = concentration_series(KI, radioligand_M=S_M, kd_M=KM_M, n=10)
    layout = uptake_layout(list(concs), compound="norclomipramine", substrate_M=S_M, target="NET")
    layout["km_M"] = KM_M
    write_layout(layout, tmp_path / "layout.toml")
    sim = simulate_uptake(
        layout, ki_M=KI, substrate_M=S_M, rng=np.random.default_rng(11), **UPTAKE_SIM
    )
    write_plate(without_truth(sim), tmp_path / "plate.txt", "microbeta")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "uptake fit options"\ncompound = "norclomipramine"\n\n'
        '[study.exposure]\nfree_conc = "0.3 nM"\n\n'
        '[[uptake]]\nname = "inhibition"\nplates = ["plate.txt"]\nlayout = "layout.toml"\n'
        'km = "0.3 µM"\nspecific_activity = "40 Ci/mmol"\nincubation = "5 min"\n'
        'protein = "100 µg"\nmodel = "one_site"\nfix_top = 100\nconfidence = 0.8\n',
        encoding="utf-8",
    )
    run = run_study(load_study(tmp_path / "study.toml"), tmp_path / "study", workers=1)
    assert run.outcomes[0].ok, run.outcomes[0].section.error
    res = runner.invoke(
        app,
        ["uptake", "analyze", str(tmp_path / "plate.txt"), "--layout", str(tmp_path / "layout.toml"),
         "--specific-activity", "40 Ci/mmol", "--incubation", "5 min", "--protein", "100 ug",
         "--model", "one_site", "--fix-top", "100", "--confidence", "80 %",
         "--out", str(tmp_path / "cli")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "cli" / "results").glob("uptake1_*.csv"))
    assert "uptake1_inhibition.csv" in names
    for name in names:
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "cli" / "results" / name),
            pd.read_csv(tmp_path / "study" / "results" / name),
            check_exact=True,
            obj=name,
        )
    curves = pd.read_csv(tmp_path / "cli" / "results" / "uptake1_inhibition.csv")
    assert (curves["model"] == "one_site").all() and (curves["top"] == 100).all()
    assert curves["top_fixed"].all() and not curves["bottom_fixed"].any()
    assert (curves["confidence"] == 0.8).all() and curves["f_test_p"].isna().all()
    result = run.outcomes[0].result
    assert result.level == 0.8 and result.parameters["level"] == 0.8
    methods = (tmp_path / "cli" / "methods.txt").read_text(encoding="utf-8")
    assert "one-site model (Hill slope fixed at -1) for every curve" in methods
    assert "top plateau constrained to 100 % of control" in methods
    assert "profile-likelihood 80 % CIs" in methods


def test_the_level_reaches_saturation_and_kinetics_sections(tmp_path):
    from pdstudy.assays.binding.sections import SATURATION, analyse_saturation_section
    from pdstudy.assays.schema import parse_table
    from pdstudy.assays.uptake.sections import analyse_uptake_section
    from pdstudy.design.plates import saturation_layout
    from pdstudy.simulate import simulate_saturation
    from pdstudy.simulate.plates import simulate_uptake_kinetics
    from pdstudy.study import section_spec

    lay = saturation_layout(0.8e-9 * np.geomspace(0.1, 10, 8), target="NET")
    write_layout(lay, tmp_path / "sat_layout.toml")
    sat = simulate_saturation(lay, kd_M=0.8e-9, rng=np.random.default_rng(3))
    write_plate(without_truth(sat), tmp_path / "sat.txt", "microbeta")
    klay = saturation_layout(
        KM_M * np.geomspace(0.1, 10, 8), radioligand="[3H]norepinephrine", target="NET"
    )
    write_layout(klay, tmp_path / "kin_layout.toml")
    kin = simulate_uptake_kinetics(klay, km_M=KM_M, rng=np.random.default_rng(5))
    write_plate(without_truth(kin), tmp_path / "kin.txt", "microbeta")

    def width(lo: float, hi: float) -> float:
        return math.log10(hi / lo)

    sat_w, kin_w = [], []
    for level in (0.90, 0.95):
        res = analyse_saturation_section(
            section_spec(
                "saturation",
                {"plates": [tmp_path / "sat.txt"], "layout": tmp_path / "sat_layout.toml",
                 "specific_activity": 80.0, "confidence": level},
            ).values
        )  # fmt: skip
        assert res.options["confidence"] == level
        row = res.params[res.params["method"] == "total_nsb"].iloc[0]
        sat_w.append(width(row["kd_ci_low_M"], row["kd_ci_high_M"]))
        kres = analyse_uptake_section(
            section_spec(
                "uptake",
                {"mode": "kinetics", "plates": [tmp_path / "kin.txt"],
                 "layout": tmp_path / "kin_layout.toml", "specific_activity": 40.0,
                 "incubation": 300.0, "protein": 1e-4, "confidence": level},
            ).values
        )  # fmt: skip
        assert kres.level == level
        rk = kres.curves.iloc[0]
        kin_w.append(width(rk["km_ci_low_M"], rk["km_ci_high_M"]))
    assert 0 < sat_w[0] < sat_w[1] and 0 < kin_w[0] < kin_w[1]

    problems: list[tuple[str, str]] = []
    values = parse_table(SATURATION, {"confidence": "90 %"}, "saturation[1]", Path(), problems)
    assert values["confidence"] == pytest.approx(0.9)
    assert not [p for p, _ in problems if p.endswith("confidence")]
    parse_table(SATURATION, {"confidence": 0.45}, "saturation[1]", Path(), problems)
    assert "saturation[1].confidence" in [p for p, _ in problems]


def test_the_options_parse_to_the_values_the_study_keys_parse_to():
    from pdstudy.assays.binding.sections import BINDING
    from pdstudy.assays.schema import parse_table
    from pdstudy.cli._fit import fit_values

    raw = {"model": "variable_slope", "fix_hill": -0.9, "fix_bottom": 0, "confidence": "90 %"}
    problems: list[tuple[str, str]] = []
    parsed = parse_table(BINDING, raw, "binding[1]", Path(), problems)
    from_options = fit_values("binding", "variable_slope", -0.9, None, 0.0, "90 %")
    assert {k: parsed[k] for k in from_options} == from_options
    assert from_options["confidence"] == pytest.approx(0.9) and from_options["fix_top"] is None
