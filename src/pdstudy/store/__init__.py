"""The results store: every analysis recorded with its evidence; independent experiments pooled.

A layer above the assays (it consumes their results, as the report does):

- :func:`open_store` / :func:`upgrade` (``engine``): SQLite by default
  (``./pdstudy.db``, ``--db URL`` or ``$PDSTUDY_DB``), PostgreSQL with the same
  code; the schema is migrated with the Alembic revisions shipped in
  ``pdstudy/store/migrations``.
- :func:`record_results` (``record``): one run's sections, in one transaction;
  the same raw files and parameters add nothing; :func:`exclude_experiment`.
- :func:`results`, :func:`pooled_ki`, :func:`history`, :func:`studies`,
  :func:`verify` (``queries``).
- The hash-chained audit log (``audit``); the tables (``models``).
"""

from __future__ import annotations

from pdstudy.store.engine import (
    DEFAULT_DB,
    ENV_DB,
    Store,
    head_revision,
    open_store,
    resolve_url,
    upgrade,
)
from pdstudy.store.models import StoreError
from pdstudy.store.queries import (
    KiSummary,
    earlier_ki,
    history,
    pooled_ki,
    results,
    studies,
    verify,
)
from pdstudy.store.record import Recorded, RecordSummary, exclude_experiment, record_results

__all__ = [
    "DEFAULT_DB",
    "ENV_DB",
    "KiSummary",
    "RecordSummary",
    "Recorded",
    "Store",
    "StoreError",
    "earlier_ki",
    "exclude_experiment",
    "head_revision",
    "history",
    "open_store",
    "pooled_ki",
    "record_results",
    "resolve_url",
    "results",
    "studies",
    "upgrade",
    "verify",
]
