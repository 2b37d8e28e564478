"""Streamlit pieces of Mes actions: the pilot service chosen (kept in the URL), its figures and
its actions by urgency."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import filters, kpis, tables, watchlist
from dashboard.formatting import format_number
from dashboard.territory import Territory
from dashboard.ui.action_update import render_update_form
from dashboard.ui.widgets import render_action_table, render_kpis, safe_text
from etl.schema import DONE_STATUSES

PILOT_PARAM = "pilote"
COLUMNS = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "progress", "planned_end", "root_title", "is_demo")
]


def select_pilot(actions: pd.DataFrame) -> str:
    """Pilot service chosen in a selector kept in the URL (`?pilote=`)."""
    open_actions = actions[~actions["status"].isin(DONE_STATUSES)]
    busiest = open_actions["pilot_service"].value_counts()
    pilots = sorted(actions["pilot_service"].dropna().unique())
    options = [*pilots, filters.NO_PILOT] if actions["pilot_service"].isna().any() else pilots
    if not options:
        options = [filters.NO_PILOT]
    if st.session_state.get("pilot_choice") not in options:
        wanted = st.query_params.get(PILOT_PARAM)
        if wanted and wanted not in options:
            st.warning(f"Service pilote « {safe_text(wanted)} » inconnu dans ce territoire.")
        default = busiest.index[0] if not busiest.empty else options[0]  # most open actions
        st.session_state["pilot_choice"] = wanted if wanted in options else default
    pilot = st.selectbox(
        "Service pilote",
        options,
        key="pilot_choice",
        format_func=lambda p: "Actions sans pilote" if p == filters.NO_PILOT else p,
    )
    st.query_params[PILOT_PARAM] = pilot
    return pilot


def render_my_actions(territory: Territory, actions: pd.DataFrame, pilot: str) -> None:
    """The pilot's figures, then their open actions most urgent first, then the finished ones."""
    mine = actions[filters.pilot_mask(actions, pilot)]
    today = dt.date.today()
    figures = kpis.build_kpis(mine)
    watch = watchlist.build_watchlist(mine, today)
    to_update = watch.loc[watch["reason"] == watchlist.STALE_REASON, "action_id"].nunique()
    render_kpis(
        [
            ("Mes actions", format_number(figures["n_actions"]), None),
            ("En cours", format_number(figures["n_in_progress"]), None),
            ("En retard", format_number(figures["n_late"]), kpis.KPIS_BY_KEY["n_late"].help),
            (
                "À mettre à jour",
                format_number(to_update),
                f"Aucune note de suivi depuis {watchlist.STALE_MONTHS} mois",
            ),
        ]
    )
    ranked = watchlist.rank_by_urgency(mine, today)
    finished = ranked["status"].isin(DONE_STATUSES)
    open_ranked = ranked[~finished]
    st.subheader("Par ordre d'urgence")
    if open_ranked.empty:
        st.success("Aucune action ouverte pour ce service.")
    else:
        render_action_table(
            open_ranked,
            territory.siren,
            "my_actions",
            COLUMNS,
            extra={"À traiter": open_ranked["reasons"]},
        )
    done = ranked[finished]
    if not done.empty:
        with st.expander(f"Actions terminées ou abandonnées ({len(done)})"):
            render_action_table(done, territory.siren, "my_done", COLUMNS)


def render_my_update(territory: Territory, actions: pd.DataFrame, pilot: str, user) -> None:
    """Update one of the pilot's actions without leaving the list (same form as the fiche)."""
    mine = actions[filters.pilot_mask(actions, pilot)]
    if mine.empty or user is None:
        return
    st.subheader("Mettre à jour une action")
    titles = dict(zip(mine["code"], mine["title"], strict=True))
    code = st.selectbox(
        "Action à mettre à jour",
        list(titles),
        key="my_update_code",
        format_func=lambda c: f"{c} — {titles[c]}",
    )
    render_update_form(territory, code, user, "my_update")
