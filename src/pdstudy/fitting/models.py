"""Curve models in GraphPad Prism's forms, as pure batched functions.

Every model works on a batch of curves at once: ``x`` and the result have shape
``(N, M)`` (N curves of M points), parameters ``p`` shape ``(N, P)``, per-curve
constants are ``(N, 1)`` arrays. X is log10 molar for the competition models
and molar for the hyperbolic ones (saturation binding, Michaelis-Menten).

Each model knows its analytic Jacobian, a starting guess from the data and its
default bounds. :func:`user_model` wraps any curve_fit-style function
``f(x, a, b, ...)`` and differentiates it numerically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pdstudy.errors import ModelError

Array = NDArray[Any]
Consts = Mapping[str, Array]
ModelFunc = Callable[[Array, Array, Consts], Array]
GuessFunc = Callable[[Array, Array, Consts], Array]
NormalFunc = Callable[[Array, Array, Array, Array, Consts], tuple[Array, Array, Array]]

LN10 = np.log(10.0)
_INF = np.inf


@dataclass(frozen=True)
class Model:
    """A curve model: function, Jacobian, starting guess and default bounds.

    Attributes
    ----------
    name
        Short identifier, e.g. ``"four_pl"``.
    params
        Parameter names in the order of the columns of ``p``.
    func
        ``func(x, p, consts) -> y`` on ``(N, M)`` arrays.
    jac
        ``jac(x, p, consts) -> (N, M, P)``; ``None`` means numeric differences.
    guess
        ``guess(x, y, consts) -> (N, P)`` starting values; NaN marks missing points.
    lower, upper
        Default bounds per parameter (``-inf``/``inf`` for none).
    constants
        Names of per-curve constants the model needs (e.g. radioligand concentration).
    potency
        The parameter whose profile-likelihood CI is reported by default.
    equation
        The equation in words, for reports and methods text.
    vectorized
        False for user functions that cannot take batched arrays.
    fjac
        Optional ``fjac(x, p, consts) -> (y, jacobian)`` sharing the work of both.
    normal
        Optional fused, compiled ``normal(x, y, sw, p, consts) -> (ssr, J'J, J'r)``
        (``sw`` = square roots of the weights); the solver uses it for large
        batches (the compiled path) and ``fjac``/``jac`` with numpy otherwise.
    """

    name: str
    params: tuple[str, ...]
    func: ModelFunc
    jac: ModelFunc | None = None
    guess: GuessFunc | None = None
    fjac: Callable[[Array, Array, Consts], tuple[Array, Array]] | None = None
    normal: NormalFunc | None = None
    lower: tuple[float, ...] = ()
    upper: tuple[float, ...] = ()
    constants: tuple[str, ...] = ()
    potency: str | None = None
    equation: str = ""
    vectorized: bool = True
    x_is_log: bool = True
    defaults: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.params)
        if not self.lower:
            object.__setattr__(self, "lower", (-_INF,) * n)
        if not self.upper:
            object.__setattr__(self, "upper", (_INF,) * n)
        if len(self.lower) != n or len(self.upper) != n:
            raise ModelError(f"model {self.name!r}: bounds must have one entry per parameter")

    def __reduce__(self) -> Any:
        """Built-in models pickle by name (their functions may be lambdas); others by value."""
        key = _BUILTIN_KEYS.get(id(self))
        if key is not None:
            return (builtin_model, (key,))
        return super().__reduce__()

    @property
    def n_params(self) -> int:
        return len(self.params)

    def index(self, name: str) -> int:
        try:
            return self.params.index(name)
        except ValueError:
            raise ModelError(
                f"model {self.name!r} has no parameter {name!r}; it has {', '.join(self.params)}"
            ) from None

    def __call__(self, x: Array, p: Array, consts: Consts | None = None) -> Array:
        """Evaluate on a batch (or a single curve: 1-D x and p)."""
        x = np.asarray(x, dtype=float)
        p = np.asarray(p, dtype=float)
        single = p.ndim == 1
        x2 = np.atleast_2d(x)
        p2 = np.atleast_2d(p)
        c = {k: np.asarray(v, dtype=float).reshape(-1, 1) for k, v in (consts or {}).items()}
        out = self.func(x2, p2, c)
        return out[0] if single and x.ndim == 1 else out


def jacobian(model: Model, x: Array, p: Array, consts: Mapping[str, Array], f: Array) -> Array:
    """Jacobian (N, M, P) of the model: analytic where the model has one, else central differences."""
    if model.jac is not None:
        return np.asarray(model.jac(x, p, consts), dtype=float)
    # central differences, relative steps
    h = np.cbrt(np.finfo(float).eps) * np.where(p != 0, np.abs(p), 1.0)
    out = np.empty(x.shape + (p.shape[1],))
    for k in range(p.shape[1]):
        hp = p.copy()
        hm = p.copy()
        hp[:, k] += h[:, k]
        hm[:, k] -= h[:, k]
        dk = (hp[:, k] - hm[:, k])[:, None]
        out[..., k] = (model.func(x, hp, consts) - model.func(x, hm, consts)) / dk
    return out


# ---------------------------------------------------------------- helpers for guesses


def _nanfirst_last(x: Array, y: Array) -> tuple[Array, Array, Array, Array]:
    """Mean y at the lowest and the highest x of each curve, and the x range."""
    if x.strides[0] == 0 and not np.isnan(y).any():  # one x shared by every curve, no gaps
        x0 = x[0]
        lo_cols = x0 == x0.min()
        hi_cols = x0 == x0.max()
        n = y.shape[0]
        return (
            y[:, lo_cols].mean(axis=1),
            y[:, hi_cols].mean(axis=1),
            np.full(n, x0.min()),
            np.full(n, x0.max()),
        )
    xm = np.where(np.isnan(y), np.nan, x)
    with np.errstate(all="ignore"):
        xmin = np.fmin.reduce(xm, axis=1)
        xmax = np.fmax.reduce(xm, axis=1)
        at_lo = xm == xmin[:, None]
        at_hi = xm == xmax[:, None]
        lo = np.where(at_lo, y, 0.0).sum(axis=1) / at_lo.sum(axis=1)
        hi = np.where(at_hi, y, 0.0).sum(axis=1) / at_hi.sum(axis=1)
    return lo, hi, xmin, xmax


def _midpoint_x(x: Array, y: Array, y_low_x: Array, y_high_x: Array) -> Array:
    """x where the data cross halfway between the two ends (mean x of the
    points nearest to the halfway response)."""
    half = 0.5 * (y_low_x + y_high_x)
    with np.errstate(all="ignore"):
        d = np.abs(y - half[:, None])
        if np.isnan(d).any():
            d = np.where(np.isnan(d), np.inf, d)
        idx = np.argmin(d, axis=1)
        xm = x[np.arange(x.shape[0]), idx]
    return xm


def _safe(v: Array, fill: float) -> Array:
    return np.where(np.isfinite(v), v, fill)


# ---------------------------------------------------------------- sigmoidal models


def _four_pl_fjac(x: Array, p: Array, c: Consts) -> tuple[Array, Array]:
    bottom, top, logc, hill = p[:, 0:1], p[:, 1:2], p[:, 2:3], p[:, 3:4]
    d = logc - x
    e = np.exp(np.clip(d * hill, -300.0, 300.0) * LN10)
    s = 1.0 / (1.0 + e)  # fraction of the way from bottom to top
    span = top - bottom
    f = bottom + span * s
    ds = (-LN10) * e * s * s * span  # d f / d u, u = (logc - x) * hill
    j = np.empty(x.shape + (4,))
    j[..., 1] = s
    np.subtract(1.0, s, out=j[..., 0])
    np.multiply(ds, hill, out=j[..., 2])
    np.multiply(ds, d, out=j[..., 3])
    return f, j


def _four_pl(x: Array, p: Array, c: Consts) -> Array:
    bottom, top, logc, hill = p[:, 0:1], p[:, 1:2], p[:, 2:3], p[:, 3:4]
    with np.errstate(over="ignore"):
        e = np.exp(np.clip((logc - x) * hill, -300.0, 300.0) * LN10)
    return bottom + (top - bottom) / (1.0 + e)


def _four_pl_jac(x: Array, p: Array, c: Consts) -> Array:
    return _four_pl_fjac(x, p, c)[1]


def _sigmoid_guess(x: Array, y: Array) -> tuple[Array, Array, Array, Array]:
    y_at_low, y_at_high, xmin, xmax = _nanfirst_last(x, y)
    with np.errstate(all="ignore"):
        ymin = np.fmin.reduce(y, axis=1)
        ymax = np.fmax.reduce(y, axis=1)
    decreasing = _safe(y_at_low, 0.0) >= _safe(y_at_high, 0.0)
    top = np.where(decreasing, _safe(y_at_low, 1.0), _safe(y_at_high, 1.0))
    bottom = np.where(decreasing, _safe(y_at_high, 0.0), _safe(y_at_low, 0.0))
    # plateaus lie at least at the extremes of the data
    top = np.where(decreasing, np.fmax(top, ymax), np.fmax(top, ymax))
    bottom = np.fmin(bottom, ymin)
    top = _safe(top, 1.0)
    bottom = _safe(bottom, 0.0)
    logc = _safe(_midpoint_x(x, y, y_at_low, y_at_high), 0.0)
    return bottom, top, logc, np.where(decreasing, -1.0, 1.0)


def _four_pl_normal_compiled(x: Array, y: Array, sw: Array, p: Array) -> tuple[Array, Array, Array]:
    """SSR, J'J and J'r of the four-parameter logistic, from the compiled kernel
    (numba is imported, and the kernel compiled or loaded, on the first call)."""
    from pdstudy.fitting import _kernels

    return _kernels.four_pl_normal(x, y, sw, p)


def _four_pl_guess(x: Array, y: Array, c: Consts) -> Array:
    bottom, top, logc, sign = _sigmoid_guess(x, y)
    return np.stack([bottom, top, logc, sign], axis=1)


FOUR_PL = Model(
    name="four_pl",
    params=("bottom", "top", "log_ic50", "hill"),
    func=_four_pl,
    jac=_four_pl_jac,
    fjac=_four_pl_fjac,
    normal=lambda x, y, sw, p, c: _four_pl_normal_compiled(x, y, sw, p),
    guess=_four_pl_guess,
    lower=(-_INF, -_INF, -_INF, -10.0),
    upper=(_INF, _INF, _INF, 10.0),
    potency="log_ic50",
    equation="Y = Bottom + (Top - Bottom) / (1 + 10^((LogIC50 - X) * HillSlope))",
)
"""Variable-slope four-parameter logistic (Prism: log(inhibitor) vs. response --
variable slope). Inhibition curves have a negative Hill slope, stimulation
curves a positive one; the guess takes the sign from the data."""


def _one_site(x: Array, p: Array, c: Consts) -> Array:
    q = np.concatenate([p[:, :3], -np.ones((p.shape[0], 1))], axis=1)
    return _four_pl(x, q, c)


def _one_site_jac(x: Array, p: Array, c: Consts) -> Array:
    q = np.concatenate([p[:, :3], -np.ones((p.shape[0], 1))], axis=1)
    return _four_pl_jac(x, q, c)[..., :3]


def _one_site_normal(
    x: Array, y: Array, sw: Array, p: Array, c: Consts, shift: Array | float = 0.0
) -> tuple[Array, Array, Array]:
    q = np.empty((p.shape[0], 4))
    q[:, :3] = p[:, :3]
    q[:, 2] += shift
    q[:, 3] = -1.0
    ssr, a, g = _four_pl_normal_compiled(x, y, sw, q)
    return ssr, a[:, :3, :3], g[:, :3]


def _one_site_guess(x: Array, y: Array, c: Consts) -> Array:
    bottom, top, logc, _ = _sigmoid_guess(x, y)
    # Hill -1 is a decreasing curve: top is the response at low x
    y_at_low, y_at_high, _, _ = _nanfirst_last(x, y)
    top = np.where(_safe(y_at_low, 1) >= _safe(y_at_high, 0), top, bottom)
    bottom2 = np.where(_safe(y_at_low, 1) >= _safe(y_at_high, 0), bottom, top)
    return np.stack([bottom2, top, logc], axis=1)


ONE_SITE = Model(
    name="one_site",
    params=("bottom", "top", "log_ic50"),
    func=_one_site,
    jac=_one_site_jac,
    normal=_one_site_normal,
    guess=_one_site_guess,
    potency="log_ic50",
    equation="Y = Bottom + (Top - Bottom) / (1 + 10^(X - LogIC50))",
)
"""One-site competition, Hill slope fixed at -1 (Prism: One site -- Fit logIC50)."""


def _ki_shift(c: Consts) -> Array:
    try:
        hot = c["radioligand_M"]
        kd = c["kd_M"]
    except KeyError as err:
        raise ModelError(
            f"model needs the constant {err.args[0]!r} (radioligand concentration and its Kd, molar)"
        ) from None
    return np.log10(1.0 + hot / kd)


def _one_site_ki(x: Array, p: Array, c: Consts) -> Array:
    q = p.copy()
    q[:, 2] = p[:, 2] + _ki_shift(c)[:, 0]
    return _one_site(x, q, c)


def _one_site_ki_jac(x: Array, p: Array, c: Consts) -> Array:
    q = p.copy()
    q[:, 2] = p[:, 2] + _ki_shift(c)[:, 0]
    return _one_site_jac(x, q, c)


def _one_site_ki_guess(x: Array, y: Array, c: Consts) -> Array:
    g = _one_site_guess(x, y, c)
    g[:, 2] -= _ki_shift(c)[:, 0]
    return g


ONE_SITE_KI = Model(
    name="one_site_ki",
    params=("bottom", "top", "log_ki"),
    func=_one_site_ki,
    jac=_one_site_ki_jac,
    normal=lambda x, y, sw, p, c: _one_site_normal(x, y, sw, p, c, _ki_shift(c)[:, 0]),
    guess=_one_site_ki_guess,
    constants=("radioligand_M", "kd_M"),
    potency="log_ki",
    equation=(
        "logEC50 = log10(10^LogKi * (1 + [L]/Kd)); "
        "Y = Bottom + (Top - Bottom) / (1 + 10^(X - logEC50))"
    ),
)
"""One-site competition fitting log Ki directly (Prism: One site -- Fit Ki), with
the radioligand concentration ``radioligand_M`` and its ``kd_M`` held constant."""


def _two_site(x: Array, p: Array, c: Consts) -> Array:
    bottom, top, frac, lh, ll = (p[:, k : k + 1] for k in range(5))
    with np.errstate(over="ignore"):
        sh = 1.0 / (1.0 + np.power(10.0, np.clip(x - lh, -300, 300)))
        sl = 1.0 / (1.0 + np.power(10.0, np.clip(x - ll, -300, 300)))
    return bottom + (top - bottom) * (frac * sh + (1.0 - frac) * sl)


def _two_site_jac(x: Array, p: Array, c: Consts) -> Array:
    bottom, top, frac, lh, ll = (p[:, k : k + 1] for k in range(5))
    eh = np.power(10.0, np.clip(x - lh, -300, 300))
    el = np.power(10.0, np.clip(x - ll, -300, 300))
    sh = 1.0 / (1.0 + eh)
    sl = 1.0 / (1.0 + el)
    mix = frac * sh + (1.0 - frac) * sl
    span = top - bottom
    j = np.empty(x.shape + (5,))
    j[..., 0] = 1.0 - mix
    j[..., 1] = mix
    j[..., 2] = span * (sh - sl)
    j[..., 3] = span * frac * LN10 * eh * sh * sh
    j[..., 4] = span * (1.0 - frac) * LN10 * el * sl * sl
    return j


def _two_site_guess(x: Array, y: Array, c: Consts) -> Array:
    g = _one_site_guess(x, y, c)
    n = g.shape[0]
    return np.column_stack([g[:, 0], g[:, 1], np.full(n, 0.5), g[:, 2] - 1.0, g[:, 2] + 1.0])


TWO_SITE = Model(
    name="two_site",
    params=("bottom", "top", "frac_high", "log_ic50_high", "log_ic50_low"),
    func=_two_site,
    jac=_two_site_jac,
    guess=_two_site_guess,
    lower=(-_INF, -_INF, 0.0, -_INF, -_INF),
    upper=(_INF, _INF, 1.0, _INF, _INF),
    potency="log_ic50_high",
    equation=(
        "Y = Bottom + (Top - Bottom) * (FractionHigh / (1 + 10^(X - LogIC50High)) "
        "+ (1 - FractionHigh) / (1 + 10^(X - LogIC50Low)))"
    ),
)
"""Two-site competition (Prism: Two sites -- Fit logIC50)."""


def _two_site_ki_q(p: Array, c: Consts) -> Array:
    q = p.copy()
    shift = _ki_shift(c)[:, 0]
    q[:, 3] += shift
    q[:, 4] += shift
    return q


TWO_SITE_KI = Model(
    name="two_site_ki",
    params=("bottom", "top", "frac_high", "log_ki_high", "log_ki_low"),
    func=lambda x, p, c: _two_site(x, _two_site_ki_q(p, c), c),
    jac=lambda x, p, c: _two_site_jac(x, _two_site_ki_q(p, c), c),
    guess=lambda x, y, c: _two_site_guess(x, y, c) - np.array([0, 0, 0, 1, 1]) * _ki_shift(c),
    lower=(-_INF, -_INF, 0.0, -_INF, -_INF),
    upper=(_INF, _INF, 1.0, _INF, _INF),
    constants=("radioligand_M", "kd_M"),
    potency="log_ki_high",
    equation="two-site competition with each logIC50 = log10(10^LogKi * (1 + [L]/Kd))",
)
"""Two-site competition fitting both log Ki values directly (Prism: Two sites -- Fit Ki)."""


# ---------------------------------------------------------------- hyperbolic models


def _hyperbola_guess(x: Array, y: Array) -> tuple[Array, Array]:
    with np.errstate(all="ignore"):
        ymax = np.nanmax(y, axis=1)
        vmax = _safe(ymax * 1.2, 1.0)
        half = 0.5 * vmax
        d = np.where(np.isnan(y), np.inf, np.abs(y - half[:, None]))
        idx = np.argmin(d, axis=1)
        k = x[np.arange(x.shape[0]), idx]
        k = np.where(np.isfinite(k) & (k > 0), k, np.nanmedian(x, axis=1))
    return vmax, _safe(k, 1.0)


def _hyperbola(x: Array, p: Array, c: Consts) -> Array:
    return p[:, 0:1] * x / (p[:, 1:2] + x)


def _hyperbola_jac(x: Array, p: Array, c: Consts) -> Array:
    vmax, k = p[:, 0:1], p[:, 1:2]
    den = k + x
    j = np.empty(x.shape + (2,))
    j[..., 0] = x / den
    j[..., 1] = -vmax * x / (den * den)
    return j


SATURATION = Model(
    name="saturation_one_site",
    params=("bmax", "kd"),
    func=_hyperbola,
    jac=_hyperbola_jac,
    guess=lambda x, y, c: np.stack(_hyperbola_guess(x, y), axis=1),
    lower=(0.0, 0.0),
    upper=(_INF, _INF),
    potency="kd",
    equation="Y = Bmax * X / (Kd + X)",
    x_is_log=False,
)
"""One site -- specific binding (X = free radioligand, molar)."""

MICHAELIS_MENTEN = Model(
    name="michaelis_menten",
    params=("vmax", "km"),
    func=_hyperbola,
    jac=_hyperbola_jac,
    guess=lambda x, y, c: np.stack(_hyperbola_guess(x, y), axis=1),
    lower=(0.0, 0.0),
    upper=(_INF, _INF),
    potency="km",
    equation="Y = Vmax * X / (Km + X)",
    x_is_log=False,
)
"""Michaelis-Menten kinetics (X = substrate concentration, molar)."""


def _total_nsb(x: Array, p: Array, c: Consts) -> Array:
    specific = c.get("specific")
    s = 1.0 if specific is None else specific
    bmax, kd, ns, bg = (p[:, k : k + 1] for k in range(4))
    return s * bmax * x / (kd + x) + ns * x + bg


def _total_nsb_jac(x: Array, p: Array, c: Consts) -> Array:
    specific = c.get("specific")
    s = 1.0 if specific is None else specific
    bmax, kd = p[:, 0:1], p[:, 1:2]
    den = kd + x
    j = np.empty(x.shape + (4,))
    j[..., 0] = s * x / den
    j[..., 1] = -s * bmax * x / (den * den)
    j[..., 2] = x
    j[..., 3] = 1.0
    return j


def _total_nsb_guess(x: Array, y: Array, c: Consts) -> Array:
    vmax, k = _hyperbola_guess(x, y)
    n = x.shape[0]
    with np.errstate(all="ignore"):
        xmax = np.nanmax(np.where(np.isnan(y), np.nan, x), axis=1)
        ns = _safe(0.1 * vmax / xmax, 0.0)
    return np.column_stack([vmax, k, ns, np.zeros(n)])


SATURATION_TOTAL_NSB = Model(
    name="saturation_total_nsb",
    params=("bmax", "kd", "ns", "background"),
    func=_total_nsb,
    jac=_total_nsb_jac,
    guess=_total_nsb_guess,
    lower=(0.0, 0.0, 0.0, -_INF),
    upper=(_INF, _INF, _INF, _INF),
    constants=("specific",),
    potency="kd",
    equation=(
        "Total = Bmax * X / (Kd + X) + NS * X + Background; Nonspecific = NS * X + Background"
    ),
    x_is_log=False,
)
"""One site -- total and nonspecific binding, fitted together: give the total curve
constant ``specific=1`` and the nonspecific curve ``specific=0``, and share every
parameter between the two (``shared=("bmax", "kd", "ns", "background")``)."""


BUILTIN: dict[str, Model] = {
    m.name: m
    for m in (
        ONE_SITE,
        ONE_SITE_KI,
        FOUR_PL,
        TWO_SITE,
        TWO_SITE_KI,
        SATURATION,
        SATURATION_TOTAL_NSB,
        MICHAELIS_MENTEN,
    )
}


def get_model(name: str) -> Model:
    """Look up a built-in model by name."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; built-in models: {', '.join(BUILTIN)}") from None


# ---------------------------------------------------------------- user models


def user_model(
    func: Callable[..., object],
    params: tuple[str, ...] | list[str],
    *,
    name: str | None = None,
    p0: Mapping[str, float] | None = None,
    lower: Mapping[str, float] | None = None,
    upper: Mapping[str, float] | None = None,
    vectorized: bool = True,
    potency: str | None = None,
    x_is_log: bool = False,
) -> Model:
    """Wrap a curve_fit-style function ``func(x, a, b, ...)`` as a :class:`Model`.

    The Jacobian is computed by central differences. With ``vectorized=True``
    the function is called once per batch with ``x`` of shape ``(N, M)`` and
    each parameter of shape ``(N, 1)`` (numpy expressions broadcast naturally);
    if that raises, the solver falls back to calling it curve by curve, and a
    curve on which it raises gets the status ``failed`` with the message.
    """
    params = tuple(params)
    if not params:
        raise ModelError("a user model needs at least one parameter name")
    p0 = dict(p0 or {})
    unknown = set(p0) - set(params)
    if unknown:
        raise ModelError(f"p0 names unknown parameter(s): {', '.join(sorted(unknown))}")

    def f(x: Array, p: Array, c: Consts) -> Array:
        out = func(x, *(p[:, k : k + 1] for k in range(p.shape[1])))
        return np.broadcast_to(np.asarray(out, dtype=float), x.shape)

    start = np.array([p0.get(k, 1.0) for k in params], dtype=float)

    def guess(x: Array, y: Array, c: Consts) -> Array:
        return np.tile(start, (x.shape[0], 1))

    return Model(
        name=str(name or getattr(func, "__name__", "user_model")),
        params=params,
        func=f,
        jac=None,
        guess=guess,
        lower=tuple((lower or {}).get(k, -_INF) for k in params),
        upper=tuple((upper or {}).get(k, _INF) for k in params),
        potency=potency,
        equation=f"user-defined function {getattr(func, '__name__', '')}",
        vectorized=vectorized,
        x_is_log=x_is_log,
    )


#: module-level models that pickle by key (results holding fits cross process boundaries,
#: and the models' functions may be closures)
_BUILTIN_MODELS: dict[str, Model] = {}
_BUILTIN_KEYS: dict[int, str] = {}


def register_builtin_model(model: Model, key: str | None = None) -> Model:
    """Let ``model`` (a module-level model, created once per process) pickle by ``key``.

    ``key`` defaults to the model's name; it must be unique.
    """
    key = key or model.name
    _BUILTIN_MODELS[key] = model
    _BUILTIN_KEYS[id(model)] = key
    return model


def builtin_model(key: str) -> Model:
    """The built-in model registered as ``key`` (what a pickled built-in model loads as).

    Importing the module that defines a model registers it; unpickling a result
    imports the result's module (which defines its models) before its fits.
    """
    return _BUILTIN_MODELS[key]


for _m in (
    FOUR_PL,
    ONE_SITE,
    ONE_SITE_KI,
    TWO_SITE,
    TWO_SITE_KI,
    SATURATION,
    MICHAELIS_MENTEN,
    SATURATION_TOTAL_NSB,
):
    register_builtin_model(_m)
