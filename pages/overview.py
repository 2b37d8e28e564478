"""Vue d'ensemble — for directors: where the plan stands in ten seconds, then drill down."""

import streamlit as st

from dashboard.ui import context, overview
from dashboard.ui import results as results_view

territory = context.current_territory()
context.render_page_header("Vue d'ensemble", territory)
figures = overview.load_territory_kpis(territory)
overview.render_summary(figures)
overview.render_overview_kpis(territory, figures)

st.subheader("Avancement par grand axe du plan")
overview.render_status_by_root(territory)

st.subheader("À surveiller")
overview.render_watchlist(territory)
st.markdown("**Résultats et météo** — règles d'alerte")
results_view.render_result_alerts(territory)
