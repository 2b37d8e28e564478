"""One cached read-only DuckDB connection per published warehouse file; a cursor per query."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import streamlit as st

from dashboard.readonly_db import CATALOG, READ_ONLY_CONFIG, open_read_only

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = ROOT / "data" / "warehouse.duckdb"
__all__ = ["CATALOG", "READ_ONLY_CONFIG", "get_conn", "get_cursor", "open_read_only"]


def warehouse_path() -> Path:
    return Path(os.environ.get("PILOTAGE_WAREHOUSE", DEFAULT_WAREHOUSE))


def warehouse_version() -> str | None:
    """Identity of the published file: changes when the ETL swaps a new one in."""
    try:
        stat = warehouse_path().stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


@st.cache_resource(max_entries=4, show_spinner=False)
def _connect(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """Refreshes when `version` changes (each publish); open sessions keep working meanwhile."""
    return open_read_only(path)


def get_conn() -> duckdb.DuckDBPyConnection:
    version = warehouse_version()
    if version is None:
        raise FileNotFoundError(warehouse_path())
    return _connect(str(warehouse_path()), version)


def get_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of its own on the published catalog (DuckDB connections are not thread-safe;
    an interrupt stops only this cursor)."""
    cursor = get_conn().cursor()
    cursor.execute(f"use {CATALOG}")
    return cursor
