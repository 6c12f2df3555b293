"""The registry of assay handlers: section kind -> :class:`~pdstudy.study.model.AssayHandler`.

It starts with the built-in kinds of :mod:`pdstudy.study.kinds` (explicitly,
not by import side effects); the study file accepts ``[[<kind>]]`` for every
kind here, and the runner looks handlers up here. A plug-in adds a kind with
one call::

    from pdstudy.study import AssayHandler, Key, Schema, register_handler

    register_handler(AssayHandler("mykind", "My assay", schema, run))
"""

from __future__ import annotations

from pdstudy.errors import UsageError
from pdstudy.study.kinds import BUILTIN_KINDS, FUTURE_KINDS
from pdstudy.study.model import AssayHandler

__all__ = ["FUTURE_KINDS", "HANDLERS", "get_handler", "register_handler"]

#: assay kind -> handler, in the order their sections appear in reports
HANDLERS: dict[str, AssayHandler] = {h.kind: h for h in BUILTIN_KINDS}


def register_handler(handler: AssayHandler, *, replace: bool = False) -> AssayHandler:
    """Add ``handler`` to :data:`HANDLERS` under ``handler.kind``.

    Raises
    ------
    UsageError
        The kind is taken (pass ``replace=True`` to override it) or collides
        with a study-file table (``study``, ``synapse``, ``pk``).
    """
    if handler.kind in ("study", "synapse", "pk"):
        raise UsageError(f"{handler.kind!r} is a study-file table, not an assay kind")
    if handler.kind in HANDLERS and not replace:
        raise UsageError(f"an assay handler for {handler.kind!r} is already registered")
    HANDLERS[handler.kind] = handler
    return handler


def get_handler(kind: str) -> AssayHandler:
    """The handler of ``kind``."""
    try:
        return HANDLERS[kind]
    except KeyError:
        raise KeyError(
            f"no assay handler for {kind!r}; registered: {', '.join(HANDLERS)}"
        ) from None
