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
    if int(np.sum(fit.free)) == 1:  # nothing else to refit (e.g. both plateaus held)
        p = np.array(fit.params[rows], dtype=float)
        p[:, k] = values
        consts = {c: np.asarray(v)[rows].reshape(-1, 1) for c, v in fit.constants.items()}
        with np.errstate(all="ignore"):
            r = np.where(fit.used[rows], fit.y[rows] - fit.model.func(fit.x[rows], p, consts), 0.0)
            direct = np.sum(np.where(fit.used[rows], fit.weights[rows], 0.0) * r**2, axis=1)
        return np.where(np.isfinite(direct), direct, np.inf)
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
    ssr_of: Callable[[Array, Array], Array],
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
    whether that happened at a bound.

    ``ssr_of(sel, values)`` is the profile SS of the problems ``sel`` with the
    parameter held at ``values``. Each side is searched in two phases, every
    problem on its own (so a curve's limits do not depend on the others of its
    batch):

    1. *bracket*: step outwards from the estimate, each step at least 1.6x
       the last and at least past the quadratic prediction of the crossing,
       until the profile SS is above the threshold (a bracket) or the search
       reaches the bound or ``limit`` with the SS still below it (open);
    2. *refine*: inside the bracket, a safeguarded secant search on
       ``SS - threshold`` (Illinois variant of regula falsi, with bisection
       whenever it stalls) to a millionth of a standard error.
    """
    target = ssmin * (1.0 + stats.f.ppf(lev, 1, df) / df)
    target = np.where(ssmin > 0, target, 1e-300)
    tcrit = stats.t.ppf(0.5 + lev / 2, df)
    tol = 1e-6 * se
    b = th.size
    sides = []
    for sign in (-1.0, 1.0):
        bound = bound_lo if sign < 0 else bound_hi
        maxd = np.minimum(limit, np.abs(bound - th))
        # ---- phase 1: bracket the crossing
        d_in = np.zeros(b)  # a distance known to be inside (SS <= target)
        f_in = ssmin - target  # SS - target there (negative)
        d_out = np.full(b, np.inf)  # a distance known to be outside (SS > target)
        f_out = np.full(b, np.inf)
        dist = np.minimum(np.minimum(tcrit * se, limit), maxd)
        searching = dist > 0
        for _ in range(200):
            sel = np.flatnonzero(searching)
            if sel.size == 0:
                break
            ss = ssr_of(sel, th[sel] + sign * dist[sel])
            out = ss > target[sel]
            hit = sel[out]
            d_out[hit] = dist[hit]
            f_out[hit] = ss[out] - target[hit]
            stay = sel[~out]
            d_in[stay] = dist[stay]
            f_in[stay] = ss[~out] - target[stay]
            searching[hit] = False
            more = dist[stay] < maxd[stay] * (1 - 1e-12)
            searching[stay[~more]] = False  # at the bound (or the span) and still inside
            grow = stay[more]
            if grow.size:
                rise = np.maximum(ss[~out][more] - ssmin[grow], 0.0)
                with np.errstate(all="ignore"):
                    quad = dist[grow] * np.sqrt((target[grow] - ssmin[grow]) / rise)
                quad = np.where(np.isfinite(quad), quad, 4.0 * dist[grow])
                nxt = np.clip(1.2 * quad, 1.6 * dist[grow], 4.0 * dist[grow])
                dist[grow] = np.minimum(nxt, maxd[grow])
        # ---- phase 2: refine inside [d_in, d_out]
        refine = np.isfinite(d_out) & (d_out - d_in > tol)
        side_flag = np.zeros(b)  # Illinois: which end was kept last (-1 inside, +1 outside)
        for _ in range(100):
            sel = np.flatnonzero(refine)
            if sel.size == 0:
                break
            a, fa, c, fc = d_in[sel], f_in[sel], d_out[sel], f_out[sel]
            with np.errstate(all="ignore"):
                sec = a - fa * (c - a) / (fc - fa)
            mid = 0.5 * (a + c)
            w = c - a
            ok = np.isfinite(sec) & (sec > a + 0.01 * w) & (sec < c - 0.01 * w)
            nxt = np.where(ok, sec, mid)
            ss = ssr_of(sel, th[sel] + sign * nxt)
            fn = ss - target[sel]
            out = fn > 0
            # Illinois: halve the value at the end kept twice, so the secant moves on
            hit, stay = sel[out], sel[~out]
            keep_in = hit[side_flag[hit] > 0]
            f_in[keep_in] *= 0.5
            keep_out = stay[side_flag[stay] < 0]
            f_out[keep_out] *= 0.5
            d_out[hit], f_out[hit] = nxt[out], fn[out]
            d_in[stay], f_in[stay] = nxt[~out], fn[~out]
            side_flag[hit] = 1.0
            side_flag[stay] = -1.0
            refine[sel] = d_out[sel] - d_in[sel] > tol[sel]
        lim = np.where(np.isfinite(d_out), 0.5 * (d_in + d_out), np.nan)
        open_end = ~np.isfinite(d_out)
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

            def ssr_of(sel: Array, values: Array) -> Array:
                return np.array([_profile_ssr_shared(fit, k, rows, float(values[0]))])

            groups = [rows]
        else:
            th = fit.params[rows, k]
            ssmin = fit.ssr[rows]
            df = fit.df[rows]

            def ssr_of(sel: Array, values: Array) -> Array:
                return _profile_ssr(fit, k, rows[sel], values)

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
                span = float(limit[g])
                unit = " log units" if log_like else ""
                why = (
                    f"profile {side} limit of {name} reaches its bound "
                    f"({fit.lower[k] if side == 'lower' else fit.upper[k]:g}): the sum of "
                    f"squares stays below the {100 * lev:g} % threshold up to it"
                    if at_b[g]
                    else f"profile {side} limit of {name} is open: the sum of squares stays "
                    f"below the {100 * lev:g} % threshold for {span:.3g}{unit} beyond the "
                    "estimate (the data do not bound it)"
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
