"""Vue d'ensemble — for directors: where the plan stands in ten seconds."""

import streamlit as st

from dashboard import charts, components, queries, tables, texts
from dashboard.formatting import format_compact_euros, format_number, format_percent

territory = components.current_territory()
components.render_page_header("Vue d'ensemble", territory)
kpis = queries.load_overview_kpis(territory["territory_id"]).iloc[0]
total = int(kpis["n_actions"])

st.markdown(f"> {components.safe_text(texts.build_overview_summary(kpis))}")
components.render_kpis(
    [
        ("Actions", format_number(total), None),
        ("Réalisées", format_number(kpis["n_done"]), "Statut « Réalisé »"),
        ("En cours", format_number(kpis["n_in_progress"]), "Statut « En cours »"),
        (
            "En retard",
            format_number(kpis["n_late"]),
            "Fin prévue dépassée et action ni réalisée ni abandonnée (calculé, jamais saisi)",
        ),
        ("À venir", format_number(kpis["n_not_started"]), None),
        ("En pause / bloquées", format_number(kpis["n_paused"] + kpis["n_blocked"]), None),
        ("Abandonnées", format_number(kpis["n_abandoned"]), None),
        (
            "Avancement moyen",
            format_percent(kpis["progress_by_count"]),
            "Moyenne simple des avancements renseignés",
        ),
    ]
)
if territory["has_budget"] or territory["has_funding"]:
    components.render_kpis(
        [
            ("Dépenses prévues", format_compact_euros(kpis["budget_planned"]), None),
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
    st.warning("Aucune donnée budgétaire ni de financement n'a été saisie pour ce territoire.")

st.subheader("Avancement par grand axe du plan")
status = queries.load_status_by_root(territory["territory_id"])
if status.empty:
    st.info("Aucune action n'est rattachée au plan.")
else:
    st.plotly_chart(charts.build_status_by_root_figure(status), key="status_by_root")

st.subheader("À surveiller : actions en retard")
actions = queries.load_actions(territory["territory_id"])
late = actions[actions["is_late"]].sort_values("days_late", ascending=False)
if late.empty:
    st.success("Aucune action en retard.")
else:
    columns = [
        c
        for c in tables.ACTION_COLUMNS
        if c[0]
        in ("code", "title", "root_title", "status", "planned_end", "pilot_service", "is_demo")
    ]
    st.dataframe(tables.to_display(late, columns), hide_index=True, key="late_actions")
