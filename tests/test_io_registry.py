"""Tests of pdstudy.io.registry: the one format registry type of every data kind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pdstudy.errors import InputFileError, UnknownFormatError, UsageError
from pdstudy.io.plates import PLATE_FORMATS
from pdstudy.io.registry import Format, FormatRegistry


def _read_lines(path: Path, **_: object) -> pd.DataFrame:
    return pd.DataFrame({"line": path.read_text(encoding="utf-8").splitlines()})


def _write_lines(frame: pd.DataFrame, path: Path) -> None:
    path.write_text("\n".join(frame["line"]) + "\n", encoding="utf-8")


def _toy(name: str, marker: str, priority: int = 100, **kwargs) -> Format:
    return Format(
        name=name,
        description=f"toy text file whose first line is {marker!r}",
        sniff=lambda path, head: head.splitlines()[0] == marker,
        read=_read_lines,
        extensions=(".toy",),
        priority=priority,
        **kwargs,
    )


@pytest.fixture
def registry() -> FormatRegistry:
    reg = FormatRegistry("toy", hint="pass format= to force one")
    reg.register(_toy("beta", "BETA", priority=20, writers={"beta_txt": _write_lines}))
    reg.register(_toy("alpha", "ALPHA", priority=10))
    return reg


def test_register_and_look_up(registry):
    assert registry.names() == ["alpha", "beta"]  # priority order, not registration order
    assert len(registry) == 2 and "alpha" in registry and "gamma" not in registry
    assert registry.get("alpha").name == "alpha"
    assert registry.get("beta_txt").name == "beta"  # a write name finds its format
    fmt, writer = registry.writer("beta_txt")
    assert fmt.name == "beta" and writer is _write_lines
    assert registry["beta"].write is _write_lines and registry["alpha"].write is None
    # the toy registry is separate from the plate registry
    assert "alpha" not in PLATE_FORMATS and "long" in PLATE_FORMATS


def test_names_are_unique(registry):
    with pytest.raises(ValueError, match="'alpha' is registered twice"):
        registry.register(_toy("alpha", "OTHER"))
    with pytest.raises(ValueError, match="write format 'beta_txt' is registered twice"):
        registry.register(_toy("delta", "DELTA", writers={"beta_txt": _write_lines}))
    assert registry.names() == ["alpha", "beta"]


def test_unknown_names_are_usage_errors(registry):
    with pytest.raises(UsageError, match="unknown toy format 'nope'; known formats: alpha, beta"):
        registry.get("nope")
    with pytest.raises(ValueError, match="unknown toy write format 'alpha'; known: beta_txt"):
        registry.writer("alpha")


def test_sniff_dispatch(registry, tmp_path):
    path = tmp_path / "b.toy"
    path.write_text("BETA\n1\n2\n", encoding="utf-8")
    head = path.read_text(encoding="utf-8")
    fmt = registry.sniff(path, head)
    assert fmt.name == "beta"
    assert list(fmt.read(path)["line"]) == ["BETA", "1", "2"]


def test_sniff_asks_in_priority_order(tmp_path):
    reg = FormatRegistry("toy")
    reg.register(_toy("generic", "X", priority=90))
    reg.register(
        Format("specific", "claims X too", lambda p, h: h.startswith("X"), _read_lines, priority=5)
    )
    path = tmp_path / "x.toy"
    path.write_text("X\n", encoding="utf-8")
    assert reg.sniff(path, "X\n").name == "specific"


def test_a_sniffer_that_fails_while_looking_does_not_claim(tmp_path):
    def fails(path, head):
        raise InputFileError("cannot look", path)

    reg = FormatRegistry("toy")
    reg.register(Format("broken", "its sniffer raises", fails, _read_lines, priority=1))
    reg.register(_toy("alpha", "ALPHA"))
    path = tmp_path / "a.toy"
    path.write_text("ALPHA\n", encoding="utf-8")
    assert reg.sniff(path, "ALPHA\n").name == "alpha"
    # an empty head makes the toy sniffer raise IndexError: not claimed either
    with pytest.raises(UnknownFormatError):
        reg.sniff(path, "")


def test_a_bug_in_a_sniffer_propagates(tmp_path):
    def buggy(path, head):
        raise RuntimeError("bug")

    reg = FormatRegistry("toy")
    reg.register(Format("buggy", "its sniffer has a bug", buggy, _read_lines))
    with pytest.raises(RuntimeError, match="bug"):
        reg.sniff(tmp_path / "a.toy", "ALPHA\n")


def test_unknown_format_names_the_file(registry, tmp_path):
    path = tmp_path / "notes.toy"
    path.write_text("Dear diary\n", encoding="utf-8")
    with pytest.raises(UnknownFormatError) as info:
        registry.sniff(path, "Dear diary\n")
    err = info.value
    assert isinstance(err, InputFileError) and err.path == str(path)
    assert str(err) == (
        f"{path}: not a toy file pdstudy recognises; formats tried: alpha, beta "
        "(pass format= to force one)"
    )


def test_table_lists_the_formats(registry):
    table = registry.table()
    assert list(table.columns) == ["name", "description", "extensions", "writers"]
    assert list(table["name"]) == ["alpha", "beta"]
    assert list(table["writers"]) == ["", "beta_txt"]
    assert set(table["extensions"]) == {".toy"}


def test_plate_registry_is_a_format_registry():
    assert isinstance(PLATE_FORMATS, FormatRegistry) and PLATE_FORMATS.kind == "plate"
    assert PLATE_FORMATS.names()[:3] == ["hidex", "microbeta", "topcount"]
    assert PLATE_FORMATS.names()[-1] == "grid"  # the least specific is tried last
    assert all(f.extensions for f in PLATE_FORMATS.formats())
