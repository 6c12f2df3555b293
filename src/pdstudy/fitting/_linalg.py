"""Stacks of small linear systems, solved with numpy or with the compiled kernels.

The solver asks for ``compiled=True`` only for batches large enough to repay
numba's start-up (see ``pdstudy.fitting.solver.COMPILED_MIN_POINTS``); only then
is ``pdstudy.fitting._kernels`` (and with it numba) imported. Both paths give
NaN rows where a system is singular, so the solver treats them alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


def batched_solve(
    m: Array,
    rhs: Array,
    damp: Array | None = None,
    hold: Array | None = None,
    *,
    compiled: bool = False,
) -> Array:
    """Solve ``(m[b] + diag(damp[b])) x[b] = rhs[b]`` for each b, the unknowns marked
    in ``hold`` fixed at 0 (NaN rows where a system is singular)."""
    if compiled:
        from pdstudy.fitting import _kernels  # imports numba: only for large batches

        return _kernels.batched_solve(m, rhs, damp, hold)
    a = m.copy()
    v = rhs.copy()
    d = np.arange(m.shape[-1])
    if damp is not None:
        a[:, d, d] += damp
    if hold is not None and hold.any():
        a[hold[:, :, None] | hold[:, None, :]] = 0.0
        row, col = np.nonzero(hold)
        a[row, col, col] = 1.0
        v[hold] = 0.0
    with np.errstate(all="ignore"):
        try:
            out = np.linalg.solve(a, v[..., None])[..., 0]
        except np.linalg.LinAlgError:  # a singular system: solve them one by one
            out = np.full(v.shape, np.nan)
            for b in range(a.shape[0]):
                try:
                    out[b] = np.linalg.solve(a[b], v[b])
                except np.linalg.LinAlgError:
                    continue
    bad = ~np.isfinite(a).all(axis=(1, 2)) | ~np.isfinite(v).all(axis=1)
    out[bad] = np.nan
    return out


def batched_inv(m: Array, *, compiled: bool = False) -> Array:
    """Inverse of each small square matrix of a stack (NaN where singular)."""
    if compiled:
        from pdstudy.fitting import _kernels  # imports numba: only for large batches

        return _kernels.batched_inv(m)
    with np.errstate(all="ignore"):
        try:
            out = np.linalg.inv(m)
        except np.linalg.LinAlgError:  # a singular matrix: invert them one by one
            out = np.full(m.shape, np.nan)
            for b in range(m.shape[0]):
                try:
                    out[b] = np.linalg.inv(m[b])
                except np.linalg.LinAlgError:
                    continue
    out[~np.isfinite(m).all(axis=(1, 2))] = np.nan
    return out
