"""The screens for directors and analysts in real Chromium (#21): at 1366×768 the columns a user
needs are in view without sideways scrolling; « À surveiller » is in the first screen of Vue
d'ensemble at both sizes; a fiche opens from a table in one click and from the keyboard."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.browser_support import PAGES, SCREENSHOTS, VIEWPORTS, open_viewport

LAPTOP = VIEWPORTS["1366x768"]
SAINT_DIZIER = "200068666"
HAUTS_DE_FRANCE = "200053742"
TWO = (SAINT_DIZIER, HAUTS_DE_FRANCE)  # a small plan with demo money, a large real portfolio

PLAN_HEADERS = ["Code", "Action", "Statut", "Avancement", "Fin prévue", "Service pilote"]
CONTRACT_HEADERS = ["Contrat", "Enveloppe (€)", "Demandé (€)", "Accordé (€)", "Versé (€)"]
# (page, territory, extra URL parameters, the table's accessible caption, headers needed)
NEEDED_COLUMNS = [
    *[("plan-d-action", siren, "", "Actions", PLAN_HEADERS) for siren in TWO],
    *[
        ("financements", siren, "", "Contrats", [*CONTRACT_HEADERS, "Consommation"])
        for siren in TWO
    ],
    (
        "fiche-action",
        SAINT_DIZIER,
        "&action=P2.A1.O2.a4",
        "Financements de l'action",
        ["Financeur", "Contrat", "Dispositif", "Demandé (€)", "Accordé (€)", "Versé (€)"],
    ),
    (
        "mes-actions",
        SAINT_DIZIER,
        f"&pilote={quote('Direction des mobilités')}",
        "Actions",
        ["Action", "À traiter", "Statut", "Avancement", "Fin prévue"],
    ),
]

# Where each header of the captioned table is, and whether anything scrolls sideways.
COLUMNS_JS = """(caption) => {
    const table = [...document.querySelectorAll('table.pilotage-table')]
        .find(t => t.caption && t.caption.innerText.trim() === caption);
    if (!table) return null;
    const wrap = table.closest('.pilotage-table-wrap');
    const main = document.getElementById('stMain') || document.scrollingElement;
    return {
        headers: [...table.querySelectorAll('th')].map(th => {
            const box = th.getBoundingClientRect();
            return {text: th.innerText.trim(), left: box.left, right: box.right};
        }),
        wrapScrolls: wrap.scrollWidth > wrap.clientWidth + 1,
        pageScrolls: document.documentElement.scrollWidth > window.innerWidth + 1
            || main.scrollWidth > main.clientWidth + 1,
        width: window.innerWidth,
    };
}"""


@pytest.mark.parametrize(("path", "siren", "extra", "caption", "needed"), NEEDED_COLUMNS)
def test_needed_columns_in_view_on_a_laptop(browser, server, path, siren, extra, caption, needed):
    page = open_viewport(browser, f"{server}/{path}?territoire={siren}{extra}", PAGES[path], LAPTOP)
    try:
        found = page.evaluate(COLUMNS_JS, caption)
        page.locator("table.pilotage-table").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"screens-columns-{path}-{siren}.png"))
        assert found is not None, f"{path} : pas de tableau « {caption} »"
        headers = {h["text"]: h for h in found["headers"]}
        assert set(needed) <= set(headers), (path, list(headers))
        for label in needed:
            box = headers[label]
            assert box["left"] >= 0, (path, label, box)
            assert box["right"] <= found["width"], (path, label, box)
        assert not found["wrapScrolls"], f"{path} : le tableau défile horizontalement"
        assert not found["pageScrolls"], f"{path} : la page défile horizontalement"
    finally:
        page.close()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_watchlist_in_the_first_screen(browser, server, size):
    width, height = VIEWPORTS[size]
    page = open_viewport(
        browser, f"{server}/?territoire={SAINT_DIZIER}", PAGES[""], (width, height)
    )
    try:
        heading = page.get_by_role("heading", name="À surveiller", exact=True).first
        box = heading.bounding_box()
        first_row = page.locator("table.pilotage-table tbody tr").first.bounding_box()
        page.screenshot(path=str(SCREENSHOTS / f"screens-overview-{size}.png"))
        assert box["y"] + box["height"] < height, box
        assert first_row["y"] + first_row["height"] < height, first_row  # a late action shows
    finally:
        page.close()


def test_one_click_opens_the_fiche_from_the_plan_table(browser, server):
    page = open_viewport(
        browser, f"{server}/plan-d-action?territoire={SAINT_DIZIER}", PAGES["plan-d-action"], LAPTOP
    )
    try:
        link = page.locator("table.pilotage-table a").first
        title = link.inner_text()
        link.click()
        page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
        assert "fiche-action" in page.url
        assert f"territoire={SAINT_DIZIER}" in page.url
    finally:
        page.close()


def test_keyboard_alone_reaches_and_opens_a_fiche(browser, server):
    """From the skip link, Tab reaches the first action of « Mes actions » and Enter opens it."""
    url = (
        f"{server}/mes-actions?territoire={SAINT_DIZIER}&pilote={quote('Direction des mobilités')}"
    )
    page = open_viewport(browser, url, PAGES["mes-actions"], LAPTOP)
    try:
        page.keyboard.press("Tab")  # « Aller au contenu principal »
        page.keyboard.press("Enter")
        in_table = "() => !!document.activeElement.closest('table.pilotage-table a')"
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate(in_table):
                break
        assert page.evaluate(in_table), "aucun lien de tableau atteint au clavier"
        title = page.evaluate("() => document.activeElement.innerText")
        page.screenshot(path=str(SCREENSHOTS / "screens-keyboard-link.png"))
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
        assert "fiche-action" in page.url
    finally:
        page.close()


# Every metric label of a page: its text, and whether it is cut (« … ») in its box.
METRIC_LABELS_JS = """() => [...document.querySelectorAll('[data-testid="stMetricLabel"]')]
    .map(label => ({text: label.innerText.trim(), cut: [label, ...label.querySelectorAll('*')]
        .some(e => e.scrollWidth > e.clientWidth + 1)}))"""


@pytest.mark.parametrize("path", ["evolutions", "", "resultats"])
def test_metric_labels_are_never_cut_on_a_laptop(browser, server, path):
    page = open_viewport(browser, f"{server}/{path}?territoire={SAINT_DIZIER}", PAGES[path], LAPTOP)
    try:
        # The page's last elements may still be on their way (skeletons) after its first ones.
        page.wait_for_function(
            """() => document.querySelector('[data-testid="stMetricLabel"]')
                && !document.querySelector('[data-testid="stSkeleton"]')
                && !document.querySelector('[data-testid="stStatusWidget"]')""",
            timeout=60_000,
        )
        labels = page.evaluate(METRIC_LABELS_JS)
        assert [label["text"] for label in labels if label["cut"]] == []
        if path == "evolutions":  # the longest labels of the demo's changes
            assert "Fin prévue repoussée" in [label["text"] for label in labels]
    finally:
        page.close()
