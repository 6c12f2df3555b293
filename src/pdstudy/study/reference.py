"""The study-file reference, generated from the schemas (docs/study-file.md embeds it).

``python -c "from pdstudy.study.reference import schema_markdown; print(schema_markdown())"``
prints it; a test checks that the documentation holds exactly this text, so
the reference cannot drift from the code.
"""

from __future__ import annotations

import re
from typing import Any

from pdstudy.assays.schema import Key, Schema
from pdstudy.study.design import DESIGN, DIALYSIS, GROUP, PRIMARY
from pdstudy.study.registry import HANDLERS
from pdstudy.study.tables import EXPOSURE, PK, STUDY, SYNAPSE
from pdstudy.units import example_unit, format_conc

__all__ = ["BEGIN", "END", "schema_markdown"]

BEGIN = "<!-- BEGIN GENERATED: study-file keys (pdstudy.study.reference.schema_markdown) -->"
END = "<!-- END GENERATED -->"


def _type(key: Key) -> str:
    if key.kind == "quantity":
        dims = str(key.dimension).split("|")
        return " or ".join(f"{d.replace('_', ' ')} ({example_unit(d)})" for d in dims)
    if key.kind == "choice":
        return "one of " + ", ".join(f'"{c}"' for c in key.choices)
    if key.kind == "texts":
        if key.choices:
            return "list of " + ", ".join(f'"{c}"' for c in key.choices)
        return "list of strings"
    return {
        "text": "string",
        "fraction": 'fraction (0.02 or "2 %")',
        "number": "number",
        "integer": "integer",
        "bool": "true / false",
        "file": "file path",
        "files": "list of file paths",
        "tables": "list of tables",
    }[key.kind]


def _default(key: Key) -> str:
    value: Any = key.default
    if key.required:
        return "**required**"
    if value is None:
        # keys whose default lives in the model (PKParams, SynapseParams) state it in their doc
        m = re.search(r"\(default:? ([^,;()]+)", key.doc)
        return m.group(1).strip() if m else "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"' if value else '""'
    if key.kind == "quantity" and key.dimension == "concentration":
        return format_conc(float(value))
    if key.kind == "quantity" and key.dimension == "flow":
        return f"{float(value) * 60e6:g} µL/min"
    if key.kind == "quantity" and key.dimension == "time":
        v = float(value)
        return f"{v / 3600:g} h" if v >= 3600 and v % 3600 == 0 else f"{v / 60:g} min"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _table(title: str, schema: Schema) -> list[str]:
    lines = [f"### `{title}`", ""]
    if schema.doc:
        lines += [schema.doc, ""]
    lines += ["| key | type | default | meaning | example |", "|---|---|---|---|---|"]
    for key in schema.keys:
        doc = key.doc.replace("|", "\\|")
        example = f"`{key.name} = {key.example}`" if key.example else ""
        lines.append(f"| `{key.name}` | {_type(key)} | {_default(key)} | {doc} | {example} |")
    lines.append("")
    return lines


def schema_markdown() -> str:
    """Markdown tables of every table and section a study file may hold, from the schemas."""

    lines = [BEGIN, ""]
    lines += _table("[study]", STUDY)
    lines += _table("[study.exposure]", EXPOSURE)
    for kind, handler in HANDLERS.items():
        lines += _table(f"[[{kind}]]", handler.schema)
    lines += _table("[synapse]", SYNAPSE)
    lines += _table("[pk]", PK)
    lines += _table("[design]", DESIGN)
    lines += _table("[[design.groups]]", GROUP)
    lines += _table("[[design.primary]]", PRIMARY)
    lines += _table("[design.dialysis]", DIALYSIS)
    lines.append(END)
    return "\n".join(lines)
