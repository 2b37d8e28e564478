"""Local accounts for a territory with no identity provider: a JSON file of scrypt hashes.

`python -m dashboard.accounts add-user LOGIN --role editor` asks for the password and writes the
file (`.streamlit/accounts.json`, or the path in PILOTAGE_ACCOUNTS). No Streamlit here.

An account has a global `role` (every territory) and/or `roles` per territory, by SIREN:
`{"200068666": "editor", "245400601": "reader"}`; `"*": "host"` is the host of the deployment
(every territory, every right). `--territory SIREN:ROLE` (repeatable) and `--host` write them.
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
ROLES = ("reader", "editor")  # global roles (every territory), as before per-territory roles
TERRITORY_ROLES = ("reader", "contributor", "editor")
HOST = "host"
ROLE_LABELS = {
    "reader": "lecteur",
    "contributor": "contributeur",
    "editor": "éditeur",
    "host": "hôte",
}
# Each role includes the ones below it.
ROLE_RANK = {"reader": 1, "contributor": 2, "editor": 3, "host": 4}
ALL_TERRITORIES = "*"
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
    """login -> {"hash", "role", "roles", "name"}; a missing file means no local accounts."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("users", {})


def authenticate(path: Path, login: str, password: str) -> dict | None:
    """The account's public part when the password matches, else None (same work either way)."""
    account = load_accounts(path).get(login.strip())
    stored = account["hash"] if account else hash_password(secrets.token_hex(8))
    if verify_password(password, stored) and account:
        return public_account(login.strip(), account)
    return None


def public_account(login: str, account: dict) -> dict:
    """What a session keeps of an account: never its hash."""
    return {
        "login": login,
        "role": account.get("role"),
        "roles": territory_roles(account),
        "name": account.get("name"),
        "email": account.get("email"),
        "services": dict(account.get("services") or {}),
    }


def find_account(path: Path, login: str) -> dict | None:
    """The public part of an account by login (a sign-in resumed from its cookie)."""
    account = load_accounts(path).get(login)
    return public_account(login, account) if account else None


def territory_roles(account: dict) -> dict[str, str]:
    """SIREN (or "*") -> role; the global `role` of older files counts for every territory."""
    roles = {ALL_TERRITORIES: account["role"]} if account.get("role") else {}
    roles.update(account.get("roles") or {})
    return roles


def check_roles(roles: dict[str, str]) -> None:
    for territory, role in roles.items():
        if territory == ALL_TERRITORIES:
            if role not in (*TERRITORY_ROLES, HOST):
                raise ValueError(f"rôle inconnu pour tous les territoires : {role}")
        elif not (territory.isdigit() and len(territory) == 9):
            raise ValueError(f"territoire inconnu : {territory} (attendu : un SIREN à 9 chiffres)")
        elif role not in TERRITORY_ROLES:
            raise ValueError(f"rôle inconnu : {role} (attendu : {', '.join(TERRITORY_ROLES)})")


def add_user(
    path: Path,
    login: str,
    password: str,
    role: str | None,
    name: str | None = None,
    roles: dict[str, str] | None = None,
    email: str | None = None,
    services: dict[str, str] | None = None,
) -> None:
    """`email`: matched with actions' pilot e-mail; `services`: SIREN (or "*") -> the pilot
    service whose actions a contributor may update."""
    if role is not None and role not in ROLES:
        raise ValueError(f"rôle inconnu : {role} (attendu : {', '.join(ROLES)})")
    if role is None and not roles:
        raise ValueError("aucun rôle : --role, --territory SIREN:RÔLE ou --host")
    check_roles(roles or {})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")
    users = load_accounts(path)
    users[login] = {"hash": hash_password(password), "name": name or login}
    if role is not None:
        users[login]["role"] = role
    if roles:
        users[login]["roles"] = dict(roles)
    if email:  # the pilot's address: their actions, their weekly digest (dashboard/digest)
        if "@" not in email or any(ch.isspace() for ch in email.strip()):
            raise ValueError(f"adresse électronique invalide : {email}")
        users[login]["email"] = email.strip().lower()
    if services:
        users[login]["services"] = {t: s.strip() for t, s in services.items() if s.strip()}
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
    add.add_argument("--role", choices=ROLES, default=None, help="rôle sur tous les territoires")
    add.add_argument(
        "--territory",
        action="append",
        default=[],
        metavar="SIREN:RÔLE",
        help="rôle sur un territoire (reader, contributor, editor) ; répétable",
    )
    add.add_argument("--host", action="store_true", help="hôte : tous les territoires")
    add.add_argument("--name", help="nom affiché")
    add.add_argument(
        "--email", help="adresse électronique (pilote des actions à cette adresse, résumés)"
    )
    add.add_argument(
        "--service",
        help="service pilote (contributeurs : ses actions) sur les territoires de --territory",
    )
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur stdin")
    add.add_argument("--file", type=Path, default=None, help="fichier des comptes")
    args = parser.parse_args(argv)
    path = args.file or accounts_path()
    roles = dict(item.partition(":")[::2] for item in args.territory)
    if args.host:
        roles[ALL_TERRITORIES] = HOST
    role = args.role or (None if roles else "reader")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Confirmation : ") != password:
            print("Les mots de passe diffèrent.", file=sys.stderr)
            return 1
    try:
        territories = [t for t in roles if t != ALL_TERRITORIES] or [ALL_TERRITORIES]
        services = {t: args.service for t in territories} if args.service else None
        add_user(path, args.login, password, role, args.name, roles, args.email, services)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    given = territory_roles({"role": role, "roles": roles})
    described = ", ".join(
        f"{ROLE_LABELS[r]} ({'tous les territoires' if t == ALL_TERRITORIES else t})"
        for t, r in given.items()
    )
    print(f"Compte « {args.login} » ({described}) enregistré dans {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
