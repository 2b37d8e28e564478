"""Simultaneous users as the server sees them: one real browser visit, recorded, then replayed by
N simulated users at once with no rendering.

In a commission room every participant's browser runs on their own machine; here the 25 or 50
Chromium renderers of `bench/sessions.py` share the two cores with the server and need about ten
times its CPU, so that measure mostly times the browser. To measure the server alone, one real
headless Chromium visit (Vue d'ensemble, then the map) is recorded: every HTTP request it makes
and every websocket message it sends. Each simulated user then replays it from this process: the
same requests, the same `BackMsg` bytes on a websocket of its own (so a Streamlit session of its
own, with per-message deflate offered as Chromium does), and a browser cache of its own (a static
file is fetched once per user, documents and `/_stcore/` calls every time). A page is loaded
when its script run has finished (`script_finished`) and every file the browser fetched for it
has arrived; the load generator's own CPU is measured and reported. Like a browser, each user
keeps the cookies it is given (nginx's route cookie, which keeps it on one Streamlit process)
and sends them with every request and its websocket's handshake.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from bench.sessions import (
    CONTEXT_OPTIONS,
    ERROR_TEXTS,
    MAP_FRAME,
    TERRITORY,
    cpu_s,
    p95,
    rss_mb,
)
from tests.browser_support import CHROMIUM_ARGS, chromium_path

STEPS = {"overview": "/?territoire={t}", "map": "/carte?territoire={t}"}
PARALLEL_REQUESTS = 6  # what Chromium opens per host over HTTP/1.1
TIMEOUT_S = 300
CHROME_HEADERS = "Accept: */*\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"


@dataclass
class Step:
    """What the browser did for one page: files before and after its websocket opened, and
    the messages it sent on it."""

    name: str
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)  # what the browser got, by path


def _wait_for_page(page, name: str) -> None:
    if name == "map":
        page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive").first.wait_for()
    else:
        page.locator('[data-testid="stMetric"]').first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    page.wait_for_timeout(1500)  # files fetched after the last message (lazy chunks, iframe)


def record_visit(base: str, territory: str = TERRITORY) -> list[Step]:
    """One fresh headless Chromium visit of every step, recorded."""
    steps = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        warm = browser.new_page()  # streamlit#8860: a fresh server's first session opens /
        warm.goto(base)
        warm.locator("h1").first.wait_for(timeout=60_000)
        warm.close()
        context = browser.new_context(**CONTEXT_OPTIONS)
        context.set_default_timeout(120_000)
        page = context.new_page()
        current: list[Step] = []

        def on_request(request) -> None:
            url = urlparse(request.url)
            if request.method == "GET" and url.netloc == urlparse(base).netloc:
                step = current[-1]
                target = step.after if step.sent else step.before
                target.append(url.path + (f"?{url.query}" if url.query else ""))

        def on_response(response) -> None:
            url = urlparse(response.url)
            current[-1].status[url.path + (f"?{url.query}" if url.query else "")] = response.status

        def on_websocket(websocket) -> None:
            step = current[-1]

            def on_sent(payload) -> None:
                step.sent.append(payload if isinstance(payload, bytes) else payload.encode())

            websocket.on("framesent", on_sent)

        page.on("request", on_request)
        page.on("response", on_response)
        page.on("websocket", on_websocket)
        for name, path in STEPS.items():
            current.append(Step(name))
            page.goto(base + path.format(t=territory))
            _wait_for_page(page, name)
        steps = current
        browser.close()
    for step in steps:
        if not any(_is_rerun(message) for message in step.sent):
            raise RuntimeError(f"enregistrement incomplet : aucun rerun_script pour {step.name}")
    return steps


def _is_rerun(payload: bytes) -> bool:
    message = BackMsg()
    message.ParseFromString(payload)
    return message.WhichOneof("type") == "rerun_script"


def _cacheable(path: str) -> bool:
    """Files a browser keeps between two pages of a visit; documents and `/_stcore/` calls are
    asked again at every page load."""
    return "?" not in path and path.startswith(("/static/", "/app/static/", "/component/"))


class KeepAliveConnection:
    """One HTTP/1.1 connection kept open between requests, as a browser keeps its six."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, cookies: dict[str, str] | None = None) -> int:
        """GET `path`, body read to its end; returns the HTTP status and records the cookies
        the answer sets in `cookies`. A kept connection the server closed meanwhile (uvicorn
        closes idle ones after 5 s) is reopened and the request sent again, as browsers do."""
        cookies = {} if cookies is None else cookies
        sent = "; ".join(f"{name}={value}" for name, value in cookies.items())
        cookie_line = f"Cookie: {sent}\r\n" if sent else ""
        for _attempt in range(2):
            reused = self.writer is not None and not self.writer.is_closing()
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{CHROME_HEADERS}"
                f"{cookie_line}Connection: keep-alive\r\n\r\n".encode()
            )
            try:
                await self.writer.drain()
                status_line = await self.reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                return await self._read_response(int(status_line.split()[1]), cookies)
            self.close()
            if not reused:  # a fresh connection that does not answer: a real failure
                break
        raise ConnectionError(f"pas de réponse pour {path}")

    async def _read_response(self, status: int, cookies: dict[str, str]) -> int:
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
            if name.strip().lower() == "set-cookie":
                cookie, _, _attributes = value.strip().partition(";")
                key, _, cookie_value = cookie.partition("=")
                cookies[key.strip()] = cookie_value.strip()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readline()).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:  # no length: the body ends with the connection
            await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class SimulatedUser:
    """A user replaying the recorded visit, with a browser cache of its own."""

    def __init__(self, base: str, cached: set[str] | None = None) -> None:
        url = urlparse(base)
        self.base = base
        self.cache: set[str] = set(cached or ())
        self.idle = asyncio.Queue()
        for _ in range(PARALLEL_REQUESTS):
            self.idle.put_nowait(KeepAliveConnection(url.hostname, url.port))
        self.errors: list[str] = []
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait().close()

    async def fetch(self, path: str, expected: int) -> None:
        """GET `path` unless cached; an error status the browser did not get is an error
        (the browser itself asks `/carte/_stcore/health` first and gets a 404)."""
        if path in self.cache:
            return
        connection = await self.idle.get()
        try:
            status = await connection.get(path, self.cookies)
        except Exception:
            connection.close()  # reopened by its next request
            raise
        finally:
            self.idle.put_nowait(connection)
        if status >= 400 and expected < 400:
            self.errors.append(f"HTTP {status} {path.split('?')[0]}")
        elif _cacheable(path):
            self.cache.add(path)

    async def fetch_all(self, step: Step, paths: list[str]) -> None:
        paths = list(dict.fromkeys(paths))
        if paths and not self.cookies:  # the document first, as a browser: its answer sets them
            first = paths.pop(0)
            await self.fetch(first, step.status.get(first, 200))
        await asyncio.gather(*(self.fetch(path, step.status.get(path, 200)) for path in paths))

    async def converse(self, step: Step) -> None:
        """The websocket of one page: each recorded message sent; after a rerun request, wait
        for the end of the script run. An exception shown by the app, or a database error's
        text in what it sends, counts as an error."""
        ws_url = "ws" + self.base.removeprefix("http") + "/_stcore/stream"
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        async with connect(
            ws_url,
            subprotocols=["streamlit"],
            origin=self.base,
            max_size=None,
            additional_headers={"Cookie": cookie} if cookie else None,
        ) as websocket:
            for payload in step.sent:
                await websocket.send(payload)
                if not _is_rerun(payload):
                    continue
                while True:
                    raw = await websocket.recv()
                    self.errors += [f"« {t} »" for t in ERROR_TEXTS if t.encode() in raw]
                    message = ForwardMsg()
                    message.ParseFromString(raw)
                    kind = message.WhichOneof("type")
                    if kind == "delta" and message.delta.new_element.WhichOneof("type") == (
                        "exception"
                    ):
                        self.errors.append("exception")
                    if kind == "script_finished":
                        break

    async def open_page(self, step: Step) -> float:
        start = time.perf_counter()
        await self.fetch_all(step, step.before)
        await self.converse(step)
        await self.fetch_all(step, step.after)
        return time.perf_counter() - start


def front_end_files(steps: list[Step]) -> set[str]:
    """Streamlit's hashed front-end files (`Cache-Control: immutable`): a returning user's
    browser has them already and asks nothing for them."""
    return {path for step in steps for path in step.before + step.after if _immutable(path)}


def _immutable(path: str) -> bool:
    return path.startswith("/static/") and "?" not in path


async def one_user(base: str, steps: list[Step], returning: bool = False) -> dict:
    user = SimulatedUser(base, front_end_files(steps) if returning else None)
    result: dict = {"ok": False}
    try:
        async with asyncio.timeout(TIMEOUT_S):
            for step in steps:
                result[f"{step.name}_s"] = await user.open_page(step)
        result["ok"] = not user.errors
    except Exception as exc:  # a timeout or a refused connection counts as a failed session
        user.errors.append(type(exc).__name__)
    finally:
        user.close()
    result["errors"] = user.errors
    return result


async def _wave(
    base: str, steps: list[Step], count: int, returning: bool = False
) -> tuple[list[dict], float]:
    start = time.perf_counter()
    users = await asyncio.gather(*(one_user(base, steps, returning) for _ in range(count)))
    return list(users), time.perf_counter() - start


def summarise_users(users: list[dict], wall_s: float) -> dict:
    figures: dict = {"sessions": len(users), "wall_s": wall_s}
    figures["success_rate"] = sum(user["ok"] for user in users) / len(users)
    for name in STEPS:
        times = [user[f"{name}_s"] for user in users if f"{name}_s" in user]
        figures[f"{name}_median_s"] = statistics.median(times) if times else None
        figures[f"{name}_p95_s"] = p95(times)
    figures["errors"] = sorted({error for user in users for error in user["errors"]})
    return figures


REPLAY_KINDS = {"first_visit": False, "returning": True}  # kind -> front end already cached


def _cpu(pids: list[int]) -> float:
    return sum(cpu_s(pid) for pid in pids)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core), /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def bench_replayed_users(
    base: str,
    pids: int | list[int],
    steps: list[Step],
    waves: list[int],
    kinds: tuple[str, ...] = tuple(REPLAY_KINDS),
    proxy_cpu: Callable[[], float] | None = None,
    proxy_rss: Callable[[], float] | None = None,
    warm: list[str] | None = None,
) -> dict:
    """Replay the recorded visit `steps` against `base` by each wave's number of simultaneous
    users, for each kind of visit; CPU of the Streamlit processes `pids` (summed), of the load
    generator and, when given, of a proxy in front, measured apart; the memory of each process
    after each wave; the wave's CPU lower bound (its users × the CPU they cost the server and
    the proxy, spread over every core of the machine) and the slower page's p95 against it."""
    pids = [pids] if isinstance(pids, int) else list(pids)
    cores = os.cpu_count() or 1
    results: dict = {
        "processes": len(pids),
        "recorded": {
            step.name: {
                "files": len(set(step.before + step.after)),
                "front_end_files": len(front_end_files([step])),
                "messages_sent": len(step.sent),
            }
            for step in steps
        },
    }
    for warmed in warm or [base]:  # each process's caches warmed, as a real first visit does
        asyncio.run(_wave(warmed, steps, 2))
    for kind in kinds:
        results[kind] = {}
        for count in waves:
            rss_before, server_before = sum(rss_mb(pid) for pid in pids), _cpu(pids)
            own_before = time.process_time()
            proxy_before = proxy_cpu() if proxy_cpu else 0.0
            busy_before = machine_busy_s()
            users, wall = asyncio.run(_wave(base, steps, count, REPLAY_KINDS[kind]))
            busy = machine_busy_s() - busy_before
            wave = summarise_users(users, wall)
            wave["server_cpu_per_session_s"] = (_cpu(pids) - server_before) / count
            wave["load_generator_cpu_per_session_s"] = (time.process_time() - own_before) / count
            served_cpu = wave["server_cpu_per_session_s"]
            if proxy_cpu:
                wave["proxy_cpu_per_session_s"] = (proxy_cpu() - proxy_before) / count
                served_cpu += wave["proxy_cpu_per_session_s"]
            ours = count * (served_cpu + wave["load_generator_cpu_per_session_s"])
            # What else ran on the machine meanwhile (other work, the system): not ours to use.
            wave["other_work_cpu_s"] = max(0.0, busy - ours)
            wave["rss_before_mb"] = rss_before
            wave["rss_per_process_mb"] = [rss_mb(pid) for pid in pids]
            wave["rss_after_mb"] = sum(wave["rss_per_process_mb"])
            if proxy_rss:
                wave["proxy_rss_mb"] = proxy_rss()
            wave["lower_bound_s"] = count * served_cpu / cores
            slower = page_p95(wave)
            wave["p95_to_lower_bound"] = (
                slower / wave["lower_bound_s"] if slower and wave["lower_bound_s"] else None
            )
            results[kind][str(count)] = wave
    return results


def soak(base: str, pid: int, steps: list[Step], rounds: int, users: int) -> list[dict]:
    """`rounds` more waves of `users` first visits: the server's memory after each."""
    found = []
    for _ in range(rounds):
        wave = summarise_users(*asyncio.run(_wave(base, steps, users)))
        found.append(
            {"rss_mb": rss_mb(pid), "success_rate": wave["success_rate"], "p95": page_p95(wave)}
        )
    return found


def page_p95(wave: dict) -> float | None:
    """The slower of the two pages' p95."""
    values = [wave[f"{name}_p95_s"] for name in STEPS]
    return None if None in values else max(values)


def bench_serving(warehouse: Path, sizes: dict, workdir: Path, processes: int) -> dict:
    """Side by side, each on fresh servers and `warehouse`, measured by `bench_replayed_users`
    for first visits and returning users: one Streamlit process serving everything (then the
    soak), one behind nginx, and `processes` behind nginx as `deploy/serve.py` runs them
    (sticky route cookie, pre-compressed front end)."""
    from bench import proxy
    from bench.sessions import served
    from deploy import serve
    from tests.browser_support import free_port

    results: dict = {"processes": processes, "cores": os.cpu_count()}
    with served(warehouse) as (base, pid):
        steps = record_visit(base)  # paths and messages: the same through nginx
        results["streamlit"] = bench_replayed_users(base, pid, steps, sizes["waves"])
        results["rss_before_soak_mb"] = rss_mb(pid)
        results["soak"] = soak(base, pid, steps, sizes["soak"], sizes["soak_sessions"])
    if proxy.nginx_path() is None:
        results["not_measured"] = "nginx absent (apt-get install nginx-light)"
        return results
    env = {
        "PILOTAGE_WAREHOUSE": str(warehouse),
        "PILOTAGE_FAVORITES_DIR": str(warehouse.parent / "favorites"),
    }
    for name, count in (("nginx_1", 1), ("nginx_n", processes)):
        ports = [free_port() for _ in range(count)]
        with serve.deployment(ports, free_port(), workdir / name, env=env) as running:
            nginx = running.nginx.pid
            results[name] = bench_replayed_users(
                running.base,
                proxy.streamlit_pids(running),
                steps,
                sizes["waves"],
                proxy_cpu=lambda nginx=nginx: proxy.nginx_cpu_s(nginx),
                proxy_rss=lambda nginx=nginx: proxy.nginx_rss_mb(nginx),
                warm=[f"http://127.0.0.1:{port}" for port in ports],
            )
    return results
