"""Parse French-formatted cells: amounts, dates, percentages, lists. Each parser raises ValueError
with a French message saying what was expected."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serials for 1955-01-01 .. 2119-12-31: wide enough for plans, too narrow for amounts.
EXCEL_SERIAL_RANGE = (20090, 80354)
MAX_AMOUNT = 100_000_000_000  # 100 Md€: anything above is a typing error, not a budget
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_LIST_SPLIT = re.compile(r"[,;|\n]+")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, accent-free form used to match vocabulary values."""
    raw = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in raw if not unicodedata.combining(c)).lower().split())


_AMBIGUOUS_THOUSANDS = re.compile(r"^-?\d{1,3}\.\d{3}$")


def parse_number(text: str) -> float:
    """A signed French or plain number: `-3,5`, `1 234,50`, `1.234.567,50`, `1234.5`."""
    cleaned = _SPACES.sub("", text).replace("€", "").replace("EUR", "").replace("eur", "")
    cleaned = cleaned.replace("%", "").replace("\u2212", "-")
    if not cleaned:
        raise ValueError("nombre vide")
    if _AMBIGUOUS_THOUSANDS.match(cleaned):
        raise ValueError(
            "nombre ambigu : « 12.500 » peut valoir 12 500 ou 12,5 ; écrivez 12 500 ou 12,5"
        )
    if "," in cleaned and "." in cleaned:
        # The last separator is the decimal one: 1.234.567,50 or 1,234,567.50
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".") if cleaned.count(",") == 1 else cleaned.replace(",", "")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError("nombre illisible (ex. attendu : 1 234 567,50)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("nombre illisible")
    return value


def parse_amount(text: str) -> float:
    """`1 234 567,50 €`, `1234567.5`, `1.234.567,50` -> 1234567.5; negative amounts refused."""
    try:
        value = parse_number(text)
    except ValueError as exc:
        message = str(exc).replace("nombre", "montant", 1)
        if "illisible" in message:
            message = "montant illisible : un nombre en euros est attendu (ex. 1 234 567,50 €)"
        raise ValueError(message) from None
    if value < 0:
        raise ValueError("montant négatif refusé")
    if value > MAX_AMOUNT:
        raise ValueError("montant aberrant (plus de 100 milliards d'euros)")
    return round(value, 2)


@functools.lru_cache(maxsize=65536)
def parse_date(text: str) -> dt.date:
    """`23/03/2026`, `2026-03-23` (Excel cells arrive as ISO) or an Excel serial number."""
    value = text.strip()
    match = _DATE_FR.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        match = _DATE_ISO.match(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        raise ValueError("date impossible (jour ou mois hors calendrier)") from None
    number = value.replace(",", ".")
    if re.fullmatch(r"\d+(\.0+)?", number):
        serial = int(float(number))
        low, high = EXCEL_SERIAL_RANGE
        if low <= serial <= high:
            return EXCEL_EPOCH + dt.timedelta(days=serial)
    raise ValueError("date illisible : format JJ/MM/AAAA attendu (ex. 23/03/2026)")


def parse_pct(text: str) -> float:
    cleaned = _SPACES.sub("", text).replace("%", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError("pourcentage illisible : un nombre entre 0 et 100 est attendu") from None
    if not 0 <= value <= 100:
        raise ValueError("pourcentage hors de l'intervalle 0 à 100")
    return value


def parse_year(text: str) -> int:
    cleaned = re.sub(r"[.,]0+$", "", text.strip())  # Excel may hand 2026 over as 2026.0
    if not re.fullmatch(r"\d{4}", cleaned):
        raise ValueError("année illisible : quatre chiffres attendus (ex. 2026)")
    year = int(cleaned)
    if not 1990 <= year <= 2100:
        raise ValueError("année hors de la période 1990-2100")
    return year


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(text) if part.strip()]


def parse_bool(text: str) -> bool:
    folded = fold(text)
    if folded in ("oui", "o", "yes", "vrai", "true", "1", "x"):
        return True
    if folded in ("non", "n", "no", "faux", "false", "0", ""):
        return False
    raise ValueError("« oui » ou « non » attendu")


def parse_siren(text: str) -> str:
    cleaned = _SPACES.sub("", text)
    if not re.fullmatch(r"\d{9}", cleaned):
        raise ValueError("SIREN illisible : neuf chiffres attendus")
    return cleaned


@functools.lru_cache(maxsize=1 << 16)
def parse_insee(text: str) -> str:
    cleaned = text.strip().upper()
    if re.fullmatch(r"\d{4}", cleaned):
        cleaned = "0" + cleaned  # Excel dropped the leading zero of 01001
    if not _INSEE.match(cleaned):
        raise ValueError("code INSEE illisible : cinq caractères attendus (ex. 52448, 2A004)")
    return cleaned


@functools.lru_cache(maxsize=256)
def _folded_choices(choices: tuple[str, ...]) -> dict[str, str]:
    return {fold(choice): choice for choice in reversed(choices)}


def match_choice(text: str, choices: tuple[str, ...]) -> str:
    """Return the canonical spelling of a vocabulary value, matched without case or accents."""
    choice = _folded_choices(choices).get(fold(text))
    if choice is not None:
        return choice
    raise ValueError(
        "valeur non reconnue ; valeurs admises : " + ", ".join(f"« {c} »" for c in choices)
    )
