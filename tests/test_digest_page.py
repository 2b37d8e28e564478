"""Résumés par courriel, run by AppTest with real local accounts: an editor previews every
digest and sets anyone's choice; a reader who pilots actions sees only their own digest; a
reader without one sees none; the signed unsubscribe link of a message works without signing in."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import accounts
from dashboard.digest import preferences
from dashboard.ui.widgets import safe_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SIREN = "200068666"
EDITOR = ("direction", "mot-de-passe-direction")
PILOT = ("camille", "mot-de-passe-camille")
READER = ("lecteur", "mot-de-passe-lecteur")
PILOT_EMAIL = "camille.martin@example.org"
PILOTS = {
    "camille.martin@example.org",
    "julien.petit@example.org",
    "karim.benali@example.org",
    "lea.dubois@example.org",
}


@pytest.fixture
def page_env(tmp_path: Path, app_env, monkeypatch) -> Path:
    path = tmp_path / "accounts.json"
    territory = {SIREN: "editor"}
    accounts.add_user(path, *EDITOR, None, "Directrice", territory, "dgs@example.org")
    accounts.add_user(path, *PILOT, None, "Camille Martin", {SIREN: "reader"}, PILOT_EMAIL)
    accounts.add_user(path, *READER, None, "Lecteur", {SIREN: "reader"})
    for name, value in {
        "ACCOUNTS": path,
        "JOURNAL": tmp_path / "journal.jsonl",
        "SESSIONS": tmp_path / "sessions.sqlite3",
        "SESSION_SECRET_FILE": tmp_path / "session_secret",
        "DIGEST_PREFERENCES": tmp_path / "preferences.json",
        "SECRETS": tmp_path / "absent-secrets.toml",
        "BASE_URL": "https://pilotage.test",
    }.items():
        monkeypatch.setenv(f"PILOTAGE_{name}", str(value))
    return tmp_path


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(login: tuple[str, str] | None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = SIREN
    run(at)
    if login:
        at.text_input(key="sidebar_login_local_login").set_value(login[0])
        at.text_input(key="sidebar_login_local_password").set_value(login[1])
        at.button(key="FormSubmitter:sidebar_login_local-Se connecter").click()
    run(at)
    at.switch_page("pages/digest.py")
    at.query_params["territoire"] = SIREN
    for name, value in params.items():
        at.query_params[name] = value
    return run(at)


def recipients(at: AppTest) -> list[str]:
    box = at.selectbox(key="digest_recipient")
    return [option.split(" — ")[0] for option in box.options]


def opted_out(env: Path) -> dict[str, bool]:
    return {
        a: e["opted_out"] for a, e in preferences.load_preferences(env / "preferences.json").items()
    }


def journal(env: Path) -> list[dict]:
    path = env / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_editor_previews_every_digest_and_sets_a_pilots_choice(page_env):
    at = open_page(EDITOR)
    assert [t.value for t in at.main.title] == ["Résumés par courriel"]
    listed = recipients(at)
    assert {label.split("<")[-1].rstrip(">") for label in listed} == PILOTS | {"dgs@example.org"}
    assert "Directrice <dgs@example.org>" in listed  # an editor with an e-mail: director
    subject = " ".join(m.value for m in at.markdown)
    assert "vos actions" in subject
    assert at.checkbox(key="digest_receive").value is True
    assert at.dataframe, "the list of this week's recipients"
    box = at.selectbox(key="digest_recipient")
    karim = next(i for i, o in enumerate(box.options) if "karim" in o)
    box.select_index(karim)
    run(at)
    at.checkbox(key="digest_receive").uncheck()
    run(at)
    assert opted_out(page_env) == {"karim.benali@example.org": True}
    [entry] = [e for e in journal(page_env) if e["event"] == "digest_preference"]
    assert entry["who"] == EDITOR[0]
    assert entry["recipient"] == "karim.benali@example.org"
    assert at.selectbox(key="digest_recipient").options[karim].endswith("— désinscrit")
    at.selectbox(key="digest_recipient").select_index(0)  # another person: their own choice
    run(at)
    assert at.checkbox(key="digest_receive").value is True
    at.selectbox(key="digest_recipient").select_index(karim)
    run(at)
    assert at.checkbox(key="digest_receive").value is False


def test_a_pilot_reader_sees_only_their_own_digest_and_opts_out(page_env):
    at = open_page(PILOT)
    assert recipients(at) == [f"Camille Martin <{PILOT_EMAIL}>"]
    text = " ".join(c.value for c in at.code)
    assert "julien.petit" not in text
    assert "Bonjour Camille Martin," in text
    assert not at.dataframe, "no list of other people's digests"
    at.checkbox(key="digest_receive").uncheck()
    run(at)
    assert opted_out(page_env) == {PILOT_EMAIL: True}
    at.checkbox(key="digest_receive").check()
    run(at)
    assert opted_out(page_env) == {PILOT_EMAIL: False}


def test_a_reader_without_a_digest_sees_none(page_env):
    at = open_page(READER)
    assert not at.main.selectbox
    assert not at.code
    assert any("Aucun résumé ne vous est adressé" in i.value for i in at.info)


def test_signed_out_visitor_is_asked_to_sign_in(page_env):
    at = open_page(None)
    assert not at.main.selectbox
    assert any("Connectez-vous" in i.value for i in at.info)


def test_the_signed_link_of_a_message_unsubscribes_without_signing_in(page_env):
    token = preferences.unsubscribe_token(PILOT_EMAIL)
    at = open_page(None, desinscription=PILOT_EMAIL, jeton=token)
    assert not at.main.selectbox
    at.button(key="digest_unsubscribe").click()
    run(at)
    assert opted_out(page_env) == {PILOT_EMAIL: True}
    assert any("ne reçoit plus" in s.value for s in at.success)
    at.button(key="digest_resubscribe").click()
    run(at)
    assert opted_out(page_env) == {PILOT_EMAIL: False}


def test_a_tampered_unsubscribe_link_is_refused(page_env):
    token = preferences.unsubscribe_token("julien.petit@example.org")  # another address's
    at = open_page(None, desinscription=PILOT_EMAIL, jeton=token)
    assert any("invalide" in e.value for e in at.error)
    assert not at.main.button
    assert opted_out(page_env) == {}


def test_an_editor_sends_a_test_copy_to_themself_through_a_real_smtp_server(page_env, monkeypatch):
    from tests.digest_support import parts, start_server

    controller, inbox = start_server()
    try:
        for name, value in {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(controller.port),
            "SMTP_SECURITY": "none",
            "SMTP_FROM": "Pilotage territorial <pilotage@example.org>",
            "SMTP_TIMEOUT": "10",
        }.items():
            monkeypatch.setenv(f"PILOTAGE_{name}", value)
        at = open_page(EDITOR)
        box = at.selectbox(key="digest_recipient")
        box.select_index(next(i for i, o in enumerate(box.options) if "karim" in o))
        run(at)
        for _ in range(3):
            at.button(key="digest_test_send").click()
            run(at)
            expected = f"Message d'essai envoyé à {safe_text('dgs@example.org')}."
            assert [s.value for s in at.success] == [expected]
        at.button(key="digest_test_send").click()
        run(at)
        assert "Pas plus de 3 envois d'essai en dix minutes" in at.warning[0].value
    finally:
        controller.stop()
    assert len(inbox.messages) == 3  # the fourth was refused before reaching the server
    received = inbox.messages[0]
    assert received.rcpt_tos == ["dgs@example.org"]  # never the pilot
    message = received.message
    assert message["Subject"].startswith("[Essai] Pilotage territorial — ")
    assert "dgs@example.org" in message["To"]
    assert "desinscription=dgs%40example.org" in message["List-Unsubscribe"]
    text, html = parts(message)
    lines = text.replace("\r\n", "\n")  # SMTP's line ends
    assert "\n\nMessage d'essai" in lines  # its own paragraph, between the title and greeting
    assert ".\n\nBonjour " in lines
    for body in (text, unescape(html)):
        assert "Message d'essai" in body
        assert "karim.benali@example.org" in body  # whose digest it is
    sent = [e for e in journal(page_env) if e["event"] == "digest_sent"]
    assert len(sent) == 3
    assert sent[0]["who"] == EDITOR[0]
    assert sent[0]["provider"] == "page"
    assert sent[0]["recipient"] == "dgs@example.org"
    assert "karim.benali@example.org" in sent[0]["test_of"]


def test_without_an_smtp_server_the_test_send_says_why(page_env):
    at = open_page(EDITOR)
    assert not [b for b in at.button if b.key == "digest_test_send"]
    assert any("aucun serveur SMTP n'est configuré" in c.value for c in at.caption)
