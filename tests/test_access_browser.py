"""Local sign-ins in headless Chromium: a reload keeps them, idle time ends them, sign-out ends
them on the server, wrong passwords wait longer each time. Time passes by changing the server's
sign-in store (as the clock would), never by sleeping: no step races a limit."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

import pytest

from dashboard import journal
from tests.browser_support import chromium, running_app, wait_settled
from tests.conftest import EDITOR, READER

IDLE_MINUTES = 30  # the default: no step of a test races it; idle time is made by ageing the store
SIGNED_IN = "Connecté : Lecteur de test (lecteur)"


@pytest.fixture(scope="module")
def signed_server(demo_warehouse: Path, accounts_file: Path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PILOTAGE_ACCOUNTS", str(accounts_file))
        patch.setenv("PILOTAGE_SESSIONS", str(tmp / "sessions.sqlite3"))
        patch.setenv("PILOTAGE_JOURNAL", str(tmp / "journal.jsonl"))
        patch.setenv("PILOTAGE_SESSION_SECRET_FILE", str(tmp / "secret"))
        patch.setenv("PILOTAGE_SESSION_IDLE_MINUTES", str(IDLE_MINUTES))
        with running_app(demo_warehouse) as base, chromium(base) as browser:
            yield base, browser, tmp


def open_overview(context, base: str):
    page = context.new_page()
    page.goto(f"{base}/?territoire=200068666")
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    return page


def submit(page, login: str, password: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    if not sidebar.get_by_label("Identifiant").is_visible():
        sidebar.get_by_text("Connexion", exact=True).click()
    sidebar.get_by_label("Identifiant").fill(login)
    sidebar.get_by_label("Mot de passe").fill(password)
    sidebar.get_by_role("button", name="Se connecter").click()


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == "pilotage_session"), None)


def in_store(tmp: Path, sql: str, *params) -> None:
    """Change the server's sign-in store as time would (the server reads it at each request):
    the test moves time instead of sleeping through it."""
    with contextlib.closing(sqlite3.connect(tmp / "sessions.sqlite3")) as con, con:
        con.execute(sql, params)


def wait_signed_out(page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Connexion", exact=True).wait_for(timeout=60_000)
    assert not sidebar.get_by_text("Connecté :").count()


def signed_in_reader(browser, base: str):
    """A new browser context signed in as the reader, once the cookie is set."""
    context = browser.new_context(locale="fr-FR")
    page = open_overview(context, base)
    submit(page, *READER)
    page.get_by_text(SIGNED_IN).wait_for(timeout=60_000)
    page.wait_for_function("() => document.cookie.includes('pilotage_session=')")
    return context, page


def test_a_sign_in_survives_a_reload_and_ends_after_the_idle_time(signed_server):
    base, browser, tmp = signed_server
    context, page = signed_in_reader(browser, base)
    cookie = session_cookie(context)
    assert cookie["sameSite"] == "Strict"
    assert cookie["expires"] == -1  # ends with the browser; the server ends it sooner
    page.reload()
    page.get_by_text(SIGNED_IN).wait_for(timeout=60_000)
    other = context.new_page()  # another tab of the same browser
    other.goto(f"{base}/carte?territoire=200068666")
    other.get_by_text(SIGNED_IN).wait_for(timeout=60_000)
    # Both tabs closed once idle (no run of theirs left to come), the sign-in unused since.
    for tab in (other, page):
        wait_settled(tab)
        tab.close()
    idle = IDLE_MINUTES * 60 + 1  # every sign-in as if last used IDLE_MINUTES and a second ago
    in_store(
        tmp, "update sessions set last_seen = last_seen - ?, created = created - ?", idle, idle
    )
    page = open_overview(context, base)  # the same browser, back after the idle time
    wait_signed_out(page)
    page.wait_for_function("() => !document.cookie.includes('pilotage_session=')")
    events = [entry["event"] for entry in journal.read(tmp / "journal.jsonl")]
    assert events[:1] == ["sign_in"]
    assert "session_expired" not in events[1:]  # ended by the visit, not in a tab
    context.close()


def test_sign_out_ends_the_sign_in_on_the_server(signed_server):
    base, browser, _ = signed_server
    context, page = signed_in_reader(browser, base)
    kept = session_cookie(context)
    page.get_by_role("button", name="Se déconnecter").click()
    wait_signed_out(page)
    page.wait_for_function("() => !document.cookie.includes('pilotage_session=')")
    context.add_cookies([kept])  # someone who copied the cookie before the sign-out
    page.reload()
    wait_signed_out(page)
    context.close()


def test_wrong_passwords_wait_longer_each_time(signed_server):
    base, browser, tmp = signed_server
    context = browser.new_context(locale="fr-FR")
    page = open_overview(context, base)
    sidebar = page.locator('[data-testid="stSidebar"]')
    # 3 free attempts, then twice as long each time: the wait announced after each failure.
    for attempt, wait in enumerate([None, None, 1, 2, 4, 8]):
        submit(page, EDITOR[0], f"mauvais-mot-de-passe-{attempt}")
        expected = "Identifiant ou mot de passe incorrect." + (
            f" Prochain essai possible dans {wait} s." if wait else ""
        )
        sidebar.get_by_text(expected, exact=True).wait_for(timeout=30_000)
        wait_settled(page)  # the rerun is over before the next attempt
        if wait and wait < 8:  # the announced wait passes: failures as if `wait` s older
            in_store(tmp, "update failures set last = last - ?", wait)
    # The right password during a wait is refused unchecked: the wait is made long enough (as
    # after 6 more failures) that no machine is slow enough to submit after its end.
    in_store(tmp, "update failures set count = count + 6 where key = ?", f"account:{EDITOR[0]}")
    submit(page, *EDITOR)
    sidebar.get_by_text(re.compile(r"Trop de tentatives .* réessayez dans \d+ s")).wait_for(
        timeout=30_000
    )
    assert not sidebar.get_by_text("Connecté :").count()
    events = [e["event"] for e in journal.read(tmp / "journal.jsonl") if e["who"] == EDITOR[0]]
    assert events.count("sign_in_failed") == 6
    assert "sign_in_throttled" in events
    context.close()
