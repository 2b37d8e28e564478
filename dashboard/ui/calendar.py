"""Streamlit pieces of the Calendrier: the first-level item and year chosen, the Gantt chart
of planned periods with its data, the actions left out for lack of dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, filters, tables
from dashboard.formatting import format_date, plural
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
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


def render_calendar(
    territory: Territory, actions: pd.DataFrame, root: str | None, year: int | None
) -> None:
    """The Gantt; its line marks the date lateness is judged at (the data's date for a dated
    document, else today)."""
    dated = filters.calendar_actions(actions, root, year)
    if dated.empty:
        st.info(
            "Aucune action datée pour cette sélection : renseignez « debut_prevu » et "
            "« fin_prevue » dans le classeur du plan."
        )
    else:
        as_of = territory.late_as_of(dt.date.today())
        line = "aujourd'hui" if territory.data_date is None else f"données au {format_date(as_of)}"
        late = int(dated["is_late"].sum())
        render_chart(
            charts.build_gantt_figure(dated, pd.Timestamp(as_of), year, line.capitalize()),
            f"périodes prévues de {plural(len(dated), 'action')}, du "
            f"{format_date(dated['planned_start'].min())} au "
            f"{format_date(dated['planned_end'].max())}, dont {plural(late, 'action')} en retard.",
            key="gantt",
        )
        st.caption(
            f"{len(dated)} action(s) affichée(s). Contour rouge : action en retard. "
            f"Losange : fin réelle. Trait pointillé : {line}."
        )
        render_chart_data(dated, tables.CALENDAR_COLUMNS, "calendrier", "gantt_data")
    missing = len(actions) - len(filters.calendar_actions(actions, None, None))
    if missing:
        st.caption(f"{missing} action(s) sans dates prévues ne figurent pas dans le calendrier.")
