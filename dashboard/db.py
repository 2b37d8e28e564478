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
CATALOG = "warehouse"


def warehouse_path() -> Path:
    return Path(os.environ.get("PILOTAGE_WAREHOUSE", DEFAULT_WAREHOUSE))


def warehouse_version() -> str | None:
    """Identity of the published file: changes when the ETL swaps a new one in."""
    try:
        stat = warehouse_path().stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def open_read_only(path: str) -> duckdb.DuckDBPyConnection:
    """The file attached read-only to a fresh in-memory database, outside access then locked off.

    `duckdb.connect(path)` would hand back the instance already open on that path, i.e. the file
    that was swapped out, as long as an older connection lives: attaching gives each published
    file its own instance, and sessions still reading the previous one keep it until they rerun.
    """
    con = duckdb.connect(
        ":memory:",
        config={k: v for k, v in READ_ONLY_CONFIG.items() if k != "enable_external_access"},
    )
    con.execute(f"attach $path as {CATALOG} (read_only)", {"path": path})
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


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
