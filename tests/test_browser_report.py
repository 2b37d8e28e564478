"""One click in the running app downloads the Rapport de commission (PDF) and the whole-plan
workbook; the contract report is offered once a contract is chosen."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from tests.browser_support import PAGES, click_download, open_page

pytestmark = pytest.mark.browser
SIREN = "200068666"


def test_plan_page_downloads_the_report_of_the_filtered_item(server, browser):
    url = f"{server}/plan-d-action?territoire={SIREN}&element=P2.A1"
    page, watch = open_page(browser, url, PAGES["plan-d-action"], "rapport-plan")
    try:
        download = click_download(page, "Rapport de commission (PDF)")
        assert download.suggested_filename.startswith("rapport_saint-dizier_element_P2_")
        reader = PdfReader(Path(download.path()))
        assert len(reader.pages) > 1
        cover = reader.pages[0].extract_text()
        assert "CA Grand Saint-Dizier, Der & Vallées" in cover
        assert "Pilier P2 — " in cover
        assert watch.outside == []
    finally:
        page.close()


def test_plan_page_downloads_the_whole_plan_workbook(server, browser):
    url = f"{server}/plan-d-action?territoire={SIREN}"
    page, _ = open_page(browser, url, PAGES["plan-d-action"], "classeur-plan")
    try:
        download = click_download(page, "Exporter tout le plan (Excel)")
        content = Path(download.path()).read_bytes()
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        assert workbook.sheetnames == [
            "Actions",
            "Plan",
            "Budget",
            "Financements",
            "Contrats",
            "Résultats",
            "Mesures",
        ]
        assert workbook["Actions"].max_row == 57  # 56 actions of Saint-Dizier + header
    finally:
        page.close()


def test_funding_page_offers_the_contract_report(server, browser):
    url = f"{server}/financements?territoire={SIREN}"
    page, _ = open_page(browser, url, PAGES["financements"], "rapport-contrat")
    try:
        # « Hors contrat » has no report (nor link); a contract's name opens it in one click.
        page.get_by_role(
            "link", name="Contrat de relance et de transition écologique", exact=False
        ).first.click()
        page.get_by_role("button", name="Rapport de commission (PDF)").wait_for(timeout=30_000)
        download = click_download(page, "Rapport de commission (PDF)")
        assert "_contrat_" in download.suggested_filename
        cover = PdfReader(Path(download.path())).pages[0].extract_text()
        assert "Contrat — Contrat de relance et de transition écologique" in cover
    finally:
        page.close()
