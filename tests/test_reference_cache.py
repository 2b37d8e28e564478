"""The prepared reference reused between builds: same warehouse as a build from the files, a
changed reference file or a damaged cache prepares it again."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from etl import extract, pipeline

REFERENCE_TABLES = ("communes", "epci", "indicators", "territory_communes", "actions")


def _rows(path: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from {table} order by all").fetchall()
    finally:
        con.close()


def _forbid_reading_the_reference(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("la référence a été relue au lieu d'être reprise du cache")

    monkeypatch.setattr(extract, "unpack_reference", refuse)
    monkeypatch.setattr(extract, "read_reference_communes", refuse)


def test_second_build_reuses_the_prepared_reference_and_writes_the_same_tables(
    mini_sources, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, tmp_path / "cold.duckdb", None)
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, tmp_path / "first.duckdb", cache)
    assert len(list(cache.glob("reference-*.pickle"))) == 1
    with monkeypatch.context() as patch:
        _forbid_reading_the_reference(patch)
        pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, tmp_path / "warm.duckdb", cache)
        assert pipeline.run_check(mini_sources, pipeline.REFERENCE_DIR, cache).issues.errors == []
    for table in REFERENCE_TABLES:
        assert _rows(tmp_path / "warm.duckdb", table) == _rows(tmp_path / "cold.duckdb", table)


def test_a_changed_reference_file_is_read_again(mini_sources, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    reference = tmp_path / "reference"
    shutil.copytree(pipeline.REFERENCE_DIR, reference)
    pipeline.run_build(mini_sources, reference, tmp_path / "a.duckdb", cache)
    manifest = reference / "MANIFEST.json"
    manifest.write_text(manifest.read_text() + "\n")
    calls = []
    original = extract.unpack_reference
    monkeypatch.setattr(extract, "unpack_reference", lambda d: calls.append(d) or original(d))
    pipeline.run_build(mini_sources, reference, tmp_path / "b.duckdb", cache)
    assert calls == [reference]
    assert len(list(cache.glob("reference-*.pickle"))) == 2


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_damaged_cache_costs_time_not_the_build(mini_sources, tmp_path, damage):
    cache = tmp_path / "cache"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, tmp_path / "a.duckdb", cache)
    (cached,) = cache.glob("reference-*.pickle")
    cached.write_bytes(damage)
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, tmp_path / "b.duckdb", cache)
    assert _rows(tmp_path / "b.duckdb", "communes") == _rows(tmp_path / "a.duckdb", "communes")
    assert cached.stat().st_size > 1_000_000  # prepared again and rewritten
