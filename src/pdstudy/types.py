"""Types that cross the layers: :class:`Mapper`, the injectable ``map`` of independent work.

An analysis that does the same work on many independent items (each video of a
forced swim section, each batch of chromatograms, each simulated study of a
power analysis) takes an optional ``map`` argument and calls it as
``map(fn, items)``. The default, :func:`local_map`, is the built-in ``map`` made
a list; the study layer injects one that runs each item as a task on a
dask.distributed cluster (:func:`pdstudy.study.cluster.cluster_map`), so the
analysis itself never imports dask.

What a mapper promises, and what a caller must give it:

- ``fn`` is picklable (a module-level function, or a :func:`functools.partial`
  of one) and takes one item; ``items`` are picklable;
- the result is the list ``[fn(item) for item in items]``, in the order of
  ``items`` whatever order the tasks finished in;
- an exception raised by ``fn`` is raised by the mapper (the first one, in item
  order), as the list comprehension would;
- every :class:`pathlib.Path` inside an item (also inside tuples, lists and
  dicts) that names an existing file is an input of that item: a cluster mapper
  checks that its worker sees the same bytes as the caller (SHA-256);
- ``fn`` draws random numbers only from seeds carried by the item, so the
  results do not depend on where or in which order the items ran.

:func:`task_threads` says how many cores one task may use in this process
(``$PDSTUDY_THREADS``, or one on a dask worker, else every core); the video
decoder follows it, and no result depends on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from pdstudy.errors import UsageError

__all__ = ["ENV_THREADS", "Mapper", "env_threads", "limit_threads", "local_map", "task_threads"]

T = TypeVar("T")
R = TypeVar("R")


class Mapper(Protocol):
    """``map(fn, items) -> [fn(item) for item in items]`` (see the module notes)."""

    def __call__(self, fn: Callable[[Any], Any], items: Iterable[Any], /) -> list[Any]: ...


def local_map(fn: Callable[[T], R], items: Iterable[T], /) -> list[R]:
    """The plain mapper: ``fn`` over ``items`` in this process, in order."""
    return [fn(item) for item in items]


#: environment variable: how many cores one task of pdstudy may use in this process
ENV_THREADS = "PDSTUDY_THREADS"

_limit: list[int] = []


def task_threads() -> int:
    """How many cores one task may use here (video decoding threads, segments decoded at once).

    Inside :func:`limit_threads`, its limit; else ``$PDSTUDY_THREADS`` when set (a
    positive integer); else every core of the machine. A dask worker runs its
    pdstudy tasks with a limit of one core each (:mod:`pdstudy.study.cluster`),
    so that a cluster scales by cores; the results do not depend on it.
    """
    if _limit:
        return _limit[-1]
    return env_threads() or (os.cpu_count() or 1)


def env_threads() -> int | None:
    """``$PDSTUDY_THREADS`` as a positive integer (``None`` when it is not set).

    Raises
    ------
    UsageError
        It is set to something else than a positive integer.
    """
    text = os.environ.get(ENV_THREADS, "").strip()
    if not text:
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise UsageError(f"{ENV_THREADS}={text!r}: give a positive number of cores")
    return n


@contextmanager
def limit_threads(n: int) -> Iterator[None]:
    """Within the block, :func:`task_threads` is ``n`` (at least 1)."""
    _limit.append(max(1, int(n)))
    try:
        yield
    finally:
        _limit.pop()
