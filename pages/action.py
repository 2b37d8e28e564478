"""Fiche action — for everyone: one action, its place in the plan, money, places and history."""

import streamlit as st

from dashboard import auth, queries
from dashboard.ui import action as fiche
from dashboard.ui import action_update, context
from dashboard.ui import results as results_view

territory = context.current_territory()
context.render_page_header("Fiche action", territory)
action = fiche.select_action(queries.load_actions(territory.territory_id))
if action is None:
    st.stop()

fiche.render_action_summary(action)
action_update.render_update_form(territory, action["code"], auth.current_user(), "fiche_update")
fiche.render_action_money(territory, action)
st.subheader("Communes concernées")
fiche.render_action_communes(territory, action)
st.subheader("Résultats")
results_view.render_action_results(territory, action)
st.subheader("Suivi")
fiche.render_action_followups(territory, action)
st.subheader("Historique des modifications")
action_update.render_action_history(territory, action["action_id"])
