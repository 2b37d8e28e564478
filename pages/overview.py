"""Vue d'ensemble — for directors: where the plan stands in ten seconds, then drill down."""

import datetime as dt

import streamlit as st

from dashboard import charts, components, queries, tables, texts, watchlist
from dashboard.formatting import format_compact_euros, format_number, format_percent

territory = components.current_territory()
components.render_page_header("Vue d'ensemble", territory)
tid = territory["territory_id"]
kpis = queries.load_overview_kpis(tid).iloc[0]

st.markdown(f"> {components.safe_text(texts.build_overview_summary(kpis))}")
n = format_number
components.render_kpis(
    [
        ("Actions", n(kpis["n_actions"]), None),
        ("Réalisées", n(kpis["n_done"]), "Statut « Réalisé »"),
        ("En cours", n(kpis["n_in_progress"]), "Statut « En cours »"),
        (
            "En retard",
            n(kpis["n_late"]),
            "Fin prévue dépassée et action ni réalisée ni abandonnée (calculé, jamais saisi)",
        ),
        ("À venir", n(kpis["n_not_started"]), None),
        ("En pause / bloquées", n(kpis["n_paused"] + kpis["n_blocked"]), None),
        ("Abandonnées", n(kpis["n_abandoned"]), None),
        (
            "Avancement moyen",
            format_percent(kpis["progress_by_count"]),
            f"Moyenne simple sur {n(kpis['n_with_progress'])} action(s) ; "
            f"pondérée par les dépenses prévues : {format_percent(kpis['progress_by_budget'])}",
        ),
    ]
)
if territory["has_budget"] or territory["has_funding"]:
    components.render_kpis(
        [
            (
                "Dépenses prévues",
                format_compact_euros(kpis["budget_planned"]),
                f"{n(kpis['n_with_budget'])} action(s) budgétée(s) sur {n(kpis['n_actions'])}",
            ),
            ("Dépenses engagées", format_compact_euros(kpis["budget_committed"]), None),
            ("Dépenses payées", format_compact_euros(kpis["budget_paid"]), None),
            (
                "Financements accordés",
                format_compact_euros(kpis["funding_granted"]),
                f"Demandés : {format_compact_euros(kpis['funding_requested'])}",
            ),
        ]
    )
else:
    st.warning(
        "Aucune donnée budgétaire ni de financement n'a été saisie pour ce territoire : "
        "les montants ne sont pas nuls, ils sont inconnus."
    )

st.subheader("Avancement par grand axe du plan")
status = queries.load_status_by_root(tid)
if status.empty:
    st.info("Aucune action n'est rattachée au plan.")
else:
    order_by = st.segmented_control(
        "Trier par",
        list(charts.ROOT_SORTS),
        format_func=charts.ROOT_SORTS.get,
        default="plan",
        key="root_sort",
    )
    event = st.plotly_chart(
        charts.build_status_by_root_figure(status, order_by or "plan"),
        key="status_by_root",
        on_select="rerun",
        selection_mode="points",
    )
    st.caption("Cliquez sur une barre pour ouvrir le plan d'action filtré sur cet axe.")
    components.render_chart_data(status, tables.STATUS_BY_ROOT_COLUMNS, "avancement", "status_data")
    points = event.selection.points if event else []
    if points:
        st.switch_page(
            "pages/plan.py",
            query_params={"territoire": territory["siren"], "element": points[0]["customdata"][0]},
        )

st.subheader("À surveiller")
watch = watchlist.build_watchlist(queries.load_actions(tid), dt.date.today())
columns = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "planned_end", "pilot_service", "is_demo")
]
tabs = st.tabs(
    [f"{reason} ({int((watch['reason'] == reason).sum())})" for reason in watchlist.REASONS]
)
for tab, reason in zip(tabs, watchlist.REASONS, strict=True):
    with tab:
        rows = watch[watch["reason"] == reason]
        if rows.empty:
            st.success("Rien à signaler.")
        else:
            components.render_action_table(rows, territory["siren"], f"watch_{reason}", columns)
