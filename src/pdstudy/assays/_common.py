"""Former home of the shared concentration-response logic, now split by job (re-exports).

- fitting: :mod:`pdstudy.fitting.concentration_response`;
- QC flags: :mod:`pdstudy.assays.qc`;
- counts, normalisation, plate frames: :mod:`pdstudy.assays.plates`;
- the curve figure: :mod:`pdstudy.assays.plotting`;
- JSON: :mod:`pdstudy.io.jsonsafe`; text: :mod:`pdstudy.units`.
"""

from pdstudy.assays.plates import DPM_PER_CI, dpm_to_fmol, percent_of_control, prepare_plate_frame
from pdstudy.assays.plotting import plot_concentration_response
from pdstudy.assays.qc import (
    Flag,
    cv_percent,
    hill_flags,
    incomplete_curve_flags,
    join_flags,
    replicate_cv,
    z_prime,
)
from pdstudy.fitting.concentration_response import (
    USABLE_STATUSES,
    ResponseFits,
    fit_concentration_response,
    pack_curves,
)
from pdstudy.fitting.concentration_response import count_weights as _count_weights  # noqa: F401
from pdstudy.io.jsonsafe import frame_records, json_safe
from pdstudy.units import format_conc_ci as conc_with_ci
from pdstudy.units import format_estimate as ki_annotation

__all__ = [
    "DPM_PER_CI",
    "USABLE_STATUSES",
    "Flag",
    "ResponseFits",
    "conc_with_ci",
    "cv_percent",
    "dpm_to_fmol",
    "fit_concentration_response",
    "frame_records",
    "hill_flags",
    "incomplete_curve_flags",
    "join_flags",
    "ki_annotation",
    "pack_curves",
    "percent_of_control",
    "plot_concentration_response",
    "prepare_plate_frame",
    "replicate_cv",
    "json_safe",
    "z_prime",
]
