"""Évolutions — for directors and commissions: what changed between two snapshots of the plan."""

import streamlit as st

from dashboard import changes, components, queries, tables

territory = components.current_territory()
components.render_page_header("Évolutions", territory)
tid = territory["territory_id"]
snapshots = queries.load_snapshots(tid)
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
    st.stop()

before, after = components.select_snapshot_pair(snapshots)
if before["snapshot_id"] == after["snapshot_id"]:
    st.warning("Choisissez deux instantanés différents.")
    st.stop()
found = changes.build_change_list(
    queries.load_snapshot_actions(tid, before["snapshot_id"]),
    queries.load_snapshot_actions(tid, after["snapshot_id"]),
)
if before["is_demo"] or after["is_demo"]:
    st.caption("Ces instantanés contiennent des données de démonstration (statuts, montants).")
if found.empty:
    st.success("Aucun changement entre ces deux instantanés.")
    st.stop()

st.subheader(f"{found['action_id'].nunique()} action(s) modifiée(s)")
components.render_change_counts(found)
kinds = st.multiselect(
    "Types de changement",
    [label for label, count in changes.count_changes(found) if count],
    placeholder="Tous",
    key="change_kinds",
)
shown = found[found["change"].isin(kinds)] if kinds else found
components.render_action_table(shown, territory["siren"], "changes", tables.CHANGE_COLUMNS)
