"""Helpers shared by the sub-commands: option parsing at the boundary, exit codes, figures.

Exit codes: 0 success, 1 the analysis failed (bad file content, nothing to fit),
2 a usage error (bad option, unit, missing file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from pdstudy.errors import PdStudyError, StudyFileError, UnitError, UsageError

T = TypeVar("T")

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
    except KeyboardInterrupt as err:  # Ctrl-C: what was stopped (the tasks on a cluster)
        err_console.print(interrupted_message(err), highlight=False, markup=False)
        raise typer.Exit(130) from None


def interrupted_message(err: KeyboardInterrupt) -> str:
    """The line printed on Ctrl-C: what the cluster mapper cancelled, else that nothing was
    written past this point."""
    return str(err) or "interrupted: stopped before the results were written"


def plate_format_help(default: str = "auto", names: Sequence[str] | None = None) -> str:
    """Help of a ``--format`` option of plate files: what it does and every name it takes
    (``default="auto"``: a format to read; else one to write, of ``names`` when the command
    writes only some)."""
    from pdstudy.io.plates import PLATE_FORMATS

    if default == "auto":
        readers = ", ".join(PLATE_FORMATS.names())
        return f"Plate file format: auto (detect from the content; default) or one of {readers}."
    writers = ", ".join(PLATE_FORMATS.write_names() if names is None else names)
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


def with_plausibility_warnings(load: Callable[[], T], console: Console | None = None) -> T:
    """``load()`` (a study or section spec), printing each plausibility warning it raises as
    one line ``warning: <key path> = <value> is unusual...`` (other warnings pass on
    unchanged), also when ``load()`` raises."""
    import warnings

    from pdstudy.units import PlausibilityWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            return load()
    finally:  # also when the file is invalid: the warnings add to its problems
        for w in caught:
            # by name: a test run may hold two copies of pdstudy.units (a reloaded module)
            if w.category.__name__ == PlausibilityWarning.__name__:
                (console or err_console).print(
                    f"warning: {w.message}", highlight=False, markup=False, soft_wrap=True
                )
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


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
    from pdstudy.study import run_section, section_spec

    for key in ("format", "protein_format"):  # a format name is checked before any file is read
        if values.get(key) is not None:
            choice(kind, key, str(values[key]), f"--{key.replace('_', '-')}")
    for option, paths in files.items():
        check_files(paths, option)
    agg()
    spec = with_plausibility_warnings(lambda: section_spec(kind, values, name=name))
    bad = _early_problems(spec)
    if bad:
        raise StudyFileError(bad)
    outcome = run_section(spec, out, map=map)
    if outcome.section.methods:  # the Methods paragraph, ready for a manuscript
        (Path(out) / "methods.txt").write_text(outcome.section.methods + "\n", encoding="utf-8")
    if not outcome.ok:
        raise PdStudyError(str(outcome.section.error))
    return outcome


# ---------------------------------------------------------------- procedure (Methods text)

#: the counting efficiency, one type on every plate command (parsed by :func:`fraction`)
EFFICIENCY_OPTION: Any = typer.Option(
    None,
    "--efficiency",
    help='Counting efficiency (CPM/DPM), needed when the file has CPM but no DPM: "0.45" or '
    '"45 %".',
)

#: the read of kinetic plate-reader files, on every command that reads plates (the ``cycle``
#: key; :data:`pdstudy.assays.plates.CYCLE_KEY`)
CYCLE_OPTION: Any = typer.Option(
    None,
    "--cycle",
    min=1,
    help="Kinetic plate-reader files: the cycle (read) to analyse, counted from 1 in the order "
    "of the file (SkanIt's 'Reading 0' is cycle 1), e.g. 5 (default: the last). Refused for a "
    "file with one read per well.",
)
#: the same for the protein plate of saturation and uptake (the ``protein_cycle`` key)
PROTEIN_CYCLE_OPTION: Any = typer.Option(
    None,
    "--protein-cycle",
    min=1,
    help="A kinetic --protein-plate: the cycle (read) to analyse, counted from 1 as --cycle, "
    "e.g. 5 (default: the last).",
)

#: options of the plate commands that say how the plates were made (the study file's
#: procedure keys, :data:`pdstudy.assays.plates.PROCEDURE_KEYS`); Methods text only
INCUBATION_OPTION: Any = typer.Option(
    None, "--incubation", help='Incubation time, e.g. "60 min" (Methods text).'
)
TEMPERATURE_OPTION: Any = typer.Option(
    None, "--temperature", help='Incubation temperature, e.g. "25 °C" (Methods text).'
)
BUFFER_OPTION: Any = typer.Option(
    None, "--buffer", help='Assay buffer, e.g. "50 mM Tris-HCl, pH 7.4" (Methods text).'
)
FILTERS_OPTION: Any = typer.Option(
    None, "--filters", help='Filtration, e.g. "GF/B presoaked in 0.3 % PEI" (Methods text).'
)
WASH_OPTION: Any = typer.Option(
    None, "--wash", help='Washes, e.g. "3 x 3 mL ice-cold buffer" (Methods text).'
)
REPLICATES_OPTION: Any = typer.Option(
    None, "--replicates", min=1, help="Replicate wells per concentration (Methods text)."
)


def procedure_values(
    *,
    incubation: str | None = None,
    temperature: str | None,
    buffer: str | None,
    filters: str | None,
    wash: str | None,
    replicates: int | None,
) -> dict[str, Any]:
    """The procedure options as a section's values (the incubation time parsed)."""
    values: dict[str, Any] = {
        "temperature": temperature,
        "buffer": buffer,
        "filters": filters,
        "wash": wash,
        "replicates": replicates,
    }
    if incubation is not None:
        values["incubation"] = quantity(incubation, "time", "--incubation")
    return values


#: help of every assay command's ``--exclude`` option
EXCLUDE_HELP = (
    'Leave data out, with its reason (repeatable): PLATE:WELL="reason", '
    'experiment:NAME="reason", ANIMAL="reason", ANIMAL:SAMPLE="reason" (the forms of the '
    "section's exclude key; docs/exclusions.md)."
)


def _exclusion_item(text: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """One ``--exclude`` value as the study file writes it (a table), before checking."""
    target, sep, reason = text.partition("=")
    item: dict[str, Any] = {}
    if sep:
        reason = reason.strip()
        if len(reason) >= 2 and reason[0] == reason[-1] and reason[0] in "\"'":
            reason = reason[1:-1]
        item["reason"] = reason
    target = target.strip()
    head, colon, rest = target.partition(":")
    if colon and head.strip().lower() in ("experiment", "plate", "animal", "well", "sample"):
        field = head.strip().lower()
        item[field] = int(rest) if field == "sample" and rest.strip().isdigit() else rest.strip()
        return item
    if "plate" in fields:
        plate, colon, well = target.rpartition(":")
        if not colon:
            raise UsageError(
                f'{text!r}: give PLATE:WELL="reason" or experiment:NAME="reason"',
                where="option --exclude",
            )
        item.update(plate=plate.strip(), well=well.strip())
        return item
    animal, colon, sample = target.rpartition(":")
    if colon and "sample" in fields and sample.strip().isdigit():
        item.update(animal=animal.strip(), sample=int(sample))
    else:
        item["animal"] = target
    return item


def exclude_values(kind: str, texts: list[str] | None) -> list[dict[str, Any]] | None:
    """The ``exclude`` values of a section from ``--exclude`` options, parsed by the section's
    own key (the study file's path); ``None`` without any. A bad form is a usage error naming
    ``option --exclude[i]``."""
    if not texts:
        return None
    from pdstudy.assays.exclusions import ANIMAL_FIELDS, DIALYSIS_FIELDS, PLATE_FIELDS
    from pdstudy.assays.schema import parse_value
    from pdstudy.study import HANDLERS

    key = HANDLERS[kind].schema.key("exclude")
    names = HANDLERS[kind].schema.names
    fields = (
        DIALYSIS_FIELDS
        if kind == "microdialysis"
        else ANIMAL_FIELDS
        if "plates" not in names
        else PLATE_FIELDS
    )
    raw = [_exclusion_item(t, fields) for t in texts]
    problems: list[tuple[str, str]] = []
    parsed = parse_value(key, raw, "option --exclude", Path.cwd(), problems)
    if problems:
        raise StudyFileError(problems)
    return list(parsed)


#: section keys whose file checks (the study file's) run before a one-section study, and
#: the option that gives each: an exclusion naming no well, a cycle a file does not have
_CHECKED_FIRST = {"exclude": "--exclude", "cycle": "--cycle", "protein_cycle": "--protein-cycle"}


def _early_problems(spec: Any) -> list[tuple[str, str]]:
    """The problems of a one-section study's exclusions and cycles (the study file's checks),
    named by the option (usage errors: nothing has been analysed yet)."""
    from pdstudy.study import HANDLERS

    check = HANDLERS[spec.kind].check_files
    given = [k for k in _CHECKED_FIRST if spec.values.get(k) not in (None, [], ())]
    if not given or check is None:
        return []
    problems: list[tuple[str, str]] = []
    check(spec, problems)
    out = []
    for path, msg in problems:
        for key in given:
            prefix = f"{spec.key}.{key}"
            rest = path[len(prefix) :]
            if path.startswith(prefix) and (not rest or rest[0] in ".["):
                out.append((f"option {_CHECKED_FIRST[key]}{rest}", msg))
    return out
