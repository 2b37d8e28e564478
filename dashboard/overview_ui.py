"""Vue d'ensemble's heavier pieces, built once per territory and shared by every session: the
status chart and the watch list tables. A room opening the page at once otherwise rebuilt
them once per person (two thirds of the page's script time, cProfile; `make bench`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, components, queries, shared, tables, watchlist

WATCH_COLUMNS = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "planned_end", "pilot_service", "is_demo")
]


def load_status_figure(territory_id: str, order_by: str) -> go.Figure:
    return shared.load_figure(
        charts.build_status_by_root_figure, "status_by_root", territory_id, order_by
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _watch_tables(
    territory_id: str, siren: str, version: str | None, day: str
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    watch = watchlist.build_watchlist(
        queries.load_actions(territory_id), dt.date.fromisoformat(day)
    )
    return {
        reason: components.build_action_tables(
            watch[watch["reason"] == reason], siren, WATCH_COLUMNS
        )
        for reason in watchlist.REASONS
    }


def render_watchlist(territory: pd.Series) -> None:
    """« À surveiller »: one tab per reason with its count, each action linking to its fiche."""
    found = _watch_tables(territory["territory_id"], territory["siren"], *shared.freshness())
    tabs = st.tabs([f"{reason} ({len(found[reason][0])})" for reason in watchlist.REASONS])
    for tab, reason in zip(tabs, watchlist.REASONS, strict=True):
        with tab:
            shown, export = found[reason]
            if shown.empty:
                st.success("Rien à signaler.")
            else:
                components.render_action_tables(shown, export, f"watch_{reason}")
