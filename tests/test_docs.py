"""Documentation says what the code does: every table and column is in docs/schema.md, every
template column in docs/template.md, and the README opens with the two commands."""

from __future__ import annotations

import re
from pathlib import Path

from etl.schema import KEY_FIGURES, SHEETS

ROOT = Path(__file__).resolve().parent.parent


def documented_tables() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    tables: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = set()
        cell = re.match(r"^\| `(\w+)` \|", line)
        if cell and current:
            tables[current].add(cell.group(1))
    return tables


def test_every_table_and_column_is_documented(demo_db):
    actual: dict[str, set[str]] = {}
    for table, column in demo_db.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_name in (select table_name from information_schema.tables"
        " where table_type = 'BASE TABLE')"
    ).fetchall():
        actual.setdefault(table, set()).add(column)
    assert documented_tables() == actual


def test_every_template_column_is_documented():
    text = (ROOT / "docs" / "template.md").read_text(encoding="utf-8")
    assert "`chiffres_cles.csv`" in text
    for column in KEY_FIGURES.column_names:
        assert re.search(rf"\| {column} \|", text), column
    for sheet in SHEETS:
        assert f"## Sheet `{sheet.name}`" in text
        for column in sheet.column_names:
            assert re.search(rf"\| {column}\b|, {column} \|", text), (sheet.name, column)


def test_readme_opens_with_run_and_test_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first_block = "\n".join(lines[:15])
    assert "make run" in first_block
    assert "make test" in first_block


def test_every_insee_variable_is_documented():
    from etl.insee import VARIABLES

    text = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    for code, variable in VARIABLES.items():
        assert f"| `{code}` | {variable.label} |" in text
