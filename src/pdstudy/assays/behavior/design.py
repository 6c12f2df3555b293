"""Allocation, blinding and the test-day schedule of a behavioural study.

The code lives in :mod:`pdstudy.design.allocation` (the same allocation serves
every in vivo design, and ``pdstudy design``); these names are kept here for the
behaviour commands.
"""

from pdstudy.design.allocation import allocate_groups, blind_videos, schedule_test_day

__all__ = ["allocate_groups", "blind_videos", "schedule_test_day"]
