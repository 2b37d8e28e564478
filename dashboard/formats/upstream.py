"""The one place where the formats package reaches into the rest of the dashboard.

Every other module of `dashboard/formats/` imports the project's loaders, KPI builders and
formatters from here, so that a restructuring of `dashboard/` is followed by editing this file
only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard import changes, queries, texts
from dashboard.commission import SCREEN_KPIS, notable_changes
from dashboard.db import get_cursor
from dashboard.formatting import (
    DEMO_LABEL,
    FUNDER_COLORS,
    STAGE_COLORS,
    STATUS_COLORS,
    STATUS_ORDER,
    format_compact_euros,
    format_date,
    format_euros,
    format_number,
    format_percent,
)
from dashboard.report import (
    REPORT_FUNDING_COLUMNS,
    ReportData,
    ReportError,
    ReportScope,
    build_funder_totals,
    build_funding_table,
    build_kpi_items,
    build_report_data,
    build_scope_kpis,
    build_status_by_group,
    find_territory,
    scope_choices,
)
from dashboard.tables import CHANGE_COLUMNS, COMMISSION_LATE_COLUMNS

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
