"""The communes map of the Carte page, rendered once per territory and choice and shared by every
session (a room opening the page at once no longer renders it once per person)."""

from __future__ import annotations

import streamlit as st

from dashboard import maps, queries, shared
from dashboard.folium_component import build_folium_args, render_folium_args

MAP_KEY = "communes_map"
MAP_HEIGHT = 620
RETURNED = ("last_active_drawing",)  # a click on a commune; panning does not rerun the page


@st.cache_data(max_entries=64, show_spinner=False)
def _communes_map_args(
    territory_id: str,
    measure_column: str,
    breaks: tuple[float, ...],
    tiles_url: str | None,
    version: str | None,
    day: str,
) -> dict:
    """Refreshes like the queries: at each publish (`version`) and each day (`day`)."""
    communes, measures = maps.with_indicator_measures(
        queries.load_commune_map(territory_id), queries.load_commune_measures(territory_id)
    )
    measure = next(m for m in measures if m.column == measure_column)
    fmap = maps.build_communes_map(
        communes,
        measure,
        list(breaks),
        tiles_url=tiles_url,
        programmes=maps.programme_labels(queries.load_programme_communes(territory_id)),
        places=queries.load_action_places(territory_id),
    )
    return build_folium_args(fmap, MAP_KEY, MAP_HEIGHT, RETURNED)


def render_communes_map(territory_id: str, measure: maps.Measure, breaks: list[float]) -> dict:
    """The choropleth of `measure`; returns what the user clicked (`last_active_drawing`)."""
    args = _communes_map_args(
        territory_id,
        measure.column,
        tuple(float(b) for b in breaks),
        maps.configured_tiles_url(),
        *shared.freshness(),
    )
    return render_folium_args(args, MAP_KEY) or {}
