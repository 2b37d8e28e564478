"""Many headless Chromium sessions against one Streamlit server; publishing while they read.

One browser, one context per session (its own cookies and websocket, as a separate user), driven
by asyncio Playwright. A session opens Vue d'ensemble until its KPI cards are drawn, then the map
page until the commune shapes are drawn in the folium frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.async_api import async_playwright

from tests.browser_support import CHROMIUM_ARGS, chromium_path, running_app

ROOT = Path(__file__).resolve().parent.parent
TERRITORY = "200068666"  # Grand Saint-Dizier: 60 communes, full plan
# The browsers share the 2 cores with the server: 50 fresh Chromium sessions need minutes of CPU
# before the last one can finish (the lower bound in docs/benchmarks.md), so wait that long.
TIMEOUT_MS = 420_000
# Reduced motion: the same pages without Streamlit's animations, about a tenth less of the
# browser's CPU, which shares the server's two cores here.
CONTEXT_OPTIONS = {
    "viewport": {"width": 1366, "height": 768},
    "locale": "fr-FR",
    "reduced_motion": "reduce",
}
ERROR_TEXTS = ("does not exist", "Catalog Error", "IO Error", "Could not set lock", "Traceback")
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int, with_children: bool = False) -> float:
    """User + system CPU seconds a process has used, from /proc (Linux); `with_children` adds
    those of its children that have exited and been waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc: each process's parent)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def browser_cpu_s(server: int) -> float:
    """CPU seconds used so far by Chromium: its processes among our descendants, with the time
    of the renderers that already exited (counted in their reaper's children time)."""
    total = 0.0
    for pid in descendants(os.getpid()):
        if pid == server:
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            if b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += cpu_s(pid, with_children=True)
    return total


def server_pid() -> int:
    """The Streamlit server started by `running_app`: our child whose command line says so."""
    children = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children += (task / "children").read_text().split()
    for pid in children:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"streamlit" in cmdline and b"app.py" in cmdline:
            return int(pid)
    raise RuntimeError("serveur Streamlit introuvable parmi les processus enfants")


@contextlib.contextmanager
def served(warehouse: Path) -> Iterator[tuple[str, int]]:
    with running_app(warehouse) as base:
        yield base, server_pid()


async def _page_errors(page) -> list[str]:
    errors = []
    if await page.locator('[data-testid="stException"]').count():
        errors.append("exception")
    body = await page.locator("body").inner_text()
    errors += [f"« {text} »" for text in ERROR_TEXTS if text in body]
    return errors


async def _wait_idle(page) -> None:
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )


async def open_overview(page, base: str, territory: str = TERRITORY) -> float:
    start = time.perf_counter()
    await page.goto(f"{base}/?territoire={territory}", wait_until="commit", timeout=TIMEOUT_MS)
    await page.locator('[data-testid="stMetric"]').first.wait_for(timeout=TIMEOUT_MS)
    await _wait_idle(page)
    return time.perf_counter() - start


async def open_map(page, base: str, territory: str = TERRITORY) -> float:
    start = time.perf_counter()
    await page.goto(f"{base}/carte?territoire={territory}", wait_until="commit", timeout=TIMEOUT_MS)
    frame = page.frame_locator(MAP_FRAME)
    await frame.locator("path.leaflet-interactive").first.wait_for(timeout=TIMEOUT_MS)
    await _wait_idle(page)
    return time.perf_counter() - start


async def new_context(browser):
    context = await browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


async def one_session(browser, base: str) -> dict:
    context = await new_context(browser)
    page = await context.new_page()
    result: dict = {"ok": False, "errors": []}
    try:
        result["overview_s"] = await open_overview(page, base)
        result["errors"] += await _page_errors(page)
        result["map_s"] = await open_map(page, base)
        result["errors"] += await _page_errors(page)
        result["ok"] = not result["errors"]
    except Exception as exc:  # a timeout or a crash counts as a failed session
        result["errors"].append(type(exc).__name__)
    finally:
        await context.close()
    return result


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summarise(sessions: list[dict], wall_s: float) -> dict:
    overview = [s["overview_s"] for s in sessions if "overview_s" in s]
    maps = [s["map_s"] for s in sessions if "map_s" in s]
    totals = [s["overview_s"] + s["map_s"] for s in sessions if "map_s" in s]
    errors = sorted({e for s in sessions for e in s["errors"]})
    return {
        "sessions": len(sessions),
        "success_rate": sum(s["ok"] for s in sessions) / len(sessions),
        "overview_median_s": statistics.median(overview) if overview else None,
        "overview_p95_s": p95(overview),
        "map_median_s": statistics.median(maps) if maps else None,
        "map_p95_s": p95(maps),
        "session_p95_s": p95(totals),
        "wall_s": wall_s,
        "errors": errors,
    }


async def _wave(browser, base: str, count: int) -> dict:
    start = time.perf_counter()
    sessions = await asyncio.gather(*(one_session(browser, base) for _ in range(count)))
    return summarise(list(sessions), time.perf_counter() - start)


async def _concurrency(base: str, pid: int, waves: list[int]) -> dict:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        # streamlit#8860: the first session of a fresh server must open the root page.
        warm = await one_session(browser, base)
        results: dict = {"warm_up": warm, "rss_after_warm_up_mb": rss_mb(pid), "waves": {}}
        for count in waves:
            before, cpu_before, browser_before = rss_mb(pid), cpu_s(pid), browser_cpu_s(pid)
            wave = await _wave(browser, base, count)
            wave["rss_before_mb"], wave["rss_after_mb"] = before, rss_mb(pid)
            wave["server_cpu_per_session_s"] = (cpu_s(pid) - cpu_before) / count
            wave["browser_cpu_per_session_s"] = (browser_cpu_s(pid) - browser_before) / count
            results["waves"][str(count)] = wave
        await browser.close()
    return results


def bench_concurrency(warehouse: Path, waves: list[int]) -> dict:
    """`waves` of simultaneous Chromium sessions (the soak of repeated sessions is replayed:
    `bench.replay.bench_server_alone`)."""
    with served(warehouse) as (base, pid):
        results = asyncio.run(_concurrency(base, pid, waves))
        results["rss_start_mb"] = results["rss_after_warm_up_mb"]
        results["rss_end_mb"] = rss_mb(pid)
    return results


async def _reader(base: str, step, stop: asyncio.Event, log: list[dict]) -> None:
    """A returning user reloading Vue d'ensemble in a loop, replayed (`bench.replay`): cheap
    enough that many loads fall during the build, each checked for an error shown."""
    from bench.replay import SimulatedUser, front_end_files

    user = SimulatedUser(base, front_end_files([step]))
    while not stop.is_set():
        entry: dict = {"t": time.perf_counter()}
        user.errors = []
        try:
            entry["overview_s"] = await user.open_page(step)
        except Exception as exc:
            user.errors.append(type(exc).__name__)
        entry["errors"] = list(user.errors)
        log.append(entry)
    user.close()


async def _publish_under_load(
    base: str, readers: int, step, sources: Path, served_path: Path, marker: tuple[str, str]
) -> dict:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        await one_session(browser, base)  # streamlit#8860 warm-up
        stop, log = asyncio.Event(), []
        tasks = [asyncio.create_task(_reader(base, step, stop, log)) for _ in range(readers)]
        await asyncio.sleep(3)
        start = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "etl",
            "build",
            "--quiet",
            "--sources",
            str(sources),
            "--output",
            str(served_path),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, stderr = await process.communicate()
        published = time.perf_counter()
        await asyncio.sleep(5)  # readers keep reading the new file for a few seconds
        stop.set()
        await asyncio.gather(*tasks)
        # A reader that reloads now must see the new data: the territory added by the publish.
        siren, name = marker
        context = await new_context(browser)
        page = await context.new_page()
        switched, seen = False, ""
        try:
            await open_overview(page, base, siren)
            seen = await page.locator("h1, [data-testid='stCaptionContainer']").all_inner_texts()
            await page.get_by_text(name).first.wait_for(timeout=30_000)
            switched = True
        except Exception as exc:  # the new territory never showed up
            seen = f"{type(exc).__name__}: {seen}"
        await context.close()
        await browser.close()
    during = [e for e in log if start <= e["t"] <= published]
    return {
        "readers": readers,
        "build_exit_code": process.returncode,
        "build_stderr": stderr.decode(errors="replace")[-500:],
        "build_s": published - start,
        "page_loads": len(log),
        "page_loads_during_build": len(during),
        "page_loads_with_errors": sum(bool(e["errors"]) for e in log),
        "errors": sorted({err for e in log for err in e["errors"]}),
        "readers_see_new_data": switched,
        "new_data_check": {"territory": siren, "name": name, "seen": str(seen)[:300]},
    }


def bench_publish_under_load(
    warehouse: Path, sources: Path, readers: int, marker: tuple[str, str]
) -> dict:
    """Serve `warehouse`, keep `readers` replayed sessions reloading Vue d'ensemble, publish a
    build of `sources` into the same path meanwhile, then check in Chromium that a new session
    sees the new data."""
    from bench.replay import record_visit

    with served(warehouse) as (base, _pid):
        overview = record_visit(base)[0]
        return asyncio.run(_publish_under_load(base, readers, overview, sources, warehouse, marker))
