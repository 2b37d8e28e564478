"""Mes actions — for a chargé de mission on Monday morning: my actions, most urgent first."""

import datetime as dt

import streamlit as st

from dashboard import components, filters, queries, tables, watchlist

territory = components.current_territory()
components.render_page_header("Mes actions", territory)
actions = queries.load_actions(territory["territory_id"])

pilot = components.select_pilot(actions)
mine = actions[filters.pilot_mask(actions, pilot)]
ranked = watchlist.rank_by_urgency(mine, dt.date.today())
finished = ranked["status"].isin(watchlist.DONE_STATUSES)
open_ranked = ranked[~finished]
late = int(mine["is_late"].sum())
to_update = int(open_ranked["reasons"].str.contains("Sans suivi").sum())
components.render_kpis(
    [
        ("Mes actions", str(len(mine)), None),
        ("En cours", str(int((mine["status"] == "En cours").sum())), None),
        ("En retard", str(late), "Fin prévue dépassée, action ni réalisée ni abandonnée"),
        (
            "À mettre à jour",
            str(to_update),
            f"Aucune note de suivi depuis {watchlist.STALE_MONTHS} mois",
        ),
    ]
)
st.subheader("Par ordre d'urgence")
columns = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "progress", "planned_end", "root_title", "is_demo")
]
if open_ranked.empty:
    st.success("Aucune action ouverte pour ce service.")
else:
    components.render_action_table(
        open_ranked,
        territory["siren"],
        "my_actions",
        columns,
        extra={"À traiter": open_ranked["reasons"]},
    )
done = ranked[finished]
if not done.empty:
    with st.expander(f"Actions terminées ou abandonnées ({len(done)})"):
        components.render_action_table(done, territory["siren"], "my_done", columns)
