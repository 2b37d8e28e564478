"""Indicateurs — for analysts: INSEE series of the territory's communes, with their source."""

import streamlit as st

from dashboard import charts, components, indicators, queries, tables

territory = components.current_territory()
components.render_page_header("Indicateurs", territory)
tid = territory["territory_id"]
series = queries.load_population_series(tid)
measures = queries.load_commune_measures(tid)

series_tab, ranking_tab, scatter_tab, compare_tab = st.tabs(
    [
        "Population légale",
        "Classement des communes",
        "Croiser deux indicateurs",
        "Comparer avec d'autres EPCI",
    ]
)
with series_tab:
    totals = indicators.territory_population(series)
    title = f"Ensemble du territoire ({territory['n_communes']} communes)"
    st.plotly_chart(charts.build_population_figure(totals, title), key="population_total")
    components.render_chart_data(totals, tables.POPULATION_COLUMNS, "population", "pop_t")
    labels = indicators.communes_by_population(series)
    code = st.selectbox("Commune", list(labels), format_func=labels.get, key="indicator_commune")
    one = series[series["insee_code"] == code]
    st.plotly_chart(charts.build_population_figure(one, labels[code]), key="population_commune")
    components.render_chart_data(one, tables.POPULATION_COLUMNS, "population_commune", "pop_c")
    st.caption(
        "Source : INSEE, populations légales en vigueur selon le code officiel géographique "
        "(COG) de chaque année, via @etalab/decoupage-administratif. Un marqueur creux signale "
        "une valeur identique à l'année précédente : elle n'a pas été actualisée, ce n'est pas "
        "une mesure nouvelle."
    )
catalog = indicators.measure_catalog(measures)
with ranking_tab:
    measure = components.select_measure(st, "Indicateur", catalog, "rank_measure")
    ranked = indicators.ranking(measures, measure)
    st.plotly_chart(charts.build_ranking_figure(ranked, catalog[measure]), key="ranking")
    components.render_table(ranked, tables.RANKING_COLUMNS, "classement", "ranking_table")
with scatter_tab:
    left, right = st.columns(2)
    x = components.select_measure(left, "Axe horizontal", catalog, "scatter_x", "density")
    y = components.select_measure(right, "Axe vertical", catalog, "scatter_y", "population_change")
    table = indicators.wide(measures)
    st.plotly_chart(charts.build_scatter_figure(table, x, y, catalog[x], catalog[y]), key="scatter")
    components.render_chart_data(
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
with compare_tab:
    components.render_epci_comparison(territory)
insee_values = indicators.territory_values(
    queries.load_territory_insee_values(tid), int(territory["n_communes"])
)
if not insee_values.empty:
    st.subheader("Indicateurs INSEE du territoire")
    components.render_table(
        insee_values, tables.TERRITORY_INSEE_COLUMNS, "insee_territoire", "insee"
    )
components.render_key_figures(tid)
