"""Financements — for contract followers: who pays for what, what is missing, year by year."""

import streamlit as st

from dashboard.ui import context, funding

territory = context.current_territory()
context.render_page_header("Financements", territory)
funding.render_funding_provenance(territory)
for tab, render in zip(st.tabs(funding.TABS), funding.RENDERERS, strict=True):
    with tab:
        render(territory)
