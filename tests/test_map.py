"""Carte page: the map prepared once (`build_folium_args`) is what `st_folium` would send, and the
page shows the cached map of the right measure."""

from __future__ import annotations

import itertools

import branca.element
import streamlit_folium

from dashboard import folium_component, maps
from dashboard.queries import read_sql
from tests.test_pages import run_page


def _saint_dizier_map(demo_db, measure: str = "population"):
    communes = demo_db.execute(read_sql("commune_map"), {"territory": "saint-dizier"}).df()
    programmes = maps.programme_labels(
        demo_db.execute(read_sql("programme_communes"), {"territory": "saint-dizier"}).df()
    )
    places = demo_db.execute(read_sql("action_places"), {"territory": "saint-dizier"}).df()
    return maps.build_communes_map(
        communes, maps.MEASURES_BY_COLUMN[measure], programmes=programmes, places=places
    )


def test_prepared_map_sends_the_component_what_st_folium_sends(demo_db, monkeypatch):
    ids = itertools.count()
    # Element ids are random: the same sequence for both builds makes them comparable.
    monkeypatch.setattr(
        branca.element.Element, "_generate_id", classmethod(lambda cls: f"{next(ids):032x}")
    )
    sent = {}
    monkeypatch.setattr(
        streamlit_folium, "_component_func", lambda **kwargs: sent.update(kwargs) or None
    )
    streamlit_folium.st_folium(
        _saint_dizier_map(demo_db),
        key="communes_map",
        height=620,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
    )
    expected = {name: value for name, value in sent.items() if name != "on_change"}
    ids = itertools.count()
    prepared = folium_component.build_folium_args(
        _saint_dizier_map(demo_db), "communes_map", 620, ("last_active_drawing",)
    )
    assert prepared == expected
    assert prepared["script"].count('"insee_code"') == 60  # one feature per commune
    assert prepared["js_links"] == ["/app/static/leaflet/leaflet.js"]
    assert prepared["default"] == {"last_active_drawing": None}


def test_map_page_shows_the_cached_map_of_the_chosen_measure(app_env):
    at = run_page("map", "200068666")
    assert not at.exception
    first = at.get("component_instance")[0].proto.json_args
    at.selectbox(key="map_measure").set_value("population").run()
    assert not at.exception
    second = at.get("component_instance")[0].proto.json_args
    assert second != first  # another measure, another map
    at.selectbox(key="map_measure").set_value("n_actions").run()
    at.selectbox(key="map_measure").set_value("population").run()
    assert at.get("component_instance")[0].proto.json_args == second  # served from the cache
