"""Streamlit pieces of the Carte des communes: the measure and classes chosen, the map (rendered
once per territory and choice and shared by every session: a room opening the page at once no
longer renders it once per person), its legend and the clicked commune's panel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import maps, queries, shared_figures, tables
from dashboard.folium_component import build_folium_args, render_folium_args
from dashboard.formatting import STATUS_COLORS, format_measure
from dashboard.templates import render_template
from dashboard.territory import Territory
from dashboard.ui.widgets import safe_text
from etl.schema import STATUS_ORDER

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
        *shared_figures.freshness(),
    )
    return render_folium_args(args, MAP_KEY) or {}


def select_measure_and_breaks(
    measures: list[maps.Measure], communes: pd.DataFrame
) -> tuple[maps.Measure, list[float]]:
    """The measure mapped and its classes (quantiles, or the bounds typed by the user)."""
    by_column = {m.column: m for m in measures}
    left, right = st.columns([2, 1])
    column = left.selectbox(
        "Mesure", list(by_column), format_func=lambda c: by_column[c].label, key="map_measure"
    )
    custom = right.text_input(
        "Classes personnalisées (bornes séparées par « ; »)",
        key="map_breaks",
        placeholder="ex. 0 ; 500 ; 2 000 ; 10 000",
    )
    measure = by_column[column]
    typed = maps.parse_custom_breaks(custom)
    if custom and typed is None:
        st.warning("Bornes illisibles : classes par quantiles.")
    return measure, typed or maps.quantile_breaks(communes[measure.column])


def render_map_legend(
    measure: maps.Measure,
    breaks: list[float],
    values: pd.Series,
    with_programmes: bool,
    marker_statuses: list[str] = (),
) -> None:
    """Legend of the choropleth in French number formats, next to the map, and of the action
    markers' colours (their status)."""
    st.markdown(f"**{safe_text(measure.label)}**")
    border = "1px solid #555"
    entries = [
        {"color": color, "border": border, "label": label}
        for color, label in maps.legend_entries(breaks, measure, values)
    ]
    entries.append({"color": maps.NO_DATA_COLOR, "border": border, "label": "Sans donnée"})
    if with_programmes:
        entries.append(
            {
                "color": "transparent",
                "border": f"3px solid {maps.PROGRAMME_COLOR}",
                "label": "Petites Villes de Demain / Action Cœur de Ville",
            }
        )
    for position, status in enumerate(s for s in STATUS_ORDER if s in set(marker_statuses)):
        entries.append(
            {
                "color": STATUS_COLORS[status],
                "border": "2px solid #212121",
                "label": status,
                "round": True,
                "heading": "Actions localisées (rond, couleur du statut)" if not position else "",
            }
        )
    st.html(render_template("map/legend.html", entries=entries))


def render_commune_panel(
    territory: Territory, communes: pd.DataFrame, measures: pd.DataFrame, event: dict
) -> None:
    """The clicked commune: its actions and its indicators (or how to choose one)."""
    clicked = (event.get("last_active_drawing") or {}).get("properties", {})
    code = clicked.get("insee_code")
    if code not in set(communes["insee_code"]):
        st.caption("Cliquez sur une commune pour voir ses actions.")
        return
    row = communes[communes["insee_code"] == code].iloc[0]
    st.subheader(safe_text(row["name"]))
    actions = queries.load_commune_actions(territory.territory_id, code)
    st.caption(f"{len(actions)} action(s) localisée(s) dans cette commune")
    columns = [
        c for c in tables.ACTION_COLUMNS if c[0] in ("code", "title", "status", "planned_end")
    ]
    if not actions.empty:
        st.dataframe(tables.to_display(actions, columns), hide_index=True, key="commune_actions")
    render_commune_indicators(measures[measures["insee_code"] == code])


def render_commune_indicators(measures: pd.DataFrame) -> None:
    """The clicked commune's indicators, each with its millésime and source."""
    if measures.empty:
        return
    st.markdown("**Indicateurs**")
    for row in measures.itertuples():
        year = f" ({int(row.year)})" if pd.notna(row.year) else ""
        unit = f" {safe_text(row.unit)}" if isinstance(row.unit, str) else ""
        st.markdown(
            f"- {safe_text(row.label)}{year} : {format_measure(row.value)}{unit}  \n"
            f"  *{safe_text(row.source)}*"
        )
