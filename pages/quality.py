"""Qualité des données — for those who maintain the plan: what is missing or out of date, who and
which part of the plan it concerns, and where every loaded figure comes from."""

import datetime as dt

import streamlit as st

from dashboard import components, quality, queries, tables

territory = components.current_territory()
components.render_page_header("Qualité des données", territory)
tid = territory["territory_id"]
checked = quality.with_checks(queries.load_quality(tid), dt.date.today())

st.subheader("Complétude et fraîcheur des actions en cours ou à venir")
components.render_kpis(
    [(label, str(count), None) for label, count in quality.check_counts(checked)], columns=6
)
by_action, by_pilot, by_root = st.tabs(
    ["À compléter, par action", "Par service pilote", "Par premier niveau"]
)
with by_action:
    todo = quality.build_todo(checked)
    st.dataframe(todo, hide_index=True, key="quality_list")
    components.render_downloads(todo, "a_completer", "quality_export")
for tab, column, name in ((by_pilot, "pilot_service", "pilote"), (by_root, "root_title", "niveau")):
    with tab:
        scores = quality.build_scores(checked, column)
        st.dataframe(scores, hide_index=True, key=f"quality_{name}")
        components.render_downloads(scores, f"qualite_par_{name}", f"quality_{name}_export")

st.subheader("Provenance")
st.caption("Chaque fichier chargé, avec son empreinte, sa date de chargement et son millésime.")
sources = queries.load_sources(tid)
st.dataframe(tables.to_display(sources, tables.SOURCE_COLUMNS), hide_index=True, key="sources")
