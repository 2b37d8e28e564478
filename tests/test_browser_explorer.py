"""Explorateur in headless Chromium: an example query runs, its CSV downloads with the same rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import sql_console
from tests.browser_support import open_page

pytestmark = pytest.mark.browser
EXAMPLE = "Financements accordés par type de contrat et financeur"


def test_example_query_runs_and_downloads_its_csv(server, browser, demo_db):
    url = f"{server}/explorateur?territoire=200068666&mode=sql"
    page, watch = open_page(browser, url, "Explorateur", "explorateur-sql")
    try:
        page.get_by_role("combobox", name="Exemples de requêtes").click()
        page.get_by_role("option", name=EXAMPLE).click()
        editor = page.get_by_label("Requête SQL (lecture seule)")
        page.wait_for_function(
            "e => e.value.includes('contract_type')", arg=editor.element_handle(), timeout=30_000
        )
        page.get_by_role("button", name="Exécuter").click()
        page.get_by_text("ligne(s) en").first.wait_for(timeout=30_000)
        assert "sql=" in page.url
        expected = demo_db.execute(sql_console.example_sql(EXAMPLE, "saint-dizier")).fetchall()
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Télécharger (CSV)").first.click()
        lines = Path(download_info.value.path()).read_text(encoding="utf-8-sig").splitlines()
        assert lines[0] == "type_contrat;type_financeur;accorde_euros"
        assert len(lines) - 1 == len(expected)
        assert [tuple(line.split(";")[:2]) for line in lines[1:]] == [r[:2] for r in expected]
        assert page.locator('[data-testid="stException"]').count() == 0
        assert watch.outside == [], watch.outside
    finally:
        page.close()
