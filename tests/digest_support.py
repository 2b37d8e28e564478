"""Shared by the digest tests: a real SMTP server (aiosmtpd) on 127.0.0.1, the environment of
a digest run, the CLI run as a subprocess, and the received messages parsed."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ROOT = Path(__file__).resolve().parent.parent
SIREN = "200068666"
TERRITORY = "saint-dizier"
BASE_URL = "https://pilotage.test"
DIRECTOR = "direction@example.org"
SMTP_USER, SMTP_PASSWORD = "pilotage", "secret-smtp-de-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """What the SMTP server accepted."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class Authenticator:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        )
        return AuthResult(success=ok, handled=False)  # the server answers 235 or 535


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), as an internal CA would issue."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def start_server(
    with_auth: bool = False, tls: str | None = None, certificate: tuple[Path, Path] | None = None
) -> tuple[Controller, Inbox]:
    """aiosmtpd on a free port of 127.0.0.1; `tls` "starttls" (required) or "ssl"."""
    inbox = Inbox()
    options: dict = {"authenticator": Authenticator()} if with_auth else {}
    if with_auth and tls != "starttls":  # aiosmtpd counts only STARTTLS as encrypted
        options["auth_require_tls"] = False
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        if tls == "ssl":
            options["ssl_context"] = context
        else:
            options.update(tls_context=context, require_starttls=True)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller, inbox


def digest_env(tmp: Path, warehouse: Path, port: int, **extra: str) -> dict[str, str]:
    """A run's environment: nothing read from the worktree's own settings or data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTAGE_")}
    env.update(
        {
            "PILOTAGE_WAREHOUSE": str(warehouse),
            "PILOTAGE_SECRETS": str(tmp / "absent-secrets.toml"),
            "PILOTAGE_ACCOUNTS": str(tmp / "absent-accounts.json"),
            "PILOTAGE_JOURNAL": str(tmp / "journal.jsonl"),
            "PILOTAGE_DIGEST_PREFERENCES": str(tmp / "preferences.json"),
            "PILOTAGE_SESSION_SECRET_FILE": str(tmp / "session_secret"),
            "PILOTAGE_BASE_URL": BASE_URL,
            "PILOTAGE_SMTP_HOST": "127.0.0.1",
            "PILOTAGE_SMTP_PORT": str(port),
            "PILOTAGE_SMTP_SECURITY": "none",
            "PILOTAGE_SMTP_FROM": "Pilotage territorial <pilotage@example.org>",
            "PILOTAGE_SMTP_TIMEOUT": "10",
            "PILOTAGE_DIGEST_DIRECTORS": f"{SIREN}={DIRECTOR}",
        }
    )
    env.update(extra)
    return env


def run_cli(env: dict[str, str], *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.digest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def send_once(
    tmp: Path, warehouse: Path, *args: str, with_auth: bool = False, **extra: str
) -> tuple[subprocess.CompletedProcess, list[Received]]:
    """Start a server, run the CLI against it (`args` after --territoire SIREN), stop it."""
    controller, inbox = start_server(with_auth)
    try:
        env = digest_env(tmp, warehouse, controller.port, **extra)
        result = run_cli(env, "--territoire", SIREN, *args)
    finally:
        controller.stop()
    return result, inbox.messages


class LinkParser(HTMLParser):
    """Each <h2> section of the HTML part with the links of its list items."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.links: list[str] = []
        self._title: list[str] | None = None
        self._current: str | None = None
        self._in_item = False

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self._title = []
        elif tag == "li":
            self._in_item = True
        elif tag == "a":
            href = dict(attrs).get("href")
            self.links.append(href)
            if self._current is not None and self._in_item:
                self.sections[self._current].append(href)

    def handle_endtag(self, tag):
        if tag == "li":
            self._in_item = False
        elif tag == "h2" and self._title is not None:
            self._current = re.sub(r"\s*\(\d+\)$", "", "".join(self._title).strip())
            self.sections[self._current] = []
            self._title = None

    def handle_data(self, data):
        if self._title is not None:
            self._title.append(data)


def fiche_code(link: str) -> str | None:
    """The action code of a fiche link of the territory, else None."""
    parts = urlsplit(link)
    if f"{parts.scheme}://{parts.netloc}" != BASE_URL or parts.path != "/fiche-action":
        return None
    query = parse_qs(parts.query)
    assert query["territoire"] == [SIREN], link
    return query["action"][0]


def text_sections(text: str) -> dict[str, list[str]]:
    """Section title -> action codes listed under it, in the plain-text part."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.fullmatch(r"== (.+) \((\d+)\) ==", line)
        if heading:
            current = heading.group(1)
            sections[current] = []
        elif current and (item := re.match(r"- (\S+) — ", line)):
            sections[current].append(item.group(1))
    return sections


def parts(message: EmailMessage) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )
