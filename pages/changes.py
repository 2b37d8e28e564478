"""Évolutions — for directors and commissions: what changed between two snapshots of the plan."""

import streamlit as st

from dashboard import queries
from dashboard.ui import changes, context

territory = context.current_territory()
context.render_page_header("Évolutions", territory)
snapshots = queries.load_snapshots(territory.territory_id)
st.caption(
    "Chaque construction de la base qui modifie le plan en garde un instantané daté (statuts, "
    "avancements, dates, montants) ; les états saisis dans la feuille « etats_anterieurs » "
    "(par ex. celui de la dernière commission) en sont aussi."
)
if len(snapshots) < 2:
    st.info(
        "Un seul instantané pour ce territoire : il n'y a encore rien à comparer. "
        "La prochaine publication qui modifie le plan en créera un second."
    )
else:
    changes.render_changes(territory, snapshots)
