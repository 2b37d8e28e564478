"""Column specs that turn query results into French tables for display and export."""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import (
    format_date,
    format_euros,
    format_measure,
    format_number,
    format_percent,
    format_priority,
    format_provenance,
)

FORMATTERS = {
    "euros": format_euros,
    "date": format_date,
    "number": format_number,
    "decimal": format_measure,
    "priority": format_priority,
    "percent": format_percent,
    "ratio": lambda v: format_percent(None if v is None or pd.isna(v) else 100 * v),
    "bool": lambda v: "oui" if v is True else ("non" if v is False else "—"),
    "demo": lambda v: "démo" if v is True else "",
    "provenance": format_provenance,
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
    ("priority", "Priorité", "priority"),
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
    ("is_demo", "Données", "demo"),
]

# On screen (Financements › Par contrat): what a user compares across contracts; the type and
# dates are in the chosen contract's detail and the export keeps CONTRACT_COLUMNS.
CONTRACT_TABLE_COLUMNS = [
    c for c in CONTRACT_COLUMNS if c[0] not in ("contract_type", "start_date", "end_date")
]
CONTRACT_TABLE_COLUMNS[-2] = ("envelope_use", "Consommation", "ratio")

FUNDER_COLUMNS = [
    ("funder_type", "Type de financeur", "text"),
    ("funder", "Financeur", "text"),
    ("funding_line", "Dispositif", "text"),
    ("n_actions", "Actions", "number"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("share_of_granted", "Part de l'accordé", "ratio"),
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

# On the fiche (full width): who gives what; the funder's type is in the export.
ACTION_FUNDING_TABLE_COLUMNS = [c for c in ACTION_FUNDING_COLUMNS if c[0] != "funder_type"]
ACTION_FUNDING_TABLE_COLUMNS[:2] = ACTION_FUNDING_TABLE_COLUMNS[1::-1]  # funder first

COMMUNE_INDICATOR_COLUMNS = [
    ("insee_code", "Code INSEE", "text"),
    ("name", "Commune", "text"),
    ("population_last", "Population légale", "number"),
    ("year_last", "COG", "text"),
    ("population_change_pct", "Évolution depuis 2021 (%)", "decimal"),
    ("density", "Densité (hab./km²)", "number"),
    ("n_actions", "Actions", "number"),
]

FLOW_COLUMNS = [
    ("funder_type", "Type de financeur", "text"),
    ("contract", "Contrat", "text"),
    ("root_title", "Premier niveau du plan", "text"),
    ("granted", "Accordé (€)", "euros"),
    ("n_lines", "Lignes", "number"),
]

LEVERAGE_COLUMNS = [
    ("code", "Code", "text"),
    ("title", "Action", "text"),
    ("root_title", "Premier niveau", "text"),
    ("cost", "Coût (dépenses prévues, €)", "euros"),
    ("secured", "Financements accordés (€)", "euros"),
    ("external", "dont financeurs extérieurs (€)", "euros"),
    ("own_money", "Fonds propres de l'EPCI (€)", "euros"),
    ("own_money_derived", "Fonds propres déduits", "bool"),
    ("leverage", "Effet de levier (€ extérieur par € propre)", "decimal"),
    ("gap", "Reste à financer (€)", "euros"),
    ("cost_unknown", "Coût inconnu", "bool"),
    ("is_demo", "Données", "demo"),
]

CONTRACT_ACTION_COLUMNS = [
    ("code", "Code", "text"),
    ("title", "Action", "text"),
    ("status", "Statut", "text"),
    ("funder", "Financeur", "text"),
    ("funding_line", "Dispositif", "text"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("is_demo", "Données", "demo"),
]

PORTFOLIO_EPCI_COLUMNS = [
    ("epci", "EPCI", "text"),
    ("n_projects", "Projets", "number"),
    ("n_with_cost", "dont coût connu", "number"),
    ("cost", "Coût connu (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("granted_state", "dont État (€)", "euros"),
    ("granted_region", "dont Région (€)", "euros"),
    ("granted_europe", "dont Europe (€)", "euros"),
]

PORTFOLIO_TYPE_COLUMNS = [
    ("territory", "Territoire", "text"),
    ("contract_type", "Type de contrat", "text"),
    ("n_actions", "Actions", "number"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("has_demo_lines", "Données", "demo"),
]

STATUS_BY_ROOT_COLUMNS = [
    ("title", "Premier niveau", "text"),
    ("status", "Statut", "text"),
    ("n_actions", "Actions", "number"),
    ("n_late", "dont en retard", "number"),
]

POPULATION_COLUMNS = [
    ("name", "Commune", "text"),
    ("year", "Année du COG", "text"),
    ("value", "Population légale", "number"),
    ("is_repeat", "Valeur non actualisée", "bool"),
    ("source", "Source", "text"),
]

CALENDAR_COLUMNS = [
    c
    for c in ACTION_COLUMNS
    if c[0]
    in (
        "code",
        "title",
        "root_title",
        "status",
        "is_late",
        "planned_start",
        "planned_end",
        "actual_end",
    )
]

GAP_COLUMNS = [c for c in LEVERAGE_COLUMNS if c[0] in ("code", "title", "cost", "secured", "gap")]

RANKING_COLUMNS = [
    ("rank", "Rang", "number"),
    ("name", "Commune", "text"),
    ("insee_code", "Code INSEE", "text"),
    ("value", "Valeur", "decimal"),
    ("unit", "Unité", "text"),
    ("year", "Millésime", "text"),
    ("source", "Source", "text"),
]

EPCI_COMPARISON_COLUMNS = [
    ("name", "EPCI", "text"),
    ("year", "Année du COG", "text"),
    ("population", "Population légale", "number"),
    ("index", "Indice", "decimal"),
    ("n_communes", "Communes", "number"),
    ("all_repeat", "Valeurs non actualisées", "bool"),
]

TERRITORY_INSEE_COLUMNS = [
    ("label", "Indicateur", "text"),
    ("year", "Millésime", "text"),
    ("value", "Valeur du territoire", "decimal"),
    ("unit", "Unité", "text"),
    ("method", "Calcul", "text"),
    ("communes", "Communes renseignées", "text"),
    ("complete", "Complet (sans secret ni manque)", "bool"),
    ("source", "Source", "text"),
]

SOURCE_COLUMNS = [
    ("file", "Fichier", "text"),
    ("kind", "Nature", "text"),
    ("rows", "Lignes", "number"),
    ("millesime", "Millésime", "text"),
    ("loaded_at", "Chargé le", "date"),
    ("checksum", "Empreinte SHA-256", "text"),
]


# Sheets of the whole-plan workbook (exports.build_plan_workbook).
ACTION_EXPORT_COLUMNS = [
    *ACTION_COLUMNS[:-1],
    ("item_path", "Chemin dans le plan", "text"),
    ("description", "Description", "text"),
    ("days_late", "Jours de retard", "number"),
    ("budget_committed", "Dépenses engagées (€)", "euros"),
    ("budget_paid", "Dépenses payées (€)", "euros"),
    ("funding_requested", "Financements demandés (€)", "euros"),
    ("funding_received", "Financements versés (€)", "euros"),
    ("last_note_date", "Dernier suivi", "date"),
    ("source", "Source", "text"),
    ACTION_COLUMNS[-1],
]

PLAN_ITEM_COLUMNS = [
    ("code", "Code", "text"),
    ("level", "Niveau", "text"),
    ("depth", "Profondeur", "number"),
    ("parent_code", "Code du parent", "text"),
    ("title", "Intitulé", "text"),
    ("description", "Description", "text"),
    ("n_actions", "Actions rattachées", "number"),
    ("source", "Source", "text"),
    ("is_demo", "Données", "demo"),
]

LINE_ACTION = [("action_code", "Code action", "text"), ("action_title", "Action", "text")]
LINE_PROVENANCE = [("source", "Source", "text"), ("is_demo", "Données", "demo")]

BUDGET_LINE_COLUMNS = [
    *LINE_ACTION,
    *[c for c in BUDGET_COLUMNS if c[0] not in ("n_actions", "has_demo_lines")],
    *LINE_PROVENANCE,
]

FUNDING_LINE_COLUMNS = [
    *LINE_ACTION,
    ("contract_code", "Code contrat", "text"),
    ("contract", "Contrat", "text"),
    ("funder", "Financeur", "text"),
    ("funder_type", "Type de financeur", "text"),
    *[c for c in ACTION_FUNDING_COLUMNS if c[0] not in ("contract", "funder", "funder_type")][:-1],
    *LINE_PROVENANCE,
]

CONTRACT_LIST_COLUMNS = [
    ("code", "Code", "text"),
    ("name", "Contrat", "text"),
    ("contract_type", "Type", "text"),
    ("signatories", "Signataires", "text"),
    ("start_date", "Début", "date"),
    ("end_date", "Fin", "date"),
    ("envelope", "Enveloppe (€)", "euros"),
    ("source", "Source", "text"),
    ("is_demo", "Données", "demo"),
]


PROVENANCE_COLUMN = ("provenance", "Provenance", "provenance")


def with_provenance(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> list:
    """Rows that carry their provenance show it in place of their demo flag: one rule for every
    table, its display and its export (sourced, ≈ approximatif, reconstitué, démo)."""
    if "provenance" not in frame.columns:
        return spec
    return [PROVENANCE_COLUMN if column == "is_demo" else (column, label, kind)
            for column, label, kind in spec]  # fmt: skip


def to_export(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Raw values (numbers stay numbers) under French headers, for CSV/Excel."""
    spec = with_provenance(frame, spec)
    columns = [(c, label) for c, label, _ in spec if c in frame.columns]
    export = frame[[c for c, _ in columns]].rename(columns=dict(columns))
    if PROVENANCE_COLUMN[1] in export.columns:  # the same mark as on screen and in the PDF
        export[PROVENANCE_COLUMN[1]] = export[PROVENANCE_COLUMN[1]].map(format_provenance)
    # exports.to_excel_workbook reads the kinds to give each column its Excel number format.
    export.attrs["kinds"] = {label: kind for c, label, kind in spec if c in frame.columns}
    return export


def to_display(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> pd.DataFrame:
    """French-formatted text (1 234 567 €, 23/03/2026) under French headers, for st.dataframe."""
    spec = with_provenance(frame, spec)
    approximate = frame["provenance"].eq("approximate") if "provenance" in frame.columns else None
    shown = pd.DataFrame(index=frame.index)
    for column, label, kind in spec:
        if column in frame.columns:
            shown[label] = frame[column].map(FORMATTERS[kind]).astype(str)
            if kind == "euros" and approximate is not None:
                # « ≈ 50 000 000 € »: the document says « environ ».
                marked = approximate & shown[label].ne("—")
                shown[label] = shown[label].where(~marked, "≈ " + shown[label])
    return shown


def build_ppi_table(budget: pd.DataFrame, measure: str = "planned") -> pd.DataFrame:
    """Years as columns, section × direction as rows, with totals that add up and the balance."""
    if budget.empty:
        return pd.DataFrame()
    pivot = budget.pivot_table(
        index=["section", "direction"],
        columns="year",
        values=measure,
        aggfunc="sum",
        dropna=False,
    )
    pivot = pivot.astype("float64")
    pivot.columns = [str(c) for c in pivot.columns]
    rows = []
    for (section, direction), values in pivot.iterrows():
        rows.append({"Ligne": f"{section} — {direction.lower()}s", **values.to_dict()})
    for direction in ("Dépense", "Recette"):
        subset = (
            pivot.xs(direction, level="direction")
            if direction in pivot.index.get_level_values(1)
            else None
        )
        if subset is not None:
            rows.append(
                {"Ligne": f"Total des {direction.lower()}s", **subset.sum(min_count=1).to_dict()}
            )
    table = pd.DataFrame(rows).set_index("Ligne")
    table["Total"] = table.sum(axis=1, min_count=1)
    return table.reset_index()


CHANGE_COLUMNS = [
    ("code", "Code", "text"),
    ("title", "Action", "text"),
    ("change", "Changement", "text"),
    ("before", "Avant", "text"),
    ("after", "Après", "text"),
    ("author", "Par", "text"),
]

COMMISSION_LATE_COLUMNS = [
    ("code", "Code", "text"),
    ("title", "Action", "text"),
    ("status", "Statut", "text"),
    ("planned_end", "Fin prévue", "date"),
    ("days_late", "Jours de retard", "number"),
    ("pilot_service", "Service pilote", "text"),
]

COMMISSION_CONTRACT_COLUMNS = [
    ("code", "Code", "text"),
    ("title", "Action", "text"),
    ("funder", "Financeur", "text"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("is_demo", "Données", "demo"),
]


def build_plan_item_table(items: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Plan items with their parent's code and the number of actions attached to each."""
    codes = dict(zip(items["item_id"], items["code"], strict=True))
    counts = actions.groupby("item_id").size()
    return items.assign(
        parent_code=items["parent_id"].map(codes),
        n_actions=items["item_id"].map(counts).fillna(0).astype(int),
    )


# What an action table shows on screen (the export keeps every column of ACTION_COLUMNS): the
# columns a user needs fit a 1366 px laptop; the others are on the fiche of the action.
ACTION_TABLE_COLUMNS = [
    c
    for c in ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "progress", "planned_end", "pilot_service", "root_title")
] + [ACTION_COLUMNS[-1]]


def build_table_cells(
    frame: pd.DataFrame,
    spec: list[tuple[str, str, str]],
    links: list[str | None] | None = None,
    link_column: str = "title",
) -> tuple[list[dict], list[list[dict]]]:
    """Headers and cells of an HTML table (templates/action_table.html): with `links`, an
    action's title (`link_column`) is the link to its fiche (a row whose link is None keeps
    plain text); the status says « en retard », progress gets its bar."""
    shown = to_display(frame, spec)
    kinds = {label: kind for _, label, kind in with_provenance(frame, spec)}
    columns = {label: column for column, label, _ in with_provenance(frame, spec)}
    late = frame["is_late"].eq(True).to_numpy() if "is_late" in frame else [False] * len(frame)
    cell_kinds = {"code": "code", "status": "status", "progress": "progress"}
    if links is not None:
        cell_kinds[link_column] = "link"
    headers = [
        {
            "label": label.removesuffix(" (%)"),
            "kind": cell_kinds.get(columns[label], kinds[label]),
        }
        for label in shown.columns
    ]
    rows = []
    for position, (_, values) in enumerate(shown.iterrows()):
        row = []
        for header, label in zip(headers, shown.columns, strict=True):
            cell = {"kind": header["kind"], "text": values[label]}
            if header["kind"] == "link":
                cell["href"] = links[position]
                if cell["href"] is None:
                    cell["kind"] = "text"
            elif header["kind"] == "status":
                cell["late"] = bool(late[position])
            elif header["kind"] == "progress":
                raw = frame[columns[label]].iloc[position]
                cell["value"] = None if pd.isna(raw) else max(0.0, min(100.0, float(raw)))
                cell["text"] = format_percent(raw)
            row.append(cell)
        rows.append(row)
    return headers, rows
