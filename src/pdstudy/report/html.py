"""Render a :class:`~pdstudy.report.model.ReportData` as one self-contained HTML file.

Inline CSS, inline SVG figures, no scripts and no external resources: the file
opens offline, in any browser, and can be mailed or archived as it is. The
results files a section lists are links (relative to the report's folder).

A failed section shows its message and where it happened; the Python
traceback is not in the HTML but in a log file beside the report
(``report.log`` for ``report.html``), named in the section.
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

__all__ = ["log_path", "render_report", "write_log", "write_report"]


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
    execution = prov.get("execution") or {}
    if execution.get("mode") == "dask.distributed":
        ran_on = [str(w) for w in execution.get("workers") or []]
        facts.append(
            (
                "dask cluster",
                f"scheduler {execution.get('scheduler')}; {len(ran_on)} worker(s): "
                + ", ".join(ran_on),
            )
        )
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


def render_report(data: ReportData, log_name: str = "report.log") -> str:
    """The report as an HTML string; tracebacks are referred to ``log_name``."""
    template = _environment().get_template("report.html.j2")
    facts, tables, prov_json = _provenance_parts(data.provenance)
    return template.render(
        data=data,
        css=_css(),
        version=__version__,
        prov_facts=facts,
        prov_tables=tables,
        prov_json=prov_json,
        log_name=log_name,
    )


def log_path(report: str | PathLike[str]) -> Path:
    """The log file beside a report: ``report.html`` -> ``report.log``."""
    return Path(report).with_suffix(".log")


def write_log(data: ReportData, path: str | PathLike[str]) -> Path | None:
    """Write the tracebacks of the failed sections to ``path``; None (and no file) if none."""
    p = Path(path)
    parts = [
        f"== {s.title} ({s.key or s.anchor})\n{s.error}\n\n{s.details.rstrip()}\n"
        for s in (*data.sections, *data.pharmacology)
        if s.details
    ]
    if not parts:
        if p.is_file():
            p.unlink()  # a log of an earlier run would mislead
        return None
    p.write_text(f"{data.title}: tracebacks of the failed analyses\n\n" + "\n".join(parts), "utf-8")
    return p


def write_report(data: ReportData, path: str | PathLike[str]) -> Path:
    """Write the report to ``path`` (UTF-8) and the tracebacks, if any, beside it; return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    log = log_path(p)
    write_log(data, log)
    p.write_text(render_report(data, log.name), encoding="utf-8")
    return p
