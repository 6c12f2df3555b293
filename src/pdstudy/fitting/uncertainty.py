"""Profile-likelihood confidence intervals and derived parameters with CIs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pdstudy.errors import ModelError
from pdstudy.fitting.models import Array
from pdstudy.fitting.result import BatchFit
from pdstudy.fitting.solver import fit_curves


def _profile_ssr(fit: BatchFit, k: int, rows: Array, values: Array) -> Array:
    """SSR of each curve in ``rows`` refitted with parameter ``k`` held at ``values``."""
    name = fit.model.params[k]
    fixed: dict[str, Array] = {
        nm: fit.params[rows, j] for j, nm in enumerate(fit.model.params) if not fit.free[j]
    }
    fixed[name] = values
    p0 = {
        nm: fit.params[rows, j] for j, nm in enumerate(fit.model.params) if fit.free[j] and j != k
    }
    refit = fit_curves(
        fit.model,
        fit.x[rows],
        np.where(fit.used[rows], fit.y[rows], np.nan),
        weights=np.where(fit.used[rows], fit.weights[rows], 1.0),
        fixed=fixed,
        p0=p0,
        bounds={nm: (fit.lower[j], fit.upper[j]) for j, nm in enumerate(fit.model.params)},
        constants={c: np.asarray(v)[rows] for c, v in fit.constants.items()},
    )
    out = np.array(refit.ssr, dtype=float)
    return np.where(np.isfinite(out), out, np.inf)


def profile_ci(
    fit: BatchFit, param: str | None = None, level: float | None = None, max_span: float = 6.0
) -> BatchFit:
    """Add profile-likelihood CIs of one parameter (by default the model's potency).

    The interval holds the values whose best refit (all other free parameters
    re-optimised) has ``SS <= SSmin * (1 + F(level; 1, df) / df)``, the
    criterion GraphPad Prism uses. Where the profile does not rise to that
    level within ``max_span`` standard-error multiples (or log units for log
    parameters) or before a bound, the limit is infinite (or the bound) and the
    curve's reason says so.
    """
    name = param or fit.model.potency
    if name is None:
        raise ModelError(f"model {fit.model.name!r} has no potency parameter; name one")
    if fit.shared:
        raise ModelError(
            "profile CIs are computed for independent fits only (no shared parameters)"
        )
    k = fit.model.index(name)
    if not fit.free[k]:
        raise ModelError(f"{name} is fixed; it has no confidence interval")
    lev = fit.level if level is None else level
    n = fit.n_curves
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    reasons = list(fit.reason)
    rows = np.flatnonzero(fit.ok & np.isfinite(fit.se[:, k]) & (fit.df > 0))
    if rows.size:
        th = fit.params[rows, k]
        ssmin = fit.ssr[rows]
        df = fit.df[rows]
        target = ssmin * (1.0 + stats.f.ppf(lev, 1, df) / df)
        target = np.where(ssmin > 0, target, 1e-300)
        se = np.where(fit.se[rows, k] > 0, fit.se[rows, k], 1e-3)
        tcrit = stats.t.ppf(0.5 + lev / 2, df)
        limit = np.broadcast_to(
            max_span if fit.model.x_is_log and name.startswith("log") else max_span * tcrit * se,
            rows.shape,
        )
        for sign, out in ((-1.0, low), (1.0, high)):
            bound = fit.lower[k] if sign < 0 else fit.upper[k]
            inside = np.zeros(rows.size)  # distance known to be inside (SS < target)
            outside = np.full(rows.size, np.inf)  # distance known to be outside
            dist = np.minimum(tcrit * se, limit)
            maxd = np.minimum(limit, np.abs(bound - th))
            dist = np.minimum(dist, maxd)
            for _ in range(40):
                ss = _profile_ssr(fit, k, rows, th + sign * dist)
                is_out = ss > target
                outside = np.where(is_out, np.minimum(outside, dist), outside)
                inside = np.where(~is_out, np.maximum(inside, dist), inside)
                # the limit is known to a millionth of a standard error (relative, so
                # parameters in molar units are as precise as log parameters)
                done = np.isfinite(outside) & (outside - inside <= 1e-6 * se)
                done |= ~np.isfinite(outside) & (inside >= maxd * (1 - 1e-12))
                if done.all():
                    break
                with np.errstate(all="ignore"):
                    ratio = np.sqrt((target - ssmin) / np.maximum(ss - ssmin, 1e-300))
                guess = dist * np.clip(ratio, 0.2, 5.0)
                bisect = 0.5 * (inside + outside)
                ok_guess = (guess > inside) & (guess < outside)
                nxt = np.where(
                    np.isfinite(outside), np.where(ok_guess, guess, bisect), np.minimum(guess, maxd)
                )
                nxt = np.where(
                    ~np.isfinite(outside) & (nxt <= inside), np.minimum(2 * inside, maxd), nxt
                )
                dist = np.where(done, dist, nxt)
            lim = np.where(np.isfinite(outside), 0.5 * (inside + outside), np.nan)
            val = th + sign * lim
            open_end = ~np.isfinite(outside)
            at_b = open_end & np.isfinite(bound) & (maxd < limit)
            val = np.where(at_b, bound, np.where(open_end, sign * np.inf, val))
            out[rows] = val
            for ii in np.flatnonzero(open_end):
                i = rows[ii]
                side = "lower" if sign < 0 else "upper"
                why = (
                    f"profile {side} limit of {name} reaches its bound"
                    if at_b[ii]
                    else f"profile {side} limit of {name} is unbounded within {float(limit[ii]):.3g}"
                )
                reasons[i] = f"{reasons[i]}; {why}" if reasons[i] else why
    return dataclasses.replace(
        fit, profile_low=low, profile_high=high, profile_param=name, reason=tuple(reasons)
    )


@dataclass(frozen=True)
class Derived:
    """A derived parameter with its confidence interval, per curve."""

    name: str
    value: Array
    ci_low: Array
    ci_high: Array
    method: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "parameter": self.name,
                "value": self.value,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "method": self.method,
            }
        )


def cheng_prusoff_shift(radioligand_M: Array | float, kd_M: Array | float) -> Array:
    """log10(1 + [L]/Kd): the amount log Ki lies below log IC50."""
    lig = np.asarray(radioligand_M, dtype=float)
    kd = np.asarray(kd_M, dtype=float)
    if np.any(lig < 0) or np.any(kd <= 0):
        raise ModelError("Cheng-Prusoff needs [L] >= 0 and Kd > 0 (molar)")
    return np.log10(1.0 + lig / kd)


def ki_from_ic50(
    log_ic50: Array,
    ci_low: Array,
    ci_high: Array,
    radioligand_M: Array | float,
    kd_M: Array | float,
) -> tuple[Derived, Derived]:
    """Ki and pKi with CIs from log IC50 and its CI (Cheng & Prusoff 1973).

    ``Ki = IC50 / (1 + [L]/Kd)`` is a constant shift on the log scale, so the
    CI of log IC50 maps exactly onto log Ki (with [L] and Kd treated as known).
    Returns ``(ki_M, pki)``.
    """
    shift = cheng_prusoff_shift(radioligand_M, kd_M)
    lki = np.asarray(log_ic50) - shift
    lo = np.asarray(ci_low) - shift
    hi = np.asarray(ci_high) - shift
    method = "Cheng-Prusoff from log IC50 (CI shifted on the log scale)"
    return (
        Derived("ki_M", 10.0**lki, 10.0**lo, 10.0**hi, method),
        Derived("pki", -lki, -hi, -lo, method),
    )
