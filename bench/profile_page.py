"""Profile the warm reruns of one page through AppTest (cProfile in the script thread).

    python -m bench.profile_page plan [--territory 200068666] [--warehouse data/warehouse.duckdb]

AppTest runs the page in its own thread, which the main thread's profiler does not see: a thread
profile hook starts one profiler in each script thread, and their statistics are summed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def profile_page(page: str, territory: str, runs: int = 3) -> pstats.Stats:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["territoire"] = territory
    app.run()
    app.switch_page(f"pages/{page}.py")
    app.run()  # cold run: caches filled, not profiled
    profiles: list[cProfile.Profile] = []

    def start_profiler(*_args: object) -> None:
        sys.setprofile(None)
        profiler = cProfile.Profile()
        profiles.append(profiler)
        profiler.enable()

    threading.setprofile(start_profiler)
    try:
        for _ in range(runs):
            app.run()
    finally:
        threading.setprofile(None)
    for profiler in profiles:
        with contextlib.suppress(ValueError):  # already stopped with its thread
            profiler.disable()
    stats = pstats.Stats(profiles[0])
    for profiler in profiles[1:]:
        stats.add(profiler)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", help="file name in pages/ without .py, e.g. plan")
    parser.add_argument("--territory", default="200068666")
    parser.add_argument("--warehouse", type=Path)
    args = parser.parse_args()
    if args.warehouse:
        os.environ["PILOTAGE_WAREHOUSE"] = str(args.warehouse)
    stats = profile_page(args.page, args.territory)
    stats.sort_stats("cumulative").print_stats(r"dashboard/|pages/", 25)


if __name__ == "__main__":
    main()
