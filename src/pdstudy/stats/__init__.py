"""Statistics engine: tidy frames in, tidy frames out, for the in vivo read-outs.

- :mod:`.timecourse` (microdialysis time courses): :func:`mixed_model` (linear
  mixed model, random intercept per subject; statsmodels MixedLM),
  :func:`compare_to_control_by_time` (per time point against the control group,
  Holm-corrected), :func:`dunnett_vs_control` (one-way ANOVA, then Dunnett's test
  against the control), :func:`holm`;
- :mod:`.groups` (one value per animal, e.g. immobility): :func:`groups.compare_to_control`
  (assumption checks, then Dunnett, Games-Howell or Dunn against the control;
  Hedges g; dose trend);
- :mod:`.power`: power and sample size, closed form and by simulation.
"""

from pdstudy.stats import groups, power
from pdstudy.stats.timecourse import (
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
    "groups",
    "holm",
    "mixed_model",
    "power",
]
