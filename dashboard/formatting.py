"""French number, euro and date formatting; status labels and the colour palette."""

from __future__ import annotations

import datetime as dt
import html
import math

import pandas as pd

from etl.schema import PROVENANCES

NBSP = "\u00a0"
STATUS_COLORS = {
    "Réalisé": "#2e7d32",
    "En cours": "#1565c0",
    "À venir": "#90a4ae",
    "En pause": "#f9a825",
    "Bloqué": "#c62828",
    "Abandonné": "#5d4037",
    "Non renseigné": "#e0e0e0",  # the source gives no status (labelled in every legend)
}
LATE_COLOR = "#d84315"
FUNDER_COLORS = {
    "État": "#000091",
    "Région": "#6a1b9a",
    "Département": "#00838f",
    "Europe": "#1e88e5",
    "EPCI": "#ef6c00",
    "Commune": "#7cb342",
    "Autre public": "#8d6e63",
    "Privé": "#546e7a",
}
STAGE_COLORS = {"Demandé": "#b0bec5", "Accordé": "#1e88e5", "Versé": "#0d47a1"}
SEQUENTIAL = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
DEMO_LABEL = "données de démonstration"
_PROVENANCE_MARKS = {
    p.key: (f"{p.mark} {p.typed}" if p.mark == "≈" else p.mark) for p in PROVENANCES
}


def format_provenance(key: object) -> str:
    """The mark of a value's provenance in tables and exports: "" for a sourced value,
    « ≈ approximatif », « reconstitué », « démo »."""
    return _PROVENANCE_MARKS.get(key, "") if isinstance(key, str) else ""


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_number(value: object, decimals: int = 0) -> str:
    """1234567.5 -> '1 234 567' ; decimals use a comma: 12,5."""
    if _missing(value):
        return "—"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def format_measure(value: object) -> str:
    """A measure with at most one decimal and none when whole: 22 858 habitants, 12,5 %."""
    return format_number(value, 1).removesuffix(",0")


PRIORITY_LABELS = {"élevé": "élevée", "haut": "haute", "moyen": "moyenne", "bas": "basse"}


def format_priority(value: object) -> str:
    """« Priorité : élevée »: the source's word lower-cased and agreed with « priorité »."""
    if _missing(value) or not str(value).strip():
        return "—"
    word = str(value).strip().lower()
    return PRIORITY_LABELS.get(word, word)


def format_euros(value: object, decimals: int = 0) -> str:
    return "—" if _missing(value) else f"{format_number(value, decimals)}{NBSP}€"


def format_compact_euros(value: object) -> str:
    """12 500 000 -> '12,5 M€' ; 350 000 -> '350 k€'."""
    if _missing(value):
        return "—"
    amount = float(value)
    for threshold, suffix in ((1e9, "Md€"), (1e6, "M€"), (1e3, "k€")):
        if abs(amount) >= threshold:
            decimals = 1 if abs(amount) < threshold * 100 else 0
            number = format_number(amount / threshold, decimals).removesuffix(",0")
            return f"{number}{NBSP}{suffix}"
    return format_euros(amount)


def format_percent(value: object, decimals: int = 0) -> str:
    return "—" if _missing(value) else f"{format_number(value, decimals)}{NBSP}%"


def format_date(value: object) -> str:
    if _missing(value):
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, pd.Timestamp | dt.datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: object) -> str:
    if _missing(value):
        return "—"
    stamp = pd.Timestamp(value)
    return stamp.strftime("%d/%m/%Y à %H:%M")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count in (0, 1) else (plural_form or singular + "s")
    return f"{format_number(count)} {word}"


def escape(text: object) -> str:
    """Escape loaded text for HTML (popups, tooltips, unsafe_allow_html blocks)."""
    return "" if _missing(text) else html.escape(str(text), quote=True)


def escape_markdown(text: object) -> str:
    """Neutralise Markdown and HTML in loaded text shown through st.markdown."""
    if _missing(text):
        return ""
    escaped = html.escape(str(text), quote=False)
    for char in "\\`*_{}[]()#+-.!|>~$":
        escaped = escaped.replace(char, "\\" + char)
    return escaped
