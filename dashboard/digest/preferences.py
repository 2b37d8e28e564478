"""Each person's choice to receive the weekly digests or not, by e-mail address.

A person's preference, not plan data: kept outside the warehouse, in
data/digest_preferences.json (or the file named by PILOTAGE_DIGEST_PREFERENCES), written under
a lock and swapped in atomically. Set from the page « Résumés par courriel » by the person
themself or by an editor of the territory, or by the signed link of every message; honoured by
`python -m dashboard.digest`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from pathlib import Path

from dashboard import sessions

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_PREFERENCES = ROOT / "data" / "digest_preferences.json"
TOKEN_PURPOSE = b"digest-unsubscribe:"


def preferences_path() -> Path:
    return Path(os.environ.get("PILOTAGE_DIGEST_PREFERENCES", DEFAULT_PREFERENCES))


def load_preferences(path: Path | None = None) -> dict[str, dict]:
    """address -> {"opted_out", "changed_at", "changed_by"}; no file: everybody receives."""
    path = path or preferences_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"fichier des préférences illisible : {path} ({error})") from None
    return dict(data.get("addresses", {}))


def is_opted_out(address: str, preferences: dict[str, dict]) -> bool:
    return bool(preferences.get(address.strip().lower(), {}).get("opted_out"))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def set_opt_out(address: str, opted_out: bool, by: str | None, path: Path | None = None) -> dict:
    """Record that `address` does (not) want the digests any more; returns its new entry."""
    path = path or preferences_path()
    address = address.strip().lower()
    with _locked(path):
        addresses = load_preferences(path)
        entry = {
            "opted_out": opted_out,
            "changed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "changed_by": by,
        }
        addresses[address] = entry
        temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        temp.write_text(
            json.dumps({"addresses": addresses}, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    return entry


def unsubscribe_token(address: str, secret: str | None = None) -> str:
    """The signature of an unsubscribe link: only this server's key makes it, for one address."""
    key = sessions.session_secret(secret)
    message = TOKEN_PURPOSE + address.strip().lower().encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def check_token(address: str, token: str, secret: str | None = None) -> bool:
    return hmac.compare_digest(unsubscribe_token(address, secret), str(token))
