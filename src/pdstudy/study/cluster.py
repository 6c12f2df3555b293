"""Running a study's sections, and the files inside them, on a dask.distributed cluster.

``pdstudy run STUDY --scheduler tcp://host:8786`` (or ``PDSTUDY_SCHEDULER``)
sends each assay section to the cluster as one task, except the sections whose
handler is ``per_file`` (fst, tst, microdialysis): those are coordinated by the
client and their independent per-file work (each video, each batch of
chromatograms) runs as one task per item through :class:`ClusterMapper`, the
:class:`pdstudy.types.Mapper` of a cluster. The client process keeps
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
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from pdstudy._version import __version__
from pdstudy.assays.contract import fingerprint
from pdstudy.errors import InputFileError, PdStudyError, UsageError
from pdstudy.study.handlers._common import failed_outcome
from pdstudy.study.model import RunContext, SectionOutcome, SectionSpec
from pdstudy.study.registry import get_handler
from pdstudy.types import env_threads, limit_threads

__all__ = [
    "ENV_SCHEDULER",
    "ClusterInfo",
    "ClusterMapper",
    "cancelled_message",
    "cluster_map",
    "connect",
    "expected_hashes",
    "input_paths",
    "run_item_task",
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


def input_paths(item: Any) -> list[Path]:
    """The input files of a mapped item: every :class:`~pathlib.Path` in it (also inside
    tuples, lists and dicts) that names an existing file, resolved."""
    found: list[Path] = []

    def walk(x: Any) -> None:
        if isinstance(x, PurePath):
            p = Path(x)
            if p.is_file():
                found.append(p.resolve())
        elif isinstance(x, (tuple, list)):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for y in x.values():
                walk(y)

    walk(item)
    return list(dict.fromkeys(found))


def run_item_task(item: Any, expected: Mapping[str, str], fn: Callable[[Any], Any]) -> Any:
    """The task a worker runs for one mapped item: check its files' SHA-256, then ``fn(item)``.

    Raises
    ------
    InputFileError
        The worker sees a different file than the client hashed (or none).
    """
    problem = _mismatch(expected)
    if problem is not None:
        raise InputFileError(problem)
    with limit_threads(_cores_per_task()):
        return fn(item)


def _cores_per_task() -> int:
    """The cores a task may use on a worker: ``$PDSTUDY_THREADS`` of the worker, else 1.

    A worker runs as many tasks at once as it has threads (``dask worker
    --nthreads``), so that one task per core scales the cluster by cores; the
    numerical libraries already run one thread each in a worker the nanny started
    (``distributed.nanny.pre-spawn-environ``: OMP, MKL and OpenBLAS threads 1).
    """
    return env_threads() or 1


class ClusterMapper:
    """A :class:`pdstudy.types.Mapper` that runs each item as a task on a dask cluster.

    ``mapper(fn, items)`` hashes the input files of every item here
    (:func:`input_paths`), submits ``fn(item)`` for each item through
    :func:`run_item_task` (which checks the hashes on the worker) and returns
    the results in item order. A worker that dies mid-task has its task rerun
    elsewhere by the scheduler; one that died too often
    (``distributed.scheduler.allowed-failures``) is a :class:`PdStudyError`
    naming the item. The first exception a task raises is raised here, after the
    item's other tasks are cancelled. Ctrl-C cancels every task of the call still
    queued or running and raises :class:`KeyboardInterrupt` with a message saying so
    (:func:`cancelled_message`).

    Parameters
    ----------
    client
        A ``distributed.Client``.
    on_task
        Called with ``(finished, submitted)`` (counted over every call of this
        mapper) whenever a task finishes: a progress bar over tasks.
    known
        SHA-256 by resolved path already computed by the caller (not hashed again).
    """

    def __init__(
        self,
        client: Any,
        *,
        on_task: Callable[[int, int], None] | None = None,
        known: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.on_task = on_task
        self.known = dict(known or {})
        self.submitted = 0
        self.finished = 0
        #: tasks cancelled by Ctrl-C
        self.cancelled = 0
        self._pending: list[Any] = []

    def _hashes(self, item: Any) -> dict[str, str]:
        out = {}
        for p in input_paths(item):
            key = str(p)
            if key not in self.known:
                self.known[key] = fingerprint(p).sha256
            out[key] = self.known[key]
        return out

    def cancel(self) -> int:
        """Cancel the tasks of the current call still queued or running; how many there were."""
        left = sum(1 for f in self._pending if not f.done())
        if self._pending:
            self.client.cancel(self._pending)
        return left

    def __call__(self, fn: Callable[[Any], Any], items: Iterable[Any], /) -> list[Any]:
        from distributed import KilledWorker, as_completed

        items = list(items)
        if not items:
            return []
        name = str(
            getattr(fn, "__name__", "") or getattr(getattr(fn, "func", None), "__name__", "")
        )
        stamp = f"{os.getpid()}-{time.monotonic_ns()}"
        futures: list[Any] = []
        self._pending = futures
        results: list[Any] = [None] * len(items)
        try:
            # each item is submitted as soon as its files are hashed: the first tasks
            # run while the client hashes the others
            for i, item in enumerate(items):
                futures.append(
                    self.client.submit(
                        run_item_task,
                        item,
                        self._hashes(item),
                        fn,
                        key=f"pdstudy-{name.strip('_') or 'task'}-{stamp}-{i}",
                        pure=False,
                    )
                )
                self.submitted += 1
            index = {f.key: i for i, f in enumerate(futures)}
            with self.client.as_current():
                # the results are fetched in the background as the tasks finish (not one
                # round trip to the worker per result, waited for here)
                done = as_completed(futures, with_results=True, raise_errors=False)
                for fut, res in done:
                    i = index[fut.key]
                    try:
                        if fut.status == "error":
                            _, exc, tb = res
                            if isinstance(exc, KilledWorker):
                                raise PdStudyError(
                                    f"the cluster lost the worker running {_describe(items[i])} "
                                    f"too many times ({exc})"
                                ) from None
                            raise exc.with_traceback(tb)
                        if isinstance(res, BaseException) and fut.cancelled():
                            raise res
                        results[i] = res
                    finally:
                        self.finished += 1
                        if self.on_task is not None:
                            self.on_task(self.finished, self.submitted)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(self._cancel_all(futures)) from None
        except BaseException:
            self.client.cancel(futures)
            raise
        finally:
            self._pending = []
        return results

    def _cancel_all(self, futures: Sequence[Any]) -> str:
        """Cancel ``futures`` (Ctrl-C); what was cancelled, for the message."""
        left = sum(1 for f in futures if not f.done())
        self.client.cancel(list(futures))
        self.cancelled += left
        return cancelled_message(left, self.client)


def _describe(item: Any) -> str:
    paths = input_paths(item)
    if paths:
        return ", ".join(str(p) for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
    text = repr(item)
    return text if len(text) <= 80 else text[:77] + "..."


@contextmanager
def cluster_map(
    scheduler: Any = None, *, on_task: Callable[[int, int], None] | None = None
) -> Iterator[tuple[ClusterMapper, ClusterInfo]]:
    """``with cluster_map("tcp://host:8786") as (mapper, info):`` a :class:`ClusterMapper`.

    ``scheduler`` is an address, a ``distributed`` cluster or a ``Client``
    (``None``: ``$PDSTUDY_SCHEDULER``). A client made here is closed on exit.

    Raises
    ------
    UsageError
        No scheduler given, or :func:`connect` refused it.
    """
    scheduler = scheduler if scheduler is not None else os.environ.get(ENV_SCHEDULER) or None
    if scheduler is None:
        raise UsageError(f"no dask scheduler: give --scheduler or set {ENV_SCHEDULER}")
    own = not hasattr(scheduler, "submit")
    if own:
        client, info = connect(scheduler)
    else:
        client = scheduler
        workers = tuple(sorted(client.scheduler_info().get("workers", {})))
        info = ClusterInfo(scheduler=str(client.scheduler.address), workers=workers)
    try:
        yield ClusterMapper(client, on_task=on_task), info
    finally:
        if own:
            client.close()


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
    with limit_threads(_cores_per_task()):
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
    on_task: Callable[[int, int], None] | None = None,
) -> tuple[list[SectionOutcome], Any]:
    """Run the sections on ``client``'s cluster; ``meanwhile`` runs here meanwhile.

    A section whose handler is ``per_file`` is run here with a
    :class:`ClusterMapper` as ``ctx.map``: each of its files (or batches) is a
    task. Every other section is one task (:func:`run_section_task`).
    ``expected`` (section key -> path -> SHA-256) defaults to what
    :func:`expected_hashes` gives now; ``on_task(finished, submitted)`` follows
    the per-file tasks. Returns the outcomes in section order and what
    ``meanwhile`` returned. Ctrl-C cancels the tasks.
    """
    from distributed import as_completed

    hashes = dict(expected) if expected is not None else {}
    for s in sections:
        hashes.setdefault(s.key, expected_hashes(s))
    here = [s for s in sections if get_handler(s.kind).per_file]
    here_keys = {s.key for s in here}
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
        if s.key not in here_keys
    }
    if on_start is not None:
        on_start([f"{s.key} {s.name}" for s in sections])
    results: dict[str, SectionOutcome] = {}

    def collect(fut: Any) -> None:
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

    mapper = ClusterMapper(client, on_task=on_task)
    try:
        extra = meanwhile() if meanwhile is not None else None
        with client.as_current():
            for s in here:
                mapper.known = {**mapper.known, **hashes[s.key]}
                outcome = get_handler(s.kind).run(s, replace(ctx, map=mapper))
                results[s.key] = outcome
                if on_done is not None:
                    on_done(outcome)
                for fut in [f for f in futures if f.done() and futures[f].key not in results]:
                    collect(fut)
            rest = [f for f in futures if futures[f].key not in results]
            for fut in as_completed(rest):
                collect(fut)
    except KeyboardInterrupt:
        left = mapper.cancelled + mapper.cancel() + sum(1 for f in futures if not f.done())
        client.cancel(list(futures))
        raise KeyboardInterrupt(cancelled_message(left, client)) from None
    return [results[s.key] for s in sections], extra


def cancelled_message(n: int, client: Any) -> str:
    """What Ctrl-C did on the cluster: ``interrupted: 3 task(s) cancelled on the dask cluster
    at tcp://...`` (the argument of the :class:`KeyboardInterrupt` raised after cancelling)."""
    return f"interrupted: {n} task(s) cancelled on the dask cluster at {client.scheduler.address}"
