"""Plotly figures of the INSEE indicators: legal population series, ranking and scatter of
communes, comparison of EPCI (no Streamlit: unit-testable)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import _layout, integer_ticks, shorten
from dashboard.formatting import format_number


def build_population_figure(frame: pd.DataFrame, title: str) -> go.Figure:
    """Legal population per COG year; hollow markers where the value was not refreshed."""
    figure = go.Figure()
    figure.add_scatter(
        x=frame["year"],
        y=frame["value"],
        mode="lines+markers",
        name="Population légale",
        line_color="#1565c0",
        marker={
            "size": 11,
            "symbol": ["circle-open" if r else "circle" for r in frame["is_repeat"]],
        },
        customdata=frame[["millesime"]],
        hovertemplate="%{customdata[0]} : %{y:,.0f} habitants<extra></extra>",
    )
    _layout(figure, 380, title={"text": title, "x": 0}, yaxis_title="Habitants")
    figure.update_xaxes(dtick=1, title="Année du code officiel géographique (COG)")
    # The axis starts at zero: a 1,8 % drop must not look like a collapse; the change is said
    # in words under the title.
    figure.update_yaxes(gridcolor="#e0e0e0", tickformat=",.0f", rangemode="tozero")
    change = population_change_text(frame)
    if change:
        figure.update_layout(
            title={"subtitle": {"text": change, "font": {"color": "#3a3a3a", "size": 14}}},
            margin={"t": 80},
        )
    return figure


def build_ranking_figure(
    ranked: pd.DataFrame, title: str, highlight: str | None = None
) -> go.Figure:
    """Communes ranked on one measure (largest at the top)."""
    shown = ranked.iloc[::-1]
    colors = ["#d84315" if code == highlight else "#1565c0" for code in shown["insee_code"]]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=[
                shorten(n, 30) + f" ({c[:2]})"
                for n, c in zip(shown["name"], shown["insee_code"], strict=True)
            ],
            x=shown["value"],
            marker_color=colors,
            customdata=shown[["rank"]],
            hovertemplate="%{y} — n° %{customdata[0]} : %{x:,.1f}<extra></extra>",
        )
    )
    _layout(figure, 120 + 22 * max(1, len(shown)), title={"text": html.escape(title), "x": 0})
    figure.update_xaxes(gridcolor="#e0e0e0", tickformat=",.0f")
    figure.update_yaxes(tickfont={"size": 12})
    return integer_ticks(figure, shown["value"])


def build_scatter_figure(
    table: pd.DataFrame, x: str, y: str, x_title: str, y_title: str
) -> go.Figure:
    """Two measures per commune; the commune's name on hover."""
    points = table.dropna(subset=[x, y])
    figure = go.Figure(
        go.Scatter(
            x=points[x],
            y=points[y],
            mode="markers",
            marker={"size": 11, "color": "#1565c0", "opacity": 0.8},
            text=[html.escape(str(n)) for n in points["name"]],
            hovertemplate="%{text}<br>"
            + html.escape(x_title)
            + " : %{x:,.1f}<br>"
            + html.escape(y_title)
            + " : %{y:,.1f}<extra></extra>",
        )
    )
    _layout(figure, 460, xaxis_title=html.escape(x_title), yaxis_title=html.escape(y_title))
    figure.update_xaxes(gridcolor="#e0e0e0")
    figure.update_yaxes(gridcolor="#e0e0e0")
    return figure


def build_epci_comparison_figure(indexed: pd.DataFrame) -> go.Figure:
    """Legal population of several EPCI as an index (100 in the first COG year)."""
    figure = go.Figure()
    for _siren, rows in indexed.groupby("siren", sort=False):
        figure.add_scatter(
            x=rows["year"],
            y=rows["index"],
            mode="lines+markers",
            name=shorten(rows["name"].iloc[0], 40),
            marker={
                "size": 10,
                "symbol": ["circle-open" if r else "circle" for r in rows["all_repeat"]],
            },
            customdata=rows[["population"]],
            hovertemplate="%{x} : indice %{y:.1f} (%{customdata[0]:,.0f} hab.)<extra></extra>",
        )
    _layout(
        figure,
        400,
        yaxis_title=f"Indice (100 en {int(indexed['year'].min())}), axe ne partant pas de zéro",
    )
    figure.update_xaxes(dtick=1, title="Année du COG")
    figure.update_yaxes(gridcolor="#e0e0e0")
    return figure


def population_change_text(frame: pd.DataFrame) -> str | None:
    """« −1,8 % entre 2021 et 2026 (22 858 → 22 447 habitants) » from a population series."""
    known = frame.dropna(subset=["value"]).sort_values("year")
    if len(known) < 2 or not known["value"].iloc[0]:
        return None
    first, last = known.iloc[0], known.iloc[-1]
    change = 100 * (last["value"] - first["value"]) / first["value"]
    sign = "+" if change > 0 else ("−" if change < 0 else "")
    return (
        f"{sign}{format_number(abs(change), 1)} % entre {first['year']} et {last['year']} "
        f"({format_number(first['value'])} → {format_number(last['value'])} habitants)"
    )
