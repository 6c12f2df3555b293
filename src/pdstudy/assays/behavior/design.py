"""The design steps that make a behavioural result credible: allocation, blinding, schedule.

- :func:`allocate_groups`: block randomisation of animals to dose groups,
  balanced within each block (cohort, cage or test day), seeded and
  reproducible; each animal gets a blinding code and a place in the
  (blinded) test order.
- :func:`blind_videos`: a renamed list of video files (code names) and the
  unblinding key, to be written separately and kept from the scorer.
- :func:`schedule_test_day`: dosing and test times per animal from the
  pre-treatment time, staggered by session length and changeover.

The same allocation serves any in vivo design (microdialysis too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pdstudy.errors import UsageError

__all__ = ["allocate_groups", "blind_videos", "schedule_test_day"]


def allocate_groups(
    animals: Sequence[str] | pd.DataFrame,
    groups: Sequence[str],
    *,
    block: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Allocate animals to groups by permuted blocks within each block level.

    Within a block of ``m`` animals and ``k`` groups every group gets
    ``m // k`` animals and the ``m % k`` left over go to groups drawn at random
    without replacement, so group sizes differ by at most one within a block.

    Returns one row per animal: ``animal``, ``block``, ``group``, ``code``
    (blinding code, ``A01``...), ``order`` (test order, random within the
    design, 1-based).
    """
    k = len(groups)
    if k < 2 or len(set(groups)) != k:
        raise UsageError("give at least two distinct groups")
    if isinstance(animals, pd.DataFrame):
        if "animal" not in animals.columns:
            raise UsageError("the animals table needs an 'animal' column")
        df = animals.copy()
        if block is not None and block not in df.columns:
            raise UsageError(f"the animals table has no block column {block!r}")
    else:
        df = pd.DataFrame({"animal": list(animals)})
    df["animal"] = df["animal"].astype(str)
    if df["animal"].duplicated().any():
        raise UsageError(f"animal {df.loc[df['animal'].duplicated(), 'animal'].iloc[0]!r} twice")
    df["block"] = df[block].astype(str) if block is not None else "all"
    rng = np.random.default_rng(seed)
    assigned: dict[int, str] = {}
    for _, idx in df.groupby("block", sort=True).groups.items():
        members = rng.permutation(np.asarray(idx))
        m = members.size
        labels = list(groups) * (m // k) + list(rng.choice(list(groups), m % k, replace=False))
        for i, g in zip(members, rng.permutation(labels), strict=True):
            assigned[int(i)] = str(g)
    df["group"] = [assigned[int(i)] for i in df.index]
    codes = rng.permutation(len(df))
    df["code"] = [f"A{c + 1:02d}" if len(df) < 100 else f"A{c + 1:03d}" for c in codes]
    df["order"] = rng.permutation(len(df)) + 1
    return (
        df[["animal", "block", "group", "code", "order"]]
        .sort_values("order")
        .reset_index(drop=True)
    )


def blind_videos(
    allocation: pd.DataFrame, videos: Mapping[str, str | Path]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(renamed video list, unblinding key).

    ``videos`` maps each animal to its video file; the renamed list has
    ``video`` (the original file) and ``blinded_video`` (``<code><suffix>``);
    the key has ``code``, ``animal`` and ``group``.
    """
    rows = []
    by_animal = allocation.set_index("animal")
    for animal, path in videos.items():
        if animal not in by_animal.index:
            raise UsageError(f"animal {animal!r} of the video list is not allocated")
        code = str(by_animal.loc[animal, "code"])
        rows.append((str(path), code + Path(path).suffix))
    renamed = pd.DataFrame(rows, columns=["video", "blinded_video"])
    key = allocation[["code", "animal", "group"]].sort_values("code").reset_index(drop=True)
    return renamed, key


def schedule_test_day(
    allocation: pd.DataFrame,
    *,
    start_s: float = 9 * 3600.0,
    pretreatment_s: float = 30 * 60.0,
    session_s: float = 360.0,
    changeover_s: float = 120.0,
    apparatus: int = 1,
) -> pd.DataFrame:
    """Dosing and test times in the blinded order (seconds from midnight, and HH:MM).

    ``apparatus`` animals are tested at once (e.g. 4 side-by-side cylinders);
    each slot lasts ``session_s + changeover_s``; the first dose is at
    ``start_s`` and every animal is dosed ``pretreatment_s`` before its test.
    """
    if apparatus < 1:
        raise UsageError("apparatus must be >= 1")
    if pretreatment_s < 0 or session_s <= 0 or changeover_s < 0:
        raise UsageError("times must be >= 0 (session > 0)")
    df = allocation.sort_values("order").reset_index(drop=True)
    slot = np.arange(len(df)) // apparatus
    test = start_s + pretreatment_s + slot * (session_s + changeover_s)
    out = df[["order", "code", "block"]].copy()
    out["slot"] = slot + 1
    out["dose_time_s"] = test - pretreatment_s
    out["test_time_s"] = test

    def hhmm(t: float) -> str:
        m = int(round(t / 60))
        return f"{m // 60 % 24:02d}:{m % 60:02d}"

    out["dose_time"] = [hhmm(t) for t in out["dose_time_s"]]
    out["test_time"] = [hhmm(t) for t in out["test_time_s"]]
    return out
