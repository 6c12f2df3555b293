"""Group statistics on tidy frames (frames in, frames out), for in vivo read-outs.

:func:`mixed_model` (linear mixed model, random intercept per subject; statsmodels
MixedLM), :func:`compare_to_control_by_time` (per time point against the control
group, Holm-corrected), :func:`dunnett_vs_control` (one-way ANOVA, then Dunnett's
test against the control; scipy.stats).
"""

from .groups import (
    STAT_COLUMNS,
    compare_to_control_by_time,
    dunnett_vs_control,
    holm,
    mixed_model,
)

__all__ = [
    "STAT_COLUMNS",
    "compare_to_control_by_time",
    "dunnett_vs_control",
    "holm",
    "mixed_model",
]
