"""The design steps that make a behavioural result credible: allocation, blinding, schedule.

- :func:`allocate_groups`: block randomisation of animals to dose groups,
  balanced within each block (cohort, cage or test day), seeded and
  reproducible; each animal gets a blinding code and a place in the
  (blinded) test order.
- :func:`blind_videos`: a renamed list of video files (code names) and the
  unblinding key, to be written separately and kept from the scorer.
- :func:`schedule_test_day`: dosing and test times per animal from the
  pre-treatment time, staggered by session length and changeover.

The same allocation serves any in vivo design (microdialysis too), and
:func:`allocate_design` allocates a study file's `[design]`: stratified by every
blocking factor, refusing blocks that cannot hold every group equally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pdstudy.errors import UsageError

__all__ = [
    "KEY_COLUMNS",
    "allocate_design",
    "allocate_groups",
    "balance_problems",
    "blind_videos",
    "generate_animals",
    "schedule_test_day",
    "unblinding_key",
]


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


def generate_animals(
    n_animals: int, *, factor: str | None = None, levels: int = 1, prefix: str = "R"
) -> pd.DataFrame:
    """Animal identifiers ``R01``... split evenly over ``levels`` of one blocking factor.

    Animal ``i`` goes to level ``i * levels // n_animals + 1`` (levels numbered
    from 1), so the levels hold ``n_animals / levels`` animals each when that
    divides.
    """
    if n_animals < 1:
        raise UsageError(f"the number of animals must be >= 1, got {n_animals}")
    if levels < 1:
        raise UsageError(f"the number of blocks must be >= 1, got {levels}")
    width = max(2, len(str(n_animals)))
    df = pd.DataFrame({"animal": [f"{prefix}{i + 1:0{width}d}" for i in range(n_animals)]})
    if factor is not None:
        df[factor] = [str(i * levels // n_animals + 1) for i in range(n_animals)]
    return df


def balance_problems(
    animals: pd.DataFrame, n_groups: int, blocking: Sequence[str] = ()
) -> list[str]:
    """Why ``animals`` cannot be allocated to ``n_groups`` equal groups balanced in every block.

    Each block (every combination of the blocking factors' levels that holds
    animals) must hold a multiple of ``n_groups`` animals; so must the whole
    design. Returns one sentence per block that fails (empty: it balances).
    """
    if n_groups < 2:
        return [f"a design needs at least two groups, got {n_groups}"]
    missing = [f for f in blocking if f not in animals.columns]
    if missing:
        return [f"the animals have no blocking factor {m!r}" for m in missing]
    out = []
    if len(animals) % n_groups:
        out.append(
            f"{len(animals)} animals cannot be split into {n_groups} equal groups "
            f"({len(animals)} is not a multiple of {n_groups})"
        )
    if blocking:
        sizes = animals.groupby(list(blocking), sort=True).size()
        for level, size in sizes.items():
            if size % n_groups:
                values = level if isinstance(level, tuple) else (level,)
                name = ", ".join(f"{f} {v}" for f, v in zip(blocking, values, strict=True))
                out.append(
                    f"block {name} has {size} animals, not a multiple of the {n_groups} groups, "
                    "so the groups cannot be balanced within it"
                )
    return out


def allocate_design(
    animals: pd.DataFrame,
    groups: Sequence[str],
    *,
    blocking: Sequence[str] = (),
    seed: int,
) -> pd.DataFrame:
    """Allocate a study's animals to equal groups, balanced within every block.

    The blocks are the combinations of the ``blocking`` factors (columns of
    ``animals``: cohort, cage, day...); within each, every group gets the same
    number of animals (:func:`allocate_groups`' permuted blocks). Each group
    also gets a blinding code (``G1``, ``G2``... in an order drawn at random,
    so that a code says nothing of the dose).

    Returns
    -------
    pandas.DataFrame
        One row per animal in test order: ``order``, ``code`` (the animal's
        blinding code), ``animal``, the blocking factors, ``block`` (their
        combination, ``"all"`` without), ``group``, ``group_code``.

    Raises
    ------
    UsageError
        The groups cannot be balanced (every reason, from :func:`balance_problems`).
    """
    problems = balance_problems(animals, len(groups), blocking)
    if problems:
        raise UsageError("the design cannot be balanced: " + "; ".join(problems))
    df = animals.copy()
    df["animal"] = df["animal"].astype(str)
    if blocking:
        for f in blocking:
            df[f] = df[f].astype(str)
        df["_block"] = [
            ", ".join(f"{f} {v}" for f, v in zip(blocking, values, strict=True))
            for values in df[list(blocking)].itertuples(index=False, name=None)
        ]
    alloc = allocate_groups(df, groups, block="_block" if blocking else None, seed=seed)
    rng = np.random.default_rng([seed, 1])  # a stream of its own: the animals' draws stay put
    group_codes = dict(
        zip(groups, [f"G{i + 1}" for i in rng.permutation(len(groups))], strict=True)
    )
    extra = df.set_index("animal")[list(blocking)] if blocking else None
    out = alloc.copy()
    if extra is not None:
        out = out.join(extra, on="animal")
    out["group_code"] = out["group"].map(group_codes)
    cols = ["order", "code", "animal", *blocking, "block", "group", "group_code"]
    return out[cols].reset_index(drop=True)


#: columns of :func:`unblinding_key` (then the blocking factors)
KEY_COLUMNS = (
    "code",
    "animal",
    "group_code",
    "group",
    "treatment",
    "dose",
    "route",
    "pretreatment_min",
)


def unblinding_key(
    allocation: pd.DataFrame,
    treatments: Mapping[str, Mapping[str, object]],
    blocking: Sequence[str] = (),
) -> pd.DataFrame:
    """The unblinding key of an allocation (:func:`allocate_design`), one row per animal code.

    ``treatments`` maps each group to its ``treatment``, ``dose`` (text with
    its unit), ``route`` and ``pretreatment_min``. Columns :data:`KEY_COLUMNS`
    and the blocking factors, sorted by code. Keep it from whoever is blind.
    """
    key = allocation[["code", "animal", "group_code", "group"]].copy()
    for col in ("treatment", "dose", "route", "pretreatment_min"):
        key[col] = pd.Series(
            [treatments[str(g)].get(col, "") for g in key["group"]], index=key.index
        )
    for f in blocking:
        key[f] = allocation[f]
    return key.sort_values("code").reset_index(drop=True)
