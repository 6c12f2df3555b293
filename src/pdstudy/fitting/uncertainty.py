"""Profile-likelihood confidence intervals and derived parameters with CIs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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


def _profile_ssr_shared(fit: BatchFit, k: int, rows: Array, value: float) -> float:
    """Total SSR of a global fit refitted with the shared parameter ``k`` held at ``value``."""
    name = fit.model.params[k]
    fixed: dict[str, Array | float] = {
        nm: fit.params[rows, j] for j, nm in enumerate(fit.model.params) if not fit.free[j]
    }
    fixed[name] = value
    p0 = {
        nm: fit.params[rows, j] for j, nm in enumerate(fit.model.params) if fit.free[j] and j != k
    }
    refit = fit_curves(
        fit.model,
        fit.x[rows],
        np.where(fit.used[rows], fit.y[rows], np.nan),
        weights=np.where(fit.used[rows], fit.weights[rows], 1.0),
        fixed=fixed,
        shared=tuple(nm for nm in fit.shared if nm != name),
        p0=p0,
        bounds={nm: (fit.lower[j], fit.upper[j]) for j, nm in enumerate(fit.model.params)},
        constants={c: np.asarray(v)[rows] for c, v in fit.constants.items()},
    )
    total = float(np.sum(refit.ssr)) if all(refit.ok) else np.inf
    return total if np.isfinite(total) else np.inf


def _limits(
    ssr_of: Callable[[Array], Array],
    th: Array,
    ssmin: Array,
    df: Array,
    se: Array,
    limit: Array,
    bound_lo: float,
    bound_hi: float,
    lev: float,
) -> list[tuple[Array, Array, Array]]:
    """Lower and upper profile limits of B problems at once: for each side the
    limit values, whether the profile stayed below the threshold (open) and
    whether that happened at a bound."""
    target = ssmin * (1.0 + stats.f.ppf(lev, 1, df) / df)
    target = np.where(ssmin > 0, target, 1e-300)
    tcrit = stats.t.ppf(0.5 + lev / 2, df)
    sides = []
    for sign in (-1.0, 1.0):
        bound = bound_lo if sign < 0 else bound_hi
        inside = np.zeros(th.size)  # distance known to be inside (SS < target)
        outside = np.full(th.size, np.inf)  # distance known to be outside
        maxd = np.minimum(limit, np.abs(bound - th))
        dist = np.minimum(np.minimum(tcrit * se, limit), maxd)
        for _ in range(40):
            ss = ssr_of(th + sign * dist)
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
        open_end = ~np.isfinite(outside)
        at_b = open_end & np.isfinite(bound) & (maxd < limit)
        val = np.where(at_b, bound, np.where(open_end, sign * np.inf, th + sign * lim))
        sides.append((val, open_end, at_b))
    return sides


def profile_ci(
    fit: BatchFit, param: str | None = None, level: float | None = None, max_span: float = 6.0
) -> BatchFit:
    """Add profile-likelihood CIs of one parameter (by default the model's potency).

    The interval holds the values whose best refit (all other free parameters
    re-optimised) has ``SS <= SSmin * (1 + F(level; 1, df) / df)``, the
    criterion GraphPad Prism uses. Where the profile does not rise to that
    level within ``max_span`` standard-error multiples (or log units for log
    parameters) or before a bound, the limit is infinite (or the bound) and the
    curve's reason says so. In a global fit the parameter must be one of the
    shared ones; the whole batch is then profiled as one problem (total SS,
    global degrees of freedom) and every curve gets the same interval.
    """
    name = param or fit.model.potency
    if name is None:
        raise ModelError(f"model {fit.model.name!r} has no potency parameter; name one")
    k = fit.model.index(name)
    if not fit.free[k]:
        raise ModelError(f"{name} is fixed; it has no confidence interval")
    if fit.shared and name not in fit.shared:
        raise ModelError(
            f"{name} is fitted per curve inside a global fit; profile CIs are computed for "
            f"independent fits or for a shared parameter ({', '.join(fit.shared)})"
        )
    lev = fit.level if level is None else level
    n = fit.n_curves
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    reasons = list(fit.reason)
    rows = np.flatnonzero(fit.ok & np.isfinite(fit.se[:, k]) & (fit.df > 0))
    if rows.size:
        log_like = fit.model.x_is_log and name.startswith("log")
        if fit.shared:
            # one problem: the batch; arrays of length 1
            first = rows[:1]
            th = fit.params[first, k]
            ssmin = np.array([float(np.sum(fit.ssr[rows]))])
            df = fit.df[first]

            def ssr_of(values: Array) -> Array:
                return np.array([_profile_ssr_shared(fit, k, rows, float(values[0]))])

            groups = [rows]
        else:
            th = fit.params[rows, k]
            ssmin = fit.ssr[rows]
            df = fit.df[rows]

            def ssr_of(values: Array) -> Array:
                return _profile_ssr(fit, k, rows, values)

            groups = [np.array([i]) for i in rows]
        se = np.where(fit.se[rows[: th.size], k] > 0, fit.se[rows[: th.size], k], 1e-3)
        tcrit = stats.t.ppf(0.5 + lev / 2, df)
        limit = np.broadcast_to(max_span if log_like else max_span * tcrit * se, th.shape)
        sides = _limits(ssr_of, th, ssmin, df, se, limit, fit.lower[k], fit.upper[k], lev)
        for (val, open_end, at_b), out, side in zip(
            sides, (low, high), ("lower", "upper"), strict=True
        ):
            for g, members in enumerate(groups):
                out[members] = val[g]
                if not open_end[g]:
                    continue
                why = (
                    f"profile {side} limit of {name} reaches its bound"
                    if at_b[g]
                    else f"profile {side} limit of {name} is unbounded within {float(limit[g]):.3g}"
                )
                for i in members.tolist():
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
