"""Streamlit pieces of Qualité des données: completeness and freshness scores, the list to fix,
the provenance of every loaded file."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import quality, queries, tables
from dashboard.territory import Territory
from dashboard.ui.downloads import render_downloads
from dashboard.ui.widgets import render_kpis


def render_quality(territory: Territory) -> None:
    checked = quality.with_checks(queries.load_quality(territory.territory_id), dt.date.today())
    st.subheader("Complétude et fraîcheur des actions en cours ou à venir")
    render_kpis(
        [(label, str(count), None) for label, count in quality.check_counts(checked)], columns=6
    )
    by_action, by_pilot, by_root = st.tabs(
        ["À compléter, par action", "Par service pilote", "Par premier niveau"]
    )
    with by_action:
        todo = quality.build_todo(checked)
        st.dataframe(todo, hide_index=True, key="quality_list")
        render_downloads(todo, "a_completer", "quality_export")
    for tab, column, name in (
        (by_pilot, "pilot_service", "pilote"),
        (by_root, "root_title", "niveau"),
    ):
        with tab:
            scores = quality.build_scores(checked, column)
            st.dataframe(scores, hide_index=True, key=f"quality_{name}")
            render_downloads(scores, f"qualite_par_{name}", f"quality_{name}_export")


def render_provenance(territory: Territory) -> None:
    st.subheader("Provenance")
    st.caption("Chaque fichier chargé, avec son empreinte, sa date de chargement et son millésime.")
    sources = queries.load_sources(territory.territory_id)
    st.dataframe(tables.to_display(sources, tables.SOURCE_COLUMNS), hide_index=True, key="sources")
