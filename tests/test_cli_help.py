"""Every option of every ``pdstudy`` command says what it is, in which unit, and its default.

The audit walks the whole command tree (typer builds click commands) and requires:

- every option and argument has a help text;
- an option that takes a quantity (a string parsed with a unit, or a number in a unit)
  names the unit: a text option gives an example with its unit (``e.g. "0.5 nM"``) or shows a
  default that has one; a number option names its unit in the help;
- every number option is classified here, as a pure number or with its unit, so that a new
  one cannot slip through unexamined;
- defaults are shown (typer's ``show_default``, or the help says the default);
- no help text holds rich markup by accident (``[[binding]]`` printed as ``[]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from pdstudy.cli import app
from pdstudy.errors import UnitError
from pdstudy.units import parse_quantity

#: the dimensions a text option may take (pdstudy.units.parse_quantity)
DIMENSIONS = (
    "concentration",
    "time",
    "volume",
    "mass",
    "mass_concentration",
    "dose",
    "specific_activity",
    "flow",
    "rate",
    "specific_volume",
    "concentration_rate",
)

#: text options that take a quantity although their default (None) does not show one
QUANTITY_TEXT = {
    "ki": "concentration",
    "ic50": "concentration",
    "kd": "concentration",
    "km": "concentration",
    "ki_range": "concentration",
    "radioligand_conc": "concentration",
    "substrate_conc": "concentration",
    "hot_substrate": "concentration",
    "nsb_conc": "concentration",
    "stock": "concentration",
    "free": "concentration",
    "conc": "concentration|mass_concentration",
    "volume": "volume",
    "well_volume": "volume",
    "compound_volume": "volume",
    "suspension_volume": "volume",
    "incubation": "time",
    "interval": "time",
    "auc_start": "time",
    "auc_end": "time",
    "stabilisation": "time",
    "dose_delay": "time",
    "protein": "mass",
    "specific_activity": "specific_activity",
    "flow": "flow",
}

#: number options: the unit their help names (a regex), or None for a pure number (a count,
#: a fraction, a seed, a statistic)
NUMBER_OPTIONS: dict[str, str | None] = {
    # counts, sizes, seeds and switches
    **dict.fromkeys(
        (
            "seed",
            "workers",
            "replicates",
            "nsb_replicates",
            "n_conc",
            "n_plates",
            "n_sim",
            "plate",
            "outliers",
            "animals",
            "apparatus",
            "baseline_samples",
            "post_samples",
            "cycle",
            "protein_cycle",
            "scale",
            "frame",
            "result_id",
            "experiment_id",
        ),
        None,
    ),
    # fractions, ratios and statistics (dimensionless)
    **dict.fromkeys(
        (
            "spacing",
            "low_fold",
            "high_fold",
            "nsb_fraction",
            "nonspecific_fraction",
            "cv",
            "max_cv",
            "protein_max_cv",
            "rout_q",
            "min_z_prime",
            "exclude_z_below",
            "baseline_tolerance",
            "recovery",
            "threshold",
            "high_threshold",
            "immobile_fraction",
            "alpha",
            "target",
        ),
        None,
    ),
    # numbers in a unit
    "fix_hill": None,  # a Hill slope is a pure number
    "fix_top": r"% of the response",
    "fix_bottom": r"% of the response",
    "bmax_cpm": r"\bCPM\b",
    "vmax": r"pmol/mg",
    "mw": r"g/mol",
    "width": r"\(px\)",
    "height": r"\(px\)",
    "fps": r"frames/s",
    "min_bout": r"\(s\b",
    "window_start": r"\(s\b",
    "window_end": r"\(s\b",
    "duration": r"\(s\b",
    "session": r"\(s\b",
    "changeover": r"\(s\b",
    "pretreatment": r"\((s|min)\b",
    "means": r"\(s\b",
    "sd": r"\(s\b",
    "cutoff": r"luma",
    "grid": r"pixels",
}

#: rich reads ``[word]`` as a style tag and drops it from the printed help
_MARKUP = re.compile(r"(?<!\\)\[[a-z#/@][^\[\]]*\]")


def commands() -> Iterator[tuple[str, Any]]:
    def walk(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        yield " ".join(("pdstudy", *path)), cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, (*path, name))

    yield from walk(get_command(app), ())


COMMANDS = dict(commands())
PARAMS = [
    pytest.param(cmd, p, id=f"{cmd} {p.name}")
    for cmd, c in COMMANDS.items()
    for p in c.params
    if not getattr(p, "hidden", False)
]


def _is_number(p: Any) -> bool:
    """An int or float option (typer names the type; the default tells where it does not)."""
    typ = p.bare_type() if callable(getattr(p, "bare_type", None)) else None
    name = typ.__name__ if isinstance(typ, type) else str(typ or "")
    if name in ("int", "float"):
        return True
    d = p.default
    return name != "bool" and isinstance(d, int | float) and not isinstance(d, bool)


def _dimension_of(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    for dim in DIMENSIONS:
        try:
            parse_quantity(text, dim)
        except (UnitError, ValueError):
            continue
        return dim
    return None


def _has_example(help_text: str, dimensions: str) -> bool:
    """A quoted example in the help that parses as one of ``dimensions`` (``a|b``)."""
    for example in re.findall(r"[\"']([^\"']+)[\"']", help_text):
        if _dimension_of(example) in dimensions.split("|"):
            return True
    return False


def test_the_audit_sees_the_whole_command_tree():
    for name in ("pdstudy binding analyze", "pdstudy uptake kinetics", "pdstudy protein analyze",
                 "pdstudy behavior fst", "pdstudy db results", "pdstudy run"):  # fmt: skip
        assert name in COMMANDS, name
    assert len(PARAMS) > 300
    numbers = [p for _, p in (x.values for x in PARAMS) if _is_number(p)]
    assert {"cycle", "replicates", "rout_q", "vmax", "min_bout"} <= {p.name for p in numbers}
    assert not any(_is_number(p) for _, p in (x.values for x in PARAMS) if p.name == "rout")


@pytest.mark.parametrize("cmd, p", PARAMS)
def test_every_option_has_help(cmd, p):
    assert (getattr(p, "help", None) or "").strip(), f"{cmd} {p.opts}: no help text"


@pytest.mark.parametrize("cmd, p", PARAMS)
def test_quantities_name_their_unit(cmd, p):
    text = p.help or ""
    if _is_number(p):
        assert p.name in NUMBER_OPTIONS, (
            f"{cmd} {p.opts}: a number option this audit has not classified; add it to "
            "NUMBER_OPTIONS with the unit its help must name (or None for a pure number)"
        )
        unit = NUMBER_OPTIONS[p.name]
        if unit is not None:
            assert re.search(unit, text), f"{cmd} {p.opts}: the help names no unit ({unit})"
        return
    shown = p.default if getattr(p, "show_default", False) else None
    dims = QUANTITY_TEXT.get(p.name) or _dimension_of(p.default)
    if dims is None:
        return
    assert _has_example(text, dims) or _dimension_of(shown) is not None, (
        f"{cmd} {p.opts}: a quantity ({dims}) whose help gives no example with its unit"
    )


@pytest.mark.parametrize("cmd, p", PARAMS)
def test_defaults_are_shown(cmd, p):
    if p.param_type_name != "option" or p.required or p.default in (None, [], ()):
        return
    assert p.show_default or "default" in (p.help or "").lower(), (
        f"{cmd} {p.opts}: the default {p.default!r} is not shown"
    )


@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_help_texts_hold_no_accidental_markup(cmd):
    c = COMMANDS[cmd]
    texts = [c.help or ""] + [getattr(p, "help", None) or "" for p in c.params]
    found = [m for t in texts for m in _MARKUP.findall(t)]
    assert not found, f"{cmd}: rich would drop {found} from the help (escape as '\\[')"


@pytest.mark.parametrize(
    "args, shown",
    [
        (["binding", "analyze", "--help"], "[[binding]]"),
        (["uptake", "kinetics", "--help"], "[[uptake]]"),
        (["protein", "analyze", "--help"], "softmax"),  # the --format names
        (["uptake", "analyze", "--help"], "--protein-cycle"),
    ],
)
def test_rendered_help_shows_what_the_text_says(args, shown):
    res = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert shown in res.output


# ------------------------------------------------------------------ --format refusals


def test_an_unknown_format_name_is_refused_naming_the_option_and_the_names(tmp_path):
    res = CliRunner().invoke(
        app,
        ["protein", "analyze", str(tmp_path / "p.txt"), "--layout", str(tmp_path / "l.toml"),
         "--format", "envisoin", "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "option --format: 'envisoin'" in res.output
    for name in ("auto", "envision", "softmax", "microbeta", "grid_xlsx"):
        assert name in res.output, name
    res = CliRunner().invoke(
        app,
        ["uptake", "kinetics", str(tmp_path / "p.txt"), "--layout", str(tmp_path / "l.toml"),
         "--specific-activity", "40 Ci/mmol", "--incubation", "5 min", "--protein-plate",
         str(tmp_path / "b.csv"), "--protein-layout", str(tmp_path / "bl.toml"),
         "--suspension-volume", "100 uL", "--protein-format", "bca", "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "option --protein-format: 'bca'" in res.output and "softmax" in res.output


def test_a_file_no_format_claims_is_refused_pointing_to_format(tmp_path):
    from pdstudy.design.plates import protein_layout
    from pdstudy.io import write_layout

    plate = tmp_path / "notes.txt"
    plate.write_text("Absorbance at 562 nm\nsee the lab book\n", encoding="utf-8")
    layout = write_layout(protein_layout(["S1"]), tmp_path / "l.toml")
    res = CliRunner().invoke(
        app, ["protein", "analyze", str(plate), "--layout", str(layout), "--out", str(tmp_path)]
    )
    assert res.exit_code == 1, res.output
    assert "notes.txt" in res.output and "not a plate file pdstudy recognises" in res.output
    assert "--format on the command line" in res.output and "softmax" in res.output
    assert "Traceback" not in res.output
