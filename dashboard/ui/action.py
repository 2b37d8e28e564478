"""Streamlit pieces of the Fiche action: the action chosen (kept in the URL), its figures and
identity, its money, its communes and its follow-up."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import charts, maps, queries, tables
from dashboard.formatting import format_date, format_percent, format_priority, plural
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.widgets import render_kpis, render_table, render_wrapped_table, safe_text

ACTION_PARAM = "action"


def select_action(actions: pd.DataFrame) -> pd.Series | None:
    """Action chosen by `?action=<code>` (kept in the URL) or in a selector."""
    if actions.empty:
        st.info("Aucune action pour ce territoire.")
        return None
    codes = actions["code"].tolist()
    titles = dict(zip(actions["code"], actions["title"], strict=True))
    wanted = st.query_params.get(ACTION_PARAM)
    if "action_code" not in st.session_state or st.session_state["action_code"] not in codes:
        st.session_state["action_code"] = wanted if wanted in codes else codes[0]
        if wanted and wanted not in codes:
            st.warning(f"Aucune action de code « {safe_text(wanted)} » dans ce territoire.")
    code = st.selectbox(
        "Action", codes, key="action_code", format_func=lambda c: f"{c} — {titles[c]}"
    )
    st.query_params[ACTION_PARAM] = code
    return actions[actions["code"] == code].iloc[0]


def render_action_summary(action: pd.Series) -> None:
    """Title, place in the plan, status, progress and dates."""
    st.header(safe_text(action["title"]))
    st.caption(safe_text(action["item_path"]))
    if action["is_demo"]:
        st.caption("Statut, dates et avancement de cette action : données de démonstration.")
    render_kpis(
        [
            ("Statut", action["status"] + (" — en retard" if action["is_late"] else ""), None),
            ("Avancement", format_percent(action["progress"]), None),
            (
                "Fin prévue",
                format_date(action["planned_end"]),
                f"Début prévu : {format_date(action['planned_start'])}",
            ),
            (
                "Fin réelle",
                format_date(action["actual_end"]),
                f"Début réel : {format_date(action['actual_start'])}",
            ),
        ]
    )
    render_action_identity(action)


def render_action_identity(action: pd.Series) -> None:
    """Description, pilot, referent, priority, themes and source of one action."""
    action = action.copy()
    action["priority_label"] = format_priority(action["priority"])
    person = [v for v in (action["pilot_name"], action["pilot_email"]) if isinstance(v, str) and v]
    action["pilot_label"] = " · ".join(person)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(safe_text(action["description"]) or "*Pas de description.*")
    with right:
        for label, column in (
            ("Pilote", "pilot_label"),
            ("Service pilote", "pilot_service"),
            ("Élu référent", "elected_referent"),
            ("Priorité", "priority_label"),
            ("Thématiques", "themes"),
            ("Source", "source"),
        ):
            value = action[column]
            shown = safe_text(value) if isinstance(value, str) and value else "—"
            st.markdown(f"**{label}** : {shown}")


def render_action_money(territory: Territory, action: pd.Series) -> None:
    """Budget by year and funding lines, side by side; unknown is said, never zero."""
    budget = queries.load_action_budget(territory.territory_id, action["action_id"])
    funding = queries.load_action_funding(territory.territory_id, action["action_id"])
    # One above the other, each full width: side by side, a 1366 px laptop showed only the
    # funding table's first column.
    st.subheader("Financements")
    if funding.empty:
        st.info("Aucun financement saisi pour cette action.")
    else:
        render_wrapped_table(
            funding,
            tables.ACTION_FUNDING_TABLE_COLUMNS,
            "financements_action",
            "action_funding",
            "Financements de l'action",
            export_spec=tables.ACTION_FUNDING_COLUMNS,
        )
    st.subheader("Budget par année")
    if budget.empty:
        st.info("Aucune ligne de budget : le coût de cette action est inconnu.")
    else:
        render_table(budget, tables.BUDGET_COLUMNS, "budget_action", "action_budget")


def render_action_communes(territory: Territory, action: pd.Series) -> None:
    """The communes the action names, on a small map and in a table."""
    concerned = queries.load_action_communes(territory.territory_id, action["action_id"])
    if concerned.empty:
        st.caption("Aucune commune précisée : l'action concerne l'ensemble du territoire.")
        return
    map_col, table_col = st.columns([2, 3])
    with map_col:
        st_folium(
            maps.build_communes_map(concerned, maps.MEASURES_BY_COLUMN["population"]),
            height=320,
            use_container_width=True,
            returned_objects=[],
            key="action_map",
        )
    with table_col:
        render_wrapped_table(
            concerned,
            tables.COMMUNE_INDICATOR_COLUMNS,
            "communes_action",
            "action_communes",
            "Communes concernées par l'action",
        )


def render_action_followups(territory: Territory, action: pd.Series) -> None:
    notes = queries.load_action_followups(territory.territory_id, action["action_id"])
    if notes.empty:
        st.info("Aucune note de suivi pour cette action.")
        return
    dated = notes.dropna(subset=["progress"]).sort_values("note_date")
    summary = f"avancement selon {plural(len(notes), 'note')} de suivi"
    if not dated.empty:
        summary += (
            f", de {format_percent(dated['progress'].iloc[0])} le "
            f"{format_date(dated['note_date'].iloc[0])} à "
            f"{format_percent(dated['progress'].iloc[-1])} le "
            f"{format_date(dated['note_date'].iloc[-1])}"
        )
    render_chart(
        charts.build_followup_figure(notes),
        summary + " ; chaque note est détaillée ci-dessous.",
        key="action_followups",
    )
    render_followup_timeline(notes)


def render_followup_timeline(notes: pd.DataFrame) -> None:
    """Dated notes, newest first, with the status at each date."""
    for note in notes.sort_values("note_date", ascending=False).itertuples():
        with st.container(border=True):
            header = f"**{format_date(note.note_date)}**"
            if isinstance(note.status, str):
                header += f" · {safe_text(note.status)}"
            if note.progress == note.progress and note.progress is not None:
                header += f" · {format_percent(note.progress)}"
            if isinstance(note.note_type, str):
                header += f" · {safe_text(note.note_type)}"
            if isinstance(note.author, str):
                header += f" · {safe_text(note.author)}"
            if note.is_demo:
                header += " · *démo*"
            st.markdown(header)
            st.markdown(safe_text(note.text))
            if isinstance(note.weather, str):
                reason = note.weather_reason if isinstance(note.weather_reason, str) else ""
                st.caption(f"Météo : {safe_text(note.weather)} — {safe_text(reason)}")
