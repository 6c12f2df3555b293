"""Batched nonlinear curve fitting (pdstudy's engine for IC50, Ki, Kd, Bmax, Km).

>>> from pdstudy.fitting import fit_curves, FOUR_PL
>>> fit = fit_curves(FOUR_PL, logx, y)          # doctest: +SKIP
>>> fit.params_frame()                           # doctest: +SKIP
"""

from pdstudy.fitting.compare import Comparison, f_test
from pdstudy.fitting.concentration_response import (
    USABLE_STATUSES,
    ResponseFits,
    count_weights,
    fit_concentration_response,
    pack_curves,
    pooled_count_cv2,
)
from pdstudy.fitting.models import (
    BUILTIN,
    FOUR_PL,
    MICHAELIS_MENTEN,
    ONE_SITE,
    ONE_SITE_KI,
    SATURATION,
    SATURATION_TOTAL_NSB,
    TWO_SITE,
    TWO_SITE_KI,
    Model,
    get_model,
    user_model,
)
from pdstudy.fitting.result import BatchFit
from pdstudy.fitting.robust import fit_rout, rout_mask, rout_outliers, row_percentile
from pdstudy.fitting.solver import SolverOptions, fit_curves, replicate_weights
from pdstudy.fitting.uncertainty import Derived, cheng_prusoff_shift, ki_from_ic50, profile_ci

__all__ = [
    "USABLE_STATUSES",
    "ResponseFits",
    "count_weights",
    "pooled_count_cv2",
    "fit_concentration_response",
    "pack_curves",
    "BUILTIN",
    "FOUR_PL",
    "MICHAELIS_MENTEN",
    "ONE_SITE",
    "ONE_SITE_KI",
    "SATURATION",
    "SATURATION_TOTAL_NSB",
    "TWO_SITE",
    "TWO_SITE_KI",
    "BatchFit",
    "Comparison",
    "Derived",
    "Model",
    "SolverOptions",
    "cheng_prusoff_shift",
    "f_test",
    "fit_curves",
    "fit_rout",
    "get_model",
    "ki_from_ic50",
    "profile_ci",
    "replicate_weights",
    "rout_mask",
    "rout_outliers",
    "row_percentile",
    "user_model",
]
