"""Plan d'action — for chargés de mission and analysts: slice the plan any way, share the link."""

import streamlit as st

from dashboard import charts, components, filters, queries, report

territory = components.current_territory()
components.render_page_header("Plan d'action", territory)
tid = territory["territory_id"]
items = queries.load_plan_items(tid)
actions = queries.load_actions(tid)
links = queries.load_action_links(tid)

chosen = components.render_action_filters(actions, items, links)
shown = filters.apply_filters(actions, items, links, chosen)
st.caption(
    f"{len(shown)} action(s) sur {len(actions)}"
    + (" — filtres actifs : le lien de cette page les conserve." if chosen.active else "")
)
pdf_column, xlsx_column = st.columns(2)
# Report on the first-level item above the "Élément du plan" filter, or on the whole plan.
scope = report.scope_for_item(items, chosen.item)
components.render_report_download(territory, scope, "plan_report", pdf_column)
components.render_plan_workbook_download(territory, "plan_workbook", xlsx_column)

table_tab, tree_tab, outline_tab = st.tabs(["Tableau", "Arborescence", "Hiérarchie"])
with table_tab:
    components.render_action_table(shown, territory["siren"], "plan_actions")
with tree_tab:
    left, right = st.columns(2)
    kind = left.radio(
        "Vue",
        ["treemap", "sunburst"],
        horizontal=True,
        key="plan_tree_kind",
        format_func={"treemap": "Rectangles", "sunburst": "Soleil"}.get,
    )
    color_by = right.radio(
        "Couleur",
        ["status", "progress"],
        horizontal=True,
        key="plan_tree_color",
        format_func={"status": "Statut", "progress": "Avancement"}.get,
    )
    if shown.empty:
        st.info("Aucune action ne correspond aux filtres.")
    else:
        st.plotly_chart(
            charts.build_plan_hierarchy_figure(items, shown, color_by, kind), key="plan_tree"
        )
        st.caption(
            "Cliquez sur un bloc pour zoomer sur cette partie du plan ; cliquez en haut "
            "du bloc pour remonter."
        )
with outline_tab:
    components.render_plan_outline(items, shown)
