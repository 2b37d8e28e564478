"""Open the warehouse file read-only with outside access off (DuckDB only: no Streamlit, so the
SQL console's worker process can import it cheaply)."""

from __future__ import annotations

import duckdb

# Outside access off: the app reads its own file and nothing else (no URLs, no other files).
READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
CATALOG = "warehouse"


def open_read_only(path: str, settings: dict | None = None) -> duckdb.DuckDBPyConnection:
    """The file attached read-only to a fresh in-memory database, outside access then locked off.

    `settings` (memory, threads, temp space…) are set at start-up, before the configuration is
    locked, so the queries run on the connection cannot change them.

    `duckdb.connect(path)` would hand back the instance already open on that path, i.e. the file
    that was swapped out, as long as an older connection lives: attaching gives each published
    file its own instance, and sessions still reading the previous one keep it until they rerun.
    """
    config = {k: v for k, v in READ_ONLY_CONFIG.items() if k != "enable_external_access"}
    con = duckdb.connect(":memory:", config={**config, **(settings or {})})
    con.execute(f"attach $path as {CATALOG} (read_only)", {"path": path})
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con
