"""One cached read-only DuckDB connection per published warehouse file; a cursor per query."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = ROOT / "data" / "warehouse.duckdb"
# Outside access off: the app reads its own file and nothing else (no URLs, no other files).
READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


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
    return duckdb.connect(path, read_only=True, config=READ_ONLY_CONFIG)


def get_conn() -> duckdb.DuckDBPyConnection:
    version = warehouse_version()
    if version is None:
        raise FileNotFoundError(warehouse_path())
    return _connect(str(warehouse_path()), version)


def get_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of its own (DuckDB connections are not thread-safe; an interrupt stops only it)."""
    return get_conn().cursor()
