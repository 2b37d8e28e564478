"""Indicateurs — for analysts: INSEE series of the territory's communes, with their source."""

import streamlit as st

from dashboard import queries
from dashboard.ui import context, indicators

territory = context.current_territory()
context.render_page_header("Indicateurs", territory)
measures = queries.load_commune_measures(territory.territory_id)
series_tab, ranking_tab, scatter_tab, compare_tab = st.tabs(indicators.TABS)
with series_tab:
    indicators.render_population(territory)
with ranking_tab:
    indicators.render_ranking(measures)
with scatter_tab:
    indicators.render_scatter(measures)
with compare_tab:
    indicators.render_epci_comparison(territory)
indicators.render_territory_values(territory)
