"""Plotly figures built from query results (no Streamlit here, so they are unit-testable)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import STAGE_COLORS, STATUS_COLORS, STATUS_ORDER

FONT = "Marianne, Arial, sans-serif"
SEPARATORS = ", "  # decimal comma, space as thousands separator


def _layout(figure: go.Figure, height: int, **kwargs) -> go.Figure:
    figure.update_layout(
        height=height,
        separators=SEPARATORS,
        font={"family": FONT, "size": 15},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        plot_bgcolor="white",
        **kwargs,
    )
    return figure


def wrap_label(text: str, width: int = 38) -> str:
    """Break long plan titles over lines so axis labels stay readable on a projector."""
    words, lines, current = str(text).split(), [], ""
    for word in words:
        if current and len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "<br>".join(lines[:3]) + ("…" if len(lines) > 3 else "")


def build_status_by_root_figure(frame: pd.DataFrame) -> go.Figure:
    """Horizontal stacked bars: actions per first-level item, by status."""
    order = frame.drop_duplicates("item_id").sort_values("sort_order")
    labels = {row.item_id: wrap_label(row.title) for row in order.itertuples()}
    figure = go.Figure()
    for status in STATUS_ORDER:
        subset = frame[frame["status"] == status]
        if subset.empty:
            continue
        figure.add_bar(
            name=status,
            orientation="h",
            y=[labels[i] for i in subset["item_id"]],
            x=subset["n_actions"],
            marker_color=STATUS_COLORS[status],
            hovertemplate="%{y}<br>" + status + " : %{x} action(s)<extra></extra>",
        )
    height = 140 + 70 * max(1, len(order))
    _layout(figure, height, barmode="stack", xaxis_title="Nombre d'actions")
    figure.update_layout(legend_traceorder="normal")
    figure.update_yaxes(categoryorder="array", categoryarray=list(labels.values())[::-1])
    figure.update_xaxes(gridcolor="#e0e0e0", dtick=5 if frame["n_actions"].sum() > 30 else 1)
    return figure


def build_funding_by_funder_figure(frame: pd.DataFrame) -> go.Figure:
    """Granted amounts by funder type, bars split into requested / granted / received."""
    totals = frame.groupby("funder_type", as_index=False)[["requested", "granted", "received"]].sum(
        min_count=1
    )
    totals = totals.sort_values("granted", ascending=True, na_position="first")
    figure = go.Figure()
    # Drawn bottom-up within a group: received first so that "Demandé" reads on top.
    for column, label in (("received", "Versé"), ("granted", "Accordé"), ("requested", "Demandé")):
        figure.add_bar(
            name=label,
            orientation="h",
            y=totals["funder_type"],
            x=totals[column],
            marker_color=STAGE_COLORS[label],
            hovertemplate="%{y} — " + label + " : %{x:,.0f} €<extra></extra>",
        )
    _layout(figure, 140 + 75 * max(1, len(totals)), barmode="group", xaxis_title="Montant (€)")
    figure.update_layout(legend_traceorder="reversed")
    figure.update_xaxes(gridcolor="#e0e0e0", tickformat=",.0f", ticksuffix=" €")
    return figure


def build_budget_by_year_figure(frame: pd.DataFrame) -> go.Figure:
    """Planned / committed / paid spending per year (dépenses only)."""
    spending = frame[frame["direction"] == "Dépense"]
    totals = spending.groupby("year", as_index=False)[["planned", "committed", "paid"]].sum(
        min_count=1
    )
    figure = go.Figure()
    for column, label, color in (
        ("planned", "Prévu", "#90caf9"),
        ("committed", "Engagé", "#1e88e5"),
        ("paid", "Payé", "#0d47a1"),
    ):
        figure.add_bar(
            name=label,
            x=totals["year"].astype(str),
            y=totals[column],
            marker_color=color,
            hovertemplate="%{x} — " + label + " : %{y:,.0f} €<extra></extra>",
        )
    _layout(figure, 420, barmode="group", yaxis_title="Dépenses (€)")
    figure.update_yaxes(gridcolor="#e0e0e0", tickformat=",.0f", ticksuffix=" €")
    return figure


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
    figure.update_yaxes(gridcolor="#e0e0e0", tickformat=",.0f")
    return figure
