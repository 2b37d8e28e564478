"""Helpers shared by the browser tests: a Streamlit server on a free port, headless Chromium,
and a watch on failed requests and requests leaving the machine."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-results" / "screenshots"
PAGES = {
    "": "Vue d'ensemble",  # the default page lives at the root URL
    "evolutions": "Évolutions",
    "mode-commission": "Synthèse",  # the commission mode's heading is its current screen
    "mes-actions": "Mes actions",
    "plan-d-action": "Plan d'action",
    "fiche-action": "Fiche action",
    "resultats": "Résultats",
    "calendrier": "Calendrier",
    "financements": "Financements",
    "carte": "Carte des communes",
    "indicateurs": "Indicateurs",
    "explorateur": "Explorateur",
    "echanges": "Échanges de données",
    "importer": "Importer des données",
    "resumes-courriel": "Résumés par courriel",
    "qualite": "Qualité des données",
    "accessibilite": "Déclaration d'accessibilité",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every request to another host goes to a closed port (loopback is never proxied): the
    # tests and benchmarks stay offline, and Watch records such a request as outside and failed.
    "--proxy-server=http://127.0.0.1:9",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium absent : installez-le (make browser, ou apt-get install chromium)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(warehouse: Path, files: Path | None = None) -> Iterator[str]:
    """Streamlit serving the app on a free loopback port against `warehouse`; its journal and
    favourites in `files` (by default the test's PILOTAGE_JOURNAL, or beside the warehouse)."""
    port = free_port()
    journal = os.environ.get("PILOTAGE_JOURNAL", str(warehouse.parent / "journal.jsonl"))
    env = {
        **os.environ,
        "PILOTAGE_WAREHOUSE": str(warehouse),
        "PILOTAGE_FAVORITES_DIR": str((files or warehouse.parent) / "favorites"),
        "PILOTAGE_JOURNAL": str(files / "journal.jsonl") if files else journal,
    }
    # The server's output goes to a file: a pipe nobody reads fills up (64 KB) and blocks the
    # server at its next log line.
    with tempfile.TemporaryFile(prefix=f"streamlit-{port}-") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            process.kill()
            log.seek(0)
            pytest.fail(
                "le serveur Streamlit n'a pas démarré : "
                + log.read().decode("utf-8", "replace")[-2000:]
            )
        try:
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


# The French-locale context each browser's pages share, by browser (see new_page).
_SHARED_CONTEXTS: dict[int, tuple[object, object]] = {}


@contextlib.contextmanager
def chromium(server: str) -> Iterator:
    """Headless Debian Chromium, warmed up on `server`."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        # Upstream streamlit#8860: the first session of a fresh headless server that opens a deep
        # link gets a "Page not found" notice; one visit of the root page first avoids it (and
        # fills the shared context's cache with the app's static files).
        page = new_page(instance)
        page.goto(server)
        page.locator("h1").first.wait_for(timeout=60_000)
        page.close()
        try:
            yield instance
        finally:
            _SHARED_CONTEXTS.pop(id(instance), None)
            instance.close()


def new_page(browser, size: tuple[int, int] = (1600, 1000)):
    """A French-locale page of `size` in the context this browser's pages share. Each page is
    its own Streamlit session, as in a new context; what they share is the HTTP cache, so the
    app's JavaScript is fetched and compiled once per browser instead of once per page (a new
    context starts empty). Tests of cookies (sign-ins) make their own contexts."""
    _browser, context = _SHARED_CONTEXTS.get(id(browser), (None, None))
    if context is None:
        context = browser.new_context(locale="fr-FR")
        _SHARED_CONTEXTS[id(browser)] = (browser, context)
    page = context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    return page


class Watch:
    """Records failed requests and any request to another host (which Chromium cannot reach:
    CHROMIUM_ARGS send it to a closed proxy port); records (and dismisses) every dialog a script
    opens, from the page's first load. Requests are watched, not routed: routing a page would
    turn its HTTP cache off."""

    def __init__(self, page):
        self.failed: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", self._seen)

    def _seen(self, request):
        url = request.url
        if not url.startswith(("data:", "blob:")) and urlparse(url).hostname not in LOCAL_HOSTS:
            self.outside.append(url)


# The script run is over (Streamlit's own run state on the app's root, not merely a status
# widget that has not shown yet), nothing is left stale from a rerun, every chart in view holds
# its drawn plot, the fonts are loaded. Returns what the page holds (null while not settled),
# so that a second look can tell that nothing arrived since.
SETTLED_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const settled = !!app && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-stale="true"]')
        && charts.filter(c => c.offsetParent !== null
                && c.getBoundingClientRect().top < window.innerHeight)
            .every(c => c.querySelector('.js-plotly-plot .main-svg'))
        && document.fonts.status === 'loaded';
    if (!settled) return null;
    return [document.querySelectorAll('[data-testid="stElementContainer"]').length,
            charts.length, document.querySelectorAll('.js-plotly-plot').length,
            document.querySelectorAll('iframe').length].join(' ');
}"""
QUIET_MS = 400  # how long a settled page must stay the same (a rerun the first run asked for)


def wait_settled(page, timeout: float = 60_000, also: str | None = None) -> None:
    """Wait until the page is drawn and its script idle (SETTLED_JS), and still the same
    QUIET_MS later; `also`, a JavaScript function, adds what else must stay the same (e.g. the
    boxes of a chart that lays itself out again)."""
    deadline = time.monotonic() + timeout / 1000

    def look():
        return page.evaluate(SETTLED_JS), page.evaluate(also) if also else None

    while True:
        page.wait_for_function(SETTLED_JS, timeout=timeout)
        first = look()
        page.wait_for_timeout(QUIET_MS)
        if first[0] is not None and look() == first:
            return
        if time.monotonic() > deadline:
            raise AssertionError("la page ne se stabilise pas")


def open_page(browser, url: str, title: str, name: str):
    page = new_page(browser)
    watch = Watch(page)
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=30_000)
    wait_settled(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return page, watch


# axe-core, the accessibility engine, from npm into a cache outside the repository (`make axe`).
AXE_VERSION = "4.11.4"
AXE_DIR = Path(os.environ.get("PILOTAGE_AXE_DIR", Path.home() / ".cache" / "pilotage" / "axe"))
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}


def axe_script() -> str:
    """axe.min.js of AXE_VERSION, installed with npm into AXE_DIR when missing."""
    package = AXE_DIR / "node_modules" / "axe-core"
    manifest = package / "package.json"
    if not manifest.exists() or f'"version": "{AXE_VERSION}"' not in manifest.read_text():
        npm = shutil.which("npm")
        if not npm:
            pytest.fail("npm absent : installez Node.js et npm pour le test d'accessibilité")
        subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), f"axe-core@{AXE_VERSION}", "--silent"],
            check=True,
            timeout=300,
        )
    return (package / "axe.min.js").read_text()


def run_axe(page, tags: list[str] = WCAG_AA_TAGS) -> list[dict]:
    """axe-core's violations of `tags` on the page and in each of its frames (the map's and the
    components' iframes, tested one by one: axe's own frame messaging does not reach them), one
    dict per rule and frame with its nodes (selector, summary), in axe's order."""
    violations = []
    for frame in page.frames:
        if not frame.evaluate("() => typeof window.axe === 'object'"):
            frame.add_script_tag(content=axe_script())
        where = "" if frame == page.main_frame else f"iframe[{frame.name or frame.url[:60]}] "
        for violation in frame.evaluate(AXE_RUN, tags):
            for node in violation["nodes"]:
                node["target"] = where + node["target"]
            violations.append(violation)
    return violations


AXE_RUN = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                            resultTypes: ['violations'], iframes: false});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                  html: n.html.slice(0, 300)})),
    }));
}"""


def open_viewport(browser, url: str, title: str, size: tuple[int, int]):
    """A French-locale page of `size` on `url`, once its `title` heading shows and the script
    has finished running."""
    page = new_page(browser, size)
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
    # The script has finished, nothing is left stale from a rerun, and the app's global
    # accessibility script (dashboard/templates/a11y.js) has added its stylesheet.
    page.wait_for_function("() => document.getElementById('pilotage-a11y')", timeout=60_000)
    wait_settled(page)
    return page


def click_download(page, button: str):
    """Click the first download button of that name and wait for its file (a PDF is made on
    the click; a loaded 2-core machine may take long to serve a file)."""
    target = page.get_by_role("button", name=button).first
    target.wait_for(state="visible", timeout=60_000)
    with page.expect_download(timeout=120_000) as download_info:
        target.click()
    return download_info.value
