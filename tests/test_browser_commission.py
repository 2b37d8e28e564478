"""Commission mode and Évolutions in headless Chromium: keyboard navigation, no sidebar, the
screen in the URL, every screen of every demo territory's default agenda within a 1920×1080
projector, and the change list of the demo's last commission."""

from __future__ import annotations

import re

import pytest

from tests.browser_support import SCREENSHOTS, open_page, wait_settled

pytestmark = pytest.mark.browser


def settle(page) -> None:
    """Wait until the script run is over: a key pressed during a rerun can be lost."""
    wait_settled(page)


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
        # The change list is an HTML table (dashboard/templates/action_table.html).
        page.locator("table.pilotage-table th", has_text="Changement").first.wait_for(
            timeout=30_000
        )
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.failed == [], watch.failed
    finally:
        page.close()


DEMO_SIRENS = ["200068666", "245400601", "242100410", "200053742"]
PROJECTOR = {"width": 1920, "height": 1080}
# How far the screen's content reaches: the document, any scrolling box of the main area, the
# lowest element of the main block, and whether a table is wider than its box (cut text).
MEASURE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const boxes = [document.scrollingElement, main, ...main.querySelectorAll('*')].filter(e => {
    const style = getComputedStyle(e);
    return e === document.scrollingElement || /(auto|scroll)/.test(style.overflowY);
  });
  const block = main.querySelector('[data-testid="stMainBlockContainer"]');
  const bottoms = [...block.querySelectorAll('[data-testid="stElementContainer"]')]
    .map(e => e.getBoundingClientRect()).filter(r => r.height > 0).map(r => r.bottom);
  const tables = [...main.querySelectorAll('table')];
  return {
    scroll: Math.max(...boxes.map(e => e.scrollHeight - e.clientHeight)),
    bottom: Math.max(...bottoms),
    wide: tables.filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length,
    title: main.querySelector('h1')?.innerText,
  };
}"""
DRAWN = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
         .every(c => c.querySelector('.main-svg'))"""


LAYOUT = """() => [...document.querySelectorAll(
    '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')]
    .map(e => Math.round(e.getBoundingClientRect().height)).join(',')"""


def settle_drawn(page) -> None:
    """Wait until the screen is drawn and stays so: the status widget can be absent for a moment
    before a run starts, and a chart is a placeholder until plotly has drawn it."""
    previous = None
    for _ in range(60):
        page.wait_for_function(DRAWN, timeout=60_000)
        layout = page.evaluate(LAYOUT)
        if layout == previous:
            return
        previous = layout
        page.wait_for_timeout(300)  # the layout must stay the same for this long
    raise AssertionError("l'écran ne se stabilise pas")


def screen_number(page) -> tuple[int, int]:
    """(current, total) from the screen list's shown value « i / n — title »."""
    shown = page.get_by_role("combobox", name="Écran").input_value()
    found = re.search(r"(\d+) / (\d+) — ", shown)
    assert found, shown
    return int(found[1]), int(found[2])


def test_every_screen_of_every_default_agenda_fits_a_projector(server, browser):
    """One page, one session per territory: ← → through the whole default agenda, measuring
    each screen once drawn (charts included)."""
    page = browser.new_page(viewport=PROJECTOR, locale="fr-FR")
    too_tall, walked = [], {}
    try:
        for siren in DEMO_SIRENS:
            page.goto(f"{server}/mode-commission?territoire={siren}")
            page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
            settle_drawn(page)
            _, total = screen_number(page)
            walked[siren] = total
            for number in range(1, total + 1):
                settle_drawn(page)
                assert screen_number(page) == (number, total)
                assert f"ecran={number}" in page.url
                measured = page.evaluate(MEASURE)
                assert page.locator('[data-testid="stException"]').count() == 0
                if measured["scroll"] > 0 or measured["bottom"] > 1080 or measured["wide"]:
                    too_tall.append((siren, number, measured))
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SCREENSHOTS / f"commission_{siren}_{number}.png"))
                if number < total:
                    page.keyboard.press("ArrowRight")
                    page.wait_for_url(f"**ecran={number + 1}**", timeout=30_000)
    finally:
        page.close()
    assert too_tall == [], too_tall
    # The default agendas are those of the territories, Hauts-de-France's kept short.
    assert set(walked) == set(DEMO_SIRENS)
    assert walked["200053742"] < 47
