"""`python -m etl template`: an empty workbook with headers, a README sheet and drop-down lists."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from etl.schema import SHEETS, Column

LISTS_SHEET = "listes"
MAX_ROWS = 5000
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
README_LINES = (
    "Modèle de saisie — Pilotage territorial",
    "",
    "Une feuille par table : territoire (une ligne), plan, actions, budget, financements, "
    "contrats, suivi.",
    "Ne renommez pas les feuilles ni les en-têtes ; l'ordre des colonnes est libre.",
    "Dates : JJ/MM/AAAA. Montants en euros (1 234 567,50 € accepté). Vide = inconnu, jamais zéro.",
    "Listes dans une cellule (communes, thématiques, signataires) : séparées par des virgules.",
    "Communes : codes INSEE à cinq caractères (52448, 2A004).",
    "Colonne « demo » : « oui » si la ligne contient des valeurs inventées pour une démonstration.",
    "Le retard n'est pas saisi : il est calculé (fin prévue dépassée, action ni réalisée "
    "ni abandonnée).",
    "",
    "Feuilles et colonnes (* = obligatoire) :",
)


def _readme_rows() -> list[tuple[str, str, str]]:
    rows = []
    for sheet in SHEETS:
        rows.append((sheet.name, "", sheet.description))
        for column in sheet.columns:
            choices = " ; ".join(column.choices) if column.kind in ("enum", "bool") else ""
            rows.append(
                ("", column.name + (" *" if column.required else ""), column.label or choices)
            )
    return rows


def _list_ranges(workbook: Workbook) -> dict[tuple[str, ...], str]:
    """Write each vocabulary in a column of the hidden `listes` sheet; return its range per list."""
    lists = workbook.create_sheet(LISTS_SHEET)
    ranges: dict[tuple[str, ...], str] = {}
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.choices and column.choices not in ranges:
                index = len(ranges) + 1
                letter = get_column_letter(index)
                lists.cell(row=1, column=index, value=f"{sheet.name}.{column.name}")
                for offset, choice in enumerate(column.choices, start=2):
                    lists.cell(row=offset, column=index, value=choice)
                end = len(column.choices) + 1
                ranges[column.choices] = f"{LISTS_SHEET}!${letter}$2:${letter}${end}"
    lists.sheet_state = "hidden"
    return ranges


def _validation(column: Column, source: str) -> DataValidation:
    # A level name is free text: suggest the usual names without refusing others.
    strict = column.name != "niveau"
    validation = DataValidation(
        type="list", formula1=source, allow_blank=True, showErrorMessage=strict
    )
    validation.errorTitle = "Valeur non reconnue"
    validation.error = "Choisissez une valeur de la liste."
    return validation


def write_template(path: Path) -> Path:
    workbook = Workbook()
    readme = workbook.active
    readme.title = "README"
    for line in README_LINES:
        readme.append([line])
    for row in _readme_rows():
        readme.append(list(row))
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 18
    readme.column_dimensions["B"].width = 22
    readme.column_dimensions["C"].width = 90
    ranges = _list_ranges(workbook)
    for sheet in SHEETS:
        worksheet = workbook.create_sheet(sheet.name, index=len(workbook.sheetnames) - 1)
        worksheet.append(sheet.column_names)
        worksheet.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            cell = worksheet.cell(row=1, column=index)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
            letter = get_column_letter(index)
            worksheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
            if column.choices:
                validation = _validation(column, ranges[column.choices])
                worksheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}{MAX_ROWS}")
            if column.kind == "date":
                for row in range(2, 200):
                    worksheet.cell(row=row, column=index).number_format = "DD/MM/YYYY"
            if column.kind in ("code", "list", "siren"):
                for row in range(2, 200):
                    worksheet.cell(row=row, column=index).number_format = "@"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_filled_template(folder: Path, path: Path) -> Path:
    """The template holding a territory's current sources, to edit and upload again.

    Cells are written as read (ISO dates, decimal commas), which the import reads back unchanged;
    text starting like a formula is written as text, never as a formula."""
    from openpyxl import load_workbook
    from openpyxl.packaging.custom import StringProperty

    from etl.issues import IssueList
    from etl.pipeline import read_territory
    from etl.update_journal import WORKBOOK_MARKER

    # With the online updates applied: the workbook holds everything up to the journal's end,
    # and says so (a document property), so that its upload is compared with later updates.
    source = read_territory(folder, IssueList())
    write_template(path)
    workbook = load_workbook(path)
    position = source.journal.last_seq if source.journal else 0
    workbook.custom_doc_props.append(
        StringProperty(name=WORKBOOK_MARKER, value=f"{folder.name}:{position}")
    )
    for sheet in SHEETS:
        raw = source.sheets.get(sheet.name)
        if raw is None:
            continue
        worksheet = workbook[sheet.name]
        for row_index, row in enumerate(raw.rows, start=2):
            for col_index, column in enumerate(sheet.column_names, start=1):
                value = row.get(column, "")
                if value:
                    cell = worksheet.cell(row=row_index, column=col_index, value=value)
                    cell.data_type = "s"
    workbook.save(path)
    return path
