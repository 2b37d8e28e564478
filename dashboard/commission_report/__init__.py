"""Rapport de commission: one territory and one scope (whole plan, one first-level plan item or
one contract) as a printable PDF, from the app or the command line.

`scope` (what it covers), `data` (what it shows), `render` (HTML from templates/report/, charts
as SVG), `printing` (Chromium), `__main__` (the CLI, for scheduled runs):

    python -m dashboard.commission_report --territoire 200068666 --perimetre element:P1
"""

from __future__ import annotations

import datetime as dt

from streamlit import logger as _streamlit_logger
from streamlit import runtime as _streamlit_runtime

if not _streamlit_runtime.exists():  # CLI, cron: Streamlit's "no runtime" notices are expected
    _streamlit_logger.set_log_level("error")

# (after quieting Streamlit: the loaders below are declared with st.cache_data)

from dashboard.commission_report.data import ReportData, build_report_data
from dashboard.commission_report.printing import render_report_pdf
from dashboard.commission_report.render import build_report_html
from dashboard.commission_report.scope import (
    REPORT_ERRORS,
    ReportError,
    ReportScope,
    scope_choices,
    scope_for_item,
)
from dashboard.territory import Territory, find_territory

__all__ = [
    "REPORT_ERRORS",
    "ReportData",
    "ReportError",
    "ReportScope",
    "build_report_data",
    "build_report_html",
    "build_report_pdf",
    "render_report_pdf",
    "report_filename",
    "scope_choices",
    "scope_for_item",
]


def build_report_pdf(
    territory: Territory | str, scope: ReportScope | str = "plan", today: dt.date | None = None
) -> bytes:
    """The Rapport de commission as PDF bytes (a few seconds: charts and printing)."""
    territory = find_territory(territory) if isinstance(territory, str) else territory
    scope = ReportScope.parse(scope) if isinstance(scope, str) else scope
    return render_report_pdf(build_report_data(territory, scope, today))


def report_filename(territory: Territory, scope: ReportScope, today: dt.date) -> str:
    parts = ["rapport", territory.territory_id, scope.kind]
    if scope.code:
        parts.append("".join(c if c.isalnum() or c in "-." else "-" for c in scope.code))
    return "_".join([*parts, today.isoformat()]) + ".pdf"
