"""Dated snapshots of every action's status, progress, dates and amounts, kept across builds.

Each build copies the history of the published warehouse into the one it writes, then adds a
snapshot for each territory whose content changed since its latest snapshot (a rebuild that
changes nothing adds nothing, so "the previous snapshot" is always a different state).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import duckdb

SQL_FILE = Path(__file__).parent / "sql" / "snapshots.sql"
HISTORY_TABLES = ("snapshots", "snapshot_actions")
log = logging.getLogger(__name__)


def read_named_sql(path: Path) -> list[tuple[str, str]]:
    """The `-- name: …` blocks of an SQL file, in order."""
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (.+)$", text, flags=re.MULTILINE)[1:]
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(0, len(parts), 2)]


def carry_over(con: duckdb.DuckDBPyConnection, previous: Path | None) -> int:
    """Copy the snapshot history of the previous warehouse, for territories still present.

    Returns the number of snapshots copied. A previous file that cannot be read (absent,
    damaged, older schema) costs the history, never the build: it is logged and skipped."""
    if previous is None or not previous.exists():
        return 0
    escaped = str(previous).replace("'", "''")
    try:
        con.execute(f"attach '{escaped}' as previous (read_only)")  # our own path, not input
    except duckdb.Error as error:
        log.warning("Historique des instantanés non repris (%s) : %s", previous, error)
        return 0
    try:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where database_name = 'previous'"
            ).fetchall()
        }
        if not set(HISTORY_TABLES) <= present:
            return 0
        con.execute("begin")
        con.execute(
            "insert into snapshots by name select * from previous.snapshots "
            "where origin = 'build' and territory_id in (select territory_id from territories)"
        )
        con.execute(
            "insert into snapshot_actions by name select * from previous.snapshot_actions "
            "where snapshot_id in (select snapshot_id from snapshots)"
        )
        con.execute("commit")
        return con.execute("select count(*) from snapshots").fetchone()[0]
    except duckdb.Error as error:
        con.execute("rollback")
        log.warning("Historique des instantanés non repris (%s) : %s", previous, error)
        return 0
    finally:
        con.execute("detach previous")


def take(con: duckdb.DuckDBPyConnection, taken_at: dt.datetime) -> list[str]:
    """Add a snapshot for every territory whose state changed; returns the new snapshot ids."""
    new_ids: list[str] = []
    for name, statement in read_named_sql(SQL_FILE):
        params = {"taken_at": taken_at} if "$taken_at" in statement else None
        con.execute(statement, params)
        if name == "new snapshots":
            new_ids = [
                r[0] for r in con.execute("select snapshot_id from new_snapshots").fetchall()
            ]
    return new_ids


def record(con: duckdb.DuckDBPyConnection, previous: Path | None, taken_at: dt.datetime) -> None:
    carry_over(con, previous)
    take(con, taken_at)
