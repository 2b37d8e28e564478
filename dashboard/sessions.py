"""Local sign-ins that survive a page reload, expire when idle, and slowed-down wrong passwords.

A sign-in creates a random token; the browser keeps it, HMAC-signed, in the `pilotage_session`
cookie (set by a few lines of JavaScript, `dashboard/auth.py`), and the server keeps only its
SHA-256 with the login, when it was last used and whether it was ended. Every Streamlit process
of a deployment shares this store (SQLite in WAL mode under data/), so a reload that reaches
another process, or the same one after a restart, finds the sign-in. No Streamlit here.

Wrong passwords are counted per account and per address; past a few free attempts each new one
must wait twice as long as the one before (up to 15 minutes). The address allows many more free
attempts than the account: a whole town hall may share one.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = ROOT / "data" / "sessions.sqlite3"
DEFAULT_SECRET = ROOT / "data" / ".session_secret"
COOKIE = "pilotage_session"
DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_MAX_HOURS = 12.0  # a sign-in ends after this long even when used all along
FREE_FAILURES = {"account": 3, "address": 20}
MAX_WAIT_S = 900.0
FAILURE_MEMORY_S = 3600.0  # failures older than this are forgotten
SCHEMA = """
create table if not exists sessions (
    token_hash text primary key, login text not null, created real not null,
    last_seen real not null, ended integer not null default 0
);
create table if not exists failures (
    key text primary key, count integer not null, last real not null
);
create table if not exists seen (key text primary key, at real not null);
create table if not exists turns (key text not null, at real not null);
create index if not exists turns_by_key on turns (key, at);
"""


def store_path() -> Path:
    return Path(os.environ.get("PILOTAGE_SESSIONS", DEFAULT_STORE))


def idle_seconds() -> float:
    """`PILOTAGE_SESSION_IDLE_MINUTES` (decimals allowed), 30 minutes by default."""
    return 60 * float(os.environ.get("PILOTAGE_SESSION_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES)


def max_age_seconds() -> float:
    return 3600 * float(os.environ.get("PILOTAGE_SESSION_MAX_HOURS") or DEFAULT_MAX_HOURS)


def session_secret(configured: str | None = None) -> bytes:
    """`[pilotage] session_secret` when given, else a random key written once to
    data/.session_secret (mode 0600) and shared by every process of this machine."""
    if configured:
        return configured.encode("utf-8")
    path = Path(os.environ.get("PILOTAGE_SESSION_SECRET_FILE", DEFAULT_SECRET))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        # link: fails when another process wrote it first, so every process keeps one key.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
        temp.unlink()
    return bytes.fromhex(path.read_text().strip())


@contextlib.contextmanager
def _store(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    path = path or store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        con.execute("pragma journal_mode = wal")
        con.executescript(SCHEMA)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)
        yield con
    finally:
        con.close()


def _sign(token: str, key: bytes) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_of(cookie: str, key: bytes) -> str | None:
    """The token in a cookie value whose signature is right, else None."""
    if not isinstance(cookie, str):
        return None
    token, _, signature = cookie.partition(".")
    if not token or not hmac.compare_digest(signature, _sign(token, key)):
        return None
    return token


def start(login: str, key: bytes, now: float | None = None) -> str:
    """A new sign-in for `login`: the cookie value to give the browser."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with _store() as con:
        con.execute("insert into sessions values (?, ?, ?, ?, 0)", (_hash(token), login, now, now))
        # Old rows are useless: drop what can no longer be resumed.
        con.execute("delete from sessions where created < ?", (now - max_age_seconds(),))
    return f"{token}.{_sign(token, key)}"


def resume(cookie: str, key: bytes, now: float | None = None) -> str | None:
    """The login of a live sign-in, marked as used now; None when the cookie is forged, ended,
    idle for longer than `idle_seconds()` or older than `max_age_seconds()` (then ended)."""
    token = _token_of(cookie, key)
    if token is None:
        return None
    now = time.time() if now is None else now
    with _store() as con:
        row = con.execute(
            "select login, created, last_seen, ended from sessions where token_hash = ?",
            (_hash(token),),
        ).fetchone()
        if row is None or row[3]:
            return None
        login, created, last_seen, _ended = row
        if now - last_seen > idle_seconds() or now - created > max_age_seconds():
            con.execute("update sessions set ended = 1 where token_hash = ?", (_hash(token),))
            return None
        con.execute("update sessions set last_seen = ? where token_hash = ?", (now, _hash(token)))
    return login


def end(cookie: str, key: bytes) -> None:
    """Sign-out: the cookie can no longer be resumed, on any process."""
    token = _token_of(cookie, key)
    if token is not None:
        with _store() as con:
            con.execute("update sessions set ended = 1 where token_hash = ?", (_hash(token),))


def _keys(login: str, address: str | None) -> dict[str, str]:
    keys = {"account": f"account:{login.strip().lower()}"}
    if address:
        keys["address"] = f"address:{address}"
    return keys


def wait_needed(count: int, free: int) -> float:
    """Seconds to wait after `count` failures: none for the first `free`, then 1, 2, 4… s."""
    return 0.0 if count < free else min(MAX_WAIT_S, 2.0 ** (count - free))


def retry_after(login: str, address: str | None, now: float | None = None) -> float:
    """Seconds before this account may try a password again from this address (0: now)."""
    now = time.time() if now is None else now
    keys = _keys(login, address)
    longest = 0.0
    with _store() as con:
        for kind, key in keys.items():
            row = con.execute("select count, last from failures where key = ?", (key,)).fetchone()
            if row and now - row[1] < FAILURE_MEMORY_S:
                longest = max(longest, row[1] + wait_needed(row[0], FREE_FAILURES[kind]) - now)
    return max(0.0, longest)


def record_failure(login: str, address: str | None, now: float | None = None) -> None:
    now = time.time() if now is None else now
    with _store() as con:
        for key in _keys(login, address).values():
            row = con.execute("select count, last from failures where key = ?", (key,)).fetchone()
            count = row[0] + 1 if row and now - row[1] < FAILURE_MEMORY_S else 1
            con.execute("insert or replace into failures values (?, ?, ?)", (key, count, now))


def record_success(login: str) -> None:
    """A right password clears the account's count (the address's runs out by itself)."""
    with _store() as con:
        con.execute("delete from failures where key = ?", (_keys(login, None)["account"],))


def take_turn(key: str, limit: int, window_s: float, now: float | None = None) -> float:
    """One more costly request of `key` (e.g. a save that rebuilds the warehouse): 0 and
    counted when fewer than `limit` were made in the last `window_s` seconds, else the seconds
    to wait (not counted). Shared by every process of a deployment."""
    now = time.time() if now is None else now
    with _store() as con:
        con.execute("begin immediate")
        try:
            con.execute("delete from turns where key = ? and at <= ?", (key, now - window_s))
            taken = [
                at
                for (at,) in con.execute(
                    "select at from turns where key = ? order by at", (key,)
                ).fetchall()
            ]
            if len(taken) >= limit:
                return max(0.0, taken[len(taken) - limit] + window_s - now)
            con.execute("insert into turns values (?, ?)", (key, now))
            return 0.0
        finally:
            con.execute("commit")


def first_sight(key: str, now: float | None = None) -> bool:
    """True the first time `key` is given (e.g. one OIDC sign-in: e-mail and token time), in
    any process; False afterwards."""
    now = time.time() if now is None else now
    with _store() as con:
        con.execute("delete from seen where at < ?", (now - max_age_seconds(),))
        return con.execute("insert or ignore into seen values (?, ?)", (key, now)).rowcount == 1
