"""The keys a study file may hold, and how each is checked and parsed.

A study file is TOML. Each table (``[study]``, ``[[binding]]``...) has a
:class:`Schema`: a list of :class:`Key` objects saying the key's type, unit
dimension, whether it is required, its default and a line of documentation.
:func:`parse_table` checks one table against its schema and collects every
problem as ``(key path, message)`` instead of stopping at the first, so that
a user sees everything wrong with a file at once.

Key paths name the place in the file: ``study.exposure.fu``,
``binding[2].kd``, ``uptake[1].plates[3]`` (sections and list items are
numbered from 1, in the order they appear).
"""

from __future__ import annotations

import difflib
import glob
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdstudy.errors import UnitError
from pdstudy.units import example_unit, parse_quantity

__all__ = [
    "KINDS",
    "Key",
    "Problems",
    "Schema",
    "did_you_mean",
    "parse_table",
]

#: value kinds of a key
KINDS = (
    "text",
    "texts",
    "quantity",
    "fraction",
    "number",
    "integer",
    "bool",
    "file",
    "files",
    "choice",
    "tables",
)

Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class Key:
    """One key of a study-file table.

    Attributes
    ----------
    name
        The TOML key.
    kind
        One of :data:`KINDS`: ``text`` (string), ``texts`` (a list of strings,
        each one of ``choices`` when those are given), ``quantity`` (string with a
        unit of ``dimension``; parsed to pdstudy's base unit), ``fraction``
        (a number in [0, 1] or a percentage string, ``"2 %"``), ``number``,
        ``integer``, ``bool``, ``file`` (a path relative to the study file,
        which must exist), ``files`` (a list of such paths; glob patterns such
        as ``"plates/net_*.txt"`` are expanded, sorted), ``choice`` (one of
        ``choices``).
    dimension
        For quantities: one dimension of :func:`pdstudy.units.parse_quantity`,
        or several separated by ``|`` (the first that parses wins; the parsed
        value is then ``(value, dimension)``).
    required
        Whether the key must be given.
    default
        Value used when the key is absent (already parsed: molar, seconds...).
    choices
        Allowed values of a ``choice``.
    low, high
        Inclusive bounds of a parsed number (``None``: unbounded).
    positive
        The parsed number must be > 0.
    doc
        One line for the documentation and for "missing key" messages.
    example
        An example value as written in TOML (for the documentation).
    """

    name: str
    kind: str
    dimension: str | None = None
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    positive: bool = False
    doc: str = ""
    example: str = ""
    item: Schema | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"key {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "quantity" and not self.dimension:
            raise ValueError(f"key {self.name!r}: a quantity needs a dimension")
        if self.kind == "tables" and self.item is None:
            raise ValueError(f"key {self.name!r}: a list of tables needs an item schema")


#: cross-key rule of a table: (parsed values, raw values, key path prefix, problems) -> None.
#: Parsed values lack the keys that had problems; ``raw`` says what was written.
Rule = Callable[[dict[str, Any], dict[str, Any], str, Problems], None]


@dataclass(frozen=True)
class Schema:
    """The keys of one table of the study file.

    Attributes
    ----------
    name
        Table name as written (``study``, ``binding``...).
    keys
        Its keys.
    doc
        A paragraph for the documentation.
    rules
        Checks that involve several keys (e.g. "give ``free_conc`` or
        ``plasma_conc``"), run after every key parsed.
    subtables
        Nested tables (``[study.exposure]``).
    """

    name: str
    keys: tuple[Key, ...]
    doc: str = ""
    rules: tuple[Rule, ...] = ()
    subtables: Mapping[str, Schema] = field(default_factory=dict)

    def key(self, name: str) -> Key:
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [k.name for k in self.keys] + list(self.subtables)


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """``" (did you mean 'kd'?)"`` for the closest known name, or ``""``."""
    folded = {k.casefold(): k for k in known}
    if name.casefold() in folded:
        return f" (did you mean {folded[name.casefold()]!r}?)"
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
        close = [folded[c] for c in close]
    if not close:  # "kd_value" -> "kd", "plate" -> "plates": one name starts the other
        low = name.casefold()
        starts = [
            k for f, k in folded.items() if len(f) >= 2 and (low.startswith(f) or f.startswith(low))
        ]
        close = sorted(starts, key=len, reverse=True)[:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(key: Key, value: float, path: str, problems: Problems) -> bool:
    if not math.isfinite(value):
        problems.append((path, f"{value!r} is not a finite number"))
        return False
    if key.positive and value <= 0:
        problems.append((path, f"must be > 0, got {value:g}"))
        return False
    if key.low is not None and value < key.low:
        problems.append((path, f"must be >= {key.low:g}, got {value:g}"))
        return False
    if key.high is not None and value > key.high:
        problems.append((path, f"must be <= {key.high:g}, got {value:g}"))
        return False
    return True


def _file(raw: Any, path: str, base: Path, problems: Problems) -> list[Path] | None:
    if not isinstance(raw, str) or not raw.strip():
        problems.append((path, f"expected a file path (a string), got {_type_name(raw)}"))
        return None
    p = Path(raw).expanduser()
    full = p if p.is_absolute() else base / p
    if any(ch in raw for ch in "*?["):
        matches = sorted(Path(m) for m in glob.glob(str(full)))
        files = [m for m in matches if m.is_file()]
        if not files:
            problems.append((path, f"no file matches {raw!r} (relative to {base})"))
            return None
        return files
    if not full.exists():
        problems.append((path, f"file not found: {raw!r} (looked for {full})"))
        return None
    if not full.is_file():
        problems.append((path, f"{raw!r} is not a file ({full})"))
        return None
    return [full]


def parse_value(key: Key, raw: Any, path: str, base: Path, problems: Problems) -> Any:
    """Parse one value; on a problem append it and return ``None``."""
    kind = key.kind
    if kind == "text":
        if not isinstance(raw, str):
            problems.append((path, f"expected a string, got {_type_name(raw)}"))
            return None
        return raw
    if kind == "texts":
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            problems.append((path, f"expected a list of strings, got {_type_name(raw)}"))
            return None
        bad = [i for i in items if key.choices and i not in key.choices]
        if bad:
            hint = did_you_mean(bad[0], key.choices)
            problems.append(
                (path, f"{bad[0]!r} is not one of {', '.join(map(repr, key.choices))}{hint}")
            )
            return None
        return list(items)
    if kind == "bool":
        if not isinstance(raw, bool):
            problems.append((path, f"expected true or false, got {raw!r}"))
            return None
        return raw
    if kind == "choice":
        if not isinstance(raw, str) or raw not in key.choices:
            hint = did_you_mean(str(raw), key.choices)
            problems.append(
                (path, f"{raw!r} is not one of {', '.join(map(repr, key.choices))}{hint}")
            )
            return None
        return raw
    if kind in ("number", "integer"):
        if not _number(raw) or (kind == "integer" and not isinstance(raw, int)):
            what = "an integer" if kind == "integer" else "a number"
            problems.append((path, f"expected {what}, got {raw!r}"))
            return None
        return raw if _check_range(key, float(raw), path, problems) else None
    if kind == "fraction":
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            problems.append((path, f"expected a fraction (0.02 or '2 %'), got {_type_name(raw)}"))
            return None
        try:
            value = parse_quantity(raw, "fraction")
        except UnitError as exc:
            problems.append((path, exc.detail))
            return None
        lo = 0.0 if key.low is None else key.low
        hi = 1.0 if key.high is None else key.high
        if not (lo <= value <= hi) or (key.positive and value <= 0):
            problems.append((path, f"{raw!r} is not a fraction in ({lo:g}, {hi:g}]"))
            return None
        return value
    if kind == "quantity":
        return _quantity(key, raw, path, problems)
    if kind == "file":
        files = _file(raw, path, base, problems)
        if files is None:
            return None
        if len(files) > 1:
            problems.append((path, f"{raw!r} matches {len(files)} files; give one file"))
            return None
        return files[0]
    if kind == "files":
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            problems.append((path, f"expected a list of file paths, got {_type_name(raw)}"))
            return None
        out: list[Path] = []
        ok = True
        for i, item in enumerate(items, start=1):
            got = _file(item, f"{path}[{i}]", base, problems)
            if got is None:
                ok = False
            else:
                out.extend(got)
        dup = sorted({str(p) for p in out if out.count(p) > 1})
        if dup:
            problems.append((path, f"file(s) listed twice: {', '.join(dup)}"))
            ok = False
        return out if ok else None
    if kind == "tables":
        assert key.item is not None
        rows = [raw] if isinstance(raw, dict) else raw
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            problems.append((path, f"expected a list of tables, got {_type_name(raw)}"))
            return None
        # every item is kept (with the keys that parsed), so the section's own checks
        # can still report the other items' problems at once
        return [
            parse_table(key.item, row, f"{path}[{i}]", base, problems)
            for i, row in enumerate(rows, start=1)
        ]
    raise AssertionError(kind)  # pragma: no cover - __post_init__ guards kinds


def _quantity(key: Key, raw: Any, path: str, problems: Problems) -> Any:
    dims = str(key.dimension).split("|")
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        problems.append(
            (
                path,
                f"expected a quantity with a unit, e.g. '1 {example_unit(dims[0])}', "
                f"got {_type_name(raw)}",
            )
        )
        return None
    first: UnitError | None = None
    for dim in dims:
        try:
            value = parse_quantity(raw, dim)
        except UnitError as exc:
            first = first or exc
            continue
        if not _check_range(key, value, path, problems):
            return None
        return (value, dim) if len(dims) > 1 else value
    assert first is not None
    message = first.detail
    if len(dims) > 1 and "expected a" in message:
        wanted = " or ".join(d.replace("_", " ") for d in dims)
        message = message.split(", expected")[0] + f", expected a {wanted}"
    problems.append((path, message))
    return None


def parse_table(
    schema: Schema, raw: Any, path: str, base: Path, problems: Problems
) -> dict[str, Any]:
    """Check ``raw`` (a TOML table) against ``schema``; return the parsed values.

    Every problem is appended to ``problems`` as ``(key path, message)``;
    keys with problems are absent from the result, absent optional keys take
    their default. Sub-tables are parsed recursively into nested dicts.
    """
    if not isinstance(raw, dict):
        problems.append((path, f"expected a table, got {_type_name(raw)}"))
        return {}
    out: dict[str, Any] = {}
    names = schema.names
    for name, value in raw.items():
        where = f"{path}.{name}"
        if name in schema.subtables:
            out[name] = parse_table(schema.subtables[name], value, where, base, problems)
            continue
        if name not in names:
            problems.append((where, f"unknown key {name!r}{did_you_mean(name, names)}"))
            continue
        parsed = parse_value(schema.key(name), value, where, base, problems)
        if parsed is not None:
            out[name] = parsed
    for key in schema.keys:
        if key.name in raw:
            continue
        if key.required:
            example = f", e.g. {key.name} = {key.example}" if key.example else ""
            problems.append((f"{path}.{key.name}", f"missing (required): {key.doc}{example}"))
        else:
            out[key.name] = key.default
    for sub, sub_schema in schema.subtables.items():
        if sub not in raw:
            out[sub] = parse_table(sub_schema, {}, f"{path}.{sub}", base, problems)
    for rule in schema.rules:
        rule(out, raw, path, problems)
    return out
