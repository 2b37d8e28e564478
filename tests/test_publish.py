"""Publishing a new warehouse while the app holds a connection to the old one."""

from __future__ import annotations

from pathlib import Path

from etl import pipeline


def test_app_connection_sees_a_newly_published_warehouse(mini_sources, tmp_path, monkeypatch):
    """DuckDB hands back the instance already open on a path: dashboard.db attaches each
    published file to a fresh in-memory database, so the new file is read after a swap."""
    from dashboard import db

    served = tmp_path / "served" / "warehouse.duckdb"
    pipeline.run_build(Path(__file__).parent / "fixtures" / "valid", pipeline.REFERENCE_DIR, served)
    monkeypatch.setenv("PILOTAGE_WAREHOUSE", str(served))
    before = db.get_cursor().execute("select count(*) from actions").fetchone()[0]
    extra = mini_sources / "mini" / "actions.csv"
    extra.write_text(
        extra.read_text(encoding="utf-8")
        + "A4;E2.D1;Une action de plus;;À venir;0;;;;Service;;;;;oui\n",
        encoding="utf-8",
    )
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, served)
    after = db.get_cursor().execute("select count(*) from actions").fetchone()[0]
    assert (before, after) == (3, 4)
