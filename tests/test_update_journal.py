"""The update journal (mises_a_jour.jsonl) read by the real ETL: applied, reported, historied."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from etl import pipeline, update_journal
from etl.issues import IssueList, ValidationError
from etl.template import write_filled_template

AUTHOR = {"login": "camille", "name": "Camille Martin", "email": "camille@agglo.fr"}


def line(seq: int, **fields) -> str:
    record = {
        "seq": seq,
        "id": f"e{seq}",
        "kind": "update",
        "at": f"2025-06-0{seq}T10:00:00+02:00",
        "author": AUTHOR,
        **fields,
    }
    return json.dumps(record, ensure_ascii=False)


def write_journal(folder: Path, *lines: str) -> Path:
    path = folder / update_journal.JOURNAL_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build(sources: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    output = tmp_path / "w.duckdb"
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    return duckdb.connect(str(output), read_only=True)


def test_entries_are_applied_with_their_notes_and_history(mini_sources, tmp_path):
    write_journal(
        mini_sources / "mini",
        line(1, action="A1", changes={"statut": ["En cours", "Bloqué"], "avancement": [40, 55]}),
        line(
            2,
            action="A1",
            changes={"debut_reel": [None, "2024-02-01"]},
            note={
                "type": "difficulté / risque",
                "text": "Recours contre le permis",
                "meteo": "orageux",
                "raison": "recours",
            },
        ),
    )
    con = build(mini_sources, tmp_path)
    status, progress, start = con.execute(
        "select status, progress, actual_start from actions where code = 'A1'"
    ).fetchone()
    assert (status, progress, str(start)) == ("Bloqué", 55.0, "2024-02-01")
    note = con.execute(
        "select author, note_type, weather, weather_reason, status, progress, text "
        "from followups where text = 'Recours contre le permis'"
    ).fetchone()
    assert note == (
        "Camille Martin",
        "difficulté / risque",
        "orageux",
        "recours",
        "Bloqué",
        55.0,
        "Recours contre le permis",
    )
    history = con.execute(
        "select field, before, after, author_name, origin from action_history "
        "where code = 'A1' order by seq, field"
    ).fetchall()
    assert ("statut", "En cours", "Bloqué", "Camille Martin", "en ligne") in history
    assert ("avancement", "40 %", "55 %", "Camille Martin", "en ligne") in history
    assert ("debut_reel", None, "01/02/2024", "Camille Martin", "en ligne") in history
    assert any(row[0] == "note" and "Recours" in row[2] for row in history)
    assert con.execute("select last_seq, import_base from journal_positions").fetchone() == (2, 0)
    kinds = con.execute("select kind from sources where file like '%mises_a_jour%'").fetchall()
    assert kinds == [("mises_a_jour",)]


def test_bad_lines_are_reported_with_file_and_line(mini_sources, tmp_path):
    write_journal(
        mini_sources / "mini",
        line(1, action="A1", changes={"avancement": [40, 50]}),
        '{"seq": 2, "kind": "update", tronqué',
        line(3, action="A1", changes={"statut": ["En cours", "Terminé ?"]}),
        line(4, action="ZZ9", changes={"avancement": [None, 10]}),
        line(5, action="A1", note={"text": "x", "meteo": "soleil"}),
    )
    with pytest.raises(ValidationError) as caught:
        build(mini_sources, tmp_path)
    found = {(i.file, i.row): i.message for i in caught.value.issues.errors}
    label = "mini/mises_a_jour.jsonl"
    assert "JSON illisible" in found[(label, 2)]
    assert "valeur non reconnue" in found[(label, 3)]
    assert found[(label, 4)] == "action inconnue dans « actions »"
    assert "météo sans raison" in found[(label, 5)]
    assert (label, 1) not in found


def test_a_sheet_changed_meanwhile_is_a_conflict_never_overwritten(mini_sources, tmp_path):
    """The workbook says « Réalisé » where an online entry expected « En cours »: refused."""
    actions = mini_sources / "mini" / "actions.csv"
    actions.write_text(
        actions.read_text(encoding="utf-8").replace("eau;;En cours;40 %", "eau;;En pause;40 %"),
        encoding="utf-8",
    )
    entry = line(1, action="A1", changes={"statut": ["En cours", "Bloqué"]})
    write_journal(mini_sources / "mini", entry)
    with pytest.raises(ValidationError) as caught:
        build(mini_sources, tmp_path)
    (issue,) = [i for i in caught.value.issues.errors if i.file.endswith("mises_a_jour.jsonl")]
    assert (issue.row, issue.column, issue.value) == (1, "statut", "En pause")
    assert "Camille Martin" in issue.message
    assert "En cours → Bloqué" in issue.message


def test_entries_before_the_import_base_are_history_only(mini_sources, tmp_path):
    write_journal(
        mini_sources / "mini",
        line(1, action="A1", changes={"statut": ["En cours", "Bloqué"]}),
        json.dumps(
            {
                "seq": 2,
                "id": "i2",
                "kind": "import",
                "at": "2025-06-03T10:00:00+02:00",
                "author": {"login": "marie", "name": "Marie Dupont"},
                "base": 1,
                "changes": {"A2": {"priorite": ["Moyen", "Élevé"]}},
            },
            ensure_ascii=False,
        ),
    )
    con = build(mini_sources, tmp_path)
    # The sheet (made after entry 1) says « En cours »: the entry is not applied again.
    assert con.execute("select status from actions where code = 'A1'").fetchone() == ("En cours",)
    rows = con.execute(
        "select code, field, origin, author_name from action_history order by seq"
    ).fetchall()
    assert rows == [
        ("A1", "statut", "en ligne", "Camille Martin"),
        ("A2", "priorite", "import", "Marie Dupont"),
    ]


def test_downloaded_workbook_holds_the_updates_and_its_position(mini_sources, tmp_path):
    write_journal(
        mini_sources / "mini",
        line(1, action="A1", changes={"avancement": [40, 65]}, note={"text": "Point d'étape"}),
    )
    path = write_filled_template(mini_sources / "mini", tmp_path / "plan.xlsx")
    data = path.read_bytes()
    assert update_journal.workbook_position(data, "mini") == 1
    assert update_journal.workbook_position(data, "autre") is None
    source = pipeline.read_territory(mini_sources / "mini", IssueList())
    assert source.sheets["actions"].column("avancement")[0] == "65 %"
    assert "Point d'étape" in source.sheets["suivi"].column("texte")
