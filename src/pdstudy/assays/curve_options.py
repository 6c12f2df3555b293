"""The fit options of the concentration-response assays, as a GraphPad Prism user knows them.

One set of study-file keys serves competition binding (``[[binding]]``) and
uptake inhibition (``[[uptake]]``, mode inhibition), and the assay commands'
options are the same keys (``--model``, ``--fix-hill``, ``--fix-top``,
``--fix-bottom``, ``--confidence``):

``model``
    ``"auto"`` (default): each curve is fitted to the one-site model (Prism's
    "log(inhibitor) vs. response", Hill slope -1) and to the variable-slope
    model ("log(inhibitor) vs. response -- Variable slope", four parameters),
    and the extra sum-of-squares F test chooses. ``"one_site"`` or
    ``"variable_slope"``: that model for every curve, no F test.
``fix_hill``, ``fix_top``, ``fix_bottom``
    Hold a parameter at a value (Prism's "Constrain ... must equal"), in the
    units of the response: % specific binding or % of control, e.g.
    ``fix_bottom = 0`` and ``fix_top = 100``. The Hill slope is negative for an
    inhibition curve; -1 is the one-site model, any other value a
    variable-slope curve with its slope held (the F test is then not run).
``confidence``
    The level of every confidence interval (default 0.95), in (0.5, 1); also a
    key of ``[[saturation]]`` and of uptake kinetics.

:func:`fit_option_problems` checks the values (study file and command line),
:func:`fit_arguments` turns them into the analysis' arguments, and
:func:`fit_options_text` says them in a Methods sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pdstudy.assays.schema import Key, Problems

__all__ = [
    "CONFIDENCE_KEY",
    "CURVE_FIT_KEYS",
    "MODEL_WORDS",
    "ci_words",
    "confidence_problems",
    "confidence_rule",
    "fit_arguments",
    "fit_option_problems",
    "fit_options_rule",
    "fit_options_text",
]

#: the ``model`` choices and what each is in Prism's words
MODEL_WORDS = {
    "auto": "one site (Hill slope -1) or variable slope, chosen per curve by the F test",
    "one_site": "one site (Prism: log(inhibitor) vs. response, Hill slope -1)",
    "variable_slope": "variable slope (Prism: log(inhibitor) vs. response -- Variable slope)",
}

CONFIDENCE_KEY = Key(
    "confidence",
    "fraction",
    default=0.95,
    doc='confidence level of every CI, between 0.5 and 1 (0.95: 95 % CIs; "90 %" works too)',
    example="0.95",
)


def _fix_key(name: str, what: str, example: str) -> Key:
    return Key(
        f"fix_{name}",
        "number",
        doc=f"hold {what} at this value (Prism's constrain; % specific binding in binding, "
        "% of control in uptake); not given: fitted",
        example=example,
    )


CURVE_FIT_KEYS = (
    Key(
        "model",
        "choice",
        default="auto",
        choices=tuple(MODEL_WORDS),
        doc="auto: one site (Hill -1) or variable slope chosen per curve by the F test; "
        "one_site or variable_slope: that model for every curve, no F test",
        example='"auto"',
    ),
    Key(
        "fix_hill",
        "number",
        doc="hold the Hill slope at this value (negative for inhibition; -1 is the one-site "
        "model); not given: fitted (variable slope) or -1 (one site)",
        example="-1",
    ),
    _fix_key("top", "the top plateau", "100"),
    _fix_key("bottom", "the bottom plateau", "0"),
    CONFIDENCE_KEY,
)
"""The study-file keys of the curve fit (binding competition, uptake inhibition)."""


# ---------------------------------------------------------------- checks


def confidence_problems(level: Any) -> list[tuple[str, str]]:
    """``[("confidence", why)]`` when ``level`` is not a confidence level in (0.5, 1)."""
    if level is None:
        return []
    if (
        isinstance(level, bool)
        or not isinstance(level, int | float)
        or not math.isfinite(level)
        or not 0.5 < level < 1
    ):
        return [
            (
                "confidence",
                f"{level!r} is not a confidence level between 0.5 and 1 (exclusive); "
                'write e.g. 0.95 (or "95 %") for 95 % CIs',
            )
        ]
    return []


def fit_option_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of the fit options in ``values`` as ``(key, message)``: the level, a
    Hill slope that is not negative, a one-site model with another slope, top not above
    bottom. Absent keys are not checked."""
    out = confidence_problems(values.get("confidence"))
    hill = values.get("fix_hill")
    model = values.get("model") or "auto"
    for name in ("fix_hill", "fix_top", "fix_bottom"):
        v = values.get(name)
        if v is not None and (isinstance(v, bool) or not math.isfinite(float(v))):
            out.append((name, f"{v!r} is not a finite number"))
    if hill is not None and math.isfinite(float(hill)):
        if hill >= 0:
            out.append(
                (
                    "fix_hill",
                    f"{hill:g}: an inhibition curve falls, so its Hill slope is negative "
                    "(Prism's convention): write -1 for the one-site slope",
                )
            )
        elif model == "one_site" and hill != -1:
            out.append(
                (
                    "fix_hill",
                    f"{hill:g}: the one-site model has its Hill slope at -1; a slope held at "
                    'another value needs model = "variable_slope" (or "auto")',
                )
            )
    top, bottom = values.get("fix_top"), values.get("fix_bottom")
    if top is not None and bottom is not None and not float(top) > float(bottom):
        out.append(
            ("fix_top", f"top {top:g} must be above bottom {bottom:g} (an inhibition curve falls)")
        )
    return out


def fit_options_rule(
    values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems
) -> None:
    """The schema rule of :data:`CURVE_FIT_KEYS` (problems named by the key's path)."""
    problems.extend((f"{path}.{key}", why) for key, why in fit_option_problems(values))


def confidence_rule(
    values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems
) -> None:
    """The schema rule of :data:`CONFIDENCE_KEY` alone (saturation)."""
    problems.extend(
        (f"{path}.{key}", why) for key, why in confidence_problems(values.get("confidence"))
    )


# ---------------------------------------------------------------- use


def fit_arguments(values: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis arguments (``model``, ``fixed``, ``level``) of a section's values."""
    fixed = {
        name: float(values[f"fix_{name}"])
        for name in ("bottom", "top", "hill")
        if values.get(f"fix_{name}") is not None
    }
    return {
        "model": values.get("model") or "auto",
        "fixed": fixed,
        "level": float(values.get("confidence") or 0.95),
    }


def ci_words(level: float) -> str:
    """``"95 % CI"`` for 0.95: the level as a report or a figure says it."""
    return f"{100 * float(level):.3g} % CI"


def _pct(value: float) -> str:
    return f"{value:g} %"


def fit_options_text(
    model: str,
    fixed: Mapping[str, float] | None,
    level: float,
    *,
    response: str,
    alpha: float = 0.05,
    level_words: bool = True,
) -> str:
    """The curve model, what was held constant and the CI level, as a Methods clause.

    E.g. ``"a variable-slope model (four-parameter logistic) for every curve, the bottom
    constrained to 0 % and the top to 100 % specific binding; 90 % confidence intervals"``.
    ``response`` names the unit of the plateaus (``"% specific binding"``);
    ``level_words=False`` leaves the level out (a text that states it with the kind of
    interval).
    """
    fx = dict(fixed or {})
    hill = fx.get("hill")
    if hill is not None and float(hill) == -1.0:
        model = "one_site"
    if model == "one_site":
        head = (
            "a one-site model (Hill slope fixed at -1) for every curve, without a model comparison"
        )
    elif hill is not None:
        head = (
            f"a variable-slope model with the Hill slope fixed at {float(hill):g} for every "
            "curve, without a model comparison"
        )
    elif model == "variable_slope":
        head = (
            "a variable-slope model (four-parameter logistic) for every curve, without a model "
            "comparison"
        )
    else:
        head = (
            "a one-site model (Hill slope -1) and a variable-slope model, chosen per curve by "
            f"the extra sum-of-squares F test (alpha {alpha:g})"
        )
    unit = response.removeprefix("% ").strip()
    held = []
    if "bottom" in fx:
        held.append(f"the bottom plateau constrained to {_pct(float(fx['bottom']))}")
    if "top" in fx:
        held.append(f"the top plateau constrained to {_pct(float(fx['top']))}")
    if held:
        head = f"{head}, with {' and '.join(held)} {unit}"
    if not level_words:
        return head
    return f"{head}; {100 * float(level):.3g} % confidence intervals"
