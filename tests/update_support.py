"""Online updates in Chromium, shared by the browser test and `make bench`: a served copy of the
demo sources and warehouse with a contributor and a reader, signed-in sessions, the fiche's
form and the wait until another session shows the change."""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import accounts
from etl import pipeline
from tests.browser_support import chromium, running_app

SIREN = "200068666"
CODE = "P1.A1.O1.a1"  # piloted by camille.martin@example.org
CONTRIBUTOR = ("camille", "mot-de-passe-contributrice", "Camille Martin")
READER = ("lou", "mot-de-passe-lecteur-lou", "Lou Lecteur")
FICHE = f"/fiche-action?territoire={SIREN}&action={CODE}"


@contextlib.contextmanager
def served_copy(tmp: Path, warehouse: Path | None = None) -> Iterator[tuple[str, object, Path]]:
    """(server URL, Chromium, sources folder) on writable copies of the demo data."""
    sources = tmp / "sources"
    shutil.copytree(pipeline.SOURCES_DIR, sources)
    served = tmp / "served" / "warehouse.duckdb"
    served.parent.mkdir(parents=True)
    if warehouse is not None:
        shutil.copyfile(warehouse, served)
    else:
        pipeline.run_build(sources, pipeline.REFERENCE_DIR, served)
    path = tmp / "accounts.json"
    login, password, name = CONTRIBUTOR
    accounts.add_user(
        path, login, password, None, name, {SIREN: "contributor"}, "camille.martin@example.org"
    )
    login, password, name = READER
    accounts.add_user(path, login, password, None, name, {SIREN: "reader"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PILOTAGE_SOURCES", str(sources))
        patch.setenv("PILOTAGE_ACCOUNTS", str(path))
        patch.setenv("PILOTAGE_PUBLICATIONS", str(tmp / "publications"))
        patch.setenv("PILOTAGE_SESSIONS", str(tmp / "sessions.sqlite3"))
        patch.setenv("PILOTAGE_JOURNAL", str(tmp / "journal.jsonl"))
        patch.setenv("PILOTAGE_SESSION_SECRET_FILE", str(tmp / "secret"))
        with running_app(served) as base, chromium(base) as browser:
            yield base, browser, sources


def signed_in(browser, base: str, login: str, password: str):
    """A browser context signed in with a local account, on the action's fiche."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base}/?territoire={SIREN}")
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Connexion", exact=True).click()
    sidebar.get_by_label("Identifiant").fill(login)
    sidebar.get_by_label("Mot de passe").fill(password)
    sidebar.get_by_role("button", name="Se connecter").click()
    sidebar.get_by_text("Connecté :").wait_for(timeout=60_000)
    page.wait_for_function("() => document.cookie.includes('pilotage_session=')")
    page.goto(f"{base}{FICHE}")
    shown_progress(page)
    return context, page


def shown_progress(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Avancement")
    metric.first.wait_for(timeout=60_000)
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text()


def save_progress(page, value: int, note: str) -> float:
    """Fill the fiche's form and click « Enregistrer »; returns the click's time."""
    page.get_by_label("Avancement (%)").fill(str(value))
    page.get_by_label("Note de suivi (datée d'aujourd'hui)").fill(note)
    button = page.get_by_role("button", name="Enregistrer")
    clicked = time.perf_counter()
    button.click()
    return clicked


def wait_progress(page, value: int, timeout_s: float = 60) -> float:
    """Wait, without touching the page, until it shows `value` %; returns that time."""
    pattern = re.compile(rf"^{value}\D*%$")
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        try:
            if pattern.match(shown_progress(page).strip()):
                return time.perf_counter()
        except Exception:  # the page is being redrawn
            pass
        page.wait_for_timeout(50)
    raise AssertionError(f"la page n'a pas montré {value} % en {timeout_s} s")
