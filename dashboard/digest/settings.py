"""Settings of the weekly digests: SMTP server, the app's public address, the « no note for N
weeks » threshold and the directors of each territory. No Streamlit here (the CLI runs from cron).

Read from `[pilotage]` in `.streamlit/secrets.toml` (or the file named by PILOTAGE_SECRETS),
each overridden by an environment variable:

| secrets.toml                    | environment                 | default            |
|---------------------------------|-----------------------------|--------------------|
| `[pilotage] base_url`           | `PILOTAGE_BASE_URL`         | (needed to send)   |
| `[pilotage.smtp] host`          | `PILOTAGE_SMTP_HOST`        | (needed to send)   |
| `[pilotage.smtp] port`          | `PILOTAGE_SMTP_PORT`        | 587 / 465 / 25     |
| `[pilotage.smtp] security`      | `PILOTAGE_SMTP_SECURITY`    | `starttls`         |
| `[pilotage.smtp] user`          | `PILOTAGE_SMTP_USER`        | none (no login)    |
| `[pilotage.smtp] password`      | `PILOTAGE_SMTP_PASSWORD`    |                    |
| `[pilotage.smtp] sender`        | `PILOTAGE_SMTP_FROM`        | (needed to send)   |
| `[pilotage.smtp] timeout`       | `PILOTAGE_SMTP_TIMEOUT`     | 20 (seconds)       |
| `[pilotage.smtp] ca_file`       | `PILOTAGE_SMTP_CA_FILE`     | the system's CAs   |
| `[pilotage.digest] weeks`       | `PILOTAGE_DIGEST_WEEKS`     | 4                  |
| `[pilotage.digest.directors]`   | `PILOTAGE_DIGEST_DIRECTORS` | none               |

`PILOTAGE_DIGEST_DIRECTORS` reads `SIREN=a@x.fr,b@y.fr;SIREN2=c@z.fr`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SECRETS = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_WEEKS = 4
MAX_WEEKS = 104
DEFAULT_TIMEOUT = 20.0
SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
EMAIL_PATTERN = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


class SettingsError(ValueError):
    """A setting is missing or wrong (French message naming it)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "starttls", "ssl" or "none"
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    ca_file: str | None = None  # PEM certificates to trust (an internal CA), else the system's


@dataclass(frozen=True)
class DigestSettings:
    base_url: str | None
    weeks: int
    directors: Mapping[str, tuple[str, ...]]  # SIREN -> addresses
    smtp: SmtpSettings | None
    smtp_problem: str | None = None  # why `smtp` is None, in French
    roles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # [pilotage.roles]
    session_secret: str | None = field(default=None, repr=False)

    def require_sending(self) -> SmtpSettings:
        """The SMTP settings, or SettingsError saying what is missing to send."""
        if self.smtp is None:
            raise SettingsError(self.smtp_problem or "serveur SMTP non configuré")
        if not self.base_url:
            raise SettingsError(
                "adresse publique de l'application non configurée (PILOTAGE_BASE_URL ou "
                "`base_url` sous [pilotage] dans .streamlit/secrets.toml) : les liens vers "
                "les fiches ne mèneraient nulle part"
            )
        return self.smtp


def secrets_path() -> Path:
    return Path(os.environ.get("PILOTAGE_SECRETS", DEFAULT_SECRETS))


def read_secrets(path: Path | None = None) -> dict:
    """The `[pilotage]` table of the secrets file ({} without a file)."""
    path = path or secrets_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"fichier de réglages illisible : {path} ({error})") from None
    section = data.get("pilotage", {})
    return section if isinstance(section, dict) else {}


def is_email(text: str) -> bool:
    return bool(EMAIL_PATTERN.match(text))


def _value(env: Mapping[str, str], name: str, section: Mapping, key: str) -> object:
    text = env.get(name)
    return text if text not in (None, "") else section.get(key)


def _integer(value: object, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SettingsError(f"{label} : « {value} » n'est pas un nombre entier") from None
    if not low <= number <= high:
        raise SettingsError(f"{label} : {number} hors de l'intervalle {low}–{high}")
    return number


def _smtp(env: Mapping[str, str], section: Mapping) -> SmtpSettings:
    host = _value(env, "PILOTAGE_SMTP_HOST", section, "host")
    if not host:
        raise SettingsError(
            "serveur SMTP non configuré (PILOTAGE_SMTP_HOST ou `host` sous [pilotage.smtp] "
            "dans .streamlit/secrets.toml)"
        )
    security = str(_value(env, "PILOTAGE_SMTP_SECURITY", section, "security") or "starttls")
    security = security.strip().lower()
    if security not in SECURITY_PORTS:
        raise SettingsError(
            f"sécurité SMTP « {security} » inconnue (attendu : starttls, ssl ou none)"
        )
    port = _value(env, "PILOTAGE_SMTP_PORT", section, "port") or SECURITY_PORTS[security]
    sender = _value(env, "PILOTAGE_SMTP_FROM", section, "sender")
    if not sender:
        raise SettingsError(
            "expéditeur non configuré (PILOTAGE_SMTP_FROM ou `sender` sous [pilotage.smtp])"
        )
    user = _value(env, "PILOTAGE_SMTP_USER", section, "user")
    password = _value(env, "PILOTAGE_SMTP_PASSWORD", section, "password")
    if user and not password:
        raise SettingsError(f"mot de passe SMTP manquant pour l'utilisateur « {user} »")
    timeout = _value(env, "PILOTAGE_SMTP_TIMEOUT", section, "timeout") or DEFAULT_TIMEOUT
    try:
        timeout = float(timeout)
    except ValueError:
        raise SettingsError(f"délai SMTP : « {timeout} » n'est pas un nombre") from None
    ca_file = _value(env, "PILOTAGE_SMTP_CA_FILE", section, "ca_file")
    if ca_file and not Path(str(ca_file)).is_file():
        raise SettingsError(f"certificats SMTP à reconnaître : fichier « {ca_file} » introuvable")
    return SmtpSettings(
        ca_file=str(ca_file) if ca_file else None,
        host=str(host).strip(),
        port=_integer(port, "port SMTP", 1, 65535),
        security=security,
        sender=str(sender).replace("\r", " ").replace("\n", " ").strip(),
        user=str(user) if user else None,
        password=str(password) if password else None,
        timeout=max(1.0, min(timeout, 300.0)),
    )


def _directors(env: Mapping[str, str], section: Mapping) -> dict[str, tuple[str, ...]]:
    text = env.get("PILOTAGE_DIGEST_DIRECTORS")
    if text:
        pairs = [part.partition("=")[::2] for part in text.split(";") if part.strip()]
        raw = {siren.strip(): addresses.split(",") for siren, addresses in pairs}
    else:
        raw = dict(section.get("directors") or {})
    directors = {}
    for siren, addresses in raw.items():
        if isinstance(addresses, str):
            addresses = [addresses]
        cleaned = tuple(str(a).strip().lower() for a in addresses if str(a).strip())
        for address in cleaned:
            if not is_email(address):
                raise SettingsError(
                    f"directeurs du territoire {siren} : adresse « {address} » invalide"
                )
        directors[str(siren).strip()] = cleaned
    return directors


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> DigestSettings:
    """Every digest setting; SettingsError (French) on a wrong value. A missing SMTP server is
    not an error here (previews need none): `require_sending` says it when sending."""
    env = os.environ if env is None else env
    pilotage = read_secrets(path)
    digest = pilotage.get("digest") if isinstance(pilotage.get("digest"), dict) else {}
    smtp_section = pilotage.get("smtp") if isinstance(pilotage.get("smtp"), dict) else {}
    weeks = _value(env, "PILOTAGE_DIGEST_WEEKS", digest, "weeks") or DEFAULT_WEEKS
    try:
        smtp, problem = _smtp(env, smtp_section), None
    except SettingsError as error:
        smtp, problem = None, str(error)
    base_url = _value(env, "PILOTAGE_BASE_URL", pilotage, "base_url")
    roles = pilotage.get("roles") if isinstance(pilotage.get("roles"), dict) else {}
    return DigestSettings(
        base_url=str(base_url).strip().rstrip("/") if base_url else None,
        weeks=_integer(weeks, "semaines sans note", 1, MAX_WEEKS),
        directors=_directors(env, digest),
        smtp=smtp,
        smtp_problem=problem,
        roles={str(k).lower(): dict(v) for k, v in roles.items() if isinstance(v, dict)},
        session_secret=pilotage.get("session_secret"),
    )
