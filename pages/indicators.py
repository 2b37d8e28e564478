"""Indicateurs — for analysts: INSEE series of the territory's communes, with their source."""

import streamlit as st

from dashboard import charts, components, queries
from dashboard.formatting import format_number

territory = components.current_territory()
components.render_page_header("Indicateurs", territory)
tid = territory["territory_id"]
series = queries.load_population_series(tid)

st.subheader("Population légale")
totals = series.groupby("year", as_index=False).agg(
    value=("value", "sum"), is_repeat=("is_repeat", "all")
)
totals["millesime"] = "COG " + totals["year"].astype(str)
st.plotly_chart(
    charts.build_population_figure(
        totals, f"Ensemble du territoire ({territory['n_communes']} communes)"
    ),
    key="population_total",
)
latest = series.sort_values("year").drop_duplicates("name", keep="last")
names = latest.sort_values("value", ascending=False)["name"].tolist()  # most populous first
commune = st.selectbox("Commune", names, key="indicator_commune")
st.plotly_chart(
    charts.build_population_figure(series[series["name"] == commune], commune),
    key="population_commune",
)
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
            f"{components.safe_text(row.unit or '')}"
            f" — *{components.safe_text(row.source)}*"
        )
