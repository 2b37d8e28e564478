"""Indicateurs — for analysts: INSEE series of the territory's communes, with their source."""

import streamlit as st

from dashboard import charts, components, indicators, queries, tables
from dashboard.formatting import format_number

territory = components.current_territory()
components.render_page_header("Indicateurs", territory)
tid = territory["territory_id"]
series = queries.load_population_series(tid)

st.subheader("Population légale")
totals = indicators.territory_population(series)
title = f"Ensemble du territoire ({territory['n_communes']} communes)"
st.plotly_chart(charts.build_population_figure(totals, title), key="population_total")
components.render_chart_data(totals, tables.POPULATION_COLUMNS, "population_territoire", "pop_t")
labels = indicators.communes_by_population(series)
code = st.selectbox("Commune", list(labels), format_func=labels.get, key="indicator_commune")
one = series[series["insee_code"] == code]
st.plotly_chart(charts.build_population_figure(one, labels[code]), key="population_commune")
components.render_chart_data(one, tables.POPULATION_COLUMNS, "population_commune", "pop_c")
st.caption(
    "Source : INSEE, populations légales en vigueur selon le code officiel géographique (COG) de "
    "chaque année, via @etalab/decoupage-administratif. Un marqueur creux signale une valeur "
    "identique à l'année précédente : elle n'a pas été actualisée, "
    "ce n'est pas une mesure nouvelle."
)

figures = queries.load_territory_figures(tid)
if not figures.empty:
    st.subheader("Chiffres clés du document de projet")
    for row in figures.itertuples():
        value = format_number(row.value, 1 if row.value % 1 else 0)
        st.markdown(
            f"- **{components.safe_text(row.indicator)}** : {value} "
            f"{components.safe_text(row.unit or '')} — *{components.safe_text(row.source)}*"
        )
