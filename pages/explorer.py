"""Explorateur — for analysts: pivot tables and read-only SQL over the warehouse, shareable by URL
and kept as named favourites per territory."""

import streamlit as st

from dashboard import components, explorer_ui

territory = components.current_territory()
components.render_page_header("Explorateur", territory)
tid = territory["territory_id"]
mode = explorer_ui.select_mode()
if mode == "pivot":
    explorer_ui.render_pivot_builder(tid)
else:
    st.caption(
        "La console SQL lit tout l'entrepôt (tous les territoires) : filtrez sur `territory_id` "
        f"(ici `{tid}`)."
    )
    explorer_ui.render_sql_console(tid)
st.divider()
explorer_ui.render_favorites(tid, mode)
