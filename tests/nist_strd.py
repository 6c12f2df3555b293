"""NIST StRD nonlinear regression problems: reader, models and digit scoring."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARED_NIST = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "nist-strd"
BUNDLED_NIST = Path(__file__).resolve().parent / "data" / "nist"

_PARAM = re.compile(r"^\s*b(\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)")


@dataclass(frozen=True)
class Problem:
    name: str
    start1: np.ndarray
    start2: np.ndarray
    certified: np.ndarray
    certified_sd: np.ndarray
    certified_ssr: float
    y: np.ndarray
    x: np.ndarray  # (M,) or (M, 2) for Nelson


def read_problem(path: Path) -> Problem:
    lines = path.read_text().splitlines()
    rows = [m.groups() for ln in lines[:60] if (m := _PARAM.match(ln))]
    vals = np.array([[float(v) for v in r[1:]] for r in rows])
    ssr = next(float(ln.split(":")[1]) for ln in lines if ln.startswith("Residual Sum of Squares"))
    data = np.array([[float(v) for v in ln.split()] for ln in lines[60:] if ln.strip()])
    return Problem(
        path.stem,
        vals[:, 0],
        vals[:, 1],
        vals[:, 2],
        vals[:, 3],
        ssr,
        data[:, 0],
        data[:, 1:].squeeze(),
    )


pi = np.pi
exp = np.exp

# y = f(x, b1, ..., bk), written as NIST states them
MODELS = {
    "Bennett5": lambda x, b1, b2, b3: b1 * (b2 + x) ** (-1 / b3),
    "BoxBOD": lambda x, b1, b2: b1 * (1 - exp(-b2 * x)),
    "Chwirut1": lambda x, b1, b2, b3: exp(-b1 * x) / (b2 + b3 * x),
    "Chwirut2": lambda x, b1, b2, b3: exp(-b1 * x) / (b2 + b3 * x),
    "DanWood": lambda x, b1, b2: b1 * x**b2,
    "ENSO": lambda x, b1, b2, b3, b4, b5, b6, b7, b8, b9: (
        b1
        + b2 * np.cos(2 * pi * x / 12)
        + b3 * np.sin(2 * pi * x / 12)
        + b5 * np.cos(2 * pi * x / b4)
        + b6 * np.sin(2 * pi * x / b4)
        + b8 * np.cos(2 * pi * x / b7)
        + b9 * np.sin(2 * pi * x / b7)
    ),
    "Eckerle4": lambda x, b1, b2, b3: (b1 / b2) * exp(-0.5 * ((x - b3) / b2) ** 2),
    "Gauss1": lambda x, b1, b2, b3, b4, b5, b6, b7, b8: (
        b1 * exp(-b2 * x) + b3 * exp(-((x - b4) ** 2) / b5**2) + b6 * exp(-((x - b7) ** 2) / b8**2)
    ),
    "Hahn1": lambda x, b1, b2, b3, b4, b5, b6, b7: (
        (b1 + b2 * x + b3 * x**2 + b4 * x**3) / (1 + b5 * x + b6 * x**2 + b7 * x**3)
    ),
    "Kirby2": lambda x, b1, b2, b3, b4, b5: (b1 + b2 * x + b3 * x**2) / (1 + b4 * x + b5 * x**2),
    "Lanczos1": lambda x, b1, b2, b3, b4, b5, b6: (
        b1 * exp(-b2 * x) + b3 * exp(-b4 * x) + b5 * exp(-b6 * x)
    ),
    "MGH09": lambda x, b1, b2, b3, b4: b1 * (x**2 + x * b2) / (x**2 + x * b3 + b4),
    "MGH10": lambda x, b1, b2, b3: b1 * exp(b2 / (x + b3)),
    "MGH17": lambda x, b1, b2, b3, b4, b5: b1 + b2 * exp(-x * b4) + b3 * exp(-x * b5),
    "Misra1a": lambda x, b1, b2: b1 * (1 - exp(-b2 * x)),
    "Misra1b": lambda x, b1, b2: b1 * (1 - (1 + b2 * x / 2) ** (-2)),
    "Misra1c": lambda x, b1, b2: b1 * (1 - (1 + 2 * b2 * x) ** (-0.5)),
    "Misra1d": lambda x, b1, b2: b1 * b2 * x * ((1 + b2 * x) ** (-1)),
    "Rat42": lambda x, b1, b2, b3: b1 / (1 + exp(b2 - b3 * x)),
    "Rat43": lambda x, b1, b2, b3, b4: b1 / ((1 + exp(b2 - b3 * x)) ** (1 / b4)),
    "Roszman1": lambda x, b1, b2, b3, b4: b1 - b2 * x - np.arctan(b3 / (x - b4)) / pi,
    "Thurber": lambda x, b1, b2, b3, b4, b5, b6, b7: (
        (b1 + b2 * x + b3 * x**2 + b4 * x**3) / (1 + b5 * x + b6 * x**2 + b7 * x**3)
    ),
}
for _n in ("Gauss2", "Gauss3"):
    MODELS[_n] = MODELS["Gauss1"]
for _n in ("Lanczos2", "Lanczos3"):
    MODELS[_n] = MODELS["Lanczos1"]


def model_and_data(p: Problem):
    """The model as a curve_fit-style function of one x, and (x, y) to fit.

    Nelson has two predictors and a log response: x is then the observation
    index, and the function looks the two predictors up.
    """
    if p.name == "Nelson":
        x1, x2 = p.x[:, 0], p.x[:, 1]

        def nelson(i, b1, b2, b3):
            k = np.asarray(i).astype(int)
            return b1 - b2 * x1[k] * exp(-b3 * x2[k])

        return nelson, np.arange(p.y.size, dtype=float), np.log(p.y)
    return MODELS[p.name], p.x, p.y


def digits(estimate: np.ndarray, certified: np.ndarray) -> float:
    """Log relative error, the minimum over parameters (NIST's score), capped at 11."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lre = -np.log10(np.abs(estimate - certified) / np.abs(certified))
    lre = np.where(np.isnan(lre), 0.0, lre)
    return float(np.clip(lre, 0, 11).min())
