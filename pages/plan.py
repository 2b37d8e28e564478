"""Plan d'action — for chargés de mission and analysts: slice the plan any way, share the link."""

import streamlit as st

from dashboard import filters, queries
from dashboard.ui import context, plan

territory = context.current_territory()
context.render_page_header("Plan d'action", territory)
items = queries.load_plan_items(territory.territory_id)
actions = queries.load_actions(territory.territory_id)
links = queries.load_action_links(territory.territory_id)

chosen = plan.render_action_filters(actions, items, links)
shown = filters.apply_filters(actions, items, links, chosen)
st.caption(
    f"{len(shown)} action(s) sur {len(actions)}"
    + (" — filtres actifs : le lien de cette page les conserve." if chosen.active else "")
)
plan.render_plan_downloads(territory, items, chosen)

table_tab, tree_tab, outline_tab = st.tabs(["Tableau", "Arborescence", "Hiérarchie"])
with table_tab:
    plan.render_plan_table(territory, shown)
with tree_tab:
    plan.render_plan_hierarchy(items, shown)
with outline_tab:
    plan.render_plan_outline(items, shown)
