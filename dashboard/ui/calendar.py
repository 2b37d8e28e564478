"""Streamlit pieces of the Calendrier: the first-level item and year chosen, the Gantt chart
of planned periods with its data, the actions left out for lack of dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, filters, tables
from dashboard.ui.widgets import render_chart_data


def select_period(actions: pd.DataFrame) -> tuple[str | None, int | None]:
    """(first-level item id or None for all, year or None for all)."""
    left, right = st.columns([3, 1])
    roots = dict(zip(actions["root_item_id"], actions["root_title"], strict=True))
    root = left.selectbox(
        "Premier niveau",
        ["", *roots],
        format_func=lambda r: roots.get(r, "Tous"),
        key="calendar_root",
    )
    year = right.selectbox(
        "Année", ["Toutes", *filters.planned_years(actions)], key="calendar_year"
    )
    return root or None, None if year == "Toutes" else int(year)


def render_calendar(actions: pd.DataFrame, root: str | None, year: int | None) -> None:
    dated = filters.calendar_actions(actions, root, year)
    if dated.empty:
        st.info(
            "Aucune action datée pour cette sélection : renseignez « debut_prevu » et "
            "« fin_prevue » dans le classeur du plan."
        )
    else:
        today = pd.Timestamp(dt.date.today())
        st.plotly_chart(charts.build_gantt_figure(dated, today, year), key="gantt")
        st.caption(
            f"{len(dated)} action(s) affichée(s). Contour rouge : action en retard. "
            "Losange : fin réelle. Trait pointillé : aujourd'hui."
        )
        render_chart_data(dated, tables.CALENDAR_COLUMNS, "calendrier", "gantt_data")
    missing = len(actions) - len(filters.calendar_actions(actions, None, None))
    if missing:
        st.caption(f"{missing} action(s) sans dates prévues ne figurent pas dans le calendrier.")
