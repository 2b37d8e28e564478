"""Streamlit pieces of Plan d'action: every filter (kept in the URL), the report and workbook
buttons, the table, the treemap / sunburst and the outline of the plan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, commission_report, filters
from dashboard.formatting import plural
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.downloads import (
    render_deck_download,
    render_plan_workbook_download,
    render_report_download,
)
from dashboard.ui.widgets import render_action_table, safe_text, select_choice, sync_query_params
from etl.schema import STATUS_ORDER


def render_action_filters(
    actions: pd.DataFrame, items: pd.DataFrame, links: pd.DataFrame
) -> filters.ActionFilters:
    """Every action filter, initialised from the URL and written back to it (shareable link)."""
    initial = filters.ActionFilters.from_params(st.query_params)
    item_labels = {
        row.code: f"{'  ' * (row.depth - 1)}{row.level.capitalize()} — {row.title}"
        for row in items.itertuples()
    }
    pilots = sorted(actions["pilot_service"].dropna().unique())
    referents = sorted(actions["elected_referent"].dropna().unique())
    with st.container(border=True):
        row1 = st.columns([3, 2, 2, 2])
        item = select_choice(row1[0], "Élément du plan", item_labels, "filter_item", initial.item)
        if "filter_statuses" not in st.session_state:
            st.session_state["filter_statuses"] = [s for s in initial.statuses if s in STATUS_ORDER]
        statuses = row1[1].multiselect(
            "Statut", STATUS_ORDER, key="filter_statuses", placeholder="Tous les statuts"
        )
        pilot_options = {filters.NO_PILOT: "Sans pilote", **{p: p for p in pilots}}
        pilot = select_choice(
            row1[2], "Service pilote", pilot_options, "filter_pilot", initial.pilot
        )
        referent = select_choice(
            row1[3], "Élu référent", {r: r for r in referents}, "filter_referent", initial.referent
        )
        row2 = st.columns(5)
        linked = {}
        for column, (field, label, kind) in zip(row2, filters.LINK_FILTERS, strict=False):
            linked[field] = select_choice(
                column,
                label,
                filters.link_choices(links, kind),
                f"filter_{field}",
                getattr(initial, field),
            )
        if "filter_text" not in st.session_state:
            st.session_state["filter_text"] = initial.text
        text = row2[4].text_input("Recherche", key="filter_text", placeholder="Mot, code…")
        if "filter_late" not in st.session_state:
            st.session_state["filter_late"] = initial.late_only
        late = st.toggle("Actions en retard seulement", key="filter_late")
    chosen = filters.ActionFilters(
        item=item,
        statuses=tuple(statuses),
        pilot=pilot,
        referent=referent,
        late_only=late,
        text=text,
        **linked,
    )
    sync_query_params(chosen.to_params(), list(filters.PARAMS.values()))
    return chosen


def render_plan_downloads(
    territory: Territory, items: pd.DataFrame, chosen: filters.ActionFilters
) -> None:
    """The Rapport de commission (PDF) and its editable deck (PowerPoint) of the first-level item
    above the « Élément du plan » filter (else the whole plan), and the plan as one workbook."""
    pdf_column, pptx_column, xlsx_column = st.columns(3)
    scope = commission_report.scope_for_item(items, chosen.item)
    render_report_download(territory, scope, "plan_report", pdf_column)
    render_deck_download(territory, scope, "plan_deck", pptx_column)
    render_plan_workbook_download(territory, "plan_workbook", xlsx_column)


SORT_PARAM = "tri"
SORTS = {
    "plan": "Ordre du plan",
    "retard": "Les plus en retard d'abord",
    "fin": "Fin prévue, la plus ancienne d'abord",
    "avancement": "Avancement le plus faible",
    "statut": "Statut",
}


def sort_actions(actions: pd.DataFrame, order: str) -> pd.DataFrame:
    """The actions in the order chosen; ties (and unknown values, last) in plan order."""
    if order == "retard":
        return actions.sort_values(["days_late", "sort_order"], ascending=[False, True])
    if order == "fin":
        return actions.sort_values(["planned_end", "sort_order"], na_position="last")
    if order == "avancement":
        return actions.sort_values(["progress", "sort_order"], na_position="last")
    if order == "statut":
        rank = actions["status"].map({s: i for i, s in enumerate(STATUS_ORDER)})
        return actions.assign(_rank=rank).sort_values(["_rank", "sort_order"]).drop(columns="_rank")
    return actions.sort_values("sort_order")


def render_plan_table(territory: Territory, shown: pd.DataFrame) -> None:
    """The filtered actions in the order chosen (kept in the URL, `?tri=`), each title a link
    to its fiche."""
    if "plan_sort" not in st.session_state:
        wanted = st.query_params.get(SORT_PARAM)
        st.session_state["plan_sort"] = wanted if wanted in SORTS else "plan"
    order = st.columns([1, 2])[0].selectbox(
        "Trier par", list(SORTS), format_func=SORTS.get, key="plan_sort"
    )
    sync_query_params({SORT_PARAM: order} if order != "plan" else {}, [SORT_PARAM])
    render_action_table(sort_actions(shown, order), territory.siren, "plan_actions")


def render_plan_hierarchy(items: pd.DataFrame, shown: pd.DataFrame) -> None:
    """Treemap or sunburst of the filtered actions, coloured by status or progress."""
    left, right = st.columns(2)
    kind = left.radio(
        "Vue",
        ["treemap", "sunburst"],
        horizontal=True,
        key="plan_tree_kind",
        format_func={"treemap": "Rectangles", "sunburst": "Soleil"}.get,
    )
    color_by = right.radio(
        "Couleur",
        ["status", "progress"],
        horizontal=True,
        key="plan_tree_color",
        format_func={"status": "Statut", "progress": "Avancement"}.get,
    )
    if shown.empty:
        st.info("Aucune action ne correspond aux filtres.")
        return
    counts = shown["status"].value_counts()
    render_chart(
        charts.build_plan_hierarchy_figure(items, shown, color_by, kind),
        f"{'rectangles' if kind == 'treemap' else 'soleil'} du plan jusqu'aux "
        f"{plural(len(shown), 'action')}, "
        + ", ".join(f"{status} : {count}" for status, count in counts.items())
        + ". L'onglet « Tableau » donne les mêmes actions.",
        key="plan_tree",
    )
    st.caption(
        "Cliquez sur un bloc pour zoomer sur cette partie du plan ; cliquez en haut "
        "du bloc pour remonter."
    )


def render_plan_outline(items: pd.DataFrame, actions: pd.DataFrame) -> None:
    """The hierarchy as nested expanders with the number of (filtered) actions under each item."""
    counts = actions.groupby("item_id").size()
    roots = items[items["depth"] == 1]
    for root in roots.itertuples():
        below = items[(items["root_id"] == root.item_id) & (items["depth"] > 1)]
        n_root = int(actions["root_item_id"].eq(root.item_id).sum())
        label = f"{root.level.capitalize()} — {root.title} ({n_root} action(s))"
        with st.expander(safe_text(label)):
            for item in below.itertuples():
                indent = "    " * (item.depth - 2)
                st.markdown(
                    f"{indent}- **{safe_text(item.level)}** : {safe_text(item.title)} "
                    f"({int(counts.get(item.item_id, 0))} action(s))"
                )
