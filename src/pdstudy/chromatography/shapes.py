"""Peak shapes: the exponentially modified Gaussian (EMG) of tailing HPLC peaks."""

from __future__ import annotations

import numpy as np
from scipy.special import erfc, erfcx

__all__ = ["emg", "emg_apex"]

_SQRT2 = np.sqrt(2.0)


def emg(t: np.ndarray, area: float, mu: float, sigma: float, tau: float) -> np.ndarray:
    """Exponentially modified Gaussian with total area ``area``.

    A Gaussian (centre ``mu``, width ``sigma``) convolved with an exponential
    decay of time constant ``tau`` (the tail), all in the units of ``t``.
    Evaluated in the form that neither overflows nor underflows:
    ``exp(-x^2/2s^2) erfcx(z) / 2 tau`` where ``z >= 0`` and
    ``exp(s^2/2tau^2 - x/tau) erfc(z) / 2 tau`` where ``z < 0``.
    """
    t = np.asarray(t, dtype=float)
    x = t - mu
    z = (sigma / tau - x / sigma) / _SQRT2
    out = np.empty_like(x)
    pos = z >= 0
    out[pos] = np.exp(-0.5 * (x[pos] / sigma) ** 2) * erfcx(z[pos])
    neg = ~pos
    out[neg] = np.exp(0.5 * (sigma / tau) ** 2 - x[neg] / tau) * erfc(z[neg])
    return area * out / (2.0 * tau)


def emg_apex(mu: float, sigma: float, tau: float) -> float:
    """The time of the maximum of an EMG (found numerically on a fine grid)."""
    grid = np.linspace(mu - 3 * sigma, mu + 3 * sigma + 3 * tau, 4001)
    return float(grid[np.argmax(emg(grid, 1.0, mu, sigma, tau))])
