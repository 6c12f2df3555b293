"""Synthetic HPLC-ED chromatograms with known peak areas (the ground truth of tests).

A trace is a sum of exponentially modified Gaussian peaks (tailing, as
electrochemical detection of catecholamines gives), plus

- a solvent front: the unretained injection disturbance, a sharp positive and
  negative swing in the first minute;
- drift: a slow linear and curved change of the background current;
- noise: white Gaussian noise of standard deviation ``noise_sd``.

Every random draw takes ``seed`` (a number or a :class:`numpy.random.Generator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.chromatography.shapes import emg
from pdstudy.io.chromatograms import write_chromatogram

__all__ = [
    "ANALYTES",
    "DialysisDesign",
    "SimPeak",
    "effect_fraction",
    "simulate_dialysis_experiment",
    "simulate_trace",
]


@dataclass(frozen=True)
class SimPeak:
    """One peak: its true area (signal x s), centre, Gaussian width and tail (s)."""

    area: float
    mu_s: float
    sigma_s: float = 2.5
    tau_s: float = 1.5
    name: str = ""


def simulate_trace(
    peaks: Sequence[SimPeak],
    *,
    duration_s: float = 900.0,
    rate_hz: float = 10.0,
    noise_sd: float = 0.002,
    drift: float = 0.05,
    curvature: float = 0.02,
    offset: float = 1.0,
    solvent_front: float = 2.0,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and signal (nA) of one run; the true areas are the peaks' ``area``.

    ``drift`` is the background's linear change over the run, ``curvature``
    its quadratic part, ``solvent_front`` the height of the front at ~25 s.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = int(round(duration_s * rate_hz))
    t = np.arange(n) / rate_hz
    u = t / duration_s
    y = offset + drift * u + curvature * (2 * u - 1) ** 2
    if solvent_front:
        y += solvent_front * (
            np.exp(-0.5 * ((t - 25.0) / 4.0) ** 2) - 0.6 * np.exp(-0.5 * ((t - 38.0) / 6.0) ** 2)
        )
    for p in peaks:
        y += emg(t, p.area, p.mu_s, p.sigma_s, p.tau_s)
    if noise_sd:
        y += rng.normal(0.0, noise_sd, n)
    return t, y


# --- a whole microdialysis experiment --------------------------------------------------------

#: analyte -> (retention time s, basal dialysate nM, area per nM (nA s), drug effect as % rise at
#: the peak). Basal NE ~0.3-1 nM in rat PFC dialysate (../shared reference table: approximate);
#: NET inhibitors raise PFC NE ~2.5-3-fold acutely (atomoxetine 3 mg/kg ~3-fold, Bymaster et al.
#: 2002 Neuropsychopharmacology 27:699) and PFC DA, which NET clears there, less; 5-HT barely.
#: Retention times and response factors are illustrative.
ANALYTES: dict[str, tuple[float, float, float, float]] = {
    "NE": (190.0, 0.5, 0.2, 150.0),
    "DA": (330.0, 0.3, 0.25, 60.0),
    "5-HT": (560.0, 0.4, 0.15, 15.0),
}

#: the time course of the drug effect (min): rise and decay time constants
ONSET_MIN, DECAY_MIN = 15.0, 90.0


def effect_fraction(t_min: np.ndarray) -> np.ndarray:
    """The drug effect over time after the dose, 0 before, 1 at its peak (Bateman shape)."""
    t = np.asarray(t_min, dtype=float)
    ka, kd = 1 / ONSET_MIN, 1 / DECAY_MIN
    tmax = np.log(ka / kd) / (ka - kd)
    peak = np.exp(-kd * tmax) - np.exp(-ka * tmax)
    out = (np.exp(-kd * t) - np.exp(-ka * t)) / peak
    return np.where(t > 0, out, 0.0)


@dataclass(frozen=True)
class DialysisDesign:
    """The simulated experiment's design (times in minutes)."""

    groups: tuple[str, ...] = ("vehicle", "drug")
    animals_per_group: int = 4
    pre_samples: int = 4
    post_samples: int = 9
    interval_min: float = 20.0
    flow_uL_per_min: float = 1.5
    standards_nM: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    between_animal_cv: float = 0.25
    sample_cv: float = 0.06
    retention_drift: float = 0.015  # relative, from the first to the last injection
    noise_sd: float = 0.0005
    andi_every: int = 5  # every n-th file is written as ANDI netCDF


def simulate_dialysis_experiment(
    out_dir: str | Path,
    *,
    design: DialysisDesign | None = None,
    effect_scale: dict[str, float] | None = None,
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Write a microdialysis experiment: chromatograms, ``sequence.csv`` and ``method.toml``.

    Animals of each group get their own basal levels (log-normal, ``between_animal_cv``);
    the drug group's levels rise by each analyte's effect (:data:`ANALYTES`) times
    :func:`effect_fraction`; every sample varies by ``sample_cv``. Standards (a mixture
    of the analytes at ``standards_nM``) open and close the batch. Returns the truth:
    one row per injection and analyte with ``file``, ``kind``, ``animal``, ``group``,
    ``time_s``, ``analyte``, ``true_conc_nM`` and ``true_area``.
    """
    d = design or DialysisDesign()
    scale = {"vehicle": 0.0, **{g: 1.0 for g in d.groups if g != "vehicle"}, **(effect_scale or {})}
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = Path(out_dir)
    (out / "chromatograms").mkdir(parents=True, exist_ok=True)
    injections: list[dict[str, Any]] = []
    for std_nM in d.standards_nM:
        injections.append({"kind": "standard", "conc": {a: std_nM for a in ANALYTES}})
    times = [
        (-d.pre_samples + i + 1) * d.interval_min - d.interval_min for i in range(d.pre_samples)
    ]
    times += [(i + 1) * d.interval_min for i in range(d.post_samples)]
    for group in d.groups:
        for k in range(d.animals_per_group):
            animal = f"{group[:3]}{k + 1}"
            basal = {
                a: v[1] * float(np.exp(rng.normal(0, d.between_animal_cv)))
                for a, v in ANALYTES.items()
            }
            for s, t_min in enumerate(times, start=1):
                level: dict[str, float] = {}
                for a, v in ANALYTES.items():
                    rise = 1 + scale.get(group, 0.0) * v[3] / 100 * float(
                        effect_fraction(np.array([t_min]))[0]
                    )
                    level[a] = basal[a] * rise * float(np.exp(rng.normal(0, d.sample_cv)))
                injections.append(
                    {
                        "kind": "sample",
                        "animal": animal,
                        "group": group,
                        "sample": s,
                        "time_min": t_min,
                        "conc": level,
                    }
                )
    for std_nM in (d.standards_nM[1], d.standards_nM[-2]):
        injections.append({"kind": "standard", "conc": {a: std_nM for a in ANALYTES}})
    n = len(injections)
    rows = []
    truth = []
    for i, inj in enumerate(injections):
        stretch = 1 + d.retention_drift * i / max(n - 1, 1)
        conc: dict[str, float] = inj["conc"]
        peaks = [
            SimPeak(ANALYTES[a][2] * c, ANALYTES[a][0] * stretch, 2.5, 1.5, a)
            for a, c in conc.items()
        ]
        # an unknown electroactive compound 28 s after DA (resolved, Rs ~ 2.3)
        peaks.append(
            SimPeak(
                0.03 * float(rng.uniform(0.5, 1.5)),
                (ANALYTES["DA"][0] + 28) * stretch,
                2.5,
                1.5,
                "x",
            )
        )
        t, y = simulate_trace(peaks, duration_s=700.0, noise_sd=d.noise_sd, seed=rng)
        fmt = "andi" if (i + 1) % d.andi_every == 0 else "two_column"
        name = f"chromatograms/inj{i + 1:03d}.{'cdf' if fmt == 'andi' else 'csv'}"
        write_chromatogram(t, y, out / name, format=fmt)
        row = {
            "file": name,
            "kind": inj["kind"],
            "animal": inj.get("animal", ""),
            "group": inj.get("group", ""),
            "sample": inj.get("sample", ""),
            "time_min": inj.get("time_min", ""),
        }
        for a in ANALYTES:
            row[f"{a}_nM"] = conc[a] if inj["kind"] == "standard" else ""
        rows.append(row)
        for p in peaks[:-1]:
            truth.append(
                {
                    "file": name,
                    "kind": inj["kind"],
                    "animal": row["animal"],
                    "group": row["group"],
                    "time_s": float(inj["time_min"]) * 60 if inj["kind"] == "sample" else np.nan,
                    "analyte": p.name,
                    "true_conc_nM": conc[p.name],
                    "true_area": p.area,
                }
            )
    pd.DataFrame(rows).to_csv(out / "sequence.csv", index=False)
    lines = [f"# simulated HPLC-ED method ({len(ANALYTES)} analytes)", ""]
    for a, v in ANALYTES.items():
        lines += [f'[analytes."{a}"]', f'rt = "{v[0] / 60:.3f} min"', 'tolerance = "20 s"', ""]
    lines += [
        "[sampling]",
        f'flow = "{d.flow_uL_per_min:g} uL/min"',
        f'interval = "{d.interval_min:g} min"',
        "",
    ]
    lines += ["[processing]", 'start = "1 min"', 'peak_width = "12 s"', ""]
    (out / "method.toml").write_text("\n".join(lines), encoding="utf-8")
    return pd.DataFrame(truth)
