"""The running app in headless Chromium: every page opens with no exception box, no failed
request and no request leaving the machine; the map draws one path per commune."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-results" / "screenshots"
PAGES = {
    "": "Vue d'ensemble",  # the default page lives at the root URL
    "mes-actions": "Mes actions",
    "plan-d-action": "Plan d'action",
    "fiche-action": "Fiche action",
    "calendrier": "Calendrier",
    "financements": "Financements",
    "carte": "Carte des communes",
    "indicateurs": "Indicateurs",
    "qualite": "Qualité des données",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium absent : installez-le (make browser, ou apt-get install chromium)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_warehouse):
    port = free_port()
    env = {**os.environ, "PILOTAGE_WAREHOUSE": str(demo_warehouse)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(
            "le serveur Streamlit n'a pas démarré : " + process.stdout.read().decode()[-2000:]
        )
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server):
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        # Upstream streamlit#8860: the first session of a fresh headless server that opens a deep
        # link gets a "Page not found" notice; one visit of the root page first avoids it.
        page = instance.new_page()
        page.goto(server)
        page.locator("h1").first.wait_for(timeout=60_000)
        page.close()
        yield instance
        instance.close()


class Watch:
    """Records failed requests and blocks (and records) any request to another host."""

    def __init__(self, page):
        self.failed: list[str] = []
        self.outside: list[str] = []
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.route("**/*", self._route)

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()


def open_page(browser, url: str, title: str, name: str):
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="fr-FR")
    watch = Watch(page)
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(1500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return page, watch


@pytest.mark.parametrize("path", list(PAGES))
def test_page_opens_cleanly_in_chromium(server, browser, path):
    page, watch = open_page(
        browser, f"{server}/{path}?territoire=200068666", PAGES[path], path or "vue-d-ensemble"
    )
    try:
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Page not found").count() == 0
        assert watch.failed == [], watch.failed
        assert watch.outside == [], watch.outside
        assert "territoire=200068666" in page.url
    finally:
        page.close()


def test_map_draws_one_path_per_commune_with_no_outside_request(server, browser):
    page, watch = open_page(
        browser, f"{server}/carte?territoire=200068666", PAGES["carte"], "carte-60"
    )
    try:
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        paths = frame.locator("path.leaflet-interactive")
        paths.first.wait_for(timeout=30_000)
        assert paths.count() == 60
        assert watch.outside == [], watch.outside
        assert watch.failed == [], watch.failed
    finally:
        page.close()


def test_territory_link_opens_the_same_territory(server, browser):
    page, _ = open_page(
        browser,
        f"{server}/plan-d-action?territoire=245400601",
        PAGES["plan-d-action"],
        "plan-pompey",
    )
    try:
        assert page.get_by_text("CC du Bassin de Pompey").first.is_visible()
    finally:
        page.close()


def test_shared_filtered_link_shows_the_same_rows(server, browser, demo_db):
    expected = {
        r[0]
        for r in demo_db.execute(
            "select code from action_status where territory_id = 'saint-dizier'"
            " and root_item_id = 'saint-dizier:P1' and status = 'En cours'"
        ).fetchall()
    }
    url = f"{server}/plan-d-action?territoire=200068666&element=P1&statut=En%20cours"
    page, watch = open_page(browser, url, PAGES["plan-d-action"], "plan-filtre")
    try:
        assert page.get_by_text(f"{len(expected)} action(s) sur 56").first.is_visible()
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Télécharger (CSV)").first.click()
        path = download_info.value.path()
        rows = Path(path).read_text(encoding="utf-8-sig").splitlines()
        assert rows[0].startswith("Code;Action;Statut")
        assert {line.split(";")[0] for line in rows[1:]} == expected
        assert "element=P1" in page.url
        assert watch.outside == []
    finally:
        page.close()


def test_funding_page_shows_the_sankey_and_its_tables(server, browser):
    page, watch = open_page(
        browser, f"{server}/financements?territoire=200053742", PAGES["financements"], "fin-hdf"
    )
    try:
        page.get_by_role("tab", name="Flux").click()
        nodes = page.locator("g.sankey-node")
        nodes.first.wait_for(timeout=30_000)
        assert nodes.count() >= 3
        assert nodes.filter(has_text="Europe").count() == 1
        panel = page.get_by_role("tabpanel", name="Flux")
        assert panel.locator('[data-testid="stDataFrame"]').count() == 1
        page.wait_for_timeout(1500)  # the Sankey re-lays itself out once its tab is shown
        page.screenshot(path=str(SCREENSHOTS / "financements-flux.png"))
        for tab in ("Par financeur", "Effet de levier", "Budget (PPI)", "Portefeuille"):
            page.get_by_role("tab", name=tab).click()
            assert (
                page.get_by_role("tabpanel", name=tab)
                .locator('[data-testid="stDataFrame"]')
                .count()
                >= 1
            )
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.outside == []
    finally:
        page.close()
