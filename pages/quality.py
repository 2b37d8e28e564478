"""Qualité des données — for those who maintain the plan: what is missing, where data comes from."""

import streamlit as st

from dashboard import components, queries, tables

territory = components.current_territory()
components.render_page_header("Qualité des données", territory)
tid = territory["territory_id"]
quality = queries.load_quality(tid)

st.subheader("Complétude des actions en cours ou à venir")
checks = {
    "missing_pilot": "Sans service pilote",
    "missing_dates": "Sans date de fin prévue",
    "missing_budget": "Sans budget",
    "missing_funding": "Sans financement",
    "missing_communes": "Sans commune précisée",
    "stale": "Sans suivi depuis 6 mois",
}
components.render_kpis(
    [(label, str(int(quality[c].sum())), None) for c, label in checks.items()], columns=6
)
problems = quality[quality[list(checks)].any(axis=1)].copy()
problems["À compléter"] = problems.apply(
    lambda r: ", ".join(label for c, label in checks.items() if r[c]), axis=1
)
shown = problems.rename(
    columns={"code": "Code", "title": "Action", "root_title": "Premier niveau", "status": "Statut"}
)[["Code", "Action", "Premier niveau", "Statut", "À compléter"]]
st.dataframe(shown, hide_index=True, key="quality_list")
components.render_downloads(shown, "a_completer", "quality_export")

st.subheader("Provenance")
sources = queries.load_sources(tid)
st.dataframe(tables.to_display(sources, tables.SOURCE_COLUMNS), hide_index=True, key="sources")
