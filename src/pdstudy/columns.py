"""Fixed column names of pdstudy's tidy tables, documented once.

Readers return these names; assays and reports rely on them. Extra columns
(layout fields a user adds) are carried through unchanged.
"""

from __future__ import annotations

# plates
PLATE = "plate"  # plate identifier (str), "1" when a file holds one plate
WELL = "well"  # canonical well name, row letter + column without zero padding: "A1", "P24"
ROW = "row"  # row letter(s), "A".."P" (or "AF" for 1536)
COL = "col"  # column number, 1-based int
SIGNAL = "signal"  # the measured value of a well (CPM for counters, absorbance, RLU...)
CPM = "cpm"  # counts per minute
DPM = "dpm"  # disintegrations per minute
COUNT_TIME = "count_time_s"  # counting time of the well, seconds
EXCLUDED = "excluded"  # bool: the well is not analysed (masked, overflowed, not measured...)
EXCLUDE_REASON = "exclude_reason"  # why (str, "" for wells that are analysed)
EXCLUDED_BY = "excluded_by"  # who: declared | reader | rout | qc | baseline ... ("" if analysed)

# layouts
ROLE = "role"  # total | nsb | competition | blank | standard | sample | control | substrate
COMPOUND = "compound"
CONC_M = "conc_M"  # molar concentration of the test compound (or radioligand in saturation)
REPLICATE = "replicate"
EXPERIMENT = "experiment"
TARGET = "target"

ROLES = ("total", "nsb", "competition", "blank", "standard", "sample", "control", "saturation")

# in vivo
ANIMAL = "animal"
GROUP = "group"
TIME_S = "time_s"
ANALYTE = "analyte"
