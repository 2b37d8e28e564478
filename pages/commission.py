"""Mode commission — for elected officials on a projector: one topic per screen, printable.

Arrow keys (← →) or the buttons move between screens; `?ecran=` keeps the screen in the URL."""

import streamlit as st

from dashboard import changes, charts, commission, commission_ui, components, queries

territory = components.current_territory()
tid = territory["territory_id"]
st.html(commission.PROJECTOR_CSS)
actions = queries.load_actions(tid)
items = queries.load_plan_items(tid)
snapshots = queries.load_snapshots(tid)
screens = commission.build_screens(
    items, queries.load_funding_by_contract(tid), has_changes=len(snapshots) > 1
)
index = commission_ui.select_commission_screen(screens, territory["siren"])
screen = screens[index]
commission_ui.render_commission_header(territory, screen.title, index, len(screens))

if screen.kind == "summary":
    kpis = queries.load_overview_kpis(tid).iloc[0]
    commission_ui.render_commission_summary(kpis, actions, queries.load_status_by_root(tid))
elif screen.kind == "item":
    scoped = actions[actions["root_item_id"] == screen.key]
    components.render_kpis(commission.build_scope_kpis(scoped))
    figure = charts.build_status_by_root_figure(
        commission.build_child_status(actions, items, screen.key)
    )
    st.plotly_chart(charts.for_projector(figure), key="commission_item_chart")
    commission_ui.render_commission_late(scoped)
elif screen.kind == "contract":
    commission_ui.render_commission_contract(tid, screen.key)
else:
    previous, latest = changes.previous_and_latest(snapshots)
    found = changes.build_change_list(
        queries.load_snapshot_actions(tid, previous["snapshot_id"]),
        queries.load_snapshot_actions(tid, latest["snapshot_id"]),
    )
    st.markdown(f"Depuis : **{changes.describe_snapshot(previous)}**")
    commission_ui.render_commission_changes(found)
