"""The embedded example: a simulated norclomipramine study, written as a lab would have it.

:func:`write_example_study` writes a folder with a study file and raw data in
real instrument formats, simulated from known parameters
(:mod:`pdstudy.simulate`, defaults and their sources in
:mod:`pdstudy.simulate.defaults`):

- ``binding/``: [3H]-nisoxetine competition at NET (norclomipramine Ki 0.5 nM,
  [L] 1 nM, Kd 0.8 nM), three independent experiments exported by a MicroBeta2,
  a TopCount and a Hidex counter; SERT competition with [3H]-citalopram
  (Ki 31.6 nM), two experiments as long and grid CSV;
- ``saturation/``: a [3H]-nisoxetine saturation plate (Kd 0.8 nM, Bmax 2000 fmol/mg);
- ``uptake/``: two [3H]-norepinephrine uptake-inhibition plates of rat cortical
  synaptosomes (Ki 0.5 nM, [S] 15 nM, Km 0.3 µM), and a substrate-saturation
  (kinetics) plate (Km 0.3 µM, Vmax 2 pmol/mg/min, isotope dilution above 20 nM);
- ``protein/``: a BCA plate measuring the membrane and synaptosome preparations;
- ``microdialysis/``: HPLC-ED chromatograms (CSV and ANDI netCDF) of rat PFC
  dialysate, 3 vehicle and 3 drug rats, 4 baseline and 9 post-dose 20-min
  samples, NE rising 2.5-fold at its peak; standards, ``sequence.csv`` and
  ``method.toml``;
- ``behavior/``: forced swim and tail suspension tests of 24 mice (vehicle, 10
  and 20 mg/kg; immobile fraction 0.65, 0.50, 0.35 once despair has set in),
  allocated over two test days by the study's ``[design]`` and scored under
  their codes: hand-scored bouts, except the first TST session of day 2, filmed
  (``videos/``: four mice in boxes side by side, 480 x 120 px, 15 frames/s, 6
  min; ``tst_rois.toml``; ``tst_calibration.json``) and scored from the video;
  the coded animals file, and the unblinding key in ``design/key/``;
- ``study.toml``: the study file tying them together, and ``TRUTH.json``: the
  parameters the data were simulated from (what the analysis should recover).

Run it with ``pdstudy run study.toml --out OUT`` (``pdstudy demo`` does both).
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from pdstudy.simulate.chromatograms import DialysisDesign, simulate_dialysis_experiment

__all__ = ["EXAMPLE_TRUTH", "write_example_study"]

#: the simulated truth of the example (molar, seconds), also written to TRUTH.json
EXAMPLE_TRUTH: dict[str, Any] = {
    "compound": "norclomipramine",
    "net_ki_M": 0.5e-9,
    "net_radioligand": "[3H]nisoxetine",
    "net_radioligand_M": 1e-9,
    "net_kd_M": 0.8e-9,
    "sert_ki_M": 31.6e-9,
    "sert_radioligand": "[3H]citalopram",
    "sert_radioligand_M": 1e-9,
    "sert_kd_M": 1e-9,
    "saturation_kd_M": 0.8e-9,
    "saturation_bmax_fmol_per_mg": 2000.0,
    "net_bmax_cpm": 1000.0,
    "membrane_protein_ug_per_mL": 40.0,
    "membrane_suspension_uL": 100.0,
    "uptake_ki_M": 0.5e-9,
    "uptake_substrate_M": 15e-9,
    "uptake_km_M": 0.3e-6,
    "kinetics_km_M": 0.3e-6,
    "kinetics_vmax_pmol_per_mg_per_min": 2.0,
    "kinetics_hot_substrate_M": 20e-9,
    "synaptosome_protein_ug_per_mL": 1000.0,
    "synaptosome_suspension_uL": 100.0,
    "behavior_immobile_fraction": {"vehicle": 0.65, "10 mg/kg": 0.50, "20 mg/kg": 0.35},
}


def truth_checks(t: dict[str, Any]) -> list[dict[str, Any]]:
    """Where the analysis of the example reports each simulated quantity (``[study] truth``)."""

    def check(
        quantity: str,
        section: str,
        table: str,
        where: dict[str, str],
        column: str,
        ci: list[str],
        true: float,
        unit: str,
    ) -> dict[str, Any]:
        return {
            "quantity": quantity,
            "section": section,
            "table": table,
            "where": where,
            "column": column,
            "ci": ci,
            "true": true,
            "unit": unit,
        }

    ki = ["ki_ci_low_M", "ki_ci_high_M"]
    total_nsb = {"method": "total_nsb"}
    return [
        check(
            "NET Ki (binding, geometric mean)",
            "binding[1]",
            "aggregate",
            {"target": "NET"},
            "ki_geomean_M",
            ki,
            t["net_ki_M"],
            "M",
        ),
        check(
            "SERT Ki (binding, geometric mean)",
            "binding[2]",
            "aggregate",
            {"target": "SERT"},
            "ki_geomean_M",
            ki,
            t["sert_ki_M"],
            "M",
        ),
        check(
            "NET Kd (saturation)",
            "saturation[1]",
            "params",
            total_nsb,
            "kd_M",
            ["kd_ci_low_M", "kd_ci_high_M"],
            t["saturation_kd_M"],
            "M",
        ),
        check(
            "NET Bmax (saturation)",
            "saturation[1]",
            "params",
            total_nsb,
            "bmax_fmol_per_mg",
            ["bmax_ci_low_fmol_per_mg", "bmax_ci_high_fmol_per_mg"],
            t["saturation_bmax_fmol_per_mg"],
            "fmol/mg",
        ),
        check(
            "NET Ki (uptake, geometric mean)",
            "uptake[1]",
            "aggregate",
            {"target": "NET"},
            "ki_geomean_M",
            ki,
            t["uptake_ki_M"],
            "M",
        ),
        check(
            "Km of NE uptake (kinetics)",
            "uptake[2]",
            "curves",
            {},
            "km_M",
            ["km_ci_low_M", "km_ci_high_M"],
            t["kinetics_km_M"],
            "M",
        ),
        check(
            "Vmax of NE uptake (kinetics)",
            "uptake[2]",
            "curves",
            {},
            "vmax_pmol_per_mg_per_min",
            ["vmax_ci_low", "vmax_ci_high"],
            t["kinetics_vmax_pmol_per_mg_per_min"],
            "pmol/mg/min",
        ),
        check(
            "membrane protein",
            "protein[1]",
            "samples",
            {"sample": "NET membranes"},
            "protein_mg_per_mL",
            ["ci_low_mg_per_mL", "ci_high_mg_per_mL"],
            t["membrane_protein_ug_per_mL"] / 1000,
            "mg/mL",
        ),
        check(
            "synaptosome protein",
            "protein[1]",
            "samples",
            {"sample": "synaptosomes"},
            "protein_mg_per_mL",
            ["ci_low_mg_per_mL", "ci_high_mg_per_mL"],
            t["synaptosome_protein_ug_per_mL"] / 1000,
            "mg/mL",
        ),
    ]


def video_checks(filmed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The true TST immobility of each filmed mouse beside its score from the video."""
    return [
        {
            "quantity": f"TST immobility of {f['animal']} ({f['video']}, {f['roi']})",
            "section": "tst[1]",
            "table": "animals",
            "where": {"animal": f["animal"], "video": f["video"]},
            "column": "immobility_s",
            "ci": [],
            "true": f["immobility_s"],
            "unit": "s",
        }
        for f in filmed
    ]


#: the behavioural groups of the example's [design]: treatment, dose, route, pre-treatment (min)
EXAMPLE_GROUPS = {
    "vehicle": {
        "treatment": "saline",
        "dose": "0 mg/kg",
        "route": "i.p.",
        "pretreatment_min": 30.0,
    },
    "10 mg/kg": {
        "treatment": "norclomipramine",
        "dose": "10 mg/kg",
        "route": "i.p.",
        "pretreatment_min": 30.0,
    },
    "20 mg/kg": {
        "treatment": "norclomipramine",
        "dose": "20 mg/kg",
        "route": "i.p.",
        "pretreatment_min": 30.0,
    },
}


#: the example's TST camera: four boxes side by side (120 x 120 px each), 15 frames/s,
#: H.264; the sensor noise repeats every 32 frames (faster to render, same statistics)
TST_CAMERA: dict[str, Any] = {
    "width": 480,
    "height": 120,
    "fps": 15.0,
    "crf": 23,
    "noise_frames": 32,
}
#: mice suspended at once, one box (region of interest) each
TST_BOXES = 4
#: the TST session filmed: the first of test day 2 (the other sessions were scored live)
TST_FILMED_DAY = 2
TST_FILMED_SESSIONS = 1

#: the TST calibration of the example: what ``pdstudy behavior calibrate --scale 1`` fits
#: on three separately simulated, human-scored 4-box sessions of the same camera
#: (:func:`write_calibration_clips`; tests/test_examples_videos.py fits it again)
TST_CALIBRATION: dict[str, Any] = {
    "threshold": 0.01517013073704331,
    "high_threshold": 0.017814767882625378,
    "min_bout_s": 1.0,
    "smooth_s": 0.25,
    "cutoff": None,
    "scale": 1,
    "window_s": [0.0, 360.0],
    "agreement": {
        "n": 12,
        "pearson_r": 0.9996549499234163,
        "bias_s": 0.865833333333408,
        "loa_low_s": -1.6421096776505877,
        "loa_high_s": 3.3737763443174034,
        "mean_abs_error_s": 1.183611111111129,
        "warnings": [],
    },
    "vigorous_agreement": {
        "n": 12,
        "pearson_r": 0.9763003505773131,
        "bias_s": 3.7220555555553507,
        "loa_low_s": -9.111159259992927,
        "loa_high_s": 16.555270371103628,
        "mean_abs_error_s": 6.590722222222175,
        "warnings": [],
    },
}


def _tst_session(
    path: Path, codes: list[str], fractions: list[float], seed: int
) -> tuple[Any, dict[str, float]]:
    """One filmed TST session: the mice ``codes`` in boxes ``box1``... of one video."""
    from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video

    boxes = [f"box{k + 1}" for k in range(len(codes))]
    sim = simulate_behavior_video(
        path,
        test="tst",
        duration_s=360.0,
        animals=boxes,
        models=[BehaviorModel(immobile_fraction=f) for f in fractions],
        seed=seed,
        **TST_CAMERA,
    )
    return sim, sim.immobility_s(0.0, 360.0)


#: the calibration clips' immobile fractions (one session of four boxes each): a wide range
CALIBRATION_FRACTIONS = ((0.25, 0.7, 0.45, 0.8), (0.55, 0.3, 0.65, 0.4), (0.35, 0.6, 0.75, 0.5))


def write_calibration_clips(directory: str | PathLike[str], seed: int = 20261201) -> list[Path]:
    """Human-scored TST sessions filmed with the example's camera, to calibrate its threshold.

    Writes ``cal1.mp4``... (four mice each, :data:`TST_CAMERA`), ``rois.toml`` and
    ``human.csv`` (the bouts a human scored, with their ``video``: here the simulated
    truth) into ``directory``; :data:`TST_CALIBRATION` is what
    ``pdstudy behavior calibrate cal1.mp4 cal2.mp4 cal3.mp4 --human human.csv --test tst
    --rois rois.toml --scale 1 --out calibration.json`` fits on them. Returns the videos.
    """
    import pandas as pd

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(seed).generate_state(len(CALIBRATION_FRACTIONS))
    paths, bouts = [], []
    for k, fractions in enumerate(CALIBRATION_FRACTIONS):
        path = root / f"cal{k + 1}.mp4"
        sim, _ = _tst_session(path, [""] * len(fractions), list(fractions), int(seeds[k]))
        bouts.append(sim.bouts.assign(video=path.name))
        paths.append(path)
    _write_rois(sim.rois, root / "rois.toml")
    human = pd.concat(bouts, ignore_index=True)
    human[["video", "animal", "behavior", "start_s", "stop_s"]].round(3).to_csv(
        root / "human.csv", index=False
    )
    return paths


def _write_rois(rois: Any, path: Path) -> None:
    lines = []
    for r in rois:
        (x0, y0), _, (x1, y1), _ = r.vertices
        lines.append(
            f'[[roi]]\nanimal = "{r.animal}"\nrect = [{x0:g}, {y0:g}, {x1 - x0:g}, {y1 - y0:g}]\n'
        )
    path.write_text("\n".join(lines), encoding="utf-8")


def _write_behavior(
    folder: Path, seed: int, design_seed: int, videos: bool = True
) -> list[dict[str, Any]]:
    """FST and TST of 8 mice per group, allocated as the study's [design] says.

    The mice are allocated over two test days with the design's seed
    (:func:`pdstudy.design.allocation.allocate_design`, what ``pdstudy design``
    does), scored under their codes; ``animals.csv`` is the coded list (code,
    group code) and ``../design/key/unblinding_key.csv`` the key. The FST is
    scored by hand (bouts). With ``videos``, the first TST session of test day 2
    (four mice in boxes side by side) was filmed (``videos/``, regions in
    ``tst_rois.toml``; ``animals.csv`` gives each filmed mouse's video and box)
    and the other TST sessions scored by hand; without, every TST is scored by hand.

    Returns the filmed mice: animal, group, video, roi and their true TST
    immobility (s, 0-360 s).
    """
    import pandas as pd

    from pdstudy.design.allocation import allocate_design, generate_animals, unblinding_key
    from pdstudy.simulate.videos import BehaviorModel, simulate_session

    folder.mkdir(parents=True, exist_ok=True)
    groups = list(EXAMPLE_GROUPS)
    alloc = allocate_design(
        generate_animals(8 * len(groups), factor="day", levels=2),
        groups,
        blocking=["day"],
        seed=design_seed,
    )
    rng = np.random.default_rng(seed)
    logs: dict[str, list[pd.DataFrame]] = {"fst": [], "tst": []}
    for code, group in zip(alloc["code"], alloc["group"], strict=True):
        frac = EXAMPLE_TRUTH["behavior_immobile_fraction"][group]
        for test in ("fst", "tst"):
            b = simulate_session(BehaviorModel(immobile_fraction=frac), 360.0, rng)
            b.insert(0, "animal", code)
            logs[test].append(b)
    coded = alloc[["code", "group_code", "animal", "day", "order"]].rename(
        columns={"code": "animal", "group_code": "group", "animal": "tag"}
    )
    filmed: list[dict[str, Any]] = []
    if videos:
        day = alloc[alloc["day"].astype(str) == str(TST_FILMED_DAY)].sort_values("order")
        session_seeds = np.random.SeedSequence([seed, 17]).generate_state(len(day))
        coded["video"] = ""
        coded["roi"] = ""
        for k in range(0, TST_FILMED_SESSIONS * TST_BOXES, TST_BOXES):
            chunk = day.iloc[k : k + TST_BOXES]
            name = f"tst_day{TST_FILMED_DAY}_session{k // TST_BOXES + 1}.mp4"
            codes = [str(c) for c in chunk["code"]]
            fractions = [EXAMPLE_TRUTH["behavior_immobile_fraction"][g] for g in chunk["group"]]
            sim, truth = _tst_session(
                folder / "videos" / name, codes, fractions, int(session_seeds[k // TST_BOXES])
            )
            if k == 0:
                _write_rois(sim.rois, folder / "tst_rois.toml")
            for box, (code, group) in enumerate(zip(codes, chunk["group"], strict=True)):
                roi = f"box{box + 1}"
                coded.loc[coded["animal"] == code, ["video", "roi"]] = [name, roi]
                filmed.append(
                    {
                        "animal": code,
                        "group": str(group),
                        "video": name,
                        "roi": roi,
                        "immobility_s": round(truth[roi], 3),
                    }
                )
        on_video = {f["animal"] for f in filmed}
        logs["tst"] = [b for b in logs["tst"] if str(b["animal"].iloc[0]) not in on_video]
    coded.to_csv(folder / "animals.csv", index=False)
    key_dir = folder.parent / "design" / "key"
    key_dir.mkdir(parents=True, exist_ok=True)
    unblinding_key(alloc, EXAMPLE_GROUPS, ["day"]).to_csv(
        key_dir / "unblinding_key.csv", index=False
    )
    for test, parts in logs.items():
        pd.concat(parts, ignore_index=True).round(3).to_csv(
            folder / f"{test}_bouts.csv", index=False
        )
    if videos:
        (folder / "tst_calibration.json").write_text(
            json.dumps(TST_CALIBRATION, indent=2), encoding="utf-8"
        )
    return filmed


_STUDY_TOML = """\
# Example study written by pdstudy.examples.write_example_study (seed {seed}).
# Every raw file here is simulated; TRUTH.json holds the parameters they came from.
# Paths are relative to this file. Run:  pdstudy run study.toml --out results

[study]
name = "Norclomipramine at the noradrenaline transporter (simulated example)"
compound = "norclomipramine"
profile = "norclomipramine"          # shipped profile; or a CSV/TOML file
reference_target = "NET"
occupancy_threshold = 0.5
seed = {seed}
truth = "TRUTH.json"                  # simulated: the report shows true vs recovered values
description = "NET and SERT binding, NET saturation, synaptosomal uptake, PFC microdialysis, forced swim and tail suspension tests; simulated data"

[study.exposure]
plasma_conc = "200 ng/mL"            # total plasma norclomipramine (illustrative)
fu = 0.02                             # 98 % bound (Anafranil label)

[[binding]]
name = "NET competition"
target = "NET"
plates = [
    "binding/net_exp1_microbeta.txt",
    "binding/net_exp2_topcount.txt",
    "binding/net_exp3_hidex.csv",
]
layout = "binding/net_layout.toml"
radioligand = "[3H]nisoxetine"
radioligand_conc = "1 nM"
kd = "0.8 nM"                         # Tejani-Butt 1992
specific_activity = "80 Ci/mmol"
volume = "200 µL"
incubation = "60 min"                 # procedure keys: written into the Methods text
temperature = "room temperature"
filters = "glass-fibre filters on a cell harvester"
wash = "3 x ice-cold assay buffer"
replicates = 3
exclude = [                           # left out, with the reason (docs/exclusions.md)
    {{ plate = "net_exp1_microbeta", well = "B7", reason = "pipetting error: the tip touched the filter (notebook p. 42)" }},
]

[[binding]]
name = "SERT competition"
target = "SERT"
plates = ["binding/sert_exp*.csv"]
layout = "binding/sert_layout.toml"
radioligand = "[3H]citalopram"
radioligand_conc = "1 nM"
kd = "1 nM"                           # illustrative
efficiency = 0.45

[[saturation]]
name = "NET saturation"
target = "NET"
plates = ["saturation/net_saturation_microbeta.txt"]
layout = "saturation/net_saturation_layout.toml"
radioligand = "[3H]nisoxetine"
specific_activity = "80 Ci/mmol"
volume = "200 µL"
protein_plate = "protein/bca_plate.csv"
protein_layout = "protein/bca_layout.toml"
protein_sample = "NET membranes"
suspension_volume = "100 µL"

[[uptake]]
name = "NE uptake inhibition"
target = "NET"
plates = ["uptake/uptake_exp1_hidex.csv", "uptake/uptake_exp2_microbeta.txt"]
layout = "uptake/uptake_layout.toml"
substrate = "[3H]norepinephrine"
substrate_conc = "15 nM"
km = "0.3 µM"                         # Coyle & Axelrod 1971
specific_activity = "40 Ci/mmol"
incubation = "5 min"
temperature = "37 °C"
filters = "glass-fibre filters"
replicates = 3
protein_plate = "protein/bca_plate.csv"
protein_layout = "protein/bca_layout.toml"
protein_sample = "synaptosomes"
suspension_volume = "100 µL"

[[uptake]]
name = "NE uptake kinetics"
mode = "kinetics"
target = "NET"
plates = ["uptake/kinetics_topcount.txt"]
layout = "uptake/kinetics_layout.toml"
substrate = "[3H]norepinephrine"
hot_substrate_conc = "20 nM"          # higher [S] made with unlabelled NE
specific_activity = "40 Ci/mmol"
incubation = "5 min"
efficiency = 0.45                     # the TopCount file has CPM only
protein = "100 µg"

[[protein]]
name = "BCA protein assay"
plates = ["protein/bca_plate.csv"]
layout = "protein/bca_layout.toml"
method = "BCA"

[[microdialysis]]
name = "PFC microdialysis"
sequence = "microdialysis/sequence.csv"   # one row per injection: standards, then samples
method = "microdialysis/method.toml"      # NE, DA, 5-HT retention windows; 1.5 uL/min, 20 min
baseline_samples = 3

[[fst]]
name = "Forced swim test"
event_logs = ["behavior/fst_bouts.csv"]     # hand-scored bouts (BORIS-style CSV)
animals = "behavior/animals.csv"
control = "vehicle"

{tst}
[design]                              # the behavioural experiment, as planned (docs/design.md)
seed = {seed}
experimental_unit = "animal"
animals_description = "male mice (simulated example)"
sections = ["Forced swim test", "Tail suspension test"]
animals_per_group = 8
blocking = ["day"]                    # 2 test days, every group tested on each
blocks = 2
blinded = ["dosing", "testing", "scoring"]
sd = 25                               # s of immobility in the FST's 240-s window
effect_source = "illustrative: the simulation's immobile fractions 0.65 / 0.50 / 0.35"
key = "design/key/unblinding_key.csv" # written by pdstudy design; without it the run is blind
inclusion = "all animals allocated were tested; none was to be excluded"

[[design.groups]]
name = "vehicle"
expected = 156                      # s: the expected FST immobility (sample size)
treatment = "saline"
dose = "0 mg/kg"
pretreatment = "30 min"

[[design.groups]]
name = "10 mg/kg"
expected = 120                      # s: the expected FST immobility (sample size)
treatment = "norclomipramine"
dose = "10 mg/kg"
pretreatment = "30 min"

[[design.groups]]
name = "20 mg/kg"
expected = 84                      # s: the expected FST immobility (sample size)
treatment = "norclomipramine"
dose = "20 mg/kg"
pretreatment = "30 min"

[[design.primary]]
section = "Forced swim test"
outcome = "immobility_s"
test = "anova"

[pk]                                  # illustrative rat PK for the predicted microdialysis
dose = "5 mg/kg"
absorption_half_life = "10 min"
elimination_half_life = "2 h"
volume = "20 L/kg"
"""


_TST_HAND = """\
[[tst]]
name = "Tail suspension test"
event_logs = ["behavior/tst_bouts.csv"]
animals = "behavior/animals.csv"
control = "vehicle"
"""

_TST_FILMED = """\
[[tst]]
name = "Tail suspension test"
# the first session of test day 2 was filmed: four mice in boxes side by side, one
# region each; animals.csv gives each filmed mouse's video and box (columns video, roi)
videos = ["behavior/videos/tst_day2_session*.mp4"]
rois = "behavior/tst_rois.toml"
scale = 1                             # 120-px boxes: decode at full resolution
calibration = "behavior/tst_calibration.json"   # pdstudy behavior calibrate on human-scored clips
# the other sessions were scored live by a blinded observer (bouts); each mouse is scored once
event_logs = ["behavior/tst_bouts.csv"]
animals = "behavior/animals.csv"
control = "vehicle"
"""


def write_example_study(
    directory: str | PathLike[str], seed: int = 20261128, *, videos: bool = True
) -> Path:
    """Write the example study (study file + simulated raw files) into ``directory``.

    Parameters
    ----------
    directory
        Folder to write (created; files of the same names are replaced).
    seed
        Seed of every simulated draw: the same seed gives the same files.
    videos
        Film the first TST session of test day 2 (one 6-minute video of four mice
        side by side, scored by ``pdstudy run``; about 9 CPU seconds to render);
        False: every TST scored by hand, as the FST is.

    Returns
    -------
    pathlib.Path
        The study file, ``directory/study.toml``.
    """
    from pdstudy.design import (
        competition_layout,
        concentration_series,
        protein_layout,
        saturation_layout,
        saturation_series,
        uptake_layout,
    )
    from pdstudy.io import write_layout, write_plate
    from pdstudy.simulate import (
        simulate_competition,
        simulate_protein_plate,
        simulate_saturation,
        simulate_uptake,
        without_truth,
    )
    from pdstudy.simulate.plates import simulate_uptake_kinetics

    t = EXAMPLE_TRUTH
    root = Path(directory)
    for sub in ("binding", "saturation", "uptake", "protein"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(seed).generate_state(12)

    # NET competition: three independent experiments, three counters
    net_concs = concentration_series(
        t["net_ki_M"], radioligand_M=t["net_radioligand_M"], kd_M=t["net_kd_M"], n=12
    )
    net = competition_layout(
        list(net_concs),
        compound=t["compound"],
        replicates=3,
        target="NET",
        radioligand=t["net_radioligand"],
        radioligand_M=t["net_radioligand_M"],
    )
    write_layout(net, root / "binding" / "net_layout.toml")
    for k, (fmt, name) in enumerate(
        (
            ("microbeta", "net_exp1_microbeta.txt"),
            ("topcount", "net_exp2_topcount.txt"),
            ("hidex", "net_exp3_hidex.csv"),
        )
    ):
        # 1000 CPM of specific binding: < 10 % of the radioligand added is bound (no depletion)
        plate = simulate_competition(
            net,
            ki_M=t["net_ki_M"],
            kd_M=t["net_kd_M"],
            radioligand_M=t["net_radioligand_M"],
            bmax_cpm=t["net_bmax_cpm"],
            seed=int(seeds[k]),
        )
        write_plate(without_truth(plate), root / "binding" / name, fmt)

    # SERT competition: two experiments as generic CSV (long and grid), CPM only
    sert_concs = concentration_series(
        t["sert_ki_M"], radioligand_M=t["sert_radioligand_M"], kd_M=t["sert_kd_M"], n=10
    )
    sert = competition_layout(
        list(sert_concs),
        compound=t["compound"],
        replicates=3,
        target="SERT",
        radioligand=t["sert_radioligand"],
        radioligand_M=t["sert_radioligand_M"],
    )
    write_layout(sert, root / "binding" / "sert_layout.toml")
    for k, fmt in enumerate(("long_csv", "grid_csv")):
        plate = simulate_competition(
            sert,
            ki_M=t["sert_ki_M"],
            kd_M=t["sert_kd_M"],
            radioligand_M=t["sert_radioligand_M"],
            bmax_cpm=t["net_bmax_cpm"],
            seed=int(seeds[3 + k]),
        )
        write_plate(without_truth(plate), root / "binding" / f"sert_exp{k + 1}.csv", fmt)

    # BCA protein plate: the membrane and synaptosome preparations
    samples = {
        "NET membranes": t["membrane_protein_ug_per_mL"],
        "synaptosomes": t["synaptosome_protein_ug_per_mL"],
    }
    bca = protein_layout(list(samples))
    write_layout(bca, root / "protein" / "bca_layout.toml")
    plate = simulate_protein_plate(bca, samples_ug_per_mL=samples, seed=int(seeds[5]))
    write_plate(without_truth(plate), root / "protein" / "bca_plate.csv", "grid_csv")

    # NET saturation
    sat_concs = saturation_series(t["saturation_kd_M"], n=8, low_fold=0.1, high_fold=12.0)
    sat = saturation_layout(
        list(sat_concs), radioligand=t["net_radioligand"], replicates=3, target="NET"
    )
    write_layout(sat, root / "saturation" / "net_saturation_layout.toml")
    # 4 µg membrane protein per well: the receptor (8 fmol in 200 µL, 0.04 nM) stays well
    # below Kd, so < 10 % of the radioligand is bound even at the lowest concentration
    membrane_mg_per_well = t["membrane_protein_ug_per_mL"] * t["membrane_suspension_uL"] * 1e-6
    plate = simulate_saturation(
        sat,
        kd_M=t["saturation_kd_M"],
        bmax_fmol_per_mg=t["saturation_bmax_fmol_per_mg"],
        protein_mg_per_well=membrane_mg_per_well,
        seed=int(seeds[6]),
    )
    write_plate(
        without_truth(plate), root / "saturation" / "net_saturation_microbeta.txt", "microbeta"
    )

    # synaptosomal uptake: two experiments
    up_concs = concentration_series(
        t["uptake_ki_M"], radioligand_M=t["uptake_substrate_M"], kd_M=t["uptake_km_M"], n=10
    )
    up = uptake_layout(
        list(up_concs),
        compound=t["compound"],
        replicates=3,
        target="NET",
        substrate_M=t["uptake_substrate_M"],
    )
    write_layout(up, root / "uptake" / "uptake_layout.toml")
    synaptosome_mg_per_well = (
        t["synaptosome_protein_ug_per_mL"] * t["synaptosome_suspension_uL"] * 1e-6
    )
    for k, (fmt, name) in enumerate(
        (("hidex", "uptake_exp1_hidex.csv"), ("microbeta", "uptake_exp2_microbeta.txt"))
    ):
        plate = simulate_uptake(
            up,
            ki_M=t["uptake_ki_M"],
            substrate_M=t["uptake_substrate_M"],
            km_M=t["uptake_km_M"],
            protein_mg_per_well=synaptosome_mg_per_well,
            seed=int(seeds[7 + k]),
        )
        write_plate(without_truth(plate), root / "uptake" / name, fmt)

    # uptake kinetics: [S] from Km/10 to 10 Km, isotope dilution above 20 nM
    kin_concs = saturation_series(t["kinetics_km_M"], n=8, low_fold=0.1, high_fold=10.0)
    kin = saturation_layout(
        list(kin_concs), radioligand="[3H]norepinephrine", replicates=3, target="NET"
    )
    write_layout(kin, root / "uptake" / "kinetics_layout.toml")
    plate = simulate_uptake_kinetics(
        kin,
        km_M=t["kinetics_km_M"],
        vmax_pmol_per_mg_per_min=t["kinetics_vmax_pmol_per_mg_per_min"],
        protein_mg_per_well=synaptosome_mg_per_well,
        hot_substrate_M=t["kinetics_hot_substrate_M"],
        seed=int(seeds[10]),
    )
    write_plate(without_truth(plate), root / "uptake" / "kinetics_topcount.txt", "topcount")

    # microdialysis: vehicle and drug rats, HPLC-ED chromatograms (CSV and ANDI netCDF)
    dialysis_seed = int(np.random.SeedSequence([seed, 13]).generate_state(1)[0])
    simulate_dialysis_experiment(
        root / "microdialysis", design=DialysisDesign(animals_per_group=3), seed=dialysis_seed
    )
    filmed = _write_behavior(root / "behavior", int(seeds[11]), seed, videos=videos)

    truth = {"seed": seed, **t}
    checks = truth_checks(t)
    if filmed:
        truth["tst_filmed"] = filmed
        checks += video_checks(filmed)
    (root / "TRUTH.json").write_text(
        json.dumps({**truth, "checks": checks}, indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    study = root / "study.toml"
    study.write_text(
        _STUDY_TOML.format(seed=seed, tst=_TST_FILMED if filmed else _TST_HAND), encoding="utf-8"
    )
    return study
