"""Microdialysis: the simulated experiment's truth recovered, flags, bad input, real lactose runs."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pdstudy.assays.microdialysis import analyze_dialysis
from pdstudy.errors import InputFileError
from pdstudy.io.chromatograms import read_method, read_sequence
from pdstudy.simulate.chromatograms import (
    DialysisDesign,
    effect_fraction,
    simulate_dialysis_experiment,
)

CHROM = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "chromatography"


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    d = tmp_path_factory.mktemp("dialysis")
    truth = simulate_dialysis_experiment(d, design=DialysisDesign(animals_per_group=3), seed=11)
    result = analyze_dialysis(read_sequence(d / "sequence.csv"), read_method(d / "method.toml"))
    return d, truth, result


def test_concentrations_within_5_percent_of_truth(experiment):
    _, truth, result = experiment
    s = result.samples.merge(truth, on=["file", "analyte"], suffixes=("", "_true"))
    assert len(s) == len(truth)
    err = (s["conc_nM"] / s["true_conc_nM"] - 1).abs()
    # median well under 1 %; the worst, a low basal 5-HT sample at S/N ~15, within 5 %
    assert err.median() < 0.01
    assert err.max() < 0.05
    assert (s["flags"] == "").all()


def test_calibration_of_every_analyte(experiment):
    _, _, result = experiment
    cal = result.calibration.set_index("analyte")
    assert list(cal.index) == ["NE", "DA", "5-HT"]
    assert (cal["status"] == "ok").all()
    assert (cal["r2"] > 0.999).all()
    # the simulator's response factors (area per nM)
    assert cal.loc["NE", "slope"] == pytest.approx(0.2, rel=0.02)
    assert cal.loc["DA", "slope"] == pytest.approx(0.25, rel=0.02)
    assert cal.loc["5-HT", "slope"] == pytest.approx(0.15, rel=0.02)
    assert (cal["worst_accuracy_pct"] < 105).all()


def test_percent_baseline_follows_the_simulated_effect(experiment):
    _, _, result = experiment
    pct = result.percent_baseline
    ne = pct[pct["analyte"] == "NE"]
    drug = ne[ne["group"] == "drug"].groupby("time_s")["pct_baseline"].mean()
    vehicle = ne[ne["group"] == "vehicle"].groupby("time_s")["pct_baseline"].mean()
    expected = 100 * (1 + 1.5 * effect_fraction(drug.index.to_numpy() / 60))
    # group means of 3 animals with 6 % sample noise and 25 % basal spread: within 15 %
    np.testing.assert_allclose(drug.to_numpy(), expected, rtol=0.15)
    assert (vehicle.between(80, 120)).all()
    # the baseline samples average 100 % by construction (last 3 pre-dose)
    base = ne[(ne["time_s"] < 0) & (ne["time_s"] >= -60 * 60)]
    assert base.groupby("animal")["pct_baseline"].mean().to_numpy() == pytest.approx(100.0)


def test_auc_emax_and_statistics(experiment):
    _, _, result = experiment
    auc = result.auc[result.auc["analyte"] == "NE"].set_index("group")
    assert auc.loc["drug", "emax_pct"].min() > 200
    assert auc.loc["vehicle", "emax_pct"].max() < 130
    stats = result.stats[result.stats["analyte"] == "NE"]
    dunnett = stats[stats["test"] == "Dunnett"].iloc[0]
    assert dunnett["group"] == "drug" and dunnett["p_adj"] < 0.01
    mm = stats[stats["test"] == "mixed model"].set_index("term")
    assert mm.loc["group[drug]:time[2400]", "p_value"] < 0.001
    welch = stats[stats["test"] == "welch t"]
    assert (welch["p_adj"] >= welch["p_value"]).all()
    # the design is complete: the two-way RM ANOVA runs; the drug's effect changes over time
    rm = stats[stats["test"] == "two-way RM ANOVA"].set_index("term")
    assert list(rm.index) == ["group", "time", "group:time"]
    assert rm.loc["group:time", "p_value"] < 0.001
    assert (rm["n"] == 6).all()


def test_rm_anova_row_says_why_when_a_sample_is_missing(experiment, tmp_path):
    d, _, _ = experiment
    seq = pd.read_csv(d / "sequence.csv")
    post = seq.index[(seq["kind"] == "sample") & (seq["time_min"].astype(float) > 0)][0]
    seq = seq.drop(index=post)
    work = tmp_path / "x"
    shutil.copytree(d, work)
    seq.to_csv(work / "sequence.csv", index=False)
    result = analyze_dialysis(
        read_sequence(work / "sequence.csv"), read_method(work / "method.toml")
    )
    rm = result.stats[
        (result.stats["test"] == "two-way RM ANOVA") & (result.stats["analyte"] == "NE")
    ]
    assert len(rm) == 1 and rm["term"].iloc[0].startswith("not run: incomplete design")
    mm = result.stats[(result.stats["test"] == "mixed model") & (result.stats["analyte"] == "NE")]
    assert len(mm) > 1  # the mixed model copes with the missing sample


def test_result_contract_and_pickle(experiment):
    import pickle

    from pdstudy.assays.contract import HEADLINE_COLUMNS, AssayResult

    _, _, result = experiment
    assert isinstance(result, AssayResult) and result.kind == "microdialysis"
    assert list(result.tables)[0] == "samples"
    assert tuple(result.headline_rows().columns) == HEADLINE_COLUMNS
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(again.samples, result.samples)
    assert "NE" in result.summary()


# --- flags: kept, never dropped ---------------------------------------------------------------


def _copy(experiment, tmp_path):
    d, _, _ = experiment
    shutil.copytree(d, tmp_path / "exp")
    return tmp_path / "exp"


def test_missing_file_is_flagged_and_the_batch_goes_on(experiment, tmp_path):
    d = _copy(experiment, tmp_path)
    seq = pd.read_csv(d / "sequence.csv", dtype=str, keep_default_na=False)
    victim = seq.index[seq["kind"] == "sample"][2]
    (d / seq.loc[victim, "file"]).unlink()
    result = analyze_dialysis(read_sequence(d / "sequence.csv"), read_method(d / "method.toml"))
    bad = result.samples[result.samples["file"] == seq.loc[victim, "file"]]
    assert (bad["flags"] == "unreadable").all() and bad["conc_nM"].isna().all()
    reason = result.qc[result.qc["file"] == seq.loc[victim, "file"]]["reason"].iloc[0]
    assert f"row {victim + 2}" in reason and "no such file" in reason
    assert result.samples["conc_nM"].notna().sum() == len(result.samples) - 3


def test_unstable_baseline_flags_the_animal_everywhere(experiment, tmp_path):
    d = _copy(experiment, tmp_path)
    seq = pd.read_csv(d / "sequence.csv", dtype=str, keep_default_na=False)
    # make the last pre-dose sample of veh1 a drug animal's post-dose sample (much higher)
    t = pd.to_numeric(seq["time_min"], errors="coerce")
    pre = seq.index[(seq["animal"] == "veh1") & (t < 0)][-1:]
    high = seq.index[(seq["animal"] == "dru1") & (t == 40)]
    seq.loc[pre[0], "file"] = seq.loc[high[0], "file"]
    seq.to_csv(d / "sequence.csv", index=False)
    result = analyze_dialysis(read_sequence(d / "sequence.csv"), read_method(d / "method.toml"))
    pct = result.percent_baseline[result.percent_baseline["analyte"] == "NE"]
    veh1 = pct[pct["animal"] == "veh1"]
    assert veh1["flags"].str.contains("unstable_baseline").all()  # every sample, none dropped
    assert len(veh1) == 13
    auc = result.auc[result.auc["analyte"] == "NE"].set_index("animal")
    assert "unstable_baseline" in auc.loc["veh1", "flags"]
    assert not pct[pct["animal"] != "veh1"]["flags"].str.contains("unstable").any()
    samples = result.samples[
        (result.samples["animal"] == "veh1") & (result.samples["analyte"] == "NE")
    ]
    assert samples["flags"].str.contains("unstable_baseline").all()


def test_standard_missing_an_analyte_is_flagged(experiment, tmp_path):
    d = _copy(experiment, tmp_path)
    seq = pd.read_csv(d / "sequence.csv", dtype=str, keep_default_na=False)
    seq.loc[0, "DA_nM"] = ""
    seq.to_csv(d / "sequence.csv", index=False)
    result = analyze_dialysis(read_sequence(d / "sequence.csv"), read_method(d / "method.toml"))
    row = result.samples[
        (result.samples["file"] == seq.loc[0, "file"]) & (result.samples["analyte"] == "DA")
    ]
    assert row["flags"].iloc[0] == "standard_without_level"
    assert result.calibration.set_index("analyte").loc["DA", "n"] == 6  # the other standards


def test_below_loq_is_flagged_and_kept():
    pytest.importorskip("scipy")
    from pdstudy.chromatography import fit_calibration

    cal = fit_calibration([1, 2, 5, 10], [1.1, 1.9, 5.2, 9.8])
    assert cal.loq > 0


# --- bad sequence and method files ------------------------------------------------------------


def test_sequence_errors_name_row_and_column(tmp_path):
    path = tmp_path / "seq.csv"
    path.write_text("file,kind,NE_nM\na.csv,standard,1\nb.csv,smaple,\n")
    with pytest.raises(InputFileError, match=r"seq\.csv, row 3, column 'kind'"):
        read_sequence(path)
    path.write_text("file,kind,NE_nM\na.csv,standard,one\n")
    with pytest.raises(InputFileError, match=r"row 2, column 'NE_nM'"):
        read_sequence(path)
    path.write_text("file,kind,NE_pg\na.csv,standard,1\n")
    with pytest.raises(InputFileError, match=r"column 'NE_pg'"):
        read_sequence(path)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[analytes.NE]\nrt = "3 min"\ntolerance = "15 s"\ncolour = "red"\n', "analytes.NE.colour"),
        ('[analytes.NE]\nrt = "3 parsecs"\n', "analytes.NE.rt"),
        ('[analytes.NE]\nrt = "3 min"\n[sampling]\nflow = "1.5 uL"\n', "sampling.flow"),
        ('[analytes.NE]\nrt = "3 min"\n[processing]\nsmoothing = 3\n', "processing.smoothing"),
        ('[analyte.NE]\nrt = "3 min"\n', "analyte"),
    ],
)
def test_method_errors_name_the_key(tmp_path, text, where):
    path = tmp_path / "method.toml"
    path.write_text(text)
    with pytest.raises(InputFileError, match=re.escape(f"key '{where}'")):
        read_method(path)


def test_method_values_in_base_units(experiment):
    d, _, _ = experiment
    m = read_method(d / "method.toml")
    assert m.analytes["NE"][0] == pytest.approx(190.0, abs=0.1)
    assert m.analytes["NE"][1] == pytest.approx(20.0)
    assert m.flow_L_per_s == pytest.approx(1.5e-6 / 60)
    assert m.interval_s == pytest.approx(1200.0)
    assert m.processing["start"] == pytest.approx(60.0)


def test_volume_and_amount(experiment):
    _, _, result = experiment
    assert result.settings["sample_volume_uL"] == pytest.approx(30.0)
    s = result.samples.dropna(subset=["conc_nM"])
    np.testing.assert_allclose(s["amount_fmol"], s["conc_nM"] * 30.0)
    assert math.isfinite(result.auc["auc_pct_min"].iloc[0])


def test_progress_reported_over_the_batch(experiment, tmp_path):
    from pdstudy.assays.microdialysis import analysis

    d, _, _ = experiment
    seq = pd.read_csv(d / "sequence.csv").head(5)
    work = tmp_path / "small"
    shutil.copytree(d, work)
    seq.to_csv(work / "sequence.csv", index=False)
    calls: list[tuple[int, int]] = []
    with analysis.reporting_progress(lambda done, n: calls.append((done, n))):
        analyze_dialysis(read_sequence(work / "sequence.csv"), read_method(work / "method.toml"))
    assert calls == [(k, 5) for k in range(6)]
    analyze_dialysis(read_sequence(work / "sequence.csv"), read_method(work / "method.toml"))
    assert len(calls) == 6  # outside the block nothing is reported


def test_chromatogram_figures_are_named_by_the_file_not_its_whole_path():
    from types import SimpleNamespace

    from pdstudy.report.sections import SectionInfo
    from pdstudy.report.sections.microdialysis import MAX_STEM, figures

    deep = "/" + "/".join(["a_very_long_folder_name_of_a_lab_share"] * 8)
    traces = {f"{deep}/rat1/b01.cdf": None, f"{deep}/rat2/b01.cdf": None}
    result = SimpleNamespace(calibration=pd.DataFrame({"analyte": []}), traces=traces)
    info = SectionInfo(kind="microdialysis", index=1, name="PFC", key="microdialysis[1]",
                       slug="microdialysis1_pfc", values={}, study_dir=Path("."), elapsed_s=0.0)  # fmt: skip
    names = [spec.stem for spec in figures(result, info)]
    assert names == ["microdialysis1_pfc_chromatogram1_b01", "microdialysis1_pfc_chromatogram2_b01"]
    assert all(len(n) < len(info.slug) + 20 + MAX_STEM for n in names)
