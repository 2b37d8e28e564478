"""Pivot tables for analysts: datasets, their dimensions and measures in French, the pivot itself
and the chart that suits its shape (pure pandas and plotly, no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.charts import _layout, integer_ticks

COUNT = "__count__"
TOTAL = "Total"
AGGREGATIONS = {
    "sum": "Somme",
    "mean": "Moyenne",
    "median": "Médiane",
    "min": "Minimum",
    "max": "Maximum",
    "count": "Nombre de valeurs",
}


@dataclass(frozen=True)
class Dataset:
    """A table an analyst can pivot: its loader name in dashboard.queries and French labels."""

    label: str
    loader: str
    dimensions: dict[str, str]
    measures: dict[str, str] = field(default_factory=dict)
    years: tuple[str, ...] = ()  # dimensions that are years: a line chart suits them


DATASETS = {
    "actions": Dataset(
        "Actions",
        "load_actions",
        {
            "root_title": "Premier niveau du plan",
            "item_title": "Rattachement",
            "status": "Statut",
            "is_late": "En retard",
            "pilot_service": "Service pilote",
            "elected_referent": "Élu référent",
            "priority": "Priorité",
            "themes": "Thématiques",
            "start_year": "Année de début prévue",
            "end_year": "Année de fin prévue",
            "is_demo": "Données de démonstration",
        },
        {
            "progress": "Avancement (%)",
            "days_late": "Jours de retard",
            "budget_planned": "Dépenses prévues (€)",
            "budget_paid": "Dépenses payées (€)",
            "funding_requested": "Financements demandés (€)",
            "funding_granted": "Financements accordés (€)",
        },
        ("start_year", "end_year"),
    ),
    "funding": Dataset(
        "Lignes de financement",
        "load_funding_lines",
        {
            "contract_type": "Type de contrat",
            "contract": "Contrat",
            "funder_type": "Type de financeur",
            "funder": "Financeur",
            "funding_line": "Dispositif",
            "decision_year": "Année de décision",
            "action_code": "Action",
            "is_demo": "Données de démonstration",
        },
        {"requested": "Demandé (€)", "granted": "Accordé (€)", "received": "Versé (€)"},
        ("decision_year",),
    ),
    "budget": Dataset(
        "Lignes budgétaires (PPI)",
        "load_budget_lines",
        {
            "year": "Année",
            "section": "Section",
            "direction": "Sens",
            "action_code": "Action",
            "is_demo": "Données de démonstration",
        },
        {"planned": "Prévu (€)", "committed": "Engagé (€)", "paid": "Payé (€)"},
        ("year",),
    ),
    "indicators": Dataset(
        "Indicateurs des communes",
        "load_explorer_indicators",
        {"commune": "Commune", "label": "Indicateur", "year": "Année", "unit": "Unité"},
        {"value": "Valeur"},
        ("year",),
    ),
    "results": Dataset(
        "Indicateurs de résultat (valeurs mesurées)",
        "load_explorer_results",
        {
            "indicator_label": "Indicateur",
            "subject": "Porte sur",
            "root_title": "Premier niveau du plan",
            "unit": "Unité",
            "year": "Année",
            "origin": "Origine (saisie ou série)",
            "millesime": "Millésime",
            "is_demo": "Données de démonstration",
        },
        {"value": "Valeur"},
        ("year",),
    ),
    "communes": Dataset(
        "Communes",
        "load_explorer_communes",
        {"name": "Commune", "dept_code": "Département", "size_class": "Taille (habitants)"},
        {
            "population": "Population légale (dernier millésime)",
            "area_km2": "Superficie (km²)",
            "density": "Densité (hab./km²)",
            "n_actions": "Actions localisées",
        },
    ),
}


def prepare(dataset: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Derived dimensions (years, size classes) and missing values made visible."""
    frame = frame.copy()
    if dataset == "actions":
        frame["start_year"] = pd.to_datetime(frame["planned_start"]).dt.year.astype("Int64")
        frame["end_year"] = pd.to_datetime(frame["planned_end"]).dt.year.astype("Int64")
    if dataset == "funding":
        frame["decision_year"] = pd.to_datetime(frame["decision_date"]).dt.year.astype("Int64")
    if dataset == "communes":
        bins = [0, 500, 2_000, 10_000, 50_000, float("inf")]
        labels = ["< 500", "500 – 2 000", "2 000 – 10 000", "10 000 – 50 000", "≥ 50 000"]
        frame["size_class"] = pd.cut(frame["population"], bins, labels=labels, right=False)
        frame["size_class"] = frame["size_class"].astype(str)
    for column in DATASETS[dataset].dimensions:
        values = frame[column]
        if values.dtype == bool:
            frame[column] = values.map({True: "oui", False: "non"})
        else:
            frame[column] = values.astype("string").fillna("(non renseigné)")
    return frame


def apply_filters(frame: pd.DataFrame, filters: dict[str, list[str]]) -> pd.DataFrame:
    for column, values in filters.items():
        if values:
            frame = frame[frame[column].isin(values)]
    return frame


def build_pivot(
    frame: pd.DataFrame,
    rows: list[str],
    columns: str | None,
    measure: str,
    aggregation: str,
    second: str | None = None,
) -> pd.DataFrame:
    """The pivot with a « Total » row (and column) — `measure` COUNT counts rows. A `second`
    measure (no column dimension then) gives two value columns, for a scatter."""
    if not rows:
        raise ValueError("choose at least one row dimension")
    data = frame.assign(**{COUNT: 1})
    values = [measure, *([second] if second else [])]
    how = {v: "sum" if v == COUNT else aggregation for v in values}
    data = data.assign(**{v: pd.to_numeric(data[v], errors="coerce") for v in values})
    table = pd.pivot_table(
        data,
        index=rows,
        columns=None if second else (columns or None),
        values=values,
        aggfunc=how,
        margins=True,
        margins_name=TOTAL,
        dropna=False,
        observed=True,
    )
    if second or columns is None:
        table = table[values]
        table.columns = values
    else:
        table.columns = [str(c[-1]) for c in table.columns]
    table = table.dropna(how="all")
    return table.reset_index()


def chart_kind(
    rows: list[str], columns: str | None, years: tuple[str, ...], second: str | None = None
) -> str:
    """Scatter for two measures, line over years, treemap for two nested dimensions, else bars."""
    if second:
        return "scatter"
    if len(rows) == 2 and columns is None:
        return "treemap"
    if rows[0] in years:
        return "line"
    return "bar"


def build_pivot_figure(
    pivot: pd.DataFrame, rows: list[str], columns: str | None, kind: str, labels: dict[str, str]
) -> go.Figure:
    """The pivot (without its totals) as the chart `kind` chosen by chart_kind."""
    body = pivot[pivot[rows[0]] != TOTAL]
    if columns is not None:
        body = body.drop(columns=[TOTAL], errors="ignore")
    values = [c for c in body.columns if c not in rows]
    if kind == "scatter":
        return build_scatter_figure(body, rows[-1], values[0], values[1], labels)
    if kind == "treemap":
        figure = px.treemap(body, path=rows, values=values[0])
        figure.update_traces(hovertemplate="%{label}<br>%{value:,.0f}<extra></extra>")
        return _layout(figure, 520)
    long = body.melt(id_vars=rows[:1], value_vars=values, var_name="série", value_name="valeur")
    x = rows[0]
    if kind == "line":
        long = long.sort_values(x)
        figure = px.line(long, x=x, y="valeur", color="série", markers=True)
    else:
        figure = px.bar(long, x=x, y="valeur", color="série", barmode="stack")
    figure.update_layout(showlegend=columns is not None)
    figure.update_xaxes(title=labels.get(x, x), type="category")
    figure.update_yaxes(title=None, gridcolor="#e0e0e0")
    heights = body[values].sum(axis=1) if kind == "bar" else long["valeur"]
    return integer_ticks(_layout(figure, 460), heights, "y")


def build_scatter_figure(
    frame: pd.DataFrame, label: str, x: str, y: str, labels: dict[str, str]
) -> go.Figure:
    """One point per row of the dataset, with its label on hover."""
    figure = px.scatter(frame, x=x, y=y, hover_name=label)
    figure.update_xaxes(title=labels.get(x, x), gridcolor="#e0e0e0")
    figure.update_yaxes(title=labels.get(y, y), gridcolor="#e0e0e0")
    return _layout(figure, 460)


def build_result_figure(frame: pd.DataFrame) -> go.Figure | None:
    """A chart for a SQL result: bars for label + number, a scatter for two numbers."""
    if frame.empty or len(frame.columns) < 2:
        return None
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    labels = [c for c in frame.columns if c not in numeric]
    if labels and numeric:
        data = frame.head(60)
        figure = px.bar(data, x=labels[0], y=numeric[0])
        figure.update_xaxes(type="category")
        return integer_ticks(_layout(figure, 420), data[numeric[0]], "y")
    if len(numeric) >= 2:
        return _layout(px.scatter(frame, x=numeric[0], y=numeric[1]), 420)
    return None
