"""Exposure: the unbound concentration at the targets, from a free or a total plasma concentration.

``Cu = free`` when it is given; otherwise ``Cu = total x fu x Kp,uu`` for a
molar total, or ``Cu = total / MW x fu x Kp,uu`` for a mass concentration
(free-drug hypothesis; Kp,uu = 1 by default). Used by the study's
pharmacology and by ``pdstudy profile``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pdstudy.errors import UsageError
from pdstudy.pharmacology.profile import free_from_total
from pdstudy.units import format_conc

__all__ = ["Exposure", "free_concentration"]


@dataclass(frozen=True)
class Exposure:
    """The unbound concentration ``free_M`` at the targets, how it was obtained (``text``)
    and the parameters used (JSON-safe)."""

    free_M: float
    text: str
    parameters: dict[str, Any] = field(default_factory=dict)


def free_concentration(
    *,
    free_M: float | None = None,
    plasma_M: float | None = None,
    plasma_g_per_L: float | None = None,
    fu: float | None = None,
    mw_g_per_mol: float | None = None,
    brain_plasma_ratio: float = 1.0,
) -> Exposure:
    """The unbound concentration from exactly one of ``free_M``, ``plasma_M``, ``plasma_g_per_L``.

    Raises
    ------
    UsageError
        None or several of the concentrations; a total without ``fu`` (or a mass
        concentration without ``mw_g_per_mol``); ``fu`` with a free concentration;
        ``fu`` outside (0, 1].
    """
    given = [x is not None for x in (free_M, plasma_M, plasma_g_per_L)]
    if sum(given) != 1:
        raise UsageError(
            'give the exposure once: a free concentration ("0.3 nM"), or a total plasma '
            'concentration ("200 ng/mL") with fu'
        )
    kp = float(brain_plasma_ratio)
    kp_text = f" x Kp,uu {kp:g}" if kp != 1 else ""
    if free_M is not None:
        if fu is not None:
            raise UsageError("fu applies to a total (plasma) concentration only; free is unbound")
        cu = float(free_M)
        return Exposure(cu, "free concentration given", {"free_conc_M": cu})
    if fu is None:
        raise UsageError(
            "a total plasma concentration needs the unbound fraction fu (e.g. 0.02 for 98 % "
            "plasma protein binding)"
        )
    f = float(fu)
    if not (math.isfinite(f) and 0 < f <= 1):
        raise UsageError(f"fu {fu!r} must be a fraction in (0, 1]")
    if plasma_g_per_L is not None:
        if mw_g_per_mol is None:
            raise UsageError("a mass concentration needs the molecular weight (mw_g_per_mol)")
        mw = float(mw_g_per_mol)
        cu = float(free_from_total(plasma_g_per_L, mw, f)) * kp
        text = f"total plasma {plasma_g_per_L * 1e6:g} ng/mL x fu {f:g} / MW {mw:g} g/mol{kp_text}"
        params = {
            "plasma_conc_g_per_L": float(plasma_g_per_L),
            "fu": f,
            "mw_g_per_mol": mw,
            "brain_plasma_ratio": kp,
            "free_conc_M": cu,
        }
        return Exposure(cu, text, params)
    assert plasma_M is not None
    cu = float(plasma_M) * f * kp
    text = f"total plasma {format_conc(float(plasma_M))} x fu {f:g}{kp_text}"
    params = {
        "plasma_conc_M": float(plasma_M),
        "fu": f,
        "brain_plasma_ratio": kp,
        "free_conc_M": cu,
    }
    return Exposure(cu, text, params)
