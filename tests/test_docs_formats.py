"""docs/formats.md says what the warehouse holds: its provenance levels and its statuses are those
of the demo warehouse, with the same wording, and the projets-territoire status mapping is the
one the code applies."""

from __future__ import annotations

import re
from pathlib import Path

FORMATS_DOC = Path(__file__).resolve().parent.parent / "docs" / "formats.md"


def doc_table(after: str) -> list[list[str]]:
    """The cells of the first Markdown table below the line `after`: its header, then its rows
    (the rule under the header left out)."""
    lines = FORMATS_DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(after)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[:1] + rows[2:]


def code_names(cell: str) -> list[str]:
    """The `quoted` names of a cell."""
    return re.findall(r"`([^`]+)`", cell)


def plain(cell: str) -> str:
    """A cell's text, « *(none)* » and « *(empty)* » read as nothing."""
    return "" if cell in ("*(none)*", "*(empty)*") else cell


def status_name(cell: str) -> str:
    """`En cours, planned end passed` and `Non renseigné (status not given)` name a status."""
    return re.split(r",| \(", plain(cell), maxsplit=1)[0].strip()


def provenances_held(db) -> dict[str, set[str]]:
    """Each provenance key of the demo warehouse and the tables holding a row of that level."""
    tables = db.execute(
        "select table_name from information_schema.columns where column_name = 'provenance'"
        " and table_name in (select table_name from information_schema.tables"
        " where table_type = 'BASE TABLE')"
    ).fetchall()
    held: dict[str, set[str]] = {}
    for (table,) in tables:
        for (key,) in db.execute(f"select distinct provenance from {table}").fetchall():
            held.setdefault(key, set()).add(table)
    return held


def test_provenance_levels_are_the_warehouses_with_its_wording(demo_db):
    from dashboard.formats.common import PROVENANCE_LEVELS

    header, *cells = doc_table("## Provenance levels")
    columns = [name.split()[0] for name in header]  # level, typed, label, mark, held
    rows = {code_names(row[0])[0]: dict(zip(columns, row, strict=True)) for row in cells}
    levels = {
        key: (typed, label, mark)
        for key, typed, label, mark in demo_db.execute("select * from provenances").fetchall()
    }
    # The warehouse's four, and the status not given that the formats add (data package enum).
    assert set(rows) == {*levels, "not_given"} == set(PROVENANCE_LEVELS)
    held = provenances_held(demo_db)
    for key, (typed, label, mark) in levels.items():
        row = rows[key]
        assert row["label"] == label, key
        assert (code_names(row["typed"])[0], plain(row["mark"])) == (typed, mark), key
        assert set(code_names(row["held"])) == held.get(key, set()), key
    row = rows["not_given"]
    assert (row["label"], plain(row["mark"])) == (PROVENANCE_LEVELS["not_given"], "")
    assert code_names(row["typed"]) == ["statut"]
    not_given = demo_db.execute("select count(*) from actions where not status_given").fetchone()
    assert set(code_names(row["held"])) == ({"actions"} if not_given[0] else set())


def test_status_mapping_names_the_warehouses_statuses_as_the_code_maps_them(demo_db):
    from dashboard.formats.projets_territoire import PHASE_TO_STATUS, phase_status

    statuses = dict(demo_db.execute("select status, is_typed from statuses").fetchall())
    (not_typed,) = [status for status, typed in statuses.items() if not typed]
    rows = doc_table("**Status mapping**")[1:]
    assert {status_name(ours) for ours, *_ in rows} == set(statuses)
    for ours, phase, theirs, back in rows:
        status = status_name(ours)
        late = "planned end passed" in ours
        assert plain(phase) == phase_status(status, statuses[status], late), ours
        if back:
            assert status_name(back) == (PHASE_TO_STATUS[plain(theirs)] or not_typed), theirs
    assert {plain(row[2]) for row in rows if row[3]} == set(PHASE_TO_STATUS)
