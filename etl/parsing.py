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
# re.ASCII: `\d` is 0-9 only; Python's own int() and float() read Arabic-Indic or full-width
# digits, which no French source means.
_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", re.ASCII)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII)
_LIST_SPLIT = re.compile(r"[,;|\n]+")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.ASCII)
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)
# Dates of a plan, its contracts and its notes: anything outside is a typing error (01/01/1900,
# 31/12/9999), not a date.
DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, accent-free form used to match vocabulary values."""
    raw = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in raw if not unicodedata.combining(c)).lower().split())


_AMBIGUOUS_THOUSANDS = re.compile(r"^-?\d{1,3}\.\d{3}$", re.ASCII)
_AMBIGUOUS_COMMA = re.compile(r"^-?\d{1,3},\d{3}$", re.ASCII)


def parse_number(text: str, decimal_point: bool = False) -> float:
    """A signed French or plain number: `-3,5`, `1 234,50`, `1.234.567,50`, `1234.5`.

    `decimal_point`: the column's unit has no thousands (degrees, INSEE rates): `48.575` is
    48,575, never 48 575. Only ASCII digits; no exponent (`1e3`) nor underscore (`1_000`)."""
    cleaned = _SPACES.sub("", text).replace("€", "").replace("EUR", "").replace("eur", "")
    cleaned = cleaned.replace("%", "").replace("\u2212", "-")
    if not cleaned:
        raise ValueError("nombre vide")
    if not re.fullmatch(r"[+-]?[0-9.,]+", cleaned, re.ASCII):
        raise ValueError(
            "nombre illisible : chiffres 0 à 9 attendus, avec une virgule décimale "
            "(ex. 1 234 567,50)"
        )
    if decimal_point:
        if cleaned.count(",") + cleaned.count(".") > 1:
            raise ValueError("nombre illisible : un seul séparateur décimal attendu (ex. 48,575)")
        value = float(cleaned.replace(",", "."))
        return value
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
    if not _PLAIN_NUMBER.match(cleaned):
        raise ValueError("nombre illisible (ex. attendu : 1 234 567,50)")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError("nombre illisible (ex. attendu : 1 234 567,50)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("nombre illisible")
    return value


def parse_amount(text: str) -> float:
    """`1 234 567,50 €`, `1234567.5`, `1.234.567,50` -> 1234567.5; negative amounts refused.
    `12,500` is refused: euros have two decimals, so it is 12 500 typed the English way or a
    typing error, and only the user knows which."""
    if _AMBIGUOUS_COMMA.match(_SPACES.sub("", text).replace("€", "")):
        raise ValueError(
            "montant ambigu : « 12,500 » peut valoir 12 500 € ou 12,50 € ; écrivez 12 500 ou 12,50"
        )
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
            return _plausible(dt.date(year, month, day))
        match = _DATE_ISO.match(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return _plausible(dt.date(year, month, day))
    except ValueError as exc:
        if "plausible" in str(exc):
            raise
        raise ValueError("date impossible (jour ou mois hors calendrier)") from None
    number = value.replace(",", ".")
    if re.fullmatch(r"[0-9]+(\.0+)?", number):
        serial = int(float(number))
        low, high = EXCEL_SERIAL_RANGE
        if low <= serial <= high:
            return EXCEL_EPOCH + dt.timedelta(days=serial)
    raise ValueError("date illisible : format JJ/MM/AAAA attendu (ex. 23/03/2026)")


def _plausible(date: dt.date) -> dt.date:
    low, high = DATE_RANGE
    if not low <= date <= high:
        raise ValueError(f"date hors de la période plausible {low.year}-{high.year}")
    return date


def parse_pct(text: str) -> float:
    """`40`, `40 %`, `40,5 %`, `0,5 %`; a bare `0,5` is refused: 50 % written as a fraction, or
    0,5 %? The column is in percent, so only a `%` sign makes a value under 1 certain."""
    cleaned = _SPACES.sub("", text).replace("%", "").replace(",", ".")
    if not _PLAIN_NUMBER.match(cleaned):
        raise ValueError("pourcentage illisible : un nombre entre 0 et 100 est attendu")
    value = float(cleaned)
    if not 0 <= value <= 100:
        raise ValueError("pourcentage hors de l'intervalle 0 à 100")
    if 0 < value < 1 and "%" not in text:
        raise ValueError(
            "pourcentage ambigu : « 0,5 » peut valoir 50 % ou 0,5 % ; écrivez 50 ou 0,5 %"
        )
    return value


def parse_year(text: str) -> int:
    cleaned = re.sub(r"[.,]0+$", "", text.strip())  # Excel may hand 2026 over as 2026.0
    if not re.fullmatch(r"[0-9]{4}", cleaned):
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
    if not re.fullmatch(r"[0-9]{9}", cleaned):
        raise ValueError("SIREN illisible : neuf chiffres attendus")
    return cleaned


@functools.lru_cache(maxsize=1 << 16)
def parse_insee(text: str) -> str:
    cleaned = text.strip().upper()
    if re.fullmatch(r"[0-9]{4}", cleaned):
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
    raise ValueError(_unknown_choice_message(choices))


@functools.lru_cache(maxsize=256)
def _unknown_choice_message(choices: tuple[str, ...]) -> str:
    return "valeur non reconnue ; valeurs admises : " + ", ".join(f"« {c} »" for c in choices)


_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+")
_NAMED_EMAIL = re.compile(r"(?P<name>[^<>]*)<(?P<email>[^<>]*)>")


def parse_person(text: str) -> tuple[str | None, str | None]:
    """(name, e-mail) of `Camille Martin <camille.martin@agglo.fr>`, a bare address, or a name."""
    text = text.strip()
    named = _NAMED_EMAIL.fullmatch(text)
    name, email = (named["name"].strip(), named["email"].strip()) if named else (None, None)
    if not named:
        name, email = (None, text) if "@" in text else (text, None)
    if email is not None and not _EMAIL.fullmatch(email):
        raise ValueError(
            "adresse électronique illisible : « Prénom Nom <adresse@domaine.fr> » ou l'adresse"
        )
    return name or None, email.lower() if email else None


def parse_coordinate(text: str) -> float:
    """Degrees (WGS84): `48,6385` or `48.575` (a point is always decimal in degrees)."""
    return parse_number(text, decimal_point=True)
