"""Résultats — for élus and chargés de mission: per first-level item of the plan, its météo and
latest comments, then each indicator's value, target and trajectory (computed, never typed)."""

import streamlit as st

from dashboard import queries, results
from dashboard.ui import context
from dashboard.ui import results as view

territory = context.current_territory()
context.render_page_header("Résultats", territory)
indicators = results.load_result_indicators(territory.territory_id)
if indicators.empty:
    st.info(
        "Aucun indicateur de résultat pour ce territoire : ajoutez les feuilles « indicateurs » "
        "et « mesures » au classeur (docs/template.md)."
    )
else:
    view.render_results_overview(territory, indicators)
root = view.select_root_item(queries.load_plan_items(territory.territory_id))
if root is None:
    st.stop()
view.render_item_results(territory, root)
