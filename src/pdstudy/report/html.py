"""Render a :class:`~pdstudy.report.model.ReportData` as one self-contained HTML file.

Inline CSS, inline SVG figures, no scripts and no external resources: the file
opens offline, in any browser, and can be mailed or archived as it is.
"""

from __future__ import annotations

import json
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pdstudy._version import __version__
from pdstudy.report.format import table_html
from pdstudy.report.model import ReportData, Table

__all__ = ["render_report", "write_report"]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pdstudy.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["table"] = table_html
    return env


def _css() -> str:
    return resources.files("pdstudy.report").joinpath("templates/report.css").read_text("utf-8")


def _provenance_parts(prov: Any) -> tuple[list[tuple[str, str]], list[Table], str]:
    facts: list[tuple[str, str]] = []
    tables: list[Table] = []
    if not prov:
        return facts, tables, "{}"
    for key, label in (
        ("study_file", "study file"),
        ("started", "started"),
        ("finished", "finished"),
        ("seed", "seed"),
        ("command", "command"),
        ("workers", "worker processes"),
    ):
        if prov.get(key) not in (None, ""):
            facts.append((label, str(prov[key])))
    versions = prov.get("versions") or {}
    if versions:
        tables.append(
            Table(
                "Software versions",
                pd.DataFrame({"component": list(versions), "version": list(versions.values())}),
            )
        )
    inputs = prov.get("inputs") or []
    if inputs:
        frame = pd.DataFrame(inputs)
        keep = [c for c in ("path", "sha256", "bytes", "used_by") if c in frame.columns]
        tables.append(
            Table(
                "Input files (SHA-256)",
                frame[keep],
                note="Check a file with: sha256sum FILE (Linux) or shasum -a 256 FILE (macOS).",
            )
        )
    text = json.dumps(prov, indent=2, sort_keys=False, default=str, ensure_ascii=False)
    return facts, tables, text


def render_report(data: ReportData) -> str:
    """The report as an HTML string."""
    template = _environment().get_template("report.html.j2")
    facts, tables, prov_json = _provenance_parts(data.provenance)
    return template.render(
        data=data,
        css=_css(),
        version=__version__,
        prov_facts=facts,
        prov_tables=tables,
        prov_json=prov_json,
    )


def write_report(data: ReportData, path: str | PathLike[str]) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_report(data), encoding="utf-8")
    return p
