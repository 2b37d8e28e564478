"""Plan d'action — for chargés de mission and analysts: the hierarchy and every action."""

import streamlit as st

from dashboard import components, queries, tables
from dashboard.formatting import STATUS_ORDER

territory = components.current_territory()
components.render_page_header("Plan d'action", territory)
items = queries.load_plan_items(territory["territory_id"])
actions = queries.load_actions(territory["territory_id"])

roots = items[items["depth"] == 1]
left, middle, right = st.columns([2, 2, 1])
root_choice = left.selectbox("Premier niveau", ["Tous", *roots["title"]], key="plan_root")
statuses = middle.multiselect(
    "Statut", STATUS_ORDER, key="plan_status", placeholder="Tous les statuts"
)
late_only = right.toggle("En retard seulement", key="plan_late")

shown = actions
if root_choice != "Tous":
    shown = shown[shown["root_title"] == root_choice]
if statuses:
    shown = shown[shown["status"].isin(statuses)]
if late_only:
    shown = shown[shown["is_late"]]

st.caption(f"{len(shown)} action(s) sur {len(actions)}")
display = tables.to_display(shown, tables.ACTION_COLUMNS)
display["Avancement (%)"] = shown["progress"]
st.dataframe(
    display,
    hide_index=True,
    key="plan_actions",
    column_config={
        "Avancement (%)": st.column_config.ProgressColumn(
            "Avancement", min_value=0, max_value=100, format="%.0f %%"
        )
    },
)
components.render_downloads(
    tables.to_export(shown, tables.ACTION_COLUMNS), "actions", "plan_export"
)

st.subheader("Hiérarchie du plan")
for root in roots.itertuples():
    label = f"{root.level.capitalize()} — {root.title}"
    with st.expander(components.safe_text(label)):
        below = items[(items["root_id"] == root.item_id) & (items["depth"] > 1)]
        for item in below.itertuples():
            indent = "  " * (item.depth - 2)
            count = int((actions["item_title"] == item.title).sum())
            st.markdown(
                f"{indent}- **{components.safe_text(item.level)}** : "
                f"{components.safe_text(item.title)} ({count} action(s))"
            )
