"""Write the warehouse into a temporary DuckDB file, check it, then swap it in atomically."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from etl import snapshots
from etl.schema import PROVENANCES, STATUS_DECLARATIONS

SQL_DIR = Path(__file__).parent / "sql"
TABLE_ORDER = (
    "sources",
    "epci",
    "indicators",
    "territories",
    "territory_communes",
    "territory_figures",
    "plan_items",
    "actions",
    "action_communes",
    "budget_lines",
    "contracts",
    "funding",
    "followups",
    "declared_states",
    "action_history",
    "journal_positions",
    "result_indicators",
    "result_measures",
    "alert_rules",
)


class LoadCheckError(Exception):
    """A post-load SQL check found offending rows."""


def read_checks() -> list[tuple[str, str]]:
    """Named queries of checks.sql: each returns the rows that break its rule."""
    return [
        (name, query.rstrip(";"))
        for name, query in snapshots.read_named_sql(SQL_DIR / "checks.sql")
    ]


@contextlib.contextmanager
def build_lock(output: Path) -> Iterator[None]:
    """One build at a time per warehouse; readers are never blocked."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output.with_name(f".{output.name}.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("incoming", frame)
    try:
        con.execute(f"insert into {table} by name select * from incoming")  # table names are ours
    finally:
        con.unregister("incoming")


def write_database(
    path: Path,
    communes: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    build_info: dict,
    previous: Path | None = None,
) -> None:
    """`previous` is the published warehouse, whose snapshot history is carried over."""
    con = duckdb.connect(str(path))
    try:
        con.execute((SQL_DIR / "schema.sql").read_text(encoding="utf-8"))
        con.executemany(
            "insert into statuses values (?, ?, ?, ?)",
            [(s.name, s.is_done, s.display_rank, s.typed) for s in STATUS_DECLARATIONS],
        )
        con.executemany(
            "insert into provenances values (?, ?, ?, ?)",
            [(p.key, p.typed, p.label, p.mark) for p in PROVENANCES],
        )
        con.register("incoming_communes", communes)
        con.execute(
            """
            insert into communes by name
            select insee_code, name, dept_code, region_code, epci_siren, area_km2,
                   longitude, latitude, from_hex(geometry_hex) as geometry
            from incoming_communes
            """
        )
        con.unregister("incoming_communes")
        for table in TABLE_ORDER:
            _insert(con, table, tables[table])
        _insert(con, "build_info", pd.DataFrame([build_info]))
        con.execute((SQL_DIR / "population.sql").read_text(encoding="utf-8"))
        snapshots.record(con, previous, build_info["built_at"])
        failures = []
        for name, query in read_checks():
            rows = con.execute(query).fetchall()
            if rows:
                failures.append(f"{name} : {len(rows)} ligne(s), ex. {rows[0][0]}")
        if failures:
            raise LoadCheckError("contrôles après chargement en échec : " + " ; ".join(failures))
        con.execute("checkpoint")
    finally:
        con.close()


def swap_in(temp: Path, output: Path) -> None:
    """Atomic rename on the same file system; open readers keep the old file until they reopen."""
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, output)
    directory = os.open(output.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def temp_path_for(output: Path) -> Path:
    return output.with_name(f".{output.name}.tmp-{os.getpid()}")


def remove_stale_temps(output: Path) -> None:
    """Leftovers of a build that was killed: never the published file."""
    for stale in output.parent.glob(f".{output.name}.tmp-*"):
        stale.unlink(missing_ok=True)
        stale.with_name(stale.name + ".wal").unlink(missing_ok=True)
