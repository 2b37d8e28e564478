"""Vue d'ensemble — for directors: where the plan stands in ten seconds, then drill down."""

import streamlit as st

from dashboard.ui import action_update, context, overview

territory = context.current_territory()
context.render_page_header("Vue d'ensemble", territory)
figures = overview.load_territory_kpis(territory)
overview.render_summary(figures)
overview.render_overview_kpis(territory, figures)

st.subheader("Avancement par grand axe du plan")
overview.render_status_by_root(territory)

st.subheader("À surveiller")
overview.render_watchlist(territory)

st.subheader("Dernières mises à jour")
action_update.render_recent_updates(territory)
