"""Print the report's HTML to PDF with headless Chromium (Playwright), nothing fetched."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

from dashboard.commission_report.data import ReportData
from dashboard.commission_report.render import (
    build_footer_html,
    build_header_html,
    build_report_html,
)
from dashboard.commission_report.scope import ReportError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def chromium_executable() -> str:
    path = (
        os.environ.get("PILOTAGE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        raise ReportError("Chromium est introuvable : installez-le (make browser).")
    return path


def _print_pdf(html: str, header: str, footer: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            # The report is self-contained: any request (a payload slipping through) is refused.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html, wait_until="load")
            return page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template=header,
                footer_template=footer,
                prefer_css_page_size=True,
            )
        finally:
            browser.close()


def print_pdf(html: str, header: str, footer: str) -> bytes:
    """Print with headless Chromium in a worker thread (Playwright's sync API refuses a thread
    that runs an asyncio loop, as a Streamlit or pytest-asyncio thread may)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdf, html, header, footer).result()


def render_report_pdf(data: ReportData) -> bytes:
    """Charts and printing only (no Streamlit): what the app runs when the button is clicked."""
    return print_pdf(build_report_html(data), build_header_html(data), build_footer_html(data))
