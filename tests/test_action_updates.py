"""Updating actions online: who may (checked on the server), no lost update, stale uploads.

Real files throughout: temporary copies of the demo sources and warehouse (fixture import_env),
the real journal, the real ETL build and publication.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from io import BytesIO
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from dashboard import action_updates
from dashboard.auth import User
from etl import pipeline, publish, update_journal
from etl.template import write_filled_template
from tests import import_support as wb
from tests.test_pages import table_with

TID, SIREN = wb.TERRITORY, wb.SIREN
CODE = "P1.A1.O1.a1"  # piloted by camille.martin@example.org, Direction du développement économique
SERVICE = "Direction du développement économique"
CAMILLE = User(
    "camille", "Camille Martin", "contributor", "local", {SIREN: "contributor"},
    "camille.martin@example.org",
)  # fmt: skip
SERVICE_MEMBER = User(
    "paul", "Paul Leroy", "contributor", "local", {SIREN: "contributor"}, "paul@example.org",
    {SIREN: SERVICE},
)  # fmt: skip
OTHER_SERVICE = User(
    "lea", "Léa Petit", "contributor", "local", {SIREN: "contributor"}, "lea@example.org",
    {SIREN: "Direction de l’emploi et de l’insertion"},
)  # fmt: skip
READER = User("lou", "Lou Lecteur", "reader", "local", {SIREN: "reader"}, "lou@example.org")
EDITOR = User("marie", "Marie Dupont", "editor", "local", {SIREN: "editor"}, "marie@example.org")


def action(env: dict, code: str = CODE) -> dict:
    return action_updates.published_action(env["warehouse"], TID, code)


def save(env: dict, user: User, values: dict, note: dict | None = None, seen=None, base=None):
    current = action(env)
    return action_updates.save_update(
        user,
        TID,
        SIREN,
        CODE,
        current["version"] if base is None else base,
        action_updates.template_values(current) if seen is None else seen,
        values,
        note,
        sources_dir=env["sources"],
        warehouse=env["warehouse"],
    )


def journal_lines(env: dict) -> list[dict]:
    path = env["sources"] / TID / update_journal.JOURNAL_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_pilot_updates_and_the_published_warehouse_shows_it_with_its_author(import_env):
    result = save(
        import_env,
        CAMILLE,
        {"statut": "Bloqué", "avancement": 60, "debut_reel": dt.date(2024, 3, 1)},
        {"type": "difficulté / risque", "text": "Entreprise défaillante", "meteo": "orageux",
         "raison": "lot 2 sans titulaire"},
    )  # fmt: skip
    assert result.ok, result.message
    assert result.published
    now = action(import_env)
    assert (now["status"], now["progress"], now["actual_start"]) == (
        "Bloqué",
        60.0,
        dt.date(2024, 3, 1),
    )
    assert now["version"] == result.seq
    with duckdb.connect(str(import_env["warehouse"]), read_only=True) as con:
        history = con.execute(
            "select field, before, after, author_name, origin from action_history "
            "where territory_id = $t and code = $c order by field",
            {"t": TID, "c": CODE},
        ).fetchall()
        note = con.execute(
            "select author, note_type, weather, text from followups "
            "where territory_id = $t and text = 'Entreprise défaillante'",
            {"t": TID},
        ).fetchone()
    assert ("statut", "En cours", "Bloqué", "Camille Martin", "en ligne") in history
    assert ("avancement", "55 %", "60 %", "Camille Martin", "en ligne") in history
    assert note == ("Camille Martin", "difficulté / risque", "orageux", "Entreprise défaillante")
    (entry,) = journal_lines(import_env)
    assert entry["author"]["email"] == "camille.martin@example.org"
    assert entry["changes"]["statut"] == ["En cours", "Bloqué"]


def test_service_member_may_update_other_service_and_reader_may_not(import_env):
    assert action_updates.update_refused(SERVICE_MEMBER, SIREN, action(import_env)) is None
    assert action_updates.update_refused(EDITOR, SIREN, action(import_env)) is None
    for user, words in (
        (OTHER_SERVICE, "ni à votre nom"),
        (READER, "lecture seule"),
        (None, "Connectez-vous"),
        (User("x", "X", "contributor", "local", {"245400601": "contributor"}, "x@y.fr"), "lecture"),
    ):
        # The save itself refuses, whatever form was shown: nothing is written.
        result = save(import_env, user, {"avancement": 99})
        assert not result.ok
        assert words in result.message
    assert journal_lines(import_env) == []
    assert action(import_env)["progress"] == 55.0


def test_values_are_checked_with_the_templates_rules(import_env):
    for values, words in (
        ({"statut": "Fini"}, "valeur non reconnue"),
        ({"avancement": 140}, "hors de l'intervalle"),
        ({"fin_reelle": dt.date.today() + dt.timedelta(days=3)}, "dans le futur"),
        ({"debut_reel": dt.date(2025, 5, 1), "fin_reelle": dt.date(2025, 4, 1)}, "antérieure"),
    ):
        result = save(import_env, CAMILLE, values)
        assert not result.ok
        assert words in result.message
    result = save(import_env, CAMILLE, {}, {"text": "Point", "meteo": "soleil"})
    assert "météo sans raison" in result.message
    assert journal_lines(import_env) == []


def test_saves_beyond_the_limit_are_refused_and_nothing_written(import_env, monkeypatch):
    monkeypatch.setattr(action_updates, "SAVES_PER_MINUTE", 1)
    assert save(import_env, CAMILLE, {"avancement": 41}).ok
    refused = save(import_env, CAMILLE, {"avancement": 42})
    assert not refused.ok
    assert "Trop d'enregistrements en une minute (1 au plus)" in refused.message
    assert "réessayez dans" in refused.message
    assert [line["changes"]["avancement"][1] for line in journal_lines(import_env)] == [41]
    assert action(import_env)["progress"] == 41
    assert save(import_env, SERVICE_MEMBER, {"avancement": 43}).ok  # another person's turn


def test_second_of_two_concurrent_updates_is_refused_and_the_first_kept(import_env):
    """Both forms were made from the same version; the saves run at the same time."""
    base = action(import_env)
    seen = action_updates.template_values(base)
    results = {}

    def run(user, values):
        results[user.login] = save(import_env, user, values, seen=seen, base=base["version"])

    threads = [
        threading.Thread(target=run, args=(CAMILLE, {"statut": "En pause"})),
        threading.Thread(target=run, args=(SERVICE_MEMBER, {"statut": "Réalisé"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [login for login, r in results.items() if r.ok]
    refused = [r for r in results.values() if not r.ok]
    assert len(accepted) == 1
    assert len(refused) == 1
    winner = {"camille": ("Camille Martin", "En pause"), "paul": ("Paul Leroy", "Réalisé")}
    name, status = winner[accepted[0]]
    assert "modifiée pendant que vous la mettiez à jour" in refused[0].message
    assert any(name in c and f"En cours → {status}" in c for c in refused[0].conflicts)
    assert action(import_env)["status"] == status
    assert len(journal_lines(import_env)) == 1
    # A note alone never conflicts: it adds, it overwrites nothing.
    late = save(import_env, CAMILLE, {}, {"text": "Réunion de chantier"}, seen=seen, base=0)
    assert late.ok, late.message


def test_stale_workbook_upload_is_refused_with_the_online_change(import_env):
    """Downloaded, then updated online, then uploaded changing the same field: refused."""
    tmp = import_env["tmp"]
    folder = import_env["sources"] / TID
    downloaded = load_workbook(write_filled_template(folder, tmp / "downloaded.xlsx"))
    assert save(import_env, CAMILLE, {"statut": "Bloqué"}).ok
    actions = downloaded["actions"]
    col = {cell.value: cell.column for cell in actions[1]}
    row = next(r for r in range(2, actions.max_row + 1) if actions.cell(r, 1).value == CODE)
    actions.cell(row, col["statut"]).value = "En pause"
    buffer = BytesIO()
    downloaded.save(buffer)
    uploads = [publish.Upload("plan.xlsx", buffer.getvalue())]
    candidate = publish.prepare(
        uploads, TID, import_env["sources"], pipeline.REFERENCE_DIR, import_env["warehouse"]
    )
    assert not candidate.ok
    (issue,) = [i for i in candidate.issues.errors if i.file.endswith("mises_a_jour.jsonl")]
    assert issue.column == "statut"
    assert issue.value == "En pause"
    assert CODE in issue.message
    assert "Camille Martin" in issue.message
    assert "En cours → Bloqué" in issue.message
    assert action(import_env)["status"] == "Bloqué"  # nothing overwritten


def test_stale_workbook_changing_other_fields_keeps_the_online_update(import_env):
    """The same stale workbook changing another action only: accepted, online change kept,
    and the upload's own change recorded with the importer as author."""
    tmp = import_env["tmp"]
    folder = import_env["sources"] / TID
    downloaded = load_workbook(write_filled_template(folder, tmp / "downloaded.xlsx"))
    assert save(import_env, CAMILLE, {"avancement": 70}).ok
    actions = downloaded["actions"]
    col = {cell.value: cell.column for cell in actions[1]}
    other = "P1.A1.O1.a2"
    row = next(r for r in range(2, actions.max_row + 1) if actions.cell(r, 1).value == other)
    actions.cell(row, col["priorite"]).value = "Bas"
    buffer = BytesIO()
    downloaded.save(buffer)
    candidate = publish.prepare(
        [publish.Upload("plan.xlsx", buffer.getvalue())],
        TID,
        import_env["sources"],
        pipeline.REFERENCE_DIR,
        import_env["warehouse"],
        author={"login": "marie", "name": "Marie Dupont", "email": "marie@example.org"},
    )
    assert candidate.ok, [str(i) for i in candidate.issues.errors]
    publish.publish(candidate, "marie", import_env["sources"], import_env["warehouse"])
    assert action(import_env)["progress"] == 70.0
    with duckdb.connect(str(import_env["warehouse"]), read_only=True) as con:
        rows = con.execute(
            "select code, field, before, after, author_name, origin from action_history "
            "where territory_id = $t order by seq",
            {"t": TID},
        ).fetchall()
    assert (CODE, "avancement", "55 %", "70 %", "Camille Martin", "en ligne") in rows
    (by_upload,) = [r for r in rows if r[0] == other and r[1] == "priorite"]
    assert by_upload[3:] == ("Bas", "Marie Dupont", "import")
    kinds = [line["kind"] for line in journal_lines(import_env)]
    assert kinds == ["update", "import"]


def test_publication_refused_when_an_update_was_saved_after_the_check(import_env):
    data, _ = wb.edited_workbook(import_env["sources"], import_env["tmp"])
    candidate = publish.prepare(
        [publish.Upload("plan.xlsx", data)],
        TID,
        import_env["sources"],
        pipeline.REFERENCE_DIR,
        import_env["warehouse"],
    )
    assert candidate.ok
    folder = import_env["sources"] / TID
    with update_journal.journal_lock(import_env["sources"], TID):
        update_journal.append(
            folder,
            update_journal.new_record(
                "update", 1, {"login": "camille"}, action=CODE, base=0,
                changes={"avancement": [55, 57]},
            ),
        )  # fmt: skip
    with pytest.raises(publish.PublishConflict, match="mise à jour en ligne"):
        publish.publish(candidate, "marie", import_env["sources"], import_env["warehouse"])
    assert [line["kind"] for line in journal_lines(import_env)] == ["update"]


APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_fiche(user: User | None, code: str = CODE) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        at.session_state["local_user"] = {
            "login": user.login,
            "name": user.name,
            "role": None,
            "roles": dict(user.roles),
            "email": user.email,
            "services": dict(user.services),
        }
    at.query_params["territoire"] = SIREN
    at.run()
    at.switch_page("pages/action.py")
    at.query_params.update({"territoire": SIREN, "action": code})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_form_saves_from_the_fiche_and_shows_the_history(import_env):
    at = open_fiche(CAMILLE)
    at.selectbox(key="fiche_update_status").set_value("En pause")
    at.number_input(key="fiche_update_progress").set_value(65)
    at.selectbox(key="fiche_update_type").set_value("décision")
    at.selectbox(key="fiche_update_weather").set_value("nuageux")
    at.text_area(key="fiche_update_text").set_value("Pause décidée en comité")
    at.text_input(key="fiche_update_reason").set_value("attente du financeur")
    at.button(key="FormSubmitter:fiche_update_form-Enregistrer").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("enregistrée et publiée" in s.value for s in at.success), [e.value for e in at.error]
    history = table_with(at, "Champ")
    assert set(history["Par"]) == {"Camille Martin"}
    assert {"Statut", "Avancement", "Note de suivi"} <= set(history["Champ"])
    assert "En pause" in set(history["Après"])
    assert any("Pause décidée en comité" in m.value for m in at.markdown)
    assert action(import_env)["status"] == "En pause"


def test_reader_has_no_form_and_other_service_is_told_why(import_env):
    at = open_fiche(READER)
    assert not [b for b in at.button if "Enregistrer" in str(b.label)]
    at = open_fiche(OTHER_SERVICE)
    assert not [b for b in at.button if "Enregistrer" in str(b.label)]
    assert any("ni à votre nom" in c.value for c in at.caption)


def test_evolutions_and_commission_name_the_author_of_an_online_change(import_env):
    assert save(import_env, CAMILLE, {"statut": "Bloqué"}).ok
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = SIREN
    at.run()
    at.switch_page("pages/changes.py")
    at.query_params["territoire"] = SIREN
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    listed = table_with(at, "Changement")
    row = listed[listed["Code"] == CODE].iloc[0]
    assert (row["Changement"], row["Après"], row["Par"]) == (
        "Statut modifié",
        "Bloqué",
        "Camille Martin (en ligne)",
    )
    at.switch_page("pages/commission.py")
    at.query_params["territoire"] = SIREN
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def test_contributor_service_from_local_accounts_and_oidc(tmp_path, monkeypatch):
    import io

    from dashboard import accounts, auth

    path = tmp_path / "accounts.json"
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-de-passe-paul\n"))
    command = ["add-user", "paul", "--territory", f"{SIREN}:contributor"]
    command += ["--email", "Paul@Example.org", "--service", SERVICE]
    assert accounts.main([*command, "--password-stdin", "--file", str(path)]) == 0
    user = auth._user_of(accounts.find_account(path, "paul"))
    assert (user.email, dict(user.services)) == ("paul@example.org", {SIREN: SERVICE})
    assert action_updates.update_refused(user, SIREN, {"pilot_service": SERVICE}) is None
    claims = {"email": "lea@example.org", "organizational_unit": "Service eau"}
    settings = {
        "service_claim": "organizational_unit",
        "services": {"LEA@example.org": {SIREN: SERVICE}},
    }
    assert auth.oidc_services(claims, settings) == {"*": "Service eau", SIREN: SERVICE}
