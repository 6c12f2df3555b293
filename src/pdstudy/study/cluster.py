"""Running a study's sections on a dask.distributed cluster.

``pdstudy run STUDY --scheduler tcp://host:8786`` (or ``PDSTUDY_SCHEDULER``)
sends each assay section to the cluster as one task; the client process keeps
everything else (validation, the pharmacology, the report, provenance, the
store). What the cluster must provide (see ``docs/cluster.md``):

- the same pdstudy version on every worker (checked when connecting);
- the study's files at the same paths (a shared file system): each task
  checks the SHA-256 of its section's input files against what the client
  hashed, and a worker that sees a different file fails that section with a
  message saying so, instead of analysing the wrong data;
- the output folder at the same path: workers write the section's tables and
  figures there, through the same writer as a local run.

A worker that dies mid-task has its task rerun on another worker by the
scheduler (up to ``distributed.scheduler.allowed-failures`` times); a task
that fails on bad input fails its section only, as locally.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdstudy._version import __version__
from pdstudy.assays.contract import fingerprint
from pdstudy.errors import UsageError
from pdstudy.study.handlers._common import failed_outcome
from pdstudy.study.model import RunContext, SectionOutcome, SectionSpec
from pdstudy.study.registry import get_handler

__all__ = [
    "ENV_SCHEDULER",
    "ClusterInfo",
    "connect",
    "expected_hashes",
    "run_section_task",
    "run_sections_on_cluster",
]

#: environment variable naming the scheduler when ``--scheduler`` is not given
ENV_SCHEDULER = "PDSTUDY_SCHEDULER"

#: the install hint when dask.distributed is missing
_INSTALL = "pip install 'pdstudy[cluster]' (dask and distributed)"


@dataclass(frozen=True)
class ClusterInfo:
    """Where a run's sections ran: the scheduler's address and the workers (for provenance)."""

    scheduler: str
    workers: tuple[str, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheduler": self.scheduler,
            "workers": list(self.workers),
            "pdstudy_versions": dict(self.versions),
        }


def _worker_version() -> str:
    from pdstudy._version import __version__ as v

    return v


def connect(address: Any, *, timeout_s: float = 20.0) -> tuple[Any, ClusterInfo]:
    """A ``distributed.Client`` on ``address`` (a scheduler address or a ``Cluster`` object).

    Raises
    ------
    UsageError
        dask.distributed is not installed (with the command that installs it),
        the scheduler cannot be reached, it has no workers, or a worker runs a
        different pdstudy version.
    """
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - the extra is installed by make test
        raise UsageError(f"--scheduler needs dask.distributed: {_INSTALL}") from None
    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)
    except OSError as exc:
        raise UsageError(f"cannot reach the dask scheduler {address}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except TimeoutError:
        client.close()
        raise UsageError(f"the dask scheduler {address} has no workers") from None
    versions = client.run(_worker_version)
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        client.close()
        raise UsageError(
            f"workers run another pdstudy version than this client ({__version__}): "
            + ", ".join(f"{w} has {v}" for w, v in sorted(other.items()))
        )
    info = ClusterInfo(
        scheduler=str(client.scheduler.address),
        workers=tuple(sorted(versions)),
        versions=dict(versions),
    )
    return client, info


def expected_hashes(section: SectionSpec) -> dict[str, str]:
    """SHA-256 of every input file of ``section``, by resolved path (hashed by the client)."""
    return {
        str(Path(p).resolve()): fingerprint(p, key).sha256
        for key, p in section.files()
        if Path(p).is_file()
    }


def _mismatch(expected: Mapping[str, str]) -> str | None:
    """Why this worker's view of the files differs from the client's (``None`` when it does not)."""
    import platform

    for path, sha in expected.items():
        p = Path(path)
        if not p.is_file():
            return f"worker {platform.node()} (pid {os.getpid()}) cannot see {path}"
        seen = fingerprint(p).sha256
        if seen != sha:
            return (
                f"worker {platform.node()} (pid {os.getpid()}) sees a different {path} "
                f"(SHA-256 {seen[:12]}..., the client hashed {sha[:12]}...): the cluster must "
                "see the same files as the client (a shared file system)"
            )
    return None


def run_section_task(
    section: SectionSpec, ctx: RunContext, expected: Mapping[str, str]
) -> SectionOutcome:
    """The task a worker runs for one section: check the inputs' SHA-256, then analyse."""
    import matplotlib

    matplotlib.use("Agg")
    handler = get_handler(section.kind)
    problem = _mismatch(expected)
    if problem is not None:
        return failed_outcome(section, handler.title, problem, float("nan"))
    return handler.run(section, ctx)


def run_sections_on_cluster(
    client: Any,
    sections: Sequence[SectionSpec],
    ctx: RunContext,
    on_start: Callable[[Sequence[str]], None] | None = None,
    on_done: Callable[[SectionOutcome], None] | None = None,
    meanwhile: Callable[[], Any] | None = None,
    *,
    expected: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list[SectionOutcome], Any]:
    """Run each section as a task on ``client``'s cluster; ``meanwhile`` runs here meanwhile.

    ``expected`` (section key -> path -> SHA-256) defaults to what
    :func:`expected_hashes` gives now. Returns the outcomes in section order
    and what ``meanwhile`` returned. Ctrl-C cancels the tasks.
    """
    from distributed import as_completed

    hashes = dict(expected) if expected is not None else {}
    for s in sections:
        hashes.setdefault(s.key, expected_hashes(s))
    futures = {
        client.submit(
            run_section_task,
            s,
            ctx,
            hashes[s.key],
            key=f"pdstudy-{s.slug}-{os.getpid()}-{id(ctx)}",
            pure=False,
        ): s
        for s in sections
    }
    if on_start is not None:
        on_start([f"{s.key} {s.name}" for s in sections])
    results: dict[str, SectionOutcome] = {}
    try:
        extra = meanwhile() if meanwhile is not None else None
        with client.as_current():
            for fut in as_completed(list(futures)):
                s = futures[fut]
                try:
                    outcome = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after too many deaths
                    outcome = failed_outcome(
                        s,
                        get_handler(s.kind).title,
                        f"the cluster could not run this section ({type(exc).__name__}: {exc})",
                        float("nan"),
                    )
                results[s.key] = outcome
                if on_done is not None:
                    on_done(outcome)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        raise
    return [results[s.key] for s in sections], extra
