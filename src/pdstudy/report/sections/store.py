"""The report's cross-experiment summary: the compound's Ki pooled over the earlier
experiments in the results store (:func:`pdstudy.store.earlier_ki`), marked as such."""

from __future__ import annotations

import pandas as pd

from pdstudy.report.model import Section, Table

__all__ = ["TITLE", "build_earlier"]

TITLE = "Earlier experiments in the results store"

_COLUMNS = [
    "target",
    "n",
    "pki_mean",
    "pki_sem",
    "ki_M",
    "ki_ci_low_M",
    "ki_ci_high_M",
    "experiments",
]


def build_earlier(
    compound: str, pooled: pd.DataFrame, experiments: pd.DataFrame, where: str
) -> Section | None:
    """A section with the pooled Ki of ``compound`` over earlier experiments, or ``None``
    when the store has none.

    ``pooled`` and ``experiments`` are a :class:`pdstudy.store.KiSummary`'s frames;
    ``where`` names the store (no password).
    """
    if pooled is None or pooled.empty:
        return None
    n_excluded = (
        int(experiments.loc[experiments["excluded"].astype(bool), "experiment_id"].nunique())
        if "excluded" in experiments.columns and not experiments.empty
        else 0
    )
    intro = (
        f"Earlier experiments with {compound}, from the results store ({where}); this run's own "
        "experiments are not among them. Per target: mean pKi ± SEM over the independent "
        "experiments and the geometric-mean Ki with its 95 % CI (t distribution on pKi)."
        + (
            f" {n_excluded} experiment(s) excluded by a recorded decision are left out "
            "(`pdstudy db ki` lists them with the reason)."
            if n_excluded
            else ""
        ),
    )
    frame = pooled[[c for c in _COLUMNS if c in pooled.columns]].copy()
    return Section(
        anchor="store-earlier",
        title=TITLE,
        kind="store",
        intro=intro,
        tables=(
            Table(
                title=f"{compound}: Ki over earlier experiments (results store)",
                frame=frame,
                labels={
                    "pki_mean": "mean pKi",
                    "pki_sem": "SEM",
                    "ki_M": "Ki (geometric mean)",
                    "ki_ci_low_M": "95 % CI low",
                    "ki_ci_high_M": "95 % CI high",
                },
            ),
        ),
    )
