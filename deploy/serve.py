"""N Streamlit processes behind nginx on one machine: `make serve`, or `python -m deploy.serve`.

    python -m deploy.serve run [--processes N] [--port 8080] [--host 127.0.0.1]
    python -m deploy.serve config --processes N --first-port 8601 --listen 80 --frontend DIR
    python -m deploy.serve frontend [--output DIR]

`run` prepares the pre-compressed front end, starts one Streamlit process per core (each on its
own loopback port, restarted if it stops), writes nginx's configuration from `deploy/nginx.conf`
into a run folder and starts nginx in front; Ctrl-C (or SIGTERM) stops everything. `config` and
`frontend` write the same pieces for a server run by systemd (`deploy/systemd/`,
docs/deployment.md). Every process reads the published warehouse on its own and opens a newly
published file at its next script run (`dashboard/db.py` keys its connection on the file's
identity), so a publish reaches every process without a restart.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import streamlit

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
STREAMLIT_FRONTEND = Path(streamlit.__file__).parent / "static" / "static"
DEFAULT_FRONTEND = ROOT / "data" / ".cache" / f"frontend-{streamlit.__version__}"
DEFAULT_RUN_DIR = ROOT / "data" / ".run"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
# Text files worth compressing; fonts (woff2) and images are compressed already.
COMPRESSED_SUFFIXES = {".js", ".css", ".svg", ".json", ".html", ".txt", ".map"}
MIN_COMPRESSED_BYTES = 512
START_TIMEOUT_S = 90


def nginx_path() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


def default_processes() -> int:
    """One Streamlit process per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def prepare_frontend(output: Path = DEFAULT_FRONTEND) -> Path:
    """A copy of Streamlit's front-end files with a `.gz` beside each text file (gzip -9, done
    once per Streamlit version), for nginx's `gzip_static`."""
    marker = output / ".complete"
    if marker.exists() and marker.read_text() == streamlit.__version__:
        return output
    temp = output.with_name(f"{output.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    for source in sorted(STREAMLIT_FRONTEND.rglob("*")):
        if not source.is_file():
            continue
        target = temp / source.relative_to(STREAMLIT_FRONTEND)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        if target.suffix in COMPRESSED_SUFFIXES and target.stat().st_size >= MIN_COMPRESSED_BYTES:
            packed = target.with_name(target.name + ".gz")
            with (
                source.open("rb") as raw,
                packed.open("wb") as out,
                gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as zipped,
            ):
                shutil.copyfileobj(raw, zipped)
            stat = target.stat()
            os.utime(packed, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (temp / ".complete").write_text(streamlit.__version__)
    shutil.rmtree(output, ignore_errors=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(temp, output)
    except OSError:  # another launcher prepared it meanwhile
        shutil.rmtree(temp, ignore_errors=True)
    return output


def upstreams_config(ports: list[int]) -> str:
    """nginx's upstream groups and route maps for these Streamlit ports (see deploy/nginx.conf):
    one group per process with the others as backup, one over all for browsers without a
    route."""
    servers = [f"127.0.0.1:{port}" for port in ports]
    blocks = []
    for index, server in enumerate(servers):
        backups = "".join(f"    server {other} backup;\n" for other in servers if other != server)
        blocks.append(
            f"upstream pilotage_{index} {{\n    zone pilotage_{index} 64k;\n"
            f"    server {server};\n{backups}    keepalive 16;\n}}\n"
        )
    every = "".join(f"    server {server};\n" for server in servers)
    blocks.append(
        f"upstream pilotage_any {{\n    zone pilotage_any 64k;\n    least_conn;\n{every}"
        "    keepalive 16;\n}\n"
    )
    pools = "".join(
        f'    "~^{index}-[0-9a-f]{{32}}$" pilotage_{index};\n' for index in range(len(servers))
    )
    blocks.append(
        f"map $cookie_pilotage_route $pilotage_pool {{\n{pools}    default pilotage_any;\n}}\n"
    )
    chosen = "".join(f"    {server} {index};\n" for index, server in enumerate(servers))
    blocks.append(f'map $upstream_addr $pilotage_chosen {{\n{chosen}    default "";\n}}')
    return "\n".join(blocks)


def site_config(ports: list[int], listen: str, frontend: Path) -> str:
    """deploy/nginx.conf for these Streamlit ports, this address and this front-end folder."""
    return (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@UPSTREAMS@", upstreams_config(ports))
        .replace("@FRONTEND_DIR@", str(frontend))
        .replace("@LISTEN@", listen)
    )


def main_config(workdir: Path, workers: str = "auto") -> str:
    """An nginx.conf of its own in `workdir` (pid, logs, temporary files), including site.conf."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read root's files
    temp_paths = "".join(
        f"  {kind}_temp_path {workdir}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes {workers};\npid {workdir}/nginx.pid;\n"
        f"error_log {workdir}/error.log;\n"
        "events { worker_connections 4096; }\n"
        "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"{temp_paths}  include {workdir}/site.conf;\n}}\n"
    )


def cookie_secret() -> str:
    """One `server.cookieSecret` for every process, so that a cookie Streamlit signed (its XSRF
    token) stays valid when a browser reaches another process, e.g. after a restart."""
    configured = os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
    if configured:
        return configured
    from dashboard import sessions

    secrets = {}
    if SECRETS.exists():
        with contextlib.suppress(tomllib.TOMLDecodeError, OSError):
            secrets = tomllib.loads(SECRETS.read_text(encoding="utf-8")).get("pilotage", {})
    key = sessions.session_secret(secrets.get("session_secret"))
    return hmac.new(key, b"streamlit server.cookieSecret", hashlib.sha256).hexdigest()


def streamlit_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]


def wait_healthy(url: str, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise RuntimeError(f"{what} n'a pas démarré : {tail}")
        time.sleep(0.2)


class Deployment:
    """Streamlit processes on `ports` and nginx on `port`, all on this machine."""

    def __init__(
        self,
        ports: list[int],
        port: int,
        workdir: Path,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        frontend: Path = DEFAULT_FRONTEND,
        nginx_workers: str = "auto",
    ) -> None:
        self.ports, self.port, self.host = ports, port, host
        self.workdir, self.frontend, self.nginx_workers = workdir, frontend, nginx_workers
        self.env = {
            **os.environ,
            "PILOTAGE_BEHIND_PROXY": "1",  # trust nginx's X-Real-IP (dashboard/auth.py)
            "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret(),
            **(env or {}),
        }
        self.streamlit: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def _start_streamlit(self, port: int) -> subprocess.Popen:
        log = self.workdir / f"streamlit-{port}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                streamlit_command(port),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the launcher, which stops them in order
            )
        self.streamlit[port] = process
        return process

    def start(self) -> Deployment:
        binary = nginx_path()
        if binary is None:
            raise RuntimeError("nginx absent : make nginx (ou apt-get install nginx-light)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        prepare_frontend(self.frontend)
        for port in self.ports:
            self._start_streamlit(port)
        for port, process in self.streamlit.items():
            wait_healthy(
                f"http://127.0.0.1:{port}/_stcore/health",
                process,
                f"Streamlit (port {port})",
                self.workdir / f"streamlit-{port}.log",
            )
        listen = f"{self.host}:{self.port}" if self.host else str(self.port)
        (self.workdir / "site.conf").write_text(site_config(self.ports, listen, self.frontend))
        (self.workdir / "nginx.conf").write_text(main_config(self.workdir, self.nginx_workers))
        with (self.workdir / "nginx.out").open("ab") as out:
            self.nginx = subprocess.Popen(
                [
                    binary,
                    "-p",
                    str(self.workdir),
                    "-c",
                    str(self.workdir / "nginx.conf"),
                    "-g",
                    "daemon off;",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_healthy(f"{self.base}/_stcore/health", self.nginx, "nginx", self.workdir / "nginx.out")
        return self

    def restart_stopped(self) -> list[int]:
        """Start again every Streamlit process that has stopped; the ports restarted."""
        stopped = [port for port, process in self.streamlit.items() if process.poll() is not None]
        for port in stopped:
            self._start_streamlit(port)
        return stopped

    def stop(self) -> None:
        processes = [*self.streamlit.values(), *([self.nginx] if self.nginx else [])]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def deployment(
    ports: list[int], port: int, workdir: Path, **options: object
) -> Iterator[Deployment]:
    running = Deployment(ports, port, workdir, **options)
    try:
        yield running.start()
    finally:
        running.stop()


def run(args: argparse.Namespace) -> int:
    ports = [args.first_port + index for index in range(args.processes)]
    running = Deployment(ports, args.port, args.workdir, host=args.host)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        running.start()
        print(
            f"Pilotage territorial : {running.base}/ ({args.processes} processus Streamlit, "
            f"ports {ports[0]}–{ports[-1]} ; journaux dans {args.workdir}). Ctrl-C pour arrêter.",
            flush=True,
        )
        while running.nginx.poll() is None:
            for port in running.restart_stopped():
                print(f"Processus Streamlit du port {port} arrêté : relancé.", flush=True)
            time.sleep(2)
        print("nginx s'est arrêté : voir error.log dans le dossier d'exécution.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("run", help="démarrer N processus Streamlit derrière nginx")
    start.add_argument("--processes", type=int, default=default_processes())
    start.add_argument("--port", type=int, default=8080, help="port ouvert aux navigateurs")
    start.add_argument("--host", default="127.0.0.1", help="adresse d'écoute de nginx")
    start.add_argument("--first-port", type=int, default=8601, help="port du 1er processus")
    start.add_argument("--workdir", type=Path, default=DEFAULT_RUN_DIR)
    config = sub.add_parser("config", help="écrire la configuration nginx (site) sur stdout")
    config.add_argument("--processes", type=int, default=default_processes())
    config.add_argument("--first-port", type=int, default=8601)
    config.add_argument("--listen", default="80")
    config.add_argument("--frontend", type=Path, default=DEFAULT_FRONTEND)
    front = sub.add_parser("frontend", help="préparer le front end pré-compressé")
    front.add_argument("--output", type=Path, default=DEFAULT_FRONTEND)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args)
    if args.command == "config":
        ports = [args.first_port + index for index in range(args.processes)]
        print(site_config(ports, args.listen, args.frontend.resolve()), end="")
        return 0
    print(prepare_frontend(args.output.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
