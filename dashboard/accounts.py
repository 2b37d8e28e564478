"""Local accounts for a territory with no identity provider: a JSON file of scrypt hashes.

`python -m dashboard.accounts add-user LOGIN --role editor` asks for the password and writes the
file (`.streamlit/accounts.json`, or the path in PILOTAGE_ACCOUNTS). No Streamlit here.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ACCOUNTS = ROOT / ".streamlit" / "accounts.json"
ROLES = ("reader", "editor")
ROLE_LABELS = {"reader": "lecteur", "editor": "éditeur"}
# scrypt cost: ~50 ms a check, 16 MiB of memory.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 10


def accounts_path() -> Path:
    return Path(os.environ.get("PILOTAGE_ACCOUNTS", DEFAULT_ACCOUNTS))


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def load_accounts(path: Path) -> dict[str, dict]:
    """login -> {"hash", "role", "name"}; a missing file means no local accounts."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("users", {})


def authenticate(path: Path, login: str, password: str) -> dict | None:
    """The account's public part when the password matches, else None (same work either way)."""
    account = load_accounts(path).get(login.strip())
    stored = account["hash"] if account else hash_password(secrets.token_hex(8))
    if verify_password(password, stored) and account:
        return {"login": login.strip(), "role": account["role"], "name": account.get("name")}
    return None


def add_user(path: Path, login: str, password: str, role: str, name: str | None = None) -> None:
    if role not in ROLES:
        raise ValueError(f"rôle inconnu : {role} (attendu : {', '.join(ROLES)})")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")
    users = load_accounts(path)
    users[login] = {"hash": hash_password(password), "role": role, "name": name or login}
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps({"users": users}, ensure_ascii=False, indent=2), encoding="utf-8")
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-user", help="créer ou modifier un compte local")
    add.add_argument("login")
    add.add_argument("--role", choices=ROLES, default="reader")
    add.add_argument("--name", help="nom affiché")
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur stdin")
    add.add_argument("--file", type=Path, default=None, help="fichier des comptes")
    args = parser.parse_args(argv)
    path = args.file or accounts_path()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Confirmation : ") != password:
            print("Les mots de passe diffèrent.", file=sys.stderr)
            return 1
    try:
        add_user(path, args.login, password, args.role, args.name)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Compte « {args.login} » ({ROLE_LABELS[args.role]}) enregistré dans {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
