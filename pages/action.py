"""Fiche action — for everyone: one action, its place in the plan, money, places and history."""

import streamlit as st
from streamlit_folium import st_folium

from dashboard import charts, components, maps, queries, tables
from dashboard.formatting import format_date, format_percent

territory = components.current_territory()
components.render_page_header("Fiche action", territory)
tid = territory["territory_id"]
actions = queries.load_actions(tid)
action = components.select_action(actions)
if action is None:
    st.stop()

st.header(components.safe_text(action["title"]))
st.caption(components.safe_text(action["item_path"]))
if action["is_demo"]:
    st.caption("Statut, dates et avancement de cette action : données de démonstration.")
components.render_kpis(
    [
        ("Statut", action["status"] + (" — en retard" if action["is_late"] else ""), None),
        ("Avancement", format_percent(action["progress"]), None),
        (
            "Fin prévue",
            format_date(action["planned_end"]),
            f"Début prévu : {format_date(action['planned_start'])}",
        ),
        ("Fin réelle", format_date(action["actual_end"]), None),
    ]
)
components.render_action_identity(action)

budget = queries.load_action_budget(tid, action["action_id"])
funding = queries.load_action_funding(tid, action["action_id"])
money_left, money_right = st.columns(2)
with money_left:
    st.subheader("Budget par année")
    if budget.empty:
        st.info("Aucune ligne de budget : le coût de cette action est inconnu.")
    else:
        components.render_table(budget, tables.BUDGET_COLUMNS, "budget_action", "action_budget")
with money_right:
    st.subheader("Financements")
    if funding.empty:
        st.info("Aucun financement saisi pour cette action.")
    else:
        components.render_table(
            funding, tables.ACTION_FUNDING_COLUMNS, "financements_action", "action_funding"
        )

st.subheader("Communes concernées")
links = queries.load_action_links(tid)
codes = set(
    links.loc[(links["kind"] == "commune") & (links["action_id"] == action["action_id"]), "value"]
)
communes = queries.load_commune_map(tid)
concerned = communes[communes["insee_code"].isin(codes)]
if concerned.empty:
    st.caption("Aucune commune précisée : l'action concerne l'ensemble du territoire.")
else:
    map_col, table_col = st.columns([2, 3])
    with map_col:
        population = maps.MEASURES_BY_COLUMN["population"]
        st_folium(
            maps.build_communes_map(concerned, population),
            height=320,
            use_container_width=True,
            returned_objects=[],
            key="action_map",
        )
    with table_col:
        components.render_table(
            concerned, tables.COMMUNE_INDICATOR_COLUMNS, "communes_action", "action_communes"
        )

st.subheader("Suivi")
notes = queries.load_action_followups(tid, action["action_id"])
if notes.empty:
    st.info("Aucune note de suivi pour cette action.")
else:
    st.plotly_chart(charts.build_followup_figure(notes), key="action_followups")
    components.render_followup_timeline(notes)
