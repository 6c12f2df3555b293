"""Manual behaviour scores: :func:`read_event_log` reads bout logs, time-sampling sheets and
human totals into tidy tables.

Formats (in :data:`EVENT_LOG_FORMATS`, sniffed from the header, not the name):

``bouts_csv``
    A plain CSV of bouts: ``animal``, ``behavior``, ``start_s``, ``stop_s``
    (optionally ``video``).
``boris_aggregated``
    BORIS "aggregated events" export: ``Observation id``, ``Subject``,
    ``Behavior``, ``Start (s)``, ``Stop (s)`` (CSV or TSV). The animal is the
    subject, or the observation id when no subject is coded; the video is the
    file name of ``Media file name`` (or ``Media file path``) when the export
    has it, else the observation id.
``boris_events``
    BORIS tabular events export: ``Observation id``, ``Time``, ``Subject``,
    ``Behavior``, ``Status`` (``START``/``STOP``; ``POINT`` events are
    ignored), paired into bouts; the video as for aggregated events.
``time_sampling``
    A Detke/Lucki 5-s time-sampling sheet: ``animal`` and counts of
    ``immobility``, ``swimming``, ``climbing`` (optionally ``interval_s``,
    default 5), giving seconds = count x interval.
``human_totals``
    Totals for calibration: ``video``, ``immobility_s`` and optionally
    ``animal`` (one animal per video without it).

Bout formats give :class:`EventLog` ``kind="bouts"`` (``animal``, ``behavior``,
``start_s``, ``stop_s``, ``video``); the others ``kind="totals"``
(``animal``, ``behavior``, ``duration_s``, ``video``). Behaviour names are
mapped to ``immobile``, ``active`` (swimming, struggling) and ``vigorous``
(climbing); others are kept as written. Overlapping bouts of one animal and
stops before starts are errors naming the row.
"""

from __future__ import annotations

import csv
import io as _io
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from pdstudy.errors import InputFileError
from pdstudy.io.registry import Format, FormatRegistry

__all__ = [
    "EVENT_LOG_FORMATS",
    "EventLog",
    "canonical_behavior",
    "list_event_log_formats",
    "read_event_log",
]

EVENT_LOG_FORMATS = FormatRegistry(
    "event log", hint="pass format= to force one; see list_event_log_formats()"
)

_ALIASES = {
    "immobile": "immobile",
    "immobility": "immobile",
    "floating": "immobile",
    "freezing": "immobile",
    "active": "active",
    "swimming": "active",
    "swim": "active",
    "struggling": "active",
    "mobile": "active",
    "vigorous": "vigorous",
    "climbing": "vigorous",
    "climb": "vigorous",
}


def canonical_behavior(name: str) -> str:
    """``immobile``, ``active`` or ``vigorous`` for the usual names; else the name, lowercased."""
    key = str(name).strip().lower()
    return _ALIASES.get(key, key)


@dataclass(frozen=True)
class EventLog:
    """A manual score file read: ``kind`` ``"bouts"`` or ``"totals"`` and its table."""

    path: str
    format: str
    kind: str
    table: pd.DataFrame


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read the event log: {exc}", path) from exc
    for enc in ("utf-8-sig", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError("not a text file", path)


def _frame(path: Path) -> pd.DataFrame:
    text = _read_text(path)
    if not text.strip():
        raise InputFileError("empty file", path)
    first = text.splitlines()[0]
    sep = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return pd.read_csv(_io.StringIO(text), sep=sep)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputFileError(f"not a readable table: {exc}", path) from exc


def _header(head: str) -> set[str]:
    first = head.splitlines()[0] if head else ""
    sep = "\t" if first.count("\t") > first.count(",") else ","
    return {c.strip().strip('"').lower() for c in first.split(sep)}


def _check_bouts(df: pd.DataFrame, path: Path, row_offset: int = 2) -> pd.DataFrame:
    for col in ("start_s", "stop_s"):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() & df[col].notna() | df[col].isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFileError(
                f"{col} is not a number: {df[col].iloc[i]!r}", path, f"row {i + row_offset}"
            )
        df[col] = vals.astype(float)
    back = df["stop_s"] < df["start_s"]
    if back.any():
        i = int(np.flatnonzero(back.to_numpy())[0])
        raise InputFileError("stop_s is before start_s", path, f"row {i + row_offset}")
    df["behavior"] = df["behavior"].map(canonical_behavior)
    df["animal"] = df["animal"].astype(str)
    if "video" not in df.columns:
        df["video"] = ""
    df["video"] = df["video"].fillna("").astype(str)
    # one animal is in one state at a time: its state bouts must not overlap
    order = df.sort_values(["video", "animal", "start_s"], kind="stable")
    for (_, animal), g in order.groupby(["video", "animal"], sort=False):
        starts = g["start_s"].to_numpy()
        stops = g["stop_s"].to_numpy()
        over = np.flatnonzero(starts[1:] < stops[:-1] - 1e-9)
        if over.size:
            j = over[0]
            r1, r2 = g.index[j], g.index[j + 1]
            raise InputFileError(
                f"overlapping bouts of animal {animal!r}: {stops[j]:g} s > next start "
                f"{starts[j + 1]:g} s (rows {r1 + row_offset} and {r2 + row_offset})",
                path,
                f"row {r2 + row_offset}",
            )
    return df[["video", "animal", "behavior", "start_s", "stop_s"]].reset_index(drop=True)


def _read_bouts_csv(path: Path) -> EventLog:
    df = _frame(path)
    df.columns = [c.strip().lower() for c in df.columns]
    return EventLog(str(path), "bouts_csv", "bouts", _check_bouts(df, path))


_MEDIA_COLUMNS = ("media file name", "media file path", "media file")


def _media_names(df: pd.DataFrame, cols: dict[str, str], obs: pd.Series) -> pd.Series:
    """The video of each row: the file name of the BORIS media column, else the observation."""
    for key in _MEDIA_COLUMNS:
        if key in cols:
            media = df[cols[key]]
            names = media.astype(str).map(lambda v: v.replace("\\", "/").rsplit("/", 1)[-1])
            return names.where(media.notna() & (media.astype(str).str.strip() != ""), obs)
    return obs


def _read_boris_aggregated(path: Path) -> EventLog:
    df = _frame(path)
    cols = {c.strip().lower(): c for c in df.columns}
    subject = df[cols["subject"]] if "subject" in cols else None
    obs = df[cols["observation id"]].astype(str)
    video = _media_names(df, cols, obs)
    animal = (
        obs
        if subject is None
        else subject.where(
            subject.notna() & (subject.astype(str).str.lower() != "no focal subject"), obs
        )
    )
    out = pd.DataFrame(
        {
            "video": video,
            "animal": animal.astype(str),
            "behavior": df[cols["behavior"]],
            "start_s": df[cols["start (s)"]],
            "stop_s": df[cols["stop (s)"]],
        }
    )
    if "behavior type" in cols:
        out = out[df[cols["behavior type"]].astype(str).str.upper() != "POINT"]
    return EventLog(str(path), "boris_aggregated", "bouts", _check_bouts(out, path))


def _read_boris_events(path: Path) -> EventLog:
    df = _frame(path)
    cols = {c.strip().lower(): c for c in df.columns}
    rows = []
    open_: dict[tuple[str, str, str], tuple[float, int]] = {}
    subj = cols.get("subject")
    videos = _media_names(df, cols, df[cols["observation id"]].astype(str))
    for i, (_, r) in enumerate(df.iterrows()):
        status = str(r[cols["status"]]).strip().upper()
        if status == "POINT":
            continue
        obs = str(r[cols["observation id"]])
        video = str(videos.iloc[i])
        animal = (
            str(r[subj])
            if subj is not None and pd.notna(r[subj]) and str(r[subj]).lower() != "no focal subject"
            else obs
        )
        beh = str(r[cols["behavior"]])
        try:
            t = float(r[cols["time"]])
        except (TypeError, ValueError) as exc:
            raise InputFileError(
                f"Time is not a number: {r[cols['time']]!r}", path, f"row {i + 2}"
            ) from exc
        key = (video, animal, beh)
        if status == "START":
            if key in open_:
                raise InputFileError(
                    f"{beh!r} of {animal!r} starts again before it stops", path, f"row {i + 2}"
                )
            open_[key] = (t, i)
        elif status == "STOP":
            if key not in open_:
                raise InputFileError(
                    f"{beh!r} of {animal!r} stops without a start", path, f"row {i + 2}"
                )
            t0, _ = open_.pop(key)
            rows.append((video, animal, beh, t0, t))
        else:
            raise InputFileError(
                f"unknown Status {status!r} (START, STOP or POINT)", path, f"row {i + 2}"
            )
    if open_:
        (obs, animal, beh), (_, i) = next(iter(open_.items()))
        raise InputFileError(f"{beh!r} of {animal!r} never stops", path, f"row {i + 2}")
    out = pd.DataFrame(rows, columns=["video", "animal", "behavior", "start_s", "stop_s"])
    return EventLog(str(path), "boris_events", "bouts", _check_bouts(out, path, row_offset=0))


def _read_time_sampling(path: Path) -> EventLog:
    df = _frame(path)
    df.columns = [c.strip().lower() for c in df.columns]
    interval = df["interval_s"] if "interval_s" in df.columns else pd.Series(5.0, index=df.index)
    rows = []
    for i, (_, r) in enumerate(df.iterrows()):
        for col in ("immobility", "swimming", "climbing"):
            if col not in df.columns:
                continue
            try:
                count = float(r[col])
            except (TypeError, ValueError) as exc:
                raise InputFileError(
                    f"{col} is not a count: {r[col]!r}", path, f"row {i + 2}"
                ) from exc
            if count < 0 or count != int(count):
                raise InputFileError(f"{col} is not a count: {r[col]!r}", path, f"row {i + 2}")
            rows.append(
                (
                    str(r.get("video", "")) if pd.notna(r.get("video", "")) else "",
                    str(r["animal"]),
                    canonical_behavior(col),
                    count * float(interval.iloc[i]),
                    int(count),
                )
            )
    out = pd.DataFrame(rows, columns=["video", "animal", "behavior", "duration_s", "count"])
    return EventLog(str(path), "time_sampling", "totals", out)


def _read_human_totals(path: Path) -> EventLog:
    df = _frame(path)
    df.columns = [c.strip().lower() for c in df.columns]
    vals = pd.to_numeric(df["immobility_s"], errors="coerce")
    if vals.isna().any():
        i = int(np.flatnonzero(vals.isna().to_numpy())[0])
        raise InputFileError(
            f"immobility_s is not a number: {df['immobility_s'].iloc[i]!r}", path, f"row {i + 2}"
        )
    out = pd.DataFrame(
        {
            "video": df["video"].astype(str),
            "animal": df["animal"].astype(str) if "animal" in df.columns else "",
            "behavior": "immobile",
            "duration_s": vals.astype(float),
        }
    )
    dup = out.duplicated(["video", "animal"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputFileError("a second score of the same video and animal", path, f"row {i + 2}")
    return EventLog(str(path), "human_totals", "totals", out)


def _has(*cols: str):  # noqa: ANN202
    def sniff(path: Path, head: str) -> bool:
        h = _header(head)
        return all(c in h for c in cols)

    return sniff


for _fmt in (
    Format(
        "boris_events",
        "BORIS tabular events (START/STOP rows)",
        _has("observation id", "time", "behavior", "status"),
        _read_boris_events,
        (".csv", ".tsv"),
        10,
    ),
    Format(
        "boris_aggregated",
        "BORIS aggregated events (Start (s), Stop (s))",
        _has("observation id", "behavior", "start (s)", "stop (s)"),
        _read_boris_aggregated,
        (".csv", ".tsv"),
        10,
    ),
    Format(
        "bouts_csv",
        "CSV of bouts: animal, behavior, start_s, stop_s",
        _has("animal", "behavior", "start_s", "stop_s"),
        _read_bouts_csv,
        (".csv",),
        20,
    ),
    Format(
        "time_sampling",
        "Detke/Lucki 5-s time sampling: animal, immobility, swimming, climbing",
        _has("animal", "immobility", "swimming"),
        _read_time_sampling,
        (".csv",),
        30,
    ),
    Format(
        "human_totals",
        "human immobility totals: video, [animal], immobility_s",
        _has("video", "immobility_s"),
        _read_human_totals,
        (".csv",),
        40,
    ),
):
    EVENT_LOG_FORMATS.register(_fmt)


def list_event_log_formats() -> pd.DataFrame:
    """The manual-score formats pdstudy reads."""
    return EVENT_LOG_FORMATS.table()


def read_event_log(path: str | PathLike[str], *, format: str = "auto") -> EventLog:
    """Read a bout log, time-sampling sheet or human totals (see the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError("no such event log", p)
    text = _read_text(p)
    if not text.strip():
        raise InputFileError("empty file", p)
    fmt = (
        EVENT_LOG_FORMATS.sniff(p, text[:4096])
        if format == "auto"
        else EVENT_LOG_FORMATS.get(format)
    )
    log: EventLog = fmt.read(p)
    return log
