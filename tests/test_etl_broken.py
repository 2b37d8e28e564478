"""Broken inputs: each fixture gets its French message with file, sheet, row and column, and the
database that was already published stays byte-for-byte the same."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from etl import pipeline
from etl.issues import ValidationError

BROKEN = Path(__file__).parent / "fixtures" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grow(path: Path, megabytes: int) -> None:
    """Repeat the last row past `megabytes` MB: too big to commit, so made at test time."""
    last_row = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1] + b"\n"
    block = last_row * (1024 * 1024 // len(last_row) + 1)
    with path.open("ab") as handle:
        for _ in range(megabytes + 1):
            handle.write(block)


def apply_case(sources: Path, case: str) -> tuple[str, str]:
    folder = BROKEN / case
    target = sources / "mini"
    removals = (folder / "_remove").read_text().split() if (folder / "_remove").exists() else []
    for name in removals:
        (target / name).unlink()
    for path in folder.iterdir():
        if path.name not in ("_remove", "_grow", "expected.txt"):
            shutil.copy(path, target / path.name)
    if (folder / "_grow").exists():
        name, megabytes = (folder / "_grow").read_text().split()
        grow(target / name, int(megabytes))
    message, location = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()[:2]
    return message, location


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A warehouse already published from the valid fixture, that no broken build may touch."""
    output = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    pipeline.run_build(Path(__file__).parent / "fixtures" / "valid", pipeline.REFERENCE_DIR, output)
    return output


def test_there_are_at_least_ninety_distinct_broken_inputs():
    assert len(CASES) >= 90


@pytest.mark.parametrize("case", CASES)
def test_broken_input_is_refused_and_published_database_untouched(case, mini_sources, published):
    message, location = apply_case(mini_sources, case)
    before = digest(published)
    with pytest.raises(ValidationError) as raised:
        pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, published)
    texts = [str(issue) for issue in raised.value.issues.errors]
    assert any(message in text and location in text for text in texts), texts
    assert digest(published) == before
    assert not list(published.parent.glob(".warehouse.duckdb.tmp-*"))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        capture_output=True,
        text=True,
        cwd=pipeline.ROOT,
        check=False,
    )


def test_cli_exits_non_zero_with_french_message_and_keeps_database(mini_sources, published):
    apply_case(mini_sources, "unknown_status")
    before = digest(published)
    completed = run_cli("build", "--sources", str(mini_sources), "--output", str(published))
    assert completed.returncode == 1
    assert "colonne « statut » : valeur non reconnue" in completed.stderr
    assert "la base existante n'a pas été modifiée" in completed.stderr
    assert digest(published) == before


def test_check_reports_without_writing(mini_sources, tmp_path):
    apply_case(mini_sources, "end_before_start")
    completed = subprocess.run(
        [sys.executable, "-m", "etl", "check", "--sources", str(mini_sources)],
        capture_output=True,
        text=True,
        cwd=pipeline.ROOT,
        check=False,
    )
    assert completed.returncode == 1
    assert "fin prévue antérieure au début prévu" in completed.stderr


def test_a_build_killed_midway_leaves_the_published_database_intact(published, tmp_path):
    """A real SIGKILL while the temporary file is being written: the published file is untouched,
    and the next build removes the leftover and publishes."""
    import os
    import signal
    import time

    before = digest(published)
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "build", "--output", str(published)],
        cwd=pipeline.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    temp_files: list[Path] = []
    while time.monotonic() < deadline and not temp_files:
        temp_files = list(published.parent.glob(".warehouse.duckdb.tmp-*"))
        time.sleep(0.01)
    assert temp_files, "the build never started writing its temporary file"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert digest(published) == before
    pipeline.run_build(
        Path(__file__).parent / "fixtures" / "valid", pipeline.REFERENCE_DIR, published
    )
    assert not list(published.parent.glob(".warehouse.duckdb.tmp-*"))


# --- unusual but legitimate inputs: accepted, and read as the user meant ---------------------


def built_scalar(sources: Path, output: Path, sql: str) -> object:
    import duckdb

    from dashboard.db import READ_ONLY_CONFIG

    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True, config=READ_ONLY_CONFIG)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_renamed_sheet_is_refused_with_the_expected_name(mini_sources):
    apply_case(mini_sources, "renamed_sheet")
    result = pipeline.run_check(mini_sources)
    errors = [str(issue) for issue in result.issues.errors]
    assert any(
        "feuille « Actions 2024 »" in e and "vouliez-vous dire « actions » ?" in e for e in errors
    ), errors


def test_extra_columns_are_accepted_with_a_warning(mini_sources, tmp_path):
    path = mini_sources / "mini" / "actions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([lines[0] + ";Commentaire interne"] + [line + ";à voir" for line in lines[1:]]),
        encoding="utf-8",
    )
    result = pipeline.run_check(mini_sources)
    assert not result.issues.errors
    assert any(
        "colonne « commentaire_interne »" in str(w) and "colonne inconnue, ignorée" in str(w)
        for w in result.issues.warnings
    )
    count = built_scalar(mini_sources, tmp_path / "w.duckdb", "select count(*) from actions")
    assert count == 3


def test_euro_signs_thousands_spaces_and_decimal_commas_are_read_as_amounts(mini_sources, tmp_path):
    path = mini_sources / "mini" / "budget.csv"
    text = path.read_text(encoding="utf-8")
    # A no-break space and a narrow no-break space, as Excel and LibreOffice write them in French.
    text = text.replace("400 000;;;oui", "400\u00a0000,25\u202f€;1.234.567,5;12 345 EUR;oui")
    path.write_text(text, encoding="utf-8")
    sql = (
        "select list(planned order by year) || list(committed order by year) "
        "|| list(paid order by year) from budget_lines "
        "where action_id in (select action_id from actions where code = 'A1')"
    )
    values = built_scalar(mini_sources, tmp_path / "a.duckdb", sql)
    assert [float(v) for v in values] == [
        1200000.5,
        400000.25,
        800000.0,
        1234567.5,
        500000.0,
        12345.0,
    ]


def test_text_dates_and_serial_numbers_in_workbook_cells(mini_sources, tmp_path):
    """A date typed as text in a cell, and a date cell whose format was lost (a bare serial)."""
    import datetime as dt

    from openpyxl import load_workbook

    shutil.copy(BROKEN / "renamed_sheet" / "plan.xlsx", mini_sources / "mini" / "plan.xlsx")
    (mini_sources / "mini" / "actions.csv").unlink()
    workbook = load_workbook(mini_sources / "mini" / "plan.xlsx")
    sheet = workbook.active
    sheet.title = "Actions"
    sheet["G2"] = "23/03/2024"  # debut_prevu of A1, as text
    sheet["H2"] = (dt.date(2025, 12, 31) - dt.date(1899, 12, 30)).days  # fin_prevue as a number
    workbook.save(mini_sources / "mini" / "plan.xlsx")
    sql = "select planned_start || ' ' || planned_end from actions where code = 'A1'"
    assert built_scalar(mini_sources, tmp_path / "d.duckdb", sql) == "2024-03-23 2025-12-31"


def test_tab_separated_csv_is_accepted(mini_sources, tmp_path):
    path = mini_sources / "mini" / "plan.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(";", "\t"), encoding="utf-8")
    count = built_scalar(mini_sources, tmp_path / "t.duckdb", "select count(*) from plan_items")
    assert count == 4


# --- read completely: what a workbook declares never hides what it holds ----------------------


def workbook_case(mini_sources: Path, case: str) -> Path:
    shutil.copy(BROKEN / case / "plan.xlsx", mini_sources / "mini" / "plan.xlsx")
    (mini_sources / "mini" / "actions.csv").unlink()
    return mini_sources / "mini" / "plan.xlsx"


def test_sheet_declaring_a_smaller_size_is_read_to_its_last_cell(mini_sources, tmp_path):
    """`<dimension ref="A1:O2"/>` written by some tools over a sheet of 4 rows: all are read."""
    import re
    import zipfile

    from openpyxl import load_workbook

    path = workbook_case(mini_sources, "renamed_sheet")
    workbook = load_workbook(path)
    workbook.active.title = "actions"
    workbook.save(path)
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    parts[sheet] = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:C2"', parts[sheet])
    assert b'<dimension ref="A1:C2"' in parts[sheet]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    sql = "select count(*) || ' ' || count(distinct priority) from actions"
    assert built_scalar(mini_sources, tmp_path / "dim.duckdb", sql) == "3 3"


def test_percent_cells_keep_their_unit(mini_sources, tmp_path):
    """A cell shown as 0,5 % holds 0.005: read as 0,5 %, not refused as ambiguous."""
    from openpyxl import load_workbook

    path = workbook_case(mini_sources, "renamed_sheet")
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet.title = "actions"
    sheet["F2"] = 0.005
    sheet["F2"].number_format = "0.0%"
    workbook.save(path)
    sql = "select progress from actions where code = 'A1'"
    assert built_scalar(mini_sources, tmp_path / "pct.duckdb", sql) == 0.5


def test_coordinates_with_a_decimal_point_are_degrees(mini_sources, tmp_path):
    path = mini_sources / "mini" / "actions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [
        lines[0] + ";latitude;longitude",
        lines[1] + ";48.774;6.124",
        *(x + ";;" for x in lines[2:]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sql = "select latitude || ' ' || longitude from actions where code = 'A1'"
    assert built_scalar(mini_sources, tmp_path / "geo.duckdb", sql) == "48.774 6.124"


def test_bidirectional_controls_are_removed_and_reported(mini_sources, tmp_path):
    path = mini_sources / "mini" / "actions.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Renaturer", "\u202eRenaturer\u202c"), encoding="utf-8")
    result = pipeline.run_check(mini_sources)
    assert not result.issues.errors
    assert any(
        i.row == 2 and i.column == "intitule" and "contrôle de direction" in i.message
        for i in result.issues.warnings
    )
    sql = "select title from actions where code = 'A1'"
    assert built_scalar(mini_sources, tmp_path / "bidi.duckdb", sql) == "Renaturer les cours d'eau"


def test_a_cycle_is_reported_once_not_on_every_row_below_it(mini_sources):
    path = mini_sources / "mini" / "plan.csv"
    path.write_text(
        "code;code_parent;niveau;intitule\nE1;E2;enjeu;Un\nE2;E1;enjeu;Deux\n"
        "E1.D1;E1;défi;Sous le cycle\nE1.D2;E1.D1;défi;Plus bas\nE2.D1;E2;défi;Autre\n",
        encoding="utf-8",
    )
    result = pipeline.run_check(mini_sources)
    cycles = [i for i in result.issues.errors if i.message == "cycle dans la hiérarchie"]
    assert [(i.row, i.value) for i in cycles] == [(2, "E1 → E2 → E1")]


def test_findings_are_capped_with_the_count_of_the_others(mini_sources):
    path = mini_sources / "mini" / "budget.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(
            [
                lines[0],
                *(f"A1;{1990 + i % 100};Investissement;Dépense;x{i};;;oui" for i in range(3000)),
            ]
        ),
        encoding="utf-8",
    )
    result = pipeline.run_check(mini_sources)
    assert len(result.issues.errors) == 1000
    assert result.issues.error_count == 3000
    assert result.issues.omitted_text() == "… et 2\u202f000 autres erreurs"


@pytest.mark.parametrize(
    "case", ["excel_half_written_sheet", "excel_shared_string_out_of_range", "mixed_encoding_csv"]
)
def test_cli_refuses_damaged_files_in_french_without_traceback(case, mini_sources, published):
    apply_case(mini_sources, case)
    before = digest(published)
    completed = run_cli("build", "--sources", str(mini_sources), "--output", str(published))
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    message = (BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()[0]
    assert message in completed.stderr
    assert digest(published) == before


def test_killed_cache_write_leaves_no_temporary_file(tmp_path):
    """A temporary file of a build that no longer runs is removed by the next build."""
    cache = tmp_path / "cache"
    cache.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = cache / f".reference-abc.pickle.tmp-{dead.pid}"
    leftover.write_bytes(b"x" * 1024)
    mine = cache / f".reference-abc.pickle.tmp-{__import__('os').getpid()}"
    mine.write_bytes(b"y")
    pipeline.remove_stale_cache_temps(cache)
    assert not leftover.exists()
    assert mine.exists()  # a build still running keeps its file


# --- Excel error values: refused in every column, with their cell, never stored as text ------

# What a spreadsheet leaves in a cell whose formula failed: English in a workbook's error cells,
# French in what a French Excel exports to CSV or pastes as text.
FRENCH_ERROR_VALUES = ("#N/A", "#REF!", "#VALEUR!", "#DIV/0!", "#NOM?", "#NUL!", "#NOMBRE!")
ENGLISH_ERROR_VALUES = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!")


def pilot_cells(case: str) -> list[tuple[int, str, str]]:
    """(row, value, cell type) of the service_pilote cells holding an error value in a case."""
    folder = BROKEN / case
    if (folder / "plan.xlsx").exists():
        from openpyxl import load_workbook

        sheet = load_workbook(folder / "plan.xlsx").active
        column = [cell.value for cell in sheet[1]].index("service_pilote") + 1
        cells = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
        found = [(cell.row, str(cell.value), cell.data_type) for cell in cells]
    else:
        import csv

        with (folder / "actions.csv").open(encoding="cp1252", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter=";"))
        found = [(number, row["service_pilote"], "s") for number, row in enumerate(rows, 2)]
    return [(row, value, kind) for row, value, kind in found if value.startswith("#")]


@pytest.mark.parametrize("case", ["error_values_in_pilot_csv", "error_values_in_pilot_xlsx"])
def test_every_error_value_of_a_text_column_is_refused_with_its_cell(case, mini_sources):
    cells = pilot_cells(case)
    values = {value for _, value, _ in cells}
    assert set(FRENCH_ERROR_VALUES) | set(ENGLISH_ERROR_VALUES) <= values
    if case.endswith("xlsx"):  # error cells (t="e") and the same values typed as text
        assert {kind for _, value, kind in cells if value in ENGLISH_ERROR_VALUES} == {"e", "s"}
    apply_case(mini_sources, case)
    result = pipeline.run_check(mini_sources)
    refused = {
        (issue.row, issue.value)
        for issue in result.issues.errors
        if issue.column == "service_pilote"
        and issue.message.startswith(f"cellule J{issue.row} : valeur d'erreur Excel {issue.value}")
    }
    assert refused == {(row, value) for row, value, _ in cells}


def fill_row_with(path: Path, value: str) -> list[str]:
    """Write `value` in every cell of a CSV's first data row; its headers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    headers = lines[0].split(";")
    path.write_text("\n".join([lines[0], ";".join([value] * len(headers)), *lines[2:]]) + "\n")
    return headers


def error_value_findings(sources: Path) -> set[tuple[str, int, str, str]]:
    return {
        (issue.file, issue.row, issue.column, issue.message.split(" (", 1)[0])
        for issue in pipeline.run_check(sources).issues.errors
    }


def test_an_error_value_is_refused_in_every_column_of_every_csv(mini_sources):
    """`#NOM?` in every cell of a row of each file: codes, texts, statuses, lists, dates,
    amounts, years alike, each with its cell as a spreadsheet names it."""
    from openpyxl.utils import get_column_letter

    expected = set()
    for path in sorted((mini_sources / "mini").glob("*.csv")):
        headers = fill_row_with(path, "#NOM?")
        expected |= {
            (
                f"mini/{path.name}",
                2,
                header,
                f"cellule {get_column_letter(i)}2 : valeur d'erreur Excel #NOM?",
            )
            for i, header in enumerate(headers, 1)
        }
    assert len(expected) > 40
    assert expected <= error_value_findings(mini_sources)


@pytest.mark.parametrize(("value", "kind"), [("#VALEUR!", "s"), ("#NAME?", "s"), ("#N/A", "e")])
def test_an_error_value_is_refused_in_every_column_of_a_workbook(value, kind, mini_sources):
    """Typed as text (French or English) or an error cell (t="e"): refused in every column."""
    from openpyxl import load_workbook

    path = workbook_case(mini_sources, "renamed_sheet")
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet.title = "actions"
    for cell in sheet[3]:
        cell.value = value
        cell.data_type = kind
    workbook.save(path)
    expected = {
        (
            "mini/plan.xlsx",
            3,
            header.value,
            f"cellule {header.column_letter}3 : valeur d'erreur Excel {value}",
        )
        for header in sheet[1]
    }
    assert len(expected) == 15
    assert expected <= error_value_findings(mini_sources)
