"""Workbooks for the import tests, made from a territory's real sources by the export function."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from etl import publish
from etl.template import write_filled_template

TERRITORY = "saint-dizier"
SIREN = "200068666"
NEW_CODE = "P9.TEST.1"
NEW_TITLE = "Action ajoutée par le test d'import"
UNKNOWN_THEME = "Thème inexistant du test"
BAD_DATE = "31/02/2026"
BAD_PARENT = "ZZZ.INCONNU"


def _columns(worksheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in worksheet[1] if cell.value}


def _referenced(workbook) -> set[str]:
    codes = set()
    for name in ("budget", "financements", "suivi"):
        worksheet = workbook[name]
        column = _columns(worksheet)["action"]
        codes |= {row[column - 1] for row in worksheet.iter_rows(min_row=2, values_only=True)}
    return codes


def edited_workbook(
    sources: Path, tmp: Path, remove: bool = True, siren: str | None = None
) -> tuple[bytes, dict]:
    """The territory's data with one action added, one removed and one whose status changed."""
    workbook = load_workbook(write_filled_template(sources / TERRITORY, tmp / "filled.xlsx"))
    if siren:
        territory = workbook["territoire"]
        territory.cell(2, _columns(territory)["siren"]).value = siren
    actions = workbook["actions"]
    col = _columns(actions)
    rows = [r for r in range(2, actions.max_row + 1) if actions.cell(r, col["code"]).value]
    changed_row = rows[0]
    changed = actions.cell(changed_row, col["code"]).value
    old_status = actions.cell(changed_row, col["statut"]).value
    new_status = "Bloqué" if old_status != "Bloqué" else "En pause"
    actions.cell(changed_row, col["statut"]).value = new_status
    actions.cell(changed_row, col["fin_reelle"]).value = None
    referenced = _referenced(workbook)
    removed_row = next(
        r for r in reversed(rows) if actions.cell(r, col["code"]).value not in referenced
    )
    removed = actions.cell(removed_row, col["code"]).value
    parent = actions.cell(removed_row, col["code_parent"]).value
    if remove:
        actions.delete_rows(removed_row)
    new_row = actions.max_row + 1
    for name, value in {
        "code": NEW_CODE,
        "code_parent": parent,
        "intitule": NEW_TITLE,
        "statut": "En cours",
        "thematiques": UNKNOWN_THEME,
    }.items():
        actions.cell(new_row, col[name]).value = value
    buffer = BytesIO()
    workbook.save(buffer)
    facts = {"changed": changed, "removed": removed, "new_status": new_status, "row": new_row}
    return buffer.getvalue(), facts


def broken_workbook(sources: Path, tmp: Path) -> bytes:
    """A bad date on the first action and an unknown parent on the second."""
    workbook = load_workbook(write_filled_template(sources / TERRITORY, tmp / "filled.xlsx"))
    actions = workbook["actions"]
    col = _columns(actions)
    actions.cell(2, col["fin_prevue"]).value = BAD_DATE
    actions.cell(3, col["code_parent"]).value = BAD_PARENT
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir())}


def action_codes(warehouse: Path) -> set[str]:
    with publish.attached(w=warehouse) as con:
        rows = con.execute(
            "select code from w.actions where territory_id = $t", {"t": TERRITORY}
        ).fetchall()
    return {r[0] for r in rows}
