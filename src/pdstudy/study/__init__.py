"""Study files and their orchestration: one TOML file in, one report out.

- :func:`load_study` reads and validates a study file whole (every problem at
  once, with its key path) and returns a :class:`StudySpec`;
- :func:`run_study` runs every assay section (in parallel worker processes),
  the target profile and the synapse model, and writes ``results/``,
  ``figures/``, ``report.html`` and ``provenance.json``;
- :data:`HANDLERS` maps each section kind (``binding``, ``saturation``,
  ``uptake``, ``protein``: the list :data:`BUILTIN_KINDS`) to its
  :class:`AssayHandler`; :func:`register_handler` adds a plug-in's kind.

The schema of the study file is documented in ``docs/study-file.md`` (and
generated from the handlers' schemas by :func:`schema_reference`).
"""

from pdstudy.assays.schema import Key, Schema
from pdstudy.study.kinds import BUILTIN_KINDS
from pdstudy.study.load import load_study, section_spec, validate_study
from pdstudy.study.model import (
    AssayHandler,
    RunContext,
    SectionOutcome,
    SectionSpec,
    StudySpec,
)
from pdstudy.study.registry import FUTURE_KINDS, HANDLERS, get_handler, register_handler
from pdstudy.study.runner import StudyRun, default_workers, run_section, run_study
from pdstudy.study.tables import EXPOSURE, PK, STUDY, SYNAPSE

__all__ = [
    "BUILTIN_KINDS",
    "EXPOSURE",
    "FUTURE_KINDS",
    "HANDLERS",
    "PK",
    "STUDY",
    "SYNAPSE",
    "AssayHandler",
    "Key",
    "RunContext",
    "Schema",
    "SectionOutcome",
    "SectionSpec",
    "StudyRun",
    "StudySpec",
    "default_workers",
    "get_handler",
    "load_study",
    "register_handler",
    "run_section",
    "run_study",
    "section_spec",
    "validate_study",
]
