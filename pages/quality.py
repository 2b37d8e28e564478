"""Qualité des données — for those who maintain the plan: what is missing, where data comes from."""

import streamlit as st

from dashboard import components, quality, queries, tables

territory = components.current_territory()
components.render_page_header("Qualité des données", territory)
tid = territory["territory_id"]
checks = queries.load_quality(tid)

st.subheader("Complétude des actions en cours ou à venir")
components.render_kpis(
    [(label, str(count), None) for label, count in quality.check_counts(checks)], columns=6
)
todo = quality.build_todo(checks)
st.dataframe(todo, hide_index=True, key="quality_list")
components.render_downloads(todo, "a_completer", "quality_export")

st.subheader("Provenance")
sources = queries.load_sources(tid)
st.dataframe(tables.to_display(sources, tables.SOURCE_COLUMNS), hide_index=True, key="sources")
