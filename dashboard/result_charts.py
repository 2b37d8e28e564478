"""Plotly figure of one result indicator: its trajectory (baseline → milestones → target), its
measured points and its target (no Streamlit: unit-testable, drawn by the pages and the PDF)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import _layout
from dashboard.formatting import format_provenance

TRAJECTORY_COLOR = "#757575"
MEASURE_COLOR = "#1565c0"
TARGET_COLOR = "#2e7d32"


def build_trajectory_figure(
    indicator: pd.Series, points: pd.DataFrame, anchors: pd.DataFrame, height: int = 320
) -> go.Figure:
    """`points` and `anchors`: those of this indicator (result_points, result_anchors).
    Demo values are hollow markers, every hover names the value's provenance or millésime."""
    figure = go.Figure()
    unit = html.escape(str(indicator["unit"])) if isinstance(indicator["unit"], str) else ""
    if not anchors.empty:
        figure.add_scatter(
            x=anchors["anchor_date"],
            y=anchors["value"],
            mode="lines+markers",
            name="Trajectoire",
            line={"color": TRAJECTORY_COLOR, "dash": "dash"},
            marker={"size": 7, "symbol": "diamond"},
            hovertemplate="Trajectoire, %{x|%d/%m/%Y} : %{y:,.1f} " + unit + "<extra></extra>",
        )
    if not points.empty:
        notes = [
            m if isinstance(m, str) else (format_provenance(p) or "source")
            for m, p in zip(points["millesime"], points["provenance"], strict=True)
        ]
        figure.add_scatter(
            x=points["point_date"],
            y=points["value"],
            mode="lines+markers",
            name="Valeurs mesurées",
            line={"color": MEASURE_COLOR},
            marker={
                "size": 10,
                "color": MEASURE_COLOR,
                "symbol": ["circle-open" if d else "circle" for d in points["is_demo"]],
                "line": {"width": 2, "color": MEASURE_COLOR},
            },
            customdata=[[html.escape(n)] for n in notes],
            hovertemplate="%{x|%d/%m/%Y} : %{y:,.1f} "
            + unit
            + " (%{customdata[0]})<extra></extra>",
        )
    if not pd.isna(indicator["target_value"]):
        figure.add_scatter(
            x=[indicator["target_date"]],
            y=[indicator["target_value"]],
            mode="markers",
            name="Cible",
            marker={"size": 16, "symbol": "star", "color": TARGET_COLOR},
            hovertemplate="Cible, %{x|%d/%m/%Y} : %{y:,.1f} " + unit + "<extra></extra>",
        )
    _layout(figure, height, yaxis_title=unit or None)
    figure.update_xaxes(gridcolor="#e0e0e0", tickformat="%Y")
    # Zero baseline: a single value or a small change is never drawn as a cliff (#21).
    figure.update_yaxes(gridcolor="#e0e0e0", tickformat=",.0f", rangemode="tozero")
    return figure
