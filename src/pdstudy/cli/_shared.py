"""Helpers shared by the sub-commands: option parsing at the boundary, exit codes, figures.

Exit codes: 0 success, 1 the analysis failed (bad file content, nothing to fit),
2 a usage error (bad option, unit, missing file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from pdstudy.errors import PdStudyError, StudyFileError, UnitError, UsageError

#: errors are printed unwrapped (a path is never broken across lines, whatever the terminal width)
err_console = Console(stderr=True, soft_wrap=True)


@contextmanager
def errors() -> Iterator[None]:
    """User errors become one clear line and an exit code, never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except (UnitError, UsageError, StudyFileError) as err:
        err_console.print(f"error: {err}", highlight=False, markup=False)
        raise typer.Exit(2) from err
    except FileNotFoundError as err:
        err_console.print(f"error: {err.filename}: no such file", highlight=False, markup=False)
        raise typer.Exit(2) from err
    except PdStudyError as err:
        err_console.print(f"error: {err}", highlight=False, markup=False)
        raise typer.Exit(1) from err


def plate_format_help(default: str = "auto") -> str:
    """Help of a ``--format`` option of plate files: what it does and every name it takes."""
    from pdstudy.io.plates import PLATE_FORMATS

    names = ", ".join(PLATE_FORMATS.names())
    if default == "auto":
        return f"Plate file format: auto (detect from the content; default) or one of {names}."
    writers = ", ".join(PLATE_FORMATS.write_names())
    return f"Plate file format to write (default {default}): one of {writers}."


def quantity(text: str | None, dimension: str, option: str, positive: bool = True) -> float | None:
    """Parse an option's quantity (``None`` stays ``None``); errors name the option."""
    if text is None:
        return None
    from pdstudy.units import parse_quantity

    v = float(parse_quantity(text, dimension, where=f"option {option}"))
    if positive and not (math.isfinite(v) and v > 0):
        raise UsageError(f"{text!r} must be positive", where=f"option {option}")
    return v


def required(text: str, dimension: str, option: str) -> float:
    v = quantity(text, dimension, option)
    assert v is not None
    return v


def fraction(text: str | None, option: str) -> float | None:
    """A fraction in (0, 1]: ``"0.45"`` or ``"45 %"``."""
    if text is None:
        return None
    v = quantity(text, "fraction", option)
    assert v is not None
    if not 0 < v <= 1:
        raise UsageError(f"{text!r} must be a fraction in (0, 1]", where=f"option {option}")
    return v


def check_files(paths: list[Path], option: str = "PLATE") -> None:
    for p in paths:
        if not Path(p).is_file():
            raise UsageError("no such file", path=p, where=option)


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_")
    return s or "curve"


def save(fig: Any, stem: Path) -> list[Path]:
    """Save a figure as SVG and PNG next to each other and close it."""
    import matplotlib.pyplot as plt

    out = []
    fig.tight_layout()
    for ext in ("svg", "png"):
        p = stem.with_suffix(f".{ext}")
        fig.savefig(p, dpi=150, bbox_inches="tight")
        out.append(p)
    plt.close(fig)
    return out


def agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


def fmt_conc(v: Any) -> str:
    from pdstudy.units import conc_text

    return conc_text(None if v is None else float(v), missing="n.d.")


def write_plate_map(layout: Any, out: Path, title: str) -> list[Path]:
    import matplotlib.pyplot as plt

    from pdstudy.design import plate_map_html, plot_plate_map

    written = []
    plates = list(dict.fromkeys(layout["plate"].astype(str))) if "plate" in layout else ["1"]
    fig, axes = plt.subplots(len(plates), 1, figsize=(9, 5.5 * len(plates)), squeeze=False)
    for ax, plate in zip(axes[:, 0], plates, strict=True):
        plot_plate_map(layout, ax=ax, plate=plate, title=f"{title} (plate {plate})")
    written += save(fig, out / "plate_map")
    html = out / "plate_map.html"
    html.write_text(plate_map_html(layout, title=title), encoding="utf-8")
    written.append(html)
    return written


def choice(kind: str, key: str, value: str, option: str) -> str:
    """``value`` when it is one of the choices of the ``[[kind]]`` section's ``key`` (the study
    file's schema: one list of choices for both); else a usage error naming the option."""
    from pdstudy.study import HANDLERS

    choices = HANDLERS[kind].schema.key(key).choices
    if value not in choices:
        names = f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]
        raise UsageError(f"{value!r}: use {names}", where=f"option {option}")
    return value


def run_one(
    kind: str,
    values: dict[str, Any],
    out: Path,
    *,
    name: str,
    files: dict[str, list[Path]],
    map: Any = None,
) -> Any:
    """Run an assay command as a one-section study: the same handler, writer and names as
    ``pdstudy run``. ``files`` maps option names to the paths they gave (checked first);
    ``map`` runs the per-file work (:class:`pdstudy.types.Mapper`, e.g. on a cluster).
    Returns the outcome; a failed analysis raises (exit 1, its reason printed)."""
    import warnings

    from pdstudy.study import run_section, section_spec
    from pdstudy.units import PlausibilityWarning

    for option, paths in files.items():
        check_files(paths, option)
    agg()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = section_spec(kind, values, name=name)
    for w in caught:
        # by name: a test run may hold two copies of pdstudy.units (a reloaded module)
        if w.category.__name__ == PlausibilityWarning.__name__:
            err_console.print(f"warning: {w.message}", highlight=False, markup=False)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    outcome = run_section(spec, out, map=map)
    if not outcome.ok:
        raise PdStudyError(str(outcome.section.error))
    return outcome
