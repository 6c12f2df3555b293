"""Model comparison: extra sum-of-squares F test and AICc, curve by curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.errors import ModelError
from pdstudy.fitting.models import Array
from pdstudy.fitting.result import BatchFit


@dataclass(frozen=True)
class Comparison:
    """Simpler vs more complex model for each curve of a batch."""

    simple: str
    complex: str
    labels: tuple[object, ...]
    f: Array
    df_num: Array
    df_den: Array
    p_value: Array
    aicc_simple: Array
    aicc_complex: Array
    preferred_f: tuple[str, ...]
    alpha: float

    @property
    def prob_complex_aicc(self) -> Array:
        """Akaike weight of the complex model (probability it is correct)."""
        d = self.aicc_complex - self.aicc_simple
        return np.exp(-0.5 * d) / (1.0 + np.exp(-0.5 * d))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "curve": list(self.labels),
                "simple_model": self.simple,
                "complex_model": self.complex,
                "f": self.f,
                "df_num": self.df_num,
                "df_den": self.df_den,
                "p_value": self.p_value,
                "aicc_simple": self.aicc_simple,
                "aicc_complex": self.aicc_complex,
                "prob_complex_aicc": self.prob_complex_aicc,
                "preferred": list(self.preferred_f),
                "alpha": self.alpha,
            }
        )

    def summary(self) -> str:
        n_c = sum(p == self.complex for p in self.preferred_f)
        return (
            f"F test {self.simple} vs {self.complex} (alpha {self.alpha}): "
            f"{n_c} of {len(self.labels)} curve(s) prefer {self.complex}"
        )


def f_test(simple: BatchFit, complex_: BatchFit, alpha: float = 0.05) -> Comparison:
    """Extra sum-of-squares F test of nested models fitted to the same curves.

    ``F = ((SS1 - SS2) / (DF1 - DF2)) / (SS2 / DF2)``. The complex model is
    preferred where P < ``alpha``; a curve where either fit failed prefers the
    model that did fit (or neither: ``"none"``).
    """
    if simple.n_curves != complex_.n_curves:
        raise ModelError("the two fits have different numbers of curves")
    if not np.array_equal(simple.used, complex_.used):
        raise ModelError("the two fits must use the same points of the same curves")
    ss1, ss2, df1, df2 = simple.ssr, complex_.ssr, simple.df, complex_.df
    with np.errstate(all="ignore"):
        dfn = df1 - df2
        f = ((ss1 - ss2) / dfn) / (ss2 / df2)
        f = np.where(f < 0, 0.0, f)
        p = stats.f.sf(f, dfn, df2)
    pref = []
    for i in range(simple.n_curves):
        a, b = simple.ok[i], complex_.ok[i]
        if a and b and np.isfinite(p[i]):
            pref.append(complex_.model.name if p[i] < alpha else simple.model.name)
        elif a:
            pref.append(simple.model.name)
        elif b:
            pref.append(complex_.model.name)
        else:
            pref.append("none")
    return Comparison(
        simple.model.name,
        complex_.model.name,
        simple.labels,
        f,
        dfn,
        df2,
        p,
        simple.aicc(),
        complex_.aicc(),
        tuple(pref),
        alpha,
    )
