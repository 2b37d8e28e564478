"""Vue d'ensemble — for directors: what needs attention first, then where the plan stands and
the drill-down by first-level item."""

import streamlit as st

from dashboard.ui import action_update, context, overview
from dashboard.ui import results as results_view

territory = context.current_territory()
context.render_page_header("Vue d'ensemble", territory)
figures = overview.load_territory_kpis(territory)
overview.render_summary(figures)

# What a director opens the page for, in the first screen at 1366×768 and 1920×1080.
st.subheader("À surveiller")
overview.render_watchlist(territory)
st.markdown("**Résultats et météo** — règles d'alerte")
results_view.render_result_alerts(territory)

st.subheader("Chiffres clés")
overview.render_overview_kpis(territory, figures)

st.subheader("Avancement par grand axe du plan")
overview.render_status_by_root(territory)

st.subheader("Dernières mises à jour")
action_update.render_recent_updates(territory)
