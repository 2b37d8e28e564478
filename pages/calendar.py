"""Calendrier — for directors and officials: when each action is planned, what has slipped."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, components, filters, queries, tables

territory = components.current_territory()
components.render_page_header("Calendrier", territory)
actions = queries.load_actions(territory["territory_id"])

left, right = st.columns([3, 1])
roots = dict(zip(actions["root_item_id"], actions["root_title"], strict=True))
root = left.selectbox(
    "Premier niveau", ["", *roots], format_func=lambda r: roots.get(r, "Tous"), key="calendar_root"
)
year = right.selectbox("Année", ["Toutes", *filters.planned_years(actions)], key="calendar_year")
chosen_year = None if year == "Toutes" else int(year)
dated = filters.calendar_actions(actions, root or None, chosen_year)

if dated.empty:
    st.info(
        "Aucune action datée pour cette sélection : renseignez « debut_prevu » et "
        "« fin_prevue » dans le classeur du plan."
    )
else:
    today = pd.Timestamp(dt.date.today())
    st.plotly_chart(charts.build_gantt_figure(dated, today, chosen_year), key="gantt")
    st.caption(
        f"{len(dated)} action(s) affichée(s). Contour rouge : action en retard. "
        "Losange : fin réelle. Trait pointillé : aujourd'hui."
    )
    components.render_chart_data(dated, tables.CALENDAR_COLUMNS, "calendrier", "gantt_data")
missing = len(actions) - len(filters.calendar_actions(actions, None, None))
if missing:
    st.caption(f"{missing} action(s) sans dates prévues ne figurent pas dans le calendrier.")
