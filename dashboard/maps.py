"""Folium maps served with the app's own Leaflet: no CDN, no tile server (no Streamlit here)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from dashboard.formatting import NBSP, SEQUENTIAL, STATUS_COLORS, escape, format_number

# Absolute paths: the map lives in the component's iframe, where a relative path would not resolve.
STATIC_ROOT = "/app/static/leaflet"
NO_DATA_COLOR = "#e0e0e0"
PROGRAMME_COLOR = "#e65100"


class LocalLeafletMap(folium.Map):
    """folium.Map whose only assets are Leaflet's, served by Streamlit's static file server, with
    French controls (zoom buttons titled in French, a scale in metres / kilometres only) and a
    page that can be zoomed."""

    default_js: ClassVar = [("leaflet", f"{STATIC_ROOT}/leaflet.js")]
    default_css: ClassVar = [("leaflet_css", f"{STATIC_ROOT}/leaflet.css")]

    def __init__(self, **kwargs) -> None:
        super().__init__(zoom_control=False, control_scale=False, **kwargs)
        FrenchControls().add_to(self)

    def render(self, **kwargs) -> None:
        """folium's page, whose viewport lets people zoom (WCAG 1.4.4: folium forbids it)."""
        super().render(**kwargs)
        header = self.get_root().header
        macro = self._template.module.__dict__["header"]
        html = re.sub(r",\s*maximum-scale=1\.0, user-scalable=no", "", str(macro(self, kwargs)))
        header.add_child(Element(html), name=self.get_name())


class FrenchControls(MacroElement):
    """Leaflet's zoom control and metric scale (its defaults are English and imperial too)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.zoom({zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"})
            .addTo({{ this._parent.get_name() }});
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


@dataclass(frozen=True)
class Measure:
    column: str
    label: str
    unit: str = ""
    decimals: int = 0


MEASURES = (
    Measure("n_actions", "Nombre d'actions"),
    Measure("amount_planned", "Montant prévu des actions", "€"),
    Measure("amount_per_inhabitant", "Montant prévu par habitant", "€/hab.", 1),
    Measure("population", "Population légale (dernier millésime)", "hab."),
    Measure("population_change_pct", "Évolution de la population légale", "%", 1),
    Measure("density", "Densité", "hab./km²", 1),
)
MEASURES_BY_COLUMN = {m.column: m for m in MEASURES}


def population_label(year: object) -> str:
    """« Population légale 2026 »: the one population of a commune always says its millésime."""
    return "Population légale" + (f" {int(year)}" if pd.notna(year) else "")


def quantile_breaks(values: pd.Series, n_classes: int = 5) -> list[float]:
    """Class limits by quantiles. When the smallest value is frequent (typically 0 actions), it gets
    a class of its own and the quantiles split the rest, so no class reads "0 à 0"."""
    clean = values.dropna().astype(float)
    if clean.empty:
        return []
    low = float(clean.min())
    rest = clean[clean > low]
    if rest.empty:
        return [low]
    if (clean == low).mean() >= 1 / n_classes:
        upper = np.unique(np.quantile(rest, np.linspace(0, 1, n_classes)))
        return (
            [low, *[float(b) for b in upper]] if upper[0] > low else [low, *map(float, upper[1:])]
        )
    return [float(b) for b in np.unique(np.quantile(clean, np.linspace(0, 1, n_classes + 1)))]


def class_color(value: object, breaks: list[float]) -> str:
    if value is None or pd.isna(value) or not breaks:
        return NO_DATA_COLOR
    if len(breaks) == 1:
        return SEQUENTIAL[-2]
    n_classes = len(breaks) - 1
    index = min(int(np.searchsorted(breaks[1:-1], float(value), side="right")), n_classes - 1)
    if n_classes == 1:
        return SEQUENTIAL[-2]
    # Spread the classes over the whole palette: two classes read light and dark, not two blues.
    return SEQUENTIAL[round(index * (len(SEQUENTIAL) - 1) / (n_classes - 1))]


def legend_entries(
    breaks: list[float], measure: Measure, values: pd.Series
) -> list[tuple[str, str]]:
    """(colour, French label) per class, e.g. ('#c6dbef', '1 200 à 3 399 hab.'); the classes
    never overlap: a class holds low ≤ value < high (the last one its upper bound too), so
    whole numbers read « 2 à 11 », « 12 à 40 » and decimals « 1,2 à moins de 3,4 »; a first
    class holding a single value (0 action) reads '0'."""

    def fmt(value: float) -> str:
        return f"{format_number(value, measure.decimals)}{NBSP}{measure.unit}".strip()

    if len(breaks) == 1:
        return [(class_color(breaks[0], breaks), fmt(breaks[0]))]
    clean = values.dropna().astype(float)
    # Whole numbers (counts, people) between bounds that may not be: [1 ; 2,5) holds 1 and 2.
    whole = measure.decimals == 0 and bool((clean % 1 == 0).all())
    entries = []
    last = len(breaks) - 2
    for index, (low, high) in enumerate(pairwise(breaks)):
        if index == 0 and not ((clean > low) & (clean < high)).any():
            label = fmt(low)
        elif whole:
            first = math.ceil(low)
            top = math.floor(high) if index == last else math.ceil(high) - 1
            label = fmt(first) if top <= first else f"{fmt(first)} à {fmt(top)}"
        elif index == last:
            label = f"{fmt(low)} à {fmt(high)}"
        else:
            label = f"{fmt(low)} à moins de {fmt(high)}"
        entries.append((class_color(low, breaks), label))
    return entries


def _feature_collection(
    frame: pd.DataFrame,
    measure: Measure,
    breaks: list[float],
    precision: float,
    programmes: dict[str, str],
) -> tuple[dict, object]:
    """GeoJSON of the communes, and the simplified outline of their union (the EPCI's border)."""
    shapes = shapely.from_wkb(
        np.array([bytes(g) if g is not None else None for g in frame["geometry"]], dtype=object)
    )
    extent = shapely.bounds(shapely.union_all(shapes[~shapely.is_missing(shapes)]))
    tolerance = max(extent[2] - extent[0], extent[3] - extent[1]) / 2000
    shapes = shapely.set_precision(shapely.simplify(shapes, tolerance), precision)
    features = []
    for row, shape in zip(frame.to_dict("records"), shapes, strict=True):
        if shape is None or shape.is_empty:
            continue
        value = row.get(measure.column)
        shown = (
            "—"
            if value is None or pd.isna(value)
            else f"{format_number(value, measure.decimals)} {measure.unit}".strip()
        )
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(shape)),
                "properties": {
                    "insee_code": row["insee_code"],
                    "fill": class_color(value, breaks),
                    "programme": programmes.get(row["insee_code"], ""),
                    "tooltip": f"<b>{escape(row['name'])}</b> ({escape(row['insee_code'])})<br>"
                    f"{escape(measure.label)} : {escape(shown)}"
                    + (
                        f"<br>{escape(programmes[row['insee_code']])}"
                        if row["insee_code"] in programmes
                        else ""
                    ),
                    "popup": (
                        f"<b>{escape(row['name'])}</b><br>Code INSEE : {escape(row['insee_code'])}"
                        f"<br>{escape(population_label(row.get('population_year')))} : "
                        f"{escape(format_number(row.get('population')))} hab."
                        f"<br>Actions : {escape(format_number(row.get('n_actions')))}"
                        f"<br>Montant prévu : {escape(format_number(row.get('amount_planned')))} €"
                    ),
                },
            }
        )
    valid = [shape for shape in shapes if shape is not None and not shape.is_empty]
    outline = shapely.union_all(valid).boundary if valid else None
    return {"type": "FeatureCollection", "features": features}, outline


def build_communes_map(
    frame: pd.DataFrame,
    measure: Measure,
    breaks: list[float] | None = None,
    tiles_url: str | None = None,
    precision: float = 1e-4,
    programmes: dict[str, str] | None = None,
    outline: bool = True,
    places: pd.DataFrame | None = None,
) -> folium.Map:
    """Choropleth of the communes in `frame` (WKB `geometry`), coloured by `measure`; the
    communes of `programmes` (INSEE code -> "PVD", "ACV"…) get a thick border; the outline of
    the whole territory is drawn on top."""
    programmes = programmes or {}
    breaks = quantile_breaks(frame[measure.column]) if breaks is None else breaks
    collection, border = _feature_collection(frame, measure, breaks, precision, programmes)
    fmap = LocalLeafletMap(tiles=None, prefer_canvas=False, zoom_snap=0.25)
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr="Fond de carte configuré", name="Fond").add_to(fmap)
    layer = folium.GeoJson(
        collection,
        name="Communes",
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "color": PROGRAMME_COLOR if feature["properties"]["programme"] else "#37474f",
            "weight": 3 if feature["properties"]["programme"] else 0.8,
            "fillOpacity": 0.85,
        },
        highlight_function=lambda _feature: {"weight": 3, "color": "#d84315"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    )
    layer.add_to(fmap)
    if outline and border is not None:
        folium.GeoJson(
            json.loads(shapely.to_geojson(border)),
            name="Limite du territoire",
            style_function=lambda _feature: {"color": "#000091", "weight": 2.5},
            interactive=False,
        ).add_to(fmap)
    if places is not None and not places.empty:
        add_action_markers(fmap, places)
    bounds = layer.get_bounds()
    if bounds and bounds[0][0] is not None:
        fmap.fit_bounds(bounds)
    return fmap


def programme_labels(programme_communes: pd.DataFrame) -> dict[str, str]:
    """INSEE code -> 'Petites Villes de Demain, Action Cœur de Ville' for highlighted communes."""
    names = {"PVD": "Petites Villes de Demain", "ACV": "Action Cœur de Ville"}
    grouped = programme_communes.groupby("insee_code")["contract_type"].agg(
        lambda types: ", ".join(names.get(t, t) for t in sorted(set(types), reverse=True))
    )
    return grouped.to_dict()


def with_indicator_measures(
    communes: pd.DataFrame, measures: pd.DataFrame
) -> tuple[pd.DataFrame, list[Measure]]:
    """Add every loaded INSEE indicator (latest value) as a map measure."""
    own = {"population_legale", "population_change", "area_km2", "density"}
    extra = measures[~measures["measure"].isin(own)]
    if extra.empty:
        return communes, list(MEASURES)
    table = extra.pivot_table(
        index="insee_code", columns="measure", values="value", aggfunc="first"
    )
    labels = extra.drop_duplicates("measure").set_index("measure")
    added = [
        Measure(
            f"ind_{code}",
            f"{labels.loc[code, 'label']} ({labels.loc[code, 'year']})",
            labels.loc[code, "unit"] or "",
            1,
        )
        for code in table.columns
    ]
    table.columns = [m.column for m in added]
    return communes.merge(table, left_on="insee_code", right_index=True, how="left"), [
        *MEASURES,
        *added,
    ]


def parse_custom_breaks(text: str) -> list[float] | None:
    """'0; 1 000; 5 000' -> [0, 1000, 5000]; None when empty or unreadable (quantiles then)."""
    from etl.parsing import parse_number

    parts = [p for p in text.replace("|", ";").split(";") if p.strip()]
    try:
        values = sorted({parse_number(p) for p in parts})
    except ValueError:
        return None
    return values if len(values) >= 2 else None


def configured_tiles_url() -> str | None:
    """Optional background tiles, e.g. a tile server of the authority's own network:
    PILOTAGE_TILES_URL=https://tuiles.example.local/{z}/{x}/{y}.png. None by default: the map
    then needs no network at all."""
    import os

    return os.environ.get("PILOTAGE_TILES_URL") or None


def add_action_markers(fmap: folium.Map, places: pd.DataFrame) -> None:
    """A circle per action with a precise place, coloured by status (no icon image needed)."""
    group = folium.FeatureGroup(name="Actions localisées")
    for row in places.itertuples():
        label = f"<b>{escape(row.code)}</b> — {escape(row.title)}<br>{escape(row.status)}"
        if row.is_demo:
            label += " (position de démonstration)"
        folium.CircleMarker(
            location=[row.latitude, row.longitude],
            radius=9,
            color="#212121",
            weight=2,
            fill=True,
            fill_color=STATUS_COLORS.get(row.status, "#90a4ae"),
            fill_opacity=0.95,
            className="action-marker",
            tooltip=folium.Tooltip(label, sticky=True),
        ).add_to(group)
    group.add_to(fmap)
