"""Vue d'ensemble — for directors: where the plan stands in ten seconds, then drill down."""

import streamlit as st

from dashboard import charts, components, overview_ui, queries, tables, texts

territory = components.current_territory()
components.render_page_header("Vue d'ensemble", territory)
tid = territory["territory_id"]
kpis = queries.load_overview_kpis(tid).iloc[0]

st.markdown(f"> {components.safe_text(texts.build_overview_summary(kpis))}")
components.render_overview_kpis(territory, kpis)

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
        overview_ui.load_status_figure(tid, order_by or "plan"),
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
overview_ui.render_watchlist(territory)
