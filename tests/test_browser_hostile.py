"""Hostile text in a source (HTML, scripts, Markdown, javascript: links, formulas) is shown as
text on every page: no script runs, no element is injected, exports neutralise formulas."""

from __future__ import annotations

import io
import lzma
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from etl import pipeline
from tests.browser_support import PAGES, chromium, open_page, running_app

pytestmark = pytest.mark.browser
HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
SIREN = "245400601"


HOSTILE_COMMUNE = "<img src=x onerror=alert('commune')>Pompey"


def hostile_reference(folder: Path) -> Path:
    """The national reference with one commune renamed to an HTML payload (Pompey, 54430)."""
    shutil.copytree(pipeline.REFERENCE_DIR, folder)
    path = folder / "communes.csv.lzma"
    text = lzma.decompress(path.read_bytes())
    renamed = text.replace(b",54430,COM,Pompey,", f",54430,COM,{HOSTILE_COMMUNE},".encode())
    assert renamed != text
    path.write_bytes(lzma.compress(renamed, preset=0))
    return folder


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    warehouse = root / "warehouse.duckdb"
    pipeline.run_build(HOSTILE, hostile_reference(root / "reference"), warehouse)
    with running_app(warehouse) as base:
        yield base


@pytest.fixture(scope="module")
def hostile_browser(hostile_server):
    with chromium(hostile_server) as instance:
        yield instance


@pytest.mark.parametrize("path", list(PAGES))
def test_hostile_text_never_runs_or_renders_as_html(hostile_server, hostile_browser, path):
    url = f"{hostile_server}/{path}?territoire={SIREN}&action=H1"
    page, watch = open_page(hostile_browser, url, PAGES[path], f"hostile-{path or 'accueil'}")
    try:
        assert watch.dialogs == []  # watched from the first load, not after it
        # No injected element in the page or in any frame (map, components).
        for frame in page.frames:
            assert frame.locator("img[src='x']").count() == 0
            assert frame.locator("iframe[src='x']").count() == 0
            assert frame.locator("a[href^='javascript']").count() == 0
        assert page.locator("b", has_text="Bassin").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.outside == []
    finally:
        page.close()


def test_hostile_action_fiche_shows_the_text_literally(hostile_server, hostile_browser):
    url = f"{hostile_server}/fiche-action?territoire={SIREN}&action=H1"
    page, _ = open_page(hostile_browser, url, PAGES["fiche-action"], "hostile-fiche")
    try:
        heading = page.get_by_role("heading", name="Action piégée")
        assert "<img src=x onerror=alert('action')>" in heading.inner_text()
        assert page.get_by_text("[clic](javascript:alert('desc'))").count() == 1
        assert page.get_by_text("<img src=x onerror=alert('note')> note **gras**").count() == 1
    finally:
        page.close()


def test_hostile_export_neutralises_formulas(hostile_server, hostile_browser):
    url = f"{hostile_server}/plan-d-action?territoire={SIREN}"
    page, _ = open_page(hostile_browser, url, PAGES["plan-d-action"], "hostile-plan")
    try:
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Télécharger (CSV)").first.click()
        text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
        assert "'=1+1 formule" in text
        assert "'@SUM(A1)" in text
        assert ";=" not in text
        assert ";@" not in text
        # The workbook is written when the button is clicked (deferred), neutralised the same way.
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Télécharger (Excel)").first.click()
        assert download_info.value.suggested_filename.endswith(".xlsx")
        workbook = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
        cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row]
        texts = [c for c in cells if isinstance(c, str)]
        assert "'=1+1 formule" in " ".join(texts)
        assert not [c for c in texts if c.startswith(("=", "+", "@"))]
    finally:
        page.close()


def test_commune_name_with_html_is_escaped_in_the_map(hostile_server, hostile_browser):
    url = f"{hostile_server}/carte?territoire={SIREN}"
    page, watch = open_page(hostile_browser, url, PAGES["carte"], "hostile-carte")
    try:
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        paths = frame.locator("path.leaflet-interactive:not(.action-marker)")
        paths.first.wait_for(timeout=30_000)
        assert paths.count() == 13
        for index in range(paths.count()):  # hover until the renamed commune's tooltip shows
            paths.nth(index).hover(force=True)
            tooltip = frame.locator(".leaflet-tooltip")
            if tooltip.count() and "Pompey" in tooltip.first.inner_text():
                assert HOSTILE_COMMUNE in tooltip.first.inner_text()
                break
        else:
            pytest.fail("tooltip of the renamed commune not found")
        assert frame.locator("img[src='x']").count() == 0
        marker = frame.locator("path.action-marker")
        assert marker.count() == 1
        marker.first.hover(force=True)
        tooltip = frame.locator(".leaflet-tooltip").last
        tooltip.wait_for(timeout=10_000)
        assert "<img src=x onerror=alert('action')> Action piégée" in tooltip.inner_text()
        assert watch.outside == []
    finally:
        page.close()
