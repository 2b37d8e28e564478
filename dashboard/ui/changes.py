"""Streamlit pieces of Évolutions: the two snapshots compared (kept in the URL) and the list
of what changed between them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import changes, queries, tables
from dashboard.territory import Territory
from dashboard.ui.widgets import render_action_table, render_change_counts, sync_query_params


def select_snapshot_pair(snapshots: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Two snapshots to compare (defaults: the previous and the latest), kept in the URL
    (`?avant=…&apres=…`) so that a comparison can be shared."""
    ids = snapshots["snapshot_id"].tolist()
    labels = {
        row.snapshot_id: changes.describe_snapshot(pd.Series(row._asdict()))
        for row in snapshots.itertuples()
    }
    params = st.query_params
    before_default = params.get("avant") if params.get("avant") in ids else ids[-2]
    after_default = params.get("apres") if params.get("apres") in ids else ids[-1]
    left, right = st.columns(2)
    before = left.selectbox(
        "Avant", ids, index=ids.index(before_default), format_func=labels.get, key="before"
    )
    after = right.selectbox(
        "Après", ids, index=ids.index(after_default), format_func=labels.get, key="after"
    )
    sync_query_params({"avant": before, "apres": after}, ["avant", "apres"])
    by_id = snapshots.set_index("snapshot_id", drop=False)
    return by_id.loc[before], by_id.loc[after]


def render_changes(territory: Territory, snapshots: pd.DataFrame) -> None:
    """The comparison: choose two snapshots, then the counts and the filtered list."""
    before, after = select_snapshot_pair(snapshots)
    if before["snapshot_id"] == after["snapshot_id"]:
        st.warning("Choisissez deux instantanés différents.")
        return
    found = queries.load_change_list(
        territory.territory_id, before["snapshot_id"], after["snapshot_id"]
    )
    if before["is_demo"] or after["is_demo"]:
        st.caption("Ces instantanés contiennent des données de démonstration (statuts, montants).")
    if found.empty:
        st.success("Aucun changement entre ces deux instantanés.")
        return
    st.subheader(f"{found['action_id'].nunique()} action(s) modifiée(s)")
    render_change_counts(found)
    kinds = st.multiselect(
        "Types de changement",
        [label for label, count in changes.count_changes(found) if count],
        placeholder="Tous",
        key="change_kinds",
    )
    shown = found[found["change"].isin(kinds)] if kinds else found
    render_action_table(shown, territory.siren, "changes", tables.CHANGE_COLUMNS)
