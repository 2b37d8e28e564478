"""`st_folium` in two steps, so that the expensive one can be cached and shared by every session.

`streamlit_folium.st_folium` renders the folium map (templates, GeoJSON, Leaflet script) at each
script run of each session: about two thirds of the map page's server time when a room opens it
at once (py-spy, `make bench`). `build_folium_args` does that rendering into the plain strings
and dictionaries the streamlit-folium component receives (picklable, so `st.cache_data` can keep
them); `render_folium_args` sends them. Same steps as `st_folium` of streamlit-folium 0.27 for
the options the app uses (a folium.Map, a height, the container width, the objects returned on
interaction); `tests/test_map.py` checks both give the component the same arguments.
"""

from __future__ import annotations

from collections.abc import Iterable

import branca
import folium
import folium.elements
from streamlit_folium import (
    _component_func,
    _get_header,
    _get_html,
    _get_map_string,
    generate_js_hash,
    get_full_id,
)

# What st_folium returns before any interaction, for each object it can report.
_EMPTY_RETURNS = (
    "last_clicked",
    "last_object_clicked",
    "last_object_clicked_count",
    "last_object_clicked_tooltip",
    "last_object_clicked_popup",
    "all_drawings",
    "last_active_drawing",
    "last_circle_radius",
    "last_circle_polygon",
    "selected_layers",
    "selected_tags",
    "last_geocoder_result",
)


def _asset_links(fmap: folium.Map) -> tuple[list[str], list[str]]:
    """CSS and JS files the map's elements declare, in order, each once."""
    css: list[str] = []
    js: list[str] = []

    def walk(element):
        if isinstance(element, (branca.colormap.ColorMap, folium.elements.JSCSSMixin)):
            yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    for element in walk(fmap):
        css += [href for _, href in getattr(element, "default_css", [])]
        js += [src for _, src in getattr(element, "default_js", [])]
    return list(dict.fromkeys(css)), list(dict.fromkeys(js))


def _bounds(fmap: folium.Map) -> dict:
    (south, west), (north, east) = fmap.get_bounds()
    return {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}}


def build_folium_args(
    fmap: folium.Map, key: str, height: int, returned_objects: Iterable[str]
) -> dict:
    """Render `fmap` into the component's arguments (what `st_folium(fmap, key=key,
    height=height, use_container_width=True, returned_objects=...)` sends)."""
    returned = list(returned_objects)
    fmap.get_root().render()
    fmap.render()
    html = _get_html(fmap)  # before the map string: _get_map_string alters the map
    header = _get_header(fmap)
    leaflet = _get_map_string(fmap)
    defaults = dict.fromkeys(_EMPTY_RETURNS)
    defaults["bounds"] = _bounds(fmap)
    defaults["zoom"] = fmap.options.get("zoom")
    css_links, js_links = _asset_links(fmap)
    return {
        "script": leaflet,
        "header": header,
        "html": html,
        "id": get_full_id(fmap),
        "key": generate_js_hash(leaflet, key, False),
        "height": height,
        "width": None,
        "returned_objects": returned,
        "default": {name: value for name, value in defaults.items() if name in returned},
        "zoom": None,
        "center": None,
        "feature_group": None,
        "return_on_hover": False,
        "layer_control": None,
        "pixelated": False,
        "css_links": css_links,
        "js_links": js_links,
        "wrap_longitude": False,
    }


def render_folium_args(args: dict, key: str) -> dict | None:
    """Show a map prepared by `build_folium_args(..., key=key, ...)`; returns what the user
    did on it, as `st_folium` does."""
    import streamlit as st

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(args["key"], {})

    return _component_func(**args, on_change=on_change)
