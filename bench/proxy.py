"""nginx in front of Streamlit servers, configured as `deploy/serve.py` configures a deployment
(`deploy/nginx.conf`, the pre-compressed front end), for the bench and the deployment tests.
nginx is Debian's (`apt-get install nginx-light`)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.sessions import cpu_s, descendants, rss_mb
from deploy import serve
from tests.browser_support import free_port

nginx_path = serve.nginx_path


def _over_workers(master: int, measure: Callable[[int], float]) -> float:
    """`measure` summed over the nginx master and its workers."""
    total = measure(master)
    for pid in descendants(master):
        with contextlib.suppress(OSError):
            total += measure(pid)
    return total


def nginx_cpu_s(master: int) -> float:
    """CPU seconds of the nginx master and its workers."""
    return _over_workers(master, cpu_s)


def nginx_rss_mb(master: int) -> float:
    """Resident memory of the nginx master and its workers."""
    return _over_workers(master, rss_mb)


@contextlib.contextmanager
def nginx_in_front(upstream: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """nginx on a free port proxying to the Streamlit server at `upstream`
    (http://127.0.0.1:PORT); yields its base URL and its master's pid."""
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("nginx absent : apt-get install nginx-light (make bench l'installe)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    frontend = serve.prepare_frontend()
    upstream_port = int(upstream.rsplit(":", 1)[1])
    (workdir / "site.conf").write_text(
        serve.site_config([upstream_port], f"127.0.0.1:{port}", frontend)
    )
    (workdir / "nginx.conf").write_text(serve.main_config(workdir))
    log = workdir / "nginx.out"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [binary, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        serve.wait_healthy(f"{base}/_stcore/health", process, "nginx", log)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def streamlit_pids(running: serve.Deployment) -> list[int]:
    return [process.pid for process in running.streamlit.values()]
