"""The documentation runs: every command and snippet in docs/ (and the README) is executed.

Each page is one test, run in a fresh temporary folder, its code blocks in
document order:

- ```sh blocks whose first command starts with ``pdstudy``: each ``pdstudy``
  line is run (``python -m pdstudy ...``) and must exit 0, or the code given by
  an ``<!-- exit: N -->`` comment just above the block;
- ```python blocks: executed in one namespace per page;
- ```toml blocks: must be valid TOML; with ``<!-- file: NAME -->`` above them
  they are written to NAME first (later blocks use them);
- ```text blocks with ``<!-- plate-example: FORMAT -->`` above them: written to
  a file, which ``pdstudy.io.read_plate`` must recognise as FORMAT;
- ``<!-- no-test -->`` above a block skips it (only for ``make`` commands);
- a page containing ``<!-- slow -->`` is marked slow (it runs the full demo).

The study-file reference must also hold exactly the key tables generated from
the schemas (:func:`pdstudy.study.reference.schema_markdown`).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*([a-z-]+)(?::\s*(.*?))?\s*-->\s*$")


@dataclass
class Block:
    lang: str
    code: str
    line: int
    markers: dict[str, str]


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a markdown file, with the markers written just above them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        markers: dict[str, str] = {}
        j = i - 1
        while j >= 0 and (lines[j].strip() == "" or MARKER.match(lines[j].strip())):
            mk = MARKER.match(lines[j].strip())
            if mk:
                markers.setdefault(mk.group(1), mk.group(2) or "")
            j -= 1
            if j < i - 4:
                break
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        out.append(Block(m.group(1), "\n".join(lines[i + 1 : end]) + "\n", i + 1, markers))
        i = end + 1
    return out


def commands(code: str) -> list[str]:
    """The ``pdstudy`` command lines of a shell block (continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [ln.strip() for ln in joined.splitlines() if ln.strip().startswith("pdstudy ")]


def _param(path: Path):
    slow = "<!-- slow -->" in path.read_text(encoding="utf-8")
    marks = [pytest.mark.slow] if slow else []
    return pytest.param(path, id=path.name, marks=marks)


def test_every_page_has_runnable_content() -> None:
    for page in PAGES:
        if page.name == "README.md":
            continue
        kinds = {b.lang for b in blocks(page) if "no-test" not in b.markers}
        assert kinds & {"sh", "python"}, f"{page.name} has no command or snippet to run"


@pytest.mark.parametrize("page", [_param(p) for p in PAGES])
def test_page_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from pdstudy.io import read_plate

    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "COLUMNS": "200", "MPLBACKEND": "Agg", "NO_COLOR": "1"}
    # a real module, so that snippets can define dataclasses (they look their module up)
    module = types.ModuleType("__docs__")
    monkeypatch.setitem(sys.modules, "__docs__", module)
    namespace: dict[str, object] = module.__dict__
    for block in blocks(page):
        where = f"{page.name}:{block.line}"
        if "no-test" in block.markers:
            continue
        if block.lang == "toml":
            try:
                tomllib.loads(block.code)
            except tomllib.TOMLDecodeError as exc:
                pytest.fail(f"{where}: invalid TOML: {exc}")
            if "file" in block.markers:
                (tmp_path / block.markers["file"]).write_text(block.code, encoding="utf-8")
        elif block.lang == "text" and "plate-example" in block.markers:
            fmt = block.markers["plate-example"]
            path = tmp_path / f"plate_example_{fmt}.txt"
            path.write_text(block.code, encoding="utf-8")
            frame = read_plate(path)
            assert frame.attrs["format"] == fmt, f"{where}: read as {frame.attrs['format']}"
            assert len(frame) > 0
        elif block.lang == "python":
            try:
                exec(compile(block.code, where, "exec"), namespace)  # noqa: S102
            except Exception as exc:  # pragma: no cover - the failure is the message
                pytest.fail(f"{where}: the snippet raised {type(exc).__name__}: {exc}")
        elif block.lang == "sh":
            cmds = commands(block.code)
            first = next(
                (
                    ln
                    for ln in block.code.splitlines()
                    if ln.strip() and not ln.strip().startswith("#")
                ),
                "",
            )
            if not first.strip().startswith("pdstudy"):
                continue
            expected = int(block.markers.get("exit", "0"))
            for cmd in cmds:
                args = shlex.split(cmd, comments=True)[1:]
                res = subprocess.run(
                    [sys.executable, "-m", "pdstudy", *args],
                    cwd=tmp_path,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=False,
                )
                assert res.returncode == expected, (
                    f"{where}: `{cmd}` exited {res.returncode}, expected {expected}\n"
                    f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
                )


def test_study_file_reference_is_generated_from_the_code() -> None:
    from pdstudy.study.reference import BEGIN, END, schema_markdown

    text = (REPO / "docs" / "study-file.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    shown = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert shown == schema_markdown(), (
        "docs/study-file.md is out of date: replace the generated block with the output of "
        'python -c "from pdstudy.study.reference import schema_markdown; print(schema_markdown())"'
    )


def test_readme_quick_start_is_two_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    code = [b for b in re.findall(r"```sh\n(.*?)```", quick, re.S)]
    lines = [ln.split("#")[0].strip() for c in code for ln in c.splitlines() if ln.strip()]
    assert lines == ["make demo", "make test"]
    assert "docs/img/report_headline.png" in text


def test_the_plate_format_table_lists_every_format_as_the_registry_describes_it() -> None:
    """docs/binding.md's format table is the registry's list (names, descriptions, writers)."""
    from pdstudy.io import list_plate_formats

    text = (REPO / "docs" / "binding.md").read_text(encoding="utf-8")
    for r in list_plate_formats().itertuples():
        row = f"| `{r.name}` | {r.description} | {r.writers or '(read only)'} |"
        assert row in text, f"docs/binding.md: the format table's row for {r.name!r} is not {row}"
