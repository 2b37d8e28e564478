"""French formats, escaping of loaded text, and exports with formulas neutralised."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from dashboard import exports, formatting, summaries

NBSP = "\u00a0"


def test_french_numbers_euros_and_dates():
    assert formatting.format_euros(1234567) == f"1{NBSP}234{NBSP}567{NBSP}€"
    assert formatting.format_number(12.5, 1) == "12,5"
    assert formatting.format_compact_euros(12_500_000) == f"12,5{NBSP}M€"
    assert formatting.format_compact_euros(350_000) == f"350{NBSP}k€"
    assert formatting.format_compact_euros(2_000_000) == f"2{NBSP}M€"
    assert formatting.format_date("2026-03-23") == "23/03/2026"
    assert formatting.format_percent(59.4) == f"59{NBSP}%"
    assert formatting.format_euros(None) == "—"
    assert formatting.format_euros(float("nan")) == "—"


def test_loaded_text_is_escaped_for_html_and_markdown():
    hostile = '<img src=x onerror="alert(1)"> **gras** [lien](javascript:alert(1))'
    html = formatting.escape(hostile)
    assert "<img" not in html
    assert "&lt;img" in html
    markdown = formatting.escape_markdown(hostile)
    assert "<img" not in markdown
    assert "\\*\\*gras\\*\\*" in markdown
    assert "\\[lien\\]\\(javascript" in markdown


def test_exports_neutralise_formulas_and_use_french_csv():
    frame = pd.DataFrame(
        {
            "Action": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "Normal"],
            "Montant (€)": [1.5, 2.0, 3.0, 4.0, 1234.5],
        }
    )
    csv = exports.to_csv_bytes(frame).decode("utf-8-sig")
    assert csv.splitlines()[0] == "Action;Montant (€)"
    assert "'=HYPERLINK" in csv
    assert "'+1;2\r\n" in csv or "'+1;2\n" in csv  # an integral amount without « ,0 »
    assert "Normal;1234,5" in csv
    workbook = load_workbook(io.BytesIO(exports.to_excel_bytes(frame, "actions")))
    sheet = workbook["actions"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 7)] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "Normal",
    ]
    assert sheet.cell(row=6, column=2).value == 1234.5
    assert sheet.freeze_panes == "A2"


def test_overview_summary_sentence():
    kpis = pd.Series(
        {
            "n_actions": 51,
            "n_done": 12,
            "n_in_progress": 20,
            "n_late": 3,
            "progress_by_count": 47.0,
            "budget_planned": 12_500_000.0,
            "budget_paid": 3_000_000.0,
            "funding_granted": None,
        }
    )
    sentence = summaries.build_overview_summary(kpis)
    assert sentence.startswith("12 actions sur 51 sont terminées, 20 sont en cours.")
    assert "3 actions sont en retard" in sentence
    assert f"12,5{NBSP}M€" in sentence
    assert "financements" not in sentence


def test_csv_exports_read_like_the_screen():
    """Dates dd/mm/yyyy, « oui » / « non », « démo », no « ,0 » on whole numbers, empty cells for
    unknown values (never « nan », « None », « True » or an ISO date)."""
    frame = pd.DataFrame(
        {
            "Fin prévue": pd.to_datetime(["2026-03-23", None]),
            "En retard": [True, False],
            "Données": [True, False],
            "Dépenses (€)": [2519600.0, None],
            "Avancement (%)": [47.5, 0.0],
        }
    )
    frame.attrs["kinds"] = {"Données": "demo", "Dépenses (€)": "euros"}
    lines = exports.to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert lines[1] == "23/03/2026;oui;démo;2519600;47,5"
    assert lines[2] == ";non;;;0"
    assert not any(word in "".join(lines) for word in ("nan", "None", "True", "2026-03"))


def test_exports_neutralise_tab_and_carriage_return_prefixes_and_hostile_headers():
    hostile = ["\t=1+1", "\r=cmd|' /C calc'!A0", "-1+1", "@foo", "+33 6 12", "a=b"]
    frame = pd.DataFrame({"=Colonne": hostile})
    csv = exports.to_csv_bytes(frame).decode("utf-8-sig")
    assert csv.startswith("'=Colonne")
    workbook = load_workbook(io.BytesIO(exports.to_excel_bytes(frame, "export")))
    sheet = workbook["export"]
    assert sheet.cell(row=1, column=1).value == "'=Colonne"
    cells = [sheet.cell(row=r, column=1).value for r in range(2, 8)]
    # xlsx stores a carriage return as `_x000D_`: what matters is the apostrophe in front.
    assert all(cell.startswith("'") for cell in cells[:5]), cells
    assert cells[0] == "'\t=1+1"
    assert all(f"'{value}" in csv for value in hostile[:5])
    assert cells[5] == "a=b"  # a formula character inside the text is harmless
    assert all(cell.data_type == "s" for cell in sheet["A"])
