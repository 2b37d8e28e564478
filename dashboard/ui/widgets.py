"""Generic Streamlit pieces reused by every screen: text safety, URL sync, KPI rows, tables,
action tables with links to their fiche, change counts."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard import changes, tables
from dashboard.formatting import escape_markdown, format_number
from dashboard.templates import render_template
from dashboard.ui.downloads import render_downloads

ACTION_PAGE = "fiche-action"
# Longer action tables scroll inside a box this high (their header stays in view).
ACTION_TABLE_ROWS = 12
ACTION_TABLE_HEIGHT = "30rem"
LONG_TEXT = 32  # characters
LONG_TEXT_WIDTH = 240  # pixels


def safe_text(text: object) -> str:
    """Loaded text ready for st.markdown: no HTML, no Markdown injection."""
    return escape_markdown(text)


def sync_query_params(values: dict[str, str], managed: list[str]) -> None:
    """Write `values` into the URL and drop the managed parameters that are now empty."""
    for name in managed:
        if name in values:
            if st.query_params.get(name) != values[name]:
                st.query_params[name] = values[name]
        elif name in st.query_params:
            del st.query_params[name]


def select_choice(
    container, label: str, options: dict[str, str], key: str, initial: str | None
) -> str | None:
    """A selectbox whose empty choice means "all"; its first value comes from the URL."""
    values = ["", *options]
    if key not in st.session_state or st.session_state[key] not in values:
        st.session_state[key] = initial if initial in options else ""
        if initial and initial not in options:
            st.warning(f"Filtre « {label} » du lien ignoré : « {safe_text(initial)} » est inconnu.")
    chosen = container.selectbox(
        label, values, key=key, format_func=lambda v: options.get(v, "Tous") if v else "Tous"
    )
    return chosen or None


def render_kpis(
    items: list[tuple[str, str, str | None]],
    columns: int = 4,
    deltas: dict[str, tuple[str, str]] | None = None,
    delta_description: str | None = None,
) -> None:
    """A row (or rows) of st.metric: (label, value, help); `deltas` maps a label to its
    (signed change, delta colour) against an earlier state named by `delta_description`."""
    deltas = deltas or {}
    for start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, (label, value, help_text) in zip(
            cols, items[start : start + columns], strict=False
        ):
            delta, color = deltas.get(label, (None, "normal"))
            col.metric(
                label,
                value,
                delta=delta,
                delta_color=color,
                delta_description=delta_description if delta else None,
                help=help_text,
                border=True,
            )


def long_text_columns(shown: pd.DataFrame) -> dict:
    """Columns of long text get a bounded width (the full text on hover), so that the amounts
    beside them stay in view on a 1366 px laptop instead of being pushed off to the right."""
    config = {}
    for column in shown.columns:
        longest = shown[column].astype(str).str.len().max() if len(shown) else 0
        if longest and longest > LONG_TEXT:
            config[column] = st.column_config.TextColumn(column, width=LONG_TEXT_WIDTH)
    return config


def render_table(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], basename: str, key: str
) -> None:
    """French-formatted table with CSV and Excel downloads of exactly what it shows."""
    shown = tables.to_display(frame, spec)
    st.dataframe(shown, hide_index=True, key=key, column_config=long_text_columns(shown))
    render_downloads(tables.to_export(frame, spec), basename, f"{key}_export")


def render_chart_data(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], basename: str, key: str
) -> None:
    """The table behind a chart, folded under it, with its CSV and Excel downloads."""
    with st.expander("Données du graphique"):
        render_table(frame, spec, basename, key)


def action_links(frame: pd.DataFrame, siren: str) -> pd.Series:
    """Relative link to each action's fiche, keeping the territory in the URL."""
    return frame["code"].map(lambda code: f"{ACTION_PAGE}?territoire={siren}&action={quote(code)}")


def build_action_tables(
    frame: pd.DataFrame,
    siren: str,
    spec: list[tuple[str, str, str]] | None = None,
    extra: dict[str, pd.Series] | None = None,
    caption: str = "Actions",
) -> tuple[str, pd.DataFrame]:
    """The table shown (HTML: French text, each title a link to its fiche, a progress bar, the
    lateness beside the status) and the export of the same rows with every action column."""
    spec = spec or tables.ACTION_TABLE_COLUMNS
    export_spec = tables.ACTION_COLUMNS if spec is tables.ACTION_TABLE_COLUMNS else spec
    export = tables.to_export(frame, export_spec)
    frame = frame.copy()
    spec = list(spec)
    for position, (label, values) in enumerate((extra or {}).items()):
        column = f"_extra_{position}"
        frame[column] = values.to_numpy()
        spec.insert(2 + position, (column, label, "text"))
        export.insert(2 + position, label, values.to_numpy())
    return build_wrapped_table(frame, spec, caption, action_links(frame, siren).tolist()), export


def build_wrapped_table(
    frame: pd.DataFrame,
    spec: list[tuple[str, str, str]],
    caption: str,
    links: list[str | None] | None = None,
    link_column: str = "title",
) -> str:
    """HTML table whose text wraps (every column in view on a laptop), header kept in view;
    `links` (one per row) make `link_column` a real link: one click or Enter opens it."""
    headers, rows = tables.build_table_cells(frame, spec, links, link_column)
    return render_template(
        "action_table.html",
        headers=headers,
        rows=rows,
        caption=caption,
        max_height=ACTION_TABLE_HEIGHT if len(rows) > ACTION_TABLE_ROWS else None,
    )


def render_wrapped_table(
    frame: pd.DataFrame,
    spec: list[tuple[str, str, str]],
    basename: str,
    key: str,
    caption: str,
    export_spec: list[tuple[str, str, str]] | None = None,
) -> None:
    """Like render_table, for a few rows read in full: the text wraps instead of the table
    scrolling sideways; CSV and Excel of the same rows (with the `export_spec` columns)."""
    st.html(build_wrapped_table(frame, spec, caption))
    render_downloads(tables.to_export(frame, export_spec or spec), basename, f"{key}_export")


def render_action_tables(shown: str, export: pd.DataFrame, key: str) -> None:
    """A table from `build_action_tables`, with its CSV/Excel downloads."""
    st.html(shown)
    render_downloads(export, "actions", f"{key}_export")


def render_action_table(
    frame: pd.DataFrame,
    siren: str,
    key: str,
    spec: list[tuple[str, str, str]] | None = None,
    extra: dict[str, pd.Series] | None = None,
    caption: str = "Actions",
) -> None:
    """Actions with a progress bar and a link to each fiche; CSV/Excel of the same rows."""
    render_action_tables(*build_action_tables(frame, siren, spec, extra, caption), key)


def render_change_counts(found: pd.DataFrame, columns: int = 6) -> None:
    """One metric per kind of change that happened (number of actions concerned)."""
    counts = [(label, count) for label, count in changes.count_changes(found) if count]
    render_kpis([(label, format_number(count), None) for label, count in counts], columns)
