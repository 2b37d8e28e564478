"""deploy/ really serves the app: front-end files from disk (pre-compressed), pages and the
websocket proxied to Streamlit, the map drawn, in headless Chromium through nginx; several
Streamlit processes behind it with sticky routes, and a publish seen by every process."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from bench import proxy
from dashboard import journal
from deploy import serve
from etl import pipeline
from tests.browser_support import chromium, free_port, open_page
from tests.conftest import READER


@pytest.fixture(scope="module")
def behind_nginx(server: str, tmp_path_factory: pytest.TempPathFactory):
    if proxy.nginx_path() is None:
        pytest.fail("nginx absent : installez-le (make nginx, ou apt-get install nginx-light)")
    with proxy.nginx_in_front(server, tmp_path_factory.mktemp("nginx")) as (front, _pid):
        yield front


def _get(url: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status, {k.lower(): v for k, v in response.headers.items()}


def test_front_end_files_come_from_nginx_and_pages_from_streamlit(server, behind_nginx):
    index = urllib.request.urlopen(f"{behind_nginx}/", timeout=10).read().decode()
    script = index.split('src="', 1)[1].split('"', 1)[0]  # the front end's entry point
    assert script.startswith("./static/js/")
    status, headers = _get(f"{behind_nginx}/{script.removeprefix('./')}")
    assert status == 200
    assert "immutable" in headers["cache-control"]
    assert headers.get("content-encoding") == "gzip"  # nginx compresses; Streamlit never does
    _, direct = _get(f"{server}/{script.removeprefix('./')}")
    assert "content-encoding" not in direct
    assert _get(f"{behind_nginx}/_stcore/health")[0] == 200  # proxied to Streamlit


def test_overview_and_map_work_through_nginx(behind_nginx):
    with chromium(behind_nginx) as browser:
        page, watch = open_page(
            browser, f"{behind_nginx}/?territoire=200068666", "Vue d'ensemble", "nginx_overview"
        )
        # The KPI cards arrive one by one over the websocket: wait for the sixth.
        page.locator('[data-testid="stMetric"]').nth(5).wait_for(timeout=30_000)
        page.close()
        page, watch = open_page(
            browser, f"{behind_nginx}/carte?territoire=200068666", "Carte des communes", "nginx_map"
        )
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
        assert frame.locator("path.leaflet-interactive").count() >= 60
        assert watch.outside == [], watch.outside
        assert watch.failed == [], watch.failed
        page.close()


# --- Several Streamlit processes behind nginx (deploy/serve.py) ------------------------------

PUBLISHED_NAME = "CC du Bassin de Pompey (publication de test)"
POMPEY = "245400601"


@pytest.fixture(scope="module")
def cluster(demo_warehouse: Path, accounts_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """Two Streamlit processes behind nginx, as `make serve PROCESSES=2` starts them, on a copy of
    the demo warehouse that the tests publish into."""
    if proxy.nginx_path() is None:
        pytest.fail("nginx absent : installez-le (make nginx, ou apt-get install nginx-light)")
    tmp = tmp_path_factory.mktemp("cluster")
    warehouse = tmp / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    env = {
        "PILOTAGE_WAREHOUSE": str(warehouse),
        "PILOTAGE_FAVORITES_DIR": str(tmp / "favorites"),
        "PILOTAGE_SESSIONS": str(tmp / "sessions.sqlite3"),
        "PILOTAGE_JOURNAL": str(tmp / "journal.jsonl"),
        "PILOTAGE_SESSION_SECRET_FILE": str(tmp / "session_secret"),
        "PILOTAGE_ACCOUNTS": str(accounts_file),
    }
    ports = [free_port(), free_port()]
    with serve.deployment(ports, free_port(), tmp / "run", env=env) as running:
        yield running, warehouse


def _routes(running: serve.Deployment) -> dict[str, str]:
    """upstream -> a route nginx gave that leads to it (fresh clients until both are seen)."""
    found: dict[str, str] = {}
    for _ in range(40):
        with urllib.request.urlopen(f"{running.base}/_stcore/health", timeout=10) as response:
            found.setdefault(response.headers["x-pilotage-upstream"], _route_of(response.headers))
        if len(found) == len(running.ports):
            break
    return found


def _route_of(headers) -> str | None:
    """The route in nginx's Set-Cookie (Streamlit may set its own cookie beside it)."""
    for cookie in headers.get_all("Set-Cookie") or []:
        if cookie.startswith("pilotage_route="):
            return cookie.split("=", 1)[1].split(";", 1)[0]
    return None


def test_generated_configuration_is_valid_for_nginx(tmp_path):
    """`python -m deploy.serve config` (what a systemd server installs) passes `nginx -t`."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert (
            serve.main(
                [
                    "config",
                    "--processes",
                    "3",
                    "--first-port",
                    "8601",
                    "--listen",
                    f"127.0.0.1:{free_port()}",
                    "--frontend",
                    str(tmp_path),
                ]
            )
            == 0
        )
    site = output.getvalue()
    assert len(re.findall(r"^upstream pilotage_\w+ {", site, re.MULTILINE)) == 4  # 3 + new ones
    assert "least_conn" in site
    assert "gzip_static on" in site
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(serve.main_config(tmp_path))
    check = subprocess.run(
        [proxy.nginx_path(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_front_end_is_compressed_once_beside_each_file():
    frontend = serve.prepare_frontend()
    scripts = [
        path
        for path in (frontend / "js").glob("*.js")
        if path.stat().st_size >= serve.MIN_COMPRESSED_BYTES
    ]
    assert len(scripts) > 100
    for script in scripts[:20]:
        packed = script.with_name(script.name + ".gz")
        assert packed.exists(), packed
        assert gzip.decompress(packed.read_bytes()) == script.read_bytes()


def test_nginx_sets_the_route_cookie_and_keeps_a_browser_on_one_process(cluster):
    running, _ = cluster
    routes, upstreams = {}, set()
    for _ in range(12):  # fresh clients: nginx spreads them over both processes
        with urllib.request.urlopen(f"{running.base}/", timeout=10) as response:
            route = _route_of(response.headers)
            assert re.fullmatch(r"[01]-[0-9a-f]{32}", route or ""), route
            assert any(
                "HttpOnly" in c for c in response.headers.get_all("Set-Cookie") if "route" in c
            )
            routes[route] = response.headers["x-pilotage-upstream"]
            upstreams.add(routes[route])
    assert upstreams == {f"127.0.0.1:{port}" for port in running.ports}
    for route, upstream in list(routes.items())[:4]:
        assert route.startswith(
            f"{running.ports.index(int(upstream.rsplit(':')[1]))}-"
        )  # a known route: always the same process
        for path in ("/", "/_stcore/health", "/carte?territoire=200068666"):
            request = urllib.request.Request(
                running.base + path, headers={"Cookie": f"pilotage_route={route}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.headers["x-pilotage-upstream"] == upstream
                assert _route_of(response.headers) is None  # not set again
    for forged in ("../x", "7-" + "0" * 32):  # nonsense, or a process that does not exist
        request = urllib.request.Request(
            running.base, headers={"Cookie": f"pilotage_route={forged}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert _route_of(response.headers) is not None  # replaced by a route of nginx's


def test_a_room_arriving_at_once_is_split_evenly(cluster):
    """Twelve browsers without a route open their sessions one after the other and keep them
    open, as a commission room does: nginx sends each to the process with fewer sessions in
    flight, so each process holds six, whatever the machine's speed."""
    running, _ = cluster
    ws_url = "ws" + running.base.removeprefix("http") + "/_stcore/stream"

    async def room() -> list[str]:
        async with contextlib.AsyncExitStack() as stack:
            upstreams = []
            for _ in range(12):
                websocket = await stack.enter_async_context(
                    connect(ws_url, subprotocols=["streamlit"], origin=running.base)
                )
                headers = websocket.response.headers
                assert re.fullmatch(r"[01]-[0-9a-f]{32}", _route_of(headers) or "")
                upstreams.append(headers["X-Pilotage-Upstream"])
            return upstreams

    upstreams = asyncio.run(room())
    assert set(upstreams) == {f"127.0.0.1:{port}" for port in running.ports}
    assert sorted(Counter(upstreams).values()) == [6, 6]


def test_websocket_reaches_the_process_of_the_route(cluster):
    running, _ = cluster
    with urllib.request.urlopen(f"{running.base}/", timeout=10) as response:
        route, upstream = _route_of(response.headers), response.headers["x-pilotage-upstream"]

    async def handshake() -> str:
        ws_url = "ws" + running.base.removeprefix("http") + "/_stcore/stream"
        async with connect(
            ws_url,
            subprotocols=["streamlit"],
            origin=running.base,
            additional_headers={"Cookie": f"pilotage_route={route}"},
        ) as websocket:
            return websocket.response.headers["X-Pilotage-Upstream"]

    for _ in range(3):
        assert asyncio.run(handshake()) == upstream


def test_browsers_stick_to_their_process_and_all_see_a_publish(cluster, tmp_path):
    """Chromium contexts (separate people) spread over both processes, each kept on its own
    across reloads, its websocket working (the KPI cards arrive); then a publish into the
    served warehouse is seen by both processes without a restart."""
    running, warehouse = cluster
    with chromium(running.base) as browser:
        pinned: dict[str, object] = {}
        contexts = []
        while len(pinned) < 2 and len(contexts) < 12:
            context = browser.new_context(locale="fr-FR")
            contexts.append(context)
            page = context.new_page()
            response = page.goto(f"{running.base}/?territoire=200068666")
            upstream = response.headers["x-pilotage-upstream"]
            page.locator('[data-testid="stMetric"]').nth(5).wait_for(timeout=60_000)
            cookie = next(c for c in context.cookies() if c["name"] == "pilotage_route")
            assert cookie["httpOnly"]
            assert page.reload().headers["x-pilotage-upstream"] == upstream
            page.locator('[data-testid="stMetric"]').nth(5).wait_for(timeout=60_000)
            pinned.setdefault(upstream, page)
        assert set(pinned) == {f"127.0.0.1:{port}" for port in running.ports}

        sources = tmp_path / "sources"
        shutil.copytree(pipeline.SOURCES_DIR, sources)
        territory_file = sources / "pompey" / "territoire.csv"
        text = territory_file.read_text(encoding="utf-8")
        territory_file.write_text(
            text.replace("CC du Bassin de Pompey;", f"{PUBLISHED_NAME};"), encoding="utf-8"
        )
        pipeline.run_build(sources, pipeline.REFERENCE_DIR, warehouse)
        for upstream, page in pinned.items():
            response = page.goto(f"{running.base}/?territoire={POMPEY}")
            assert response.headers["x-pilotage-upstream"] == upstream
            page.get_by_text(PUBLISHED_NAME).first.wait_for(timeout=60_000)
        for context in contexts:
            context.close()


def test_a_stopped_process_is_restarted(cluster):
    running, _ = cluster
    port = running.ports[0]
    running.streamlit[port].kill()
    running.streamlit[port].wait()
    assert running.restart_stopped() == [port]
    serve.wait_healthy(
        f"http://127.0.0.1:{port}/_stcore/health",
        running.streamlit[port],
        "Streamlit",
        running.workdir / f"streamlit-{port}.log",
    )
    assert running.restart_stopped() == []


def test_systemd_units_run_what_the_launcher_runs():
    units = Path(serve.ROOT / "deploy" / "systemd")
    process = (units / "pilotage@.service").read_text()
    flags = serve.streamlit_command(8601)[serve.streamlit_command(8601).index("--server.port") :]
    expected = " ".join(flags).replace("8601", "%i")
    assert expected in " ".join(process.replace("\\\n", " ").split())
    assert "PILOTAGE_BEHIND_PROXY=1" in process
    assert "Restart=always" in process
    target = (units / "pilotage.target").read_text()
    assert "pilotage@8601.service pilotage@8602.service" in target  # = config --first-port 8601
    frontend = (units / "pilotage-frontend.service").read_text()
    assert "-m deploy.serve frontend" in frontend


def test_a_sign_in_follows_the_browser_to_another_process(cluster):
    """The session store is shared: signed in on one process, a reload that reaches the other
    (its route changed, as when a process stops) is still signed in; the journal has the
    browser's address from nginx's X-Real-IP."""
    running, _ = cluster
    first, second = (f"127.0.0.1:{port}" for port in running.ports)
    routes = _routes(running)
    with chromium(running.base) as browser:
        context = browser.new_context(locale="fr-FR")
        context.add_cookies(
            [{"name": "pilotage_route", "value": routes[first], "url": running.base}]
        )
        page = context.new_page()
        response = page.goto(f"{running.base}/?territoire=200068666")
        assert response.headers["x-pilotage-upstream"] == first
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Connexion", exact=True).click()
        sidebar.get_by_label("Identifiant").fill(READER[0])
        sidebar.get_by_label("Mot de passe").fill(READER[1])
        sidebar.get_by_role("button", name="Se connecter").click()
        sidebar.get_by_text("Connecté : Lecteur de test").wait_for(timeout=60_000)
        page.wait_for_function("() => document.cookie.includes('pilotage_session=')")
        context.add_cookies(
            [{"name": "pilotage_route", "value": routes[second], "url": running.base}]
        )
        response = page.reload()
        assert response.headers["x-pilotage-upstream"] == second
        sidebar.get_by_text("Connecté : Lecteur de test").wait_for(timeout=60_000)
        context.close()
    entries = journal.read(Path(running.env["PILOTAGE_JOURNAL"]))
    sign_ins = [e for e in entries if e["event"] == "sign_in"]
    assert [(e["who"], e["address"]) for e in sign_ins] == [(READER[0], "127.0.0.1")]


def test_the_launcher_serves_then_stops_everything_on_sigterm(demo_warehouse, tmp_path):
    """`make serve` runs `python -m deploy.serve run`: it prints where to go, serves through
    nginx, and SIGTERM (systemd, Ctrl-C) stops nginx and every Streamlit process."""
    port, first = free_port(), free_port()
    command = ["run", "--processes", "1", "--port", str(port), "--first-port", str(first)]
    launcher = subprocess.Popen(
        [sys.executable, "-m", "deploy.serve", *command, "--workdir", str(tmp_path / "run")],
        cwd=serve.ROOT,
        env={**os.environ, "PILOTAGE_WAREHOUSE": str(demo_warehouse)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = launcher.stdout.readline()
        assert f"http://127.0.0.1:{port}/ (1 processus Streamlit" in line, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.headers["x-pilotage-upstream"] == f"127.0.0.1:{first}"
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    for stopped in (port, first):
        with pytest.raises(urllib.error.URLError, match="refused"):
            urllib.request.urlopen(f"http://127.0.0.1:{stopped}/_stcore/health", timeout=2)
