"""Write the broken .xlsx fixtures of tests/fixtures/broken from the valid mini territory, and the
CSV ones that hold Excel error values.

    .venv/bin/python tools/make_broken_workbooks.py

Each workbook holds the `actions` sheet of tests/fixtures/valid/mini (the case's `_remove` file
drops actions.csv), damaged in one way. Run again after changing the valid fixture.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_etl import _excel_value as excel_value  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
ACTIONS = FIXTURES / "valid" / "mini" / "actions.csv"
BROKEN = FIXTURES / "broken"


def build_actions_workbook(title: str = "actions", frame: pd.DataFrame | None = None) -> Workbook:
    """The `actions` sheet of the mini territory (or `frame`), dates and numbers as cells."""
    if frame is None:
        frame = pd.read_csv(ACTIONS, sep=";", dtype=str, keep_default_na=False)
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = title
    worksheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        worksheet.append([excel_value(v) for v in values])
    return workbook


def write_case(case: str, workbook: Workbook, name: str = "plan.xlsx", remove: bool = True) -> Path:
    folder = BROKEN / case
    folder.mkdir(exist_ok=True)
    path = folder / name
    workbook.save(path)
    if remove:
        (folder / "_remove").write_text("actions.csv\n")
    return path


def rewrite_member(path: Path, member: str, change) -> None:
    """Rewrite one part of a saved workbook (damage openpyxl itself would not write)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


SHEET_XML = "xl/worksheets/sheet1.xml"


# Error values a spreadsheet leaves in cells: English in a workbook, French in what a French
# Excel exports or pastes as text.
ENGLISH_ERRORS = (
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!", "#GETTING_DATA",
)  # fmt: skip
FRENCH_ERRORS = ("#VALEUR!", "#N/A", "#REF!", "#DIV/0!", "#NOM?", "#NUL!", "#NOMBRE!")
PILOT_COLUMN = "service_pilote"


def actions_with_error_values(values: list[str]) -> pd.DataFrame:
    """The mini territory's actions, then one more action per value, holding it as its pilot."""
    frame = pd.read_csv(ACTIONS, sep=";", dtype=str, keep_default_na=False)
    extra = pd.DataFrame([frame.iloc[-1]] * len(values)).reset_index(drop=True)
    extra["code"] = [f"A{number}" for number in range(10, 10 + len(values))]
    extra[PILOT_COLUMN] = values
    return pd.concat([frame, extra], ignore_index=True)


def write_error_value_cases() -> None:
    """A text column holding every error value: a CSV as a French Excel exports it (`;`,
    Windows-1252, CRLF), and a workbook holding error cells (t="e") and the same values typed as
    text."""
    frame = actions_with_error_values([*FRENCH_ERRORS, *ENGLISH_ERRORS])
    folder = BROKEN / "error_values_in_pilot_csv"
    folder.mkdir(exist_ok=True)
    frame.to_csv(
        folder / "actions.csv", sep=";", index=False, encoding="cp1252", lineterminator="\r\n"
    )

    texts = [*FRENCH_ERRORS, *ENGLISH_ERRORS]
    frame = actions_with_error_values([*ENGLISH_ERRORS, *texts])
    workbook = build_actions_workbook(frame=frame)
    worksheet = workbook.active
    column = list(frame.columns).index(PILOT_COLUMN) + 1
    first_error_row = worksheet.max_row - len(texts) - len(ENGLISH_ERRORS) + 1
    cells = worksheet.iter_rows(min_row=first_error_row, min_col=column, max_col=column)
    for number, (cell,) in enumerate(cells):
        # Error cells first (openpyxl only knows the oldest seven), then the values as text.
        cell.data_type = "e" if number < len(ENGLISH_ERRORS) else "s"
    write_case("error_values_in_pilot_xlsx", workbook)


def write_damaged_cases() -> None:
    """Cell error values, misnamed and duplicated sheets, damaged sheet XML."""
    for case, cell, error in (
        ("excel_cell_ref_error", "C2", "#REF!"),
        ("excel_cell_na_pilot", "J3", "#N/A"),
        ("excel_cell_div_zero", "F2", "#DIV/0!"),
    ):
        workbook = build_actions_workbook()
        workbook.active[cell] = error  # openpyxl stores these as error cells (t="e")
        write_case(case, workbook)

    workbook = build_actions_workbook()
    hidden = workbook.copy_worksheet(workbook.active)
    hidden.title = "Actions."
    hidden.sheet_state = "hidden"
    write_case("duplicate_sheets_after_normalisation", workbook)

    workbook = build_actions_workbook()
    workbook.create_sheet("financement").append(["action", "financeur", "type_financeur"])
    write_case("misspelt_sheet_name", workbook)

    workbook = build_actions_workbook()
    workbook.create_sheet("Notes de suivi").append(["action", "date", "texte"])
    write_case("followup_sheet_under_another_name", workbook)

    workbook = build_actions_workbook()
    workbook.active["P2"] = "note sans colonne"
    write_case("excel_blank_header_with_data", workbook)

    path = write_case("excel_text_in_numeric_cell", build_actions_workbook())
    rewrite_member(
        path,
        SHEET_XML,
        lambda xml: xml.replace(b'<c r="F3" t="n"><v>100</v>', b'<c r="F3" t="n"><v>cent</v>'),
    )
    path = write_case("excel_shared_string_out_of_range", build_actions_workbook())
    rewrite_member(
        path,
        SHEET_XML,
        # C3 pointing at shared string 99999 of a workbook that has none.
        lambda xml: re.sub(
            rb'<c r="C3" t="inlineStr">.*?</c>', b'<c r="C3" t="s"><v>99999</v></c>', xml
        ),
    )
    path = write_case("excel_half_written_sheet", build_actions_workbook())
    rewrite_member(path, SHEET_XML, lambda xml: xml[: len(xml) // 2])

    # What Excel writes for a workbook protected by a password: an OLE compound file.
    folder = BROKEN / "password_protected_workbook"
    folder.mkdir(exist_ok=True)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"EncryptedPackage" + bytes(496)
    (folder / "plan.xlsx").write_bytes(ole)
    (folder / "_remove").write_text("actions.csv\n")


def main() -> None:
    # Statut of A1 merged down over A2's row: A2 would silently lose its status.
    workbook = build_actions_workbook()
    workbook.active.merge_cells("E2:E3")
    write_case("merged_cells", workbook)

    write_case("renamed_sheet", build_actions_workbook("Actions 2024"))

    workbook = build_actions_workbook()
    workbook.active["F3"] = "=50+50"  # written by a tool: no cached value
    write_case("formula_without_value", workbook)

    # A valid workbook carrying a 30 MB run of zeros that compresses about a thousand times.
    path = write_case("zip_bomb", build_actions_workbook())
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/media/image1.bin", bytes(30 * 1024 * 1024))

    # A zip archive, but not a workbook (a .docx or a zipped folder renamed .xlsx).
    folder = BROKEN / "zip_not_xlsx"
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(folder / "plan.xlsx", "w") as archive:
        archive.writestr("notes.txt", "pas un classeur")
    (folder / "_remove").write_text("actions.csv\n")

    write_case("two_workbooks", build_actions_workbook(), "plan.xlsx")
    write_case("two_workbooks", build_actions_workbook(), "plan (copie).xlsx")

    # The same table twice: actions.csv stays next to a workbook holding `actions`.
    write_case("csv_and_workbook", build_actions_workbook(), remove=False)

    write_damaged_cases()
    write_error_value_cases()


if __name__ == "__main__":
    main()
