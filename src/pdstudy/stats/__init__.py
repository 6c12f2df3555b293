"""Statistics engine: group comparisons against a control, power and sample size."""

from pdstudy.stats import groups, power

__all__ = ["groups", "power"]
