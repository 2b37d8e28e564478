"""deploy/nginx.conf really serves the app: front-end files from disk, pages and the websocket
proxied to Streamlit, the map drawn, in headless Chromium through nginx."""

from __future__ import annotations

import urllib.request

import pytest

from bench import proxy
from tests.browser_support import chromium, open_page


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
