"""The registry of assay handlers: section kind -> :class:`~pdstudy.study.model.AssayHandler`.

The study file accepts ``[[<kind>]]`` for every registered kind; the runner
looks handlers up here (also in worker processes, which import this module).
Adding an assay (microdialysis, forced swim...) is one call::

    from pdstudy.study import AssayHandler, Key, Schema, register_handler

    register_handler(AssayHandler("microdialysis", "Microdialysis", schema, run))
"""

from __future__ import annotations

from pdstudy.study.model import AssayHandler

__all__ = ["FUTURE_KINDS", "HANDLERS", "get_handler", "register_handler"]

#: assay kind -> handler, in the order their sections appear in reports
HANDLERS: dict[str, AssayHandler] = {}

#: section kinds of the protocols that this version does not analyse yet
FUTURE_KINDS = {
    "microdialysis": "in vivo microdialysis (HPLC-ED)",
    "fst": "forced swim test",
    "tst": "tail suspension test",
}


def register_handler(handler: AssayHandler, *, replace: bool = False) -> AssayHandler:
    """Add ``handler`` to :data:`HANDLERS` under ``handler.kind``.

    Raises
    ------
    ValueError
        The kind is taken (pass ``replace=True`` to override it) or collides
        with a study-file table (``study``, ``synapse``, ``pk``).
    """
    if handler.kind in ("study", "synapse", "pk"):
        raise ValueError(f"{handler.kind!r} is a study-file table, not an assay kind")
    if handler.kind in HANDLERS and not replace:
        raise ValueError(f"an assay handler for {handler.kind!r} is already registered")
    HANDLERS[handler.kind] = handler
    return handler


def get_handler(kind: str) -> AssayHandler:
    """The handler of ``kind`` (importing the built-in handlers first)."""
    import pdstudy.study.handlers  # noqa: F401  (registers the built-in kinds)

    try:
        return HANDLERS[kind]
    except KeyError:
        raise KeyError(
            f"no assay handler for {kind!r}; registered: {', '.join(HANDLERS)}"
        ) from None
