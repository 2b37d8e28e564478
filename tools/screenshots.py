"""Screenshots of every page in headless Chromium, at projector and laptop sizes.

    python tools/screenshots.py [--territoire 200068666] [--out docs/screenshots] [--tall]

Starts the app on a free port against data/warehouse.duckdb (build it first with `make etl`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_support import chromium, running_app  # noqa: E402

PAGES = {
    "vue-d-ensemble": "",
    "evolutions": "evolutions",
    "commission": "mode-commission",
    "mes-actions": "mes-actions",
    "plan-d-action": "plan-d-action",
    "fiche-action": "fiche-action",
    "resultats": "resultats",
    "calendrier": "calendrier",
    "financements": "financements",
    "carte": "carte",
    "indicateurs": "indicateurs",
    "explorateur": "explorateur",
    "echanges": "echanges",
    "importer": "importer",
    "qualite": "qualite",
}
MAIN_TITLE = '[data-testid="stMain"] h1'
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}


def shoot(browser, base: str, args: argparse.Namespace) -> None:
    for size, (width, height) in SIZES.items():
        folder = args.out / size
        folder.mkdir(parents=True, exist_ok=True)
        page = browser.new_page(
            viewport={"width": width, "height": height * (3 if args.tall else 1)}
        )
        for name in args.pages:
            extra = f"&{args.query}" if args.query else ""
            page.goto(f"{base}/{PAGES[name]}?territoire={args.territoire}{extra}")
            page.locator(MAIN_TITLE).first.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
            )
            page.wait_for_timeout(2000)
            if page.get_by_text("Page not found").count():  # streamlit#8860: retry once
                page.reload()
                page.locator(MAIN_TITLE).first.wait_for(timeout=30_000)
                page.wait_for_timeout(2000)
            if page.get_by_text("Page not found").count():
                raise SystemExit(f"{name} : page introuvable")
            target = folder / f"{args.prefix}{name}.png"
            page.screenshot(path=str(target))
            print(target)
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--territoire", default="200068666")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--tall", action="store_true", help="viewport 3 fois plus haut")
    parser.add_argument("--pages", nargs="*", default=list(PAGES))
    parser.add_argument("--query", default="", help="paramètres d'URL ajoutés (a=b&c=d)")
    parser.add_argument("--prefix", default="", help="préfixe des noms de fichiers")
    args = parser.parse_args()
    with running_app(ROOT / "data" / "warehouse.duckdb") as base, chromium(base) as browser:
        shoot(browser, base, args)


if __name__ == "__main__":
    main()
