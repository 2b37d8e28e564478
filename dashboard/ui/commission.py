"""Streamlit pieces of the Mode commission page: the meeting's agenda (`?ordre=`), screen
navigation (`?ecran=`), header, and one renderer per kind of topic (dashboard.commission's
SCREEN_KINDS), every screen sized for a 1920×1080 projector."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import changes, charts, commission, kpis, queries, summaries
from dashboard.commission import CommissionData, Screen, Topic
from dashboard.commission_report.render import html_table
from dashboard.formatting import format_date
from dashboard.templates import read_static
from dashboard.territory import Territory
from dashboard.ui import results as results_view
from dashboard.ui.chart_view import render_chart
from dashboard.ui.context import load_provenance_notice
from dashboard.ui.widgets import (
    render_change_counts,
    render_kpis,
    safe_text,
    sync_query_params,
)

AGENDA_KEY = "commission_agenda"
JUMP_KEY = "commission_jump"


def apply_projector_style() -> None:
    """Large type, no sidebar nor header (templates/commission/projector.css)."""
    st.html(f"<style>{read_static('commission/projector.css')}</style>")


def load_commission_data(territory: Territory) -> CommissionData:
    """Everything the screens of `territory` show, from the cached queries."""
    territory_id = territory.territory_id
    previous, latest = changes.previous_and_latest(queries.load_snapshots(territory_id))
    found = None
    if previous is not None:
        found = queries.load_change_list(
            territory_id, previous["snapshot_id"], latest["snapshot_id"]
        )
    return CommissionData(
        items=queries.load_plan_items(territory_id),
        actions=queries.load_actions(territory_id),
        contracts=queries.load_funding_by_contract(territory_id),
        funding=queries.load_funding_lines(territory_id),
        has_money=territory.has_money,
        previous=previous,
        changes=found,
        provenance_notice=load_provenance_notice(territory),
    )


def select_agenda(data: CommissionData) -> list[Topic]:
    """The meeting's agenda: from `?ordre=` first (a shared link), else the default; changed in
    « Ordre du jour » (points in the order they are chosen) and written back to the URL."""
    offered = {topic.token: topic for topic in commission.available_topics(data)}
    default = [topic.token for topic in commission.default_agenda(data)]
    if AGENDA_KEY not in st.session_state:
        chosen, unknown = commission.parse_agenda(st.query_params.get("ordre"), data)
        st.session_state[AGENDA_KEY] = [topic.token for topic in chosen]
        if unknown:
            st.toast(
                "Point(s) du lien inconnu(s), ignoré(s) : " + ", ".join(map(safe_text, unknown))
            )
    tokens = [t for t in st.session_state[AGENDA_KEY] if t in offered] or default
    sync_query_params({"ordre": commission.format_agenda([offered[t] for t in tokens])}, ["ordre"])
    return [offered[t] for t in tokens]


def render_agenda_picker(data: CommissionData, container) -> None:
    """« Ordre du jour »: which points, in which order; back to the default in one click."""
    offered = {topic.token: topic for topic in commission.available_topics(data)}
    default = [topic.token for topic in commission.default_agenda(data)]

    def restart() -> None:
        st.session_state[JUMP_KEY] = 0

    def reset() -> None:
        st.session_state[AGENDA_KEY] = default
        restart()

    with container.popover("Ordre du jour", width="stretch"):
        st.multiselect(
            "Points de l'ordre du jour, dans l'ordre de la séance",
            list(offered),
            format_func=lambda token: offered[token].title,
            key=AGENDA_KEY,
            on_change=restart,
            placeholder="Choisissez les points",
            help="Les points sont présentés dans l'ordre où ils sont choisis : retirez un point "
            "puis choisissez-le à nouveau pour le placer en fin de séance. Aucun point choisi : "
            "l'ordre du jour par défaut.",
        )
        hidden = len(offered) - len(default)
        st.caption(
            f"Par défaut : {len(default)} point(s) sur {len(offered)}"
            + (
                f" ({hidden} contrat(s) ou point(s) sans chiffres ou moins dotés)."
                if hidden
                else "."
            )
        )
        st.button("Ordre du jour par défaut", on_click=reset, key="commission_agenda_reset")


def select_commission_screen(screens: list[Screen], siren: str, data: CommissionData) -> int:
    """Previous / next buttons (also ← and → keys), a jump list and the agenda; `?ecran=`
    (from 1) in the URL so that a link opens the same screen."""
    total = len(screens)
    if JUMP_KEY not in st.session_state:
        asked = st.query_params.get("ecran", "1")
        st.session_state[JUMP_KEY] = (
            min(max(int(asked) - 1, 0), total - 1) if asked.isdigit() else 0
        )
    st.session_state[JUMP_KEY] = min(st.session_state[JUMP_KEY], total - 1)

    def move(step: int) -> None:
        st.session_state[JUMP_KEY] = (st.session_state[JUMP_KEY] + step) % total

    back, jump, forward, agenda, leave = st.columns(
        [1.1, 4.4, 1.1, 1.3, 0.8], vertical_alignment="bottom"
    )
    back.button("◀ Précédent", on_click=move, args=(-1,), shortcut="Left",
                key="commission_back", width="stretch")  # fmt: skip
    index = jump.selectbox(
        "Écran",
        range(total),
        format_func=lambda i: f"{i + 1} / {total} — {screens[i].title}",
        key=JUMP_KEY,
        label_visibility="collapsed",
    )
    forward.button("Suivant ▶", on_click=move, args=(1,), shortcut="Right",
                   key="commission_next", type="primary", width="stretch")  # fmt: skip
    render_agenda_picker(data, agenda)
    leave.link_button("Quitter", f"/?territoire={siren}", width="stretch")
    sync_query_params({"ecran": str(index + 1)}, ["ecran"])
    return index


def render_commission_header(territory: Territory, screen: Screen, index: int, total: int,
                             notice: str | None) -> None:  # fmt: skip
    """On every screen: the topic, the territory, the date of the data and the screen number."""
    info = queries.load_build_info()
    built = format_date(info["built_at"].iloc[0]) if not info.empty else "non renseignée"
    st.title(safe_text(screen.title))
    st.caption(f"{safe_text(territory.name)} — données au {built} — écran {index + 1} / {total}")
    if notice:
        st.caption(safe_text(notice))


def render_screen(territory: Territory, data: CommissionData, screen: Screen) -> None:
    """The body of one screen: its kind's renderer, given the pieces this screen holds."""
    RENDERERS[screen.kind](territory, data, screen)


def render_projector_table(frame: pd.DataFrame, table: tuple, piece, heading: str) -> None:
    """Rows [start, stop) of a list in the projector's large type, numbers right-aligned, each
    column its fixed width (what dashboard.commission's row heights assume); escaped."""
    spec, widths = table
    st.subheader(heading + (" (suite)" if piece.start else ""))
    shown = frame.iloc[piece.start : piece.stop]
    st.html(html_table(shown, spec, "projector-table", widths=widths))


def render_status_chart(status: pd.DataFrame, screen: Screen, key: str) -> None:
    """The bars of this screen's piece of a status chart, the x axis the same on every part."""
    piece = screen.piece("chart")
    if piece is None or status.empty:
        return
    order = commission.chart_rows(status)
    rows = commission.chart_block("chart", status).rows
    shown = status[status["item_id"].isin(order[piece.start : piece.stop])]
    figure = charts.for_projector(charts.build_status_by_root_figure(shown))
    widest = status.groupby("item_id")["n_actions"].sum().max()
    # The legend even for one status (plotly hides a lone trace's): grey must say « Non renseigné ».
    figure.update_layout(height=commission.chart_height(rows, piece), showlegend=True)
    figure.update_xaxes(range=[0, widest * 1.05])
    render_chart(figure, summaries.build_status_by_root_summary(shown), key=f"{key}_{screen.part}")


def render_screen_kpis(actions: pd.DataFrame, screen: Screen) -> None:
    """The figures an elected official reads first, computed like every other screen's."""
    if screen.piece("kpis"):
        items = kpis.build_kpi_items(kpis.build_kpis(actions), keys=kpis.SCREEN_KPIS)
        render_kpis(items, columns=commission.kpi_columns(len(items)))


def render_summary(territory: Territory, data: CommissionData, screen: Screen) -> None:
    if screen.piece("summary"):
        st.markdown(safe_text(commission.summary_sentence(data)))
    render_screen_kpis(data.actions, screen)
    status = kpis.build_status_by_item(data.actions, data.items, depth=1)
    render_status_chart(status, screen, "commission_summary_chart")


def render_item(territory: Territory, data: CommissionData, screen: Screen) -> None:
    """One first-level item: its KPIs, its status by second-level item, its most late actions."""
    scoped = commission.item_actions(data, screen.topic)
    if screen.piece("glance"):
        roots = data.items[(data.items["depth"] == 1) & (data.items["code"] == screen.topic.key)]
        results_view.render_commission_glance(territory, roots["item_id"].iloc[0])
    render_screen_kpis(scoped, screen)
    if screen.piece("no_late"):
        st.success("Aucune action en retard.")
    render_status_chart(commission.item_status(data, screen.topic), screen, "commission_item_chart")
    piece = screen.piece("late")
    if piece:
        late = commission.late_actions(scoped)
        total = int(scoped["is_late"].fillna(False).astype(bool).sum())
        shown = f"les {len(late)} plus en retard sur {total}" if total > len(late) else ""
        heading = f"Actions les plus en retard ({shown or f'{total} au total'})"
        render_projector_table(late, commission.LATE_TABLE, piece, heading)


def render_contract(territory: Territory, data: CommissionData, screen: Screen) -> None:
    row = commission.contract_row(data, screen.topic)
    if screen.piece("terms"):
        st.markdown(commission.describe_contract_terms(row))
    if screen.piece("no_figures"):
        st.info(
            "La source ne donne aucun chiffre pour ce contrat : ni enveloppe, ni montant demandé, "
            "accordé ou versé, ni action financée."
        )
    if screen.piece("kpis"):
        figures = commission.contract_figures(row)
        render_kpis(figures, columns=commission.kpi_columns(len(figures)))
        missing = commission.missing_contract_figures(row)
        if missing:
            st.caption("Non renseigné par la source : " + ", ".join(missing) + ".")
    if screen.piece("no_lines"):
        st.info(
            "La source ne donne aucune ligne de financement pour ce contrat : les montants "
            "demandés, accordés et versés sont non renseignés (inconnus, pas nuls)."
        )
    piece = screen.piece("lines")
    if piece:
        lines = commission.contract_lines(data, screen.topic)
        heading = f"Lignes de financement ({len(lines)})"
        render_projector_table(lines, commission.LINES_TABLE, piece, heading)


def render_changes(territory: Territory, data: CommissionData, screen: Screen) -> None:
    """Counts, then the changes a commission discusses (not every progress update)."""
    if screen.piece("counts"):
        if data.changes.empty:
            st.success("Aucun changement depuis ce point d'étape.")
        kinds = sum(1 for _, count in changes.count_changes(data.changes) if count)
        render_change_counts(data.changes, columns=commission.kpi_columns(kinds))
    piece = screen.piece("notable")
    if piece:
        notable = commission.changes_notable(data)
        total = len(commission.notable_changes(data.changes, limit=len(data.changes)))
        counted = f" ({len(notable)} sur {total})" if total > len(notable) else ""
        heading = "Principaux changements" + counted
        render_projector_table(notable, commission.CHANGES_TABLE, piece, heading)


RENDERERS = {
    "synthese": render_summary,
    "element": render_item,
    "contrat": render_contract,
    "changements": render_changes,
}
