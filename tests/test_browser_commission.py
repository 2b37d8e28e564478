"""Commission mode and Évolutions in headless Chromium: keyboard navigation, no sidebar, the
screen in the URL, and the change list of the demo's last commission."""

from __future__ import annotations

import pytest

from tests.browser_support import open_page

pytestmark = pytest.mark.browser


def settle(page) -> None:
    """Wait until the script run is over: a key pressed during a rerun can be lost."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(500)


def main_title(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text()


def test_commission_mode_moves_with_the_arrow_keys(server, browser, demo_db):
    roots = demo_db.execute(
        "select level, code, title from plan_items where territory_id = 'saint-dizier'"
        " and depth = 1 order by sort_order"
    ).fetchall()
    page, watch = open_page(
        browser, f"{server}/mode-commission?territoire=200068666", "Synthèse", "commission"
    )
    try:
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.get_by_text("données au").first.is_visible()
        page.get_by_role("button", name="Suivant").wait_for(state="visible", timeout=30_000)
        settle(page)
        page.keyboard.press("ArrowRight")
        level, code, title = roots[0]
        expected = f"{level.capitalize()} {code} — {title}"
        page.wait_for_function(
            "t => document.querySelector('[data-testid=\"stMain\"] h1')?.innerText === t",
            arg=expected,
            timeout=30_000,
        )
        page.wait_for_url("**ecran=2**", timeout=30_000)
        settle(page)
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stMain\"] h1')?.innerText === 'Synthèse'",
            timeout=30_000,
        )
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.outside == [], watch.outside
    finally:
        page.close()


def test_evolutions_lists_the_demo_changes_and_a_link_keeps_the_pair(server, browser):
    page, watch = open_page(
        browser, f"{server}/evolutions?territoire=200068666", "Évolutions", "evolutions"
    )
    try:
        page.get_by_text("action(s) modifiée(s)").wait_for(timeout=30_000)
        assert "avant=" in page.url
        assert "apres=" in page.url
        before = page.get_by_role("combobox", name="Avant").input_value()
        assert before == "État saisi au 22/09/2026 (démo)"
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.wait_for(timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.failed == [], watch.failed
    finally:
        page.close()
