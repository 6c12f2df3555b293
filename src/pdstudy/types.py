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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

__all__ = ["Mapper", "local_map"]

T = TypeVar("T")
R = TypeVar("R")


class Mapper(Protocol):
    """``map(fn, items) -> [fn(item) for item in items]`` (see the module notes)."""

    def __call__(self, fn: Callable[[Any], Any], items: Iterable[Any], /) -> list[Any]: ...


def local_map(fn: Callable[[T], R], items: Iterable[T], /) -> list[R]:
    """The plain mapper: ``fn`` over ``items`` in this process, in order."""
    return [fn(item) for item in items]
