"""Plotly figures of the money: funding by funder, flows, budget by year, what is left to fund
(no Streamlit: unit-testable)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import FONT, _layout, shorten, wrap_label
from dashboard.formatting import FUNDER_COLORS, STAGE_COLORS
from dashboard.formatting import LATE_COLOR as LATE_OUTLINE


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


def build_funding_sankey_figure(flows: pd.DataFrame) -> go.Figure:
    """Granted money flowing from funder types to contracts to first-level items of the plan."""
    funders = list(dict.fromkeys(flows["funder_type"]))
    contracts = list(dict.fromkeys(flows["contract"]))
    roots = list(dict.fromkeys(flows["root_title"]))
    labels = funders + contracts + roots
    index = {("f", n): i for i, n in enumerate(funders)}
    index |= {("c", n): len(funders) + i for i, n in enumerate(contracts)}
    index |= {("r", n): len(funders) + len(contracts) + i for i, n in enumerate(roots)}
    first = flows.groupby(["funder_type", "contract"], as_index=False)["granted"].sum()
    second = flows.groupby(["contract", "root_title"], as_index=False)["granted"].sum()
    sources = [index[("f", f)] for f in first["funder_type"]]
    sources += [index[("c", c)] for c in second["contract"]]
    targets = [index[("c", c)] for c in first["contract"]]
    targets += [index[("r", r)] for r in second["root_title"]]
    values = [*first["granted"], *second["granted"]]
    colors = [FUNDER_COLORS.get(f, "#607d8b") for f in funders]
    colors += ["#546e7a"] * len(contracts) + ["#263238"] * len(roots)
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" €",
            # Whole names over at most three lines, in dark text on white (not grey on grey).
            textfont={"color": "#1e1e1e", "size": 14, "family": FONT},
            node={
                "label": [wrap_label(label, 34) for label in labels],
                "color": colors,
                "pad": 56,  # room between thin nodes for their labels of up to three lines
                "thickness": 18,
                "hovertemplate": "%{label}<br>%{value} <extra></extra>",
            },
            link={
                "source": sources,
                "target": targets,
                "value": values,
                "color": "rgba(144, 164, 174, 0.25)",
            },
        )
    )
    tallest = max(len(funders), len(contracts), len(roots))
    return _layout(figure, max(480, 72 * tallest + 160), font={"family": FONT, "size": 14})


def build_funder_treemap_figure(funders: pd.DataFrame) -> go.Figure:
    """Granted amounts: funder type > funder > funding line, each block with its share."""
    granted = funders.dropna(subset=["granted"])
    granted = granted[granted["granted"] > 0]
    ids, parents, labels, values, colors = [], [], [], [], []
    for funder_type, by_type in granted.groupby("funder_type", sort=False):
        ids.append(funder_type)
        parents.append("")
        labels.append(funder_type)
        values.append(by_type["granted"].sum())
        colors.append(FUNDER_COLORS.get(funder_type, "#607d8b"))
        for funder, by_funder in by_type.groupby("funder", sort=False):
            funder_id = f"{funder_type}/{funder}"
            ids.append(funder_id)
            parents.append(funder_type)
            labels.append(funder)
            values.append(by_funder["granted"].sum())
            colors.append(FUNDER_COLORS.get(funder_type, "#607d8b"))
            for row in by_funder.itertuples():
                if row.funding_line and row.funding_line != "—":
                    ids.append(f"{funder_id}/{row.funding_line}")
                    parents.append(funder_id)
                    labels.append(row.funding_line)
                    values.append(row.granted)
                    colors.append(FUNDER_COLORS.get(funder_type, "#607d8b"))
    figure = go.Figure(
        go.Treemap(
            ids=ids,
            parents=parents,
            labels=[wrap_label(label, 24) for label in labels],
            values=values,
            branchvalues="remainder",
            marker={"colors": colors, "line": {"color": "white", "width": 1}},
            texttemplate="%{label}<br>%{value:,.0f} €<br>%{percentRoot:.1%}",
            hovertemplate=(
                "%{label}<br>%{value:,.0f} €<br>%{percentRoot:.1%} du total<extra></extra>"
            ),
        )
    )
    return _layout(figure, 520, margin={"l": 0, "r": 0, "t": 10, "b": 0})


def largest_gaps(leverage: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The actions with a known cost that most need money, largest gap first."""
    return leverage.dropna(subset=["cost"]).nlargest(top, "gap")


def build_largest_gaps_figure(leverage: pd.DataFrame) -> go.Figure:
    """`build_gap_figure` of the `largest_gaps`."""
    return build_gap_figure(largest_gaps(leverage))


def build_gap_figure(gaps: pd.DataFrame) -> go.Figure:
    """Actions that most need money: cost split into secured funding and the remaining gap."""
    known = gaps.iloc[::-1]
    labels = [
        f"{code} · {shorten(title, 40)}"
        for code, title in zip(known["code"], known["title"], strict=True)
    ]
    figure = go.Figure()
    figure.add_bar(
        name="Financements accordés",
        orientation="h",
        y=labels,
        x=known["secured"].fillna(0),
        marker_color=STAGE_COLORS["Accordé"],
        hovertemplate="%{y}<br>Accordé : %{x:,.0f} €<extra></extra>",
    )
    figure.add_bar(
        name="Reste à financer",
        orientation="h",
        y=labels,
        x=known["gap"].clip(lower=0),
        marker_color=LATE_OUTLINE,
        hovertemplate="%{y}<br>Reste à financer : %{x:,.0f} €<extra></extra>",
    )
    _layout(figure, 140 + 34 * max(1, len(known)), barmode="stack", xaxis_title="Montant (€)")
    figure.update_xaxes(gridcolor="#e0e0e0", tickformat=",.0f", ticksuffix=" €")
    return figure
