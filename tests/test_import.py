"""Import from the app: upload through AppTest's file_uploader, report, preview, publish, restore.

Everything runs on temporary copies of the demo sources and warehouse (fixture import_env).
"""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.db import READ_ONLY_CONFIG
from etl import load, pipeline, publish
from tests import import_support as wb
from tests.conftest import EDITOR
from tests.test_pages import metric, table_with

APP = str(Path(__file__).resolve().parent.parent / "app.py")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_import_page(signed_in: bool = True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = wb.SIREN
    if signed_in:
        login, _ = EDITOR
        at.session_state["local_user"] = {"login": login, "role": "editor", "name": "Éditrice"}
    at.run()
    at.switch_page("pages/import_data.py")
    at.query_params["territoire"] = wb.SIREN
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def prepare(env: dict, data: bytes, territory: str = wb.TERRITORY) -> publish.Candidate:
    uploads = [publish.Upload("plan.xlsx", data)]
    return publish.prepare(
        uploads, territory, env["sources"], pipeline.REFERENCE_DIR, env["warehouse"]
    )


def upload(at: AppTest, name: str, data: bytes, mime: str = XLSX) -> AppTest:
    at.file_uploader(key="import_files").set_value([(name, data, mime)])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_upload_checks_type_by_content_and_size():
    workbook = BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    issues = publish.check_uploads(
        [
            publish.Upload("plan.xlsx", b"code;intitule\nP1;Texte"),
            publish.Upload("autre.xlsx", workbook.getvalue()),
            publish.Upload("actions.csv", b"MZ\x90\x00\x03\x00\x00\x00"),
            publish.Upload("notes.csv", b"a;b"),
            publish.Upload("plan.pdf", b"%PDF-1.7"),
            publish.Upload("budget.csv", b"x" * (publish.MAX_UPLOAD_BYTES + 1)),
        ]
    )
    messages = {(i.file, i.message) for i in issues.errors}
    assert ("plan.xlsx", "le contenu n'est pas celui d'un classeur Excel .xlsx") in messages
    assert ("autre.xlsx", "le contenu n'est pas celui d'un classeur Excel .xlsx") in messages
    assert ("actions.csv", "fichier binaire : un CSV texte est attendu") in messages
    assert any(f == "notes.csv" and m.startswith("nom de fichier CSV inconnu") for f, m in messages)
    assert ("plan.pdf", "type de fichier refusé (.xlsx ou .csv)") in messages
    assert ("budget.csv", "fichier trop volumineux (plus de 20 Mo)") in messages
    assert (None, "un seul classeur .xlsx, ou des fichiers CSV, pas les deux") in messages


def test_server_upload_cap_matches_the_code():
    config = (Path(APP).parent / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {publish.MAX_UPLOAD_BYTES // (1024 * 1024)}" in config


def test_invalid_workbook_reports_errors_and_changes_nothing(import_env):
    warehouse, folder = import_env["warehouse"], import_env["sources"] / wb.TERRITORY
    before_db, before_files = wb.digest(warehouse), wb.folder_digest(folder)
    at = upload(
        open_import_page(),
        "plan.xlsx",
        wb.broken_workbook(import_env["sources"], import_env["tmp"]),
    )
    report = table_with(at, "Message")
    errors = report[report["Gravité"] == "Erreur"]
    bad_date = errors[errors["Colonne"] == "fin_prevue"].iloc[0]
    assert (bad_date["Fichier"], bad_date["Feuille"], bad_date["Ligne"]) == (
        f"{wb.TERRITORY}/plan.xlsx",
        "actions",
        2,
    )
    assert bad_date["Valeur"] == wb.BAD_DATE
    assert "date impossible" in bad_date["Message"]
    parent = errors[errors["Colonne"] == "code_parent"].iloc[0]
    assert (parent["Ligne"], parent["Valeur"]) == (3, wb.BAD_PARENT)
    assert parent["Message"] == "élément du plan inconnu dans « plan »"
    assert metric(at, "Erreurs bloquantes") == "2"
    assert not [b for b in at.button if b.key == "import_publish"], "no publish on errors"
    assert any("erreurs bloquantes empêchent" in e.value for e in at.error)
    assert wb.digest(warehouse) == before_db
    assert wb.folder_digest(folder) == before_files


def test_valid_workbook_report_preview_publish_and_restore(import_env):
    warehouse, sources = import_env["warehouse"], import_env["sources"]
    data, facts = wb.edited_workbook(sources, import_env["tmp"])
    at = upload(open_import_page(), "plan.xlsx", data)

    report = table_with(at, "Message")
    assert metric(at, "Erreurs bloquantes") == "0"
    new_row = report[report["Ligne"] == facts["row"]]
    assert set(new_row["Message"]) == {
        "action sans service pilote",
        "action sans ligne de budget",
        "thématique inconnue dans les données publiées (faute de frappe ?)",
    }
    assert set(new_row["Gravité"]) == {"Avertissement"}
    at.multiselect(key="report_msg").set_value(["action sans ligne de budget"])
    at.run()
    filtered = table_with(at, "Message")
    assert set(filtered["Message"]) == {"action sans ligne de budget"}
    assert wb.NEW_CODE in set(filtered["Valeur"])

    changes = table_with(at, "Changement")
    by_code = changes.set_index("Code")
    assert by_code.loc[wb.NEW_CODE, "Changement"] == "ajoutée"
    assert by_code.loc[facts["removed"], "Changement"] == "supprimée"
    assert by_code.loc[facts["changed"], "Changement"] == "modifiée"
    assert f"→ {facts['new_status']}" in by_code.loc[facts["changed"], "Détail"]
    assert len(changes) == 3
    totals = table_with(at, "Après import").set_index("")
    assert totals.loc["Actions", "Écart"] == "0"
    assert metric(at, "Actions ajoutées") == "1"
    assert wb.NEW_CODE not in wb.action_codes(warehouse), "nothing published before confirming"

    at.button(key="import_publish").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Données publiées" in s.value for s in at.success)
    codes = wb.action_codes(warehouse)
    assert wb.NEW_CODE in codes
    assert facts["removed"] not in codes
    # The update journal stays: it records the upload's changes with the importer (#22).
    assert sorted(p.name for p in (sources / wb.TERRITORY).iterdir()) == [
        "README.md",
        "mises_a_jour.jsonl",
        "plan.xlsx",
    ]
    record = publish.list_publications(wb.TERRITORY)[0]
    assert record["user"] == EDITOR[0]
    assert record["files"] == [
        {"name": "plan.xlsx", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    ]
    assert record["counts"]["actions"] == len(codes)
    history = table_with(at, "Publication")
    assert list(history["Publication"]) == [record["id"]]

    at.selectbox(key="restore_choice").set_value(record["id"])
    at.button(key="restore").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    codes = wb.action_codes(warehouse)
    assert wb.NEW_CODE not in codes
    assert facts["removed"] in codes
    assert (sources / wb.TERRITORY / "actions.csv").exists()
    assert not (sources / wb.TERRITORY / "plan.xlsx").exists()
    restored = publish.list_publications(wb.TERRITORY)[0]
    assert (restored["action"], restored["restored_from"]) == ("restauration", record["id"])


def test_open_session_sees_the_publish_on_its_next_interaction(import_env):
    """A dashboard session open before the publish keeps working and then shows the new data."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = wb.SIREN
    at.run()
    before = metric(at, "Actions")
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"], remove=False)
    candidate = prepare(import_env, data)
    publish.publish(candidate, "test", import_env["sources"], import_env["warehouse"])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert int(metric(at, "Actions")) == int(before) + 1


def test_failed_publish_leaves_published_data_as_it_was(import_env, monkeypatch):
    warehouse, folder = import_env["warehouse"], import_env["sources"] / wb.TERRITORY
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"])
    candidate = prepare(import_env, data)
    assert candidate.ok
    before_db, before_files = wb.digest(warehouse), wb.folder_digest(folder)

    def interrupted(temp, output):
        raise OSError("disque plein")

    monkeypatch.setattr(load, "swap_in", interrupted)
    with pytest.raises(OSError, match="disque plein"):
        publish.publish(candidate, "test", import_env["sources"], warehouse)
    assert wb.digest(warehouse) == before_db
    assert wb.folder_digest(folder) == before_files
    assert publish.list_publications() == []
    assert sorted(p.name for p in import_env["sources"].iterdir()) == sorted(
        p.name for p in pipeline.SOURCES_DIR.iterdir()
    )
    assert not list(warehouse.parent.glob(".warehouse.duckdb.tmp-*"))


def test_publish_refuses_when_the_data_changed_since_the_preview(import_env):
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"])
    first, second = prepare(import_env, data), prepare(import_env, data)
    publish.publish(first, "a", import_env["sources"], import_env["warehouse"])
    before = wb.digest(import_env["warehouse"])
    with pytest.raises(publish.PublishConflict):
        publish.publish(second, "b", import_env["sources"], import_env["warehouse"])
    assert wb.digest(import_env["warehouse"]) == before


def test_uploaded_workbook_for_another_territory_is_refused(import_env):
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"])
    candidate = prepare(import_env, data, "pompey")
    assert not candidate.ok
    assert [(i.sheet, i.column, i.value, i.message) for i in candidate.issues.errors] == [
        (
            "territoire",
            "siren",
            wb.SIREN,
            "ce fichier décrit un autre territoire (SIREN attendu : 245400601)",
        )
    ]


def test_workbook_with_a_new_siren_is_refused(import_env):
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"], siren="200000172")
    candidate = prepare(import_env, data)
    assert not candidate.ok
    assert candidate.database is None
    assert [(i.row, i.value, i.message) for i in candidate.issues.errors] == [
        (2, "200000172", f"ce fichier décrit un autre territoire (SIREN attendu : {wb.SIREN})")
    ]


def test_read_only_connections_of_tests_and_app_coexist(import_env):
    """The app attaches the file; a test's direct connection with the same config still works."""
    con = duckdb.connect(str(import_env["warehouse"]), read_only=True, config=READ_ONLY_CONFIG)
    at = open_import_page()
    assert con.execute("select count(*) from actions").fetchone()[0] > 0
    con.close()
    assert not at.exception


def test_abandoned_staging_is_cleaned(import_env):
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"])
    kept = prepare(import_env, data)
    assert kept.workdir.is_dir()
    publish.clean_staging(max_age_s=0)
    assert not kept.workdir.exists()


def test_publication_killed_between_renames_is_recovered(import_env):
    sources = import_env["sources"]
    before = wb.folder_digest(sources / wb.TERRITORY)
    (sources / wb.TERRITORY).rename(sources / f".outgoing-{wb.TERRITORY}-20261123-120000-abcdef")
    (sources / ".incoming-saint-dizier-20261123-120000-abcdef").mkdir()
    publish.recover_interrupted(sources)
    assert wb.folder_digest(sources / wb.TERRITORY) == before
    assert not [p for p in sources.iterdir() if p.name.startswith(".")]


BROKEN = Path(__file__).parent / "fixtures" / "broken"


def staging_folders(env: dict) -> list[str]:
    staging = env["tmp"] / "publications" / "staging"
    return sorted(p.name for p in staging.iterdir()) if staging.is_dir() else []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("excel_half_written_sheet", "XML de la feuille tronqué ou invalide"),
        ("excel_shared_string_out_of_range", "référence à un texte partagé inexistant"),
        ("excel_text_in_numeric_cell", "texte dans une cellule numérique"),
        ("password_protected_workbook", "classeur protégé par mot de passe"),
        ("duplicate_sheets_after_normalisation", "deux feuilles pour la table « actions »"),
    ],
)
def test_damaged_workbook_upload_is_refused_in_french_and_leaves_no_staging(
    import_env, case, message
):
    """The checks never raise; a refused upload leaves nothing in staging/ nor in the sources."""
    before_db = wb.digest(import_env["warehouse"])
    before_files = wb.folder_digest(import_env["sources"] / wb.TERRITORY)
    candidate = prepare(import_env, (BROKEN / case / "plan.xlsx").read_bytes())
    assert not candidate.ok
    assert any(message in i.message for i in candidate.issues.errors), candidate.issues.errors
    assert staging_folders(import_env) == []
    assert wb.digest(import_env["warehouse"]) == before_db
    assert wb.folder_digest(import_env["sources"] / wb.TERRITORY) == before_files


def test_upload_and_command_line_use_the_same_words(tmp_path):
    utf16 = "action;date;texte\nA1;01/01/2024;Note\n".encode("utf-16")
    mixed = "action;date;texte\nA1;01/01/2024;Café\n".encode() + b"A2;02/01/2024;caf\xe9\n"
    issues = publish.check_uploads(
        [
            publish.Upload("suivi.csv", utf16),
            publish.Upload("budget.csv", mixed),
            publish.Upload("financement.csv", b"action;financeur\n"),
        ]
    )
    messages = {i.file: i.message for i in issues.errors}
    assert messages["suivi.csv"].startswith("CSV encodé en UTF-16")
    assert messages["budget.csv"].startswith("encodages mélangés : le fichier est en UTF-8")
    assert "(ligne 3, octet" in messages["budget.csv"]
    assert messages["financement.csv"] == (
        "nom de fichier CSV inconnu : vouliez-vous dire « financements.csv » ?"
    )


def test_a_broken_indicator_file_does_not_block_an_import(import_env):
    """An unrelated bad file in data/indicators/ is reported, not loaded, and blocks nothing."""
    indicators = import_env["sources"].parent / "indicators"
    indicators.mkdir()
    (indicators / "base.csv").write_text("insee_com;population_2021\n52448;x\n")
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"])
    candidate = prepare(import_env, data)
    assert candidate.ok, candidate.issues.errors
    assert any(
        i.file == "indicators/base.csv" and "fichier d'indicateurs non chargé" in i.message
        for i in candidate.issues.warnings
    ), candidate.issues.warnings
