"""NIST StRD nonlinear regression problems through the user-defined-model path.

Scored as NIST does: the number of significant digits of the certified values
reproduced (log relative error, minimum over parameters).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nist_strd import BUNDLED_NIST, SHARED_NIST, digits, model_and_data, read_problem
from pdstudy.fitting import SolverOptions, fit_curves, user_model

OPTIONS = SolverOptions(max_iter=5000)


def score(path: Path, start: int) -> tuple[float, str]:
    p = read_problem(path)
    f, x, y = model_and_data(p)
    names = [f"b{i + 1}" for i in range(p.certified.size)]
    p0 = p.start1 if start == 1 else p.start2
    fit = fit_curves(
        user_model(f, names, p0=dict(zip(names, p0, strict=True))), x, y, options=OPTIONS
    )
    return digits(fit.params[0], p.certified), fit.status[0]


@pytest.mark.parametrize("name", ["Rat42", "Rat43", "MGH09", "Misra1a", "BoxBOD"])
def test_bundled_problems_from_start_2(name):
    d, _ = score(BUNDLED_NIST / f"{name}.dat", 2)
    assert d >= 6


def test_all_27_problems_digits_table():
    if not SHARED_NIST.is_dir():
        pytest.skip(f"NIST StRD files not present at {SHARED_NIST} (../shared is absent)")
    paths = sorted(SHARED_NIST.glob("*.dat"))
    assert len(paths) == 27
    table = {p.stem: (score(p, 1), score(p, 2)) for p in paths}
    lines = [
        f"{k:10s} start1 {a[0]:5.1f} ({a[1]})  start2 {b[0]:5.1f} ({b[1]})"
        for k, (a, b) in table.items()
    ]
    print("\n".join(lines))
    good1 = sum(a[0] >= 6 for a, _ in table.values())
    good2 = sum(b[0] >= 6 for _, b in table.values())
    assert good2 >= 26, "\n".join(lines)
    assert good1 >= 24, "\n".join(lines)
