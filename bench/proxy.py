"""nginx in front of a Streamlit server, configured by `deploy/nginx.conf` (the file a deployment
uses), for the bench's server-alone measure. nginx is Debian's (`apt-get install nginx-light`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import streamlit

from bench.sessions import cpu_s, descendants
from tests.browser_support import free_port

ROOT = Path(__file__).resolve().parent.parent
SITE_CONFIG = ROOT / "deploy" / "nginx.conf"
STREAMLIT_STATIC = Path(streamlit.__file__).parent / "static"


def nginx_path() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


def site_config(upstream_port: int, port: int) -> str:
    """deploy/nginx.conf with this machine's paths and ports."""
    text = SITE_CONFIG.read_text(encoding="utf-8")
    return (
        text.replace("STREAMLIT_STATIC_DIR", str(STREAMLIT_STATIC))
        .replace("127.0.0.1:8501", f"127.0.0.1:{upstream_port}")
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
    )


def nginx_cpu_s(master: int) -> float:
    """CPU seconds of the nginx master and its workers."""
    total = cpu_s(master)
    for pid in descendants(master):
        with contextlib.suppress(OSError):
            total += cpu_s(pid)
    return total


@contextlib.contextmanager
def nginx_in_front(upstream: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """nginx on a free port proxying to `upstream` (http://127.0.0.1:PORT); yields its base
    URL and its master's pid."""
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("nginx absent : apt-get install nginx-light (make bench l'installe)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read root's files
    (workdir / "site.conf").write_text(site_config(int(upstream.rsplit(":", 1)[1]), port))
    (workdir / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n"
        "events { worker_connections 4096; }\n"
        "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        + "".join(
            f"  {kind}_temp_path {workdir}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {workdir}/site.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [binary, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    "nginx n'a pas démarré : " + process.stderr.read().decode()[-1000:]
                ) from None
            time.sleep(0.2)
    try:
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)
