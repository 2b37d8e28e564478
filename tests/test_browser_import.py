"""Import through the browser: sign in, `set_input_files` an invalid then a valid workbook, read
the report and the preview, publish, restore; a reader never sees the page. Screenshots of the
import and quality pages at 1920x1080 and 1366x768 go to test-results/screenshots/import/."""

from __future__ import annotations

import shutil

import pytest

from etl import pipeline, publish
from tests import import_support as wb
from tests.browser_support import SCREENSHOTS, Watch, chromium, running_app, wait_settled
from tests.conftest import EDITOR, READER

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
SHOTS = SCREENSHOTS / "import"


@pytest.fixture(scope="module")
def env(tmp_path_factory, demo_warehouse, accounts_file):
    tmp = tmp_path_factory.mktemp("browser_import")
    sources = tmp / "sources"
    shutil.copytree(pipeline.SOURCES_DIR, sources)
    warehouse = tmp / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, warehouse)
    patcher = pytest.MonkeyPatch()
    patcher.setenv("PILOTAGE_SOURCES", str(sources))
    patcher.setenv("PILOTAGE_PUBLICATIONS", str(tmp / "publications"))
    patcher.setenv("PILOTAGE_ACCOUNTS", str(accounts_file))
    with running_app(warehouse) as base, chromium(base) as browser:
        yield {"base": base, "browser": browser, "sources": sources, "warehouse": warehouse}
    patcher.undo()


def settle(page) -> None:
    wait_settled(page, timeout=300_000)


def signed_in(env, account, size=(1600, 1000)):
    page = env["browser"].new_page(viewport={"width": size[0], "height": size[1]}, locale="fr-FR")
    watch = Watch(page)
    page.goto(f"{env['base']}/?territoire={wb.SIREN}")
    page.locator("h1").first.wait_for(timeout=120_000)
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Connexion").click()
    sidebar.get_by_label("Identifiant").fill(account[0])
    sidebar.get_by_label("Mot de passe").fill(account[1])
    sidebar.get_by_role("button", name="Se connecter").click()
    sidebar.get_by_text("Connecté :").wait_for(timeout=120_000)
    settle(page)
    return page, watch


def open_import(page) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Importer des données").click()
    page.get_by_role("heading", name="Importer des données").wait_for(timeout=120_000)
    settle(page)


def upload(page, data: bytes) -> None:
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "plan.xlsx", "mimeType": XLSX, "buffer": data}]
    )
    page.get_by_text("Rapport de vérification").wait_for(timeout=300_000)
    settle(page)


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_invalid_upload_shows_errors_and_publishes_nothing(env):
    before = wb.folder_digest(env["sources"] / wb.TERRITORY), wb.digest(env["warehouse"])
    for size_name, size in SIZES.items():
        page, watch = signed_in(env, EDITOR, size)
        open_import(page)
        upload(page, wb.broken_workbook(env["sources"], env["sources"].parent))
        assert metric(page, "Erreurs bloquantes") == "2"
        page.get_by_text("Des erreurs bloquantes empêchent la publication").wait_for()
        assert page.get_by_role("button", name="Publier ces données").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.outside == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator('[data-testid="stDataFrame"]').first.scroll_into_view_if_needed()
        wait_settled(page)  # what scrolled into view is drawn
        page.screenshot(path=str(SHOTS / f"import-erreurs-{size_name}.png"))
        page.close()
    assert (wb.folder_digest(env["sources"] / wb.TERRITORY), wb.digest(env["warehouse"])) == before


def test_valid_upload_preview_publish_and_restore(env):
    data, facts = wb.edited_workbook(env["sources"], env["sources"].parent)
    page, watch = signed_in(env, EDITOR, SIZES["1366x768"])
    open_import(page)
    upload(page, data)
    page.get_by_text("Ce qui changera").wait_for(timeout=300_000)
    assert metric(page, "Erreurs bloquantes") == "0"
    assert metric(page, "Actions ajoutées") == "1"
    assert metric(page, "Actions supprimées") == "1"
    assert metric(page, "Actions modifiées") == "1"
    page.get_by_text("Ce qui changera").scroll_into_view_if_needed()
    wait_settled(page)  # what scrolled into view is drawn
    page.screenshot(path=str(SHOTS / "import-apercu-1366x768.png"))
    assert wb.NEW_CODE not in wb.action_codes(env["warehouse"])

    publish_button = page.get_by_role("button", name="Publier ces données")
    publish_button.wait_for(timeout=300_000)
    publish_button.click()
    page.get_by_text("Données publiées").wait_for(timeout=300_000)
    settle(page)
    assert wb.NEW_CODE in wb.action_codes(env["warehouse"])
    assert facts["removed"] not in wb.action_codes(env["warehouse"])
    record = publish.list_publications(wb.TERRITORY)[0]
    assert record["user"] == EDITOR[0]

    restore_button = page.get_by_role("button", name="Restaurer", exact=True)
    restore_button.wait_for(timeout=300_000)
    restore_button.click()
    page.get_by_text("restaurée").wait_for(timeout=300_000)
    settle(page)
    assert wb.NEW_CODE not in wb.action_codes(env["warehouse"])
    assert facts["removed"] in wb.action_codes(env["warehouse"])
    assert page.locator('[data-testid="stException"]').count() == 0
    assert watch.outside == []
    page.close()


def test_reader_has_no_import_page(env):
    page, _ = signed_in(env, READER)
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("Qualité des données").count() == 1
    assert nav.get_by_text("Importer des données").count() == 0
    page.close()


def test_quality_page_screenshots(env):
    for size_name, (width, height) in SIZES.items():
        page = env["browser"].new_page(viewport={"width": width, "height": height})
        page.goto(f"{env['base']}/qualite?territoire={wb.SIREN}")
        page.get_by_role("heading", name="Qualité des données").wait_for(timeout=120_000)
        settle(page)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=120_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=120_000)
        page.get_by_role("tab", name="Par service pilote").click()
        wait_settled(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(SHOTS / f"qualite-{size_name}.png"))
        page.get_by_text("Provenance", exact=True).scroll_into_view_if_needed()
        wait_settled(page)  # what scrolled into view is drawn
        page.screenshot(path=str(SHOTS / f"qualite-provenance-{size_name}.png"))
        page.close()
