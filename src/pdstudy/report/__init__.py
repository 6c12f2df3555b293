"""Reports: one self-contained HTML file per study (inline SVG figures, inline CSS).

- :mod:`~pdstudy.report.model`: what a report holds (:class:`ReportData`,
  :class:`Section`, :class:`Figure`, :class:`Table`, :class:`Headline`);
- :mod:`~pdstudy.report.figures`: matplotlib figures -> SVG/PNG files and inline SVG;
- :mod:`~pdstudy.report.format`: numbers -> text, by column name;
- :mod:`~pdstudy.report.pharmacology`: the target-profile and synapse-model sections;
- :mod:`~pdstudy.report.html`: :func:`render_report`, :func:`write_report`.
"""

from pdstudy.report.figures import figure_svg, new_figure, render_figure, save_figure
from pdstudy.report.format import format_value, table_html
from pdstudy.report.html import render_report, write_report
from pdstudy.report.model import STATUSES, Figure, Headline, ReportData, Section, Table
from pdstudy.report.pharmacology import profile_section, synapse_section

__all__ = [
    "STATUSES",
    "Figure",
    "Headline",
    "ReportData",
    "Section",
    "Table",
    "figure_svg",
    "format_value",
    "new_figure",
    "profile_section",
    "render_figure",
    "render_report",
    "save_figure",
    "synapse_section",
    "table_html",
    "write_report",
]
