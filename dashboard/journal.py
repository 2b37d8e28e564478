"""Who did what, when: an append-only JSON Lines journal of sign-ins, imports, restores, exports.

One line per event, `{"at", "event", "who", "provider", "address", ...what}`, appended to
data/journal.jsonl (or the file named by PILOTAGE_JOURNAL) with one `write` on a file opened
in append mode, so lines from several processes never interleave. No Streamlit here; the
callers pass who and from where (`dashboard.auth.record`).

    python -m dashboard.journal [--last 50]      # the latest events, one per line
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JOURNAL = ROOT / "data" / "journal.jsonl"
EVENTS = {
    "sign_in": "connexion",
    "sign_in_failed": "échec de connexion",
    "sign_in_throttled": "connexion refusée (trop de tentatives)",
    "sign_out": "déconnexion",
    "session_expired": "session expirée",
    "import": "import",
    "restore": "restauration",
    "export": "export",
    "digest_sent": "résumé envoyé par courriel",
    "digest_failed": "échec d'envoi d'un résumé",
    "digest_preference": "préférence de résumés modifiée",
    "action_update": "mise à jour d'une action",
    "action_update_refused": "mise à jour d'une action refusée",
}


def journal_path() -> Path:
    return Path(os.environ.get("PILOTAGE_JOURNAL", DEFAULT_JOURNAL))


def record(
    event: str,
    who: str | None,
    provider: str | None = None,
    address: str | None = None,
    path: Path | None = None,
    **what: object,
) -> dict:
    """Append one event; `what` says what was signed into, imported, restored or exported."""
    if event not in EVENTS:
        raise ValueError(f"événement inconnu : {event}")
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "event": event,
        "who": who,
        "provider": provider,
        "address": address,
        **what,
    }
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    path = path or journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return entry


def read(path: Path | None = None) -> list[dict]:
    path = path or journal_path()
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.journal")
    parser.add_argument("--last", type=int, default=50, help="nombre d'événements affichés")
    parser.add_argument("--file", type=Path, default=None)
    args = parser.parse_args(argv)
    for entry in read(args.file)[-args.last :]:
        at = dt.datetime.fromisoformat(entry["at"]).astimezone()
        details = {
            k: v for k, v in entry.items() if k not in {"at", "event", "who", "provider"} and v
        }
        print(
            f"{at:%d/%m/%Y %H:%M:%S}  {EVENTS.get(entry['event'], entry['event'])}  "
            f"{entry.get('who') or '—'}  {json.dumps(details, ensure_ascii=False)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
