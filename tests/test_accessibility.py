"""Accessibility (RGAA 4.1 / WCAG 2.2 AA) in real Chromium on the Saint-Dizier demo: axe-core on
every page at 1920×1080 and 1366×768, French language, skip link and visible focus, no English
leftovers, the charts' French configuration and text alternative; the statement page by AppTest.

The violations still to fix are listed, with their French description, in
dashboard/templates/accessibility_audit.json (shown by the statement page): the run must find
exactly those, so the test fails when a new one appears and when a listed one is fixed."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from bench import proxy
from dashboard.maps import LocalLeafletMap
from dashboard.ui import accessibility
from dashboard.ui.chart_view import DATA_LABEL, PLOTLY_CONFIG
from tests.browser_support import (
    PAGES,
    SCREENSHOTS,
    VIEWPORTS,
    open_viewport,
    run_axe,
    running_app,
)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TERRITORY = "200068666"
# Strings the English front end would show; whole words, in the rendered text of every page
# and its frames (the map's), in the open multiselect's list, and in what screen readers read
# (aria-label, title, placeholder, plotly's data-title).
ENGLISH = [
    "Select all",
    "Download plot as a PNG",
    "Download plot",
    "Autoscale",
    "Reset axes",
    "Box Select",
    "Lasso Select",
    "Zoom in",
    "Zoom out",
    "Search",
    "Fullscreen",
    "Show/hide columns",
    "Download as CSV",
    "Skip to main content",
    "Page not found",
    "Drag and drop",
    "Browse files",
    "Upload",
    "per file",
    "file upload",
    "Link to heading",
    "Help for",
    "None",
    "True",
    "False",
    "NaN",
    "miles",
]
ENGLISH_PATTERN = re.compile(
    r"\b(" + "|".join(map(re.escape, ENGLISH)) + r")\b|\d\s?mi\b|\d\s?ft\b"
)
LABELS_JS = """() => [...document.querySelectorAll(
        '[aria-label],[title],[placeholder],[data-title]')]
    .flatMap(e => ['aria-label', 'title', 'placeholder', 'data-title']
    .map(a => e.getAttribute(a)).filter(Boolean))"""


# The summary chart_view.render_chart writes just before each chart (None: a chart without it).
CHART_SUMMARIES_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .map(chart => {
        const box = chart.closest('[data-testid="stElementContainer"]');
        const before = box && box.previousElementSibling;
        const summary = before && before.querySelector('.pilotage-sr-only');
        return summary ? summary.textContent : null; })"""
# Every chart, the Mode commission's included, is drawn by chart_view.render_chart.
CHARTS_WITHOUT_SUMMARY: set[str] = set()  # every chart has its summary


# The Tab stops of each drawn chart's modebar, read in one pass (a chart redrawn between two
# reads would be counted in one and not the other).
MODEBAR_STOPS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .map(gd => [...gd.querySelectorAll('.modebar a, .modebar button')]
        .filter(e => e.tabIndex >= 0 && getComputedStyle(e).display !== 'none')
        .map(e => e.getAttribute('data-title')))"""


def frames_text(page) -> str:
    """Rendered text and accessible labels of the page and of each of its frames."""
    parts = []
    for frame in page.frames:
        try:
            parts.append(frame.evaluate("() => document.body ? document.body.innerText : ''"))
            parts.extend(frame.evaluate(LABELS_JS))
        except Exception as error:  # a frame navigating away while read
            parts.append(f"(cadre illisible : {error})")
    return "\n".join(parts)


def visit(browser, server: str, size: str, path: str) -> dict:
    page = open_viewport(
        browser, f"{server}/{path}?territoire={TERRITORY}", PAGES[path], VIEWPORTS[size]
    )
    # Streamlit draws a chart once it scrolls into view: every visible one is drawn first.
    for chart in page.locator("[data-testid='stPlotlyChart']").all():
        if chart.is_visible():
            chart.scroll_into_view_if_needed()
            chart.locator(".js-plotly-plot").wait_for(timeout=30_000)
    page.evaluate("() => document.getElementById('stMain')?.scrollTo(0, 0)")
    # A chart below the first screen may still be redrawing once scrolled to (a slow machine):
    # every chart element holds its drawn plot, every plot its modebar (plotly adds it after the
    # plot's class), and no element is stale, before reading.
    page.wait_for_function(
        """() => !document.querySelector('[data-stale="true"]')
            && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                .filter(c => c.offsetParent !== null)
                .every(c => c.querySelector('.js-plotly-plot'))
            && [...document.querySelectorAll('.js-plotly-plot')]
                .every(gd => gd._fullLayout && gd.querySelector('.modebar'))""",
        timeout=30_000,
    )
    result = {
        "violations": run_axe(page),
        "modebars": page.evaluate(MODEBAR_STOPS_JS),
        "summaries": page.evaluate(CHART_SUMMARIES_JS),
        "lang": page.evaluate("() => document.documentElement.lang"),
        "text": frames_text(page),
    }
    if path == "plan-d-action":  # the « Statut » multiselect's open list
        page.locator("[data-testid='stMultiSelect']").first.click()
        page.get_by_role("option").first.wait_for(timeout=10_000)
        result["text"] += "\n" + page.locator("[role='listbox']").first.inner_text()
        result["select_all"] = page.get_by_role("option").first.inner_text()
        page.keyboard.press("Escape")
    if path == "accessibilite":
        result["chart"] = page.evaluate(
            """() => { const gd = document.querySelector('.js-plotly-plot');
                return {locale: gd._context.locale,
                        buttons: [...gd.querySelectorAll('.modebar-btn')]
                            .filter(b => getComputedStyle(b).display !== 'none')
                            .map(b => b.getAttribute('data-title'))}; }"""
        )
        result["summary"] = page.locator(".pilotage-sr-only").first.inner_text()
    if path == "" and size == "1366x768":
        result["keyboard"] = keyboard_walk(page)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{size}-{path or 'vue-d-ensemble'}.png"))
    page.close()
    return result


def keyboard_walk(page) -> dict:
    """The first Tab stop, where Enter on it leads, the focus ring of the next stops, and the
    Tab stops inside plotly's modebars."""
    focused = """() => { const e = document.activeElement, s = getComputedStyle(e);
        const box = e.getBoundingClientRect();
        return {text: e.innerText, cls: e.className, id: e.id, outline: s.outlineStyle,
                width: parseFloat(s.outlineWidth), top: box.top, testid: e.dataset.testid}; }"""
    page.keyboard.press("Tab")
    first = page.evaluate(focused)
    page.screenshot(path=str(SCREENSHOTS / "a11y-skip-link.png"))
    page.keyboard.press("Enter")
    after_enter = page.evaluate(focused)
    page.locator("[data-testid='stSidebarNavLink']").first.focus()
    page.keyboard.press("Tab")  # arriving by keyboard, so :focus-visible applies
    sidebar = page.evaluate(focused)
    page.screenshot(path=str(SCREENSHOTS / "a11y-focus-sidebar.png"))
    return {
        "first": first,
        "after_enter": after_enter,
        "sidebar": sidebar,
    }


@pytest.fixture(scope="module")
def visits(server: str, browser) -> dict[tuple[str, str], dict]:
    """Every page at both sizes, once, for all the checks below."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return {
        (size, path): visit(browser, server, size, path) for size in VIEWPORTS for path in PAGES
    }


def test_axe_finds_exactly_the_listed_violations(visits):
    found = {
        (size, f"/{path}", violation["id"]): len(violation["nodes"])
        for (size, path), result in visits.items()
        for violation in result["violations"]
    }
    listed = {
        (size, item["page"], item["rule"])
        for item in accessibility.load_audit()["known"]
        for size in item["viewports"]
    }
    details = {
        key: [node["target"] + " — " + node["summary"] for node in violation["nodes"]][:5]
        for (size, path), result in visits.items()
        for violation in result["violations"]
        if (key := (size, f"/{path}", violation["id"])) not in listed
    }
    assert set(found) - listed == set(), f"nouvelles violations : {details}"
    assert listed - set(found) == set(), "corrigées : retirez-les de accessibility_audit.json"


def test_every_page_is_french(visits):
    for (size, path), result in visits.items():
        assert result["lang"] == "fr", (size, path)
        leftovers = sorted({m.group(0) for m in ENGLISH_PATTERN.finditer(result["text"])})
        assert leftovers == [], f"{size} /{path} : {leftovers}"
    assert visits[("1366x768", "plan-d-action")]["select_all"] == "Tout sélectionner"


def test_skip_link_first_and_focus_visible(visits):
    keyboard = visits[("1366x768", "")]["keyboard"]
    assert keyboard["first"]["text"] == "Aller au contenu principal"
    assert keyboard["first"]["top"] >= 0, "the skip link shows when focused"
    assert keyboard["first"]["outline"] != "none"
    assert keyboard["after_enter"]["id"] == "stMain"
    assert keyboard["sidebar"]["testid"] == "stSidebarNavLink"
    assert keyboard["sidebar"]["outline"] == "solid"
    assert keyboard["sidebar"]["width"] >= 2


def test_chart_modebars_take_one_french_tab_stop(visits):
    """Each chart's modebar: one Tab stop, « Télécharger… PNG » (was 8, in English), on the
    charts of chart_view.render_chart and on those still drawn by st.plotly_chart alike."""
    charted = {path for (_size, path), result in visits.items() if result["modebars"]}
    # Vue d'ensemble ("") and Indicateurs draw charts in view; Plan d'action's sit in a tab.
    assert {"accessibilite", "indicateurs"} <= charted
    for (size, path), result in visits.items():
        png = "Télécharger le graphique en fichier PNG"
        assert all(stops == [png] for stops in result["modebars"]), (size, path)


def test_every_chart_has_its_summary(visits):
    """Each chart on every page (its tabs included) follows its one-sentence summary for screen
    readers: a chart drawn without chart_view.render_chart fails here."""
    seen = 0
    for (size, path), result in visits.items():
        if path in CHARTS_WITHOUT_SUMMARY:
            continue
        for summary in result["summaries"]:
            assert summary is not None, f"{size} /{path} : graphique sans résumé"
            assert summary.startswith("Graphique : "), (size, path, summary)
            assert len(summary) > 30, (size, path, summary)
            seen += 1
    assert seen >= 2 * 6  # overview, plan, calendar, funding, indicators, statement at both sizes


def test_chart_is_french_with_a_text_alternative(visits):
    result = visits[("1920x1080", "accessibilite")]
    assert result["chart"] == {
        "locale": "fr",
        "buttons": ["Télécharger le graphique en fichier PNG"],
    }
    assert result["summary"].startswith("Graphique : axe-core a relevé")


def test_render_chart_by_apptest():
    def app():
        import pandas as pd
        import plotly.graph_objects as go

        from dashboard.ui.chart_view import render_chart

        data = pd.DataFrame({"Commune": ["Eurville-Bienville"], "Actions": [3]})
        fig = go.Figure(go.Bar(x=data["Commune"], y=data["Actions"]))
        render_chart(fig, "Trois actions à Eurville-Bienville <b>", data, key="demo")

    at = AppTest.from_function(app).run()
    assert not at.exception
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["locale"] == "fr"
    assert config["modeBarButtons"] == [["toImage"]]
    assert config["locales"]["fr"]["dictionary"]["Zoom in"] == "Zoom intérieur"
    assert at.expander[0].label == DATA_LABEL
    assert at.dataframe[0].value.columns.tolist() == ["Commune", "Actions"]
    html = at.get("html")[0].proto.body
    assert "Eurville-Bienville &lt;b&gt;" in html
    assert "pilotage-sr-only" in html


def test_plotly_french_locale_is_complete():
    locale = PLOTLY_CONFIG["locales"]["fr"]
    assert (
        locale["dictionary"]["Download plot as a PNG"] == "Télécharger le graphique en fichier PNG"
    )
    assert locale["format"]["decimal"] == ","
    assert locale["format"]["months"][7] == "Août"


def test_statement_page(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["territoire"] = TERRITORY
    at.run()
    at.switch_page("pages/accessibility.py").run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    for heading in (
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Voies de recours",
    ):
        assert f"## {heading}" in text
    assert "non conforme" in text
    assert "Défenseur des droits" in text
    assert "$" not in text.replace("$ ", "")  # every placeholder filled
    audit = accessibility.load_audit()
    for item in audit["known"]:
        assert item["description"] in text
    for limit in audit["limits"]:
        assert limit in text
    assert f"{audit['before']} défauts relevés avant corrections" in text


def test_audit_figure_matches_its_table():
    table = accessibility.build_audit_table({"before": 88, "after": 3})
    fig = accessibility.build_audit_figure(table)
    assert isinstance(fig, go.Figure)
    assert list(fig.data[0].y) == [88, 3]
    assert isinstance(table, pd.DataFrame)


def test_nginx_serves_the_first_byte_in_french(server, tmp_path_factory):
    """Behind deploy/nginx.conf, index.html is French before any script runs."""
    if proxy.nginx_path() is None:
        pytest.fail("nginx absent : installez-le (make nginx, ou apt-get install nginx-light)")
    with proxy.nginx_in_front(server, tmp_path_factory.mktemp("nginx-fr")) as (front, _pid):
        index = urllib.request.urlopen(f"{front}/carte", timeout=10).read().decode()
    assert '<html lang="fr">' in index
    assert "<title>Pilotage territorial</title>" in index
    direct = urllib.request.urlopen(f"{server}/", timeout=10).read().decode()
    assert '<html lang="en">' in direct  # Streamlit alone: the app's script sets it


def test_map_page_is_french_metric_and_zoomable():
    html = LocalLeafletMap(tiles=None, location=[48.64, 4.95], zoom_start=9).get_root().render()
    assert "L.control.scale({metric: true, imperial: false})" in html
    assert 'zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"' in html
    assert "user-scalable=no" not in html
    assert "maximum-scale" not in html


def test_first_deep_link_of_a_fresh_server(demo_warehouse: Path, browser):
    """streamlit#8860: the very first session opening /carte gets no « Page not found » dialog
    (the app closes Streamlit's wrong one); a mistyped address still says so, in French."""
    with running_app(demo_warehouse) as server:  # `browser` never visited this one
        size = VIEWPORTS["1366x768"]
        page = open_viewport(
            browser, f"{server}/carte?territoire={TERRITORY}", PAGES["carte"], size
        )
        # Closed as soon as the navigation is there (a loaded server may send it late).
        page.locator("[role='dialog']").first.wait_for(state="detached", timeout=30_000)
        assert page.locator("[role='dialog']").count() == 0
        text = frames_text(page)
        assert "Page not found" not in text
        assert "Page introuvable" not in text
        page.close()
        page = open_viewport(browser, f"{server}/pas-de-page", PAGES[""], size)
        dialog = page.locator("[role='dialog']")
        assert "Page introuvable" in dialog.inner_text()
        assert "la page d'accueil est affichée" in dialog.inner_text()
        page.close()
