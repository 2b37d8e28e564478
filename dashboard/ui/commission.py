"""Streamlit pieces of the Mode commission page: screen navigation, header and the projector's
large tables, one topic per screen (`?ecran=` keeps the screen in the URL)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import changes, charts, commission, kpis, queries, summaries, tables
from dashboard.formatting import (
    format_compact_euros,
    format_date,
    format_number,
    format_percent,
)
from dashboard.templates import read_static
from dashboard.territory import Territory
from dashboard.ui import results as results_view
from dashboard.ui.context import load_provenance_notice
from dashboard.ui.widgets import (
    render_change_counts,
    render_kpis,
    safe_text,
    sync_query_params,
)


def apply_projector_style() -> None:
    """Large type, no sidebar nor header (templates/commission/projector.css)."""
    st.html(f"<style>{read_static('commission/projector.css')}</style>")


def load_screens(territory: Territory) -> list[commission.Screen]:
    territory_id = territory.territory_id
    return commission.build_screens(
        queries.load_plan_items(territory_id),
        queries.load_funding_by_contract(territory_id),
        has_changes=len(queries.load_snapshots(territory_id)) > 1,
    )


def select_commission_screen(screens: list, siren: str) -> int:
    """Previous / next buttons (also ← and → keys) and a jump list; `?ecran=` (from 1) in the
    URL so that a link opens the same screen."""
    total = len(screens)
    if "commission_jump" not in st.session_state:
        asked = st.query_params.get("ecran", "1")
        st.session_state["commission_jump"] = (
            min(max(int(asked) - 1, 0), total - 1) if (asked.isdigit()) else 0
        )

    def move(step: int) -> None:
        st.session_state["commission_jump"] = (st.session_state["commission_jump"] + step) % total

    back, jump, forward, leave = st.columns([1, 4, 1, 1], vertical_alignment="bottom")
    back.button(
        "◀ Précédent",
        on_click=move,
        args=(-1,),
        shortcut="Left",
        key="commission_back",
        width="stretch",
    )
    index = jump.selectbox(
        "Écran",
        range(total),
        format_func=lambda i: f"{i + 1} / {total} — {screens[i].title}",
        key="commission_jump",
        label_visibility="collapsed",
    )
    forward.button(
        "Suivant ▶",
        on_click=move,
        args=(1,),
        shortcut="Right",
        key="commission_next",
        type="primary",
        width="stretch",
    )
    leave.link_button("Quitter", f"/?territoire={siren}", width="stretch")
    sync_query_params({"ecran": str(index + 1)}, ["ecran"])
    return index


def render_commission_header(territory: Territory, title: str, index: int, total: int) -> None:
    """On every screen: the topic, the territory, the date of the data and the screen number."""
    info = queries.load_build_info()
    built = format_date(info["built_at"].iloc[0]) if not info.empty else "—"
    st.title(safe_text(title))
    st.caption(f"{safe_text(territory.name)} — données au {built} — écran {index + 1} / {total}")
    notice = load_provenance_notice(territory)
    if notice:
        st.caption(safe_text(notice))


def render_screen(territory: Territory, screen: commission.Screen) -> None:
    """The body of one screen, by its kind."""
    actions = queries.load_actions(territory.territory_id)
    if screen.kind == "summary":
        render_commission_summary(territory, actions)
    elif screen.kind == "item":
        render_commission_item(territory, actions, screen.key)
    elif screen.kind == "contract":
        render_commission_contract(territory, screen.key)
    else:
        render_commission_changes(territory)


def render_scope_kpis(actions: pd.DataFrame) -> None:
    """The figures an elected official reads first, computed like every other screen's."""
    render_kpis(kpis.build_kpi_items(kpis.build_kpis(actions), keys=kpis.SCREEN_KPIS))


def render_projector_table(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> None:
    """A plain table in the page's (large) font; st.table reads Markdown, so text is escaped."""
    shown = tables.to_display(frame, spec)
    st.table(shown.map(safe_text), border="horizontal", hide_index=True)


def render_commission_summary(territory: Territory, actions: pd.DataFrame) -> None:
    st.markdown(safe_text(summaries.build_overview_summary(kpis.build_kpis(actions))))
    render_scope_kpis(actions)
    status = queries.load_status_by_root(territory.territory_id)
    if not status.empty:
        figure = charts.build_status_by_root_figure(status)
        st.plotly_chart(charts.for_projector(figure), key="commission_summary_chart")


def render_commission_item(territory: Territory, actions: pd.DataFrame, root_id: str) -> None:
    """One first-level item: its KPIs, its status by second-level item, its most late actions."""
    scoped = actions[actions["root_item_id"] == root_id]
    results_view.render_commission_glance(territory, root_id)
    render_scope_kpis(scoped)
    items = queries.load_plan_items(territory.territory_id)
    figure = charts.build_status_by_root_figure(kpis.build_status_by_item(scoped, items, depth=2))
    st.plotly_chart(charts.for_projector(figure), key="commission_item_chart")
    late = commission.late_actions(scoped)
    if late.empty:
        st.success("Aucune action en retard.")
        return
    st.subheader(f"Actions les plus en retard ({int(scoped['is_late'].sum())} au total)")
    render_projector_table(late, tables.COMMISSION_LATE_COLUMNS)


def render_commission_contract(territory: Territory, code: str) -> None:
    contracts = queries.load_funding_by_contract(territory.territory_id)
    row = contracts[contracts["code"] == code].iloc[0]
    st.markdown(
        f"**{safe_text(row['contract_type'])}** — du {format_date(row['start_date'])} "
        f"au {format_date(row['end_date'])}"
    )
    use = None if pd.isna(row["envelope_use"]) else 100 * row["envelope_use"]
    render_kpis(
        [
            ("Enveloppe", format_compact_euros(row["envelope"]), None),
            ("Actions financées", format_number(row["n_actions"]), None),
            ("Consommation de l'enveloppe", format_percent(use), "Accordé / enveloppe"),
            ("Demandé", format_compact_euros(row["requested"]), None),
            ("Accordé", format_compact_euros(row["granted"]), None),
            ("Versé", format_compact_euros(row["received"]), None),
        ],
        columns=3,
    )
    lines = queries.load_contract_actions(territory.territory_id, code)
    if not lines.empty:
        st.subheader("Lignes de financement")
        render_projector_table(lines, tables.COMMISSION_CONTRACT_COLUMNS)


def render_commission_changes(territory: Territory) -> None:
    """Counts, then the changes a commission discusses (not every progress update)."""
    territory_id = territory.territory_id
    previous, latest = changes.previous_and_latest(queries.load_snapshots(territory_id))
    found = queries.load_change_list(territory_id, previous["snapshot_id"], latest["snapshot_id"])
    st.markdown(f"Depuis : **{changes.describe_snapshot(previous)}**")
    render_change_counts(found, columns=4)
    notable = commission.notable_changes(found)
    if not notable.empty:
        st.subheader("Principaux changements")
        render_projector_table(notable, tables.CHANGE_COLUMNS)
