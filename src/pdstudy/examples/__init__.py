"""The embedded example: simulated norclomipramine data, made on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def run_demo(out: Path, seed: int = 20261128, console: Any = None) -> Path:
    """Simulate a family of competition curves with known parameters, fit them
    and write the parameter table (CSV) and a figure (SVG, PNG) to ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pdstudy.fitting import FOUR_PL, fit_curves, profile_ci

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    x = np.repeat(np.linspace(-11.5, -6.0, 12), 3)
    true_log_ic50 = np.log10(np.array([0.5e-9, 2e-9, 10e-9, 50e-9]) * (1 + 1.0 / 0.8))
    n = true_log_ic50.size
    truth = np.column_stack([np.zeros(n), np.full(n, 100.0), true_log_ic50, np.full(n, -1.0)])
    y = FOUR_PL(np.broadcast_to(x, (n, x.size)), truth) + rng.normal(0, 4.0, (n, x.size))
    labels = [f"Ki {k}" for k in ("0.5 nM", "2 nM", "10 nM", "50 nM")]
    fit = profile_ci(fit_curves(FOUR_PL, x, y, labels=labels))
    table = fit.params_frame()
    table.insert(2, "true_log_ic50", true_log_ic50)
    table.to_csv(out / "fit_parameters.csv", index=False)
    fig, ax = plt.subplots(figsize=(6, 4))
    grid = np.linspace(-12, -5.5, 200)
    for i, lab in enumerate(labels):
        yhat, lo, hi = fit.band(grid, i)
        (line,) = ax.plot(grid, yhat, label=lab)
        ax.fill_between(grid, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        ax.plot(x, y[i], "o", ms=3, color=line.get_color())
    ax.set_xlabel("log10 [competitor] (M)")
    ax.set_ylabel("specific binding (% of control)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    for ext in ("svg", "png"):
        fig.savefig(out / f"competition_fits.{ext}", dpi=150)
    plt.close(fig)
    if console is not None:
        console.print(fit.summary())
    return out
