"""The running app in headless Chromium: every page opens with no exception box, no failed
request and no request leaving the machine; the map draws one path per commune."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import journal
from tests.browser_support import PAGES, SCREENSHOTS, click_download, open_page, wait_settled

SANKEY_BOXES = """() => [...document.querySelectorAll('g.sankey-node')]
    .map(node => JSON.stringify(node.getBoundingClientRect())).join()"""

pytestmark = pytest.mark.browser


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


def test_map_draws_one_path_per_commune_with_no_outside_request(server, browser, demo_db):
    page, watch = open_page(
        browser, f"{server}/carte?territoire=200068666", PAGES["carte"], "carte-60"
    )
    try:
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        paths = frame.locator("path.leaflet-interactive:not(.action-marker)")
        paths.first.wait_for(timeout=30_000)
        assert paths.count() == 60
        markers = frame.locator("path.action-marker")
        expected_markers = demo_db.execute(
            "select count(*) from actions where territory_id = 'saint-dizier'"
            " and latitude is not null"
        ).fetchone()[0]
        assert markers.count() == expected_markers == 2
        paths.nth(30).dispatch_event("click")  # a commune: its actions and indicators show beside
        page.get_by_text("action(s) localisée(s) dans cette commune").wait_for(timeout=30_000)
        page.get_by_text("Population légale (2026)").first.wait_for(timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
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


def test_shared_filtered_link_shows_the_same_rows(server, browser, demo_db, server_files):
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
        path = click_download(page, "Télécharger (CSV)").path()
        rows = Path(path).read_text(encoding="utf-8-sig").splitlines()
        assert rows[0].startswith("Code;Action;Statut")
        assert {line.split(";")[0] for line in rows[1:]} == expected
        assert "element=P1" in page.url
        assert watch.outside == []
        exports = journal.read(server_files / "journal.jsonl")
        assert exports[-1]["event"] == "export"
        assert exports[-1]["file"].endswith(".csv")
        assert exports[-1]["territory"] == "200068666"
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
        # The Sankey lays itself out again once its tab is shown: its nodes stay put first.
        wait_settled(page, also=SANKEY_BOXES)
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
