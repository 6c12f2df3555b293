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

import numpy as np

from pdstudy.chromatography.shapes import emg

__all__ = ["SimPeak", "simulate_trace"]


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
