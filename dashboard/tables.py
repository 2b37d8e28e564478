"""Column specs that turn query results into French tables for display and export."""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import format_date, format_euros, format_number, format_percent

FORMATTERS = {
    "euros": format_euros,
    "date": format_date,
    "number": format_number,
    "decimal": lambda v: format_number(v, 1),
    "percent": format_percent,
    "ratio": lambda v: format_percent(None if v is None or pd.isna(v) else 100 * v),
    "bool": lambda v: "oui" if v is True else ("non" if v is False else "—"),
    "demo": lambda v: "démo" if v is True else "",
    "text": lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v),
}

ACTION_COLUMNS = [
    ("code", "Code", "text"),
    ("title", "Action", "text"),
    ("status", "Statut", "text"),
    ("progress", "Avancement (%)", "number"),
    ("is_late", "En retard", "bool"),
    ("planned_end", "Fin prévue", "date"),
    ("pilot_service", "Service pilote", "text"),
    ("root_title", "Premier niveau", "text"),
    ("item_title", "Rattachement", "text"),
    ("planned_start", "Début prévu", "date"),
    ("actual_end", "Fin réelle", "date"),
    ("elected_referent", "Élu référent", "text"),
    ("priority", "Priorité", "text"),
    ("themes", "Thématiques", "text"),
    ("communes", "Communes", "text"),
    ("budget_planned", "Dépenses prévues (€)", "euros"),
    ("funding_granted", "Financements accordés (€)", "euros"),
    ("is_demo", "Données", "demo"),
]

CONTRACT_COLUMNS = [
    ("contract", "Contrat", "text"),
    ("contract_type", "Type", "text"),
    ("start_date", "Début", "date"),
    ("end_date", "Fin", "date"),
    ("envelope", "Enveloppe (€)", "euros"),
    ("n_actions", "Actions", "number"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("envelope_use", "Consommation de l'enveloppe", "ratio"),
    ("contract_is_demo", "Données", "demo"),
]

FUNDER_COLUMNS = [
    ("funder_type", "Type de financeur", "text"),
    ("funder", "Financeur", "text"),
    ("funding_line", "Dispositif", "text"),
    ("n_actions", "Actions", "number"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("has_demo_lines", "Données", "demo"),
]

BUDGET_COLUMNS = [
    ("year", "Année", "text"),
    ("section", "Section", "text"),
    ("direction", "Sens", "text"),
    ("planned", "Prévu (€)", "euros"),
    ("committed", "Engagé (€)", "euros"),
    ("paid", "Payé (€)", "euros"),
    ("n_actions", "Actions", "number"),
    ("has_demo_lines", "Données", "demo"),
]

ACTION_FUNDING_COLUMNS = [
    ("contract", "Contrat", "text"),
    ("funder", "Financeur", "text"),
    ("funder_type", "Type", "text"),
    ("funding_line", "Dispositif", "text"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("decision_date", "Décision", "date"),
    ("is_demo", "Données", "demo"),
]

COMMUNE_INDICATOR_COLUMNS = [
    ("insee_code", "Code INSEE", "text"),
    ("name", "Commune", "text"),
    ("population_last", "Population légale", "number"),
    ("year_last", "COG", "text"),
    ("population_change_pct", "Évolution depuis 2021 (%)", "decimal"),
    ("density", "Densité (hab./km²)", "number"),
    ("n_actions", "Actions", "number"),
]

SOURCE_COLUMNS = [
    ("file", "Fichier", "text"),
    ("kind", "Nature", "text"),
    ("rows", "Lignes", "number"),
    ("millesime", "Millésime", "text"),
    ("loaded_at", "Chargé le", "date"),
    ("checksum", "Empreinte SHA-256", "text"),
]


def to_export(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Raw values (numbers stay numbers) under French headers, for CSV/Excel."""
    columns = [(c, label) for c, label, _ in spec if c in frame.columns]
    return frame[[c for c, _ in columns]].rename(columns=dict(columns))


def to_display(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> pd.DataFrame:
    """French-formatted text (1 234 567 €, 23/03/2026) under French headers, for st.dataframe."""
    shown = pd.DataFrame(index=frame.index)
    for column, label, kind in spec:
        if column in frame.columns:
            shown[label] = frame[column].map(FORMATTERS[kind]).astype(str)
    return shown
