"""A copy of the published warehouse that holds only some territories (no Streamlit).

The SQL console of a person who may read two territories runs on such a copy: a query cannot
reach a third territory's rows, whatever it tries, because they are not in the file. Reference
tables (communes, EPCI, indicators, statuses, provenance levels, build information) are public
and kept whole. Copies are cached per published file and set of territories, built atomically.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb

KEEP_COPIES = 8


def restricted_path(
    warehouse: Path, version: str, territory_ids: frozenset[str], cache: Path
) -> Path:
    key = hashlib.sha256(f"{version}|{','.join(sorted(territory_ids))}".encode()).hexdigest()[:24]
    return cache / f"warehouse-{key}.duckdb"


def build_restricted_warehouse(
    warehouse: Path, version: str, territory_ids: frozenset[str], cache: Path
) -> Path:
    """The path of a copy of `warehouse` holding only `territory_ids` (built once per version)."""
    target = restricted_path(warehouse, version, territory_ids, cache)
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.copyfile(warehouse, temp)
    try:
        _keep_only(temp, territory_ids)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
        temp.with_name(temp.name + ".wal").unlink(missing_ok=True)
    _prune(cache, keep=target)
    return target


def _keep_only(path: Path, territory_ids: frozenset[str]) -> None:
    con = duckdb.connect(str(path))
    try:
        columns: dict[str, set[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_name in (select table_name from information_schema.tables"
            " where table_type = 'BASE TABLE')"
        ).fetchall():
            columns.setdefault(table, set()).add(column)
        ids = sorted(territory_ids)
        # Territory rows first, then the rows that hang on them (table names are the schema's).
        for table, names in columns.items():
            if "territory_id" in names:
                con.execute(
                    f"delete from {table} where territory_id is not null"
                    " and not list_contains($ids, territory_id)",
                    {"ids": ids},
                )
        for table, names in columns.items():
            if "territory_id" in names:
                continue
            if "action_id" in names:
                con.execute(
                    f"delete from {table} where action_id not in (select action_id from actions)"
                )
            elif "snapshot_id" in names:
                con.execute(
                    f"delete from {table}"
                    " where snapshot_id not in (select snapshot_id from snapshots)"
                )
        con.execute("checkpoint")
    finally:
        con.close()


def _prune(cache: Path, keep: Path) -> None:
    """Older copies (previous publishes, other sets of territories) beyond the last few."""
    copies = sorted(cache.glob("warehouse-*.duckdb"), key=lambda p: p.stat().st_mtime)
    for old in copies[:-KEEP_COPIES]:
        if old != keep:
            old.unlink(missing_ok=True)
