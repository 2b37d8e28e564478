"""Échanges de données — for the services that publish and share: the subventions the territory
awards (SCDL), reconciliation with a funder's file, projets-territoire, the open-data package."""

import streamlit as st

from dashboard.ui import context, exchanges

territory = context.current_territory()
context.render_page_header("Échanges de données", territory)
st.caption(
    "Les formats partagés de l'écosystème : SCDL Subventions 2.1.1 (OpenDataFrance), "
    "projets-territoire 0.1.0 (Les Communs de la transition écologique), Data Package "
    "frictionless. Détail et correspondances : docs/formats.md."
)
exchanges.render_formats_section(territory)
