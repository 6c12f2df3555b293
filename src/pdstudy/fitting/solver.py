"""Batched Levenberg-Marquardt: fit N curves of one model in one call.

The solver works on all curves at once with numpy (normal equations solved as a
stack of small systems), keeps per-curve damping, and drops a curve from the
active set as soon as it has converged. Parameters can be fixed (a scalar or a
value per curve), bounded, or shared between the curves of the batch (a global
fit: the batch then becomes one problem whose parameter vector holds every
curve's own parameters and the shared ones once).

Every curve ends with a status and a reason; nothing raises for a bad curve.

Two paths compute the same iteration: numpy (``np.linalg.solve``/``inv`` on
stacked arrays, normal equations from the model's analytic Jacobian) for
lab-sized batches, and the compiled kernels of ``_kernels`` (numba) for batches of
at least :data:`COMPILED_MIN_POINTS` points, where they repay numba's import and
compilation. ``SolverOptions(backend=...)`` forces either one.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import stats

from pdstudy.errors import ModelError
from pdstudy.fitting._linalg import batched_inv, batched_solve
from pdstudy.fitting.models import Array, GuessFunc, Model, jacobian
from pdstudy.fitting.result import BatchFit

STATUSES = ("converged", "max_iterations", "ambiguous", "at_bound", "failed")
BACKENDS = ("auto", "numpy", "compiled")
_EPS = np.finfo(float).eps

#: Points in a batch (curves x points per curve) from which ``backend="auto"`` uses
#: the compiled kernels; below it numpy does the work and numba is never imported.
#: Measured (``benchmarks/bench_fitting.py --crossover``, variable-slope 4PL, 36
#: points per curve, 2 cores): with warm kernels the compiled path is 1.2-1.4x
#: faster from 40 curves and 1.6x at 100,000 curves, saving ~0.2 us per point; but
#: a fresh process pays ~0.3 s to import numba and load the cached kernels, and
#: ~4-8 s to compile them when the cache is empty. The saving repays the cached
#: start from ~1.5 million points, so lab-sized batches (tens to thousands of
#: curves) stay on numpy and large batches (simulations, screens) go compiled.
COMPILED_MIN_POINTS = 2_000_000


@dataclass(frozen=True)
class SolverOptions:
    """Stopping rules of the Levenberg-Marquardt iteration (MINPACK's meanings)."""

    max_iter: int = 200
    ftol: float = 1e-14  # relative reduction of the SSR, actual and predicted
    xtol: float = 1e-10  # relative step length
    gtol: float = 1e-12  # cosine between residuals and any Jacobian column
    dependency: float = 0.9999  # Prism's threshold for an ambiguous fit
    chunk: int = 100_000  # curves solved together (bounds the memory of a huge batch)
    threads: int | None = 1  # worker threads for chunks (compiled kernels are parallel already)
    #: "auto" (numpy below COMPILED_MIN_POINTS points, compiled kernels from there),
    #: "numpy" or "compiled" (force a path: tests, benchmarks, power simulations)
    backend: str = "auto"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ModelError(
                f"unknown solver backend {self.backend!r}; use one of {', '.join(BACKENDS)}"
            )


# ---------------------------------------------------------------- evaluation


def _eval_model(
    model: Model, x: Array, p: Array, consts: Mapping[str, Array], jac: bool
) -> tuple[Array, Array | None, list[str | None] | None]:
    """Evaluate the model (and Jacobian) on a batch, curve by curve if the batched
    call raises, returning per-curve error messages (``None``: no error at all)
    instead of raising."""
    n = x.shape[0]
    if model.vectorized:
        try:
            with np.errstate(all="ignore"):
                if jac and model.fjac is not None:
                    f0, j0 = model.fjac(x, p, consts)
                    return f0, j0, None
                f1 = np.asarray(model.func(x, p, consts), dtype=float)
                j1 = jacobian(model, x, p, consts, f1) if jac else None
            return f1, j1, None
        except Exception:  # noqa: BLE001 - fall back to one curve at a time
            pass
    errs: list[str | None] = [None] * n
    f = np.full(x.shape, np.nan)
    j = np.full(x.shape + (p.shape[1],), np.nan) if jac else None
    for i in range(n):
        ci = {k: v[i : i + 1] for k, v in consts.items()}
        try:
            with np.errstate(all="ignore"):
                fi = np.asarray(model.func(x[i : i + 1], p[i : i + 1], ci), dtype=float)
                f[i] = fi[0]
                if j is not None:
                    j[i] = jacobian(model, x[i : i + 1], p[i : i + 1], ci, fi)[0]
        except Exception as exc:  # noqa: BLE001 - a user model may raise anything
            errs[i] = f"the model raised {type(exc).__name__}: {exc}"
    return f, j, errs


# ---------------------------------------------------------------- problems


class _Problem:
    """Residuals and Jacobian of the free parameters of a batch of independent curves."""

    def __init__(
        self,
        model: Model,
        x: Array,
        y: Array,
        sw: Array,
        consts: Mapping[str, Array],
        full: Array,
        free: Array,
        compiled: bool = False,
    ) -> None:
        self.model, self.x, self.y, self.sw, self.consts = model, x, y, sw, consts
        self.full = full  # (B, P) with fixed values in place
        self.free = free  # (P,) bool
        self.compiled = compiled  # the model's fused, compiled normal equations
        self.all_free = bool(free.all())
        self.plain = bool((sw == 1.0).all())  # unweighted and no missing points

    def __call__(
        self, theta: Array, rows: Array, jac: bool = True
    ) -> tuple[Array, Array | None, list[str | None] | None]:
        every = rows.size == self.x.shape[0]
        take = (lambda a: a) if every else (lambda a: a[rows])
        if self.all_free:
            p = theta
        else:
            p = take(self.full).copy()
            p[:, self.free] = theta
        c = {k: take(v) for k, v in self.consts.items()}
        f, j, errs = _eval_model(self.model, take(self.x), p, c, jac)
        r = take(self.y) - f
        if not self.plain:
            sw = take(self.sw)
            r *= sw
            if j is not None:
                j = j * sw[..., None]
        if j is not None and not self.all_free:
            j = j[..., self.free]
        return r, j, errs

    def normal(
        self, theta: Array, rows: Array
    ) -> tuple[Array, Array, Array, list[str | None] | None]:
        """SSR, J'J and J'r of the free parameters (on the compiled path, from the
        model's fused kernel where it has one)."""
        if not self.compiled or self.model.normal is None or not self.model.vectorized:
            r, j, errs = self(theta, rows, True)
            assert j is not None
            return (*_normal(r, j), errs)
        every = rows.size == self.x.shape[0]
        take = (lambda a: a) if every else (lambda a: a[rows])
        if self.all_free:
            p = np.ascontiguousarray(theta)
        else:
            p = take(self.full).copy()
            p[:, self.free] = theta
        c = {k: take(v) for k, v in self.consts.items()}
        ssr, a, g = self.model.normal(take(self.x), take(self.y), take(self.sw), p, c)
        if not self.all_free:
            a = a[:, self.free][:, :, self.free]
            g = g[:, self.free]
        return ssr, a, g, None


class _SharedProblem:
    """A global fit: one parameter vector [local params of curve 0, ..., shared]."""

    def __init__(
        self,
        model: Model,
        x: Array,
        y: Array,
        sw: Array,
        consts: Mapping[str, Array],
        full: Array,
        local: Array,
        shared: Array,
    ) -> None:
        self.model, self.x, self.y, self.sw, self.consts = model, x, y, sw, consts
        self.full, self.local, self.shared = full, local, shared
        self.n = x.shape[0]
        self.nl = int(local.sum())
        self.ns = int(shared.sum())

    def unpack(self, theta: Array) -> Array:
        p = self.full.copy()
        if self.nl:
            p[:, self.local] = theta[0, : self.n * self.nl].reshape(self.n, self.nl)
        if self.ns:
            p[:, self.shared] = theta[0, self.n * self.nl :]
        return p

    def __call__(
        self, theta: Array, rows: Array, jac: bool = True
    ) -> tuple[Array, Array | None, list[str | None] | None]:
        p = self.unpack(theta)
        f, j, errs = _eval_model(self.model, self.x, p, self.consts, jac)
        err = next((e for e in errs if e), None) if errs else None
        r = np.where(self.sw > 0, (self.y - f) * self.sw, 0.0).reshape(1, -1)
        jj = None
        if j is not None:
            j = np.where(self.sw[..., None] > 0, j * self.sw[..., None], 0.0)
            m = self.x.shape[1]
            k = self.n * self.nl + self.ns
            jj = np.zeros((1, self.n * m, k))
            for i in range(self.n):
                rows_i = slice(i * m, (i + 1) * m)
                if self.nl:
                    jj[0, rows_i, i * self.nl : (i + 1) * self.nl] = j[i][:, self.local]
                if self.ns:
                    jj[0, rows_i, self.n * self.nl :] = j[i][:, self.shared]
        return r, jj, [err]

    def normal(
        self, theta: Array, rows: Array
    ) -> tuple[Array, Array, Array, list[str | None] | None]:
        r, j, errs = self(theta, rows, True)
        assert j is not None
        return (*_normal(r, j), errs)


# ---------------------------------------------------------------- Levenberg-Marquardt


@dataclass
class _LMOut:
    theta: Array
    ssr: Array
    jtj: Array  # J'J of the weighted model Jacobian at the solution, (B, K, K)
    niter: Array
    converged: Array
    error: dict[int, str]  # curve (row of the batch) -> why it failed


class Evaluator(Protocol):
    def normal(
        self, theta: Array, rows: Array
    ) -> tuple[Array, Array, Array, list[str | None] | None]: ...


def _normal(r: Array, j: Array) -> tuple[Array, Array, Array]:
    """SSR, J'J and J'r of a batch (inf where they overflow: the step is then rejected)."""
    with np.errstate(all="ignore"):
        return _normal_raw(r, j)


def _normal_raw(r: Array, j: Array) -> tuple[Array, Array, Array]:
    ssr = np.einsum("bm,bm->b", r, r)
    a = np.matmul(j.transpose(0, 2, 1), j)
    g = np.matmul(j.transpose(0, 2, 1), r[..., None])[..., 0]
    return ssr, a, g


def levenberg_marquardt(
    problem: Evaluator,
    theta0: Array,
    lower: Array,
    upper: Array,
    options: SolverOptions,
) -> _LMOut:
    """Minimise the sum of squared residuals of B independent problems at once.

    ``problem(theta, rows, jac)`` returns residuals ``(b, M)``, the Jacobian of the
    model (not of the residuals) ``(b, M, K)`` and per-row error messages (or
    ``None`` when no row raised). Bounds are honoured by projection, with
    parameters held at an active bound removed from the step (a projected
    Levenberg-Marquardt method). Damping follows Nielsen (1999) with Moré's
    (1978) scaling by the largest diagonal of J'J seen so far. The steps are
    solved with the compiled kernels if ``options.backend`` is ``"compiled"``.
    """
    compiled = options.backend == "compiled"
    b, k = theta0.shape
    theta = np.clip(theta0.astype(float), lower, upper)
    ssr, a, g, errs = problem.normal(theta, np.arange(b))
    error: dict[int, str] = {}
    if errs is not None:
        error = {i: e for i, e in enumerate(errs) if e is not None}
    bad = ~np.isfinite(ssr) | ~np.isfinite(a).all(axis=(1, 2))
    for i in np.flatnonzero(bad).tolist():
        error.setdefault(i, "the model gives non-finite values at the starting parameters")
    lam = np.full(b, 1e-3)
    nu = np.full(b, 2.0)
    diag = np.zeros((b, k))
    niter = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.ones(b, dtype=bool)
    active[list(error)] = False
    lo_b = np.broadcast_to(lower, (b, k))
    hi_b = np.broadcast_to(upper, (b, k))

    for _ in range(options.max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        every = idx.size == b
        niter[idx] += 1
        if every:
            th, aa, gg, ss = theta, a, g, ssr
            lo, hi = lo_b, hi_b
        else:
            th, aa, gg, ss = theta[idx], a[idx], g[idx], ssr[idx]
            lo, hi = lo_b[idx], hi_b[idx]
        d_a = np.einsum("bkk->bk", aa)
        dmax = np.maximum(diag[idx], d_a)
        diag[idx] = dmax
        dscale = np.where(dmax > 0, dmax, 1.0)
        # parameters held at a bound the gradient pushes against are frozen this step
        hold = ((th <= lo) & (gg < 0)) | ((th >= hi) & (gg > 0))
        gp = np.where(hold, 0.0, gg)
        # gradient test: cosine between the residuals and each Jacobian column
        cnorm = np.sqrt(np.maximum(d_a, 1e-300))
        rnorm = np.sqrt(np.maximum(ss, 1e-300))
        gcos = np.max(np.abs(gp) / (cnorm * rnorm[:, None]), axis=1)
        done_g = (gcos <= options.gtol) | (ss <= 1e-300)
        damp = lam[idx, None] * dscale
        delta = batched_solve(aa, gp, damp, hold, compiled=compiled)
        for ii in np.flatnonzero(~np.isfinite(delta).all(axis=1)).tolist():
            mi = aa[ii] + np.diag(damp[ii])
            mi = np.where(hold[ii][:, None] | hold[ii][None, :], 0.0, mi) + np.diag(hold[ii] * 1.0)
            delta[ii] = np.linalg.lstsq(mi, gp[ii], rcond=None)[0]
        delta = np.where(np.isfinite(delta), delta, 0.0)
        tnew = np.clip(th + delta, lo, hi)
        step = tnew - th
        ssr_new, a_new, g_new, errn = problem.normal(tnew, idx)
        pred = 2.0 * np.einsum("bk,bk->b", step, gg) - np.einsum("bk,bkl,bl->b", step, aa, step)
        actual = ss - ssr_new
        finite = np.isfinite(ssr_new) & np.isfinite(a_new).all(axis=(1, 2))
        raised = np.zeros(idx.size, dtype=bool)
        if errn is not None:
            raised = np.array([e is not None for e in errn])
            for ii in np.flatnonzero(raised).tolist():
                error[int(idx[ii])] = (
                    f"{errn[ii]} (at parameters {np.array2string(tnew[ii], precision=4)})"
                )
                active[idx[ii]] = False
            finite &= ~raised
        with np.errstate(all="ignore"):
            rho = np.clip(np.where(pred > 0, actual / pred, -1.0), -1e6, 1e6)
        accept = finite & (rho > 1e-4)
        # damping (Nielsen)
        fac = np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
        lam[idx] = np.where(accept, lam[idx] * fac, lam[idx] * nu[idx])
        nu[idx] = np.where(accept, 2.0, nu[idx] * 2.0)
        # relative step and reduction tests on accepted steps
        snorm = np.sqrt(np.einsum("bk,bk,bk->b", step, step, dscale))
        tnorm = np.sqrt(np.einsum("bk,bk,bk->b", th, th, dscale))
        small_x = snorm <= options.xtol * (tnorm + options.xtol)
        base = np.maximum(ss, 1e-300)
        small_f = (np.abs(actual) <= options.ftol * base) & (np.abs(pred) <= options.ftol * base)
        stuck = (~accept) & (lam[idx] > 1e16)
        if accept.all() and every:
            theta, ssr, a, g = tnew, ssr_new, a_new, g_new
        else:
            upd = idx[accept]
            theta[upd] = tnew[accept]
            ssr[upd] = ssr_new[accept]
            a[upd] = a_new[accept]
            g[upd] = g_new[accept]
        done = (done_g | (accept & (small_x | small_f)) | stuck) & ~raised
        converged[idx[done]] = True
        active[idx[done]] = False

    return _LMOut(theta, ssr, a, niter, converged, error)


# ---------------------------------------------------------------- public entry


def _as_2d(name: str, v: object, n: int | None = None) -> Array:
    a = np.asarray(v, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ModelError(
            f"{name} must be 1-D (one curve) or 2-D (curves x points), got shape {a.shape}"
        )
    if n is not None and a.shape[0] == 1 and n > 1:
        a = np.broadcast_to(a, (n, a.shape[1]))  # a view: one x shared by every curve
    return a


def _per_curve(name: str, v: object, n: int) -> Array:
    a = np.asarray(v, dtype=float).reshape(-1)
    if a.size == 1:
        return np.full(n, float(a[0]))
    if a.size != n:
        raise ModelError(f"{name} has {a.size} values for {n} curves")
    return a


def fit_curves(
    model: Model,
    x: object,
    y: object,
    *,
    weights: str | object | None = None,
    fixed: Mapping[str, float | Sequence[float] | Array] | None = None,
    shared: Sequence[str] = (),
    bounds: Mapping[str, tuple[float, float]] | None = None,
    p0: Mapping[str, float | Sequence[float] | Array] | None = None,
    constants: Mapping[str, float | Sequence[float] | Array] | None = None,
    labels: Sequence[object] | None = None,
    exclude: object | None = None,
    level: float = 0.95,
    options: SolverOptions | None = None,
) -> BatchFit:
    """Fit ``N`` curves of one model in one call.

    Parameters
    ----------
    model
        A :class:`~pdstudy.fitting.models.Model` (built-in or :func:`user_model`).
    x, y
        ``(N, M)`` arrays (``x`` may be ``(M,)`` shared by all curves). NaN in ``y``
        (or ``x``) marks a missing point, so curves may have different numbers of
        points. Replicates are simply repeated ``x`` values.
    weights
        ``None`` (ordinary least squares), ``"1/y2"`` (relative weighting, by the
        observed Y), or an ``(N, M)`` array of weights (e.g. ``1/SD**2`` from
        :func:`replicate_weights`).
    fixed
        Parameters held constant: a value for all curves or one per curve.
    shared
        Parameters shared by every curve of the batch (global fitting).
    bounds
        ``{name: (low, high)}`` overriding the model's default bounds.
    p0
        Starting values overriding the model's guess (scalar or one per curve).
    constants
        Values of the model's constants (e.g. ``radioligand_M``, ``kd_M``).
    labels
        Names of the curves, carried into the result tables.
    exclude
        ``(N, M)`` boolean mask of points to leave out (e.g. outliers).
    level
        Confidence level of the asymptotic intervals.
    """
    opts = options or SolverOptions()
    yy = _as_2d("y", y)
    n, mpts = yy.shape
    if opts.backend == "auto":
        # a global fit is one linear system, however large: numpy (LAPACK) serves it
        compiled = not shared and n * mpts >= COMPILED_MIN_POINTS
    else:
        compiled = opts.backend == "compiled"
    opts = dataclasses.replace(opts, backend="compiled" if compiled else "numpy")
    xx = _as_2d("x", x, n)
    if xx.shape != yy.shape:
        raise ModelError(f"x has shape {xx.shape} but y has shape {yy.shape}")
    names = model.params
    p = model.n_params
    fixed = dict(fixed or {})
    for key in list(fixed) + list(shared) + list(bounds or {}) + list(p0 or {}):
        model.index(key)
    if set(fixed) & set(shared):
        raise ModelError(f"parameters cannot be both fixed and shared: {set(fixed) & set(shared)}")
    consts: dict[str, Array] = {}
    for cname in model.constants:
        if constants is None or cname not in constants:
            if cname == "specific":
                continue
            raise ModelError(f"model {model.name!r} needs the constant {cname!r}")
        consts[cname] = _per_curve(cname, constants[cname], n).reshape(-1, 1)
    labels_t = tuple(labels) if labels is not None else tuple(range(n))
    if len(labels_t) != n:
        raise ModelError(f"{len(labels_t)} labels for {n} curves")

    # ---- weights and masks
    status = np.full(n, "converged", dtype=object)
    reason: list[str] = ["converged"] * n
    excl = np.zeros((n, mpts), dtype=bool) if exclude is None else np.asarray(exclude, bool)
    if excl.shape != yy.shape:
        raise ModelError(f"exclude has shape {excl.shape}, expected {yy.shape}")
    clean = exclude is None and bool(np.isfinite(yy).all()) and bool(np.isfinite(xx).all())
    if clean:  # the common case: every point present and finite
        present = np.ones(yy.shape, dtype=bool)
        infinite = np.zeros(yy.shape, dtype=bool)
        used = present
    else:
        present = ~np.isnan(yy) & ~np.isnan(xx)
        infinite = present & (~np.isfinite(yy) | ~np.isfinite(xx))
        used = present & ~infinite & ~excl
    if weights is None:
        w = np.ones_like(yy)
    elif isinstance(weights, str):
        if weights.replace(" ", "").lower() not in ("1/y2", "1/y^2"):
            raise ModelError(f"unknown weighting {weights!r}; use None, '1/y2' or an array")
        with np.errstate(divide="ignore"):
            w = 1.0 / yy**2
    else:
        w = _as_2d("weights", weights, n)
        if w.shape != yy.shape:
            raise ModelError(f"weights have shape {w.shape}, expected {yy.shape}")
    if clean and weights is None:
        badw = infinite
        sw = w
    else:
        badw = used & (~np.isfinite(w) | (w <= 0))
        sw = np.where(used & ~badw, np.sqrt(np.where(badw | ~used, 0.0, w)), 0.0)

    # ---- starting values, fixed values, bounds
    lower = np.array(model.lower, dtype=float)
    upper = np.array(model.upper, dtype=float)
    for key, (lo, hi) in (bounds or {}).items():
        lower[model.index(key)], upper[model.index(key)] = lo, hi
    if np.any(lower > upper):
        raise ModelError("a lower bound is above its upper bound")
    yg = yy if clean else np.where(used, yy, np.nan)
    xg = xx if clean else np.where(used, xx, np.nan)
    start, guess_failed = _guess(model, xg, yg, consts)
    given = np.zeros(p, dtype=bool)  # parameters whose start the caller chose
    for key, val in (p0 or {}).items():
        start[:, model.index(key)] = _per_curve(key, val, n)
        given[model.index(key)] = True
    free = np.ones(p, dtype=bool)
    for key, val in fixed.items():
        start[:, model.index(key)] = _per_curve(key, val, n)
        free[model.index(key)] = False
        given[model.index(key)] = True
    # a guess that raised or gave no value: the parameter starts from its default
    guess_notes: dict[int, str] = {}
    missing = ~np.isfinite(start) & ~given
    for i in np.flatnonzero(missing.any(axis=1)).tolist():
        used_default = [
            f"{names[k]} = {model.defaults.get(names[k], 1.0):g}"
            for k in np.flatnonzero(missing[i]).tolist()
        ]
        why = guess_failed.get(i)
        head = (
            f"initial guess failed: {why}"
            if why
            else "initial guess gave no value for "
            + ", ".join(names[k] for k in np.flatnonzero(missing[i]).tolist())
        )
        guess_notes[i] = f"{head}; started from defaults ({', '.join(used_default)})"
    defaults = np.array([model.defaults.get(nm, 1.0) for nm in names], dtype=float)
    start = np.where(missing, defaults, start)
    # start strictly inside finite bounds (a start on a bound can stall the search)
    both = np.isfinite(lower) & np.isfinite(upper)
    margin = np.where(both, 1e-6 * (upper - lower), 0.0)
    start = np.where(free, np.clip(start, lower + margin, upper - margin), start)
    on_lo = free & np.isfinite(lower) & ~both & (start <= lower)
    with np.errstate(invalid="ignore"):
        nudged = lower + np.maximum(np.abs(lower) * 1e-3, 1e-300)
    start = np.where(on_lo, nudged, start)
    shared_mask = np.zeros(p, dtype=bool)
    for key in shared:
        shared_mask[model.index(key)] = True
    local_mask = free & ~shared_mask

    # ---- per-curve checks before fitting
    npts = used.sum(axis=1)
    n_free_curve = int(local_mask.sum()) + (int(shared_mask.sum()) if not shared else 0)
    flagged = (
        ~present.any(axis=1)
        | infinite.any(axis=1)
        | badw.any(axis=1)
        | ((npts <= n_free_curve) if not shared else np.zeros(n, dtype=bool))
    )
    for i in np.flatnonzero(flagged).tolist():
        if not present[i].any():
            status[i], reason[i] = "failed", "no data: every point is missing (NaN)"
        elif infinite[i].any():
            k = int(np.flatnonzero(infinite[i])[0])
            status[i] = "failed"
            reason[i] = (
                f"infinite value at point {k} (x={xx[i, k]:g}, y={yy[i, k]:g}); "
                f"{int(infinite[i].sum())} such point(s)"
            )
        elif badw[i].any():
            k = int(np.flatnonzero(badw[i])[0])
            status[i] = "failed"
            reason[i] = (
                f"weight at point {k} (x={xx[i, k]:g}, y={yy[i, k]:g}) is not a positive number"
            )
        elif npts[i] < n_free_curve:
            status[i] = "failed"
            reason[i] = f"{int(npts[i])} point(s) for {n_free_curve} free parameters"
        else:
            status[i] = "failed"
            reason[i] = (
                f"{int(npts[i])} points for {n_free_curve} free parameters: "
                "no degrees of freedom left to judge the fit"
            )
    # x order does not matter to the fit, but a user may want to know
    if clean and xx.strides[0] == 0:  # one x shared by every curve
        unsorted: Array = np.full(n, bool(np.any(np.diff(xx[0]) < 0)))
    else:
        running = np.maximum.accumulate(np.where(used, xx, -np.inf), axis=1)
        prev = np.concatenate([np.full((n, 1), -np.inf), running[:, :-1]], axis=1)
        unsorted = np.asarray((used & (xx < prev)).any(axis=1))

    ok = status != "failed"
    # missing points get a harmless x (the curve's mean x) and weight 0
    if clean:
        xfit, yfit = xx, yy
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            xfill = np.nanmean(np.where(used, xx, np.nan), axis=1)
        xfit = np.where(used, xx, np.where(np.isfinite(xfill), xfill, 0.0)[:, None])
        yfit = np.where(used, yy, 0.0)
    params = start.copy()
    ssr = np.full(n, np.nan)
    niter = np.zeros(n, dtype=int)
    cov = np.full((n, p, p), np.nan)
    df_all = np.full(n, np.nan)
    wconst = {k: v for k, v in consts.items()}

    if shared:
        idx = np.flatnonzero(ok)
        if idx.size:
            prob = _SharedProblem(
                model,
                xfit[idx],
                yfit[idx],
                sw[idx],
                {k: v[idx] for k, v in wconst.items()},
                start[idx],
                local_mask,
                shared_mask,
            )
            theta0 = np.concatenate(
                [start[idx][:, local_mask].reshape(-1), start[idx][0, shared_mask]]
            )[None, :]
            lo_g = np.concatenate([np.tile(lower[local_mask], idx.size), lower[shared_mask]])
            hi_g = np.concatenate([np.tile(upper[local_mask], idx.size), upper[shared_mask]])
            k_glob = theta0.shape[1]
            n_glob = int(used[idx].sum())
            if n_glob <= k_glob:
                for i in idx.tolist():
                    status[i] = "failed"
                    reason[i] = f"global fit has {n_glob} points for {k_glob} free parameters"
            else:
                out = levenberg_marquardt(prob, theta0, lo_g, hi_g, opts)
                pfit = prob.unpack(out.theta)
                params[idx] = pfit
                df_g = n_glob - k_glob
                s2 = out.ssr[0] / df_g
                gcov, dep = _covariance(out.jtj[0:1], s2, compiled)
                # per-curve covariance over the full parameter vector
                for ii, i in enumerate(idx.tolist()):
                    sel = np.full(p, -1)
                    loc = np.flatnonzero(local_mask)
                    sel[loc] = ii * prob.nl + np.arange(prob.nl)
                    sel[np.flatnonzero(shared_mask)] = idx.size * prob.nl + np.arange(prob.ns)
                    c = np.zeros((p, p))
                    have = sel >= 0
                    c[np.ix_(have, have)] = gcov[0][np.ix_(sel[have], sel[have])]
                    cov[i] = c
                    r_i = yy[i] - model(xx[i], pfit[ii], {k: v[i] for k, v in consts.items()})
                    ssr[i] = float(np.sum(np.where(used[i], (r_i * sw[i]) ** 2, 0.0)))
                    df_all[i] = df_g
                    niter[i] = out.niter[0]
                    st, rs = _judge_batch(
                        out.converged,
                        out.error,
                        dep,
                        out.theta,
                        lo_g,
                        hi_g,
                        names_global(names, local_mask, shared_mask, idx.size),
                        opts,
                    )
                    status[i], reason[i] = st[0], rs.get(0, "converged")
    else:
        idx = np.flatnonzero(ok)
        if idx.size:
            out = _solve_chunked(
                lambda rows: _Problem(
                    model,
                    xfit[rows],
                    yfit[rows],
                    sw[rows],
                    {k: v[rows] for k, v in wconst.items()},
                    start[rows],
                    free,
                    compiled,
                ),
                idx,
                start[:, free],
                lower[free],
                upper[free],
                opts,
            )
            params[np.ix_(idx, free)] = out.theta
            ssr[idx] = out.ssr
            niter[idx] = out.niter
            df_i = npts[idx] - int(free.sum())
            df_all[idx] = df_i
            with np.errstate(all="ignore"):
                s2 = out.ssr / np.maximum(df_i, 1)
            c, dep = _covariance(out.jtj, s2, compiled)
            cov[np.ix_(idx, free, free)] = c
            cov[np.ix_(idx, ~free)] = 0.0
            cov[np.ix_(idx, free, ~free)] = 0.0
            st, rs = _judge_batch(
                out.converged,
                out.error,
                dep,
                out.theta,
                lower[free],
                upper[free],
                [names[k] for k in np.flatnonzero(free).tolist()],
                opts,
            )
            status[idx] = st
            for ii, msg in rs.items():
                reason[int(idx[ii])] = msg

    failed = status == "failed"
    params[failed] = np.where(free, np.nan, params[failed])
    ssr[failed] = np.nan
    for i, note in guess_notes.items():
        if not flagged[i]:  # a curve with no usable data was never started
            reason[i] = f"{reason[i]}; {note}"
    for i in np.flatnonzero(~failed & unsorted).tolist():
        reason[i] = f"{reason[i]}; x was not sorted (order does not matter to the fit)"

    se = np.sqrt(np.clip(np.einsum("npp->np", np.nan_to_num(cov, nan=np.nan)), 0, None))
    se = np.where(free, se, np.nan)
    tcrit = _t_quantile(0.5 + level / 2.0, df_all)
    ci_low = params - tcrit[:, None] * se
    ci_high = params + tcrit[:, None] * se
    return BatchFit(
        model=model,
        labels=labels_t,
        x=xx,
        y=yy,
        used=used,
        weights=sw**2,
        constants={k: v[:, 0] for k, v in consts.items()},
        params=params,
        free=free,
        shared=tuple(shared),
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        cov=cov,
        ssr=ssr,
        n_points=npts,
        df=df_all,
        n_iter=niter,
        status=tuple(str(s) for s in status),
        reason=tuple(reason),
        level=level,
        lower=lower,
        upper=upper,
    )


def _guess(
    model: Model, x: Array, y: Array, consts: Mapping[str, Array]
) -> tuple[Array, dict[int, str]]:
    """The model's starting values for a batch (NaN where it has none), and for each
    curve on which the guess raised, the exception. A guess that raises on the
    batch is retried curve by curve, so one odd curve does not cost the others
    their data-derived starts."""
    n, p = x.shape[0], model.n_params
    start = np.full((n, p), np.nan)
    failed: dict[int, str] = {}
    if model.guess is None:
        return start, failed
    guess: GuessFunc = model.guess

    def one(xs: Array, ys: Array, cs: Mapping[str, Array]) -> Array:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN curves
            return np.asarray(guess(xs, ys, cs), dtype=float).reshape(xs.shape[0], p)

    try:
        return one(x, y, consts), failed
    except Exception:  # noqa: BLE001 - retried curve by curve below
        pass
    for i in range(n):
        try:
            start[i] = one(x[i : i + 1], y[i : i + 1], {k: v[i : i + 1] for k, v in consts.items()})
        except Exception as exc:  # noqa: BLE001 - a user guess may raise anything
            failed[i] = f"{type(exc).__name__}: {exc}"
    return start, failed


def _t_quantile(q: float, df: Array) -> Array:
    """Student t quantile for each df (computed once per distinct df)."""
    out = np.full(df.shape, np.nan)
    good = np.isfinite(df) & (df > 0)
    if good.any():
        uniq, inv = np.unique(df[good], return_inverse=True)
        out[good] = stats.t.ppf(q, uniq)[inv]
    return out


def _solve_chunked(
    make: Callable[[Array], Evaluator],
    idx: Array,
    start: Array,
    lower: Array,
    upper: Array,
    opts: SolverOptions,
) -> _LMOut:
    """Run the solver on cache-sized chunks of the batch, on ``opts.threads`` threads
    (numpy releases the GIL inside its array operations)."""
    size = max(1, opts.chunk)
    chunks = [idx[i : i + size] for i in range(0, idx.size, size)]

    def run(rows: Array) -> _LMOut:
        return levenberg_marquardt(make(rows), start[rows], lower, upper, opts)

    if len(chunks) == 1:
        return run(chunks[0])
    offsets = np.cumsum([0] + [c.size for c in chunks[:-1]]).tolist()
    workers = max(1, min(opts.threads or (os.cpu_count() or 1), len(chunks)))
    if workers == 1:
        outs = [run(c) for c in chunks]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outs = list(pool.map(run, chunks))
    return _LMOut(
        np.concatenate([o.theta for o in outs]),
        np.concatenate([o.ssr for o in outs]),
        np.concatenate([o.jtj for o in outs]),
        np.concatenate([o.niter for o in outs]),
        np.concatenate([o.converged for o in outs]),
        {off + i: e for off, o in zip(offsets, outs, strict=True) for i, e in o.error.items()},
    )


def names_global(names: Sequence[str], local: Array, shared: Array, ncurves: int) -> list[str]:
    loc = [names[k] for k in np.flatnonzero(local).tolist()]
    out = [f"{nm}[{i}]" for i in range(ncurves) for nm in loc]
    return out + [f"{names[k]} (shared)" for k in np.flatnonzero(shared).tolist()]


def _covariance(a: Array, s2: Array | float, compiled: bool = False) -> tuple[Array, Array]:
    """Scaled covariance ``s2 * (J'J)^-1`` and Prism's dependency of each parameter
    (``1 - 1/VIF``), from J'J of a batch."""
    k = a.shape[-1]
    d = np.sqrt(np.clip(np.einsum("bkk->bk", a), 0, None))
    singular_col = d <= 1e-300
    with np.errstate(all="ignore"):
        an = a / (d[:, :, None] * d[:, None, :])
    an = np.where(np.isfinite(an), an, 0.0) + singular_col[:, :, None] * np.eye(k)
    inv_n = batched_inv(np.ascontiguousarray(an), compiled=compiled)
    for i in np.flatnonzero(~np.isfinite(inv_n).all(axis=(1, 2))).tolist():
        inv_n[i] = np.linalg.pinv(an[i])
    with np.errstate(all="ignore"):
        cov = inv_n / (d[:, :, None] * d[:, None, :]) * np.reshape(s2, (-1, 1, 1))
        diag_inv = np.einsum("bkk->bk", inv_n)
        dep = np.where(singular_col | (diag_inv <= 0), 1.0, 1.0 - 1.0 / diag_inv)
    dep = np.where(np.isfinite(dep), dep, 1.0)
    cov = np.where(np.isfinite(cov), cov, np.nan)
    return cov, dep


def _judge_batch(
    converged: Array,
    errors: Mapping[int, str],
    dependency: Array,
    theta: Array,
    lower: Array,
    upper: Array,
    names: Sequence[str],
    opts: SolverOptions,
) -> tuple[Array, dict[int, str]]:
    """Status and reason of each curve of a finished run (vectorised for the clean case)."""
    b = theta.shape[0]
    err = np.zeros(b, dtype=bool)
    err[list(errors)] = True
    amb = dependency > opts.dependency
    with np.errstate(invalid="ignore"):
        at_lo = np.isfinite(lower) & (theta <= lower + 1e-9 * np.abs(lower))
        at_hi = np.isfinite(upper) & (theta >= upper - 1e-9 * np.abs(upper))
    status = np.full(b, "converged", dtype=object)
    status[(at_lo | at_hi).any(axis=1)] = "at_bound"
    status[amb.any(axis=1)] = "ambiguous"
    status[~converged] = "max_iterations"
    status[err] = "failed"
    reasons: dict[int, str] = {}
    for i in np.flatnonzero(status != "converged").tolist():
        if status[i] == "failed":
            reasons[i] = str(errors[i])
        elif status[i] == "max_iterations":
            reasons[i] = f"did not converge in {opts.max_iter} iterations"
        elif status[i] == "ambiguous":
            which = ", ".join(nm for nm, a in zip(names, amb[i], strict=True) if a)
            reasons[i] = (
                f"the data do not determine {which} (dependency > {opts.dependency}); "
                "constrain or fix it, or collect more data"
            )
        else:
            hit = [
                f"{nm} = {'lower' if lo else 'upper'} bound {t:g}"
                for nm, lo, hi, t in zip(names, at_lo[i], at_hi[i], theta[i], strict=True)
                if lo or hi
            ]
            reasons[i] = "parameter at a bound: " + "; ".join(hit)
    return status, reasons


def replicate_weights(x: object, y: object) -> Array:
    """Weights ``1/SD^2`` where SD is that of the replicates at each x of each curve.

    Points whose x has fewer than two replicates get the curve's pooled SD.
    """
    xx = np.atleast_2d(np.asarray(x, dtype=float))
    yy = np.atleast_2d(np.asarray(y, dtype=float))
    xx = np.broadcast_to(xx, yy.shape)
    w = np.full(yy.shape, np.nan)
    for i in range(yy.shape[0]):
        ok = ~np.isnan(yy[i]) & np.isfinite(xx[i])
        sds = np.full(yy.shape[1], np.nan)
        for xv in np.unique(xx[i][ok]):
            sel = ok & (xx[i] == xv)
            if sel.sum() > 1:
                sds[sel] = np.std(yy[i][sel], ddof=1)
        pooled = np.sqrt(np.nanmean(sds**2)) if np.isfinite(sds).any() else np.nan
        sds = np.where(np.isfinite(sds) & (sds > 0), sds, pooled)
        w[i] = np.where(ok, 1.0 / sds**2, np.nan)
    return w
