"""The assay contract: what every analysis returns, whatever its kind.

Every assay's result (:class:`~pdstudy.assays.binding.CompetitionResult`,
:class:`~pdstudy.assays.binding.SaturationResult`,
:class:`~pdstudy.assays.uptake.UptakeResult`,
:class:`~pdstudy.assays.uptake.KineticsResult`,
:class:`~pdstudy.assays.protein.ProteinResult`, and the assays to come) is a
frozen dataclass that satisfies :class:`AssayResult`:

``kind``
    The assay kind (``"binding"``, ``"saturation"``, ``"uptake"``,
    ``"kinetics"``, ``"protein"``).
``tables``
    Named tidy tables, with one vocabulary of names across assays
    (:data:`TABLE_NAMES`); the first is the main one (:meth:`to_frame`).
``parameters``
    Every parameter the analysis used (JSON-safe after
    :func:`pdstudy.io.jsonsafe.json_safe`).
``inputs``, ``version``
    The provenance: each input file with its SHA-256 (:class:`InputFile`),
    and the pdstudy version that made the result.
``to_frame()``, ``summary() -> str``, ``to_json()``
    The main table, a few lines of text, a JSON-safe document.
``headline_rows()``
    The rows the study's headline takes from this result, in
    :data:`HEADLINE_COLUMNS` (``role`` ``"ki"``: an equilibrium Ki of one
    independent experiment, pooled per target across sections; ``"effect"``:
    a functional read-out).

Results are picklable (they cross process and cluster boundaries), so the
report (``pdstudy.report.sections``) and the results store both consume them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import pandas as pd

from pdstudy._version import __version__

__all__ = [
    "HEADLINE_COLUMNS",
    "TABLE_NAMES",
    "AssayResult",
    "InputFile",
    "ResultBase",
    "fingerprint",
    "headline_frame",
]

#: the vocabulary of table names, with what one row is
TABLE_NAMES: Mapping[str, str] = {
    "curves": "one fitted curve (experiment x compound x target)",
    "aggregate": "independent experiments combined (compound x target)",
    "params": "one parameter set of an experiment (saturation: per method)",
    "samples": "one unknown sample (protein)",
    "standards": "one standard-curve model (protein)",
    "wells": "one well, with its role, values and exclusion flag",
    "qc": "one plate, with QC measures and flags",
    "settings": "one analysis setting",
    "peaks": "one integrated chromatographic peak (microdialysis)",
    "calibration": "one calibration line of an analyte (microdialysis)",
    "percent_baseline": "one sample of an animal and analyte, as % of its baseline",
    "auc": "one animal and analyte: area under the % baseline curve, Emax, Tmax",
    "stats": "one statistical comparison (drug vs vehicle)",
    "animals": "one animal: its group and its scores (behaviour)",
    "groups": "one group: n, mean, SD, SEM (behaviour)",
    "contrasts": "one group compared with the control: difference, CI, P, effect size",
    "assumptions": "one check of a test's assumptions (normality, equal variances)",
    "omnibus": "the overall test across the groups",
    "trend": "the linear dose trend",
    "motion": "one frame or bin of the motion signal of an animal",
    "exclusions": "one exclusion (declared or by a rule): what it names, its reason, who excluded it",
}

#: columns of :meth:`AssayResult.headline_rows`
HEADLINE_COLUMNS = (
    "role",
    "label",
    "compound",
    "target",
    "experiment",
    "n",
    "status",
    "ic50_M",
    "ki_M",
    "ki_ci_low_M",
    "ki_ci_high_M",
    "pki",
    "pki_ci_low",
    "pki_ci_high",
    "pki_sem",
)


def headline_frame(rows: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """A headline-rows frame with every column of :data:`HEADLINE_COLUMNS` (missing = NA)."""
    frame = pd.DataFrame(list(rows))
    for c in HEADLINE_COLUMNS:
        if c not in frame.columns:
            frame[c] = (
                pd.NA
                if c in ("role", "label", "compound", "target", "experiment")
                else float("nan")
            )
    return frame[list(HEADLINE_COLUMNS)]


@dataclass(frozen=True)
class InputFile:
    """One input file of an analysis: its key (``plates[2]``), path, SHA-256 and size.

    ``read`` says which part of the file was analysed when it holds several reads
    (a kinetic plate-reader file: ``"cycle 3 of 7"``), and is ``""`` otherwise.
    """

    key: str
    path: str
    sha256: str
    size_bytes: int
    read: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def fingerprint(path: str | PathLike[str], key: str = "", read: str = "") -> InputFile:
    """The :class:`InputFile` of ``path`` (SHA-256 of its bytes, read in 1 MiB blocks)."""
    p = Path(path)
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return InputFile(
        key=key or p.name,
        path=str(p),
        sha256=h.hexdigest(),
        size_bytes=p.stat().st_size,
        read=read,
    )


@runtime_checkable
class AssayResult(Protocol):
    """The protocol of every assay's result (see the module docstring)."""

    kind: ClassVar[str]
    inputs: tuple[InputFile, ...]
    version: str

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...

    @property
    def parameters(self) -> Mapping[str, Any]: ...

    def to_frame(self) -> pd.DataFrame: ...

    def summary(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...

    def headline_rows(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class ResultBase:
    """Fields and defaults every assay result shares (subclass it with ``frozen=True``).

    A subclass sets ``kind``, implements ``tables`` (main table first) and
    ``parameters``, and overrides :meth:`headline_rows` when it contributes to
    the headline.
    """

    kind: ClassVar[str] = ""
    inputs: tuple[InputFile, ...] = field(default=(), kw_only=True)
    version: str = field(default=__version__, kw_only=True)

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def parameters(self) -> Mapping[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The main table (the first of :attr:`tables`), a copy."""
        return next(iter(self.tables.values())).copy()

    def headline_rows(self) -> pd.DataFrame:
        """Rows for the study's headline (none by default)."""
        return headline_frame()

    def provenance(self) -> dict[str, Any]:
        """``kind``, ``version`` and the input files, JSON-safe."""
        return {
            "kind": self.kind,
            "pdstudy_version": self.version,
            "inputs": [f.as_dict() for f in self.inputs],
        }

    def with_inputs(
        self,
        files: Iterable[tuple[str, str | PathLike[str]] | tuple[str, str | PathLike[str], str]],
    ) -> Self:
        """A copy with ``inputs`` fingerprinted from ``(key, path)`` pairs, or ``(key, path,
        read)`` triples (``read``: the part of the file analysed, see :class:`InputFile`)."""
        return dataclasses.replace(
            self, inputs=tuple(fingerprint(f[1], f[0], *f[2:]) for f in files)
        )
