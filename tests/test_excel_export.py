"""Excel exports reopened with openpyxl: the whole-plan workbook checked cell by cell against SQL
for the funding lines, formats and frozen header of every sheet, hostile text kept as text."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from dashboard import exports, results, tables
from tests.conftest import FORMULA_TITLE

EURO_FORMAT = '#,##0 "€"'


@pytest.fixture(scope="module")
def workbook(app_env, tampered_warehouse):
    patcher = pytest.MonkeyPatch()
    patcher.setenv("PILOTAGE_WAREHOUSE", str(tampered_warehouse))
    try:
        content = exports.build_plan_workbook("saint-dizier")
    finally:
        patcher.undo()
    return openpyxl.load_workbook(io.BytesIO(content))


def header(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def column(sheet, label: str) -> int:
    return header(sheet).index(label) + 1


def test_one_sheet_per_table_with_french_headers_frozen_and_filtered(workbook):
    specs = {
        "Actions": tables.ACTION_EXPORT_COLUMNS,
        "Plan": tables.PLAN_ITEM_COLUMNS,
        "Budget": tables.BUDGET_LINE_COLUMNS,
        "Financements": tables.FUNDING_LINE_COLUMNS,
        "Contrats": tables.CONTRACT_LIST_COLUMNS,
        "Résultats": results.RESULT_COLUMNS,
        "Mesures": results.POINT_COLUMNS,
    }
    assert workbook.sheetnames == list(specs)
    for name, spec in specs.items():
        # Every one of these tables carries a row-level provenance, shown in place of « Données ».
        spec = [tables.PROVENANCE_COLUMN if c == "is_demo" else (c, lb, k) for c, lb, k in spec]
        sheet = workbook[name]
        assert header(sheet) == [label for _, label, _ in spec], name
        assert sheet.freeze_panes == "A2", name
        last = openpyxl.utils.get_column_letter(len(spec))
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", name
        for index, (_, label, kind) in enumerate(spec, start=1):
            width = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width
            assert 10 <= width <= 61, (name, label, width)
            if kind in ("euros", "date"):
                expected = EURO_FORMAT if kind == "euros" else "dd/mm/yyyy"
                cells = [c for (c,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]
                filled = [c for c in cells if c.value is not None]
                assert filled, (name, label)
                assert {c.number_format for c in filled} == {expected}, (name, label)


def test_funding_sheet_equals_sql_cell_by_cell(workbook, tampered_db):
    rows = tampered_db.execute(
        """
        select a.code, a.title, c.code, coalesce(c.name, 'Hors contrat'), f.funder,
               f.funder_type, f.funding_line, f.requested, f.granted, f.received,
               f.decision_date, f.source, f.is_demo
        from funding as f
        join actions as a using (action_id)
        left join contracts as c on c.contract_id = f.contract_id
        where f.territory_id = 'saint-dizier'
        order by a.sort_order, f.granted desc nulls last, f.funder
        """
    ).fetchall()
    sheet = workbook["Financements"]
    assert sheet.max_row == len(rows) + 1
    for number, expected in enumerate(rows, start=2):
        cells = [sheet.cell(row=number, column=c) for c in range(1, 14)]
        values = [cell.value for cell in cells]
        title = expected[1]
        assert values[0] == expected[0]
        assert values[1] == ("'" + title if title.startswith("=") else title)
        assert values[2:7] == list(expected[2:7]), number
        for cell, amount in zip(cells[7:10], expected[7:10], strict=True):
            if amount is None:
                assert cell.value is None
            else:
                assert cell.data_type == "n"
                assert cell.value == pytest.approx(float(amount))
                assert cell.number_format == EURO_FORMAT
        decision = expected[10]
        if decision is None:
            assert cells[10].value is None
        else:
            assert cells[10].is_date
            assert cells[10].value.date() == decision
            assert cells[10].number_format == "dd/mm/yyyy"
        assert values[11] == expected[11]
        assert values[12] == ("démo" if expected[12] else None)


def test_hostile_cells_stay_text(workbook):
    sheet = workbook["Actions"]
    titles = column(sheet, "Action")
    pilots = column(sheet, "Service pilote")
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "P1.A1.O1.a1")
    title = sheet.cell(row, titles)
    assert title.data_type == "s"
    assert title.value == "'" + FORMULA_TITLE
    assert sheet.cell(row, pilots).value == "'@SUM(A1)"
    for formula_sheet in workbook.worksheets:
        for line in formula_sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in line), formula_sheet.title


def test_filtered_table_download_uses_the_same_formats():
    """ui.downloads.render_downloads writes tables.to_export(frame, spec) with to_excel_bytes."""
    frame = pd.DataFrame(
        {
            "code": ["A1", "A2", "A3", "A4"],
            "title": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"],
            "planned_end": pd.to_datetime(["2026-03-23", None, "2025-12-31", "2027-01-01"]),
            "budget_planned": [1234567.0, None, 0.0, 12.5],
            "is_late": [True, False, None, True],
            "is_demo": [True, False, True, False],
        }
    )
    export = tables.to_export(frame, tables.ACTION_COLUMNS)
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(export, "actions")))["actions"]
    assert header(sheet) == [
        "Code",
        "Action",
        "En retard",
        "Fin prévue",
        "Dépenses prévues (€)",
        "Données",
    ]
    assert [sheet.cell(r, 2).value for r in range(2, 6)] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
    ]
    assert [sheet.cell(r, 3).value for r in range(2, 6)] == ["oui", "non", None, "oui"]
    end = sheet.cell(2, 4)
    assert end.is_date
    assert end.value == dt.datetime(2026, 3, 23)
    assert end.number_format == "dd/mm/yyyy"
    assert sheet.cell(3, 4).value is None
    amount = sheet.cell(2, 5)
    assert amount.value == 1234567
    assert amount.number_format == EURO_FORMAT
    assert sheet.cell(3, 5).value is None
    assert [sheet.cell(r, 6).value for r in range(2, 6)] == ["démo", None, "démo", None]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F5"


def test_percent_and_ratio_columns_are_excel_percentages():
    frame = pd.DataFrame({"envelope_use": [0.25, None], "contract": ["A", "B"]})
    export = tables.to_export(frame, tables.CONTRACT_COLUMNS)
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(export)))["données"]
    use = sheet.cell(2, column(sheet, "Consommation de l'enveloppe"))
    assert use.value == 0.25
    assert use.number_format == "0 %"
    progress = pd.DataFrame({"Avancement": [47.0]})
    progress.attrs["kinds"] = {"Avancement": "percent"}
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(progress)))["données"]
    assert sheet.cell(2, 1).value == pytest.approx(0.47)
    assert sheet.cell(2, 1).number_format == "0 %"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    assert exports.sheet_title("Financements: État/Région [2026]?", taken) == (
        "Financements  État Région  2026"
    )
    assert exports.sheet_title("x" * 40, taken) == "x" * 31
    assert exports.sheet_title("x" * 40, taken) == "x" * 27 + " (2)"


def test_plan_sheet_counts_actions_under_each_item(workbook, tampered_db):
    sheet = workbook["Plan"]
    counts = dict(
        tampered_db.execute(
            "select i.code, count(a.action_id) from plan_items as i"
            " left join actions as a on a.item_id = i.item_id"
            " where i.territory_id = 'saint-dizier' group by i.code"
        ).fetchall()
    )
    code_column, count_column = column(sheet, "Code"), column(sheet, "Actions rattachées")
    shown = {
        sheet.cell(r, code_column).value: sheet.cell(r, count_column).value
        for r in range(2, sheet.max_row + 1)
    }
    assert shown == counts
