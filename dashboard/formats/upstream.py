"""The one place where the formats package reaches into the rest of the dashboard.

Every other module of `dashboard/formats/` imports the project's loaders, KPI builders and
formatters from here, so that a restructuring of `dashboard/` is followed by editing this file
only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard import changes, kpis, queries
from dashboard import summaries as texts
from dashboard.commission import notable_changes
from dashboard.commission_report import REPORT_ERRORS, ReportData, ReportScope, scope_choices
from dashboard.commission_report import build_report_data as _build_report_data
from dashboard.commission_report.data import (
    REPORT_FUNDING_COLUMNS,
    build_funder_totals,
    build_funding_table,
)
from dashboard.db import get_cursor
from dashboard.formatting import (
    DEMO_LABEL,
    FUNDER_COLORS,
    STAGE_COLORS,
    STATUS_COLORS,
    format_compact_euros,
    format_date,
    format_euros,
    format_number,
    format_percent,
)
from dashboard.tables import CHANGE_COLUMNS, COMMISSION_LATE_COLUMNS
from dashboard.territory import Territory, find_territory
from etl.schema import STATUS_ORDER

# An unknown territory or scope: the errors the CLI answers in French.
ReportError = REPORT_ERRORS
# The labels of the KPIs a commission screen shows (dashboard.kpis's one definition).
SCREEN_KPIS = tuple(kpis.KPIS_BY_KEY[key].label for key in kpis.SCREEN_KPIS)
build_scope_kpis = kpis.build_kpis
build_status_by_group = kpis.build_status_by_item


def build_kpi_items(figures: pd.Series, with_money: bool) -> list[tuple[str, str]]:
    """(label, value) of the KPI grid, the same figures as every screen's."""
    return [(label, value) for label, value, _ in kpis.build_kpi_items(figures, with_money)]


def build_report_data(
    territory: Territory | str, scope: ReportScope, today: object = None
) -> ReportData:
    """The PDF report's data for a territory (or its SIREN / identifier) and scope."""
    territory = find_territory(territory) if isinstance(territory, str) else territory
    return _build_report_data(territory, scope, today)


ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMAS_DIR = ROOT / "data" / "schemas"
SQL_DIR = Path(__file__).parent / "sql"

__all__ = [
    "CHANGE_COLUMNS",
    "COMMISSION_LATE_COLUMNS",
    "DEMO_LABEL",
    "FUNDER_COLORS",
    "REPORT_FUNDING_COLUMNS",
    "ROOT",
    "SCHEMAS_DIR",
    "SCREEN_KPIS",
    "STAGE_COLORS",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "ReportData",
    "ReportError",
    "ReportScope",
    "Territory",
    "build_funder_totals",
    "build_funding_table",
    "build_kpi_items",
    "build_report_data",
    "build_scope_kpis",
    "build_status_by_group",
    "changes",
    "find_territory",
    "format_compact_euros",
    "format_date",
    "format_euros",
    "format_number",
    "format_percent",
    "notable_changes",
    "queries",
    "run_sql",
    "scope_choices",
    "texts",
]


def run_sql(name: str, **params: object) -> pd.DataFrame:
    """One query of dashboard/formats/sql on the app's read-only connection (fresh cursor)."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    cursor = get_cursor()
    try:
        return cursor.execute(text, params or None).df()
    finally:
        cursor.close()
