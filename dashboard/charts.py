"""Plotly figures of the plan: progress by plan item, treemap, Gantt, follow-up, and the shared
layout (no Streamlit here, so they are unit-testable)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import LATE_COLOR as LATE_OUTLINE
from dashboard.formatting import STATUS_COLORS
from etl.schema import STATUS_ORDER

FONT = "Marianne, Arial, sans-serif"
SEPARATORS = ", "  # decimal comma, space as thousands separator


def _layout(figure: go.Figure, height: int, **kwargs) -> go.Figure:
    settings = {
        "height": height,
        "separators": SEPARATORS,
        "font": {"family": FONT, "size": 15},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "plot_bgcolor": "white",
    }
    figure.update_layout(**{**settings, **kwargs})
    return figure


def shorten(text: str, width: int) -> str:
    """First `width` characters, HTML-escaped: Plotly renders tags such as <a> in labels."""
    text = " ".join(str(text).split())
    text = text if len(text) <= width else text[: width - 1].rstrip() + "…"
    return html.escape(text)


def wrap_label(text: str, width: int = 38) -> str:
    """Break long plan titles over lines so axis labels stay readable on a projector."""
    words, lines, current = html.escape(str(text)).split(), [], ""
    for word in words:
        if current and len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "<br>".join(lines[:3]) + ("…" if len(lines) > 3 else "")


def integer_ticks(figure: go.Figure, values, axis: str = "x") -> go.Figure:
    """Whole-number ticks on an axis of counts (no « 0,5 action »): a step of 1 up to 10,
    plotly's own steps (2, 5, 10…, whole numbers) above."""
    known = pd.Series(values, dtype="float64").dropna()
    if known.empty or not (known % 1 == 0).all():
        return figure
    settings = {"tickformat": ",d", "rangemode": "tozero"}
    if known.max() <= 10:
        settings["dtick"] = 1
    (figure.update_xaxes if axis == "x" else figure.update_yaxes)(**settings)
    return figure


ROOT_SORTS = {
    "plan": "Ordre du plan",
    "late": "Actions en retard",
    "done": "Part réalisée",
    "count": "Nombre d'actions",
}


def sort_roots(frame: pd.DataFrame, order_by: str = "plan") -> pd.DataFrame:
    """First-level items in the chosen order (most late, best done, largest first)."""
    per_item = frame.groupby("item_id").agg(
        sort_order=("sort_order", "first"), n_actions=("n_actions", "sum"), n_late=("n_late", "sum")
    )
    done = frame[frame["status"] == "Réalisé"].groupby("item_id")["n_actions"].sum()
    per_item["share_done"] = done.reindex(per_item.index, fill_value=0) / per_item["n_actions"]
    keys = {
        "plan": ("sort_order", True),
        "late": ("n_late", False),
        "done": ("share_done", False),
        "count": ("n_actions", False),
    }
    column, ascending = keys[order_by]
    ranked = per_item.sort_values([column, "sort_order"], ascending=[ascending, True])
    return frame.drop_duplicates("item_id").set_index("item_id").loc[ranked.index].reset_index()


def build_status_by_root_figure(frame: pd.DataFrame, order_by: str = "plan") -> go.Figure:
    """Horizontal stacked bars: actions per first-level item, by status."""
    order = sort_roots(frame, order_by)
    repeated = order["title"].duplicated(keep=False)
    labels = {
        row.item_id: wrap_label(f"{row.title} ({row.code})" if twin else row.title)
        for row, twin in zip(order.itertuples(), repeated, strict=True)
    }
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
            customdata=subset[["code"]],
            hovertemplate="%{y}<br>" + status + " : %{x} action(s)<extra></extra>",
        )
    height = 140 + 70 * max(1, len(order))
    _layout(figure, height, barmode="stack", xaxis_title="Nombre d'actions")
    figure.update_layout(legend_traceorder="normal")
    figure.update_yaxes(categoryorder="array", categoryarray=list(labels.values())[::-1])
    figure.update_xaxes(gridcolor="#e0e0e0")
    return integer_ticks(figure, frame.groupby("item_id")["n_actions"].sum())


def _hierarchy_frame(items: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Plan items and actions as one tree: ids, parents, action counts and mean progress."""
    nodes = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": items["item_id"],
                    "parent": items["parent_id"].fillna(""),
                    "label": items["title"],
                    "kind": items["level"],
                    "status": None,
                    "progress": None,
                }
            ),
            pd.DataFrame(
                {
                    "id": "action/" + actions["action_id"],  # never equal to a plan item id
                    "parent": actions["item_id"],
                    "label": actions["title"],
                    "kind": "action",
                    "status": actions["status"],
                    "progress": actions["progress"],
                }
            ),
        ],
        ignore_index=True,
    )
    is_action = nodes["kind"] == "action"
    nodes["count"] = is_action.astype(int)
    nodes["progress_sum"] = nodes["progress"].where(is_action).astype(float).fillna(0)
    nodes["progress_n"] = (is_action & nodes["progress"].notna()).astype(int)
    parent_of = dict(zip(nodes["id"], nodes["parent"], strict=True))
    # Plain dicts: a pandas `.loc` update per action and ancestor made this 80 % of the page's run.
    totals = {
        node_id: [count, progress_sum, progress_n]
        for node_id, count, progress_sum, progress_n in zip(
            nodes["id"], nodes["count"], nodes["progress_sum"], nodes["progress_n"], strict=True
        )
    }
    for node_id in nodes.loc[is_action, "id"]:
        _, progress_sum, progress_n = totals[node_id]
        parent, seen = parent_of.get(node_id), set()
        while parent and parent not in seen:  # the ETL refuses cycles; never loop regardless
            seen.add(parent)
            if parent in totals:
                total = totals[parent]
                total[0] += 1
                total[1] += progress_sum
                total[2] += progress_n
            parent = parent_of.get(parent)
    nodes["count"] = [totals[node_id][0] for node_id in nodes["id"]]
    sums = pd.Series([totals[node_id][1] for node_id in nodes["id"]], index=nodes.index)
    counts = pd.Series([totals[node_id][2] for node_id in nodes["id"]], index=nodes.index)
    nodes["mean_progress"] = sums / counts.where(counts > 0)
    return nodes[nodes["count"] > 0]


def build_plan_hierarchy_figure(
    items: pd.DataFrame, actions: pd.DataFrame, color_by: str = "status", kind: str = "treemap"
) -> go.Figure:
    """Treemap or sunburst of the plan down to the actions; click a block to zoom into it."""
    nodes = _hierarchy_frame(items, actions)
    if color_by == "status":
        colors = [
            STATUS_COLORS.get(s, "#eceff1") if k == "action" else "#eceff1"
            for s, k in zip(nodes["status"], nodes["kind"], strict=True)
        ]
        marker = {"colors": colors, "line": {"color": "white", "width": 1}}
    else:
        marker = {
            "colors": nodes["mean_progress"].fillna(-1),
            "colorscale": [[0, "#eceff1"], [0.001, "#ffebee"], [0.5, "#90caf9"], [1, "#1b5e20"]],
            "cmin": -1,
            "cmax": 100,
            "colorbar": {"title": "Avancement (%)", "tickvals": [0, 25, 50, 75, 100]},
        }
    trace_type = go.Treemap if kind == "treemap" else go.Sunburst
    figure = go.Figure(
        trace_type(
            ids=nodes["id"],
            parents=nodes["parent"],
            labels=[
                shorten(t, 80) if kind == "treemap" else wrap_label(t, 30) for t in nodes["label"]
            ],
            values=nodes["count"],
            branchvalues="total",
            marker=marker,
            customdata=nodes[["kind", "count", "mean_progress"]].fillna(-1),
            hovertemplate=(
                "%{label}<br>%{customdata[0]} — %{customdata[1]} action(s)"
                "<br>Avancement moyen : %{customdata[2]:.0f} %<extra></extra>"
            ),
            maxdepth=3 if kind == "sunburst" else -1,
            # Actions are coloured blocks (their title on hover, the legend says the status):
            # dozens of tiny titles were unreadable; the plan's items keep their names.
            texttemplate=[
                "" if k == "action" and kind == "treemap" else "%{label}" for k in nodes["kind"]
            ],
            textfont={"size": 14},
        )
    )
    # Labels too small to read are hidden (hover and a click to zoom show them), not shrunk.
    figure.update_layout(uniformtext={"minsize": 11, "mode": "hide"})
    if color_by == "status":
        add_status_legend(figure, [s for s in STATUS_ORDER if s in set(nodes["status"].dropna())])
    return _layout(figure, 640, margin={"l": 0, "r": 0, "t": 40, "b": 0})


def add_status_legend(figure: go.Figure, statuses: list[str]) -> go.Figure:
    """A legend of the status colours for a chart without one of its own (treemap, sunburst):
    one empty trace per status, axes hidden."""
    for status in statuses:
        figure.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=status,
            marker={"size": 14, "symbol": "square", "color": STATUS_COLORS[status]},
            hoverinfo="skip",
        )
    figure.update_layout(showlegend=True)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def build_gantt_figure(
    actions: pd.DataFrame,
    today: pd.Timestamp,
    year: int | None = None,
    today_label: str = "Aujourd'hui",
) -> go.Figure:
    """Planned period of each action, grouped by first-level item, coloured by status; late
    actions outlined in red; a diamond marks an actual end; a line marks today."""
    dated = actions.dropna(subset=["planned_start", "planned_end"]).copy()
    dated = dated.sort_values(["sort_order"])
    dated["label"] = [
        f"{code} · {shorten(title, 48)}"
        for code, title in zip(dated["code"], dated["title"], strict=True)
    ]
    dated["group"] = [wrap_label(root, 22) for root in dated["root_title"]]
    figure = go.Figure()
    # Invisible first trace: categories appear in plan order, not grouped by status.
    figure.add_scatter(
        x=pd.to_datetime(dated["planned_start"]),
        y=[dated["group"], dated["label"]],
        mode="markers",
        marker={"opacity": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    for status in STATUS_ORDER:
        subset = dated[dated["status"] == status]
        if subset.empty:
            continue
        start = pd.to_datetime(subset["planned_start"])
        end = pd.to_datetime(subset["planned_end"])
        figure.add_bar(
            name=status,
            orientation="h",
            y=[subset["group"], subset["label"]],
            base=start,
            x=(end - start).dt.days * 86_400_000,  # milliseconds on a date axis
            marker={
                "color": STATUS_COLORS[status],
                "line": {
                    "color": [LATE_OUTLINE if late else "white" for late in subset["is_late"]],
                    "width": [3 if late else 0.5 for late in subset["is_late"]],
                },
            },
            customdata=subset[["title", "planned_start", "planned_end"]].astype(str),
            hovertemplate=(
                "%{customdata[0]}<br>Prévu du %{customdata[1]} au %{customdata[2]}"
                f"<br>{status}<extra></extra>"
            ),
        )
    finished = dated.dropna(subset=["actual_end"])
    if not finished.empty:
        figure.add_scatter(
            name="Fin réelle",
            mode="markers",
            x=pd.to_datetime(finished["actual_end"]),
            y=[finished["group"], finished["label"]],
            marker={"symbol": "diamond", "size": 11, "color": "#212121"},
            hovertemplate="Fin réelle : %{x|%d/%m/%Y}<extra></extra>",
        )
    figure.add_shape(
        type="line",
        x0=today,
        x1=today,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": LATE_OUTLINE, "width": 2, "dash": "dash"},
    )
    figure.add_annotation(
        x=today,
        y=0,
        yref="paper",
        text=today_label,
        showarrow=False,
        yanchor="bottom",  # inside the plot: the bottom date axis is under it
        xanchor="left",
        font={"color": LATE_OUTLINE},
    )
    _layout(
        figure,
        180 + 26 * max(1, len(dated)),
        barmode="overlay",
        margin={"l": 10, "r": 10, "t": 70, "b": 30},
    )
    figure.update_yaxes(autorange="reversed", tickfont={"size": 12})
    ticks = {"type": "date", "tickformat": "%m/%Y", "dtick": "M12", "tick0": "2000-01-01"}
    figure.update_xaxes(**ticks, gridcolor="#e0e0e0", side="top")
    # The same dates under the last row: a tall chart is read at its bottom too.
    figure.update_layout(
        xaxis2={**ticks, "matches": "x", "overlaying": "x", "side": "bottom", "showgrid": False}
    )
    figure.add_scatter(
        x=pd.to_datetime(dated["planned_start"]).iloc[:1],
        y=[dated["group"].iloc[:1], dated["label"].iloc[:1]],
        xaxis="x2",
        mode="markers",
        marker={"opacity": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    if year:
        figure.update_xaxes(range=[f"{year}-01-01", f"{year}-12-31"], dtick="M2")
    return figure


def build_followup_figure(notes: pd.DataFrame) -> go.Figure:
    """Progress over time from the follow-up notes, coloured by the status at each date."""
    dated = notes.sort_values("note_date")
    figure = go.Figure()
    figure.add_scatter(
        x=pd.to_datetime(dated["note_date"]),
        y=dated["progress"],
        mode="lines+markers",
        line={"color": "#90a4ae"},
        marker={
            "size": 14,
            "color": [STATUS_COLORS.get(s, "#90a4ae") for s in dated["status"]],
            "line": {"color": "white", "width": 1},
        },
        customdata=dated[["status"]].fillna("—"),
        hovertemplate="%{x|%d/%m/%Y} — %{customdata[0]}<br>Avancement : %{y} %<extra></extra>",
        showlegend=False,
    )
    _layout(figure, 300, yaxis_title="Avancement (%)")
    figure.update_yaxes(range=[-5, 105], gridcolor="#e0e0e0")
    figure.update_xaxes(tickformat="%m/%Y")
    return figure


def for_projector(figure: go.Figure) -> go.Figure:
    """The same figure with fonts readable at three metres (commission mode)."""
    height = figure.layout.height or 450
    figure.update_layout(font={"size": 22}, height=int(height * 1.25), legend_font_size=22)
    figure.update_xaxes(tickfont_size=20, title_font_size=20)
    figure.update_yaxes(tickfont_size=20, title_font_size=20)
    return figure
