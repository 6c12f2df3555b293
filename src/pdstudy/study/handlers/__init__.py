"""The handlers of the built-in assay kinds (listed in :mod:`pdstudy.study.kinds`).

Each handler validates its section's files, calls its assay
(:mod:`pdstudy.assays.<kind>.sections`) and returns the result with its report
section (:mod:`pdstudy.report.sections.<kind>`), through
:func:`pdstudy.study.handlers._common.run_assay`.
"""
