"""Plate layouts: what each well holds, in wellmap's TOML format.

A layout says, for each well, its ``role`` (total binding, non-specific
binding, a competition point, a blank...), the ``compound`` and its
concentration, plus any field a user adds. Layouts are written in the TOML
format of the `wellmap <https://wellmap.readthedocs.io>`_ library::

    [row.A]
    role = "total"

    [row.B]
    role = "nsb"
    compound = "desipramine"
    conc = "10 µM"

    [col.3]
    conc_M = 1e-9

    [plate.p2.well.H12]     # [plate.*] blocks for several plates
    role = "blank"

:func:`read_layout` returns a tidy table with one row per (plate, well):

=========  =======  =========================================================
column     dtype    meaning
=========  =======  =========================================================
plate      str      plate name from ``[plate.NAME]``, "1" when there is none
well       str      canonical well name, "A1"
row, col   str/int  row letter(s) and 1-based column
role       str      total, nsb, competition, blank, standard, sample,
                    control or saturation (missing only when no well has one)
compound   str      missing where not given
conc_M     float64  molar concentration, from ``conc_M`` (a number, molar) or
                    ``conc`` (a string with a unit, "10 nM"); NaN where absent
...                 every other field, columns in alphabetical order
=========  =======  =========================================================

:func:`write_layout` writes such a table back as wellmap TOML, and
:func:`merge_layout` joins a layout to a plate table from
:func:`pdstudy.io.read_plate`.
"""

from __future__ import annotations

import math
import re
import tomllib
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdstudy import columns as C
from pdstudy.errors import LayoutError, UnitError, UsageError
from pdstudy.units import parse_conc

from .wells import parse_well, row_label, well_name

__all__ = ["read_layout", "write_layout", "merge_layout"]

#: columns wellmap adds that are not layout fields
_WELLMAP_COLUMNS = ("well", "well0", "row", "col", "row_i", "col_j", "plate", "path")
_FIXED = (C.PLATE, C.WELL, C.ROW, C.COL, C.ROLE, C.COMPOUND, C.CONC_M)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_MAX_LISTED = 10


# --- reading ------------------------------------------------------------------------


def read_layout(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a wellmap TOML plate layout into a tidy table.

    Parameters
    ----------
    path
        The layout file (wellmap TOML).

    Returns
    -------
    pandas.DataFrame
        One row per (plate, well): ``plate, well, row, col, role, compound,
        conc_M`` and any other field (see the module documentation). Rows are
        ordered by plate (as in the file), row and column. ``attrs["path"]``
        is the layout file.

    Raises
    ------
    LayoutError
        The file is missing or not valid wellmap TOML, a ``role`` is not one
        of :data:`pdstudy.columns.ROLES`, some wells have a role and others
        none, or a concentration cannot be read. The message names the file
        and the well.
    """
    import wellmap

    p = Path(path)
    if not p.is_file():
        raise LayoutError("no such layout file", p)
    _check_toml(p)
    alerts: list[str] = []
    try:
        raw = wellmap.load(p, on_alert=lambda _path, message: alerts.append(str(message)))
        if "plate" in raw.columns:
            raw = _all_plate_fields(p, raw)
    except tomllib.TOMLDecodeError as exc:  # an included layout
        raise LayoutError(f"not valid TOML: {exc}", p) from None
    except wellmap.LayoutError as exc:
        raise LayoutError(getattr(exc, "message", str(exc)), p) from None
    except OSError as exc:  # meta.include / meta.concat names a missing or unreadable file
        name = exc.filename if exc.filename is not None else ""
        raise LayoutError(f"cannot read {name}: {exc.strerror or exc}", p) from None
    for message in alerts:
        warnings.warn(f"{p}: {message}", UserWarning, stacklevel=2)
    frame = _normalise(raw, p)
    _check_concentrations(frame, p)
    frame.attrs["path"] = str(p)
    if "path" in raw.columns:
        frame.attrs["data_paths"] = [str(x) for x in dict.fromkeys(raw["path"])]
    return frame


#: roles whose wells are points of a curve and so need a concentration
_CONC_ROLES = ("competition", "saturation")


def _check_concentrations(frame: pd.DataFrame, path: Path) -> None:
    """A competition or saturation well without a concentration is an error naming the wells
    (it would otherwise drop out of the fit without a word)."""
    if C.ROLE not in frame.columns:
        return
    need = frame[C.ROLE].isin(_CONC_ROLES)
    conc = frame[C.CONC_M] if C.CONC_M in frame.columns else pd.Series(np.nan, index=frame.index)
    missing = frame[need & conc.isna()]
    if missing.empty:
        return
    several = frame[C.PLATE].nunique() > 1 if C.PLATE in frame.columns else False
    names = [
        f"{w} (plate {pl})" if several else str(w)
        for pl, w in zip(missing.get(C.PLATE, ["1"] * len(missing)), missing[C.WELL], strict=True)
    ]
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    role = missing[C.ROLE].iloc[0]
    raise LayoutError(
        f"{len(names)} {role} well(s) have no concentration: {shown} "
        '(give conc = "10 nM" or conc_M, or another role)',
        path,
        f"well {missing[C.WELL].iloc[0]}",
    )


def _all_plate_fields(path: Path, loaded: pd.DataFrame) -> pd.DataFrame:
    """The layout of a file with [plate] blocks, keeping every plate's fields.

    ``wellmap.load`` (3.5) keeps only the columns of the *last* plate when it
    joins the plates, so a field that the last plate lacks disappears from all
    of them. This repeats its per-plate assembly with a plain concatenation.
    It uses wellmap internals; if they are no longer there, the public result
    is returned (and a field may then be missing). Errors raised while using
    them propagate: ``read_layout`` turns wellmap's own ``LayoutError`` into
    :class:`~pdstudy.errors.LayoutError`, anything else is a bug to see.
    """
    try:
        from wellmap.file import (
            config_from_toml,
            configdict,
            table_from_wells,
            wells_from_config,
        )
        from wellmap.util import recursive_merge
    except ImportError:  # pragma: no cover - wellmap internals moved
        return loaded
    config, paths, concats, _meta = config_from_toml(path, on_alert=lambda *_: None)
    config = configdict(config)
    tables = []
    for key, plate_config in config.plates.items():
        plate_config = dict(plate_config)
        plate_config["expt"] = configdict(plate_config).user
        plate_config = recursive_merge(plate_config, config)
        wells = wells_from_config(plate_config)
        index = paths.get_index_for_named_plate(key) if wells else {}
        tables.append(table_from_wells(wells, index))
    full = pd.concat([*tables, *concats], sort=False)
    if len(full) != len(loaded) or not set(loaded.columns) <= set(full.columns):
        return loaded  # pragma: no cover - a disagreement: trust the public result
    return full


#: wellmap blocks that map a name (row, column, well...) to a table of fields
_FIELD_BLOCKS = ("row", "col", "irow", "icol", "well")


def _check_toml(path: Path, ancestors: tuple[Path, ...] = ()) -> None:
    """Check that a layout file (and the layouts it includes) is TOML shaped as wellmap expects.

    wellmap reports most mistakes itself (as ``wellmap.LayoutError``), but a
    block that is not a table (``row = 5``, ``[row] A = 3``, ``[[row.A]]``) or
    a ``meta.path`` that is not a string reaches its internals as a plain
    ``TypeError``/``AttributeError``. Checking the shape first names the key
    at fault and leaves any error that wellmap raises later to be a real one.
    """
    resolved = path.resolve()
    if resolved in ancestors:
        raise LayoutError(
            "the layout includes itself (meta.include/meta.concat form a cycle)", path
        )
    if not path.is_file():
        return  # a missing include: wellmap reports it
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"not valid TOML: {exc}", path) from None
    except OSError as exc:
        raise LayoutError(f"cannot read the layout: {exc.strerror or exc}", path) from None
    _check_blocks(path, data, "")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise LayoutError(f"meta must be a table, not {_toml_type(meta)}", path, "meta")
    if "path" in meta and not isinstance(meta["path"], str):
        raise LayoutError(
            f"meta.path must be a string, not {_toml_type(meta['path'])}", path, "meta.path"
        )
    paths = meta.get("paths")
    if paths is not None and not (
        isinstance(paths, str)
        or (isinstance(paths, dict) and all(isinstance(v, str) for v in paths.values()))
    ):
        raise LayoutError("meta.paths must be a string or a table of strings", path, "meta.paths")
    for key in ("include", "concat"):
        for sub in _included(meta.get(key)):
            _check_toml(path.parent / sub, (*ancestors, resolved))


def _included(value: Any) -> list[str]:
    """The file names of a ``meta.include``/``meta.concat`` value (wellmap checks its form)."""
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict) and "path" not in value:
        items = list(value.values())  # concat: plate name -> file
    else:
        items = [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("path")
        if isinstance(item, str):
            names.append(item)
    return names


def _check_blocks(path: Path, data: dict[str, Any], prefix: str) -> None:
    for key in _FIELD_BLOCKS:
        if key in data:
            _check_table_of_tables(path, data[key], f"{prefix}{key}")
    if "block" in data:
        blocks = data["block"]
        _check_table(path, blocks, f"{prefix}block")
        for size, wells in blocks.items():
            _check_table_of_tables(path, wells, f"{prefix}block.{size}")
    for key in ("expt", "plate"):
        if key in data:
            _check_table(path, data[key], f"{prefix}{key}")
    for name, plate in data.get("plate", {}).items():
        if isinstance(plate, dict):  # a scalar: wellmap names it ("Illegal attribute")
            _check_blocks(path, plate, f"{prefix}plate.{name}.")


def _check_table(path: Path, value: Any, key: str) -> None:
    if not isinstance(value, dict):
        raise LayoutError(f"[{key}] must be a table, not {_toml_type(value)}", path, key)


def _check_table_of_tables(path: Path, value: Any, key: str) -> None:
    _check_table(path, value, key)
    for name, fields in value.items():
        if not isinstance(fields, dict):
            raise LayoutError(
                f"{key}.{name} must be a table of fields ([{key}.{name}]), "
                f"not {_toml_type(fields)}",
                path,
                f"{key}.{name}",
            )


def _toml_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    return f"the value {value!r}"


def _where(plate: str, well: str, multi: bool) -> str:
    return f"plate {plate}, well {well}" if multi else f"well {well}"


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _normalise(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    n = len(raw)
    plates = [str(x) for x in raw["plate"]] if "plate" in raw.columns else ["1"] * n
    multi = "plate" in raw.columns
    ijs = []
    for w in raw["well"]:
        ij = parse_well(w)
        if ij is None:
            raise LayoutError(f"{w!r} is not a well pdstudy knows (max 1536-well plate)", path)
        ijs.append(ij)
    wells = [well_name(*ij) for ij in ijs]
    where = [_where(p, w, multi) for p, w in zip(plates, wells, strict=True)]

    roles = _roles(raw, where, path)
    compounds = [
        None if _missing(v) else str(v)
        for v in (raw[C.COMPOUND] if C.COMPOUND in raw.columns else [None] * n)
    ]
    conc = _concentrations(raw, where, path)

    plate_order = {p: k for k, p in enumerate(dict.fromkeys(plates))}
    out = pd.DataFrame(
        {
            C.PLATE: pd.Series(plates, dtype="str"),
            C.WELL: pd.Series(wells, dtype="str"),
            C.ROW: pd.Series([row_label(i) for i, _ in ijs], dtype="str"),
            C.COL: np.array([j + 1 for _, j in ijs], dtype=np.int64),
            C.ROLE: pd.Series(roles, dtype="str"),
            C.COMPOUND: pd.Series(compounds, dtype="str"),
            C.CONC_M: np.array(conc, dtype=np.float64),
        }
    )
    extras = sorted(
        c for c in raw.columns if c not in _WELLMAP_COLUMNS and c not in (*_FIXED, "conc")
    )
    for c in extras:
        out[c] = raw[c].reset_index(drop=True)
    order = np.lexsort(
        (
            [j for _, j in ijs],
            [i for i, _ in ijs],
            [plate_order[p] for p in plates],
        )
    )
    return out.iloc[order].reset_index(drop=True)


def _roles(raw: pd.DataFrame, where: list[str], path: Path) -> list[str | None]:
    if C.ROLE not in raw.columns:
        return [None] * len(raw)
    roles: list[str | None] = []
    lacking = []
    for value, w in zip(raw[C.ROLE], where, strict=True):
        if _missing(value):
            roles.append(None)
            lacking.append(w)
            continue
        role = str(value).strip().lower()
        if not isinstance(value, str) or role not in C.ROLES:
            raise LayoutError(f"role {value!r} is not one of: {', '.join(C.ROLES)}", path, w)
        roles.append(role)
    if lacking:
        raise LayoutError(
            f"{len(lacking)} well(s) have no role while others do: {_listing(lacking)} "
            "(give every well a role, or check that [row]/[col] blocks do not span "
            "wells you did not mean to use)",
            path,
        )
    return roles


def _concentrations(raw: pd.DataFrame, where: list[str], path: Path) -> list[float]:
    n = len(raw)
    conc = raw["conc"] if "conc" in raw.columns else [None] * n
    conc_m = raw[C.CONC_M] if C.CONC_M in raw.columns else [None] * n
    out = []
    for text, molar, w in zip(conc, conc_m, where, strict=True):
        a = None if _missing(text) else _parse_conc(text, "conc", w, path)
        b = None if _missing(molar) else _parse_molar(molar, w, path)
        if a is not None and b is not None and not math.isclose(a, b, rel_tol=1e-9):
            raise LayoutError(
                f"conc = {text!r} and conc_M = {molar!r} disagree; give one of them", path, w
            )
        value = a if a is not None else b
        if value is not None and value < 0:
            raise LayoutError(f"negative concentration {value:g} M", path, w)
        out.append(math.nan if value is None else value)
    return out


def _parse_conc(value: Any, key: str, where: str, path: Path) -> float:
    try:
        return parse_conc(value if isinstance(value, str) else _plain(value))
    except UnitError as exc:
        raise LayoutError(
            f"cannot read {key} = {value!r}: {exc.detail} "
            '(write conc as a string with a unit, e.g. conc = "10 nM", or a molar number as conc_M)',
            path,
            where,
        ) from None


def _parse_molar(value: Any, where: str, path: Path) -> float:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return _parse_conc(value, "conc_M", where, path)
        if math.isfinite(number):
            return number
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if math.isfinite(float(value)):
            return float(value)
    raise LayoutError(f"conc_M = {value!r} is not a molar concentration", path, where)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


# --- writing ------------------------------------------------------------------------


def write_layout(frame: pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write a tidy layout table as a wellmap TOML file.

    Fields shared by whole rows or columns of a rectangular plate are written
    once in ``[row.X]``/``[col.N]`` tables; the rest in ``[well.A1,B2]``
    tables that list the wells sharing a value.
    Several plates go in ``[plate.NAME...]`` blocks; a single plate named "1"
    is written without one. ``read_layout(write_layout(x, p))`` equals ``x``
    for a table from :func:`read_layout`.

    Parameters
    ----------
    frame
        ``well`` and optionally ``plate``, ``role``, ``compound``, ``conc_M``
        and any other field (``row``/``col`` are ignored: the well says them).
        Missing values (NaN, None) are left out of the file.
    path
        File to write (overwritten).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if C.WELL not in frame.columns:
        raise UsageError("the layout has no 'well' column")
    if len(frame) == 0:
        raise UsageError("the layout has no wells")
    fields = [c for c in frame.columns if c not in _WELLMAP_COLUMNS]
    for c in fields:
        if not isinstance(c, str) or not c:
            raise UsageError(f"layout column names must be non-empty strings, not {c!r}")
    plates = [str(p) for p in frame[C.PLATE]] if C.PLATE in frame.columns else ["1"] * len(frame)
    by_plate: dict[str, dict[tuple[int, int], dict[str, Any]]] = {}
    for k, (plate, w) in enumerate(zip(plates, frame[C.WELL], strict=True)):
        ij = parse_well(w)
        if ij is None:
            raise UsageError(f"row {k}: {w!r} is not a well name")
        wells = by_plate.setdefault(plate, {})
        if ij in wells:
            raise UsageError(f"duplicate well {well_name(*ij)} in plate {plate}")
        wells[ij] = {
            c: _toml_value(v, c, well_name(*ij))
            for c in fields
            if not _missing(v := _plain(frame[c].iloc[k]))
        }
    lines = ["# plate layout (wellmap TOML) written by pdstudy.io.write_layout", ""]
    named = list(by_plate) != ["1"]
    for plate, wells in by_plate.items():
        prefix = f"plate.{_toml_key(plate)}." if named else ""
        if named:
            lines += [f"[plate.{_toml_key(plate)}]", ""]
        for kind, pattern, values in _group(wells):
            lines.append(f"[{prefix}{kind}.{_toml_key(pattern)}]")
            lines += [f"{_toml_key(f)} = {v}" for f, v in values.items()]
            lines.append("")
    p = Path(path)
    p.write_text("\n".join(lines), encoding="utf-8")
    return p


def _group(
    wells: dict[tuple[int, int], dict[str, str]],
) -> list[tuple[str, str, dict[str, str]]]:
    """TOML tables (kind, pattern, fields) that recreate ``wells`` exactly in wellmap.

    wellmap gives [well] precedence over [row], and [row] over [col]. A field
    goes in [row.X] when every well of that row has the same value, else in
    [col.N] when every well of the column not already covered by its row has
    the same value, else in a [well] table listing the wells that share its
    value. Only a full rectangle of wells gets [row]/[col] tables, so they
    create no extra wells; rows (columns) with the same fields share a table.
    """
    rows = sorted({i for i, _ in wells})
    cols = sorted({j for _, j in wells})
    rectangle = (
        len(wells) == len(rows) * len(cols)
        and rows == list(range(rows[0], rows[-1] + 1))
        and cols == list(range(cols[0], cols[-1] + 1))
    )
    names = list(dict.fromkeys(f for v in wells.values() for f in v))
    row_fields: dict[int, dict[str, str]] = {i: {} for i in rows}
    col_fields: dict[int, dict[str, str]] = {j: {} for j in cols}
    covered: set[tuple[int, int, str]] = set()
    if rectangle and len(cols) > 1:
        for i in rows:
            for f in names:
                vals = {wells[(i, j)].get(f) for j in cols}
                if len(vals) == 1 and None not in vals:
                    row_fields[i][f] = vals.pop()  # type: ignore[assignment]
                    covered.update((i, j, f) for j in cols)
    if rectangle and len(rows) > 1:
        for j in cols:
            for f in names:
                rest = [i for i in rows if (i, j, f) not in covered]
                vals = {wells[(i, j)].get(f) for i in rest}
                if rest and len(vals) == 1 and None not in vals:
                    col_fields[j][f] = vals.pop()  # type: ignore[assignment]
                    covered.update((i, j, f) for i in rest)
    used_rows = [i for i in rows if row_fields[i]]
    used_cols = [j for j in cols if col_fields[j]]
    well_tables: dict[tuple[int, int], dict[str, str]] = {}
    for (i, j), values in sorted(wells.items()):
        own = {f: v for f, v in values.items() if (i, j, f) not in covered}
        if own:
            well_tables[(i, j)] = own
    # Wells that no [row]/[col] product creates still need a (possibly empty) table.
    occ_rows = _span([i for i, _ in well_tables] + used_rows)
    occ_cols = _span([j for _, j in well_tables] + used_cols)
    created = {(i, j) for i in used_rows for j in occ_cols} | {
        (i, j) for i in occ_rows for j in used_cols
    }
    empty = [ij for ij in sorted(wells) if ij not in created and ij not in well_tables]

    out: list[tuple[str, str, dict[str, str]]] = []
    for kind, fields, label in (
        ("row", {i: row_fields[i] for i in used_rows}, row_label),
        ("col", {j: col_fields[j] for j in used_cols}, lambda j: str(j + 1)),
    ):
        same: dict[tuple[tuple[str, str], ...], list[int]] = {}
        for x, values in fields.items():
            same.setdefault(tuple(values.items()), []).append(x)
        for items, xs in same.items():
            out.append((kind, _runs([label(x) for x in xs], xs), dict(items)))
    # A [well] table per set of wells sharing a value; tables of the same set merge.
    by_value: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for ij, own in well_tables.items():
        for f in names:
            if f in own:
                by_value.setdefault((f, own[f]), []).append(ij)
    tables: dict[tuple[tuple[int, int], ...], dict[str, str]] = {}
    for (f, v), members in by_value.items():
        tables.setdefault(tuple(members), {})[f] = v
    if empty:
        tables.setdefault(tuple(empty), {})
    for key, values in sorted(tables.items(), key=lambda t: t[0][0]):
        out.append(("well", _well_pattern(list(key)), values))
    return out


def _runs(labels: list[str], xs: list[int]) -> str:
    """Row or column pattern: "A", "A,C", "A-D" (runs of 3 or more consecutive)."""
    parts = []
    k = 0
    while k < len(xs):
        m = k
        while m + 1 < len(xs) and xs[m + 1] == xs[m] + 1:
            m += 1
        if m - k >= 2:
            parts.append(f"{labels[k]}-{labels[m]}")
        else:
            parts.extend(labels[k : m + 1])
        k = m + 1
    return ",".join(parts)


def _well_pattern(ijs: list[tuple[int, int]]) -> str:
    """Well pattern: "A1", "A1,B3", "A1-A12" (runs of 3 or more along a row)."""
    parts = []
    for i in sorted({i for i, _ in ijs}):
        js = sorted(j for r, j in ijs if r == i)
        parts.append(_runs([well_name(i, j) for j in js], js))
    return ",".join(parts)


def _span(xs: list[int]) -> range:
    return range(min(xs), max(xs) + 1) if xs else range(0)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(s: str) -> str:
    escapes = {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
    }
    out = []
    for ch in s:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any, field: str, well: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    raise UsageError(
        f"well {well}: field {field!r} holds a {type(value).__name__} ({value!r}); "
        "layouts hold text, numbers and booleans"
    )


# --- merging ------------------------------------------------------------------------


def merge_layout(
    plate_df: pd.DataFrame,
    layout_df: pd.DataFrame,
    *,
    plate_path: str | PathLike[str] | None = None,
    layout_path: str | PathLike[str] | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """Join a plate table and a layout on (plate, well).

    A layout with a single plate applies to every plate of the data (the same
    map used for each plate); otherwise layout and data plates are matched by
    name.

    Parameters
    ----------
    plate_df
        Tidy plate table from :func:`pdstudy.io.read_plate`.
    layout_df
        Tidy layout from :func:`read_layout`.
    plate_path, layout_path
        Files named in errors; by default ``attrs["path"]`` of each frame.
    strict
        When True (default), wells with data but absent from the layout are an
        error; when False they are dropped, with a warning naming them.

    Returns
    -------
    pandas.DataFrame
        The plate table's rows and columns (same order) plus the layout's
        ``role, compound, conc_M`` and other fields.

    Raises
    ------
    LayoutError
        Duplicate wells in either table; layout wells with no data; data
        wells missing from the layout (when ``strict``); data plates with no
        layout; a layout field with the name of a data column. The message
        names both files and lists up to 10 wells.
    """
    lpath = layout_path if layout_path is not None else layout_df.attrs.get("path")
    ppath = plate_path if plate_path is not None else plate_df.attrs.get("path")
    data_name = f"the plate data {ppath}" if ppath is not None else "the plate data"
    for name, df in (("plate data", plate_df), ("layout", layout_df)):
        if C.WELL not in df.columns:
            raise LayoutError(f"the {name} has no 'well' column", lpath)
    data = plate_df.copy()
    if C.PLATE not in data.columns:
        data[C.PLATE] = "1"
    layout = layout_df.copy()
    if C.PLATE not in layout.columns:
        layout[C.PLATE] = "1"
    data["_well"] = [_canon(w) for w in data[C.WELL]]
    layout["_well"] = [_canon(w) for w in layout[C.WELL]]
    data["_plate"] = [str(p) for p in data[C.PLATE]]
    layout["_plate"] = [str(p) for p in layout[C.PLATE]]
    _no_duplicates(data, f"in {data_name}", lpath)
    _no_duplicates(layout, "in the layout", lpath)

    fields = [
        c for c in layout.columns if c not in (C.PLATE, C.WELL, C.ROW, C.COL, "_well", "_plate")
    ]
    clash = [c for c in fields if c in plate_df.columns]
    if clash:
        raise LayoutError(
            f"layout field(s) {', '.join(map(repr, clash))} have the name of a column of "
            f"{data_name}; rename them",
            lpath,
        )
    layout_plates = list(dict.fromkeys(layout["_plate"]))
    data_plates = list(dict.fromkeys(data["_plate"]))
    if len(layout_plates) == 1:
        single = layout.drop(columns="_plate")
        layout = pd.concat([single.assign(_plate=p) for p in data_plates], ignore_index=True)
    else:
        lost = [p for p in data_plates if p not in layout_plates]
        if lost:
            raise LayoutError(
                f"plate(s) {', '.join(lost)} of {data_name} are not in the layout "
                f"(its plates: {', '.join(layout_plates)})",
                lpath,
            )

    keys_data = set(zip(data["_plate"], data["_well"], strict=True))
    keys_layout = set(zip(layout["_plate"], layout["_well"], strict=True))
    multi = len(data_plates) > 1
    no_data = [
        (p, w)
        for p, w in zip(layout["_plate"], layout["_well"], strict=True)
        if (p, w) not in keys_data
    ]
    if no_data:
        raise LayoutError(
            f"{len(no_data)} layout well(s) have no data in {data_name}: "
            + _well_listing(no_data, multi),
            lpath,
        )
    no_layout = [
        (p, w)
        for p, w in zip(data["_plate"], data["_well"], strict=True)
        if (p, w) not in keys_layout
    ]
    if no_layout:
        message = (
            f"{len(no_layout)} well(s) of {data_name} are not in the layout: "
            + _well_listing(no_layout, multi)
        )
        if strict:
            raise LayoutError(message + " (strict=False drops them)", lpath)
        warnings.warn(f"{lpath}: {message}; dropped", UserWarning, stacklevel=2)
    merged = data.merge(
        layout[["_plate", "_well", *fields]], on=["_plate", "_well"], how="inner", sort=False
    )
    merged = merged.drop(columns=["_plate", "_well"])
    if C.PLATE not in plate_df.columns:
        merged = merged.drop(columns=C.PLATE)
    merged.attrs = {"plate_path": ppath, "layout_path": lpath}
    return merged.reset_index(drop=True)


def _well_listing(pairs: list[tuple[str, str]], multi: bool) -> str:
    """Up to 10 wells, grouped by plate when there are several: "plate 1: A1, B2; plate 2: C3"."""
    shown = pairs[:_MAX_LISTED]
    if multi:
        groups: dict[str, list[str]] = {}
        for p, w in shown:
            groups.setdefault(p, []).append(w)
        text = "; ".join(f"plate {p}: {', '.join(ws)}" for p, ws in groups.items())
    else:
        text = ", ".join(w for _, w in shown)
    more = len(pairs) - len(shown)
    return text + (f" and {more} more" if more else "")


def _canon(w: Any) -> str:
    ij = parse_well(w)
    return str(w) if ij is None else well_name(*ij)


def _no_duplicates(df: pd.DataFrame, what: str, path: Any) -> None:
    dup = df.duplicated(["_plate", "_well"], keep="first")
    if dup.any():
        pairs = list(dict.fromkeys(zip(df["_plate"][dup], df["_well"][dup], strict=True)))
        multi = df["_plate"].nunique() > 1
        raise LayoutError(f"duplicate well(s) {what}: {_well_listing(pairs, multi)}", path)
