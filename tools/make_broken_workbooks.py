"""Write the broken .xlsx fixtures of tests/fixtures/broken from the valid mini territory.

    .venv/bin/python tools/make_broken_workbooks.py

Each workbook holds the `actions` sheet of tests/fixtures/valid/mini (the case's `_remove` file
drops actions.csv), damaged in one way. Run again after changing the valid fixture.
"""

from __future__ import annotations

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


def build_actions_workbook(title: str = "actions") -> Workbook:
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


if __name__ == "__main__":
    main()
