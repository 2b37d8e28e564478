"""Measure the ETL, the pages and the map payload on this machine; write the figures.

    python -m bench [--quick]

Figures go to bench/results.json and docs/benchmarks.md (with the machine and the date). Targets
come from the issues; each figure is printed next to its target or its floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.navigation import PAGE_FILES

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "docs" / "benchmarks.md"
MAP_CASES = {
    "13 communes (Bassin de Pompey)": ("c.epci_siren = '245400601'", ""),
    "60 communes (Grand Saint-Dizier)": ("c.epci_siren = '200068666'", ""),
    "300 communes (Haute-Marne, 300 premières)": ("c.dept_code = '52'", "limit 300"),
    "département entier (Pas-de-Calais)": ("c.dept_code = '62'", ""),
}
PAGES = PAGE_FILES


def timed(function, repeat: int = 1) -> tuple[float, object]:
    durations, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def bench_etl(output: Path) -> dict:
    from etl import extract, pipeline

    full, _ = timed(
        lambda: pipeline.run_build(pipeline.SOURCES_DIR, pipeline.REFERENCE_DIR, output)
    )
    check, _ = timed(lambda: pipeline.run_check())
    # Floor: DuckDB alone reading the same national communes file (decompressed CSV).
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "communes.csv"
        import lzma

        raw.write_bytes(
            lzma.decompress((pipeline.REFERENCE_DIR / "communes.csv.lzma").read_bytes())
        )
        con = duckdb.connect()
        floor, _ = timed(
            lambda: con.execute(
                f"create or replace table c as select * from read_csv('{raw}', nullstr='\\N')"
            )
        )
        con.close()
    read_ref, _ = timed(lambda: extract.read_reference_communes(pipeline.REFERENCE_DIR))
    return {
        "build_national_s": full,
        "check_s": check,
        "duckdb_floor_communes_s": floor,
        "read_reference_s": read_ref,
    }


def bench_pages(warehouse: Path) -> dict:
    from streamlit.testing.v1 import AppTest

    os.environ["PILOTAGE_WAREHOUSE"] = str(warehouse)
    app = str(ROOT / "app.py")
    results = {}
    floor_script = ROOT / "bench" / "empty_page.py"
    empty = AppTest.from_file(str(floor_script), default_timeout=60)
    cold_floor, _ = timed(empty.run)
    warm_floor, _ = timed(empty.run, repeat=3)
    results["floor_empty_page"] = {"cold_s": cold_floor, "warm_s": warm_floor}
    import streamlit as st

    for page in PAGES:
        at = AppTest.from_file(app, default_timeout=120)
        at.query_params["territoire"] = "200068666"
        if page != "overview":
            at.run()
            at.switch_page(f"pages/{page}.py")
        st.cache_data.clear()  # cold: no cached query, connection reopened
        st.cache_resource.clear()
        cold, _ = timed(at.run)
        warm, _ = timed(at.run, repeat=3)
        results[page] = {"cold_s": cold, "warm_s": warm, "exception": bool(at.exception)}
    return results


def bench_map_payload(warehouse: Path) -> dict:
    from dashboard import maps
    from dashboard.db import READ_ONLY_CONFIG

    con = duckdb.connect(str(warehouse), read_only=True, config=READ_ONLY_CONFIG)
    results = {}
    for label, (where, limit) in MAP_CASES.items():
        frame = con.execute(
            f"select c.*, 0 as n_actions, null as amount_planned from communes c "
            f"where {where} and geometry is not null order by insee_code {limit}"
        ).df()
        start = time.perf_counter()
        fmap = maps.build_communes_map(frame, maps.MEASURES_BY_COLUMN["population"])
        html = fmap.get_root().render()
        build_s = time.perf_counter() - start
        results[label] = {
            "communes": len(frame),
            "payload_bytes": len(html.encode()),
            "bytes_per_commune": round(len(html.encode()) / max(1, len(frame))),
            "build_s": build_s,
        }
    con.close()
    return results


def bench_map_render(warehouse: Path, cases: dict) -> dict:
    """Time to interactive of each map in headless Chromium: the folium page served on loopback
    with the app's own Leaflet, timed until every commune path is drawn."""
    import functools
    import http.server
    import shutil
    import threading

    from playwright.sync_api import sync_playwright

    from dashboard import maps
    from dashboard.db import READ_ONLY_CONFIG

    chromium = shutil.which("chromium")
    if not chromium:
        return {"skipped": "chromium absent"}
    results = {}
    con = duckdb.connect(str(warehouse), read_only=True, config=READ_ONLY_CONFIG)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "static", root / "app" / "static")
        for label, (where, limit) in cases.items():
            frame = con.execute(
                f"select c.*, 0 as n_actions, null as amount_planned from communes c "
                f"where {where} and geometry is not null order by insee_code {limit}"
            ).df()
            html = maps.build_communes_map(frame, maps.MEASURES_BY_COLUMN["population"])
            page_html = html.get_root().render()
            results[label] = {"communes": len(frame)}
            (root / f"map{len(results) - 1}.html").write_text(page_html)

        class QuietHandler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # no access log in the report
                pass

        handler = functools.partial(QuietHandler, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                for index, label in enumerate(cases):
                    expected = results[label]["communes"]
                    timings = []
                    for _ in range(3):
                        page = browser.new_page(viewport={"width": 1366, "height": 768})
                        start = time.perf_counter()
                        page.goto(f"http://127.0.0.1:{port}/map{index}.html")
                        page.wait_for_function(
                            f"document.querySelectorAll('path.leaflet-interactive').length >= "
                            f"{expected}",
                            timeout=60_000,
                        )
                        timings.append(time.perf_counter() - start)
                        page.close()
                    results[label]["interactive_s"] = statistics.median(timings)
                browser.close()
        finally:
            server.shutdown()
            con.close()
    return results


def write_report(results: dict) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    etl, pages, payload = results["etl"], results["pages"], results["map"]
    floor = pages["floor_empty_page"]
    lines = [
        "# Benchmarks",
        "",
        f"Run by `make bench` on {results['date']} — {results['machine']}.",
        "Figures are medians; raw values in `bench/results.json`.",
        "",
        "## ETL",
        "",
        "| measure | seconds | target / comparison |",
        "|---|---|---|",
        "| full build (national reference + demo plans) | "
        f"{etl['build_national_s']:.2f} | ≤ 20 s |",
        f"| validation only (`etl check`) | {etl['check_s']:.2f} | — |",
        f"| reading the national communes file (pandas) | {etl['read_reference_s']:.2f} | — |",
        "| floor: DuckDB alone ingesting the same communes CSV | "
        f"{etl['duckdb_floor_communes_s']:.2f} | "
        f"build / floor = {etl['build_national_s'] / etl['duckdb_floor_communes_s']:.1f} |",
        "",
        "## Pages (AppTest script run, Saint-Dizier)",
        "",
        f"Floor: an empty Streamlit page, cold {floor['cold_s']:.3f} s, "
        f"warm {floor['warm_s']:.3f} s.",
        "Targets: cold ≤ 2 s, warm ≤ floor + 0,2 s. Cold = caches cleared (queries and DuckDB "
        "connection), warm = median of three reruns.",
        "",
        "| page | cold (s) | warm (s) | warm − floor (s) |",
        "|---|---|---|---|",
    ]
    for page in PAGES:
        row = pages[page]
        lines.append(
            f"| {page} | {row['cold_s']:.3f} | {row['warm_s']:.3f} | "
            f"{row['warm_s'] - floor['warm_s']:+.3f} |"
        )
    lines += [
        "",
        "## Map payload (folium HTML, no tiles)",
        "",
        "Target: ≤ 2 KB per commune.",
        "",
        "| territory | communes | payload (KB) | bytes / commune | build (s) |",
        "|---|---|---|---|---|",
    ]
    for label, row in payload.items():
        lines.append(
            f"| {label} | {row['communes']} | {row['payload_bytes'] / 1024:.0f} | "
            f"{row['bytes_per_commune']} | {row['build_s']:.2f} |"
        )
    render = results["map_render"]
    lines += [
        "",
        "## Map in headless Chromium (time until every commune is drawn)",
        "",
        "Target: a 300-commune territory interactive in ≤ 2 s.",
        "",
    ]
    if "skipped" in render:
        lines.append(f"Not measured: {render['skipped']}.")
    else:
        lines += ["| territory | communes drawn | interactive (s) |", "|---|---|---|"]
        lines += [
            f"| {label} | {row['communes']} | {row['interactive_s']:.2f} |"
            for label, row in render.items()
        ]
    lines += ["", "Not measured yet: concurrent sessions, publishing under load (issue 9).", ""]
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Path(tmp) / "warehouse.duckdb"
        results = {
            "date": dt.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cœurs, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}",
            "etl": bench_etl(warehouse),
        }
        results["pages"] = bench_pages(warehouse)
        results["map"] = bench_map_payload(warehouse)
        results["map_render"] = bench_map_render(warehouse, MAP_CASES)
    write_report(results)
    print(REPORT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
