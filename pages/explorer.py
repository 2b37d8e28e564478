"""Explorateur — for analysts: pivot tables and read-only SQL over the warehouse, shareable by URL
and kept as named favourites per territory."""

import streamlit as st

from dashboard.ui import context, explorer

territory = context.current_territory()
context.render_page_header("Explorateur", territory)
mode = explorer.select_mode()
if mode == "pivot":
    explorer.render_pivot_builder(territory)
else:
    st.caption(
        "La console SQL lit les territoires auxquels vous avez accès (tous quand la lecture est "
        f"ouverte) : filtrez sur `territory_id` (ici `{territory.territory_id}`)."
    )
    explorer.render_sql_console(territory)
st.divider()
explorer.render_favorites(territory, mode)
