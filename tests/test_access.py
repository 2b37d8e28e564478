"""Who reaches the import page: no configuration, local accounts (form for real), OIDC settings."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import accounts, journal, sessions
from tests.conftest import EDITOR, READER

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SIREN = "200068666"
IMPORT_TITLE = "Importer des données"


def start(secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in (secrets or {}).items():
        at.secrets[name] = value
    at.query_params["territoire"] = SIREN
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def sign_in(at: AppTest, login: str, password: str, form: str = "sidebar_login_local") -> AppTest:
    at.text_input(key=f"{form}_login").set_value(login)
    at.text_input(key=f"{form}_password").set_value(password)
    at.button(key=f"FormSubmitter:{form}-Se connecter").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_import(at: AppTest) -> AppTest:
    at.switch_page("pages/import_data.py")
    at.query_params["territoire"] = SIREN
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_titles(at: AppTest) -> list[str]:
    return [t.value for t in at.main.title]


def test_without_configuration_reading_is_open_and_import_is_disabled(app_env, monkeypatch):
    monkeypatch.setenv("PILOTAGE_ACCOUNTS", "/nonexistent/accounts.json")
    at = open_import(start())
    assert page_titles(at) == [IMPORT_TITLE]
    assert not at.file_uploader, "no upload without accounts"
    warning = " ".join(w.value for w in at.warning)
    assert "aucun compte n'est configuré" in warning
    assert "python -m dashboard.accounts add-user" in warning
    assert not at.sidebar.expander, "no sign-in offered when nothing is configured"


def test_reader_cannot_reach_import(import_env):
    at = sign_in(start(), *READER)
    assert any("Lecteur de test (lecteur)" in c.value for c in at.sidebar.caption)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_import(at)


def test_editor_reaches_import(import_env):
    at = open_import(sign_in(start(), *EDITOR))
    assert page_titles(at) == [IMPORT_TITLE]
    assert at.file_uploader(key="import_files")
    assert not at.warning


def test_wrong_password_is_refused(import_env):
    at = sign_in(start(), EDITOR[0], "pas-le-bon-mot-de-passe")
    assert [e.value for e in at.sidebar.error] == ["Identifiant ou mot de passe incorrect."]
    assert "local_user" not in at.session_state
    at = sign_in(at, "inconnu", EDITOR[1])
    assert "local_user" not in at.session_state


def test_signed_out_visitor_does_not_see_import_once_accounts_exist(import_env):
    at = start()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_import(at)


def test_protected_reading_needs_sign_in(import_env, monkeypatch):
    monkeypatch.setenv("PILOTAGE_ACCESS", "protected")
    at = start()
    assert page_titles(at) == ["Pilotage territorial"]
    assert not at.metric, "no dashboard figure before signing in"
    at = sign_in(at, *READER, form="gate_login_local")
    assert "Vue d'ensemble" in page_titles(at)
    assert at.metric


def test_oidc_settings_offer_the_provider_login(import_env, monkeypatch):
    """Configuration handling only: no identity provider is reachable from the tests."""
    monkeypatch.setenv("PILOTAGE_ACCOUNTS", "/nonexistent/accounts.json")
    auth = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "pilotage",
        "client_secret": "secret",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    }
    at = start({"auth": auth, "pilotage": {"editors": ["redaction@example.org"]}})
    labels = [b.label for b in at.sidebar.button]
    assert "Se connecter (compte de la collectivité)" in labels
    assert not at.sidebar.text_input, "no local form without an accounts file"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_import(at)


def test_accounts_file_holds_scrypt_hashes_and_the_cli_writes_it(tmp_path, monkeypatch):
    path = tmp_path / "accounts.json"
    monkeypatch.setattr("sys.stdin", io.StringIO("un-mot-de-passe-long\n"))
    assert (
        accounts.main(
            ["add-user", "marie", "--role", "editor", "--password-stdin", "--file", str(path)]
        )
        == 0
    )
    text = path.read_text()
    assert "un-mot-de-passe-long" not in text
    assert '"hash": "scrypt$16384$8$1$' in text
    assert path.stat().st_mode & 0o077 == 0
    assert accounts.authenticate(path, "marie", "un-mot-de-passe-long")["role"] == "editor"
    assert accounts.authenticate(path, "marie", "un-mot-de-passe-faux") is None
    with pytest.raises(ValueError, match="trop court"):
        accounts.add_user(path, "paul", "court", "reader")


def journal_events(env: dict) -> list[tuple[str, str | None]]:
    return [(e["event"], e["who"]) for e in journal.read(env["tmp"] / "journal.jsonl")]


def test_sign_in_is_journalled_and_sets_the_session_cookie(import_env):
    at = sign_in(start(), *EDITOR)
    assert journal_events(import_env) == [("sign_in", EDITOR[0])]
    entry = journal.read(import_env["tmp"] / "journal.jsonl")[0]
    assert entry["roles"] == {"*": "editor"}
    assert entry["provider"] == "local"
    scripts = [h.proto.body for h in at.sidebar.get("html")]
    assert any("pilotage_session=" in body and "SameSite=Strict" in body for body in scripts)
    cookie = at.session_state["local_user"]["cookie"]
    assert sessions.resume(cookie, sessions.session_secret()) == EDITOR[0]
    at.run()  # the cookie is set once, not at every run
    assert not at.sidebar.get("html")


class Clock:
    """The sign-in store's clock, moved by the test instead of slept through."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sessions, "time", fake)
    return fake


def test_wrong_passwords_are_throttled_and_journalled(import_env, clock):
    at = start()
    for _ in range(2):
        at = sign_in(at, EDITOR[0], "pas-le-bon-mot-de-passe")
        assert [e.value for e in at.sidebar.error] == ["Identifiant ou mot de passe incorrect."]
    for wait in (1, 2, 4, 8):  # 3 free attempts, then twice as long each time
        at = sign_in(at, EDITOR[0], "pas-le-bon-mot-de-passe")
        assert [e.value for e in at.sidebar.error] == [
            f"Identifiant ou mot de passe incorrect. Prochain essai possible dans {wait} s."
        ]
        if wait < 8:
            clock.advance(wait)
    at = sign_in(at, *EDITOR)  # the right password, too soon: refused without being checked
    assert "local_user" not in at.session_state
    assert "Trop de tentatives" in at.sidebar.error[0].value
    assert journal_events(import_env) == [
        *[("sign_in_failed", EDITOR[0])] * 6,
        ("sign_in_throttled", EDITOR[0]),
    ]


def test_an_idle_sign_in_ends_and_sign_out_ends_it_everywhere(import_env, monkeypatch, clock):
    monkeypatch.setenv("PILOTAGE_SESSION_IDLE_MINUTES", "0.02")  # 1,2 s
    at = sign_in(start(), *READER)
    assert any("Connecté" in c.value for c in at.sidebar.caption)
    clock.advance(1.5)
    at.run()
    assert "local_user" not in at.session_state
    assert "sans activité" in at.sidebar.warning[0].value
    assert any("Max-Age=0" in h.proto.body for h in at.sidebar.get("html"))  # cookie deleted
    monkeypatch.setenv("PILOTAGE_SESSION_IDLE_MINUTES", "30")
    at = sign_in(at, *READER)
    cookie = at.session_state["local_user"]["cookie"]
    at.button(key="logout").click()
    at.run()
    assert "local_user" not in at.session_state
    assert sessions.resume(cookie, sessions.session_secret()) is None
    assert [event for event, _ in journal_events(import_env)] == [
        "sign_in",
        "session_expired",
        "sign_in",
        "sign_out",
    ]


def test_roles_per_territory_are_shown_and_an_editor_of_one_territory_imports(
    import_env, tmp_path, monkeypatch
):
    path = tmp_path / "accounts.json"
    accounts.add_user(
        path, "agent", "mot-de-passe-agent", None, "Agent", {SIREN: "editor", "245400601": "reader"}
    )
    monkeypatch.setenv("PILOTAGE_ACCOUNTS", str(path))
    at = sign_in(start(), "agent", "mot-de-passe-agent")
    assert any(
        "Agent (éditeur : 200068666 ; lecteur : 245400601)" in c.value for c in at.sidebar.caption
    )
    at = open_import(at)
    assert at.file_uploader(key="import_files")
