"""The result of a batched fit: parameters, uncertainty, status per curve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.fitting.models import Array, Model, jacobian


@dataclass(frozen=True)
class BatchFit:
    """N curves of one model, fitted together.

    Arrays are indexed ``[curve]`` or ``[curve, parameter]`` in the order of
    ``model.params``. Fixed parameters have NaN standard errors; a failed curve
    has NaN free parameters and its ``reason`` says why.
    """

    model: Model
    labels: tuple[Any, ...]
    x: Array
    y: Array
    used: Array
    weights: Array
    constants: Mapping[str, Array]
    params: Array
    free: Array
    shared: tuple[str, ...]
    se: Array
    ci_low: Array
    ci_high: Array
    cov: Array
    ssr: Array
    n_points: Array
    df: Array
    n_iter: Array
    status: tuple[str, ...]
    reason: tuple[str, ...]
    level: float
    lower: Array
    upper: Array
    profile_low: Array | None = None
    profile_high: Array | None = None
    profile_param: str | None = None
    excluded: Array | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ access

    @property
    def n_curves(self) -> int:
        return len(self.labels)

    @property
    def ok(self) -> Array:
        """Curves whose parameters can be used (converged or at a bound)."""
        return np.array([s in ("converged", "at_bound") for s in self.status])

    def param(self, name: str) -> Array:
        """Fitted values of one parameter for every curve."""
        return self.params[:, self.model.index(name)]

    def n_free(self) -> int:
        return int(self.free.sum())

    def aicc(self) -> Array:
        """AICc per curve as Prism computes it (K = fitted parameters + 1)."""
        n = self.n_points.astype(float)
        k = self.n_free() + 1.0
        with np.errstate(all="ignore"):
            return n * np.log(self.ssr / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)

    def r_squared(self) -> Array:
        yv = np.where(self.used, self.y, np.nan)
        with np.errstate(all="ignore"):
            w = np.where(self.used, self.weights, 0.0)
            mean = np.nansum(w * yv, axis=1) / w.sum(axis=1)
            sst = np.nansum(w * (yv - mean[:, None]) ** 2, axis=1)
            return 1.0 - self.ssr / sst

    def constants_of(self, i: int) -> dict[str, Array]:
        return {k: np.asarray(v)[i : i + 1] for k, v in self.constants.items()}

    def predict(self, xnew: object, i: int) -> Array:
        """Model value of curve ``i`` at ``xnew``."""
        xv = np.atleast_1d(np.asarray(xnew, dtype=float))
        return self.model(xv, self.params[i], self.constants_of(i))

    def band(self, xnew: object, i: int, level: float | None = None) -> tuple[Array, Array, Array]:
        """Fitted curve and its confidence band at ``xnew``: (y, low, high)."""
        lev = self.level if level is None else level
        xv = np.atleast_1d(np.asarray(xnew, dtype=float))[None, :]
        p = self.params[i : i + 1]
        c = {k: np.asarray(v).reshape(-1, 1)[i : i + 1] for k, v in self.constants.items()}
        yhat = self.model.func(xv, p, c)
        j = jacobian(self.model, xv, p, c, yhat)[0]
        cov = np.nan_to_num(self.cov[i])
        var = np.einsum("mk,kl,ml->m", j, cov, j)
        t = stats.t.ppf(0.5 + lev / 2, self.df[i]) if self.df[i] > 0 else np.nan
        half = t * np.sqrt(np.clip(var, 0, None))
        return yhat[0], yhat[0] - half, yhat[0] + half

    def residuals(self) -> Array:
        """Unweighted residuals y - fit (NaN where the point was not used)."""
        f = self.model.func(
            self.x,
            self.params,
            {k: np.asarray(v).reshape(-1, 1) for k, v in self.constants.items()},
        )
        return np.where(self.used, self.y - f, np.nan)

    # ------------------------------------------------------------ tables

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per curve and parameter."""
        rows = []
        names = self.model.params
        for i, lab in enumerate(self.labels):
            for k, nm in enumerate(names):
                row = {
                    "curve": lab,
                    "model": self.model.name,
                    "parameter": nm,
                    "value": self.params[i, k],
                    "se": self.se[i, k],
                    "ci_low": self.ci_low[i, k],
                    "ci_high": self.ci_high[i, k],
                    "confidence": self.level,
                    "fixed": not bool(self.free[k]),
                    "shared": nm in self.shared,
                    "profile_ci_low": np.nan,
                    "profile_ci_high": np.nan,
                    "status": self.status[i],
                    "reason": self.reason[i],
                }
                if self.profile_param == nm and self.profile_low is not None:
                    assert self.profile_high is not None
                    row["profile_ci_low"] = self.profile_low[i]
                    row["profile_ci_high"] = self.profile_high[i]
                rows.append(row)
        return pd.DataFrame(rows)

    def params_frame(self) -> pd.DataFrame:
        """Wide table: one row per curve; value, se, ci_low, ci_high per parameter, and fit statistics."""
        data: dict[str, Any] = {"curve": list(self.labels), "model": self.model.name}
        for k, nm in enumerate(self.model.params):
            data[nm] = self.params[:, k]
            data[f"{nm}_se"] = self.se[:, k]
            data[f"{nm}_ci_low"] = self.ci_low[:, k]
            data[f"{nm}_ci_high"] = self.ci_high[:, k]
        if self.profile_param is not None and self.profile_low is not None:
            data[f"{self.profile_param}_profile_ci_low"] = self.profile_low
            data[f"{self.profile_param}_profile_ci_high"] = self.profile_high
        data["ssr"] = self.ssr
        data["n_points"] = self.n_points
        data["df"] = self.df
        data["r_squared"] = self.r_squared()
        data["aicc"] = self.aicc()
        data["n_iter"] = self.n_iter
        data["n_excluded"] = (
            self.excluded.sum(axis=1) if self.excluded is not None else np.zeros(self.n_curves, int)
        )
        data["status"] = list(self.status)
        data["reason"] = list(self.reason)
        return pd.DataFrame(data)

    def summary(self) -> str:
        """A few lines: counts by status and the median of each parameter."""
        st = pd.Series(self.status).value_counts()
        lines = [
            f"{self.model.name}: {self.n_curves} curve(s); "
            + ", ".join(f"{k} {v}" for k, v in st.items())
        ]
        ok = self.ok
        for k, nm in enumerate(self.model.params):
            vals = self.params[ok, k]
            if vals.size:
                tag = "fixed" if not self.free[k] else "median"
                lines.append(f"  {nm}: {tag} {np.median(vals):.4g}")
        return "\n".join(lines)
