"""« Enregistrer » on a fiche action → another session's page shows it (#22, target ≤ 3 s).

    python -m bench.updates    # this section alone, merged into bench/results.json and
                               # docs/benchmarks.md (the other sections' figures kept)

A contributor and a reader are signed in, in two Chromium contexts, on the same fiche action of
a served copy of the demo data (the national reference loaded). The contributor changes the
progress and adds a note, clicks « Enregistrer »; the clock stops when the reader's page, not
touched, shows the new progress. Floor, measured in the same run on the same files: a plan-only
build (the reference prepared by an earlier build reused), which every save runs before
publishing, and the page's polling interval.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 3.0
RUNS = 3


def plan_only_build_s(sources: Path, output: Path) -> float:
    from etl import pipeline

    started = time.perf_counter()
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    return time.perf_counter() - started


def bench_updates(tmp: Path, runs: int = RUNS) -> dict:
    from dashboard.ui.action_update import LIVE_SECONDS
    from tests import update_support as support

    seen, floors = [], []
    with support.served_copy(tmp) as (base, browser, sources):
        plan_only_build_s(sources, tmp / "floor.duckdb")  # the reference cache is warm
        reader, reader_page = support.signed_in(browser, base, *support.READER[:2])
        writer, page = support.signed_in(browser, base, *support.CONTRIBUTOR[:2])
        for run in range(runs):
            value = 60 + 5 * run
            clicked = support.save_progress(page, value, f"Point d'étape {run + 1}")
            shown = support.wait_progress(reader_page, value)
            seen.append(shown - clicked)
            page.get_by_text("Mise à jour enregistrée et publiée.").wait_for(timeout=60_000)
            floors.append(plan_only_build_s(sources, tmp / "floor.duckdb"))
        writer.close()
        reader.close()
    return {
        "runs_s": seen,
        "median_s": statistics.median(seen),
        "worst_s": max(seen),
        "floor_build_s": statistics.median(floors),
        "poll_s": LIVE_SECONDS,
        "load_average": os.getloadavg(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cœurs, Python "
        f"{platform.python_version()}",
    }


def report_lines(updates: dict) -> list[str]:
    """The section of docs/benchmarks.md."""
    from bench.report import s

    ok = updates["median_s"] <= TARGET_S
    floor = updates["floor_build_s"] + updates["poll_s"]
    load = ", ".join(s(v, 1) for v in updates.get("load_average", ()))
    runs = ", ".join(s(v, 1) for v in updates["runs_s"])
    verdict = "Met." if ok else "Missed."
    if not ok and updates["median_s"] <= floor + 1.0:
        verdict = (
            "Missed, within a second of its floor: the time goes to the build every save runs "
            "(the same atomic build as an import); on a machine shared by other jobs the build "
            "alone takes longer than on a quiet one."
        )
    return [
        "## Online update visible in another session",
        "",
        "`python -m bench.updates`: a contributor clicks « Enregistrer » on a fiche action "
        "(progress and a note), a reader's page of the same action, not touched, shows the new "
        "progress (Chromium, two signed-in sessions, the national reference loaded). Each save "
        "appends to `mises_a_jour.jsonl` and runs the ETL's build and atomic publication; open "
        f"pages look for a new warehouse every {updates['poll_s']:g} s.",
        "",
        "| measure | value | floor / target |",
        "|---|---|---|",
        f"| « Enregistrer » → other session shows it (median of {len(updates['runs_s'])}) "
        f"| {s(updates['median_s'], 1)} s | ≤ {s(TARGET_S, 0)} s |",
        f"| runs | {runs} s | |",
        f"| plan-only build, same files, same run (floor) | {s(updates['floor_build_s'], 1)} s "
        f"| + polling {s(updates['poll_s'], 0)} s = {s(floor, 1)} s |",
        "",
        verdict
        + f" Measured {updates['date']} on {updates['machine']}"
        + (f", load average {load} at the end." if load else "."),
        "",
    ]


def main() -> None:
    from bench.__main__ import REPORT, RESULTS
    from bench.report import build_report

    with tempfile.TemporaryDirectory() as tmp:
        updates = bench_updates(Path(tmp))
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    results["updates"] = updates
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # The whole report again from the raw values: the summary table carries this figure too.
    REPORT.write_text(build_report(results), encoding="utf-8")
    print("\n".join(report_lines(updates)))


if __name__ == "__main__":
    sys.exit(main())
