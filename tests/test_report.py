"""The HTML report: formatting, self-containment, escaping, figures, and rendering in Chromium.

The Chromium test opens a report in Debian's headless chromium (installed by
``make test``'s set-up) and checks that it renders (a non-empty screenshot, the
headline in the DOM) with no console error; it is skipped, saying why, when
chromium is not installed.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pdstudy.report import (
    Figure,
    Headline,
    ReportData,
    Section,
    Table,
    figure_svg,
    format_value,
    new_figure,
    render_figure,
    render_report,
    write_report,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("ki_M", 5.2e-10, "0.52 nM"),
        ("ic50_ci_low_M", 1.5e-6, "1.5 µM"),
        ("pki", 9.2846, "9.28"),
        ("log_ic50", -8.95, "-8.95"),
        ("occupancy", 0.9612, "96.1 %"),
        ("nonspecific_fraction", 0.66, "66.0 %"),
        ("ne_pct_baseline", 250.0, "250.0 %"),
        ("hill", -1.02345, "-1.023"),
        ("f_test_p", 0.000123, "0.000123"),
        ("n", 3, "3"),
        ("selectivity", 10312.5, "10,312"),
        ("literature_in_ci", True, "yes"),
        ("literature_in_ci", pd.NA, "–"),
        ("ki_M", float("nan"), "–"),
        ("anything", None, "–"),
        ("ki_M", math.inf, "∞"),
        ("status", "converged", "converged"),
    ],
)
def test_format_value(column: str, value: object, text: str) -> None:
    assert format_value(column, value) == text


def _figure(stem: str) -> Figure:
    fig, (ax,) = new_figure(3, 2)
    ax.plot([0, 1], [0, 1], "o-", label="line")
    ax.fill_between([0, 1], [0, 0.5], [0.5, 1], alpha=0.3)
    ax.legend()
    return render_figure(fig, stem, f"caption of {stem}")


def _data(tmp_path: Path | None = None) -> ReportData:
    frame = pd.DataFrame(
        {"target": ["NET", "SERT"], "ki_M": [5e-10, 3e-8], "occupancy": [0.96, 0.3]}
    )
    ok = Section(
        anchor="binding1_net",
        title="Competition binding: <NET & friends>",
        kind="binding",
        key="binding[1]",
        status="flagged",
        intro=("An <i>escaped</i> paragraph.",),
        facts=(("norclomipramine at NET", "pKi 9.28"),),
        figures=(_figure("fig_a"), _figure("fig_b")),
        tables=(Table("Curves", frame),),
        qc=Table("QC flags", pd.DataFrame({"flags": ["outliers"], "reason": ["A8 excluded"]})),
        methods="Binding methods.",
        elapsed_s=1.5,
    )
    failed = Section(
        anchor="uptake1_x",
        title="Synaptosomal uptake 1",
        kind="uptake",
        key="uptake[1]",
        status="failed",
        error="uptake/plate.csv: not a plate file pdstudy recognises",
        details="Traceback ...",
    )
    return ReportData(
        title="Study <script>alert(1)</script>",
        subtitle="subtitle",
        headline=Headline(
            facts=(("compound", "norclomipramine"),),
            ki_table=Table("Ki", frame),
            pending=(("Microdialysis", "not analysed yet"),),
            notes=("a note",),
        ),
        sections=(ok, failed),
        methods=("Methods paragraph.",),
        provenance={
            "started": "2026-01-01T00:00:00",
            "versions": {"pdstudy": "0.1.0"},
            "inputs": [{"path": "a.txt", "sha256": "ab" * 32, "bytes": 10, "used_by": "x"}],
        },
    )


def test_report_is_self_contained_and_escaped() -> None:
    html = render_report(_data())
    assert html.startswith("<!DOCTYPE html>")
    # no scripts, no external resources of any kind
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html, re.I)
    assert "@import" not in html
    # user text is escaped, the CSS is not
    assert "Study &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;NET &amp; friends&gt;" in html and "&lt;i&gt;escaped&lt;/i&gt;" in html
    assert 'font-family: "DejaVu Sans"' in html
    # sections, failure, placeholders, provenance
    assert html.count("<svg") == 2
    assert 'id="errors"' in html and "not a plate file pdstudy recognises" in html
    assert "Microdialysis" in html and "not analysed yet" in html
    assert "ab" * 32 in html
    # one unit per molar column, in the header
    assert "<th>Ki (nM)</th>" in html and '<td class="num">0.5</td>' in html
    assert '<td class="num">30</td>' in html and "96.0 %" in html


def test_inline_svg_ids_are_unique() -> None:
    html = render_report(_data())
    ids = re.findall(r'\bid="([^"]+)"', html)
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, f"duplicate ids: {sorted(dup)[:5]}"
    # every internal reference points to an id of the page
    refs = set(re.findall(r'href="#([^"]+)"', html)) | set(re.findall(r"url\(#([^)]+)\)", html))
    assert refs <= set(ids), refs - set(ids)


def test_figure_svg_is_inline_markup() -> None:
    fig, (ax,) = new_figure(3, 2)
    ax.plot(np.arange(3), np.arange(3))
    svg = figure_svg(fig, "p")
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert all(i.startswith("p-") for i in re.findall(r'\bid="([^"]+)"', svg))


def test_render_figure_writes_svg_and_png(tmp_path: Path) -> None:
    fig, (ax,) = new_figure(3, 2)
    ax.plot([1, 2], [3, 4])
    f = render_figure(fig, "stem", "cap", tmp_path / "figures", tmp_path)
    assert f.files == ("figures/stem.svg", "figures/stem.png")
    assert (tmp_path / "figures" / "stem.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (tmp_path / "figures" / "stem.svg").read_text()
    assert "<svg" in text and "<dc:date>" not in text  # no timestamp: same figure, same file


def test_section_status_is_checked() -> None:
    with pytest.raises(ValueError, match="status 'great'"):
        Section(anchor="a", title="t", kind="k", status="great")


# ------------------------------------------------------------------ Chromium


def chromium_render(
    html_path: Path, tmp: Path, screenshot: Path, height: int = 2000
) -> tuple[str, str]:
    """Open ``html_path`` in headless Chromium: screenshot, DOM and the browser's log."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it: apt-get install chromium)")
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size=1280,{height}",
    ]
    url = html_path.resolve().as_uri()
    shot = subprocess.run(
        [*common, f"--user-data-dir={tmp / 'profile1'}", f"--screenshot={screenshot}", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp / 'profile2'}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert dom.returncode == 0, dom.stderr[-2000:]
    return dom.stdout, shot.stderr + dom.stderr


def console_errors(log: str) -> list[str]:
    """Lines of a Chromium log that report a JavaScript console error or an uncaught exception."""
    return [
        line
        for line in log.splitlines()
        if "Uncaught" in line
        or ("CONSOLE" in line and ("ERROR" in line or "error" in line.lower()))
    ]


def test_console_error_detection_works(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>"
    )
    _, log = chromium_render(page, tmp_path, tmp_path / "bad.png", height=300)
    assert console_errors(log), "a page with a JavaScript error must be detected"


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    path = write_report(_data(), tmp_path / "report.html")
    shot = tmp_path / "report.png"
    dom, log = chromium_render(path, tmp_path, shot)
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'id="headline"' in dom and "Headline" in dom
    assert "Competition binding" in dom and dom.count("<svg") == 2
    assert console_errors(log) == []


def test_one_number_style_per_column() -> None:
    from pdstudy.report.format import column_style

    unit, f = column_style("ki_M", [9e-8, 1e-7, 2.5e-6])
    assert unit == "nM" and [f(v) for v in (9e-8, 1e-7, 2.5e-6)] == ["90", "100", "2,500"]
    unit, f = column_style("hill_four_pl", [1.626, 0.9921])
    assert unit is None and [f(1.626), f(0.9921)] == ["1.63", "0.99"]
    unit, f = column_style("ns_slope_pmol_per_mg_per_min_per_M", [1.2e9, 3.4e9])
    assert unit == "pmol/mg/min/M"
    unit, f = column_style("n_points", [35, 36])
    assert f(35) == "35"


def test_header_keeps_every_unit() -> None:
    frame = pd.DataFrame({"ns_slope_pmol_per_mg_per_min_per_M": [1.5e9], "km_M": [3e-7]})
    html = render_report_table(frame).replace("<wbr>", "")
    assert "ns slope (pmol/mg/min/M)" in html and "Km (nM)" in html


def render_report_table(frame: pd.DataFrame) -> str:
    from pdstudy.report.format import table_html
    from pdstudy.report.model import Table

    return str(table_html(Table("t", frame)))


def test_traceback_goes_to_a_log_beside_the_report(tmp_path: Path) -> None:
    path = write_report(_data(), tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    log = tmp_path / "report.log"
    assert "Traceback ..." not in html
    assert '<a href="report.log">report.log</a>' in html
    text = log.read_text(encoding="utf-8")
    assert "Synaptosomal uptake 1 (uptake[1])" in text and "Traceback ..." in text
    assert "not a plate file pdstudy recognises" in text


def test_results_files_are_links(tmp_path: Path) -> None:
    import dataclasses

    data = _data()
    ok = dataclasses.replace(data.sections[0], files=("results/a.csv", "results/a.xlsx"))
    data = dataclasses.replace(data, sections=(ok, data.sections[1]))
    html = render_report(data)
    assert '<a href="results/a.xlsx">results/a.xlsx</a>' in html


_MEASURE = """<script>
window.addEventListener("load", () => {
  const wide = [...document.querySelectorAll("table, figure, pre, dl, ul")]
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map((e) => e.tagName + ":" + (e.closest("section") || {}).id);
  document.body.setAttribute("data-scroll-width", document.documentElement.scrollWidth);
  document.body.setAttribute("data-client-width", document.documentElement.clientWidth);
  document.body.setAttribute("data-too-wide", wide.join(" "));
});
</script>"""


@pytest.mark.slow
def test_demo_report_has_no_horizontal_scroll_at_1280(tmp_path: Path) -> None:
    import re

    from pdstudy.examples import write_example_study
    from pdstudy.study import run_study

    study = write_example_study(tmp_path / "study", seed=20261128)
    run = run_study(study, tmp_path / "out", workers=1)
    html = run.report_path.read_text(encoding="utf-8")
    probe = run.report_path.with_name("probe.html")
    probe.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    dom, log = chromium_render(probe, tmp_path, tmp_path / "report.png", height=1400)
    width = int(re.search(r'data-scroll-width="(\d+)"', dom).group(1))
    client = int(re.search(r'data-client-width="(\d+)"', dom).group(1))
    too_wide = re.search(r'data-too-wide="([^"]*)"', dom).group(1)
    assert width <= client, f"page scrolls sideways: {width} > {client} px ({too_wide})"
    assert too_wide == ""
    assert console_errors(log) == []


def test_whole_numbers_in_a_float_column_stay_whole() -> None:
    from pdstudy.report.format import column_style

    _, f = column_style("n", [3.0, 2.0, float("nan")])
    assert [f(3.0), f(2.0), f(float("nan"))] == ["3", "2", "–"]
