"""Streamlit pieces of Vue d'ensemble: the KPIs with their change since the previous snapshot,
the progress per first-level item, « À surveiller ».

The status chart and the watch list tables are built once per territory and shared by every
session: a room opening the page at once otherwise rebuilt them once per person (two thirds of
the page's script time, cProfile; `make bench`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import changes, charts, kpis, queries, shared_figures, summaries, tables, watchlist
from dashboard.formatting import format_date
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.widgets import (
    build_action_tables,
    render_action_tables,
    render_chart_data,
    render_kpis,
    safe_text,
)

WATCH_COLUMNS = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "planned_end", "pilot_service", "is_demo")
]
NO_MONEY_WARNING = (
    "Aucune donnée budgétaire ni de financement n'a été saisie pour ce territoire : "
    "les montants ne sont pas nuls, ils sont inconnus."
)


def load_territory_kpis(territory: Territory) -> pd.Series:
    """The territory's KPIs, the same computation as every other screen's (dashboard.kpis)."""
    return kpis.build_kpis(queries.load_actions(territory.territory_id))


def load_previous_snapshot_kpis(territory: Territory) -> tuple[pd.Series | None, pd.Series | None]:
    """The KPIs as they stood in the snapshot before the latest one, and that snapshot; (None,
    None) when the territory has a single snapshot."""
    previous, _ = changes.previous_and_latest(queries.load_snapshots(territory.territory_id))
    if previous is None:
        return None, None
    rows = queries.load_snapshot_actions(territory.territory_id, previous["snapshot_id"])
    return kpis.build_kpis(rows), previous


def render_summary(figures: pd.Series) -> None:
    st.markdown(f"> {safe_text(summaries.build_overview_summary(figures))}")


def render_overview_kpis(territory: Territory, figures: pd.Series) -> None:
    """The overview's KPI rows, each with its change since the previous snapshot; a warning only
    when the territory has neither budget nor funding lines."""
    before, previous = load_previous_snapshot_kpis(territory)
    labels = {kpi.key: kpi.label for kpi in kpis.KPIS}
    deltas = {} if before is None else kpis.build_kpi_deltas(figures, before)
    by_label = {labels[key]: value for key, value in deltas.items()}
    since = None if previous is None else f"depuis le {format_date(previous['taken_at'])}"
    if previous is not None:
        st.caption(
            f"Évolutions depuis {changes.describe_snapshot(previous, plain=True)}. "
            f"[Voir le détail des changements](/evolutions?territoire={territory.siren})"
        )
    items = kpis.build_kpi_items(figures, territory.has_money)
    money = {kpi.label for kpi in kpis.KPIS if kpi.money}
    counts = [item for item in items if item[0] not in money]
    # Status counts on their rows (five a row when « Statut non renseigné » is one), money apart.
    for group, columns in ((counts, 5 if len(counts) > 8 else 4), (items[len(counts) :], 4)):
        if group:
            render_kpis(group, columns, deltas=by_label, delta_description=since)
    if territory.data_date is not None:
        st.caption(
            f"Retards jugés au {format_date(territory.data_date)}, date des données du document "
            "source (et non à la date du jour)."
        )
    if not territory.has_money:
        st.warning(NO_MONEY_WARNING)


def render_status_by_root(territory: Territory) -> None:
    """Progress per first-level item; a click on a bar opens the plan filtered on it."""
    status = queries.load_status_by_root(territory.territory_id)
    if status.empty:
        st.info("Aucune action n'est rattachée au plan.")
        return
    order_by = st.segmented_control(
        "Trier par",
        list(charts.ROOT_SORTS),
        format_func=charts.ROOT_SORTS.get,
        default="plan",
        key="root_sort",
    )
    figure = shared_figures.load_figure(
        charts.build_status_by_root_figure,
        "status_by_root",
        territory.territory_id,
        order_by or "plan",
    )
    event = render_chart(
        figure,
        summaries.build_status_by_root_summary(status),
        key="status_by_root",
        on_select="rerun",
        selection_mode="points",
    )
    st.caption("Cliquez sur une barre pour ouvrir le plan d'action filtré sur cet axe.")
    render_chart_data(status, tables.STATUS_BY_ROOT_COLUMNS, "avancement", "status_data")
    points = event.selection.points if event else []
    if points:
        st.switch_page(
            "pages/plan.py",
            query_params={"territoire": territory.siren, "element": points[0]["customdata"][0]},
        )


@st.cache_data(max_entries=64, show_spinner=False)
def _watch_tables(
    territory_id: str, siren: str, version: str | None, day: str
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    watch = watchlist.build_watchlist(
        queries.load_actions(territory_id), dt.date.fromisoformat(day)
    )
    return {
        reason: build_action_tables(watch[watch["reason"] == reason], siren, WATCH_COLUMNS)
        for reason in watchlist.REASONS
    }


def render_watchlist(territory: Territory) -> None:
    """« À surveiller »: one tab per reason with its count, each action linking to its fiche."""
    found = _watch_tables(territory.territory_id, territory.siren, *shared_figures.freshness())
    tabs = st.tabs([f"{reason} ({len(found[reason][1])})" for reason in watchlist.REASONS])
    for tab, reason in zip(tabs, watchlist.REASONS, strict=True):
        with tab:
            shown, export = found[reason]
            if export.empty:
                st.success("Rien à signaler.")
            else:
                render_action_tables(shown, export, f"watch_{reason}")
