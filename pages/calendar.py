"""Calendrier — for directors and officials: when each action is planned, what has slipped."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, components, queries

territory = components.current_territory()
components.render_page_header("Calendrier", territory)
actions = queries.load_actions(territory["territory_id"])
dated = actions.dropna(subset=["planned_start", "planned_end"])

roots = ["Tous", *actions.drop_duplicates("root_title")["root_title"]]
left, right = st.columns([3, 1])
root = left.selectbox("Premier niveau", roots, key="calendar_root")
years = sorted({d.year for col in ("planned_start", "planned_end") for d in dated[col]})
year = right.selectbox("Année", ["Toutes", *years], key="calendar_year")
if root != "Tous":
    dated = dated[dated["root_title"] == root]
if year != "Toutes":
    dated = dated[
        (pd.to_datetime(dated["planned_start"]).dt.year <= year)
        & (pd.to_datetime(dated["planned_end"]).dt.year >= year)
    ]

missing = len(actions) - len(actions.dropna(subset=["planned_start", "planned_end"]))
if dated.empty:
    st.info(
        "Aucune action datée pour cette sélection : renseignez « debut_prevu » et "
        "« fin_prevue » dans le classeur du plan."
    )
else:
    figure = charts.build_gantt_figure(
        dated, pd.Timestamp(dt.date.today()), None if year == "Toutes" else int(year)
    )
    st.plotly_chart(figure, key="gantt")
    st.caption(
        f"{len(dated)} action(s) affichée(s). Contour rouge : action en retard. "
        "Losange : fin réelle. Trait pointillé : aujourd'hui."
    )
if missing:
    st.caption(f"{missing} action(s) sans dates prévues ne figurent pas dans le calendrier.")
