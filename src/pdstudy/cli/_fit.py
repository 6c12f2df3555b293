"""The curve-fit options of the assay commands (the keys of :mod:`pdstudy.assays.curve_options`).

``--model``, ``--fix-hill``, ``--fix-top``, ``--fix-bottom`` and ``--confidence``
of ``pdstudy binding analyze`` and ``pdstudy uptake analyze``; ``--confidence``
of the saturation and kinetics commands. The values are checked by the study
file's own rule, and a problem is a usage error naming the option.
"""

from __future__ import annotations

from typing import Any

import typer

from pdstudy.errors import UsageError

__all__ = [
    "CONFIDENCE_OPTION",
    "FIX_BOTTOM_OPTION",
    "FIX_HILL_OPTION",
    "FIX_TOP_OPTION",
    "MODEL_OPTION",
    "confidence_value",
    "fit_values",
]

MODEL_OPTION: Any = typer.Option(
    "auto",
    "--model",
    help="Curve model: auto (one site, Hill -1, or variable slope, chosen per curve by the F "
    "test; default), one_site (Prism: log(inhibitor) vs. response) or variable_slope (Prism: "
    "... Variable slope) for every curve, without the F test.",
)
FIX_HILL_OPTION: Any = typer.Option(
    None,
    "--fix-hill",
    help="Hold the Hill slope at this value (negative for inhibition, e.g. --fix-hill=-1; "
    "default: fitted).",
)
FIX_TOP_OPTION: Any = typer.Option(
    None,
    "--fix-top",
    help="Hold the top plateau at this value, in % of the response (% specific binding or % "
    "of control), e.g. 100 (default: fitted).",
)
FIX_BOTTOM_OPTION: Any = typer.Option(
    None,
    "--fix-bottom",
    help="Hold the bottom plateau at this value, in % of the response, e.g. 0 (default: fitted).",
)
CONFIDENCE_OPTION: Any = typer.Option(
    "0.95",
    "--confidence",
    help='Confidence level of every CI, between 0.5 and 1: "0.9" or "90 %" (default 0.95).',
)

_OPTION_OF = {
    "model": "--model",
    "fix_hill": "--fix-hill",
    "fix_top": "--fix-top",
    "fix_bottom": "--fix-bottom",
    "confidence": "--confidence",
}


def confidence_value(text: str) -> float:
    """The ``--confidence`` option as a level in (0.5, 1); else a usage error naming it."""
    from pdstudy.assays.curve_options import confidence_problems
    from pdstudy.units import parse_quantity

    value = float(parse_quantity(text, "fraction", where="option --confidence"))
    problems = confidence_problems(value)
    if problems:
        raise UsageError(f"{text!r}: {problems[0][1]}", where="option --confidence")
    return value


def fit_values(
    kind: str,
    model: str,
    fix_hill: float | None,
    fix_top: float | None,
    fix_bottom: float | None,
    confidence: str,
) -> dict[str, Any]:
    """The section's fit keys from the options, checked as the study file checks them."""
    from pdstudy.assays.curve_options import fit_option_problems
    from pdstudy.cli._shared import choice

    values: dict[str, Any] = {
        "model": choice(kind, "model", model, "--model"),
        "fix_hill": fix_hill,
        "fix_top": fix_top,
        "fix_bottom": fix_bottom,
        "confidence": confidence_value(confidence),
    }
    problems = fit_option_problems(values)
    if problems:
        key, why = problems[0]
        raise UsageError(why, where=f"option {_OPTION_OF[key]}")
    return values
