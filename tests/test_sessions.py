"""Sign-in sessions, wrong-password throttling, the journal and roles per territory, on the real
SQLite store and files (no Streamlit server; AppTest and Chromium tests in test_access*.py)."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from dashboard import accounts, auth, journal, sessions

KEY = b"k" * 32
SAINT_DIZIER, POMPEY, DIJON = "200068666", "245400601", "242100410"


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_SESSIONS", str(tmp_path / "sessions.sqlite3"))
    monkeypatch.setenv("PILOTAGE_JOURNAL", str(tmp_path / "journal.jsonl"))
    monkeypatch.setenv("PILOTAGE_SESSION_SECRET_FILE", str(tmp_path / "secret"))
    monkeypatch.delenv("PILOTAGE_SESSION_IDLE_MINUTES", raising=False)
    monkeypatch.delenv("PILOTAGE_ACCESS", raising=False)
    return tmp_path


def test_secret_is_written_once_private_and_a_configured_one_wins(store):
    first = sessions.session_secret()
    assert len(first) == 32
    assert sessions.session_secret() == first
    assert (store / "secret").stat().st_mode & 0o077 == 0
    assert sessions.session_secret("configured") == b"configured"


def test_a_sign_in_resumes_until_ended_and_a_forged_cookie_never_does():
    cookie = sessions.start("marie", KEY)
    assert sessions.resume(cookie, KEY) == "marie"
    token, _, signature = cookie.partition(".")
    assert sessions.resume(f"{token}.{'0' * len(signature)}", KEY) is None
    assert sessions.resume(cookie, b"another key" * 3) is None
    assert sessions.resume(token, KEY) is None
    assert sessions.resume("", KEY) is None
    stored = (sessions.store_path()).read_bytes()
    assert token.encode() not in stored  # only its hash is kept
    sessions.end(cookie, KEY)
    assert sessions.resume(cookie, KEY) is None


def test_idle_time_ends_a_sign_in_and_activity_extends_it(monkeypatch):
    monkeypatch.setenv("PILOTAGE_SESSION_IDLE_MINUTES", "1")
    now = time.time()
    cookie = sessions.start("marie", KEY, now=now)
    assert sessions.resume(cookie, KEY, now=now + 50) == "marie"
    assert sessions.resume(cookie, KEY, now=now + 100) == "marie"  # 50 s after the last use
    assert sessions.resume(cookie, KEY, now=now + 161) is None  # 61 s idle
    assert sessions.resume(cookie, KEY, now=now + 162) is None  # and stays ended


def test_a_sign_in_ends_after_its_maximum_age_even_when_used(monkeypatch):
    monkeypatch.setenv("PILOTAGE_SESSION_MAX_HOURS", "1")
    now = time.time()
    cookie = sessions.start("marie", KEY, now=now)
    for minute in range(0, 60, 20):
        assert sessions.resume(cookie, KEY, now=now + 60 * minute) == "marie"
    assert sessions.resume(cookie, KEY, now=now + 3601) is None


def test_wrong_passwords_wait_longer_each_time_per_account():
    now = time.time()
    waits = []
    for attempt in range(7):
        sessions.record_failure("Marie", None, now=now + attempt)
        waits.append(round(sessions.retry_after("marie", None, now=now + attempt)))
    assert waits == [0, 0, 1, 2, 4, 8, 16]
    assert sessions.retry_after("paul", None, now=now + 7) == 0  # another account: free
    sessions.record_success("marie")
    assert sessions.retry_after("marie", None, now=now + 7) == 0


def test_an_address_gets_many_more_free_attempts_than_an_account():
    now = time.time()
    for index in range(sessions.FREE_FAILURES["address"]):
        sessions.record_failure(f"agent{index}", "10.0.0.7", now=now)
    assert sessions.retry_after("agent0", "10.0.0.7", now=now) > 0  # agent0: its own count too
    assert sessions.retry_after("nouveau", "10.0.0.7", now=now) == pytest.approx(1)
    assert sessions.retry_after("nouveau", "10.0.0.8", now=now) == 0
    assert sessions.retry_after("nouveau", "10.0.0.7", now=now + 3700) == 0  # forgotten


def test_first_sight_is_true_once():
    assert sessions.first_sight("oidc:a@example.org:1")
    assert not sessions.first_sight("oidc:a@example.org:1")
    assert sessions.first_sight("oidc:a@example.org:2")


def _append_many(path: str, worker: int) -> None:
    for index in range(50):
        journal.record(
            "export",
            f"agent{worker}",
            "local",
            None,
            path=Path(path),
            n=index,
            pad="x" * 500,
        )


def test_journal_is_append_only_json_lines_from_several_processes(store):
    path = store / "journal.jsonl"
    journal.record("sign_in", "marie", "local", "10.0.0.7", roles={"*": "editor"})
    workers = [
        multiprocessing.get_context("spawn").Process(target=_append_many, args=(str(path), n))
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    entries = journal.read(path)
    assert len(entries) == 1 + 4 * 50  # every line whole: none interleaved
    assert entries[0]["event"] == "sign_in"
    assert entries[0]["who"] == "marie"
    assert entries[0]["address"] == "10.0.0.7"
    assert entries[0]["at"].endswith("+00:00")
    assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(ValueError, match="inconnu"):
        journal.record("drop_table", "marie")


def test_journal_cli_prints_the_latest_events_in_french(store, capsys):
    journal.record("import", "marie", "local", None, territory=SAINT_DIZIER, files=["plan.xlsx"])
    assert journal.main(["--last", "5"]) == 0
    out = capsys.readouterr().out
    assert "import  marie" in out
    assert SAINT_DIZIER in out


def test_accounts_carry_roles_per_territory_and_older_files_still_work(tmp_path, monkeypatch):
    path = tmp_path / "accounts.json"
    accounts.add_user(path, "ancien", "mot-de-passe-ancien", "editor")
    accounts.add_user(
        path, "agent", "mot-de-passe-agent", None, roles={SAINT_DIZIER: "editor", POMPEY: "reader"}
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-de-passe-hote\n"))
    assert (
        accounts.main(["add-user", "prefecture", "--host", "--password-stdin", "--file", str(path)])
        == 0
    )
    stored = json.loads(path.read_text())["users"]
    assert stored["agent"]["roles"] == {SAINT_DIZIER: "editor", POMPEY: "reader"}
    assert "role" not in stored["agent"]
    assert accounts.authenticate(path, "ancien", "mot-de-passe-ancien")["roles"] == {"*": "editor"}
    agent = accounts.authenticate(path, "agent", "mot-de-passe-agent")
    assert agent["roles"] == {SAINT_DIZIER: "editor", POMPEY: "reader"}
    assert "hash" not in agent
    assert accounts.find_account(path, "prefecture")["roles"] == {"*": "host"}
    with pytest.raises(ValueError, match="SIREN"):
        accounts.add_user(path, "x", "mot-de-passe-long", None, roles={"dijon": "reader"})
    with pytest.raises(ValueError, match="rôle inconnu"):
        accounts.add_user(path, "x", "mot-de-passe-long", None, roles={DIJON: "host"})
    with pytest.raises(ValueError, match="aucun rôle"):
        accounts.add_user(path, "x", "mot-de-passe-long", None)


def _user(roles: dict[str, str]) -> auth.User:
    return auth.User("agent", "Agent", auth.best_role(roles) or "", "local", roles)


def test_role_for_and_readable_territories(monkeypatch):
    monkeypatch.setenv("PILOTAGE_ACCESS", "protected")
    agent = _user({SAINT_DIZIER: "editor", POMPEY: "reader"})
    assert auth.role_for(agent, SAINT_DIZIER) == "editor"
    assert auth.role_for(agent, POMPEY) == "reader"
    assert auth.role_for(agent, DIJON) is None
    assert auth.readable_territories(agent) == {SAINT_DIZIER, POMPEY}
    assert agent.is_editor
    assert not agent.is_host
    reader_everywhere = _user({"*": "reader", POMPEY: "contributor"})
    assert auth.role_for(reader_everywhere, DIJON) == "reader"
    assert auth.role_for(reader_everywhere, POMPEY) == "contributor"
    assert auth.readable_territories(reader_everywhere) is None
    assert not reader_everywhere.is_editor
    host = _user({"*": "host"})
    assert auth.role_for(host, DIJON) == "host"
    assert host.is_host
    assert host.is_editor
    assert auth.readable_territories(None) == set()
    assert auth.role_for(None, DIJON) is None
    monkeypatch.setenv("PILOTAGE_ACCESS", "open")  # open reading: everyone reads everything
    assert auth.readable_territories(None) is None
    assert auth.role_for(None, DIJON) == "reader"
    assert auth.role_for(agent, DIJON) == "reader"
    assert auth.role_for(agent, SAINT_DIZIER) == "editor"


def test_oidc_roles_from_proconnect_claims_mapping_and_settings():
    # ProConnect's identity: given_name, usual_name, email, uid, siret (+ organizational_unit…)
    claims = {
        "email": "Agent.Territorial@saint-dizier.fr",
        "given_name": "Camille",
        "usual_name": "Martin",
        "uid": "42",
        "siret": "200 068 666 00013",
        "organizational_unit": "Direction de l'aménagement",
    }
    settings = {
        "default_role": "",
        "siret_role": "contributor",
        "roles": {"agent.territorial@saint-dizier.fr": {POMPEY: "reader", SAINT_DIZIER: "editor"}},
    }
    assert auth.oidc_roles(claims, settings) == {SAINT_DIZIER: "editor", POMPEY: "reader"}
    assert auth.oidc_roles(claims, {"default_role": "", "siret_role": "reader"}) == {
        SAINT_DIZIER: "reader"
    }
    # A claim of the provider: a mapping or a list of "SIREN:role"; nonsense is ignored.
    listed = {"email": "x@example.org", "groups": [f"{DIJON}:editor", "admin", "123:editor"]}
    assert auth.oidc_roles(listed, {"roles_claim": "groups"}) == {"*": "reader", DIJON: "editor"}
    mapped = {"email": "x@example.org", "pilotage": {POMPEY: "host", DIJON: "superuser"}}
    assert auth.oidc_roles(mapped, {"roles_claim": "pilotage", "default_role": ""}) == {}
    # Today's settings keep their meaning: everyone reads, `editors` edit everything.
    legacy = {"editors": ["Redaction@example.org"]}
    assert auth.oidc_roles({"email": "redaction@example.org"}, legacy) == {"*": "editor"}
    assert auth.oidc_roles({"email": "autre@example.org"}, legacy) == {"*": "reader"}
    assert auth.oidc_roles({"email": "p@gouv.fr"}, {"hosts": ["p@gouv.fr"]}) == {"*": "host"}


def test_describe_roles_in_french():
    assert auth.describe_roles({"*": "reader"}) == "lecteur"
    assert auth.describe_roles({"*": "reader", POMPEY: "editor", SAINT_DIZIER: "editor"}) == (
        f"lecteur ; éditeur : {SAINT_DIZIER}, {POMPEY}"
    )


def test_secret_files_are_not_in_git():
    ignored = (auth.accounts.ROOT / ".gitignore").read_text()
    for name in ("data/sessions.sqlite3", "data/.session_secret", "data/journal.jsonl"):
        assert name in ignored
    assert os.path.basename(str(journal.DEFAULT_JOURNAL)) == "journal.jsonl"


def test_take_turn_allows_the_limit_per_window_then_says_how_long_to_wait():
    now = 1_000_000.0
    assert [sessions.take_turn("save:marie", 3, 60, now=now + i) for i in range(3)] == [0] * 3
    assert sessions.take_turn("save:marie", 3, 60, now=now + 10) == 50  # the first turn + 60 s
    assert sessions.take_turn("save:paul", 3, 60, now=now + 10) == 0  # one count per person
    assert sessions.take_turn("save:marie", 3, 60, now=now + 60.5) == 0  # the first has expired
    assert sessions.take_turn("save:marie", 3, 60, now=now + 60.5) == 0.5  # the second + 60 s
