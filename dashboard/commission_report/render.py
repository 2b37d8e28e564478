"""The report as one self-contained HTML page (templates/report/), charts as SVG drawn by
kaleido from the pages' own plotly figures."""

from __future__ import annotations

import base64
import warnings

import plotly.graph_objects as go

from dashboard import (
    changes,
    charts,
    funding_charts,
    kpis,
    result_charts,
    results,
    summaries,
    tables,
)
from dashboard.commission_report.data import (
    LATE_COLUMNS,
    LATE_WIDTHS,
    REPORT_FUNDING_COLUMNS,
    ReportData,
    build_funder_totals,
    build_funding_table,
)
from dashboard.formatting import format_date, format_datetime, format_number
from dashboard.templates import markup, read_static, render_template

CHART_WIDTH = 1000  # px, scaled down to the A4 text width
NUMERIC_KINDS = {"euros", "number", "decimal", "percent", "ratio"}
# Where a long header word may break in a narrow fixed-width column (a soft hyphen).
HEADER_BREAKS = {"Avancement": "Avance\u00adment", "Provenance": "Prove\u00adnance"}


def build_report_figures(data: ReportData) -> list[tuple[str, go.Figure]]:
    """(heading, figure) of the report's charts, built by the pages' own chart builders."""
    figures = []
    if not data.actions.empty:
        depth = 2 if data.scope.kind == "element" else 1
        status = kpis.build_status_by_item(data.actions, data.items, depth)
        levels = status["level"].mode()
        heading = f"Avancement par {levels.iloc[0]}" if not levels.empty else "Avancement"
        figures.append((heading, charts.build_status_by_root_figure(status)))
    if data.funding["granted"].notna().any() or data.funding["requested"].notna().any():
        figures.append(
            (
                "Financements par type de financeur",
                funding_charts.build_funding_by_funder_figure(build_funder_totals(data.funding)),
            )
        )
    spending = data.budget[data.budget["direction"] == "Dépense"]
    if spending["planned"].notna().any():
        figures.append(
            ("Dépenses par année", funding_charts.build_budget_by_year_figure(data.budget))
        )
    return figures


REPORT_RESULT_CHARTS = 8  # trajectory charts drawn in one report at most (kaleido time)


def build_result_figures(data: ReportData) -> list[tuple[str, go.Figure]]:
    """(heading, figure) of the scope's indicators that have something to draw."""
    if data.results is None or data.results.empty:
        return []
    territory_id = data.territory.territory_id
    points = results.load_result_points(territory_id)
    anchors = results.load_result_anchors(territory_id)
    figures = []
    for _, indicator in data.results.iterrows():
        mine = points[points["indicator_id"] == indicator["indicator_id"]]
        path = anchors[anchors["indicator_id"] == indicator["indicator_id"]]
        if mine.empty and path.empty:
            continue
        figure = result_charts.build_trajectory_figure(indicator, mine, path, height=300)
        figures.append((results.indicator_summary(indicator), figure))
    return figures[:REPORT_RESULT_CHARTS]


def figure_to_svg(figure: go.Figure) -> str:
    """The figure as an SVG data URI, drawn by kaleido (Chromium) at the report's width."""
    # In the app, Streamlit's theme makes room for long axis labels; on paper, plotly must.
    printable = go.Figure(figure).update_xaxes(automargin=True).update_yaxes(automargin=True)
    printable.update_layout(margin={"l": 10, "r": 20, "t": 50, "b": 10})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "kopts ignored when using a server": expected
        svg = printable.to_image(
            format="svg", width=CHART_WIDTH, height=figure.layout.height or 420
        )
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def render_figures(figures: list[tuple[str, go.Figure]]) -> list[tuple[str, str]]:
    """(heading, data URI) of each figure; one kaleido browser serves them all."""
    import kaleido

    if not figures:
        return []
    kaleido.start_sync_server(silence_warnings=True)
    try:
        return [(heading, figure_to_svg(figure)) for heading, figure in figures]
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def html_table(
    frame, spec: list[tuple[str, str, str]], css: str = "", widths: dict[str, float] | None = None
) -> str:
    """French-formatted table, numbers right-aligned; every cell escaped by the template.
    `widths` (column -> % of the table) fixes each column's width (table-layout: fixed)."""
    spec = tables.with_provenance(frame, spec)
    shown = tables.to_display(frame, spec)
    kinds = {label: kind for _, label, kind in spec}
    names = {label: column for column, label, _ in spec}

    def numeric(label: str) -> str:
        return "num" if kinds[label] in NUMERIC_KINDS else "date" if kinds[label] == "date" else ""

    def header(label: str) -> str:
        if not widths:
            return label
        return " ".join(HEADER_BREAKS.get(word, word) for word in label.split(" "))

    heads = [{"label": header(c), "css": f"{numeric(c)} col-{names[c]}"} for c in shown.columns]
    rows = [
        [{"value": v, "css": numeric(c)} for c, v in zip(shown.columns, values, strict=True)]
        for values in shown.itertuples(index=False)
    ]
    shown_widths = None
    if widths:
        chosen = [widths.get(names[c], 10) for c in shown.columns]
        shown_widths = [round(100 * w / sum(chosen), 2) for w in chosen]
        css = f"{css} fixed".strip()
    return render_template(
        "report/table.html", heads=heads, rows=rows, css=css, widths=shown_widths
    )


def source_line(data: ReportData) -> tuple[str, str]:
    """Dates, then the source, printed in every page's footer (the source on a line of its own,
    wrapped rather than cut when long)."""
    source = data.territory.source_document or "plan saisi par le territoire"
    built = format_datetime(data.built_at) if data.built_at is not None else "—"
    return f"Édité le {format_date(data.today)} · données chargées le {built}", f"source : {source}"


def build_report_html(data: ReportData, with_charts: bool = True) -> str:
    """The whole report as one self-contained HTML page (no outside request)."""
    summary = summaries.build_overview_summary(data.kpis)
    if data.actions.empty and data.scope.kind != "plan":
        summary = "Aucune action n'est rattachée à ce périmètre."
    late = data.late.sort_values("days_late", ascending=False)
    found = data.changes
    counted = changes.count_changes(found) if found is not None and not found.empty else []
    main_figures = build_report_figures(data) if with_charts else []
    result_figures = build_result_figures(data) if with_charts else []
    # One kaleido browser draws every chart of the report.
    charts_drawn = render_figures(main_figures + result_figures)
    return render_template(
        "report/report.html",
        css=markup(read_static("report/report.css")),
        territory=data.territory,
        scope_label=data.scope_label,
        scope_kind=data.scope.kind,
        built_at=format_datetime(data.built_at),
        today=format_date(data.today),
        n_actions=format_number(len(data.actions)),
        provenance_notice=data.provenance_notice,
        summary=summary,
        kpis=[
            (label, value)
            for label, value, _ in kpis.build_kpi_items(data.kpis, data.territory.has_money)
        ],
        charts=charts_drawn[: len(main_figures)],
        result_charts=charts_drawn[len(main_figures) :],
        results_table=(
            markup(html_table(data.results, results.REPORT_COLUMNS))
            if data.results is not None and not data.results.empty
            else None
        ),
        weather=data.weather or [],
        n_late=format_number(len(late)),
        late_table=(
            markup(html_table(late, LATE_COLUMNS, "late", widths=LATE_WIDTHS))
            if not late.empty
            else None
        ),
        changes_since=data.changes_since,
        n_changed=format_number(found["action_id"].nunique()) if counted else None,
        change_counts=" · ".join(f"{label} : {count}" for label, count in counted if count),
        changes_table=markup(html_table(found, tables.CHANGE_COLUMNS)) if counted else None,
        funding_table=(
            markup(
                html_table(build_funding_table(data.funding), REPORT_FUNDING_COLUMNS, "with-total")
            )
            if not data.funding.empty
            else None
        ),
    )


def build_header_html(data: ReportData) -> str:
    return render_template(
        "report/header.html", territory=data.territory, scope_label=data.scope_label
    )


def build_footer_html(data: ReportData) -> str:
    """Chromium's footer template: source and dates, page X / Y (escaped like the body)."""
    dates, source = source_line(data)
    return render_template("report/footer.html", dates=dates, source=source)
