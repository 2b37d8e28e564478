"""Streamlit pieces of Indicateurs: legal population series, ranking of communes, scatter of
two indicators, comparison with other EPCI, the territory's INSEE values and key figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import indicator_charts, indicators, queries, summaries, tables
from dashboard.formatting import format_measure, format_number, plural
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.widgets import render_chart_data, render_table, safe_text

TABS = [
    "Population légale",
    "Classement des communes",
    "Croiser deux indicateurs",
    "Comparer avec d'autres EPCI",
]


def select_measure(
    container, label: str, catalog: dict[str, str], key: str, default: str | None = None
) -> str:
    """A selector over indicator codes shown with their French label and unit."""
    options = list(catalog)
    index = options.index(default) if default in catalog else 0
    return container.selectbox(label, options, format_func=catalog.get, key=key, index=index)


def render_population(territory: Territory) -> None:
    """The territory's legal population by year, then one commune's."""
    series = queries.load_population_series(territory.territory_id)
    totals = indicators.territory_population(series)
    title = f"Ensemble du territoire ({territory.n_communes} communes)"
    render_chart(
        indicator_charts.build_population_figure(totals, title),
        summaries.build_series_summary(f"population légale, {title}", totals, "year", "value"),
        key="population_total",
    )
    render_chart_data(totals, tables.POPULATION_COLUMNS, "population", "pop_t")
    labels = indicators.communes_by_population(series)
    code = st.selectbox("Commune", list(labels), format_func=labels.get, key="indicator_commune")
    one = series[series["insee_code"] == code]
    render_chart(
        indicator_charts.build_population_figure(one, labels[code]),
        summaries.build_series_summary(
            f"population légale de {labels[code]}", one, "year", "value"
        ),
        key="population_commune",
    )
    render_chart_data(one, tables.POPULATION_COLUMNS, "population_commune", "pop_c")
    st.caption(
        "Source : INSEE, populations légales en vigueur selon le code officiel géographique "
        "(COG) de chaque année, via @etalab/decoupage-administratif. Un marqueur creux signale "
        "une valeur identique à l'année précédente : elle n'a pas été actualisée, ce n'est pas "
        "une mesure nouvelle."
    )


def render_ranking(measures: pd.DataFrame) -> None:
    catalog = indicators.measure_catalog(measures)
    measure = select_measure(st, "Indicateur", catalog, "rank_measure")
    ranked = indicators.ranking(measures, measure)
    render_chart(
        indicator_charts.build_ranking_figure(ranked, catalog[measure]),
        summaries.build_ranked_summary(
            f"classement des communes, {catalog[measure]}",
            ranked,
            "name",
            "value",
            format_measure,
        ),
        key="ranking",
    )
    render_table(ranked, tables.RANKING_COLUMNS, "classement", "ranking_table")


def render_scatter(measures: pd.DataFrame) -> None:
    catalog = indicators.measure_catalog(measures)
    left, right = st.columns(2)
    x = select_measure(left, "Axe horizontal", catalog, "scatter_x", "density")
    y = select_measure(right, "Axe vertical", catalog, "scatter_y", "population_change")
    table = indicators.wide(measures)
    render_chart(
        indicator_charts.build_scatter_figure(table, x, y, catalog[x], catalog[y]),
        f"nuage de points des {plural(len(table), 'commune')} : {catalog[x]} en abscisse, "
        f"{catalog[y]} en ordonnée.",
        key="scatter",
    )
    render_chart_data(
        table[["insee_code", "name", x, y]].rename(columns={x: catalog[x], y: catalog[y]}),
        [
            ("insee_code", "Code INSEE", "text"),
            ("name", "Commune", "text"),
            (catalog[x], catalog[x], "decimal"),
            (catalog[y], catalog[y], "decimal"),
        ],
        "croisement",
        "scatter_data",
    )


def render_epci_comparison(territory: Territory) -> None:
    """The territory's legal population beside any EPCI of the national reference."""
    epcis = queries.load_epci_list()
    names = dict(zip(epcis["siren"], epcis["name"], strict=True))
    own = [territory.siren] if territory.siren in names else []
    chosen = st.multiselect(
        "EPCI à comparer (référentiel national)",
        list(names),
        default=own,
        format_func=names.get,
        key="compare_epci",
        placeholder="Choisissez des EPCI",
    )
    if not chosen:
        st.info("Choisissez au moins un EPCI.")
        return
    indexed = indicators.indexed_population(queries.load_epci_population(tuple(sorted(chosen))))
    last = indexed[indexed["year"] == indexed["year"].max()]
    render_chart(
        indicator_charts.build_epci_comparison_figure(indexed),
        summaries.build_ranked_summary(
            f"population des EPCI en indice, base 100 la première année, en {last['year'].max()}",
            last,
            "name",
            "index",
            format_measure,
        ),
        key="epci_comparison",
    )
    st.caption(
        "Somme des populations légales des communes de chaque EPCI (INSEE, COG de chaque année). "
        "Marqueur creux : aucune commune n'a vu sa valeur actualisée cette année-là."
    )
    render_chart_data(indexed, tables.EPCI_COMPARISON_COLUMNS, "comparaison_epci", "epci_data")


def render_territory_values(territory: Territory) -> None:
    """The territory's INSEE values (sums or means of its communes), then its document's
    key figures, each with its source."""
    insee_values = indicators.territory_values(
        queries.load_territory_insee_values(territory.territory_id), territory.n_communes
    )
    if not insee_values.empty:
        st.subheader("Indicateurs INSEE du territoire")
        render_table(insee_values, tables.TERRITORY_INSEE_COLUMNS, "insee_territoire", "insee")
    figures = queries.load_territory_figures(territory.territory_id)
    if figures.empty:
        return
    st.subheader("Chiffres clés du document de projet")
    for row in figures.itertuples():
        value = format_number(row.value, 1 if row.value % 1 else 0)
        st.markdown(
            f"- **{safe_text(row.indicator)}** : {value} {safe_text(row.unit or '')} "
            f"— *{safe_text(row.source)}*"
        )
